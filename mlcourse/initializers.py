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
    standard_normal  N(0, 1)  (Nielsen's "naive" large init) 1
    zeros            all zeros (shows the symmetry problem)  0

References: Glorot & Bengio (2010); He et al. (2015); LeCun et al. (1998);
Nielsen (2015), Neural Networks and Deep Learning, ch. 3.
"""
import numpy as np

from mlcourse.validation import as_rng

__all__ = ["glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "lecun_normal",
           "standard_normal", "zeros", "INITIALIZERS"]


def _sizes(n_in, n_out):
    for name, v in (("n_in", n_in), ("n_out", n_out)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} must be a positive int; got {v!r}")
    return int(n_in), int(n_out)


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
    "standard_normal": standard_normal,
    "zeros": zeros,
}

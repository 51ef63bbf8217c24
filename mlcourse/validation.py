"""Input validation at the door.

Every public function of the library checks its arguments with these helpers,
so that a wrong shape, a NaN or a bad label is reported where it enters, with
the argument's name, what was expected and what was received::

    ValueError: X must be a 2-D array of shape (n, p); got shape (5,)
"""
import numpy as np


def _describe(a):
    """Short description of what was received: 'shape (5, 2) float64' or the type."""
    if isinstance(a, np.ndarray):
        return f"shape {a.shape} {a.dtype}"
    return f"{type(a).__name__} {a!r:.60}"


def as_array(a, name, ndim=None, dtype=float, finite=True):
    """Convert `a` to a NumPy array of `dtype`, checking its number of dimensions
    and (if `finite`) that it holds no NaN or infinity. Never modifies `a`."""
    try:
        arr = np.asarray(a, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers; got {_describe(a)} ({exc})") from None
    if ndim is not None and arr.ndim != ndim:
        what = {0: "a scalar", 1: "a 1-D array", 2: "a 2-D array"}.get(ndim, f"a {ndim}-D array")
        raise ValueError(f"{name} must be {what}; got {_describe(arr)}")
    if finite and arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        where = tuple(int(i) for i in bad)
        raise ValueError(f"{name} must be finite; it holds {arr[where] if arr.ndim else arr} "
                         f"at index {where if arr.ndim else '()'}")
    return arr


def as_matrix(X, name="X", n_features=None):
    """A finite float 2-D array (n, p); optionally p must equal `n_features`."""
    X = as_array(X, name)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (n, p); got {_describe(X)}")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} must have {n_features} columns (one per feature); "
                         f"got shape {X.shape}")
    return X


def as_vector(v, name, size=None):
    """A finite float 1-D array; optionally of length `size`."""
    v = as_array(v, name)
    if v.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array" + (f" of length {size}" if size else "")
                         + f"; got {_describe(v)}")
    if size is not None and v.shape[0] != size:
        raise ValueError(f"{name} must have length {size}; got length {v.shape[0]}")
    return v


def as_scalar(x, name, positive=False):
    """A finite Python float; optionally > 0."""
    arr = as_array(x, name)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a single number; got {_describe(arr)}")
    value = float(arr)
    if positive and not value > 0:
        raise ValueError(f"{name} must be > 0; got {value}")
    return value


def as_labels(y, name="y", n=None, classes=(0, 1)):
    """A 1-D integer array of labels, each in `classes` (a tuple, or an int C
    meaning 0..C-1); optionally of length `n` (the number of rows of X)."""
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of labels; got {_describe(arr)}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} must have one label per row of X ({n}); got {arr.shape[0]}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must hold labels, not NaN or infinity")
    allowed = tuple(range(classes)) if isinstance(classes, int) else tuple(classes)
    bad = ~np.isin(arr, allowed)
    if arr.dtype.kind not in "biuf" or np.any(bad):
        first = arr[bad][0] if arr.dtype.kind in "biuf" else arr.dtype
        shown = f"{{{', '.join(str(c) for c in allowed)}}}" if len(allowed) <= 10 else \
            f"{{0, ..., {len(allowed) - 1}}}"
        raise ValueError(f"{name} must hold labels in {shown}; got {first!r}")
    return arr.astype(int)


def as_rng(rng, name="rng"):
    """A numpy.random.Generator (an int seed is accepted and turned into one)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"{name} must be a numpy.random.Generator (np.random.default_rng(seed)) "
                    f"or an int seed; got {type(rng).__name__}")

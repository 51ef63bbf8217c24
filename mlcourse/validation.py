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


def as_count(v, name, minimum=1):
    """An int >= `minimum` (bools refused): a number of epochs, units, steps, ..."""
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < minimum:
        what = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"{name} must be {what}; got {v!r}")
    return int(v)


def as_nonnegative(x, name):
    """A finite Python float >= 0 (a penalty weight, a rate, ...)."""
    x = as_scalar(x, name)
    if x < 0:
        raise ValueError(f"{name} must be >= 0; got {x}")
    return x


def as_sizes(sizes, name="sizes"):
    """Layer sizes [n_0, ..., n_L]: a list of >= 2 positive ints."""
    ok = isinstance(sizes, (list, tuple, np.ndarray)) and len(sizes) >= 2 and all(
        isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s > 0 for s in sizes)
    if not ok:
        raise ValueError(f"{name} must be a list of >= 2 positive ints (input, ..., output); "
                         f"got {sizes!r}")
    return [int(s) for s in sizes]


def as_floats(a, name, ndim):
    """A finite float array with `ndim` dimensions; float32 stays float32, anything else
    becomes float64 (a float array of the right dtype is not copied)."""
    dtype = np.float32 if getattr(a, "dtype", None) == np.float32 else np.float64
    arr = as_array(a, name, dtype=dtype)
    if arr.ndim != ndim:
        shape = {1: "(n,)", 2: "(n, p)"}[ndim]
        raise ValueError(f"{name} must be a {ndim}-D array of shape {shape}; got shape {arr.shape}")
    return arr


def as_params(params, name="params"):
    """An MLP's parameters: a non-empty list of (W, b) float arrays whose shapes chain
    (W_l of shape (n_{l-1}, n_l), b_l of shape (n_l,))."""
    if not isinstance(params, (list, tuple)) or len(params) == 0:
        raise TypeError(f"{name} must be a non-empty list of (W, b) pairs; "
                        f"got {type(params).__name__}")
    out = []
    for l, layer in enumerate(params):
        if not isinstance(layer, (list, tuple)) or len(layer) != 2:
            raise TypeError(f"{name}[{l}] must be a pair (W, b); got {type(layer).__name__}")
        W, b = as_floats(layer[0], f"{name}[{l}] W", 2), as_floats(layer[1], f"{name}[{l}] b", 1)
        if b.shape[0] != W.shape[1]:
            raise ValueError(f"{name}[{l}] b must have length {W.shape[1]} (the columns "
                             f"of W {W.shape}); got shape {b.shape}")
        if l > 0 and W.shape[0] != out[-1][0].shape[1]:
            raise ValueError(f"{name}[{l}] W must have {out[-1][0].shape[1]} rows (the "
                             f"outputs of layer {l - 1}); got shape {W.shape}")
        out.append((W, b))
    return out


def as_inputs(X, params, name="X"):
    """Inputs X (n, n_0) for a network whose first W has n_0 rows."""
    X = as_floats(X, name, 2)
    p = params[0][0].shape[0]
    if X.shape[1] != p:
        raise ValueError(f"{name} must have {p} columns (the rows of the first W); "
                         f"got shape {X.shape}")
    return X


def as_targets(y, n, K, loss, name="y"):
    """The target matrix Y (n, K) of a network with K outputs, and the integer labels
    (None for real-valued regression targets).

    Integer labels (n,) are one-hot encoded when K > 1 and used as a column when K = 1
    (0/1 labels for the cross-entropies). For loss "mse", real targets (n,) or (n, K)
    are accepted as they are.
    """
    arr = np.asarray(y)
    if loss == "mse" and not (arr.ndim == 1 and K > 1):
        t = as_array(y, name)
        t = t[:, None] if t.ndim == 1 else t
        if t.shape != (n, K):
            raise ValueError(f"{name} must have shape ({n},) or ({n}, {K}) for the mse loss; "
                             f"got shape {np.shape(y)}")
        labels = as_labels(t[:, 0], name, n=n) if K == 1 and np.isin(t, (0, 1)).all() else None
        return t, labels
    labels = as_labels(y, name, n=n, classes=(K if K > 1 else 2))
    if K == 1:
        return labels[:, None].astype(float), labels
    return np.eye(K)[labels], labels

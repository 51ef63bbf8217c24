"""Gradient checking: compare an analytic gradient with finite differences.

The centred difference

    ∂f/∂x_i ≈ (f(x + ε e_i) - f(x - ε e_i)) / (2ε)

has a truncation error of order ε² (the ε-terms of the two Taylor expansions
cancel), against order ε for the one-sided (f(x + ε e_i) - f(x)) / ε. It costs
two evaluations of f per coordinate: 2·P evaluations for P parameters, which
is why it serves to *check* backpropagation, never to replace it.
"""
import numpy as np

from mlcourse.validation import as_array, as_scalar

__all__ = ["numerical_gradient", "relative_error", "check_gradients", "flatten", "unflatten"]


def numerical_gradient(f, x, eps=1e-6):
    """Centred differences g_i = (f(x + ε e_i) - f(x - ε e_i)) / (2ε) for every entry of x.

    f: function of an array shaped like x returning a scalar;
    x: array of any shape (never modified: f sees a perturbed copy); eps: ε > 0.
    Returns: float array shaped like x.  Cost: 2·x.size calls of f.
    """
    if not callable(f):
        raise TypeError(f"f must be a function of an array returning a number; "
                        f"got {type(f).__name__}")
    x = as_array(x, "x")
    eps = as_scalar(eps, "eps", positive=True)
    point = np.array(x, dtype=float, copy=True)       # the copy we perturb, one entry at a time
    grad = np.empty_like(point)
    flat_point, flat_grad = point.reshape(-1), grad.reshape(-1)   # views, not copies
    for i in range(flat_point.size):
        old = flat_point[i]
        flat_point[i] = old + eps
        f_plus = _scalar(f(point))
        flat_point[i] = old - eps
        f_minus = _scalar(f(point))
        flat_point[i] = old
        flat_grad[i] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def _scalar(value):
    arr = np.asarray(value, dtype=float)
    if arr.size != 1:
        raise ValueError(f"f must return a single number; got shape {arr.shape}")
    return float(arr.reshape(()))


def relative_error(a, b):
    """Relative error ||a - b|| / (||a|| + ||b||) (Euclidean norms over all entries),
    0 when both are zero. Scale-free, and not fooled by single entries that are 0.

    a, b: arrays (or numbers) of the same shape.  Returns: a float in [0, 1].
    """
    a, b = as_array(a, "a"), as_array(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"b must have the same shape as a {a.shape}; got shape {b.shape}")
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / scale) if scale > 0 else 0.0


def flatten(params):
    """The arrays of a nested list/tuple structure (e.g. [(W1, b1), (W2, b2)]), in order."""
    if isinstance(params, (list, tuple)):
        return [a for p in params for a in flatten(p)]
    return [params]


def unflatten(params, arrays):
    """The structure of `params` rebuilt with `arrays` (as returned by flatten) in its place."""
    arrays = iter(arrays)

    def rebuild(p):
        if isinstance(p, (list, tuple)):
            return type(p)(rebuild(q) for q in p)
        return next(arrays)
    return rebuild(params)


def check_gradients(loss, params, grads, eps=1e-6):
    """Relative error between `grads` and the centred differences of `loss`, per array.

    loss: function of params returning a number; params: an array or a nested
    list/tuple of arrays (e.g. [(W1, b1), (W2, b2)]); grads: same structure and
    shapes (the analytic gradient); eps: ε > 0.
    Returns: a list of floats, one per array of flatten(params), in that order.
    """
    if not callable(loss):
        raise TypeError(f"loss must be a function of params; got {type(loss).__name__}")
    arrays = [as_array(a, f"params array {i}") for i, a in enumerate(flatten(params))]
    analytic = [as_array(g, f"grads array {i}") for i, g in enumerate(flatten(grads))]
    if len(analytic) != len(arrays):
        raise ValueError(f"grads must hold one array per parameter array ({len(arrays)}); "
                         f"got {len(analytic)}")
    errors = []
    for i, (a, g) in enumerate(zip(arrays, analytic)):
        if g.shape != a.shape:
            raise ValueError(f"grads array {i} must have shape {a.shape}; got {g.shape}")

        def loss_of_one(value, i=i):
            return loss(unflatten(params, arrays[:i] + [value] + arrays[i + 1:]))
        errors.append(relative_error(g, numerical_gradient(loss_of_one, a, eps)))
    return errors

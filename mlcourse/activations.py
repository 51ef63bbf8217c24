"""Activation functions and their derivatives.

Every function takes an array `z` of any shape (a scalar, a vector, a batch
(n, k) of pre-activations ...) and returns an array of the same shape,
element by element -- except `softmax`, `log_softmax` and `sparsemax`, which
work along the last axis (one row = one example's scores).

Numerical stability is the theme of this module: exp(1000) overflows, so each
formula is rewritten to only ever exponentiate numbers <= 0. exp(-1000) then
underflows to 0.0, which is the right answer: those underflows are silenced
with np.errstate(under="ignore"), so the functions run cleanly even inside
np.errstate(all="raise").
"""
import numpy as np

from mlcourse.validation import as_array

__all__ = ["sigmoid", "log_sigmoid", "tanh", "relu", "leaky_relu", "softplus", "linear",
           "softmax", "log_softmax", "sparsemax",
           "sigmoid_grad", "tanh_grad", "relu_grad", "leaky_relu_grad", "linear_grad",
           "ACTIVATIONS"]


def _z(z, name="z"):
    return as_array(z, name)


def sigmoid(z):
    """Logistic sigmoid σ(z) = 1 / (1 + e^{-z}), element-wise.

    Stable form: with e = e^{-|z|} (always in (0, 1]),
    σ(z) = 1 / (1 + e) for z >= 0 and e / (1 + e) for z < 0.
    σ(0) = 0.5 exactly; no overflow at z = ±1000.

    z: array of any shape.  Returns: array of the same shape, in [0, 1].
    """
    z = _z(z)
    with np.errstate(under="ignore"):     # e^{-1000} underflows to 0: the right answer
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1.0, e) / (1.0 + e)


def log_sigmoid(z):
    """log σ(z) = -softplus(-z) = min(z, 0) - log(1 + e^{-|z|}), element-wise.

    Finite for every finite z (log σ(-1000) = -1000, not log 0 = -inf).
    z: array of any shape.  Returns: array of the same shape, <= 0.
    """
    z = _z(z)
    with np.errstate(under="ignore"):
        return np.minimum(z, 0.0) - np.log1p(np.exp(-np.abs(z)))


def tanh(z):
    """Hyperbolic tangent tanh(z) = (e^z - e^{-z}) / (e^z + e^{-z}), element-wise.

    Computed from exponentials (as the course asks students to do) instead of
    np.tanh. Stable form: multiply top and bottom by e^{-|z|} to get, with
    e = e^{-2|z|} in (0, 1], tanh(z) = sign(z) (1 - e) / (1 + e).
    (Equivalently tanh(z) = 2σ(2z) - 1.)  np.tanh gives the same values to ~1e-16.

    z: array of any shape.  Returns: array of the same shape, in [-1, 1].
    """
    z = _z(z)
    with np.errstate(under="ignore"):
        e = np.exp(-2.0 * np.abs(z))
        return np.sign(z) * (1.0 - e) / (1.0 + e)


def relu(z):
    """Rectified linear unit ReLU(z) = max(0, z), element-wise.

    z: array of any shape.  Returns: array of the same shape.
    """
    return np.maximum(_z(z), 0.0)


def leaky_relu(z, alpha=0.01):
    """Leaky ReLU: z if z > 0 else alpha * z, element-wise.

    z: array of any shape; alpha: slope for negative inputs (a float, usually small).
    Returns: array of the same shape.
    """
    z = _z(z)
    with np.errstate(under="ignore"):
        return np.where(z > 0, z, alpha * z)


def softplus(z):
    """softplus(z) = log(1 + e^z) = max(z, 0) + log(1 + e^{-|z|}), element-wise.

    A smooth ReLU; its derivative is σ(z). Stable: softplus(1000) = 1000.
    z: array of any shape.  Returns: array of the same shape, > 0.
    """
    z = _z(z)
    with np.errstate(under="ignore"):
        return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def linear(z):
    """Identity activation f(z) = z (a copy, as a float array)."""
    return np.array(_z(z), dtype=float, copy=True)


def softmax(Z):
    """Softmax along the last axis: softmax(z)_k = e^{z_k - m} / Σ_j e^{z_j - m}, m = max_j z_j.

    Subtracting the row maximum m changes nothing mathematically (it cancels)
    but keeps every exponent <= 0, so nothing overflows.

    Z: array (..., K) of scores (a vector (K,) or a batch (n, K)).
    Returns: array of the same shape; each row is positive and sums to 1.
    """
    Z = _z(Z, "Z")
    if Z.ndim == 0:
        raise ValueError("Z must be an array of scores (K,) or (n, K); got a scalar")
    with np.errstate(under="ignore"):
        E = np.exp(Z - Z.max(axis=-1, keepdims=True))
        return E / E.sum(axis=-1, keepdims=True)


def log_softmax(Z):
    """Log-softmax along the last axis: log softmax(z)_k = z_k - logsumexp(z),
    with logsumexp(z) = m + log Σ_j e^{z_j - m}, m = max_j z_j.

    Z: array (..., K).  Returns: array of the same shape, every entry <= 0.
    """
    Z = _z(Z, "Z")
    if Z.ndim == 0:
        raise ValueError("Z must be an array of scores (K,) or (n, K); got a scalar")
    S = Z - Z.max(axis=-1, keepdims=True)
    with np.errstate(under="ignore"):
        return S - np.log(np.exp(S).sum(axis=-1, keepdims=True))


def sparsemax(Z):
    """Sparsemax (Martins & Astudillo, 2016) along the last axis: the Euclidean
    projection of each row z onto the probability simplex,
    sparsemax(z) = argmin_{p >= 0, Σp = 1} ||p - z||²  =  max(z - τ, 0),

    where the threshold τ is found by sorting z in decreasing order (z_(1) >= z_(2) >= ...):
    k* = max{k : 1 + k z_(k) > Σ_{j<=k} z_(j)},  τ = (Σ_{j<=k*} z_(j) - 1) / k*.
    Unlike softmax, it can return exact zeros.

    Z: array (..., K).  Returns: array of the same shape; each row is >= 0 and sums to 1.
    """
    Z = _z(Z, "Z")
    if Z.ndim == 0:
        raise ValueError("Z must be an array of scores (K,) or (n, K); got a scalar")
    K = Z.shape[-1]
    Zs = -np.sort(-Z, axis=-1)                      # each row in decreasing order
    cumsum = np.cumsum(Zs, axis=-1)
    k = np.arange(1, K + 1)
    support = 1.0 + k * Zs > cumsum                 # True for k = 1..k*, then False
    k_star = support.sum(axis=-1, keepdims=True)    # (..., 1)
    tau = (np.take_along_axis(cumsum, k_star - 1, axis=-1) - 1.0) / k_star
    return np.maximum(Z - tau, 0.0)


# ---------------------------------------------------------------- derivatives

def sigmoid_grad(z):
    """σ'(z) = σ(z) (1 - σ(z)), element-wise.  z: any shape.  Returns: same shape."""
    s = sigmoid(z)
    with np.errstate(under="ignore"):
        return s * (1.0 - s)


def tanh_grad(z):
    """tanh'(z) = 1 - tanh(z)², element-wise.  z: any shape.  Returns: same shape."""
    t = tanh(z)
    return 1.0 - t * t


def relu_grad(z):
    """ReLU'(z) = 1 if z > 0 else 0 (we choose ReLU'(0) = 0), element-wise.
    z: any shape.  Returns: float array of the same shape."""
    return (_z(z) > 0).astype(float)


def leaky_relu_grad(z, alpha=0.01):
    """Leaky ReLU'(z) = 1 if z > 0 else alpha, element-wise.
    z: any shape.  Returns: float array of the same shape."""
    return np.where(_z(z) > 0, 1.0, alpha)


def linear_grad(z):
    """Derivative of the identity: 1 everywhere.  z: any shape.  Returns: same shape."""
    return np.ones_like(_z(z), dtype=float)


#: name -> (f, f') where both are functions of the pre-activation z.
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "linear": (linear, linear_grad),
}

"""Loss functions (averaged over the examples of a batch) and their gradients.

Conventions: `n` is the number of examples, `K` the number of classes/outputs.
Labels `y` are integers (n,); probabilities `p`/`probs` are in [0, 1];
logits `z`/`Z` are unnormalized scores (any real number).
The `*_with_logits` versions never form probabilities, so they stay finite and
accurate even for confident wrong predictions (a logit of -1000 for the true class).
"""
import numpy as np

from mlcourse.activations import log_softmax, softmax
from mlcourse.validation import as_array, as_count, as_labels, as_matrix

__all__ = ["EPS", "one_hot", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "cross_entropy", "cross_entropy_with_logits", "softmax_cross_entropy_grad",
           "mse", "mse_grad"]

#: Probabilities are clipped to [EPS, 1 - EPS] before taking a log, so that a
#: probability of exactly 0 for the true class costs -log(1e-12) ≈ 27.6
#: instead of infinity. Use the *_with_logits losses to avoid clipping altogether.
EPS = 1e-12


def _binary_targets(y, shape, name="y"):
    """y as a float array of `shape` holding only 0 and 1."""
    arr = np.asarray(y)
    if arr.shape != shape:
        raise ValueError(f"{name} must have the same shape as the predictions {shape}; "
                         f"got shape {arr.shape}")
    return as_labels(arr.reshape(-1), name).reshape(shape).astype(float)


def _per_example_mean(L):
    """Sum over output units, mean over examples: L is (n,) or (n, K)."""
    n = L.shape[0] if L.ndim else 1
    return float(L.sum() / n)


def one_hot(y, n_classes):
    """One-hot encoding: Y[i, k] = 1 if y[i] == k else 0.

    y: (n,) integer labels in {0, ..., n_classes - 1}; n_classes: int K.
    Returns: (n, K) float array.
    """
    n_classes = as_count(n_classes, "n_classes")
    y = as_labels(y, "y", classes=int(n_classes))
    Y = np.zeros((y.shape[0], int(n_classes)))
    Y[np.arange(y.shape[0]), y] = 1.0
    return Y


def binary_cross_entropy(p, y):
    """Binary cross-entropy  L = -(1/n) Σ_i Σ_j [y_ij log p_ij + (1 - y_ij) log(1 - p_ij)].

    p: (n,) probabilities of class 1 (or (n, K): one sigmoid unit per class,
       Nielsen ch. 3; then the sum also runs over the K units).
    y: labels in {0, 1} of the same shape as p.
    p is clipped to [EPS, 1 - EPS] so the loss is finite when p is exactly 0 or 1.
    Returns: a float.
    """
    p = as_array(p, "p")
    if p.ndim not in (1, 2):
        raise ValueError(f"p must be a 1-D (n,) or 2-D (n, K) array of probabilities; "
                         f"got shape {p.shape}")
    if np.any((p < 0) | (p > 1)):
        raise ValueError("p must hold probabilities in [0, 1]")
    y = _binary_targets(y, p.shape)
    pc = np.clip(p, EPS, 1 - EPS)
    return _per_example_mean(-(y * np.log(pc) + (1 - y) * np.log1p(-pc)))


def binary_cross_entropy_with_logits(z, y):
    """Binary cross-entropy of p = σ(z), computed from the logits z:
    -[y log σ(z) + (1 - y) log(1 - σ(z))] = softplus(z) - y z
                                          = max(z, 0) - y z + log(1 + e^{-|z|}),
    averaged over the n examples (summed over units if z is (n, K)).

    z: (n,) or (n, K) logits; y: labels in {0, 1} of the same shape.
    Finite for every finite z (z = -1000 with y = 1 costs 1000).  Returns: a float.
    """
    z = as_array(z, "z")
    if z.ndim not in (1, 2):
        raise ValueError(f"z must be a 1-D (n,) or 2-D (n, K) array of logits; "
                         f"got shape {z.shape}")
    y = _binary_targets(y, z.shape)
    with np.errstate(under="ignore"):
        L = np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))
    return _per_example_mean(L)


def cross_entropy(probs, y):
    """Cross-entropy of predicted class probabilities: L = -(1/n) Σ_i log probs[i, y_i].

    probs: (n, K) probabilities (each row sums to 1, e.g. a softmax output).
    y: (n,) integer labels in {0, ..., K - 1}.
    The probability of the true class is clipped below at EPS = 1e-12, so that
    p_y = 0 costs -log(EPS) ≈ 27.6 instead of infinity.  Returns: a float.
    """
    probs = as_matrix(probs, "probs")
    if np.any((probs < 0) | (probs > 1)):
        raise ValueError("probs must hold probabilities in [0, 1]")
    n, K = probs.shape
    y = as_labels(y, "y", n=n, classes=K)
    p_true = probs[np.arange(n), y]
    return float(-np.mean(np.log(np.maximum(p_true, EPS))))


def cross_entropy_with_logits(Z, y):
    """Cross-entropy of softmax(Z), computed stably from the logits:
    L = -(1/n) Σ_i log_softmax(Z)[i, y_i] = (1/n) Σ_i (logsumexp(Z_i) - Z[i, y_i]).

    Z: (n, K) logits; y: (n,) integer labels in {0, ..., K - 1}.  Returns: a float.
    """
    Z = as_matrix(Z, "Z")
    n, K = Z.shape
    y = as_labels(y, "y", n=n, classes=K)
    return float(-np.mean(log_softmax(Z)[np.arange(n), y]))


def softmax_cross_entropy_grad(Z, y):
    """Gradient of cross_entropy_with_logits(Z, y) with respect to Z:
    dL/dZ = (softmax(Z) - onehot(y)) / n.

    Z: (n, K) logits; y: (n,) labels in {0, ..., K - 1}.  Returns: (n, K) array.
    """
    Z = as_matrix(Z, "Z")
    n, K = Z.shape
    y = as_labels(y, "y", n=n, classes=K)
    return (softmax(Z) - one_hot(y, K)) / n


def _pred_target(pred, target):
    pred = as_array(pred, "pred")
    target = as_array(target, "target")
    if pred.shape != target.shape:
        raise ValueError(f"target must have the same shape as pred {pred.shape}; "
                         f"got shape {target.shape}")
    if pred.size == 0:
        raise ValueError("pred must not be empty")
    return pred, target


def mse(pred, target):
    """Mean squared error over all entries: L = (1/N) Σ (pred - target)², N = pred.size.

    pred, target: arrays of the same shape ((n,) or (n, K)).  Returns: a float.
    """
    pred, target = _pred_target(pred, target)
    return float(np.mean((pred - target) ** 2))


def mse_grad(pred, target):
    """Gradient of mse with respect to pred: dL/dpred = 2 (pred - target) / N, N = pred.size.

    pred, target: arrays of the same shape.  Returns: array of that shape.
    """
    pred, target = _pred_target(pred, target)
    return 2.0 * (pred - target) / pred.size

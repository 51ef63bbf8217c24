"""Regularization: L2 weight decay and dropout, and a small trainer that uses both.

L2 penalty (a Gaussian prior on the weights, see lecture 9):

    R(θ) = λ/2 ||θ||²,   ∇R(θ) = λ θ,
    θ ← θ - η (∇L(θ) + λ θ) = (1 - ηλ) θ - η ∇L(θ)          ("weight decay")

Dropout (Srivastava et al., 2014) multiplies each hidden activation by a Bernoulli
mask m (m = 1 with probability 1 - p, the unit is dropped with probability p):

    inverted (the usual one):  train  out = h ⊙ m / (1 - p)     test  out = h
    standard (the paper's):    train  out = h ⊙ m                test  out = (1 - p) h

Either way the expected training-time output equals the test-time output.

This is the course's one L2 convention (docs/DESIGN.md), the one of mlcourse.nn.
`train_many` trains ReLU MLPs with a softmax output by mini-batch SGD on the mean
cross-entropy, with weight decay (weights only, not biases) and inverted dropout on every
hidden layer: mlcourse.nn's forward_layers and backprop (the options p_drop and l2 of the
engine), run on a stack of models at once; evaluation reuses mlcourse.nn (no dropout).
"""
import numpy as np

from mlcourse import nn
from mlcourse.validation import (as_array, as_count, as_labels, as_matrix, as_nonnegative,
                                 as_rng, as_scalar)

__all__ = ["l2_penalty", "l2_penalty_grad", "l2_step", "dropout", "dropout_standard",
           "train_regularized", "train_many", "error_rate"]


def _rate(p):
    p = as_scalar(p, "p")
    if not 0 <= p < 1:
        raise ValueError(f"p must be a drop probability in [0, 1); got {p}")
    return p


# ------------------------------------------------------------------ L2 / weight decay

def l2_penalty(theta, lam):
    """R(θ) = λ/2 Σ θ_j².  theta: array of any shape; lam >= 0.  Returns: a float."""
    theta = as_array(theta, "theta")
    lam = as_nonnegative(lam, "lam")
    return 0.5 * lam * float(np.sum(theta * theta))


def l2_penalty_grad(theta, lam):
    """∇R(θ) = λ θ.  theta: array of any shape; lam >= 0.  Returns: array of theta's shape."""
    theta = as_array(theta, "theta")
    return as_nonnegative(lam, "lam") * theta


def l2_step(theta, grad, lr, lam):
    """One weight-decay step: θ_new = (1 - lr·lam) θ - lr·grad,
    i.e. a gradient step on L(θ) + lam/2 ||θ||² when grad = ∇L(θ).

    theta: array of any shape; grad: array of the same shape; lr > 0; lam >= 0.
    Returns: a new array (theta is not modified).
    """
    theta = as_array(theta, "theta")
    grad = as_array(grad, "grad")
    if grad.shape != theta.shape:
        raise ValueError(f"grad must have the shape of theta {theta.shape}; got {grad.shape}")
    lr = as_scalar(lr, "lr", positive=True)
    lam = as_nonnegative(lam, "lam")
    return (1.0 - lr * lam) * theta - lr * grad


# ------------------------------------------------------------------ dropout

def dropout(h, p, rng, train=True):
    """Inverted dropout: out = h ⊙ m / (1 - p) with m_j ~ Bernoulli(1 - p) at training
    time (each unit dropped with probability p, the survivors scaled up), and
    out = h, m = 1 at test time. E[out] = h in both cases.

    h: activations, array of any shape; p: drop probability in [0, 1);
    rng: numpy Generator (the only source of randomness); train: bool.
    Returns: out (shape of h), mask (bool, shape of h; True = kept).
    """
    h = as_array(h, "h")
    p = _rate(p)
    rng = as_rng(rng)
    if not train:
        return h.copy(), np.ones(h.shape, dtype=bool)
    mask = rng.random(h.shape) >= p
    return h * mask / (1.0 - p), mask


def dropout_standard(h, p, rng, train=True):
    """Dropout as in Srivastava et al. (2014): out = h ⊙ m at training time
    (m_j ~ Bernoulli(1 - p)), out = (1 - p) h at test time, so that the test output
    equals the expected training output. Same arguments and returns as `dropout`."""
    h = as_array(h, "h")
    p = _rate(p)
    rng = as_rng(rng)
    if not train:
        return (1.0 - p) * h, np.ones(h.shape, dtype=bool)
    mask = rng.random(h.shape) >= p
    return h * mask, mask


# ------------------------------------------------------------------ a small trainer

def error_rate(params, X, y):
    """Fraction of misclassified rows for a ReLU MLP with a softmax output (no dropout).
    params: [(W_l, b_l)]; X: (n, p); y: (n,) labels.  Returns: a float in [0, 1]."""
    return 1.0 - nn.accuracy(params, X, y, hidden="relu", output="softmax")


def _sgd_step(params, Xb, Yb, lr, decay, p_drop, rng):
    """One SGD step for a stack of M models at once (arrays carry a leading model axis):
    mlcourse.nn.forward_layers with inverted dropout after every hidden ReLU, then
    mlcourse.nn.backprop, then weight decay.

    params: [(W (M, n_in, n_out), b (M, 1, n_out))]; Xb: (M, m, p); Yb: (M, m, K) one-hot;
    decay: (M, 1, 1) factors 1 - lr·lam; p_drop: (M, 1, 1) drop probabilities (None: no
    dropout). Returns the new params (the old ones are not modified).
    """
    P, caches = nn.forward_layers(params, Xb, "relu", "softmax", p_drop=p_drop, rng=rng)
    grads = nn.backprop(caches, (P - Yb) / Xb.shape[1], "relu")        # mean cross-entropy
    return [(decay * W - lr * dW, b - lr * db) for (W, b), (dW, db, _) in zip(params, grads)]


def _per_model(v, name, M, check):
    v = as_array(v, name)
    if v.ndim == 0:
        v = np.full(M, float(v))
    if v.shape != (M,):
        raise ValueError(f"{name} must be a number or one value per model ({M},); "
                         f"got shape {v.shape}")
    for x in v:
        check(x, name)
    return v[:, None, None]


def _check_lam(x, name):
    as_nonnegative(x, name)


def _check_rate(x, name):
    if not 0 <= x < 1:
        raise ValueError(f"{name} must be a drop probability in [0, 1); got {x}")


def _stacked_data(X, y, lam, p_drop, n_classes):
    """X as (M, n, p) and y as (M, n) labels: a shared (n, p) / (n,) is repeated for the
    M models that lam, p_drop or y ask for."""
    X, y = as_array(X, "X"), np.asarray(y)
    if X.ndim == 2:
        M = max(np.size(lam), np.size(p_drop), y.shape[0] if y.ndim == 2 else 1)
        X = np.broadcast_to(X, (M, *X.shape))
    if X.ndim != 3:
        raise ValueError(f"X must have shape (n, p) or (M, n, p); got shape {X.shape}")
    M, n, _ = X.shape
    if y.ndim == 1:
        y = np.broadcast_to(y, (M, y.shape[0]))
    if y.shape != (M, n):
        raise ValueError(f"y must have shape ({n},) or ({M}, {n}) (labels of X's rows); "
                         f"got shape {y.shape}")
    return X, as_labels(y.reshape(-1), "y", classes=n_classes).reshape(M, n)


def train_many(X, y, hidden_sizes=(64, 64), *, lam=0.0, p_drop=0.0, epochs=200, lr=0.1,
               batch_size=16, seed=0, n_classes=2):
    """Train M independent ReLU MLPs (softmax output, mean cross-entropy) at once by
    mini-batch SGD with weight decay W ← (1 - lr·lam) W - lr ∇ (biases not decayed) and
    inverted dropout of rate p_drop on every hidden layer. Stacking the models makes the
    many small matrix products of a small network cheap: M models cost about one.

    X: (M, n, p) one training set per model (or (n, p), shared); y: (M, n) (or (n,))
    labels in {0, ..., n_classes-1}; lam, p_drop: numbers or (M,) arrays, one per model;
    hidden_sizes: ints; epochs, batch_size: positive ints; lr > 0; seed: int seeding the
    He-normal initializations, the shuffling (one permutation per epoch, shared) and
    the dropout masks.
    Returns: a list of M params [(W_l, b_l)], each usable with mlcourse.nn.
    """
    X, y = _stacked_data(X, y, lam, p_drop, n_classes)
    M, n, _ = X.shape
    decay_lam = _per_model(lam, "lam", M, _check_lam)
    rate = _per_model(p_drop, "p_drop", M, _check_rate)
    lr = as_scalar(lr, "lr", positive=True)
    epochs, batch_size = as_count(epochs, "epochs"), as_count(batch_size, "batch_size")
    rng = np.random.default_rng(seed)
    models = [nn.init_params([X.shape[2], *hidden_sizes, n_classes], rng, init="he_normal")
              for _ in range(M)]
    params = [(np.stack([m[l][0] for m in models]), np.stack([m[l][1] for m in models])[:, None, :])
              for l in range(len(models[0]))]
    Y = np.eye(n_classes)[y]                                 # (M, n, K)
    decay = 1.0 - lr * decay_lam
    p_drop = rate if np.any(rate > 0) else None
    for _ in range(epochs):
        perm = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            params = _sgd_step(params, X[:, idx], Y[:, idx], lr, decay, p_drop, rng)
    return [[(W[i], b[i, 0]) for W, b in params] for i in range(M)]


def train_regularized(X, y, hidden_sizes=(64, 64), *, lam=0.0, p_drop=0.0, epochs=200,
                      lr=0.1, batch_size=16, seed=0, n_classes=2):
    """Train one ReLU MLP (softmax output, mean cross-entropy) by mini-batch SGD with
    weight decay (rate lam, weights only) and inverted dropout (rate p_drop) on every
    hidden layer: `train_many` with a single model.

    X: (n, p); y: (n,) labels; other arguments as in `train_many`.
    Returns: params [(W_l, b_l)] (evaluate with mlcourse.nn, e.g. `error_rate`).
    """
    X = as_matrix(X, "X")
    y = as_labels(y, "y", n=X.shape[0], classes=n_classes)
    return train_many(X[None], y[None], hidden_sizes, lam=lam, p_drop=p_drop, epochs=epochs,
                      lr=lr, batch_size=batch_size, seed=seed, n_classes=n_classes)[0]

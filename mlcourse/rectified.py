"""Rectified networks: active, inactive and dead ReLU units (lecture 7).

A ReLU unit of layer l is *inactive* on an input when its pre-activation
Z_l = A_{l-1} @ W_l + b_l is <= 0 there: its output is 0 and so is its
derivative (we take ReLU'(0) = 0), so no gradient flows through it for that
input. It is *dead* on a data set when it is inactive on every row: then it
never learns again from that data. A leaky ReLU max(αz, z) keeps a slope α on
the negative side, so its units can come back.

params follows mlcourse.nn: [(W_1, b_1), ..., (W_L, b_L)]; the hidden layers are
1..L-1, the last layer is the output layer and is never counted here.
"""
from typing import NamedTuple

import numpy as np

from mlcourse import nn
from mlcourse.validation import as_count, as_labels, as_matrix, as_params, as_rng, as_vector

__all__ = ["hidden_preactivations", "inactive_fraction", "dead_fraction", "LeakyGrid",
           "train_leaky_grid"]


def hidden_preactivations(params, X, alpha=0.0):
    """Pre-activations Z_l of the hidden layers of a (leaky) ReLU network:
    A_0 = X,  Z_l = A_{l-1} @ W_l + b_l,  A_l = max(α Z_l, Z_l)  for l = 1..L-1.

    params: [(W_l, b_l)] (>= 2 layers); X: (n, n_0); alpha: negative slope (0 = ReLU).
    Returns: a list of L - 1 arrays (n, n_l).
    """
    if len(as_params(params)) < 2:
        raise ValueError("params must have at least one hidden layer (2 or more (W, b) pairs)")
    _, caches = nn.forward(params, X, "leaky_relu", "identity", alpha=alpha)
    return [Z for _, _, Z in caches[:-1]]


def inactive_fraction(params, X, alpha=0.0):
    """For every hidden unit, the fraction of the rows of X on which it is inactive (Z <= 0).

    params, X, alpha: as in hidden_preactivations.
    Returns: a list of L - 1 arrays (n_l,), values in [0, 1]. A unit with 1.0 is dead on X.
    """
    return [np.mean(Z <= 0, axis=0) for Z in hidden_preactivations(params, X, alpha)]


def dead_fraction(params, X, alpha=0.0):
    """Per hidden layer, the fraction of units that are inactive (Z <= 0) on EVERY row of X.

    params: [(W_l, b_l)]; X: (n, n_0); alpha: negative slope used to propagate (0 = ReLU).
    Returns: (L - 1,) array of fractions in [0, 1].
    """
    return np.array([np.mean(np.all(Z <= 0, axis=0)) for Z in hidden_preactivations(params, X, alpha)])


# ------------------------------------------------------------------ a small leaky-ReLU trainer

class LeakyGrid(NamedTuple):
    """Training curves of train_leaky_grid, for every (alpha, lr) pair.

    loss, accuracy: (n_alpha, n_lr, steps + 1) on the training set, before training and
    after each step (NaN after a divergence); dead: (n_alpha, n_lr, steps + 1, L - 1),
    the dead fraction of each hidden layer; diverged: (n_alpha, n_lr) bools.
    """
    alphas: np.ndarray
    lrs: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray
    dead: np.ndarray
    diverged: np.ndarray


def train_leaky_grid(X, y, sizes, alphas, lrs, steps, seed=0, init="he_normal"):
    """Train the same leaky-ReLU MLP (softmax output, mean cross-entropy) by full-batch
    gradient descent for every pair (α, η) of `alphas` × `lrs` at once, from one shared
    initialization, and record the loss, accuracy and dead fraction of each hidden layer.

    The C = len(alphas) · len(lrs) networks are trained side by side: their weights are
    stacked into arrays (C, n_in, n_out) and every step is one batched matrix product per
    layer (mlcourse.nn's layers with a leading model axis), in float64: at the largest learning rates the runs are close to diverging, and in
    float32 the rounding of another CPU's BLAS kernel changed which units ended up dead.
    Each step is W_l <- W_l - η ∂W_l with the gradients of mlcourse.nn.backprop
    (f'(z) = 1 if z > 0 else α).

    X: (n, p); y: (n,) labels in {0..K-1}; sizes: [p, n_1, ..., K] (>= 1 hidden layer);
    alphas: negative slopes in [0, 1] (0 = ReLU); lrs: learning rates > 0; steps: int >= 0;
    seed: int seed of the initialization; init: an initializer name.
    Returns: a LeakyGrid.
    """
    X = as_matrix(X, "X")
    sizes = list(sizes)
    if len(sizes) < 3:
        raise ValueError(f"sizes must have at least one hidden layer [p, n_1, ..., K]; got {sizes}")
    y = as_labels(y, "y", n=X.shape[0], classes=int(sizes[-1]))
    alphas, lrs = as_vector(np.atleast_1d(alphas), "alphas"), as_vector(np.atleast_1d(lrs), "lrs")
    if np.any((alphas < 0) | (alphas > 1)):
        raise ValueError(f"alphas must be in [0, 1]; got {alphas}")
    if np.any(lrs <= 0):
        raise ValueError(f"lrs must be > 0; got {lrs}")
    steps = as_count(steps, "steps", minimum=0)
    alpha = np.repeat(alphas, len(lrs))[:, None, None]            # (C, 1, 1), alpha-major
    lr = np.tile(lrs, len(alphas))[:, None, None]
    params = [(np.repeat(W[None], len(lr), axis=0), np.repeat(b[None, None], len(lr), axis=0))
              for W, b in nn.init_params(sizes, as_rng(seed), init)]
    curves = _descend(params, X, y, alpha, lr, steps)
    shape = (len(alphas), len(lrs))
    loss, acc, dead, alive = (c.reshape(shape + c.shape[1:]) for c in curves)
    return LeakyGrid(alphas, lrs, loss, acc, dead, ~alive)


def _forward(params, X, alpha):
    """Forward pass of the stacked networks, as mlcourse.nn.forward_layers but without the
    activations' finiteness checks (a diverging run overflows): (scores S, caches)."""
    A, caches = X, []
    for W, b in params[:-1]:
        Z, dense_cache = nn.dense_forward(A, W, b)
        caches.append(dense_cache + (Z,))
        A = np.maximum(Z, alpha * Z)                      # leaky_relu(Z, α) for 0 <= α <= 1
    S, dense_cache = nn.dense_forward(A, *params[-1])
    return S, caches + [dense_cache + (S,)]


def _descend(params, X, y, alpha, lr, steps):
    """Full-batch gradient descent of the C stacked networks; the gradients are those of
    mlcourse.nn.backprop (with a leading model axis), for the networks still alive: a
    network whose loss stops being finite is marked diverged and no longer updated.
    Returns: loss (C, steps + 1), accuracy, dead (C, steps + 1, L - 1), alive (C,)."""
    C, n, K = len(lr), X.shape[0], params[-1][0].shape[-1]
    Y, Xs, rows = np.eye(K)[y], np.broadcast_to(X, (C,) + X.shape), np.arange(n)
    loss, acc = np.full((C, steps + 1), np.nan), np.full((C, steps + 1), np.nan)
    dead = np.full((C, steps + 1, len(params) - 1), np.nan)
    alive = np.ones(C, dtype=bool)
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        for t in range(steps + 1):
            S, caches = _forward(params, Xs, alpha)
            S = S - S.max(axis=2, keepdims=True)
            E = np.exp(S)
            current = -np.mean(S[:, rows, y] - np.log(E.sum(axis=2)), axis=1)
            alive &= np.isfinite(current)
            loss[alive, t] = current[alive]
            acc[alive, t] = np.mean(S.argmax(axis=2) == y, axis=1)[alive]
            dead[alive, t] = np.stack([~(c[2] > 0).any(axis=1) for c in caches[:-1]],
                                      axis=2).mean(axis=1)[alive]
            if t == steps or not alive.any():
                break
            i = np.flatnonzero(alive)
            D = (E[i] / E[i].sum(axis=2, keepdims=True) - Y) / n
            grads = nn.backprop([tuple(a[i] for a in c) for c in caches], D, "leaky_relu", alpha[i])
            for l, (dW, db, _) in enumerate(grads):
                W, b = params[l][0].copy(), params[l][1].copy()
                W[i] -= lr[i] * dW
                b[i] -= lr[i] * db
                params[l] = (W, b)
    return loss, acc, dead, alive

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

from mlcourse.activations import leaky_relu
from mlcourse.nn import _check_params, _check_X, init_params
from mlcourse.validation import as_labels, as_matrix, as_rng, as_scalar, as_vector

__all__ = ["hidden_preactivations", "inactive_fraction", "dead_fraction", "LeakyGrid",
           "train_leaky_grid"]


def hidden_preactivations(params, X, alpha=0.0):
    """Pre-activations Z_l of the hidden layers of a (leaky) ReLU network:
    A_0 = X,  Z_l = A_{l-1} @ W_l + b_l,  A_l = max(α Z_l, Z_l)  for l = 1..L-1.

    params: [(W_l, b_l)] (>= 2 layers); X: (n, n_0); alpha: negative slope (0 = ReLU).
    Returns: a list of L - 1 arrays (n, n_l).
    """
    params = _check_params(params)
    if len(params) < 2:
        raise ValueError("params must have at least one hidden layer (2 or more (W, b) pairs)")
    A = _check_X(X, params)
    alpha = as_scalar(alpha, "alpha")
    Zs = []
    for W, b in params[:-1]:
        Z = A @ W + b
        Zs.append(Z)
        A = leaky_relu(Z, alpha)
    return Zs


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
    layer, in float64: at the largest learning rates the runs are close to diverging, and in
    float32 the rounding of another CPU's BLAS kernel changed which units ended up dead.
    Backward pass of each network: δ_L = (softmax(Z_L) - Y)/n,
    ∂W_l = A_{l-1}ᵀ δ_l, ∂b_l = Σ_rows δ_l, δ_{l-1} = (δ_l W_lᵀ) ⊙ f'(Z_{l-1}) with
    f'(z) = 1 if z > 0 else α; update W_l <- W_l - η ∂W_l.

    X: (n, p); y: (n,) labels in {0..K-1}; sizes: [p, n_1, ..., K] (>= 1 hidden layer);
    alphas: negative slopes in [0, 1] (0 = ReLU); lrs: learning rates > 0; steps: int >= 0;
    seed: int seed of the initialization; init: an initializer name.
    Returns: a LeakyGrid.
    """
    X = as_matrix(X, "X")
    sizes = list(sizes)
    if len(sizes) < 3:
        raise ValueError(f"sizes must have at least one hidden layer [p, n_1, ..., K]; got {sizes}")
    K = int(sizes[-1])
    y = as_labels(y, "y", n=X.shape[0], classes=K)
    alphas = as_vector(np.atleast_1d(alphas), "alphas")
    lrs = as_vector(np.atleast_1d(lrs), "lrs")
    if np.any((alphas < 0) | (alphas > 1)):
        raise ValueError(f"alphas must be in [0, 1]; got {alphas}")
    if np.any(lrs <= 0):
        raise ValueError(f"lrs must be > 0; got {lrs}")
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"steps must be an int >= 0; got {steps!r}")
    n_a, n_r = alphas.shape[0], lrs.shape[0]
    C = n_a * n_r
    alpha = np.repeat(alphas, n_r)[:, None, None]               # (C, 1, 1), alpha-major
    lr = np.tile(lrs, n_a)[:, None, None]
    params = [(np.repeat(W[None], C, axis=0), np.repeat(b[None, None], C, axis=0))
              for W, b in init_params(sizes, as_rng(seed), init, dtype=np.float64)]
    n, L = X.shape[0], len(params)
    Y, rows = np.eye(K)[y], np.arange(n)
    loss = np.full((C, steps + 1), np.nan)
    acc = np.full((C, steps + 1), np.nan)
    dead = np.full((C, steps + 1, L - 1), np.nan)
    alive = np.ones(C, dtype=bool)                              # not diverged (yet)
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        for t in range(steps + 1):
            A, cache = np.broadcast_to(X, (C,) + X.shape), []       # forward
            for W, b in params[:-1]:
                Z = A @ W + b
                active = Z > 0
                cache.append((A, active))
                A = np.maximum(Z, alpha * Z)                          # = max(αz, z) for α <= 1
            S = A @ params[-1][0] + params[-1][1]
            S = S - S.max(axis=2, keepdims=True)
            E = np.exp(S)
            log_norm = np.log(E.sum(axis=2))
            current = -np.mean(S[:, rows, y] - log_norm, axis=1)
            alive &= np.isfinite(current)
            loss[alive, t] = current[alive]
            acc[alive, t] = np.mean(S.argmax(axis=2) == y, axis=1)[alive]
            dead[alive, t] = np.stack([~active.any(axis=1) for _, active in cache],
                                      axis=2).mean(axis=1)[alive]
            if t == steps:
                break
            D = (E / E.sum(axis=2, keepdims=True) - Y) / n            # backward and update
            for l in range(L - 1, -1, -1):
                A_prev = cache[l][0] if l < L - 1 else A
                W, b = params[l]
                dW, db = A_prev.transpose(0, 2, 1) @ D, D.sum(axis=1, keepdims=True)
                if l > 0:
                    D = (D @ W.transpose(0, 2, 1)) * (alpha + (1 - alpha) * cache[l - 1][1])
                params[l] = (W - lr * dW, b - lr * db)
    shape = (n_a, n_r)
    return LeakyGrid(alphas, lrs, loss.reshape(shape + loss.shape[1:]),
                     acc.reshape(shape + acc.shape[1:]), dead.reshape(shape + dead.shape[1:]),
                     ~alive.reshape(shape))

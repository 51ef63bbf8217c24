"""Vanishing (and exploding) gradients: where the gradient of a deep network goes.

Three tools for lecture 6:

* the scalar chain  ŷ = σ(w_L σ(… σ(w_1 x + b_1) …) + b_L), whose derivative
  ∂ŷ/∂w_1 is a product of one factor w_k σ'(z_k) per layer (`chain_grad`);
* the back-propagated gradients δ_l = ∂ℓ/∂Z_l of an MLP, layer by layer, the
  quantity Glorot & Bengio (2010) plot as histograms (`backprop_deltas`), and
  the norms of the parameter gradients per layer (`layer_grad_norms`), which
  Nielsen (2015, ch. 5) calls the "speed of learning" of a layer;
* the initializations compared in those works (`init_network`, i.e. mlcourse.nn.init_params
  with the names of mlcourse.initializers): Glorot & Bengio's "standard"
  "fan_in_uniform", their normalized (Glorot) init, He init for ReLU, and the N(0, 1/n_in)
  weights with N(0, 1) biases of Nielsen's network2 ("lecun_normal", bias_std=1).

Conventions as in mlcourse.nn: params = [(W_1, b_1), ..., (W_L, b_L)], W_l of
shape (n_{l-1}, n_l), Z_l = A_{l-1} @ W_l + b_l, A_l = f(Z_l); the loss C is the
mean over the n rows of X of the per-example cross-entropy ℓ_i.
"""
import numpy as np

from mlcourse import nn
from mlcourse.activations import sigmoid, sigmoid_grad
from mlcourse.fast import sgd_train
from mlcourse.validation import as_array, as_scalar, as_targets, as_vector

__all__ = ["chain_forward", "chain_grad", "chain_factors", "init_network", "backprop_deltas",
           "layer_grad_norms", "gradient_ratio", "delta_histograms", "speed_during_training"]


# ------------------------------------------------------------------ the scalar chain

def _chain_inputs(ws, x, bs):
    ws = as_vector(ws, "ws")
    if ws.shape[0] == 0:
        raise ValueError("ws must hold at least one weight (one per layer); got length 0")
    x = as_scalar(x, "x")
    bs = np.zeros_like(ws) if bs is None else as_vector(bs, "bs", size=ws.shape[0])
    return ws, x, bs


def chain_forward(ws, x, bs=None):
    """Forward pass of the one-unit-per-layer chain
    a_0 = x,  z_k = w_k a_{k-1} + b_k,  a_k = σ(z_k)  (k = 1..L),  ŷ = a_L.

    ws: (L,) weights; x: a number; bs: (L,) biases (default zeros).
    Returns: z (L,) pre-activations and a (L + 1,) activations (a[0] = x, a[-1] = ŷ).
    """
    ws, x, bs = _chain_inputs(ws, x, bs)
    z, a = np.empty_like(ws), np.empty(ws.shape[0] + 1)
    a[0] = x
    for k in range(ws.shape[0]):
        z[k] = ws[k] * a[k] + bs[k]
        a[k + 1] = sigmoid(z[k])
    return z, a


def chain_factors(ws, x, bs=None):
    """The factors of ∂ŷ/∂w_1 = x σ'(z_1) Π_{k=2..L} w_k σ'(z_k), as an array
    [x σ'(z_1), w_2 σ'(z_2), ..., w_L σ'(z_L)] (their product is chain_grad).

    ws: (L,) weights; x: a number; bs: (L,) biases (default zeros).  Returns: (L,) array.
    """
    ws, x, bs = _chain_inputs(ws, x, bs)
    z, _ = chain_forward(ws, x, bs)
    factors = ws * sigmoid_grad(z)
    factors[0] = x * sigmoid_grad(z[0])
    return factors


def chain_grad(ws, x, bs=None):
    """∂ŷ/∂w_1 for the chain ŷ = σ(w_L σ(… σ(w_1 x + b_1) …) + b_L), by the chain rule:

        ∂ŷ/∂w_1 = σ'(z_L) w_L · σ'(z_{L-1}) w_{L-1} · … · σ'(z_2) w_2 · σ'(z_1) x.

    Since σ' <= 1/4, the product shrinks at least like (|w|/4)^(L-1) when all |w_k| <= |w|.
    ws: (L,) weights; x: a number; bs: (L,) biases (default zeros).  Returns: a float.
    """
    return float(np.prod(chain_factors(ws, x, bs)))


# ------------------------------------------------------------------ initializations

def init_network(sizes, rng, init="glorot_uniform", bias_std=0.0, dtype=np.float64):
    """MLP parameters for layer sizes [n_0, ..., n_L]: mlcourse.nn.init_params (W_l drawn by
    the initializer `init` of mlcourse.initializers, b_l ~ N(0, bias_std²)). Nielsen's
    network2 (ch. 3 and 5) is init="lecun_normal", bias_std=1.  Returns: [(W, b)]."""
    return nn.init_params(sizes, rng, init, dtype, bias_std)


# ------------------------------------------------------------------ back-propagated gradients

def backprop_deltas(params, X, y, hidden="sigmoid", output="softmax"):
    """Back-propagated gradients δ_l = ∂ℓ_i/∂Z_l of every layer, per example.

    With cross-entropy (softmax output, or one sigmoid unit per class as in Nielsen),
    δ_L = A_L - Y, and going down, δ_{l-1} = (δ_l W_lᵀ) ⊙ f'(Z_{l-1}).
    These are per-example gradients (of ℓ_i, not of the mean C = (1/n) Σ ℓ_i):
    the gradient of C is δ_l / n.

    params: [(W_l, b_l)]; X: (n, n_0); y: (n,) labels in {0, ..., n_L - 1};
    hidden: hidden activation name; output: "softmax" or "sigmoid".
    Returns: (deltas, caches): deltas a list of L arrays (n, n_l), first layer first;
    caches as returned by mlcourse.nn.forward.
    """
    if output not in ("softmax", "sigmoid"):
        raise ValueError(f"output must be one of ('softmax', 'sigmoid'); got {output!r}")
    A, caches = nn.forward(params, X, hidden, output)
    Y, _ = as_targets(y, *A.shape, nn.check_names(hidden, output, "cross_entropy"))
    return [delta for _, _, delta in nn.backprop(caches, A - Y, hidden)], caches


def layer_grad_norms(params, X, y, hidden="sigmoid", output="softmax", wrt="W"):
    """Norm of the gradient of the mean loss C with respect to each layer's parameters,
    first layer to last:  ||∂C/∂W_l||_F = ||A_{l-1}ᵀ δ_l||_F / n  (wrt="W"), or
    ||∂C/∂b_l|| = ||Σ_i δ_{l,i}|| / n  (wrt="b": Nielsen's "speed of learning").

    params: [(W_l, b_l)]; X: (n, n_0); y: (n,) labels; hidden: hidden activation;
    output: "softmax" or "sigmoid" (each with its cross-entropy); wrt: "W" or "b".
    Returns: (L,) array of norms.
    """
    if wrt not in ("W", "b"):
        raise ValueError(f"wrt must be 'W' or 'b'; got {wrt!r}")
    deltas, caches = backprop_deltas(params, X, y, hidden, output)
    n = deltas[0].shape[0]
    if wrt == "b":
        return np.array([np.linalg.norm(D.sum(axis=0)) / n for D in deltas])
    return np.array([np.linalg.norm(A_prev.T @ D) / n for D, (A_prev, *_) in zip(deltas, caches)])


def gradient_ratio(norms, first=0, last=-1):
    """How much faster layer `last` learns than layer `first`: norms[last] / norms[first].
    norms: 1-D array of positive gradient norms.  Returns: a float."""
    norms = as_vector(norms, "norms")
    if np.any(norms <= 0):
        raise ValueError("norms must be positive")
    return float(norms[last] / norms[first])


def delta_histograms(deltas, bins):
    """Normalized histograms of back-propagated gradients, one per layer (Glorot & Bengio, 2010,
    fig. 7): the fraction of entries of δ_l falling in each bin.

    deltas: list of arrays (any shape); bins: (m + 1,) increasing bin edges.
    Returns: (len(deltas), m) array; row l sums to the fraction of δ_l inside the bins.
    """
    bins = as_vector(bins, "bins")
    if bins.shape[0] < 2 or np.any(np.diff(bins) <= 0):
        raise ValueError("bins must be an increasing 1-D array of at least 2 edges")
    if not isinstance(deltas, (list, tuple)) or not deltas:
        raise TypeError("deltas must be a non-empty list of arrays")
    rows = []
    for l, D in enumerate(deltas):
        D = as_array(D, f"deltas[{l}]")
        rows.append(np.histogram(D.ravel(), bins=bins)[0] / D.size)
    return np.array(rows)


# ------------------------------------------------------------------ during training

def speed_during_training(params, X, y, *, epochs, batch_size=10, lr=0.1, l2=0.0,
                          hidden="sigmoid", output="sigmoid", rng, wrt="b"):
    """Nielsen's (ch. 5) "speed of learning" of each layer along a training run: the
    gradient norms of layer_grad_norms on the whole (X, y), before training and after
    each epoch of mlcourse.fast.sgd_train.

    l2 is the course's penalty weight (λ/2 Σ||W||² on the mean loss, docs/DESIGN.md);
    Nielsen's λ' (his λ'/(2n) convention) is l2 = λ' / n.
    params: initial [(W_l, b_l)] (not modified); epochs, batch_size, lr, hidden, output,
    rng: as in sgd_train; wrt: "W" or "b".
    Returns: (epochs + 1, L) array; row 0 is at initialization.
    """
    rows = [layer_grad_norms(params, X, y, hidden, output, wrt)]

    def record(epoch, snapshot, history):
        rows.append(layer_grad_norms(snapshot, X, y, hidden, output, wrt))

    sgd_train(params, X, y, epochs=epochs, batch_size=batch_size, lr=lr,
              l2=as_scalar(l2, "l2"), hidden=hidden, output=output, rng=rng,
              callback=record, monitor_train=False)
    return np.array(rows)

"""The reference multilayer perceptron (MLP): the appendix page of lectures 4 and 5.

A network is a list `params = [(W_1, b_1), ..., (W_L, b_L)]`; layer l computes

    Z_l = A_{l-1} @ W_l + b_l,   A_l = f(Z_l)      (A_0 = X)

with W_l of shape (n_{l-1}, n_l), b_l of shape (n_l,), a hidden activation f (the
keyword `hidden=`, a name of mlcourse.activations.ACTIVATIONS) and an output
activation ("softmax", "sigmoid" or "identity") on the last layer.

Every layer is a pair of functions in the shape of Stanford's CS231n:

    dense_forward(X, W, b) -> (out, cache)        dense_backward(dout, cache) -> (dX, dW, db)
    activation_forward(Z, name) -> (A, cache)     activation_backward(dA, cache) -> dZ

`forward` chains them and keeps the caches; `backward` starts from the output error
δ_L = dLoss/dZ_L (`output_delta`) and walks the same layers back (`backprop`):

    dW_l = A_{l-1}ᵀ δ_l,   db_l = Σ_rows δ_l,   δ_{l-1} = (δ_l W_lᵀ) ⊙ f'(Z_{l-1}).

The loss is the MEAN over the rows of the batch. The natural (output, loss) pairs:

    softmax  + cross_entropy          δ_L = (P - Y) / n            (Y = onehot(y))
    sigmoid  + binary_cross_entropy   δ_L = (A - Y) / n            (Nielsen ch. 3)
    identity + mse                    δ_L = 2 (A - Y) / (n K)
    sigmoid  + mse                    δ_L = 2 (A - Y) / (n K) ⊙ σ'(Z_L)   (Nielsen ch. 1-2)

L2 penalty, the course's one convention (docs/DESIGN.md): the objective is
mean loss + λ/2 Σ_l ||W_l||² (biases not penalized), so the gradient gains λ W_l and one
step is `W <- W - η (dW + λ W) = (1 - η λ) W - η dW` (weight decay). Nielsen writes
λ'/(2n) Σ||W||² for n training images: his λ' = 5 on 50,000 images is λ = 1e-4 here.

Options of the engine: `alpha`, the slope of "leaky_relu" on z <= 0; `p_drop`, inverted
dropout after every hidden layer (mask m ~ Bernoulli(1 - p) / (1 - p), needs `rng`).
`train` is the plain training loop; `mlcourse.fast.sgd_train` does the same arithmetic
in place on preallocated buffers (tests/test_fast.py proves they agree).
"""
import numpy as np

from mlcourse import losses
from mlcourse.activations import ACTIVATIONS, sigmoid, softmax
from mlcourse.initializers import init_weights
from mlcourse.validation import (as_count, as_inputs, as_labels, as_nonnegative, as_params,
                                 as_rng, as_scalar, as_sizes, as_targets)

__all__ = ["dense_forward", "dense_backward", "activation_forward", "activation_backward",
           "dropout_forward", "output_forward", "output_delta", "init_params", "forward_layers",
           "forward", "backprop", "backward", "mean_loss", "compute_loss", "step", "train",
           "predict", "classes", "accuracy", "mlp_forward", "mlp_grads", "check_names", "OUTPUTS"]

OUTPUTS = ("softmax", "sigmoid", "identity")
NATURAL_LOSS = {"softmax": "cross_entropy", "sigmoid": "binary_cross_entropy", "identity": "mse"}
PAIRS = {("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy"),
         ("sigmoid", "mse"), ("identity", "mse")}


def check_names(hidden, output, loss=None):
    """Validate the activation names; return the loss (None: the natural one for output)."""
    if hidden not in ACTIVATIONS:
        raise ValueError(f"hidden must be one of {sorted(ACTIVATIONS)}; got {hidden!r}")
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}; got {output!r}")
    loss = NATURAL_LOSS[output] if loss is None else loss
    if loss == "cross_entropy" and output == "sigmoid":
        loss = "binary_cross_entropy"          # Nielsen's "cross-entropy" for sigmoid units
    if (output, loss) not in PAIRS:
        raise ValueError(f"loss {loss!r} cannot be used with output {output!r}; "
                         f"use one of {sorted(PAIRS)}")
    return loss


# ------------------------------------------------------------------ the layers

def dense_forward(X, W, b):
    """Dense (fully connected) layer: out = X @ W + b.
    X: (n, n_in); W: (n_in, n_out); b: (n_out,).  Returns: out (n, n_out), cache = (X, W).
    (Leading axes are allowed: a stack of M models has X (M, n, n_in), W (M, n_in, n_out).)"""
    return X @ W + b, (X, W)


def dense_backward(dout, cache):
    """Backward pass of dense_forward, given dout = dLoss/dout (n, n_out) and its cache (X, W):
    dX = dout @ Wᵀ (n, n_in),  dW = Xᵀ @ dout (n_in, n_out),  db = Σ_rows dout (n_out,)."""
    X, W = cache
    db = dout.sum(axis=-2, keepdims=dout.ndim > 2)
    return dout @ np.swapaxes(W, -1, -2), np.swapaxes(X, -1, -2) @ dout, db


def activation_forward(Z, name, alpha=0.01):
    """A = f(Z) for the activation `name` (alpha: the slope of leaky_relu for z <= 0).
    Returns: A (shape of Z) and cache = (Z, name, alpha)."""
    f = ACTIVATIONS[name][0]
    A = f(Z, alpha) if name == "leaky_relu" else f(Z)
    return A.astype(Z.dtype, copy=False), (Z, name, alpha)


def activation_backward(dA, cache):
    """dZ = dA ⊙ f'(Z), from the cache (Z, name, alpha) of activation_forward."""
    Z, name, alpha = cache
    fprime = ACTIVATIONS[name][1]
    return dA * (fprime(Z, alpha) if name == "leaky_relu" else fprime(Z)).astype(Z.dtype)


def dropout_forward(A, p_drop, rng):
    """Inverted dropout: A ⊙ m with m = [u < 1 - p] / (1 - p), u ~ U[0, 1) drawn from rng
    (p may be an array broadcasting against A, one rate per model of a stack).
    Returns: the dropped activations and the scaled mask m (backward: dA ⊙ m)."""
    keep = 1.0 - p_drop
    mask = (rng.random(A.shape) < keep) / keep
    return A * mask, mask


def output_forward(Z, output):
    """The output activation: softmax (along the last axis), sigmoid or identity."""
    if output == "softmax":
        return softmax(Z)
    return sigmoid(Z) if output == "sigmoid" else Z


def output_delta(A, Y, output, loss):
    """δ_L = dLoss/dZ_L of the mean loss, from the outputs A and targets Y (n, K)."""
    n, K = A.shape[-2:]
    if loss in ("cross_entropy", "binary_cross_entropy"):
        return (A - Y) / n
    D = 2.0 * (A - Y) / (n * K)
    return D * A * (1.0 - A) if output == "sigmoid" else D


# ------------------------------------------------------------------ the network

def init_params(sizes, rng, init="glorot_uniform", dtype=np.float64, bias_std=0.0):
    """Parameters of an MLP with layer sizes [n_0, n_1, ..., n_L] (n_0 = input features).

    init: a name of mlcourse.initializers.INITIALIZERS; W_l = init(n_{l-1}, n_l);
    b_l ~ N(0, bias_std²), zeros by default (Nielsen's network2: "lecun_normal", 1.0).
    rng: Generator (or int seed); dtype: float64 or float32.
    Returns: [(W_1, b_1), ..., (W_L, b_L)], W_l (n_{l-1}, n_l), b_l (n_l,).
    """
    sizes, rng = as_sizes(sizes), as_rng(rng)
    bias_std = as_nonnegative(bias_std, "bias_std")
    if np.dtype(dtype) not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {np.dtype(dtype)}")
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        W = init_weights(init, n_in, n_out, rng)
        b = rng.standard_normal(n_out) * bias_std if bias_std else np.zeros(n_out)
        params.append((W.astype(dtype), b.astype(dtype)))
    return params


def forward_layers(params, X, hidden, output, alpha=0.01, p_drop=0.0, rng=None):
    """forward without the checks (leading axes allowed: a stack of models, see
    mlcourse.regularization.train_many): caches[l] = (A_{l-1}, W_l, Z_l[, dropout mask])."""
    A, caches = X, []
    for l, (W, b) in enumerate(params):
        Z, (A_prev, _) = dense_forward(A, W, b)
        if l == len(params) - 1:
            caches.append((A_prev, W, Z))
            return output_forward(Z, output).astype(Z.dtype, copy=False), caches
        A, _ = activation_forward(Z, hidden, alpha)
        if p_drop is not None and np.any(p_drop):
            A, mask = dropout_forward(A, p_drop, rng)
            caches.append((A_prev, W, Z, mask))
        else:
            caches.append((A_prev, W, Z))


def forward(params, X, hidden="relu", output="softmax", *, alpha=0.01, p_drop=0.0, rng=None):
    """Forward pass: out = A_L (n, n_L) and caches, one per layer: (A_{l-1}, W_l, Z_l),
    plus the dropout mask of A_l when p_drop > 0 (then rng, a Generator, is needed).
    params: [(W_l, b_l)]; X: (n, n_0); hidden, output: names (module docstring)."""
    params = as_params(params)
    X = as_inputs(X, params)
    check_names(hidden, output)
    p_drop = as_nonnegative(p_drop, "p_drop")
    if p_drop >= 1:
        raise ValueError(f"p_drop must be a drop probability in [0, 1); got {p_drop}")
    return forward_layers(params, X, hidden, output, as_scalar(alpha, "alpha"), p_drop,
                           as_rng(rng) if p_drop else None)


def backprop(caches, delta, hidden, alpha=0.01):
    """The backward recursion, from δ_L = delta through the caches of forward:
    dA_{l-1}, dW_l, db_l = dense_backward(δ_l, (A_{l-1}, W_l)),
    δ_{l-1} = activation_backward(dA_{l-1} ⊙ dropout mask, Z_{l-1}).
    Returns: [(dW_l, db_l, δ_l)], first layer first (leading axes allowed, no checks)."""
    out = [None] * len(caches)
    for l in range(len(caches) - 1, -1, -1):
        dA, dW, db = dense_backward(delta, caches[l][:2])
        out[l] = (dW, db, delta)
        if l > 0:
            below = caches[l - 1]
            dA = dA * below[3] if len(below) > 3 else dA
            delta = activation_backward(dA, (below[2], hidden, alpha))
    return out


def backward(params, caches, y, hidden="relu", output="softmax", loss=None, l2=0.0,
             alpha=0.01):
    """Gradients of the mean loss (+ l2/2 Σ||W||²) with respect to every W_l and b_l.

    caches: from forward(params, X, hidden, output, ...); y: (n,) integer labels (or for
    mse real targets (n,) / (n, K)); loss: None picks the natural one for output.
    Returns: [(dW_l, db_l)] with the shapes and dtype of params.
    """
    params = as_params(params)
    loss = check_names(hidden, output, loss)
    if not isinstance(caches, (list, tuple)) or len(caches) != len(params):
        raise ValueError(f"caches must be the list returned by forward ({len(params)} layers); "
                         f"got {type(caches).__name__}")
    Z_last = caches[-1][2]
    Y, _ = as_targets(y, *Z_last.shape, loss)
    delta = output_delta(output_forward(Z_last, output), Y, output, loss)
    l2 = as_nonnegative(l2, "l2")
    return [((dW + l2 * W).astype(W.dtype, copy=False), db.astype(W.dtype, copy=False))
            for (W, _), (dW, db, _) in zip(params, backprop(caches, delta, hidden, alpha))]


def mean_loss(A, y, loss):
    """The mean loss of the outputs A (n, K) against y (labels, or real targets for mse)."""
    Y, labels = as_targets(y, *A.shape, loss)
    if loss == "cross_entropy":
        return float(losses.cross_entropy(A, labels))
    if loss == "binary_cross_entropy":
        return float(losses.binary_cross_entropy(A, Y.astype(int)))
    return float(losses.mse(A, Y))


def compute_loss(params, X, y, hidden="relu", output="softmax", loss=None, l2=0.0,
                 alpha=0.01):
    """The objective: mean loss over the rows of X + l2/2 Σ_l ||W_l||².  Returns: a float."""
    loss = check_names(hidden, output, loss)
    A, _ = forward(params, X, hidden, output, alpha=alpha)
    penalty = sum(float(np.sum(W.astype(float) ** 2)) for W, _ in params)
    return mean_loss(A, y, loss) + as_nonnegative(l2, "l2") / 2 * penalty


def step(params, grads, lr):
    """One gradient step: a NEW list [(W - lr dW, b - lr db)] (params is not modified)."""
    return [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]


def train(params, X, y, *, lr, epochs, batch_size, rng, hidden="relu", output="softmax",
          loss=None, l2=0.0, X_val=None, y_val=None):
    """Mini-batch SGD, the plain loop: each epoch shuffles the rows with rng, and for each
    batch of `batch_size` rows (the last may be smaller) takes one `step` on the gradient
    of the batch's mean loss + l2/2 Σ||W||² (weight decay).

    Returns: (new params, history) with, per epoch, "train_loss" and "train_accuracy" on
    the whole (X, y) and, when X_val is given, "val_loss" and "val_accuracy" (the losses
    without the L2 term). The input params are not modified.
    """
    params, lr = as_params(params), as_scalar(lr, "lr", positive=True)
    X, y = as_inputs(X, params), np.asarray(y)
    epochs, batch_size = as_count(epochs, "epochs"), as_count(batch_size, "batch_size")
    rng = as_rng(rng)
    history = {"train_loss": [], "train_accuracy": []}
    history.update({"val_loss": [], "val_accuracy": []} if X_val is not None else {})
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for k in range(0, len(X), batch_size):
            batch = order[k:k + batch_size]
            _, caches = forward(params, X[batch], hidden, output)
            grads = backward(params, caches, y[batch], hidden, output, loss, l2)
            params = step(params, grads, lr)
        for part, (Xs, ys) in {"train": (X, y), "val": (X_val, y_val)}.items():
            if Xs is not None:                        # one forward pass per data set
                A, _ = forward(params, Xs, hidden, output)
                history[f"{part}_loss"].append(mean_loss(A, ys, check_names(hidden, output, loss)))
                history[f"{part}_accuracy"].append(float(np.mean(classes(A) == np.asarray(ys))))
    return params, history


def predict(params, X, hidden="relu", output="softmax"):
    """Predicted classes (n,): argmax of the outputs (K > 1), or output >= 0.5 (K = 1)."""
    return classes(forward(params, X, hidden, output)[0])


def classes(A):
    """Classes (n,) from outputs A (n, K): argmax of each row, or A >= 0.5 when K = 1."""
    return (A[:, 0] >= 0.5).astype(int) if A.shape[1] == 1 else A.argmax(axis=1)


def accuracy(params, X, y, hidden="relu", output="softmax"):
    """Fraction of the rows of X whose predicted class equals y: a float in [0, 1]."""
    pred = predict(params, X, hidden, output)
    y = as_labels(y, "y", n=pred.shape[0], classes=max(2, params[-1][0].shape[1]))
    return float(np.mean(pred == y))


def mlp_forward(params, X):
    """Class probabilities (n, K) of a ReLU MLP with a softmax output (lecture 4)."""
    return forward(params, X, "relu", "softmax")[0]


def mlp_grads(params, X, y):
    """Gradients [(dW_l, db_l)] of cross_entropy(mlp_forward(params, X), y) (lecture 5)."""
    _, caches = forward(params, X, "relu", "softmax")
    return backward(params, caches, y, "relu", "softmax", "cross_entropy")

"""The reference multilayer perceptron (MLP), written with NumPy only.

A network is a list `params = [(W1, b1), ..., (WL, bL)]`; layer l computes

    Z_l = A_{l-1} @ W_l + b_l,   A_l = f(Z_l)      (A_0 = X)

with W_l of shape (n_{l-1}, n_l), b_l of shape (n_l,), a hidden activation f
(see mlcourse.activations.ACTIVATIONS) and an output activation
("softmax", "sigmoid" or "identity") on the last layer.

Backpropagation walks the same layers backwards. The output error
δ_L = dLoss/dZ_L is simple for the three natural pairs

    softmax  + cross_entropy          δ_L = (P - Y) / n            (Y = onehot(y))
    sigmoid  + binary_cross_entropy   δ_L = (A - Y) / n            (Nielsen ch. 3)
    identity + mse                    δ_L = 2 (A - Y) / (n K)
    sigmoid  + mse                    δ_L = 2 (A - Y) / (n K) * σ'(Z_L)   (Nielsen ch. 1-2)

and then, for every layer, dW_l = A_{l-1}ᵀ δ_l,  db_l = Σ_rows δ_l,
δ_{l-1} = (δ_l W_lᵀ) * f'(Z_{l-1}).

L2 regularization follows Nielsen (ch. 3): Loss = Loss_0 + λ/(2 n_total) Σ_l ||W_l||²
(biases are not penalized), i.e. weight decay W <- (1 - lr λ / n_total) W - lr dLoss_0/dW.

`sgd_train` is the fast trainer used on MNIST: same mathematics, but it works
in place on private copies of the parameters and preallocated buffers.
"""
import numpy as np
from scipy.special import expit

from mlcourse import losses as _losses
from mlcourse.activations import ACTIVATIONS, sigmoid, softmax
from mlcourse.initializers import INITIALIZERS
from mlcourse.validation import as_array, as_labels, as_rng

__all__ = ["dense_forward", "dense_backward", "dense_backward_xw", "init_params",
           "forward", "backward", "compute_loss", "mlp_forward", "mlp_grads",
           "sgd_train", "predict", "accuracy", "MLPClassifier", "OUTPUTS", "LOSSES"]

OUTPUTS = ("softmax", "sigmoid", "identity")
LOSSES = ("cross_entropy", "binary_cross_entropy", "mse")
_NATURAL_LOSS = {"softmax": "cross_entropy", "sigmoid": "binary_cross_entropy",
                 "identity": "mse"}
_ALLOWED = {("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy"),
            ("sigmoid", "mse"), ("identity", "mse")}


# ------------------------------------------------------------------ validation

def _floats(a, name, ndim):
    """A finite float array with `ndim` dimensions; float32 stays float32, anything
    else becomes float64. Never copies a float array unnecessarily."""
    dtype = np.float32 if getattr(a, "dtype", None) == np.float32 else np.float64
    arr = as_array(a, name, dtype=dtype)
    if arr.ndim != ndim:
        shape = {1: "(n,)", 2: "(n, p)"}[ndim]
        raise ValueError(f"{name} must be a {ndim}-D array of shape {shape}; "
                         f"got shape {arr.shape}")
    return arr


def _check_params(params):
    """params as a list of (W, b) float arrays whose shapes chain."""
    if not isinstance(params, (list, tuple)) or len(params) == 0:
        raise TypeError(f"params must be a non-empty list of (W, b) pairs; "
                        f"got {type(params).__name__}")
    out = []
    for l, layer in enumerate(params):
        if not isinstance(layer, (list, tuple)) or len(layer) != 2:
            raise TypeError(f"params[{l}] must be a pair (W, b); got {type(layer).__name__}")
        W = _floats(layer[0], f"params[{l}] W", 2)
        b = _floats(layer[1], f"params[{l}] b", 1)
        if b.shape[0] != W.shape[1]:
            raise ValueError(f"params[{l}] b must have length {W.shape[1]} (the columns "
                             f"of W {W.shape}); got shape {b.shape}")
        if l > 0 and W.shape[0] != out[-1][0].shape[1]:
            raise ValueError(f"params[{l}] W must have {out[-1][0].shape[1]} rows (the "
                             f"outputs of layer {l - 1}); got shape {W.shape}")
        out.append((W, b))
    return out


def _check_X(X, params, name="X"):
    X = _floats(X, name, 2)
    p = params[0][0].shape[0]
    if X.shape[1] != p:
        raise ValueError(f"{name} must have {p} columns (the rows of the first W); "
                         f"got shape {X.shape}")
    return X


def _check_names(hidden, output, loss=None):
    if hidden not in ACTIVATIONS:
        raise ValueError(f"hidden must be one of {sorted(ACTIVATIONS)}; got {hidden!r}")
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}; got {output!r}")
    if loss is None:
        loss = _NATURAL_LOSS[output]
    if loss == "cross_entropy" and output == "sigmoid":
        loss = "binary_cross_entropy"          # Nielsen's "cross-entropy" for sigmoid units
    if (output, loss) not in _ALLOWED:
        raise ValueError(f"loss {loss!r} cannot be used with output {output!r}; use one of "
                         f"{sorted(_ALLOWED)}")
    return loss


def _targets(y, n, K, loss, name="y"):
    """The target matrix Y (n, K) and the integer labels (or None for regression).

    Integer labels (n,) are one-hot encoded when K > 1, and used as a column when K = 1
    (then they must be 0/1 for the cross-entropies). For mse, real targets (n,) or
    (n, K) are accepted as they are.
    """
    arr = np.asarray(y)
    if loss == "mse" and not (arr.ndim == 1 and K > 1):
        t = as_array(y, name)
        if t.ndim == 1:
            t = t[:, None]
        if t.shape != (n, K):
            raise ValueError(f"{name} must have shape ({n},) or ({n}, {K}) for the mse loss; "
                             f"got shape {np.shape(y)}")
        labels = as_labels(t[:, 0], name, n=n) if K == 1 and np.isin(t, (0, 1)).all() else None
        return t, labels
    labels = as_labels(y, name, n=n, classes=(K if K > 1 else 2))
    if K == 1:
        return labels[:, None].astype(float), labels
    Y = np.zeros((n, K))
    Y[np.arange(n), labels] = 1.0
    return Y, labels


# ------------------------------------------------------------------ one dense layer

def dense_forward(X, W, b):
    """Dense (fully connected) layer: out = X @ W + b.

    X: (n, n_in) inputs; W: (n_in, n_out) weights; b: (n_out,) biases.
    Returns: out (n, n_out) and cache = (X, W) for dense_backward.
    """
    (W, b), = _check_params([(W, b)])
    X = _check_X(X, [(W, b)])
    return X @ W + b, (X, W)


def dense_backward_xw(dout, X, W):
    """Backward pass of out = X @ W + b, given dout = dLoss/dout:
    dX = dout @ Wᵀ,  dW = Xᵀ @ dout,  db = Σ_rows dout.

    dout: (n, n_out); X: (n, n_in); W: (n_in, n_out).
    Returns: dX (n, n_in), dW (n_in, n_out), db (n_out,).
    """
    W = _floats(W, "W", 2)
    X = _floats(X, "X", 2)
    dout = _floats(dout, "dout", 2)
    if X.shape[1] != W.shape[0]:
        raise ValueError(f"X must have {W.shape[0]} columns (the rows of W); got shape {X.shape}")
    if dout.shape != (X.shape[0], W.shape[1]):
        raise ValueError(f"dout must have shape {(X.shape[0], W.shape[1])} (n, n_out); "
                         f"got shape {dout.shape}")
    return dout @ W.T, X.T @ dout, dout.sum(axis=0)


def dense_backward(dout, cache):
    """Backward pass of dense_forward: cache = (X, W) as returned by it.
    dout: (n, n_out).  Returns: dX (n, n_in), dW (n_in, n_out), db (n_out,)."""
    X, W = cache
    return dense_backward_xw(dout, X, W)


# ------------------------------------------------------------------ the network

def init_params(sizes, rng, init="glorot_uniform", dtype=np.float64):
    """Parameters of an MLP with layer sizes [n_0, n_1, ..., n_L] (n_0 = input features).

    sizes: sequence of >= 2 positive ints; rng: Generator (or int seed);
    init: a name in mlcourse.initializers.INITIALIZERS; dtype: float64 or float32.
    Returns: [(W1, b1), ..., (WL, bL)] with W_l (n_{l-1}, n_l) and b_l = zeros (n_l,).
    """
    sizes = list(sizes) if not isinstance(sizes, (str, bytes)) else None
    if not sizes or len(sizes) < 2 or not all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s > 0 for s in sizes):
        raise ValueError(f"sizes must be a list of >= 2 positive ints (input, ..., output); "
                         f"got {sizes!r}")
    if init not in INITIALIZERS:
        raise ValueError(f"init must be one of {sorted(INITIALIZERS)}; got {init!r}")
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {dtype}")
    rng = as_rng(rng)
    return [(INITIALIZERS[init](int(a), int(b), rng).astype(dtype), np.zeros(int(b), dtype))
            for a, b in zip(sizes[:-1], sizes[1:])]


def _output_activation(Z, output):
    if output == "softmax":
        return softmax(Z)
    if output == "sigmoid":
        return sigmoid(Z)
    return Z


def forward(params, X, hidden="relu", output="softmax"):
    """Forward pass of the MLP.

    params: [(W_l, b_l)]; X: (n, n_0); hidden: name of the hidden activation;
    output: "softmax" | "sigmoid" | "identity".
    Returns: out (n, n_L) -- the network's output A_L -- and caches, a list with,
    for each layer, (A_prev, W, Z) where Z = A_prev @ W + b.
    """
    params = _check_params(params)
    X = _check_X(X, params)
    _check_names(hidden, output)
    f = ACTIVATIONS[hidden][0]
    A, caches = X, []
    for l, (W, b) in enumerate(params):
        Z = A @ W + b
        caches.append((A, W, Z))
        A = f(Z).astype(Z.dtype, copy=False) if l < len(params) - 1 else \
            _output_activation(Z, output).astype(Z.dtype, copy=False)
    return A, caches


def _output_delta(A, Z, Y, loss, output):
    """δ_L = dLoss/dZ_L for the supported (output, loss) pairs (see module docstring)."""
    n, K = A.shape
    if loss in ("cross_entropy", "binary_cross_entropy"):
        return (A - Y) / n
    D = 2.0 * (A - Y) / (n * K)
    if output == "sigmoid":
        D = D * A * (1.0 - A)
    return D


def backward(params, caches, y, hidden="relu", output="softmax", loss=None,
             l2=0.0, n_total=None):
    """Backpropagation: gradients of the loss with respect to every W_l and b_l.

    params: [(W_l, b_l)]; caches: from forward(params, X, hidden, output);
    y: (n,) integer labels (or, for mse, real targets (n,) / (n, K));
    loss: "cross_entropy" (softmax), "binary_cross_entropy" (sigmoid, one unit per
    class, Nielsen ch. 3), "mse" (identity or sigmoid); None picks the natural one.
    l2: λ of the penalty λ/(2 n_total) Σ||W||² (n_total defaults to n).
    Returns: [(dW_l, db_l)] with the shapes of params.
    """
    params = _check_params(params)
    loss = _check_names(hidden, output, loss)
    if not isinstance(caches, (list, tuple)) or len(caches) != len(params):
        raise ValueError(f"caches must be the list returned by forward ({len(params)} layers); "
                         f"got {type(caches).__name__}")
    fprime = ACTIVATIONS[hidden][1]
    A_prev, W_last, Z_last = caches[-1]
    n, K = Z_last.shape
    Y, _ = _targets(y, n, K, loss)
    A_out = _output_activation(Z_last, output)
    D = _output_delta(A_out, Z_last, Y, loss, output)
    l2 = float(l2)
    n_total = n if n_total is None else n_total
    grads = []
    for l in range(len(params) - 1, -1, -1):
        A_prev, W, _ = caches[l]
        dW, db = A_prev.T @ D, D.sum(axis=0)
        if l2:
            dW = dW + (l2 / n_total) * W
        grads.append((dW.astype(W.dtype, copy=False), db.astype(W.dtype, copy=False)))
        if l > 0:
            D = (D @ W.T) * fprime(caches[l - 1][2])
    return grads[::-1]


def compute_loss(params, X, y, hidden="relu", output="softmax", loss=None,
                 l2=0.0, n_total=None):
    """The training objective Loss_0(params; X, y) + λ/(2 n_total) Σ_l ||W_l||².

    Arguments as in forward and backward. Returns: a float.
    """
    loss = _check_names(hidden, output, loss)
    A, caches = forward(params, X, hidden, output)
    n, K = A.shape
    Y, labels = _targets(y, n, K, loss)
    if loss == "cross_entropy":
        value = _losses.cross_entropy(A, labels)
    elif loss == "binary_cross_entropy":
        value = _losses.binary_cross_entropy(A, Y.astype(int))
    else:
        value = _losses.mse(A, Y)
    if l2:
        n_total = n if n_total is None else n_total
        value += float(l2) / (2 * n_total) * sum(float(np.sum(W.astype(float) ** 2))
                                                 for W, _ in params)
    return value


def mlp_forward(params, X):
    """Class probabilities of a ReLU MLP with a softmax output:
    forward(params, X, hidden="relu", output="softmax")[0].

    params: [(W_l, b_l)]; X: (n, n_0).  Returns: (n, K) probabilities.
    """
    return forward(params, X, "relu", "softmax")[0]


def mlp_grads(params, X, y):
    """Gradients of cross_entropy(mlp_forward(params, X), y) (ReLU hidden, softmax output).

    params: [(W_l, b_l)]; X: (n, n_0); y: (n,) labels in {0, ..., K-1}.
    Returns: [(dW_l, db_l)] with the shapes of params.
    """
    _, caches = forward(params, X, "relu", "softmax")
    return backward(params, caches, y, "relu", "softmax", "cross_entropy")


def predict(params, X, hidden="relu", output="softmax"):
    """Predicted classes: argmax of the outputs (K > 1), or output >= 0.5 (K = 1).
    params: [(W_l, b_l)]; X: (n, n_0).  Returns: (n,) int array."""
    A, _ = forward(params, X, hidden, output)
    if A.shape[1] == 1:
        return (A[:, 0] >= 0.5).astype(int)
    return A.argmax(axis=1)


def accuracy(params, X, y, hidden="relu", output="softmax"):
    """Fraction of the rows of X whose predicted class equals y.
    params: [(W_l, b_l)]; X: (n, n_0); y: (n,) labels.  Returns: a float in [0, 1]."""
    pred = predict(params, X, hidden, output)
    y = as_labels(y, "y", n=pred.shape[0], classes=max(2, params[-1][0].shape[1]))
    return float(np.mean(pred == y))


# ------------------------------------------------------------------ fast training

def _hidden_inplace(hidden):
    """(f, dmul): f(Z) overwrites Z with A = f(Z); dmul(dA, A, tmp) multiplies dA in
    place by f'(Z) expressed through A (possible for all our hidden activations)."""
    alpha = 0.01

    def sig_d(dA, A, tmp):
        np.subtract(1, A, out=tmp)
        tmp *= A
        dA *= tmp

    def tanh_d(dA, A, tmp):
        np.multiply(A, A, out=tmp)
        np.subtract(1, tmp, out=tmp)
        dA *= tmp

    def relu_d(dA, A, tmp):
        np.greater(A, 0, out=tmp)
        dA *= tmp

    def leaky_f(Z):
        np.multiply(Z, np.where(Z > 0, 1, alpha).astype(Z.dtype), out=Z)

    def leaky_d(dA, A, tmp):
        dA *= np.where(A > 0, 1, alpha).astype(A.dtype)

    table = {
        "sigmoid": (lambda Z: expit(Z, out=Z), sig_d),
        "tanh": (lambda Z: np.tanh(Z, out=Z), tanh_d),   # internal fast path only
        "relu": (lambda Z: np.maximum(Z, 0, out=Z), relu_d),
        "leaky_relu": (leaky_f, leaky_d),
        "linear": (lambda Z: None, lambda dA, A, tmp: None),
    }
    return table[hidden]


def _output_inplace(Z, output):
    if output == "softmax":
        Z -= Z.max(axis=1, keepdims=True)
        np.exp(Z, out=Z)
        Z /= Z.sum(axis=1, keepdims=True)
    elif output == "sigmoid":
        expit(Z, out=Z)


def _make_step(Ws, bs, m, hidden, output, loss, lr, decay):
    """Buffers for mini-batches of m rows and a function step() doing one SGD update
    of Ws, bs in place from the batch in Xb (inputs) and Yb (targets).

    The output error is computed already multiplied by lr, D = lr δ_L, so that
    every gradient below is lr * gradient and the update is a plain subtraction.
    Views (A_prev.T, W.T) are made once here: the buffers and weights are only
    ever modified in place, so the views stay valid.
    """
    dtype, L = Ws[0].dtype, len(Ws)
    sizes = [Ws[0].shape[0]] + [W.shape[1] for W in Ws]
    K = sizes[-1]
    Xb = np.empty((m, sizes[0]), dtype)
    Yb = np.empty((m, K), dtype)
    Zs = [np.empty((m, k), dtype) for k in sizes[1:]]     # Z_l, then A_l in place
    P, col, T = Zs[-1], np.empty((m, 1), dtype), np.empty((m, K), dtype)
    f_hidden, d_hidden = _hidden_inplace(hidden)
    hidden_layers = [(Ws[l], bs[l], Zs[l]) for l in range(L - 1)]
    W_out, b_out, A_last = Ws[-1], bs[-1], (Zs[-2] if L > 1 else Xb)
    back = []                                             # from the last layer to the first
    for l in range(L - 1, -1, -1):
        A_prev = Xb if l == 0 else Zs[l - 1]
        dA = np.empty((m, sizes[l]), dtype) if l > 0 else None
        tmp = np.empty((m, sizes[l]), dtype) if l > 0 else None
        back.append((A_prev, A_prev.T, Ws[l], Ws[l].T, bs[l],
                     np.empty((sizes[l], sizes[l + 1]), dtype), np.empty(sizes[l + 1], dtype),
                     dA, tmp))
    c = 2.0 * lr / (m * K) if loss == "mse" else lr / m
    dot, reduce_add, reduce_max = np.dot, np.add.reduce, np.maximum.reduce

    def step():
        A = Xb
        for W, b, Z in hidden_layers:                     # forward
            dot(A, W, out=Z)
            Z += b
            f_hidden(Z)
            A = Z
        dot(A_last, W_out, out=P)
        np.add(P, b_out, out=P)                           # (P is a closure buffer: no P += ...)
        if output == "softmax":                           # P = softmax(Z_L), stably
            reduce_max(P, axis=1, keepdims=True, out=col)
            np.subtract(P, col, out=P)
            np.exp(P, out=P)
            reduce_add(P, axis=1, keepdims=True, out=col)
            np.divide(P, col, out=P)
        elif output == "sigmoid":
            expit(P, out=P)
            if loss == "mse":                             # σ'(Z_L) = A (1 - A)
                np.subtract(1, P, out=T)
                np.multiply(T, P, out=T)
        D = P                                             # D = lr δ_L, overwriting P
        D -= Yb
        D *= c
        if loss == "mse" and output == "sigmoid":
            D *= T
        for A_prev, A_prev_T, W, W_T, b, dW, db, dA, tmp in back:   # backward + update
            dot(A_prev_T, D, out=dW)
            reduce_add(D, axis=0, out=db)
            if dA is not None:
                dot(D, W_T, out=dA)                       # uses W before its update
                d_hidden(dA, A_prev, tmp)
                D = dA
            if decay != 1.0:
                W *= decay
            W -= dW
            b -= db

    return Xb, Yb, step


def _evaluate(Ws, bs, X, Y, labels, hidden, output, loss, chunk=10000):
    """(loss_0, accuracy) on a whole data set, by chunks (no gradients)."""
    f = _hidden_inplace(hidden)[0]
    total, correct, n = 0.0, 0, X.shape[0]
    L = len(Ws)
    with np.errstate(over="ignore", under="ignore"):
        for s in range(0, n, chunk):
            A = X[s:s + chunk]
            for l in range(L):
                A = A @ Ws[l] + bs[l]
                if l < L - 1:
                    f(A)
                else:
                    _output_inplace(A, output)
            A = A.astype(np.float64)
            T = Y[s:s + chunk].astype(np.float64)
            if loss == "cross_entropy":
                total += -np.log(np.maximum((A * T).sum(axis=1), _losses.EPS)).sum()
            elif loss == "binary_cross_entropy":
                Ac = np.clip(A, _losses.EPS, 1 - _losses.EPS)
                total += -(T * np.log(Ac) + (1 - T) * np.log1p(-Ac)).sum()
            else:
                total += ((A - T) ** 2).sum() / A.shape[1]
            if labels is not None:
                pred = A.argmax(axis=1) if A.shape[1] > 1 else (A[:, 0] >= 0.5).astype(int)
                correct += int(np.sum(pred == labels[s:s + chunk]))
    return total / n, (correct / n if labels is not None else float("nan"))


def sgd_train(params, X, y, *, epochs, batch_size, lr, l2=0.0, hidden="relu",
              output="softmax", loss=None, rng, X_val=None, y_val=None,
              callback=None, eval_every=None, monitor_train=True):
    """Mini-batch stochastic gradient descent (Nielsen's SGD, vectorized over the batch).

    Each epoch shuffles the n training rows with `rng`, cuts them into mini-batches
    of `batch_size` (the last one may be smaller) and for each mini-batch B does
        W <- (1 - lr l2 / n) W - lr dLoss_B/dW,   b <- b - lr dLoss_B/db
    where Loss_B is the mean loss over B (L2 weight decay in Nielsen's convention,
    n = number of training rows; biases are not decayed).

    params: initial [(W_l, b_l)] -- never modified (the training works on copies);
        their dtype (float32 or float64) is the compute dtype.
    X: (n, n_0) inputs; y: (n,) integer labels (or mse targets, see backward).
    epochs, batch_size: positive ints; lr: learning rate > 0; l2: λ >= 0.
    hidden, output, loss: as in forward/backward. rng: Generator or int seed.
    X_val, y_val: optional validation set, evaluated at the end of each epoch.
    callback: optional f(epoch, params, history), called after each epoch with a
        copy of the parameters; returning True stops the training (early stopping).
    eval_every: optional k: also record the validation accuracy every k mini-batches.
    monitor_train: evaluate the loss and accuracy on the whole training set after each
        epoch (a full forward pass: about 20% of an MNIST epoch at batch size 10).

    Returns: (params, history). history is a dict of lists, one entry per epoch:
    "train_loss" (objective on the whole training set, L2 term included) and
    "train_accuracy" (if monitor_train), "val_loss" and "val_accuracy" (if X_val
    is given; val_loss without the L2 term); and, if
    eval_every is set, "val_accuracy_steps": a list of (step, val_accuracy).
    """
    params = _check_params(params)
    dtype = params[0][0].dtype
    if any(W.dtype != dtype or b.dtype != dtype for W, b in params):
        raise ValueError("params must all have the same dtype (float32 or float64)")
    loss = _check_names(hidden, output, loss)
    X = _check_X(X, params).astype(dtype, copy=False)
    n = X.shape[0]
    sizes = [params[0][0].shape[0]] + [W.shape[1] for W, _ in params]
    K = sizes[-1]
    Y64, labels = _targets(y, n, K, loss)
    Y = Y64.astype(dtype)
    for name, v in (("epochs", epochs), ("batch_size", batch_size)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} must be a positive int; got {v!r}")
    lr = float(lr)
    if not lr > 0:
        raise ValueError(f"lr must be > 0; got {lr}")
    l2 = float(l2)
    if l2 < 0:
        raise ValueError(f"l2 must be >= 0; got {l2}")
    if eval_every is not None and (not isinstance(eval_every, (int, np.integer))
                                   or eval_every < 1):
        raise ValueError(f"eval_every must be a positive int or None; got {eval_every!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None; got {type(callback).__name__}")
    rng = as_rng(rng)
    has_val = X_val is not None
    if has_val:
        if y_val is None:
            raise ValueError("y_val must be given with X_val")
        Xv = _check_X(X_val, params, "X_val").astype(dtype, copy=False)
        Yv, labels_v = _targets(y_val, Xv.shape[0], K, loss, "y_val")
    elif eval_every is not None:
        raise ValueError("eval_every needs a validation set: pass X_val and y_val")

    Ws = [W.copy() for W, _ in params]                    # private copies, updated in place
    bs = [b.copy() for _, b in params]
    L = len(Ws)
    decay = 1.0 - lr * l2 / n
    history = {"train_loss": [], "train_accuracy": []} if monitor_train else {}
    if has_val:
        history["val_loss"], history["val_accuracy"] = [], []
    if eval_every is not None:
        history["val_accuracy_steps"] = []
    penalty = (lambda: l2 / (2 * n) * sum(float(np.sum(W.astype(np.float64) ** 2))
                                          for W in Ws)) if l2 else (lambda: 0.0)
    steps = {}                                            # batch size -> (Xb, Yb, step)
    n_steps = 0
    take = np.take
    with np.errstate(over="ignore", under="ignore"):       # exp overflow -> σ = 0 exactly
        for epoch in range(int(epochs)):
            perm = rng.permutation(n)
            for start in range(0, n, batch_size):
                idx = perm[start:start + batch_size]
                m = idx.shape[0]
                if m not in steps:
                    steps[m] = _make_step(Ws, bs, m, hidden, output, loss, lr, decay)
                Xb, Yb, step = steps[m]
                take(X, idx, axis=0, out=Xb, mode="clip")
                take(Y, idx, axis=0, out=Yb, mode="clip")
                step()
                n_steps += 1
                if eval_every is not None and n_steps % eval_every == 0:
                    history["val_accuracy_steps"].append(
                        (n_steps, _evaluate(Ws, bs, Xv, Yv, labels_v, hidden, output, loss)[1]))
            if monitor_train:
                tl, ta = _evaluate(Ws, bs, X, Y, labels, hidden, output, loss)
                history["train_loss"].append(float(tl + penalty()))
                history["train_accuracy"].append(float(ta))
            if has_val:
                vl, va = _evaluate(Ws, bs, Xv, Yv, labels_v, hidden, output, loss)
                history["val_loss"].append(float(vl))
                history["val_accuracy"].append(float(va))
            if callback is not None:
                snapshot = [(W.copy(), b.copy()) for W, b in zip(Ws, bs)]
                if callback(epoch, snapshot, {k: list(v) for k, v in history.items()}):
                    break
    return [(W, b) for W, b in zip(Ws, bs)], history


# ------------------------------------------------------------------ scikit-learn-style wrapper

class MLPClassifier:
    """A small scikit-learn-style classifier around init_params + sgd_train.

    Layer sizes are [n_features, *hidden_sizes, n_classes] (n_classes = max(y) + 1);
    activation: hidden activation; output: "softmax" (cross-entropy) or "sigmoid"
    (one sigmoid unit per class, binary cross-entropy, Nielsen ch. 3);
    lr, l2, batch_size, epochs: as in sgd_train; init: initializer name;
    seed: int seeding both the initialization and the shuffling; dtype: "float64"
    or "float32". __init__ only stores the settings; fit does the work and sets
    params_, history_, classes_ and n_features_in_.
    """

    def __init__(self, hidden_sizes=(30,), activation="sigmoid", output="softmax", lr=0.1,
                 l2=0.0, batch_size=10, epochs=10, init="glorot_uniform", seed=0,
                 dtype="float64"):
        self.hidden_sizes = hidden_sizes
        self.activation = activation
        self.output = output
        self.lr = lr
        self.l2 = l2
        self.batch_size = batch_size
        self.epochs = epochs
        self.init = init
        self.seed = seed
        self.dtype = dtype

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.endswith("_"))
        return f"MLPClassifier({args})"

    def fit(self, X, y, X_val=None, y_val=None):
        """Train on X (n, p) with labels y (n,) in {0, ..., K-1}. Returns self."""
        if self.output not in ("softmax", "sigmoid"):
            raise ValueError(f"output must be 'softmax' or 'sigmoid'; got {self.output!r}")
        X = _floats(X, "X", 2)
        y_arr = np.asarray(y)
        numeric = y_arr.size and y_arr.dtype.kind in "biuf" and np.all(np.isfinite(y_arr))
        n_classes = max(2, int(np.max(y_arr)) + 1) if numeric else 2
        y_arr = as_labels(y_arr, "y", n=X.shape[0], classes=n_classes)
        rng = np.random.default_rng(self.seed)
        sizes = [X.shape[1], *[int(h) for h in self.hidden_sizes], n_classes]
        params = init_params(sizes, rng, self.init, np.dtype(self.dtype))
        self.params_, self.history_ = sgd_train(
            params, X.astype(self.dtype, copy=False), y_arr, epochs=self.epochs,
            batch_size=self.batch_size, lr=self.lr, l2=self.l2, hidden=self.activation,
            output=self.output, rng=rng, X_val=X_val, y_val=y_val)
        self.classes_ = np.arange(n_classes)
        self.n_features_in_ = X.shape[1]
        return self

    def _check_fitted(self):
        if not hasattr(self, "params_"):
            raise RuntimeError("this MLPClassifier is not fitted yet: call fit(X, y) first")

    def predict_proba(self, X):
        """Network outputs (n, K): class probabilities (softmax) or per-class sigmoids."""
        self._check_fitted()
        return forward(self.params_, X, self.activation, self.output)[0]

    def predict(self, X):
        """Predicted classes (n,): argmax of the outputs."""
        self._check_fitted()
        return predict(self.params_, X, self.activation, self.output)

    def score(self, X, y):
        """Accuracy on (X, y): a float in [0, 1]."""
        self._check_fitted()
        return accuracy(self.params_, X, y, self.activation, self.output)

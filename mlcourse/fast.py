"""The fast trainer: mlcourse.nn.train's mathematics, in place.

`sgd_train` runs the same mini-batch SGD as `mlcourse.nn.train` (same shuffling, same
batches, the gradient of the batch's mean loss, weight decay `W <- (1 - lr l2) W - lr dW`
in the course's L2 convention), but on private copies of the parameters and on buffers
allocated once per batch size, so an MNIST epoch costs little more than its matrix
products. tests/test_fast.py proves it gives the parameters of `nn.train` to 1e-12.

One step (class InPlaceStep), for batch inputs Xb and targets Yb:
    forward:   Z_l = A_{l-1} @ W_l + b_l, overwritten by A_l = f(Z_l) (P = output)
    error:     D = lr δ_L  (δ_L of mlcourse.nn.output_delta, computed into P)
    backward:  dW = A_{l-1}ᵀ D, db = Σ_rows D, D <- (D @ W_lᵀ) ⊙ f'(Z_{l-1}), written
               through A_{l-1} (σ' = A(1 - A), tanh' = 1 - A², ReLU' = [A > 0]), then
               W_l <- decay W_l - dW, b_l <- b_l - db.
"""
import numpy as np
from scipy.special import expit

from mlcourse import losses
from mlcourse.nn import accuracy, check_names, forward, init_params, predict
from mlcourse.validation import (as_count, as_floats, as_inputs, as_labels, as_nonnegative,
                                 as_params, as_rng, as_scalar, as_targets)

__all__ = ["InPlaceStep", "evaluate", "sgd_train", "MLPClassifier"]


# ------------------------------------------------------------------ activations in place

def _leaky_factor(A, alpha):
    return np.where(A > 0, 1, alpha).astype(A.dtype)


def _sigmoid_d(dA, A, tmp):
    """dA *= σ'(Z) = A (1 - A)."""
    np.subtract(1, A, out=tmp)
    tmp *= A
    dA *= tmp


def _tanh_d(dA, A, tmp):
    """dA *= tanh'(Z) = 1 - A²."""
    np.multiply(A, A, out=tmp)
    np.subtract(1, tmp, out=tmp)
    dA *= tmp


def _relu_d(dA, A, tmp):
    """dA *= ReLU'(Z) = [A > 0]."""
    np.greater(A, 0, out=tmp)
    dA *= tmp


def _inplace(hidden, alpha):
    """(f, dmul): f(Z) overwrites Z with f(Z) and returns it; dmul(dA, A, tmp) multiplies dA
    in place by f'(Z), written through A = f(Z) (possible for every hidden activation here)."""
    def leaky(Z):
        Z *= _leaky_factor(Z, alpha)
        return Z

    def leaky_d(dA, A, tmp):
        dA *= _leaky_factor(A, alpha)
    return {
        "sigmoid": (lambda Z: expit(Z, out=Z), _sigmoid_d),
        "tanh": (lambda Z: np.tanh(Z, out=Z), _tanh_d),
        "relu": (lambda Z: np.maximum(Z, 0, out=Z), _relu_d),
        "leaky_relu": (leaky, leaky_d),
        "linear": (lambda Z: Z, lambda dA, A, tmp: None),
    }[hidden]


def _output_inplace(P, output, col):
    """P <- softmax(P) (stably, along rows) or sigmoid(P); identity leaves P."""
    if output == "softmax":
        np.maximum.reduce(P, axis=1, keepdims=True, out=col)
        np.subtract(P, col, out=P)
        np.exp(P, out=P)
        np.add.reduce(P, axis=1, keepdims=True, out=col)
        np.divide(P, col, out=P)
    elif output == "sigmoid":
        expit(P, out=P)


# ------------------------------------------------------------------ one step, in place

class InPlaceStep:
    """Buffers for mini-batches of m rows and `step()`, one SGD update of Ws, bs in place
    from the batch held in `Xb` (inputs) and `Yb` (targets). The weights and buffers are
    only ever modified in place, so the transposed views made here stay valid."""

    def __init__(self, Ws, bs, m, hidden, output, loss, lr, decay, alpha=0.01):
        dtype = Ws[0].dtype
        sizes = [Ws[0].shape[0]] + [W.shape[1] for W in Ws]
        self.Xb, self.Yb = np.empty((m, sizes[0]), dtype), np.empty((m, sizes[-1]), dtype)
        Zs = [np.empty((m, k), dtype) for k in sizes[1:]]             # Z_l, then A_l in place
        self.hidden = list(zip(Ws[:-1], bs[:-1], Zs[:-1]))
        self.W_out, self.b_out, self.P = Ws[-1], bs[-1], Zs[-1]
        self.col, self.T = np.empty((m, 1), dtype), np.empty((m, sizes[-1]), dtype)
        self.f, self.dmul = _inplace(hidden, alpha)
        self.output, self.decay = output, decay
        self.mse_sigmoid = loss == "mse" and output == "sigmoid"
        self.scale = 2.0 * lr / (m * sizes[-1]) if loss == "mse" else lr / m   # D = lr δ_L
        self.layers = [self._layer(l, m, sizes, dtype, Ws, bs, Zs)
                       for l in range(len(Ws) - 1, -1, -1)]

    def _layer(self, l, m, sizes, dtype, Ws, bs, Zs):
        """What the backward pass of layer l needs, from the last layer to the first."""
        A_prev = self.Xb if l == 0 else Zs[l - 1]
        below = (np.empty((m, sizes[l]), dtype), np.empty((m, sizes[l]), dtype)) if l else None
        return (A_prev.T, A_prev, Ws[l], Ws[l].T, bs[l],
                np.empty((sizes[l], sizes[l + 1]), dtype), np.empty(sizes[l + 1], dtype), below)

    def _error(self, P):
        """D = lr δ_L, computed from the outputs P into P."""
        if self.mse_sigmoid:                                          # σ'(Z_L) = P (1 - P)
            np.multiply(np.subtract(1, P, out=self.T), P, out=self.T)
        P -= self.Yb
        P *= self.scale
        if self.mse_sigmoid:
            P *= self.T
        return P

    def step(self):
        """Forward, backward and update on the batch in Xb, Yb."""
        dot, f, A = np.dot, self.f, self.Xb
        for W, b, Z in self.hidden:                                   # forward
            dot(A, W, out=Z)
            Z += b
            A = f(Z)
        P = self.P
        dot(A, self.W_out, out=P)
        P += self.b_out
        _output_inplace(P, self.output, self.col)
        D, dmul, decay = self._error(P), self.dmul, self.decay
        for A_prev_T, A_prev, W, W_T, b, dW, db, below in self.layers:   # backward, update
            dot(A_prev_T, D, out=dW)
            np.add.reduce(D, axis=0, out=db)
            if below is not None:
                dA, tmp = below
                dot(D, W_T, out=dA)                                   # W before its update
                dmul(dA, A_prev, tmp)
                D = dA
            if decay != 1.0:
                W *= decay
            W -= dW
            b -= db


# ------------------------------------------------------------------ evaluation

def _data_loss(A, T, loss):
    """Summed (not mean) loss of outputs A against targets T, in float64."""
    A, T = A.astype(np.float64), T.astype(np.float64)
    if loss == "cross_entropy":
        return -np.log(np.maximum((A * T).sum(axis=1), losses.EPS)).sum()
    if loss == "binary_cross_entropy":
        Ac = np.clip(A, losses.EPS, 1 - losses.EPS)
        return -(T * np.log(Ac) + (1 - T) * np.log1p(-Ac)).sum()
    return ((A - T) ** 2).sum() / A.shape[1]


def _outputs(params, X, hidden, output, alpha):
    """The network's outputs on X, computed in place and without checks (a diverged run
    gives NaN here instead of an error)."""
    f, A = _inplace(hidden, alpha)[0], X
    for l, (W, b) in enumerate(params):
        A = A @ W + b
        if l < len(params) - 1:
            f(A)
    _output_inplace(A, output, np.empty((A.shape[0], 1), A.dtype))
    return A


def evaluate(params, X, Y, labels, hidden, output, loss, alpha=0.01, chunk=10000):
    """(mean loss, accuracy) of params on X (n, p) with targets Y (n, K) and labels (n,)
    (None: accuracy NaN), by chunks of rows, without the L2 term."""
    total, correct = 0.0, 0
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        for s in range(0, X.shape[0], chunk):
            A = _outputs(params, X[s:s + chunk], hidden, output, alpha)
            total += _data_loss(A, Y[s:s + chunk], loss)
            if labels is not None:
                pred = A.argmax(axis=1) if A.shape[1] > 1 else (A[:, 0] >= 0.5).astype(int)
                correct += int(np.sum(pred == labels[s:s + chunk]))
    n = X.shape[0]
    return total / n, (correct / n if labels is not None else float("nan"))


# ------------------------------------------------------------------ the trainer

def _data(params, X, y, loss, name="X"):
    """X in the params' dtype, its target matrix Y (same dtype) and integer labels."""
    X = as_inputs(X, params, name).astype(params[0][0].dtype, copy=False)
    Y, labels = as_targets(y, X.shape[0], params[-1][0].shape[1], loss, "y" + name[1:])
    return X, Y.astype(X.dtype), labels


def _checked(params, X, y, X_val, y_val, hidden, output, loss, eval_every, callback):
    """sgd_train's inputs, checked: (params, loss, train data, val data or None, every)."""
    params, loss = as_params(params), check_names(hidden, output, loss)
    if len({a.dtype for layer in params for a in layer}) != 1:
        raise ValueError("params must all have the same dtype (float32 or float64)")
    train, val = _data(params, X, y, loss), None
    if X_val is not None:
        if y_val is None:
            raise ValueError("y_val must be given with X_val")
        val = _data(params, X_val, y_val, loss, "X_val")
    elif eval_every is not None:
        raise ValueError("eval_every needs a validation set: pass X_val and y_val")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None; got {type(callback).__name__}")
    every = None if eval_every is None else as_count(eval_every, "eval_every")
    return params, loss, train, val, every


def _new_history(monitor_train, val, every):
    keys = (["train_loss", "train_accuracy"] if monitor_train else []) + \
        (["val_loss", "val_accuracy"] if val is not None else []) + \
        (["val_accuracy_steps"] if every else [])
    return {key: [] for key in keys}


def _record(history, params, part, data, names):
    """Append the loss and accuracy of params on data = (X, Y, labels) to history."""
    if data is not None:
        value, acc = evaluate(params, *data, *names)
        history[f"{part}_loss"].append(float(value))
        history[f"{part}_accuracy"].append(float(acc))


def _epoch(steps, X, Y, order, batch_size, make_step, on_batch=None):
    """One pass over the batches order[k:k + batch_size]; steps caches one InPlaceStep
    per batch size; on_batch(), if given, is called after every update."""
    take = np.take
    for k in range(0, X.shape[0], batch_size):
        batch = order[k:k + batch_size]
        s = steps.get(batch.shape[0])
        if s is None:
            s = steps[batch.shape[0]] = make_step(batch.shape[0])
        take(X, batch, axis=0, out=s.Xb, mode="clip")
        take(Y, batch, axis=0, out=s.Yb, mode="clip")
        s.step()
        if on_batch is not None:
            on_batch()


def sgd_train(params, X, y, *, epochs, batch_size, lr, rng, l2=0.0, hidden="relu",
              output="softmax", loss=None, alpha=0.01, X_val=None, y_val=None,
              callback=None, eval_every=None, monitor_train=True):
    """Mini-batch SGD exactly as mlcourse.nn.train (arguments and history alike), in place.

    params: initial [(W_l, b_l)], never modified; their dtype (float32 or float64) is the
    compute dtype. alpha: leaky_relu's slope. callback: optional f(epoch, params, history)
    after each epoch, given copies; returning True stops the training (early stopping).
    eval_every: also record (step, val_accuracy) every k mini-batches in
    history["val_accuracy_steps"]. monitor_train=False skips the per-epoch full pass on X.
    """
    params, loss, train, val, every = _checked(params, X, y, X_val, y_val, hidden, output,
                                               loss, eval_every, callback)
    epochs, batch_size = as_count(epochs, "epochs"), as_count(batch_size, "batch_size")
    rng = as_rng(rng)
    lr, l2 = as_scalar(lr, "lr", positive=True), as_nonnegative(l2, "l2")
    Ws, bs = [W.copy() for W, _ in params], [b.copy() for _, b in params]
    current, names = list(zip(Ws, bs)), (hidden, output, loss, alpha)   # views of Ws, bs
    history, steps, count = _new_history(monitor_train, val, every), {}, [0]

    def on_batch():                                   # only with eval_every
        count[0] += 1
        if count[0] % every == 0:
            history["val_accuracy_steps"].append((count[0], evaluate(current, *val, *names)[1]))

    def make_step(m):
        return InPlaceStep(Ws, bs, m, hidden, output, loss, lr, 1.0 - lr * l2, alpha)
    with np.errstate(over="ignore", under="ignore"):          # exp overflow -> σ = 0 exactly
        for epoch in range(epochs):
            _epoch(steps, *train[:2], rng.permutation(len(train[0])), batch_size, make_step,
                   on_batch if every else None)
            _record(history, current, "train", train if monitor_train else None, names)
            _record(history, current, "val", val, names)
            if callback is not None and callback(epoch, [(W.copy(), b.copy()) for W, b in current],
                                                 {k: list(v) for k, v in history.items()}):
                break
    return current, history


# ------------------------------------------------------------------ scikit-learn-style wrapper

class MLPClassifier:
    """A small scikit-learn-style classifier around nn.init_params + sgd_train.

    Layer sizes [n_features, *hidden_sizes, n_classes] (n_classes = max(y) + 1);
    hidden: the hidden activation; output: "softmax" (cross-entropy) or "sigmoid" (one
    sigmoid unit per class, binary cross-entropy, Nielsen ch. 3); lr, l2, batch_size,
    epochs: as in sgd_train; init: an initializer name; seed: seeds the initialization
    and the shuffling; dtype: "float64" or "float32". fit sets params_, history_,
    classes_ and n_features_in_.
    """

    def __init__(self, hidden_sizes=(30,), hidden="sigmoid", output="softmax", lr=0.1,
                 l2=0.0, batch_size=10, epochs=10, init="glorot_uniform", seed=0,
                 dtype="float64"):
        self.hidden_sizes, self.hidden, self.output = hidden_sizes, hidden, output
        self.lr, self.l2, self.batch_size, self.epochs = lr, l2, batch_size, epochs
        self.init, self.seed, self.dtype = init, seed, dtype

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.endswith("_"))
        return f"MLPClassifier({args})"

    def fit(self, X, y, X_val=None, y_val=None):
        """Train on X (n, p) with labels y (n,) in {0, ..., K-1}. Returns self."""
        if self.output not in ("softmax", "sigmoid"):
            raise ValueError(f"output must be 'softmax' or 'sigmoid'; got {self.output!r}")
        X, y_arr = as_floats(X, "X", 2), np.asarray(y)
        numeric = y_arr.size and y_arr.dtype.kind in "biuf" and np.all(np.isfinite(y_arr))
        n_classes = max(2, int(np.max(y_arr)) + 1) if numeric else 2
        y_arr = as_labels(y_arr, "y", n=X.shape[0], classes=n_classes)
        if any(not isinstance(h, (int, np.integer)) or h < 1 for h in self.hidden_sizes):
            raise ValueError(f"hidden_sizes must hold positive ints; got {self.hidden_sizes!r}")
        rng = np.random.default_rng(self.seed)
        sizes = [X.shape[1], *[int(h) for h in self.hidden_sizes], n_classes]
        params = init_params(sizes, rng, self.init, np.dtype(self.dtype))
        self.params_, self.history_ = sgd_train(
            params, X.astype(self.dtype, copy=False), y_arr, epochs=self.epochs,
            batch_size=self.batch_size, lr=self.lr, l2=self.l2, hidden=self.hidden,
            output=self.output, rng=rng, X_val=X_val, y_val=y_val)
        self.classes_, self.n_features_in_ = np.arange(n_classes), X.shape[1]
        return self

    def _fitted(self):
        if not hasattr(self, "params_"):
            raise RuntimeError("this MLPClassifier is not fitted yet: call fit(X, y) first")
        return self.params_

    def predict_proba(self, X):
        """Network outputs (n, K): class probabilities (softmax) or per-class sigmoids."""
        return forward(self._fitted(), X, self.hidden, self.output)[0]

    def predict(self, X):
        """Predicted classes (n,): argmax of the outputs."""
        return predict(self._fitted(), X, self.hidden, self.output)

    def score(self, X, y):
        """Accuracy on (X, y): a float in [0, 1]."""
        return accuracy(self._fitted(), X, y, self.hidden, self.output)

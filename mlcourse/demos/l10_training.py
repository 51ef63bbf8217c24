"""Lecture 10 demo: learning curves (training and validation loss per epoch) of small ReLU
networks on digits, for a grid of learning rates, widths and L2 penalties."""
import functools

import ipywidgets as widgets
import numpy as np

from mlcourse import plots
from mlcourse.data import load_digits
from mlcourse.demos.base import FigureDemo

LRS = (0.01, 0.03, 0.1, 0.3)
WIDTHS = (4, 16, 32)
L2S = (0.0, 0.01, 0.03)
EPOCHS = 30


def pooled(X):
    """28x28 images averaged over 2x2 blocks to 14x14 (196 inputs); other sizes unchanged."""
    X = np.asarray(X, dtype=np.float64)
    if X.shape[1] != 784:
        return X
    return X.reshape(-1, 14, 2, 14, 2).mean(axis=(2, 4)).reshape(-1, 196)


@functools.lru_cache(maxsize=4)
def demo_data(n_train=500, n_val=500):
    """(X_train, y_train, X_val, y_val): the first images of the course's digits, pooled."""
    digits = load_digits()
    return (pooled(digits.X_train[:n_train]), np.asarray(digits.y_train[:n_train]),
            pooled(digits.X_val[:n_val]), np.asarray(digits.y_val[:n_val]))


def _losses(W1, b1, W2, b2, X, y):
    """Mean cross-entropy and accuracy of M stacked one-hidden-layer nets: two (M,) arrays.
    W1 (p, M, h) and b1 (M, h) hold the M first layers side by side; W2 (M, h, K), b2 (M, K)."""
    p, M, h = W1.shape
    A = np.maximum((X @ W1.reshape(p, M * h)).reshape(len(X), M, h) + b1, 0.0)
    Z = A.transpose(1, 0, 2) @ W2 + b2[:, None, :]                     # (M, n, K)
    Z = Z - Z.max(axis=2, keepdims=True)
    log_p = Z - np.log(np.exp(Z).sum(axis=2, keepdims=True))
    rows = np.arange(len(y))
    return -log_p[:, rows, y].mean(axis=1), (Z.argmax(axis=2) == y).mean(axis=1)


def _sgd_epoch(params, X, y, order, batch_size, lr, l2):
    """One epoch of SGD steps for the stacked nets (see train_stack); returns new params."""
    W1, b1, W2, b2 = params
    p, M, h = W1.shape
    for k in range(0, len(X), batch_size):
        batch = order[k:k + batch_size]
        Xb, n = X[batch], len(batch)
        Z1 = (Xb @ W1.reshape(p, M * h)).reshape(n, M, h) + b1           # one matrix product
        A1 = np.maximum(Z1, 0.0).transpose(1, 0, 2)                       # (M, n, h)
        Z2 = A1 @ W2 + b2[:, None, :]
        P = np.exp(Z2 - Z2.max(axis=2, keepdims=True))
        D2 = P / P.sum(axis=2, keepdims=True)
        D2[:, np.arange(n), y[batch]] -= 1.0
        D2 /= n                                                           # mean loss
        D1 = (D2 @ W2.transpose(0, 2, 1)).transpose(1, 0, 2) * (Z1 > 0)   # (n, M, h)
        W2 = W2 - lr[:, None, None] * (A1.transpose(0, 2, 1) @ D2 + l2[:, None, None] * W2)
        b2 = b2 - lr[:, None] * D2.sum(axis=1)
        dW1 = (Xb.T @ D1.reshape(n, M * h)).reshape(p, M, h)
        W1 = W1 - lr[:, None] * (dW1 + l2[:, None] * W1)
        b1 = b1 - lr[:, None] * D1.sum(axis=0)
    return W1, b1, W2, b2


def train_stack(X, y, X_val, y_val, width, lrs, l2s, epochs, batch_size=20, seed=0):
    """Train one ReLU net p-width-K per (lr, λ) pair at once, by mini-batch SGD on the mean
    cross-entropy + λ/2 Σ||W||² (the course's L2 convention), from the same He
    initialization and with the same mini-batches (so only lr and λ differ).

    Returns a dict of arrays of shape (len(lrs), len(l2s), epochs): "train_loss",
    "val_loss", "val_accuracy", measured after every epoch (NaN once a run diverged).
    """
    rng = np.random.default_rng(seed)
    p, K = X.shape[1], int(max(y.max(), y_val.max())) + 1
    M = len(lrs) * len(l2s)
    lr = np.repeat(np.asarray(lrs, dtype=float), len(l2s))
    l2 = np.tile(np.asarray(l2s, dtype=float), len(lrs))
    W1 = np.repeat(rng.normal(0.0, np.sqrt(2.0 / p), (p, 1, width)), M, axis=1)
    W2 = np.repeat(rng.normal(0.0, np.sqrt(2.0 / width), (1, width, K)), M, axis=0)
    params = (W1, np.zeros((M, width)), W2, np.zeros((M, K)))
    out = {key: np.empty((M, epochs)) for key in ("train_loss", "val_loss", "val_accuracy")}
    with np.errstate(all="ignore"):              # a diverging run overflows: it shows as NaN
        for epoch in range(epochs):
            params = _sgd_epoch(params, X, y, rng.permutation(len(X)), batch_size, lr, l2)
            out["train_loss"][:, epoch] = _losses(*params, X, y)[0]
            out["val_loss"][:, epoch], out["val_accuracy"][:, epoch] = _losses(*params, X_val, y_val)
    return {key: value.reshape(len(lrs), len(l2s), epochs) for key, value in out.items()}


def diagnosis(train, val, epochs):
    """A one-line reading of learning curves cut at `epochs` (1-based count)."""
    train, val = train[:epochs], val[:epochs]
    if not np.all(np.isfinite(val)):
        return "the run diverged (the loss overflowed): the learning rate is too large"
    best = int(np.argmin(val))
    if best < epochs - 1 and val[-1] > 1.05 * val[best]:
        return (f"over-fitting: the validation loss is {val[-1] / val[best] - 1:.0%} above its "
                f"minimum at epoch {best + 1} while the training loss keeps falling")
    if train[-1] > 0.5:
        return "under-fitting: both losses are still high (too small, too slow or too long to train)"
    return "still improving, or flat: no sign of over-fitting yet"


class LearningCurves(FigureDemo):
    """Training and validation loss per epoch of a ReLU network p-width-10 trained on 500
    digits (14x14 pixels) and validated on 500 others, for the chosen learning rate, width,
    number of epochs and L2 penalty. All the runs of the grid are trained once, when the
    demo is built (a few seconds); a change only redraws the curves. Training for fewer
    epochs is the start of the same run (same initialization and mini-batches).
    """

    def __init__(self, lrs=LRS, widths=WIDTHS, l2s=L2S, epochs=EPOCHS, n_train=500,
                 n_val=500, seed=0):
        self.lrs, self.widths, self.l2s = tuple(lrs), tuple(widths), tuple(l2s)
        self.epochs = int(epochs)
        if self.epochs < 2:
            raise ValueError(f"epochs must be an int >= 2; got {epochs!r}")
        X, y, X_val, y_val = demo_data(n_train, n_val)
        self.runs = {w: train_stack(X, y, X_val, y_val, w, self.lrs, self.l2s, self.epochs,
                                    seed=seed) for w in self.widths}
        controls = {
            "lr": widgets.SelectionSlider(options=list(self.lrs), value=self.lrs[min(2, len(self.lrs) - 1)],
                                          description="learning rate η"),
            "width": widgets.SelectionSlider(options=list(self.widths), value=self.widths[-1],
                                             description="hidden units"),
            "epochs": widgets.IntSlider(value=self.epochs, min=1, max=self.epochs,
                                        description="epochs"),
            "l2": widgets.SelectionSlider(options=list(self.l2s), value=self.l2s[0],
                                          description="L2 λ"),
        }
        super().__init__(controls, figsize=(7.0, 4.0))
        ax = self.ax
        steps = np.arange(1, self.epochs + 1)
        (self.train_line,) = ax.plot(steps, np.full(self.epochs, np.nan), color=plots.COLORS[0],
                                     marker=plots.MARKERS[0], ms=3, label="training loss")
        (self.val_line,) = ax.plot(steps, np.full(self.epochs, np.nan), color=plots.COLORS[1],
                                   marker=plots.MARKERS[1], ms=3, ls="--", label="validation loss")
        self.best_line = ax.axvline(1, color="0.4", ls=":", label="lowest validation loss")
        ax.set(xlim=(0.5, self.epochs + 0.5), ylim=(0.0, 2.5), xlabel="epoch",
               ylabel="mean cross-entropy")
        ax.legend(loc="upper right", fontsize=8)
        self.animate(self.train_line, self.val_line, self.best_line, ax.title)
        self.refresh()

    def curves(self, lr, width, l2):
        """(train_loss, val_loss, val_accuracy) over all epochs of one run of the grid."""
        run, i, j = self.runs[width], self.lrs.index(lr), self.l2s.index(l2)
        return run["train_loss"][i, j], run["val_loss"][i, j], run["val_accuracy"][i, j]

    def draw(self, lr, width, epochs, l2):
        train, val, acc = self.curves(lr, width, l2)
        shown = np.arange(self.epochs) < epochs
        self.train_line.set_ydata(np.where(shown, train, np.nan))
        self.val_line.set_ydata(np.where(shown, val, np.nan))
        finite = np.isfinite(val[:epochs])
        best = int(np.argmin(np.where(finite, val[:epochs], np.inf))) if finite.any() else 0
        self.best_line.set_xdata([best + 1, best + 1])
        self.ax.set_title(f"η = {lr:g}, {width} hidden units, λ = {l2:g}", fontsize=10)
        last = epochs - 1
        return (f"<b>η = {lr:g}, {width} hidden units, λ = {l2:g}, {epochs} epochs</b>: "
                f"training loss {train[last]:.3f}, validation loss {val[last]:.3f}, validation "
                f"accuracy {acc[last]:.1%}; lowest validation loss {val[best]:.3f} at epoch "
                f"{best + 1}. {diagnosis(train, val, epochs).capitalize()}.")


DEMOS = {"learning_curves": LearningCurves}

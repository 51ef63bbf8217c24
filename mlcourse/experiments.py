"""The MNIST experiments of lectures 6 and 7, run once per process and cached.

Every run follows Nielsen's (2015, ch. 3 and 5) protocol unless told otherwise:
a 784-[width]×n_hidden-10 network, one sigmoid output unit per class with the
cross-entropy loss, mini-batch SGD (batch 10, η = 0.1) with Nielsen's L2 weight decay
λ = 5 for his λ/(2n) Σ||W||², i.e. the course's penalty weight l2 = 5 / n for n training
images (docs/DESIGN.md), accuracy measured on the 10,000 validation images after each epoch.

Training runs in float64 (about 1.3 times the cost of float32 here). The reason is
reproducibility across machines: numpy's BLAS picks its kernel by CPU, and kernels
sum in different orders. In float32 those rounding differences (1e-7) grew, over the
5,000 mini-batches of an epoch, into visibly different accuracies and losses on
another kernel; in float64 (1e-16) the sigmoid runs and the 3-hidden-layer ReLU run
of lecture 7 give the same printed digits on every kernel we tried. Some runs are
chaotic even so -- the 8-hidden-layer ReLU network and η = 3 -- and differ from one
CPU to another: their exact numbers are not reproducible, only their claims are.

Initializations: the names of mlcourse.initializers with a bias std: Nielsen's network2 is
init="lecun_normal", bias_std=1 (W ~ N(0, 1/n_in), b ~ N(0, 1)); He et al. (2015) for ReLU
is init="he_normal", bias_std=0.
"""
import functools
from typing import NamedTuple

import numpy as np

from mlcourse import data
from mlcourse.fast import sgd_train
from mlcourse.nn import compute_loss, init_params

__all__ = ["NIELSEN_BOOK", "Run", "digits", "train_mnist", "depth_table"]

#: Nielsen (2015), ch. 5: validation accuracy (%) after 30 epochs, by number of hidden layers.
NIELSEN_BOOK = {1: 96.48, 2: 96.90, 3: 96.57, 4: 96.53}


class Run(NamedTuple):
    """One training run. history: the dict of mlcourse.fast.sgd_train (lists per epoch,
    "val_accuracy_steps" a list of (mini-batch, accuracy) when eval_every was set);
    params: the trained [(W, b)]; init_params: the initial ones; train_loss: the final
    training loss (cross-entropy, L2 term excluded) on the training images used."""
    history: dict
    params: list
    init_params: list
    train_loss: float


@functools.lru_cache(maxsize=None)
def digits(source="auto"):
    """data.load_digits(source), cached (the loader caches too; this names the choice)."""
    return data.load_digits(source)


def _frozen(params):
    for W, b in params:
        W.setflags(write=False)
        b.setflags(write=False)
    return params


@functools.lru_cache(maxsize=None)
def train_mnist(n_hidden, hidden="sigmoid", init="lecun_normal", bias_std=1.0, *, width=30,
                epochs=1, lr=0.1, l2=None, batch_size=10, n_train=None, eval_every=None,
                seed=0, source="auto"):
    """Train a 784-[width]×n_hidden-10 net on the digits with Nielsen's protocol (module
    docstring) and return a Run. Cached: the same arguments return the same object,
    so a table and a plot can share one run.

    n_hidden: number of hidden layers (0 = a single layer of sigmoid units);
    hidden: hidden activation ("sigmoid", "relu", ...); init, bias_std: the initialization
    (module docstring); width, epochs, lr, batch_size: as in Nielsen; l2: the penalty
    weight (None: Nielsen's λ = 5, i.e. 5 / n); n_train: use only the first n_train
    training images (None: all); eval_every: also record the validation accuracy every k
    mini-batches; seed: seeds the initialization and the shuffling.
    """
    if not isinstance(n_hidden, int) or n_hidden < 0:
        raise ValueError(f"n_hidden must be an int >= 0; got {n_hidden!r}")
    d = digits(source)
    X, y = d.X_train, d.y_train
    if n_train is not None:
        X, y = X[:n_train], y[:n_train]
    rng = np.random.default_rng(seed)
    start = init_params([X.shape[1]] + [width] * n_hidden + [10], rng, init, np.float64, bias_std)
    params, history = sgd_train(start, X, y, epochs=epochs, batch_size=batch_size, lr=lr,
                                l2=5.0 / len(X) if l2 is None else l2, hidden=hidden,
                                output="sigmoid", rng=rng, X_val=d.X_val, y_val=d.y_val,
                                eval_every=eval_every, monitor_train=False)
    loss = compute_loss(params, X, y, hidden, "sigmoid")
    history = {k: tuple(v) for k, v in history.items()}      # the cached run stays as it is
    return Run(history, _frozen(params), _frozen(start), float(loss))


def depth_table(depths=(0, 1, 2, 3, 4), epochs=5, seed=0, n_train=None, lr=0.1):
    """Validation accuracy (%) after each epoch, for sigmoid nets with 0..4 hidden layers of
    30 units (Nielsen ch. 5). Returns: dict n_hidden -> (epochs,) array of accuracies in %."""
    return {k: 100 * np.array(train_mnist(k, epochs=epochs, seed=seed, n_train=n_train,
                                          lr=lr).history["val_accuracy"])
            for k in depths}

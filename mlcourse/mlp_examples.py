"""Worked examples of lecture 4 (the multilayer perceptron).

* threshold (step) units and the hand-built 2-2-1 network that computes XOR;
* the collapse of a stack of linear layers into one linear map;
* small classifiers trained on 2-D toy data (the "capacity pictures" and the
  playground demo) and their predicted probability on a grid (drawn by
  mlcourse.plots.probability_map).

The reference MLP itself (forward, backward, training) lives in mlcourse.nn.
"""
import numpy as np

from mlcourse import nn
from mlcourse.fast import MLPClassifier
from mlcourse.validation import as_array, as_matrix

__all__ = ["step", "threshold_forward", "xor_network", "compose_linear", "fit_mlp",
           "probability_of_class_1", "probability_grid"]



def step(z):
    """Heaviside step with step(0) = 1:  step(z) = 1 if z >= 0 else 0, element-wise.

    z: array of any shape.  Returns: int array of the same shape, values in {0, 1}.
    """
    return (as_array(z, "z") >= 0).astype(int)


def _xor_params(W1, b1, W2, b2):
    """The four arrays of a 2-2-1 network, validated (W2 may be (2,) or (2, 1))."""
    W1 = as_matrix(W1, "W1")
    if W1.shape[0] != 2:
        raise ValueError(f"W1 must have 2 rows (one per input); got shape {W1.shape}")
    h = W1.shape[1]
    b1 = as_array(b1, "b1").reshape(-1)
    if b1.shape != (h,):
        raise ValueError(f"b1 must have length {h} (the columns of W1); got shape {b1.shape}")
    W2 = as_array(W2, "W2")
    if W2.shape not in ((h,), (h, 1)):
        raise ValueError(f"W2 must have shape ({h},) or ({h}, 1); got shape {W2.shape}")
    b2 = as_array(b2, "b2").reshape(-1)
    if b2.shape != (1,):
        raise ValueError(f"b2 must be a single number (or an array of length 1); "
                         f"got shape {b2.shape}")
    return W1, b1, W2.reshape(h), float(b2[0])


def threshold_forward(X, W1, b1, W2, b2):
    """A network of threshold units with one hidden layer:
    H = step(X @ W1 + b1),  y = step(H @ W2 + b2),  step(z) = 1[z >= 0].

    X: (n, 2) inputs; W1: (2, h); b1: (h,); W2: (h,) or (h, 1); b2: a number.
    Returns: H (n, h) hidden outputs and y (n,) network outputs, both int in {0, 1}.
    """
    W1, b1, W2, b2 = _xor_params(W1, b1, W2, b2)
    X = as_matrix(X, "X", n_features=2)
    H = step(X @ W1 + b1)
    return H, step(H @ W2 + b2)


def xor_network():
    """A hand-built 2-2-1 threshold network computing XOR on {0, 1}².

    Hidden unit 1 is OR  (x1 + x2 - 0.5 >= 0), hidden unit 2 is NAND
    (-x1 - x2 + 1.5 >= 0) and the output is their AND (h1 + h2 - 1.5 >= 0):
    XOR(x1, x2) = OR(x1, x2) AND NAND(x1, x2).
    Returns: W1 (2, 2), b1 (2,), W2 (2, 1), b2 (1,).
    """
    W1 = np.array([[1.0, -1.0],
                   [1.0, -1.0]])
    b1 = np.array([-0.5, 1.5])
    W2 = np.array([[1.0], [1.0]])
    b2 = np.array([-1.5])
    return W1, b1, W2, b2


def compose_linear(params):
    """The single affine map computed by a stack of linear layers.

    With identity activations, x -> (x W1 + b1) W2 + b2 = x (W1 W2) + (b1 W2 + b2);
    by induction, for L layers W = W1 W2 ... WL and b = (...((b1 W2 + b2) W3 + b3) ...) WL + bL.

    params: [(W1, b1), ..., (WL, bL)] with W_l (n_{l-1}, n_l), b_l (n_l,).
    Returns: W (n_0, n_L), b (n_L,) such that X @ W + b equals the network's output.
    """
    if not isinstance(params, (list, tuple)) or len(params) == 0:
        raise TypeError(f"params must be a non-empty list of (W, b) pairs; "
                        f"got {type(params).__name__}")
    W_total, b_total = None, None
    for l, layer in enumerate(params):
        if not isinstance(layer, (list, tuple)) or len(layer) != 2:
            raise TypeError(f"params[{l}] must be a pair (W, b); got {type(layer).__name__}")
        W = as_matrix(layer[0], f"params[{l}] W")
        b = as_array(layer[1], f"params[{l}] b", ndim=1)
        if b.shape[0] != W.shape[1]:
            raise ValueError(f"params[{l}] b must have length {W.shape[1]}; got shape {b.shape}")
        if W_total is None:
            W_total, b_total = W.copy(), b.copy()
            continue
        if W.shape[0] != W_total.shape[1]:
            raise ValueError(f"params[{l}] W must have {W_total.shape[1]} rows (the outputs of "
                             f"layer {l - 1}); got shape {W.shape}")
        W_total, b_total = W_total @ W, b_total @ W + b
    return W_total, b_total


def fit_mlp(X, y, hidden_sizes=(8,), hidden="relu", lr=0.1, epochs=100, batch_size=10,
            seed=0, X_val=None, y_val=None):
    """Train a small classifier (softmax output, cross-entropy) with mini-batch SGD:
    mlcourse.fast.MLPClassifier's training (Glorot-uniform initialization and the
    shuffling both seeded by `seed`; lecture 5 opens the box). batch_size = len(X) is
    full-batch gradient descent.

    X: (n, p); y: (n,) labels; hidden_sizes: tuple of ints; hidden: a name in
    mlcourse.activations.ACTIVATIONS; lr > 0; epochs, batch_size: positive ints.
    Returns: params [(W, b)] and the history dict of sgd_train (per-epoch losses).
    """
    clf = MLPClassifier(hidden_sizes, hidden, "softmax", lr, 0.0, batch_size, epochs,
                        seed=seed).fit(X, y, X_val, y_val)
    return clf.params_, clf.history_


def probability_of_class_1(params, X, hidden="relu"):
    """P(class 1 | x) of a softmax network: forward(params, X)[:, 1].

    params: [(W, b)] with 2 outputs; X: (m, p).  Returns: (m,) probabilities.
    """
    return nn.forward(params, X, hidden=hidden, output="softmax")[0][:, 1]


def probability_grid(X, resolution=80, pad=0.15):
    """A square grid of points covering the data X (n, 2), with a margin `pad` (a
    fraction of the range).  Returns: extent (x0, x1, y0, y1) for imshow and the
    grid points G (resolution², 2), row by row from the bottom (y0) up."""
    X = as_matrix(X, "X", n_features=2)
    lo, hi = X.min(axis=0), X.max(axis=0)
    margin = pad * np.maximum(hi - lo, 1e-9)
    lo, hi = lo - margin, hi + margin
    xs = np.linspace(lo[0], hi[0], int(resolution))
    ys = np.linspace(lo[1], hi[1], int(resolution))
    xx, yy = np.meshgrid(xs, ys)
    return (lo[0], hi[0], lo[1], hi[1]), np.column_stack([xx.ravel(), yy.ravel()])

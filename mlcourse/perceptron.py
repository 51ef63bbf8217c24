"""Threshold logic and the perceptron (lecture 1).

McCulloch & Pitts (1943): a neuron is a threshold unit, y = sign(b + w·x).
Rosenblatt (1958): the perceptron f(x) = 1 if wᵀx + b ≥ 0 else 0, trained by
the rule w ← w + η (y − ŷ) x, b ← b + η (y − ŷ).
"""
import itertools

import numpy as np

from mlcourse.validation import as_labels, as_matrix, as_scalar, as_vector


def sign(z):
    """The threshold of McCulloch–Pitts units on ±1 values: +1 if z ≥ 0 else −1 (sign(0) = +1)."""
    return np.where(np.asarray(z) >= 0, 1, -1)


def pm1_inputs(n_inputs):
    """All 2^n inputs in {−1, +1}^n in lexicographic order (−1 before +1), shape (2^n, n)."""
    return np.array(list(itertools.product([-1, 1], repeat=n_inputs)))


def truth_table(w, b):
    """Truth table of the threshold unit y = sign(b + w·x) over all x in {−1, +1}^p.

    w: (p,) weights, b: bias. Returns an int array (2^p, p + 1): the inputs in
    lexicographic order and, in the last column, the unit's output.
    """
    w = as_vector(w, "w")
    b = as_scalar(b, "b")
    X = pm1_inputs(w.shape[0])
    return np.column_stack([X, sign(b + X @ w)])


def perceptron_predict(X, w, b):
    """Perceptron output ŷ = 1 if X @ w + b ≥ 0 else 0, for each row of X (n, p)."""
    X = as_matrix(X)
    w = as_vector(w, "w", size=X.shape[1])
    return (X @ w + as_scalar(b, "b") >= 0).astype(int)


def perceptron_update(w, b, x, y, lr=1.0):
    """One step of Rosenblatt's rule on the example (x, y):

        ŷ = 1[wᵀx + b ≥ 0],   w ← w + lr (y − ŷ) x,   b ← b + lr (y − ŷ).

    Nothing changes when the example is classified correctly. Returns new
    (w, b); the inputs are not modified.
    """
    w = as_vector(w, "w")
    x = as_vector(x, "x", size=w.shape[0])
    y = int(as_labels([y], "y")[0])
    w_new, b_new = _rule(w, as_scalar(b, "b"), x, y, as_scalar(lr, "lr"))
    return w_new.copy(), float(b_new)    # a new array even when nothing changed


def _rule(w, b, x, y, lr):
    """Rosenblatt's rule without input checks (for the training loop); returns (w, b)."""
    error = y - int(x @ w + b >= 0)
    if error == 0:
        return w, b
    return w + lr * error * x, b + lr * error


def perceptron_fit(X, y, lr=1.0, max_epochs=100, w0=None, b0=0.0):
    """Train a perceptron with Rosenblatt's rule, passing over the rows of X in order.

    Stops after the first epoch with no mistake (the data are separated) or
    after `max_epochs`. Returns (w, b, n_updates), n_updates counting the
    examples on which the rule changed the weights.
    """
    w, b, n_updates, _ = perceptron_history(X, y, lr, max_epochs, w0, b0)
    return w, b, n_updates


def perceptron_history(X, y, lr=1.0, max_epochs=100, w0=None, b0=0.0):
    """Like `perceptron_fit`, and also returns the history: a list with one
    entry per update, (epoch, index of the example, w, b) after the update,
    and with the initial (w, b) first as (0, None, w0, b0)."""
    X = as_matrix(X)
    y = as_labels(y, n=X.shape[0])
    w = np.zeros(X.shape[1]) if w0 is None else as_vector(w0, "w0", size=X.shape[1])
    b = as_scalar(b0, "b0")
    lr = as_scalar(lr, "lr")
    history = [(0, None, w.copy(), b)]
    n_updates = 0
    for epoch in range(1, max_epochs + 1):
        mistakes = 0
        for i in range(X.shape[0]):
            w_new, b_new = _rule(w, b, X[i], y[i], lr)
            if w_new is not w:
                w, b = w_new, b_new
                n_updates += 1
                mistakes += 1
                history.append((epoch, i, w.copy(), b))
        if mistakes == 0:
            break
    return w, b, n_updates, history


def training_errors(X, y, w, b):
    """Number of rows of X that the perceptron (w, b) misclassifies."""
    return int(np.sum(perceptron_predict(X, w, b) != as_labels(y, n=len(X))))


def novikoff_bound(X, y, w_sep, b_sep):
    """Novikoff's (1962) bound (R/γ)² on the number of perceptron updates.

    The rule is run on augmented inputs x̃ = (x, 1) (the bias is a weight on a
    constant input), so R = max ‖x̃ᵢ‖ and γ = min yᵢ± (w̃·x̃ᵢ)/‖w̃‖ is the margin
    of the separating (w_sep, b_sep), with y± = 2y − 1. Valid for lr = 1 and
    zero initial weights; requires γ > 0 (a separating hyperplane).
    """
    X = as_matrix(X)
    y = as_labels(y, n=X.shape[0])
    w_aug = np.append(as_vector(w_sep, "w_sep", size=X.shape[1]), as_scalar(b_sep, "b_sep"))
    X_aug = np.column_stack([X, np.ones(len(X))])
    margins = (2 * y - 1) * (X_aug @ w_aug) / np.linalg.norm(w_aug)
    gamma = margins.min()
    if gamma <= 0:
        raise ValueError("(w_sep, b_sep) does not separate the data: its margin is "
                         f"{gamma:.4g} <= 0")
    R = np.linalg.norm(X_aug, axis=1).max()
    return (R / gamma) ** 2


def max_margin_separator(X, y):
    """A separating hyperplane with a large margin, by linear programming:

        maximize t  subject to  y±ᵢ (wᵀxᵢ + b) ≥ t,  −1 ≤ wⱼ, b ≤ 1.

    Returns (w, b, t); t > 0 exactly when the classes are linearly separable.
    (Any separator gives a valid Novikoff bound; a larger margin, a tighter one.)
    """
    from scipy.optimize import linprog   # imported here: the grader's workers never need it
    X = as_matrix(X)
    y_pm = 2 * as_labels(y, n=X.shape[0]) - 1
    n, p = X.shape
    # variables v = (w, b, t); linprog minimizes, so minimize -t
    cost = np.zeros(p + 2)
    cost[-1] = -1.0
    A = np.column_stack([-y_pm[:, None] * X, -y_pm, np.ones(n)])
    bounds = [(-1, 1)] * (p + 1) + [(None, None)]
    result = linprog(cost, A_ub=A, b_ub=np.zeros(n), bounds=bounds, method="highs")
    w, b, t = result.x[:p], result.x[p], result.x[-1]
    return w, float(b), float(t)

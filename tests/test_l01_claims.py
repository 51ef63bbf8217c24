"""Lecture 1's claims, asserted from the library (not from the notebook's output)."""
import numpy as np
import pytest

from mlcourse import data
from mlcourse.perceptron import (max_margin_separator, novikoff_bound, perceptron_fit,
                                 perceptron_history, pm1_inputs, sign, training_errors,
                                 truth_table)


def test_claim_1_1_threshold_unit_computes_the_logic_formula():
    table = truth_table([2, 4, -1], -2)
    assert table.shape == (8, 4)
    np.testing.assert_array_equal(table[:, :3], pm1_inputs(3))
    x1, x2, x3 = (table[:, j] == 1 for j in range(3))
    expected = np.where(x2 & (x1 | ~x3), 1, -1)
    np.testing.assert_array_equal(table[:, 3], expected)
    # the formula is not trivial: it is true on exactly 3 of 8 rows
    assert np.sum(expected == 1) == 3


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_claim_1_2_perceptron_converges_within_novikoff_bound(seed):
    X, y = data.make_blobs(n=40, margin=1.0, seed=seed)
    w, b, n_updates = perceptron_fit(X, y, lr=1.0, max_epochs=1000)
    assert training_errors(X, y, w, b) == 0
    w_star, b_star, t = max_margin_separator(X, y)
    assert t > 0
    assert 1 <= n_updates <= novikoff_bound(X, y, w_star, b_star)


def test_novikoff_bound_rejects_a_non_separating_hyperplane():
    X, y = data.make_blobs(n=20, margin=1.0, seed=0)
    with pytest.raises(ValueError, match="does not separate"):
        novikoff_bound(X, y, [0.0, 0.0], 1.0)


def test_claim_1_3_perceptron_never_reaches_zero_errors_on_xor():
    X, y = data.make_xor(n=40, noise=0.15, seed=2)
    w, b = None, 0.0
    errors = []
    for _ in range(300):
        w, b, _ = perceptron_fit(X, y, max_epochs=1, w0=w, b0=b)
        errors.append(training_errors(X, y, w, b))
    assert min(errors) >= 1
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    assert max_margin_separator(corners, np.array([0, 1, 1, 0]))[2] <= 1e-9   # XOR
    assert max_margin_separator(corners, np.array([0, 0, 0, 1]))[2] > 0.1     # AND
    assert max_margin_separator(corners, np.array([0, 1, 1, 1]))[2] > 0.1     # OR


# ------------------------------------------------- seed content: v column, XOR net, hand trace

def test_pre_activation_column_of_the_worked_truth_table():
    """v = -2 + 2 x1 + 4 x2 - x3 over the 8 rows in lexicographic order (as in the source)."""
    X = pm1_inputs(3)
    v = -2 + X @ np.array([2, 4, -1])
    assert v.tolist() == [-7, -9, 1, -1, -3, -5, 5, 3]
    assert np.array_equal(sign(v), truth_table([2.0, 4.0, -1.0], -2.0)[:, 3])


def test_two_layers_of_threshold_units_compute_xor():
    X = pm1_inputs(2)
    hidden = np.column_stack([sign(1 + X[:, 0] + X[:, 1]), sign(1 - X[:, 0] - X[:, 1])])
    assert np.array_equal(sign(-1 + hidden.sum(axis=1)), np.where(X[:, 0] != X[:, 1], 1, -1))


def test_the_update_worked_by_hand():
    X = np.array([[2.0, 1.0], [1.0, -1.0], [-1.0, 2.0], [-2.0, -1.0]])
    y = np.array([1, 1, 0, 0])
    w, b, n, history = perceptron_history(X, y, lr=1.0)
    assert n == 2 and np.array_equal(w, [3.0, -1.0]) and b == 0.0
    (_, _, w0, b0), (e1, i1, w1, b1), (e2, i2, w2, b2) = history
    assert (e1, i1, e2, i2) == (1, 2, 2, 0)                 # point 2 in epoch 1, point 0 in epoch 2
    assert np.array_equal(w1, [1.0, -2.0]) and b1 == -1.0
    assert X[2] @ w1 + b1 == -6.0                           # 0 - (||x||^2 + 1)


# ------------------------------------------------- the bound over a sweep of margins

@pytest.mark.parametrize("width", [0.05, 0.2, 1.0, 2.0])
def test_updates_never_exceed_the_bound_over_margins(width):
    for seed in range(5):
        X, y = data.make_blobs(n=40, margin=width, seed=seed)
        w, b, n = perceptron_fit(X, y, lr=1.0, max_epochs=10_000)
        assert training_errors(X, y, w, b) == 0
        w_s, b_s, _ = max_margin_separator(X, y)
        assert n <= novikoff_bound(X, y, w_s, b_s)


def test_the_bound_grows_as_the_margin_shrinks():
    medians = []
    for width in (0.05, 0.5, 2.0):
        bounds = [novikoff_bound(*data.make_blobs(n=40, margin=width, seed=s),
                                 *max_margin_separator(*data.make_blobs(n=40, margin=width, seed=s))[:2])
                  for s in range(5)]
        medians.append(np.median(bounds))
    assert medians[0] > medians[1] > medians[2]


# ------------------------------------------------- ADALINE / LMS (Widrow & Hoff, 1960)

def _lms(X, y, lr, epochs):
    X_aug, t = np.column_stack([X, np.ones(len(X))]), 2 * y - 1
    w = np.zeros(3)
    for _ in range(epochs):
        for x_i, t_i in zip(X_aug, t):
            w = w + lr * (t_i - x_i @ w) * x_i
    return w


@pytest.mark.parametrize("dataset", ["separable", "xor"])
def test_lms_settles_near_the_least_squares_weights(dataset):
    X, y = (data.make_blobs(n=40, margin=1.0, seed=1) if dataset == "separable"
            else data.make_xor(n=40, noise=0.15, seed=2))
    w_ls = np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), 2 * y - 1, rcond=None)[0]
    w_big, w_small = _lms(X, y, 0.005, 400), _lms(X, y, 0.001, 2000)
    assert np.linalg.norm(w_big - w_ls) < 0.05
    assert np.linalg.norm(w_small - w_ls) < np.linalg.norm(w_big - w_ls)   # closer for smaller eta
    assert np.linalg.norm(_lms(X, y, 0.005, 401) - w_big) < 1e-9            # it has settled


def _perceptron_on_augmented_inputs(X, y, lr, epochs):
    """Rosenblatt's rule on x~ = (x, 1) with no bias; returns w~ and the mistakes (epoch, i)."""
    X_aug = np.column_stack([X, np.ones(len(X))])
    w_aug, mistakes = np.zeros(X_aug.shape[1]), []
    for epoch in range(1, epochs + 1):
        n_before = len(mistakes)
        for i, (x_i, y_i) in enumerate(zip(X_aug, y)):
            error = y_i - int(x_i @ w_aug >= 0)
            if error != 0:
                w_aug = w_aug + lr * error * x_i
                mistakes.append((epoch, i))
        if len(mistakes) == n_before:
            break
    return w_aug, mistakes


@pytest.mark.parametrize("kind, seed, lr", [("blobs", 0, 1.0), ("blobs", 3, 0.5),
                                            ("xor", 2, 0.5), ("xor", 5, 2.0)])
def test_implicit_bias_equals_explicit_bias(kind, seed, lr):
    if kind == "blobs":
        X, y = data.make_blobs(n=40, margin=0.2, seed=seed)
    else:
        X, y = data.make_xor(n=40, noise=0.15, seed=seed)
    w, b, n_updates, history = perceptron_history(X, y, lr=lr, max_epochs=15)
    w_aug, mistakes = _perceptron_on_augmented_inputs(X, y, lr, 15)
    assert n_updates >= 3                       # the rule actually did something
    assert [(epoch, i) for epoch, i, _, _ in history[1:]] == mistakes
    np.testing.assert_array_equal(w_aug, np.append(w, b))

"""Lecture 1's claims, asserted from the library (not from the notebook's output)."""
import numpy as np
import pytest

from mlcourse import data
from mlcourse.perceptron import (max_margin_separator, novikoff_bound, perceptron_fit,
                                 pm1_inputs, training_errors, truth_table)


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

"""The lecture-1 library: perceptron rule details and input validation."""
import numpy as np
import pytest

from mlcourse.perceptron import (perceptron_fit, perceptron_history, perceptron_predict,
                                 perceptron_update, sign)


def test_sign_of_zero_is_plus_one():
    np.testing.assert_array_equal(sign([-0.5, 0.0, 2.0]), [-1, 1, 1])


def test_predict_counts_the_boundary_as_class_one():
    X = np.array([[1.0, 1.0], [0.0, 0.0]])
    np.testing.assert_array_equal(perceptron_predict(X, [1.0, -1.0], 0.0), [1, 1])
    np.testing.assert_array_equal(perceptron_predict(X, [1.0, -1.0], -0.1), [0, 0])


def test_update_follows_rosenblatt_and_does_not_mutate():
    w, x = np.array([1.0, -1.0]), np.array([-1.0, 1.0])
    w_new, b_new = perceptron_update(w, 0.0, x, 1, lr=0.5)       # predicted 0, label 1
    np.testing.assert_allclose(w_new, [0.5, -0.5])
    assert b_new == 0.5
    np.testing.assert_array_equal(w, [1.0, -1.0])
    w_same, b_same = perceptron_update(w, 0.0, x, 0, lr=0.5)     # correct: unchanged
    np.testing.assert_array_equal(w_same, w)
    assert b_same == 0.0


def test_history_starts_at_the_initial_weights_and_counts_updates():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 0, 0, 1])
    w, b, n, history = perceptron_history(X, y)
    assert history[0][1] is None and len(history) == n + 1
    assert (w, b, n) == (w, b, perceptron_fit(X, y)[2]) and n == perceptron_fit(X, y)[2]


@pytest.mark.parametrize("call, message", [
    (lambda: perceptron_predict(np.ones(3), np.ones(3), 0.0), "X must be a 2-D array"),
    (lambda: perceptron_predict(np.ones((2, 3)), np.ones(2), 0.0), "w must have length 3"),
    (lambda: perceptron_predict(np.array([[np.nan, 1.0]]), np.ones(2), 0.0), "X must be finite"),
    (lambda: perceptron_predict(np.ones((2, 2)), np.ones(2), np.inf), "b must be finite"),
    (lambda: perceptron_fit(np.ones((3, 2)), np.array([0, 1, 2])), r"y must hold labels in \{0, 1\}"),
    (lambda: perceptron_fit(np.ones((3, 2)), np.array([0, 1])), "one label per row"),
    (lambda: perceptron_fit(np.ones((3, 2)), np.array([0.0, np.nan, 1.0])), "y must hold labels"),
    (lambda: perceptron_update(np.ones(2), 0.0, np.ones(3), 1), "x must have length 2"),
])
def test_bad_input_names_the_argument(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()

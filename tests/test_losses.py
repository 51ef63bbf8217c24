"""Unit tests of mlcourse.losses."""
import numpy as np
import pytest
from scipy.special import expit, logsumexp
from scipy.special import softmax as sp_softmax

from mlcourse import losses


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    Z = rng.normal(scale=2.0, size=(8, 4))
    y = rng.integers(0, 4, size=8)
    return Z, y


def test_one_hot():
    np.testing.assert_array_equal(losses.one_hot([2, 0, 1], 3),
                                  [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    with pytest.raises(ValueError, match="y must hold labels"):
        losses.one_hot([0, 3], 3)
    with pytest.raises(ValueError, match="n_classes must be"):
        losses.one_hot([0, 1], 0)


def test_binary_cross_entropy_matches_formula():
    p = np.array([0.9, 0.2, 0.6, 0.01])
    y = np.array([1, 0, 0, 1])
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert losses.binary_cross_entropy(p, y) == pytest.approx(expected, rel=1e-14)
    assert np.isfinite(losses.binary_cross_entropy(np.array([0.0, 1.0]), np.array([1, 0])))


def test_binary_cross_entropy_with_logits_is_stable():
    z = np.array([-3.0, 0.5, 2.0, 0.0])
    y = np.array([0, 1, 0, 1])
    p = expit(z)
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert losses.binary_cross_entropy_with_logits(z, y) == pytest.approx(expected, rel=1e-13)
    with np.errstate(all="raise"):
        value = losses.binary_cross_entropy_with_logits(np.array([-1000.0, 1000.0]),
                                                        np.array([1, 0]))
    assert value == pytest.approx(1000.0)


def test_per_unit_binary_cross_entropy_sums_over_units():
    P = np.array([[0.8, 0.1], [0.3, 0.6]])
    Y = np.array([[1, 0], [0, 1]])
    expected = -np.sum(Y * np.log(P) + (1 - Y) * np.log(1 - P)) / 2
    assert losses.binary_cross_entropy(P, Y) == pytest.approx(expected)


def test_cross_entropy_and_with_logits(data):
    Z, y = data
    P = sp_softmax(Z, axis=1)
    expected = np.mean(logsumexp(Z, axis=1) - Z[np.arange(8), y])
    assert losses.cross_entropy(P, y) == pytest.approx(expected, rel=1e-12)
    assert losses.cross_entropy_with_logits(Z, y) == pytest.approx(expected, rel=1e-12)
    with np.errstate(all="raise"):
        big = losses.cross_entropy_with_logits(np.array([[1000.0, -1000.0]]), np.array([1]))
    assert big == pytest.approx(2000.0)


def test_cross_entropy_clips_zero_probability():
    value = losses.cross_entropy(np.array([[1.0, 0.0]]), np.array([1]))
    assert value == pytest.approx(-np.log(losses.EPS))


def test_softmax_cross_entropy_grad_matches_finite_differences(data):
    Z, y = data
    G = losses.softmax_cross_entropy_grad(Z, y)
    np.testing.assert_allclose(G, (sp_softmax(Z, axis=1) - np.eye(4)[y]) / 8, rtol=1e-12)
    h = 1e-6
    num = np.zeros_like(Z)
    for i in np.ndindex(Z.shape):
        E = np.zeros_like(Z)
        E[i] = h
        num[i] = (losses.cross_entropy_with_logits(Z + E, y)
                  - losses.cross_entropy_with_logits(Z - E, y)) / (2 * h)
    np.testing.assert_allclose(G, num, rtol=1e-6, atol=1e-10)


def test_mse_and_grad():
    pred = np.array([[1.0, 2.0], [3.0, 5.0]])
    target = np.array([[1.0, 0.0], [4.0, 5.0]])
    assert losses.mse(pred, target) == pytest.approx((0 + 4 + 1 + 0) / 4)
    np.testing.assert_allclose(losses.mse_grad(pred, target), 2 * (pred - target) / 4)
    with pytest.raises(ValueError, match="target must have the same shape"):
        losses.mse(pred, target[0])


def test_inputs_not_mutated(data):
    Z, y = data
    Z0, y0 = Z.copy(), y.copy()
    losses.cross_entropy_with_logits(Z, y)
    losses.softmax_cross_entropy_grad(Z, y)
    losses.cross_entropy(sp_softmax(Z, axis=1), y)
    np.testing.assert_array_equal(Z, Z0)
    np.testing.assert_array_equal(y, y0)


def test_bad_inputs_are_named(data):
    Z, y = data
    with pytest.raises(ValueError, match="y must hold labels in"):
        losses.binary_cross_entropy(np.array([0.5, 0.5]), np.array([0, 2]))
    with pytest.raises(ValueError, match="y must have the same shape"):
        losses.binary_cross_entropy(np.array([0.5, 0.5]), np.array([0, 1, 1]))
    with pytest.raises(ValueError, match="p must hold probabilities"):
        losses.binary_cross_entropy(np.array([1.5]), np.array([1]))
    with pytest.raises(ValueError, match="p must be finite"):
        losses.binary_cross_entropy(np.array([np.nan]), np.array([1]))
    with pytest.raises(ValueError, match="probs must be a 2-D array"):
        losses.cross_entropy(np.array([0.5, 0.5]), np.array([0, 1]))
    with pytest.raises(ValueError, match="y must have one label per row"):
        losses.cross_entropy_with_logits(Z, y[:3])
    with pytest.raises(ValueError, match="y must hold labels"):
        losses.cross_entropy_with_logits(Z, np.full(8, 4))
    with pytest.raises(ValueError, match="Z must be finite"):
        losses.softmax_cross_entropy_grad(np.full((2, 2), np.nan), np.array([0, 1]))

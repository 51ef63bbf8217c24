"""Unit tests of mlcourse.activations against independent formulas."""
import numpy as np
import pytest
from scipy.special import expit, log_expit, logsumexp
from scipy.special import softmax as sp_softmax

from mlcourse import activations as act

Z_EXTREME = np.array([-1000.0, -50.0, -1.0, 0.0, 1e-9, 1.0, 50.0, 1000.0])


@pytest.fixture
def Z():
    return np.random.default_rng(0).normal(scale=3.0, size=(7, 5))


def test_sigmoid_matches_expit_and_is_stable():
    with np.errstate(all="raise"):
        s = act.sigmoid(Z_EXTREME)
    np.testing.assert_allclose(s, expit(Z_EXTREME), rtol=1e-15, atol=0)
    assert act.sigmoid(0.0) == 0.5
    assert act.sigmoid(np.array([0.0]))[0] == 0.5


def test_log_sigmoid_and_softplus_are_stable():
    with np.errstate(all="raise"):
        ls = act.log_sigmoid(Z_EXTREME)
        sp = act.softplus(Z_EXTREME)
    np.testing.assert_allclose(ls, log_expit(Z_EXTREME), rtol=1e-13)
    np.testing.assert_allclose(sp, np.logaddexp(0.0, Z_EXTREME), rtol=1e-13)
    assert ls[0] == -1000.0 and sp[-1] == 1000.0


def test_tanh_matches_numpy_and_is_stable():
    z = np.concatenate([Z_EXTREME, np.linspace(-5, 5, 101)])
    with np.errstate(all="raise"):
        t = act.tanh(z)
    np.testing.assert_allclose(t, np.tanh(z), rtol=1e-14, atol=1e-16)
    assert act.tanh(0.0) == 0.0


def test_relu_and_leaky_relu():
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(act.relu(z), [0.0, 0.0, 3.0])
    np.testing.assert_allclose(act.leaky_relu(z), [-0.02, 0.0, 3.0])
    np.testing.assert_allclose(act.leaky_relu(z, alpha=0.2), [-0.4, 0.0, 3.0])


def test_softmax_and_log_softmax(Z):
    with np.errstate(all="raise"):
        P = act.softmax(Z)
        big = act.softmax(np.array([[1000.0, 0.0, -1000.0]]))
        lbig = act.log_softmax(np.array([[1000.0, 0.0, -1000.0]]))
    np.testing.assert_allclose(P, sp_softmax(Z, axis=1), rtol=1e-14)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_allclose(act.log_softmax(Z), Z - logsumexp(Z, axis=1, keepdims=True),
                               rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(big, [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(lbig, [[0.0, -1000.0, -2000.0]])
    np.testing.assert_allclose(act.softmax(Z[0]), sp_softmax(Z[0]))   # a single vector


def _project_simplex_bisection(z, iters=200):
    """Independent reference: find τ with Σ max(z - τ, 0) = 1 by bisection."""
    lo, hi = z.min() - 1.0, z.max()
    for _ in range(iters):
        mid = (lo + hi) / 2
        if np.maximum(z - mid, 0).sum() > 1:
            lo = mid
        else:
            hi = mid
    return np.maximum(z - (lo + hi) / 2, 0)


def test_sparsemax_is_the_projection_onto_the_simplex():
    rng = np.random.default_rng(1)
    Z = rng.normal(scale=2.0, size=(20, 6))
    P = act.sparsemax(Z)
    expected = np.array([_project_simplex_bisection(z) for z in Z])
    np.testing.assert_allclose(P, expected, atol=1e-10)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert (P >= 0).all() and (P == 0).any()                 # sparse
    np.testing.assert_allclose(act.sparsemax(np.array([0.0, 0.0])), [0.5, 0.5])
    np.testing.assert_allclose(act.sparsemax(np.array([5.0, 0.0, 0.0])), [1.0, 0.0, 0.0])
    np.testing.assert_allclose(act.sparsemax(Z[3]), P[3])


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "linear"])
def test_derivatives_match_finite_differences(name):
    f, fprime = act.ACTIVATIONS[name]
    z = np.array([-3.0, -0.7, -0.1, 0.2, 0.9, 4.0])         # away from the kink at 0
    h = 1e-6
    numeric = (f(z + h) - f(z - h)) / (2 * h)
    np.testing.assert_allclose(fprime(z), numeric, rtol=1e-6, atol=1e-9)
    assert fprime(z).shape == z.shape


def test_derivative_conventions_at_zero_and_extremes():
    assert act.relu_grad(np.array([0.0]))[0] == 0.0
    assert act.leaky_relu_grad(np.array([0.0]), alpha=0.1)[0] == 0.1
    with np.errstate(all="raise"):
        np.testing.assert_allclose(act.sigmoid_grad(Z_EXTREME[[0, -1]]), 0.0, atol=1e-300)
        np.testing.assert_allclose(act.tanh_grad(Z_EXTREME[[0, -1]]), 0.0)
    assert set(act.ACTIVATIONS) == {"sigmoid", "tanh", "relu", "leaky_relu", "linear"}


@pytest.mark.parametrize("fn", [act.sigmoid, act.tanh, act.relu, act.softplus, act.softmax,
                                act.log_softmax, act.sparsemax, act.sigmoid_grad, act.relu_grad])
def test_inputs_are_not_mutated(fn, Z):
    before = Z.copy()
    out = fn(Z)
    np.testing.assert_array_equal(Z, before)
    assert out is not Z and out.shape == Z.shape


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="z must be finite"):
        act.sigmoid(np.array([0.0, np.nan]))
    with pytest.raises(TypeError, match="z must be an array of numbers"):
        act.relu(["a", "b"])
    with pytest.raises(ValueError, match="Z must be finite"):
        act.softmax(np.array([[1.0, np.inf]]))
    with pytest.raises(ValueError, match="Z must be an array"):
        act.sparsemax(3.0)

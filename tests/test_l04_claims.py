"""Lecture 4's claims, asserted from the library (not from the notebook's output)."""
import itertools

import numpy as np
import pytest

from mlcourse import data, nn
from mlcourse.activations import (leaky_relu, linear, relu, sigmoid, softmax, sparsemax, tanh)
from mlcourse.losses import cross_entropy_with_logits, one_hot, softmax_cross_entropy_grad
from mlcourse.mlp_examples import compose_linear, fit_mlp, threshold_forward, xor_network


# ---------------------------------------------------------------- claim 4.1

@pytest.mark.parametrize("seed, sizes", [(0, [2, 50, 3]), (1, [5, 7, 4]), (2, [3, 1, 6]),
                                         (3, [2, 20, 20, 20, 3])])
def test_claim_4_1_stacked_linear_layers_are_one_affine_map(seed, sizes):
    rng = np.random.default_rng(seed)
    params = [(rng.normal(size=(a, c)), rng.normal(size=c)) for a, c in zip(sizes[:-1], sizes[1:])]
    X = rng.normal(size=(200, sizes[0]))
    out, _ = nn.forward(params, X, hidden="linear", output="identity")
    W, b = compose_linear(params)
    assert W.shape == (sizes[0], sizes[-1]) and b.shape == (sizes[-1],)
    scale = np.max(np.abs(out))
    np.testing.assert_allclose(X @ W + b, out, rtol=0, atol=1e-12 * scale)
    if len(params) == 2:     # the formula of the lecture, written out
        (W1, b1), (W2, b2) = params
        np.testing.assert_allclose(W, W1 @ W2, rtol=1e-12)
        np.testing.assert_allclose(b, b1 @ W2 + b2, rtol=1e-12)
        # the usual mistakes are far off: dropping b1's passage through W2, or b = b1 + b2
        assert np.max(np.abs(X @ W + b2 - out)) > 1e-3 * scale


def test_claim_4_1_a_relu_hidden_layer_is_not_affine():
    rng = np.random.default_rng(4)
    params = [(rng.normal(size=(2, 50)), rng.normal(size=50)),
              (rng.normal(size=(50, 3)), rng.normal(size=3))]
    X = rng.normal(size=(1000, 2))
    design = np.column_stack([X, np.ones(len(X))])
    residual = {}
    for hidden in ("linear", "relu"):
        out, _ = nn.forward(params, X, hidden=hidden, output="identity")
        coef, *_ = np.linalg.lstsq(design, out, rcond=None)
        spread = np.linalg.norm(out - out.mean(axis=0))
        residual[hidden] = np.linalg.norm(design @ coef - out) / spread
    assert residual["linear"] < 1e-12
    assert residual["relu"] > 0.3


def test_claim_4_1_a_linear_network_cannot_fit_xor():
    X, y = data.make_xor(n=200, noise=0.2, seed=0)
    params, history = fit_mlp(X, y, hidden_sizes=(8, 8), hidden="linear", lr=0.05,
                              epochs=30, seed=0)
    assert history["train_accuracy"][-1] < 0.75


# ---------------------------------------------------------------- claim 4.2

CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def test_claim_4_2_hand_built_network_computes_xor():
    W1, b1, W2, b2 = xor_network()
    assert W1.shape == (2, 2) and b1.shape == (2,) and W2.shape == (2, 1) and b2.size == 1
    H, out = threshold_forward(CORNERS, W1, b1, W2, b2)
    np.testing.assert_array_equal(out, [0, 1, 1, 0])
    np.testing.assert_array_equal(H[:, 0], [0, 1, 1, 1])     # OR
    np.testing.assert_array_equal(H[:, 1], [1, 1, 1, 0])     # NAND
    # in hidden space the classes are linearly separable by h1 + h2 = 1.5
    np.testing.assert_array_equal((H.sum(axis=1) >= 1.5).astype(int), [0, 1, 1, 0])


def test_claim_4_2_no_single_threshold_unit_computes_xor():
    grid = np.linspace(-3, 3, 25)
    for w1, w2, b in itertools.product(grid, grid, grid):
        out = (CORNERS @ np.array([w1, w2]) + b >= 0).astype(int)
        assert not np.array_equal(out, [0, 1, 1, 0])


# ---------------------------------------------------------------- claim 4.3

def test_claim_4_3_softmax_is_shift_invariant_and_stable():
    Z = np.random.default_rng(3).normal(size=(1000, 6)) * 5
    P = softmax(Z)
    for c in (-1000.0, -10.0, 10.0, 1000.0):
        np.testing.assert_allclose(softmax(Z + c), P, rtol=0, atol=1e-12)
    big = np.array([1000.0, 1001.0, 1002.0])
    with np.errstate(all="raise"):                  # no overflow, no 0/0
        p = softmax(big)
    expected = np.exp([0.0, 1.0, 2.0]) / np.exp([0.0, 1.0, 2.0]).sum()
    np.testing.assert_allclose(p, expected, rtol=1e-14)
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(big) / np.exp(big).sum()
    assert np.all(np.isnan(naive))                  # the contrast the lecture shows
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(P > 0)


def test_claim_4_3_sparsemax_has_exact_zeros_and_lies_on_the_simplex():
    Z = np.random.default_rng(3).normal(size=(1000, 6)) * 5
    S = sparsemax(Z)
    assert S.min() >= 0.0
    np.testing.assert_allclose(S.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.mean(S == 0.0) > 0.5                  # many exact zeros
    assert np.all(np.any(S == 0.0, axis=1))
    assert not np.any(softmax(Z) == 0.0)            # softmax has none on the same scores
    np.testing.assert_allclose(sparsemax(Z + 1000.0), S, rtol=0, atol=1e-10)
    # sparsemax is the Euclidean projection: no point of the simplex is closer to z
    rng = np.random.default_rng(9)
    for z, s in zip(Z[:20], S[:20]):
        others = rng.dirichlet(np.ones(6), size=500)
        assert np.all(np.sum((others - z) ** 2, axis=1) >= np.sum((s - z) ** 2) - 1e-12)


# ---------------------------------------------------------------- other computed facts

def test_sigmoid_is_a_rescaled_tanh():
    z = np.linspace(-20.0, 20.0, 100001)
    np.testing.assert_allclose(sigmoid(z), (1 + tanh(z / 2)) / 2, rtol=0, atol=1e-15)
    np.testing.assert_allclose(tanh(z), np.tanh(z), rtol=0, atol=1e-15)


def test_softmax_of_two_classes_is_a_sigmoid_and_sparsemax_a_hard_sigmoid():
    Z = np.random.default_rng(2).normal(size=(1000, 2)) * 3
    np.testing.assert_allclose(softmax(Z)[:, 1], sigmoid(Z[:, 1] - Z[:, 0]), rtol=0, atol=1e-15)
    t = np.linspace(-3.0, 3.0, 601)
    S = sparsemax(np.column_stack([t, np.zeros_like(t)]))
    np.testing.assert_allclose(S[:, 0], np.clip((t + 1) / 2, 0, 1), rtol=0, atol=1e-15)


def test_activation_properties_of_the_table():
    z = np.linspace(-1000.0, 1000.0, 200001)
    for g in (linear, sigmoid, tanh, relu, lambda v: leaky_relu(v, 0.1)):
        assert np.all(np.diff(g(z)) >= 0)                              # monotone
    assert 0.0 <= sigmoid(z).min() and sigmoid(z).max() <= 1.0         # bounded
    assert -1.0 <= tanh(z).min() and tanh(z).max() <= 1.0
    assert relu(z).max() == 1000.0 and leaky_relu(z, 0.1).min() == -100.0   # unbounded
    normal = np.random.default_rng(0).standard_normal(100000)
    assert 0.49 < np.mean(relu(normal) == 0) < 0.51                     # sparse
    for g in (sigmoid, tanh, lambda v: leaky_relu(v, 0.1)):
        assert np.mean(g(normal) == 0) == 0


def _numerical_gradient(f, z, eps=1e-6):
    grad = np.zeros_like(z)
    for k in range(z.size):
        e = np.zeros_like(z)
        e.flat[k] = eps
        grad.flat[k] = (f(z + e) - f(z - e)) / (2 * eps)
    return grad


def test_cross_entropy_gradient_is_softmax_minus_onehot():
    z = np.random.default_rng(6).normal(size=5) * 2
    for y in range(5):
        analytic = softmax(z) - one_hot([y], 5)[0]
        numeric = _numerical_gradient(lambda v: -np.log(softmax(v)[y]), z)
        assert np.linalg.norm(analytic - numeric) / np.linalg.norm(analytic) < 1e-7
        assert abs(analytic.sum()) < 1e-15
        # a sign error or a missing onehot would be far off
        assert np.linalg.norm(-analytic - numeric) > 0.1
        assert np.linalg.norm(softmax(z) - numeric) > 0.1
    Z = np.random.default_rng(7).normal(size=(8, 4))
    y = np.array([0, 1, 2, 3, 3, 2, 1, 0])
    numeric = _numerical_gradient(lambda V: cross_entropy_with_logits(V, y), Z)
    np.testing.assert_allclose((softmax(Z) - one_hot(y, 4)) / 8, numeric, rtol=0, atol=1e-8)
    np.testing.assert_allclose(softmax_cross_entropy_grad(Z, y), numeric, rtol=0, atol=1e-8)


# ---------------------------------------------------------------- capacity pictures

def test_capacity_depth_helps_relu_on_spirals_and_deep_sigmoid_stalls():
    spirals = data.make_spirals(240, noise=0.05, turns=1.25, seed=0)
    circles = data.make_circles(240, noise=0.08, seed=0)
    acc = {}
    for name, (X, y), activation, lr, depth in [("spirals", spirals, "relu", 0.1, 1),
                                                ("spirals", spirals, "relu", 0.1, 4),
                                                ("circles", circles, "sigmoid", 1.0, 1),
                                                ("circles", circles, "sigmoid", 1.0, 4)]:
        params, history = fit_mlp(X, y, hidden_sizes=(8,) * depth, hidden=activation,
                                  lr=lr, epochs=100, batch_size=10, seed=0)
        acc[name, activation, depth] = history["train_accuracy"][-1]
        if activation == "sigmoid" and depth == 4:       # stuck: predicts 1/2 everywhere
            assert abs(history["train_loss"][-1] - np.log(2)) < 0.01
        assert history["train_accuracy"][-1] == nn.accuracy(params, X, y, activation)
    assert acc["spirals", "relu", 4] >= 0.95
    assert acc["spirals", "relu", 1] < acc["spirals", "relu", 4] - 0.05
    assert acc["circles", "sigmoid", 1] >= 0.95
    assert acc["circles", "sigmoid", 4] <= 0.6

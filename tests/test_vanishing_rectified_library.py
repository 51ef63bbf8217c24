"""Unit tests of mlcourse.vanishing, mlcourse.rectified and mlcourse.experiments."""
import numpy as np
import pytest

from mlcourse import experiments, initializers, nn, rectified, vanishing
from mlcourse.activations import sigmoid


def random_net(sizes, seed=0, bias=0.3):
    rng = np.random.default_rng(seed)
    return [(rng.normal(0, 1 / np.sqrt(a), (a, b)), rng.normal(0, bias, b))
            for a, b in zip(sizes[:-1], sizes[1:])]


# ---------------------------------------------------------------- the chain

def chain_output(ws, x, bs):
    a = x
    for w, b in zip(ws, bs):
        a = 1 / (1 + np.exp(-(w * a + b)))
    return a


def chain_backward(ws, x, bs):
    """An independent reverse-mode pass: forward storing a_k, then dy/da_{k-1} = dy/da_k s'(z_k) w_k."""
    a = [x]
    for w, b in zip(ws, bs):
        a.append(1 / (1 + np.exp(-(w * a[-1] + b))))
    g = 1.0
    for k in range(len(ws) - 1, 0, -1):
        g *= a[k + 1] * (1 - a[k + 1]) * ws[k]
    return g * a[1] * (1 - a[1]) * x


@pytest.mark.parametrize("L", [1, 3, 9, 20])
def test_chain_grad_matches_an_independent_backward_pass(L):
    rng = np.random.default_rng(L)
    ws, bs, x = rng.normal(0, 1.5, L), rng.normal(0, 0.5, L), -1.3
    assert vanishing.chain_grad(ws, x, bs) == pytest.approx(chain_backward(ws, x, bs), rel=1e-12)


@pytest.mark.parametrize("L", [1, 2, 5])
def test_chain_grad_matches_centred_differences(L):
    rng = np.random.default_rng(L)
    ws, bs, x = rng.normal(0, 1.5, L), rng.normal(0, 0.5, L), 0.7
    h = 1e-6
    numerical = (chain_output(ws + h * np.eye(L)[0], x, bs)
                 - chain_output(ws - h * np.eye(L)[0], x, bs)) / (2 * h)
    assert vanishing.chain_grad(ws, x, bs) == pytest.approx(numerical, rel=1e-6, abs=1e-12)
    assert vanishing.chain_grad(ws, x) == pytest.approx(
        (chain_output(ws + h * np.eye(L)[0], x, np.zeros(L))
         - chain_output(ws - h * np.eye(L)[0], x, np.zeros(L))) / (2 * h), rel=1e-6, abs=1e-12)


def test_chain_factors_multiply_to_the_gradient_and_forward_is_consistent():
    ws, x = np.array([0.8, -1.2, 0.5, 1.5]), 2.0
    f = vanishing.chain_factors(ws, x)
    assert f.shape == (4,) and np.prod(f) == pytest.approx(vanishing.chain_grad(ws, x), rel=1e-14)
    z, a = vanishing.chain_forward(ws, x)
    assert a[0] == x and a[-1] == pytest.approx(chain_output(ws, x, np.zeros(4)))
    assert np.allclose(z, ws * a[:-1])


def test_chain_grad_is_stable_and_validates():
    assert vanishing.chain_grad([-500.0, 1.0], 2.0) == 0.0
    with pytest.raises(ValueError, match="ws must hold at least one weight"):
        vanishing.chain_grad([], 1.0)
    with pytest.raises(ValueError, match="x must be a single number"):
        vanishing.chain_grad([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="bs must have length 2"):
        vanishing.chain_grad([1.0, 2.0], 1.0, [0.0])
    with pytest.raises(ValueError, match="ws must be finite"):
        vanishing.chain_grad([np.nan], 1.0)


# ---------------------------------------------------------------- initialization

def test_fan_in_uniform_bounds_and_variance():
    W = initializers.fan_in_uniform(400, 300, np.random.default_rng(0))
    a = 1 / np.sqrt(400)
    assert W.shape == (400, 300) and np.abs(W).max() <= a and np.abs(W).max() > 0.99 * a
    assert W.var() == pytest.approx(1 / (3 * 400), rel=0.02)
    with pytest.raises(ValueError, match="n_in must be a positive int"):
        initializers.fan_in_uniform(0, 3, 0)


def test_init_network_shapes_biases_and_errors():
    p = vanishing.init_network([5, 4, 3], 0, "lecun_normal", bias_std=1.0, dtype=np.float32)
    assert [W.shape for W, _ in p] == [(5, 4), (4, 3)] and [b.shape for _, b in p] == [(4,), (3,)]
    assert all(W.dtype == np.float32 and b.dtype == np.float32 for W, b in p)
    assert np.any(p[0][1] != 0)
    q = vanishing.init_network([5, 4, 3], 0, "fan_in_uniform")
    assert all(np.all(b == 0) for _, b in q)
    r = vanishing.init_network([5, 4, 3], 0, "fan_in_uniform")
    assert all(np.array_equal(W1, W2) for (W1, _), (W2, _) in zip(q, r))
    with pytest.raises(ValueError, match="init must be one of"):
        vanishing.init_network([5, 3], 0, "xavier")
    with pytest.raises(ValueError, match="sizes must be a list"):
        vanishing.init_network([5], 0)
    with pytest.raises(ValueError, match="bias_std must be >= 0"):
        vanishing.init_network([5, 3], 0, bias_std=-1.0)


# ---------------------------------------------------------------- back-propagated gradients

@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("output", ["softmax", "sigmoid"])
def test_deltas_give_the_reference_backprop_gradients(hidden, output):
    params = random_net([6, 5, 4, 3])
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(9, 6)), rng.integers(0, 3, 9)
    deltas, caches = vanishing.backprop_deltas(params, X, y, hidden, output)
    _, ref_caches = nn.forward(params, X, hidden, output)
    grads = nn.backward(params, ref_caches, y, hidden, output)
    assert [D.shape for D in deltas] == [(9, 5), (9, 4), (9, 3)]
    for D, (A_prev, _, _), (dW, db) in zip(deltas, caches, grads):
        np.testing.assert_allclose(A_prev.T @ D / 9, dW, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(D.sum(axis=0) / 9, db, rtol=1e-10, atol=1e-14)
    norms_W = vanishing.layer_grad_norms(params, X, y, hidden, output, wrt="W")
    norms_b = vanishing.layer_grad_norms(params, X, y, hidden, output, wrt="b")
    np.testing.assert_allclose(norms_W, [np.linalg.norm(dW) for dW, _ in grads], rtol=1e-10)
    np.testing.assert_allclose(norms_b, [np.linalg.norm(db) for _, db in grads], rtol=1e-10)


def test_layer_grad_norms_matches_finite_differences():
    params = random_net([3, 4, 2])
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(5, 3)), rng.integers(0, 2, 5)
    h, W = 1e-6, params[0][0]
    G = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        E = np.zeros_like(W)
        E[idx] = h
        plus = [(W + E, params[0][1]), params[1]]
        minus = [(W - E, params[0][1]), params[1]]
        G[idx] = (nn.compute_loss(plus, X, y, "tanh") - nn.compute_loss(minus, X, y, "tanh")) / (2 * h)
    assert vanishing.layer_grad_norms(params, X, y, "tanh")[0] == pytest.approx(np.linalg.norm(G), rel=1e-6)


def test_gradient_functions_validate_their_arguments():
    params = random_net([3, 4, 2])
    X, y = np.ones((2, 3)), np.array([0, 1])
    with pytest.raises(ValueError, match="hidden must be one of"):
        vanishing.backprop_deltas(params, X, y, "swish")
    with pytest.raises(ValueError, match="output must be one of"):
        vanishing.backprop_deltas(params, X, y, "relu", "identity")
    with pytest.raises(ValueError, match="wrt must be 'W' or 'b'"):
        vanishing.layer_grad_norms(params, X, y, wrt="Z")
    with pytest.raises(ValueError, match="X must have 3 columns"):
        vanishing.layer_grad_norms(params, np.ones((2, 4)), y)
    with pytest.raises(ValueError, match="y must hold labels"):
        vanishing.layer_grad_norms(params, X, np.array([0, 5]))
    with pytest.raises(ValueError, match="norms must be positive"):
        vanishing.gradient_ratio([1.0, 0.0])
    assert vanishing.gradient_ratio([0.5, 2.0]) == 4.0


def test_delta_histograms_are_fractions():
    rng = np.random.default_rng(0)
    deltas = [rng.normal(size=(10, 4)), rng.normal(size=(10, 3)) * 100]
    H = vanishing.delta_histograms(deltas, np.linspace(-3, 3, 13))
    assert H.shape == (2, 12) and H[0].sum() > 0.95 and H[1].sum() < 0.2
    with pytest.raises(ValueError, match="bins must be an increasing"):
        vanishing.delta_histograms(deltas, [1.0, 0.0])


def test_speed_during_training_starts_at_initialization():
    params = random_net([6, 5, 5, 3])
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 6)), rng.integers(0, 3, 40)
    S = vanishing.speed_during_training(params, X, y, epochs=3, batch_size=10, lr=0.1,
                                        rng=np.random.default_rng(1))
    assert S.shape == (4, 3)
    np.testing.assert_allclose(S[0], vanishing.layer_grad_norms(params, X, y, "sigmoid", "sigmoid", "b"))
    assert not np.allclose(S[0], S[-1])


# ---------------------------------------------------------------- rectified

def brute_force_dead(params, X):
    out = []
    A = X
    for W, b in params[:-1]:
        dead = 0
        Z = A @ W + b
        for j in range(W.shape[1]):
            dead += all(Z[i, j] <= 0 for i in range(X.shape[0]))
        out.append(dead / W.shape[1])
        A = np.maximum(Z, 0)
    return np.array(out)


def test_dead_and_inactive_fractions_agree_with_brute_force():
    params = random_net([4, 30, 30, 2], bias=1.5)
    X = np.random.default_rng(3).normal(size=(25, 4))
    np.testing.assert_allclose(rectified.dead_fraction(params, X), brute_force_dead(params, X))
    inactive = rectified.inactive_fraction(params, X)
    assert [f.shape for f in inactive] == [(30,), (30,)]
    dead_from_inactive = [np.mean(f == 1.0) for f in inactive]
    np.testing.assert_allclose(dead_from_inactive, rectified.dead_fraction(params, X))


def test_hidden_preactivations_with_a_leak():
    params = random_net([3, 4, 4, 2])
    X = np.random.default_rng(4).normal(size=(6, 3))
    Z1, Z2 = rectified.hidden_preactivations(params, X, alpha=0.1)
    A1 = np.where(Z1 > 0, Z1, 0.1 * Z1)
    np.testing.assert_allclose(Z2, A1 @ params[1][0] + params[1][1])
    with pytest.raises(ValueError, match="at least one hidden layer"):
        rectified.dead_fraction(params[:1], X)
    with pytest.raises(ValueError, match="X must have 3 columns"):
        rectified.dead_fraction(params, np.ones((2, 5)))


@pytest.mark.parametrize("alpha,hidden", [(0.0, "relu"), (0.01, "leaky_relu")])
def test_train_leaky_grid_takes_reference_gradient_steps(alpha, hidden):
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(30, 2)), rng.integers(0, 2, 30)
    lrs = [0.1, 0.5]
    grid = rectified.train_leaky_grid(X, y, [2, 8, 8, 2], [alpha], lrs, steps=2, seed=7)
    params = nn.init_params([2, 8, 8, 2], np.random.default_rng(7), "he_normal")
    assert grid.loss.shape == (1, 2, 3) and grid.dead.shape == (1, 2, 3, 2)
    np.testing.assert_allclose(grid.dead[0, 0, 0], rectified.dead_fraction(params, X, alpha))
    for j, lr in enumerate(lrs):
        p = [(W.copy(), b.copy()) for W, b in params]
        for t in range(3):
            assert grid.loss[0, j, t] == pytest.approx(nn.compute_loss(p, X, y, hidden), rel=1e-4)
            _, caches = nn.forward(p, X, hidden)
            grads = nn.backward(p, caches, y, hidden)
            p = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(p, grads)]


def test_train_leaky_grid_flags_divergence_and_validates():
    rng = np.random.default_rng(6)
    X, y = rng.normal(size=(20, 2)) * 10, rng.integers(0, 2, 20)
    grid = rectified.train_leaky_grid(X, y, [2, 16, 2], [0.3], [1e-3, 1e8], steps=30)  # float64
    assert not grid.diverged[0, 0] and grid.diverged[0, 1]
    assert np.isnan(grid.loss[0, 1, -1]) and np.isfinite(grid.loss[0, 0]).all()
    with pytest.raises(ValueError, match="alphas must be in"):
        rectified.train_leaky_grid(X, y, [2, 4, 2], [-0.1], [0.1], 1)
    with pytest.raises(ValueError, match="lrs must be > 0"):
        rectified.train_leaky_grid(X, y, [2, 4, 2], [0.0], [0.0], 1)
    with pytest.raises(ValueError, match="sizes must have at least one hidden layer"):
        rectified.train_leaky_grid(X, y, [2, 2], [0.0], [0.1], 1)
    with pytest.raises(ValueError, match="steps must be an int"):
        rectified.train_leaky_grid(X, y, [2, 4, 2], [0.0], [0.1], 1.5)


# ---------------------------------------------------------------- experiments

def test_train_mnist_is_cached_and_validates():
    a = experiments.train_mnist(1, epochs=1, n_train=200, seed=3)
    b = experiments.train_mnist(1, epochs=1, n_train=200, seed=3)
    assert a is b and len(a.history["val_accuracy"]) == 1
    assert not a.params[0][0].flags.writeable
    with pytest.raises(ValueError, match="init must be one of"):
        experiments.train_mnist(1, init="xavier", n_train=200)
    with pytest.raises(ValueError, match="n_hidden must be an int >= 0"):
        experiments.train_mnist(-1, n_train=200)


def test_nielsen_init_has_unit_gaussian_biases():
    run = experiments.train_mnist(2, epochs=1, n_train=100, seed=0)
    W, b = run.init_params[0]
    assert W.dtype == np.float64 and W.std() == pytest.approx(1 / np.sqrt(W.shape[0]), rel=0.05)
    assert b.std() == pytest.approx(1.0, abs=0.4)
    assert sigmoid(0.0) == 0.5

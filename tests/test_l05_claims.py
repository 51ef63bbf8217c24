"""Lecture 5's claims, asserted from the library (not from the notebook's output)."""
import time

import numpy as np
import pytest

from mlcourse import activations, autodiff, nn
from mlcourse.autodiff import Value
from mlcourse.gradcheck import check_gradients
from mlcourse.losses import cross_entropy


def mlp_errors(params, X, y, hidden, l2=0.0):
    _, caches = nn.forward(params, X, hidden, "softmax")
    grads = nn.backward(params, caches, y, hidden, "softmax", "cross_entropy", l2=l2)
    return check_gradients(lambda p: nn.compute_loss(p, X, y, hidden, "softmax", l2=l2),
                           params, grads)


@pytest.mark.parametrize("hidden, init, l2", [("relu", "he_normal", 0.0),
                                              ("tanh", "glorot_uniform", 0.0),
                                              ("sigmoid", "glorot_uniform", 0.1)])
@pytest.mark.parametrize("seed", [0, 1])
def test_claim_5_1_backprop_matches_centred_differences(hidden, init, l2, seed):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(32, 5)), rng.integers(0, 4, size=32)
    params = nn.init_params([5, 16, 8, 4], rng, init=init)
    errors = mlp_errors(params, X, y, hidden, l2)
    assert len(errors) == 6
    assert max(errors) < 1e-6


def test_claim_5_1_the_check_catches_a_missing_activation_derivative():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(32, 5)), rng.integers(0, 4, size=32)
    params = nn.init_params([5, 16, 8, 4], rng, init="he_normal")
    P, caches = nn.forward(params, X)
    delta, grads = (P - np.eye(4)[y]) / 32, []
    for l in range(2, -1, -1):                       # backprop without the ReLU' factor
        A_prev, W, _ = caches[l]
        grads.append((A_prev.T @ delta, delta.sum(axis=0)))
        delta = delta @ W.T
    errors = check_gradients(lambda p: cross_entropy(nn.mlp_forward(p, X), y), params,
                             grads[::-1])
    assert min(errors[:4]) > 1e-2 and max(errors[4:]) < 1e-6


def test_claim_5_1_centred_differences_have_second_order_error():
    f = lambda w: -np.log(activations.sigmoid(w * -0.5 + 0.2))     # noqa: E731
    exact = -(1 - activations.sigmoid(-0.5 + 0.2)) * -0.5
    eps = np.logspace(-3, -1, 9)
    centred = [abs((f(1 + e) - f(1 - e)) / (2 * e) - exact) for e in eps]
    one_sided = [abs((f(1 + e) - f(1)) / e - exact) for e in eps]
    assert np.polyfit(np.log10(eps), np.log10(centred), 1)[0] == pytest.approx(2.0, abs=0.05)
    assert np.polyfit(np.log10(eps), np.log10(one_sided), 1)[0] == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("sizes", [[4, 8, 5, 3], [2, 6, 2], [3, 3]])
def test_claim_5_2_engine_matches_the_hand_written_backward_pass(sizes):
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(6, sizes[0])), rng.integers(0, sizes[-1], size=6)
    params = [(W, rng.normal(0.0, 0.1, size=b.shape))
              for W, b in nn.init_params(sizes, rng, init="he_normal")]
    params_v = [(autodiff.values(W), autodiff.values(b)) for W, b in params]
    loss = autodiff.mlp_loss(params_v, X, y)
    loss.backward()
    assert loss.data == pytest.approx(cross_entropy(nn.mlp_forward(params, X), y), rel=1e-12)
    for (W_v, b_v), (dW, db) in zip(params_v, nn.mlp_grads(params, X, y)):
        assert np.max(np.abs(autodiff.grad_of(W_v) - dW)) < 1e-12
        assert np.max(np.abs(autodiff.grad_of(b_v) - db)) < 1e-12


def test_claim_5_2_engine_matches_the_worked_example_by_hand():
    x, y, lam = np.array([1.0, -2.0, 0.5]), 1.0, 0.02      # penalty lam/2 ||W||^2
    W1 = np.array([[0.2, -0.4], [0.1, 0.3], [-0.5, 0.2]])
    W2 = np.array([[0.7], [-1.2]])
    h = activations.sigmoid(W1.T @ x)                      # by hand (lecture, section 6)
    y_hat = activations.sigmoid(W2.T @ h)
    d_a1 = h * (1 - h) * (W2 @ (y_hat - y))
    d_W2 = np.outer(h, y_hat - y) + lam * W2
    d_W1 = np.outer(x, d_a1) + lam * W1
    W1_v, W2_v = autodiff.values(W1), autodiff.values(W2)
    h_v = [(x @ W1_v[:, j]).sigmoid() for j in range(2)]
    y_hat_v = (h_v[0] * W2_v[0, 0] + h_v[1] * W2_v[1, 0]).sigmoid()
    penalty = sum(w ** 2 for w in W1_v.ravel()) + sum(w ** 2 for w in W2_v.ravel())
    loss = -(y_hat_v.log() * y + (1 - y_hat_v).log() * (1 - y)) + penalty * (lam / 2)
    loss.backward()
    np.testing.assert_allclose(autodiff.grad_of(W1_v), d_W1, atol=1e-15)
    np.testing.assert_allclose(autodiff.grad_of(W2_v), d_W2, atol=1e-15)


def test_total_derivative_is_the_sum_over_paths():
    def path_products(node, target):
        if node is target:
            return [1.0]
        return [local * p for parent, local in zip(node.parents,
                                                     autodiff.local_gradients(node))
                for p in path_products(parent, target)]
    u0 = Value(0.3)
    out = u0
    for _ in range(8):
        out = out.tanh() + out * 0.5
    out.backward()
    paths = path_products(out, u0)
    assert len(paths) == 2 ** 8
    assert sum(paths) == pytest.approx(u0.grad, rel=1e-12)
    assert autodiff.count_operations(out)["edges"] == 5 * 8    # linear, not exponential


def test_claim_5_3_backward_costs_a_constant_times_forward_by_exact_count():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(4, 4)), rng.integers(0, 3, size=4)
    ratios, fd_passes = [], []
    for h in [2, 8, 32]:
        params = nn.init_params([4, h, 3], rng, init="he_normal")
        loss = autodiff.mlp_loss([(autodiff.values(W), autodiff.values(b)) for W, b in params],
                                 X, y)
        counts = autodiff.count_operations(loss)
        assert counts["edges"] <= 2 * counts["ops"]            # at most two inputs per op
        ratios.append((counts["ops"] + counts["edges"]) / counts["ops"])
        fd_passes.append(2 * sum(W.size + b.size for W, b in params))
    assert all(2.5 < r < 3.0 for r in ratios)                  # about 2.9 at every width
    assert max(ratios) - min(ratios) < 0.1
    assert fd_passes == [2 * 19, 2 * 67, 2 * 259]              # grows with P


def test_claim_5_3_finite_differences_call_the_loss_twice_per_parameter():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(8, 5)), rng.integers(0, 3, size=8)
    params = nn.init_params([5, 7, 3], rng)
    calls = []

    def loss(p):
        calls.append(1)
        return nn.compute_loss(p, X, y)
    check_gradients(loss, params, nn.mlp_grads(params, X, y))
    assert len(calls) == 2 * sum(W.size + b.size for W, b in params)


def test_claim_5_3_backward_time_is_a_small_multiple_of_forward_time():
    """Timed, with a generous bound (the machine may be busy): min over repeats."""
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(256, 100)), rng.integers(0, 10, size=256)
    params = nn.init_params([100, 200, 200, 10], rng)
    _, caches = nn.forward(params, X)

    def best(fn):
        times = []
        for _ in range(9):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times)
    forward = best(lambda: nn.forward(params, X))
    backward = best(lambda: nn.backward(params, caches, y))
    n_params = sum(W.size + b.size for W, b in params)
    assert backward < 10 * forward
    assert 2 * n_params * forward > 1000 * backward       # finite differences: 2P forwards

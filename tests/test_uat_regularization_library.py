"""mlcourse.uat and mlcourse.regularization against independent implementations, and their
input validation (errors name the argument)."""
import numpy as np
import pytest

from mlcourse import data, nn, uat
from mlcourse import regularization as reg


# ---------------------------------------------------------------- uat: staircase

def test_step_is_one_at_zero():
    assert np.array_equal(uat.step([-1e-12, 0.0, 2.0]), [0.0, 1.0, 1.0])


def test_staircase_takes_the_midpoint_values_on_each_interval():
    f = np.cos
    v, c = uat.staircase(f, -1.0, 2.0, 6)
    h = 0.5
    assert np.allclose(c, -1.0 + h * np.arange(6))
    for i in range(6):                                 # a loop, independent of the library
        x_inside = c[i] + h * np.array([0.0, 0.3, 0.99])
        s = sum(v[j] * (x_inside >= c[j]) for j in range(6))
        assert np.allclose(s, f(c[i] + h / 2))


def test_staircase_eval_matches_a_loop():
    rng = np.random.default_rng(0)
    v, c, x = rng.normal(size=7), np.sort(rng.normal(size=7)), rng.normal(size=50)
    loop = np.array([sum(vi for vi, ci in zip(v, c) if xi >= ci) for xi in x])
    assert np.allclose(uat.staircase_eval(v, c, x), loop)


def test_sigmoid_net_is_an_mlp_with_n_hidden_units():
    params = uat.sigmoid_net(np.sin, 0.0, 1.0, 9, steepness=30)
    assert [W.shape for W, _ in params] == [(1, 9), (9, 1)]
    x = np.linspace(0, 1, 101)[:, None]
    out = nn.forward(params, x, "sigmoid", "identity")[0]
    assert out.shape == (101, 1) and np.max(np.abs(out[:, 0] - np.sin(x[:, 0]))) < 0.1


def test_sup_error_and_loglog_slope():
    assert uat.sup_error(np.sin, lambda x: np.sin(x) + 0.25, 0, 1) == pytest.approx(0.25)
    n = np.array([1.0, 10.0, 100.0])
    assert uat.loglog_slope(n, 3 / n ** 2) == pytest.approx(-2.0)


# ---------------------------------------------------------------- uat: ReLU interpolant

def test_relu_interpolant_matches_np_interp_and_leaves_inputs_alone():
    rng = np.random.default_rng(1)
    xs, ys = rng.uniform(-2, 2, 12), rng.normal(size=12)
    xs0, ys0 = xs.copy(), ys.copy()
    w, c, a0, a1 = uat.relu_interpolant(xs, ys)
    assert np.array_equal(xs, xs0) and np.array_equal(ys, ys0)
    order = np.argsort(xs)
    t = np.linspace(xs.min(), xs.max(), 999)
    assert np.allclose(uat.relu_interpolant_eval(w, c, a0, a1, t),
                       np.interp(t, xs[order], ys[order]), atol=1e-12)
    assert np.all(np.diff(c) > 0)


def test_relu_interpolant_of_two_points_is_a_line():
    w, c, a0, a1 = uat.relu_interpolant([3.0, 1.0], [0.0, 4.0])
    assert w.shape == c.shape == (0,) and (a0, a1) == (6.0, -2.0)


def test_relu_net_params_evaluates_like_the_formula():
    w, c = np.array([1.0, -2.0]), np.array([0.0, 1.0])
    params = uat.relu_net_params(w, c, 0.5, -1.0)
    x = np.linspace(-3, 3, 61)
    out = nn.forward(params, x[:, None], "relu", "identity")[0][:, 0]
    assert np.allclose(out, uat.relu_interpolant_eval(w, c, 0.5, -1.0, x))


# ---------------------------------------------------------------- uat: regions

def test_count_regions_along_a_line_equals_pieces_of_a_one_layer_net():
    rng = np.random.default_rng(2)
    W = rng.normal(size=(1, 6))
    b = rng.normal(size=6)
    params = [(W, b), (rng.normal(size=(6, 1)), np.zeros(1))]
    x = uat.line_inputs([-50.0], [50.0], 20000)
    kinks = -b / W[0]
    expected = 1 + np.sum((kinks > x[0, 0]) & (kinks < x[-1, 0]))
    assert uat.count_regions(params, x) == expected


def test_activation_patterns_concatenate_hidden_layers_only():
    params = uat.random_relu_params(2, [3, 4], 0)
    P = uat.activation_patterns(params, np.zeros((5, 2)))
    assert P.shape == (5, 7) and P.dtype == bool
    no_hidden = [(np.ones((2, 1)), np.zeros(1))]
    assert uat.activation_patterns(no_hidden, np.zeros((3, 2))).shape == (3, 0)


def test_zigzag_maps_the_unit_interval_onto_itself():
    for teeth in (2, 3, 5):
        params = uat.zigzag_params(teeth, 2)
        x = np.linspace(0, 1, 1001)[:, None]
        out = nn.forward(params, x, "relu", "identity")[0][:, 0]
        assert out.min() >= -1e-12 and out.max() <= 1 + 1e-12
        assert np.isclose(out.max(), 1.0) and np.isclose(out.min(), 0.0)


def test_random_relu_params_biases_are_independent_of_the_weights():
    # regression test: a reused seed once made every first-layer line pass through one point
    counts = {uat.count_regions(uat.random_relu_params(2, [24], s), uat.grid_inputs(-1, 1, 100))
              for s in range(4)}
    assert len(counts) > 1


def test_region_bounds():
    assert uat.shallow_max_regions(10, 1) == 11
    assert uat.shallow_max_regions(4, 2) == 11
    assert uat.montufar_regions(4, 1, 2) == 11
    assert uat.montufar_regions(4, 3, 2) == 2 ** 4 * 11


def test_inputs_helpers_shapes_and_order():
    line = uat.line_inputs([0.0, 1.0], [2.0, 3.0], 10)
    assert line.shape == (10, 2) and np.all(np.diff(line[:, 0]) > 0)
    assert uat.grid_inputs(0, 1, 7).shape == (49, 2)


# ---------------------------------------------------------------- regularization

def test_l2_penalty_gradient_and_step():
    theta = np.array([[1.0, -2.0], [0.5, 0.0]])
    assert reg.l2_penalty(theta, 0.2) == pytest.approx(0.1 * 5.25)
    assert np.allclose(reg.l2_penalty_grad(theta, 0.2), 0.2 * theta)
    grad = np.ones_like(theta)
    before = theta.copy()
    new = reg.l2_step(theta, grad, 0.1, 0.2)
    assert np.allclose(new, theta - 0.1 * (grad + 0.2 * theta))
    assert np.array_equal(theta, before)


def test_dropout_conventions_and_purity():
    rng = np.random.default_rng(3)
    h = rng.normal(size=(40, 50))
    h0 = h.copy()
    out, mask = reg.dropout(h, 0.25, np.random.default_rng(7))
    assert mask.dtype == bool and np.allclose(out, h * mask / 0.75)
    out_std, mask_std = reg.dropout_standard(h, 0.25, np.random.default_rng(7))
    assert np.array_equal(mask, mask_std) and np.allclose(out_std, h * mask)
    assert np.allclose(reg.dropout_standard(h, 0.25, rng, train=False)[0], 0.75 * h)
    test_out, test_mask = reg.dropout(h, 0.25, rng, train=False)
    assert np.array_equal(test_out, h) and test_mask.all() and test_out is not h
    assert np.array_equal(h, h0)


def test_flip_labels_flips_exactly_the_fraction():
    y = np.array([0, 1] * 50)
    flipped = data.flip_labels(y, 0.2, np.random.default_rng(0))
    assert np.sum(flipped != y) == 20 and np.array_equal(y, [0, 1] * 50)


def test_train_regularized_is_train_many_with_one_model():
    X, y, _, _ = data.noisy_moons(n_train=30, seed=1)
    one = reg.train_regularized(X, y, (8,), lam=0.01, p_drop=0.2, epochs=5, seed=3)
    many = reg.train_many(X[None], y[None], (8,), lam=0.01, p_drop=0.2, epochs=5, seed=3)[0]
    for (W1, b1), (W2, b2) in zip(one, many):
        assert np.array_equal(W1, W2) and np.array_equal(b1, b2)


def test_train_many_step_matches_a_plain_gradient_step():
    """One full-batch step without dropout equals l2_step on nn.backward's gradients."""
    X, y, _, _ = data.noisy_moons(n_train=20, seed=2)
    lr, lam = 0.3, 0.05
    trained = reg.train_many(X, y, (6,), lam=lam, epochs=1, lr=lr, batch_size=20, seed=5)[0]
    rng = np.random.default_rng(5)
    init = nn.init_params([2, 6, 2], rng, init="he_normal")
    perm = rng.permutation(20)
    _, caches = nn.forward(init, X[perm], "relu", "softmax")
    grads = nn.backward(init, caches, y[perm], "relu", "softmax")
    for (W, b), (dW, db), (Wt, bt) in zip(init, grads, trained):
        assert np.allclose(Wt, reg.l2_step(W, dW, lr, lam), atol=1e-12)
        assert np.allclose(bt, b - lr * db, atol=1e-12)


def test_noisy_moons_shapes():
    X, y, X_test, y_test = data.noisy_moons(n_train=10, n_test=20, seed=0)
    assert X.shape == (10, 2) and y.shape == (10,) and X_test.shape == (20, 2)
    assert set(np.unique(y_test)) <= {0, 1}


# ---------------------------------------------------------------- validation

@pytest.mark.parametrize("call, name", [
    (lambda: uat.staircase(np.sin, 1.0, 0.0, 3), "a must be < b"),
    (lambda: uat.staircase(np.sin, 0.0, 1.0, 0), "n must be"),
    (lambda: uat.staircase("sin", 0.0, 1.0, 3), "f must be"),
    (lambda: uat.relu_interpolant([1.0, 1.0], [0.0, 2.0]), "xs must hold distinct"),
    (lambda: uat.relu_interpolant([1.0, 2.0], [0.0]), "ys must have length 2"),
    (lambda: uat.relu_interpolant([1.0], [0.0]), "xs must hold at least 2"),
    (lambda: uat.count_regions([(np.ones((1, 2)), np.zeros(2))], np.zeros(3)), "X must be"),
    (lambda: uat.zigzag_params(1, 2), "teeth must be >= 2"),
    (lambda: uat.montufar_regions(1, 2, 2), "width must be >= n_inputs"),
    (lambda: reg.l2_step(np.zeros(3), np.zeros(2), 0.1, 0.1), "grad must have the shape"),
    (lambda: reg.l2_step(np.zeros(3), np.zeros(3), 0.1, -1.0), "lam must be >= 0"),
    (lambda: reg.l2_step(np.zeros(3), np.zeros(3), 0.0, 1.0), "lr must be > 0"),
    (lambda: reg.dropout(np.zeros(3), 1.0, np.random.default_rng(0)), "p must be"),
    (lambda: reg.dropout(np.zeros(3), 0.5, "rng"), "rng must be"),
    (lambda: reg.dropout([np.nan], 0.5, np.random.default_rng(0)), "h must be finite"),
    (lambda: reg.train_many(np.zeros((2, 4, 2)), np.zeros((2, 4), int), lam=[0.1, 0.2, 0.3]),
     "lam must be a number or one value per model"),
    (lambda: reg.train_many(np.zeros((4, 2)), np.zeros(3, int)), "y must have shape"),
    (lambda: reg.train_many(np.zeros((4, 2)), np.zeros(4, int), p_drop=1.5), "p_drop must be"),
])
def test_bad_input_errors_name_the_argument(call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call()

"""mlcourse.mlp_examples: the worked examples of lecture 4."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mlcourse import data, nn  # noqa: E402
from mlcourse.mlp_examples import (compose_linear, fit_mlp, probability_grid,  # noqa: E402
                                   probability_of_class_1, step, threshold_forward,
                                   xor_network)
from mlcourse.plots import BLUE_ORANGE, network, probability_map  # noqa: E402


def test_step_is_one_at_zero_and_keeps_the_shape():
    z = np.array([[-1.0, 0.0], [1e-300, -1e-300]])
    out = step(z)
    np.testing.assert_array_equal(out, [[0, 1], [1, 0]])
    assert out.dtype.kind == "i" and out.shape == z.shape
    with pytest.raises(ValueError, match="z must be finite"):
        step([0.0, np.nan])


def test_threshold_forward_matches_a_direct_computation():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 2, size=(20, 2)).astype(float)
    W1, b1, W2, b2 = rng.normal(size=(2, 3)), rng.normal(size=3), rng.normal(size=3), 0.2
    H, y = threshold_forward(X, W1, b1, W2, b2)
    H_direct = np.array([[1 if x @ W1[:, j] + b1[j] >= 0 else 0 for j in range(3)] for x in X])
    y_direct = np.array([1 if h @ W2 + b2 >= 0 else 0 for h in H_direct])
    np.testing.assert_array_equal(H, H_direct)
    np.testing.assert_array_equal(y, y_direct)
    # W2 as a column and b2 as an array of length 1 give the same
    np.testing.assert_array_equal(threshold_forward(X, W1, b1, W2[:, None], [b2])[1], y)


@pytest.mark.parametrize("args, name", [
    ((np.ones((3, 2)), np.zeros(2), np.ones(2), 0.0), "W1"),
    ((np.ones((2, 2)), np.zeros(3), np.ones(2), 0.0), "b1"),
    ((np.ones((2, 2)), np.zeros(2), np.ones((2, 2)), 0.0), "W2"),
    ((np.ones((2, 2)), np.zeros(2), np.ones(2), [0.0, 1.0]), "b2"),
])
def test_threshold_forward_errors_name_the_argument(args, name):
    with pytest.raises(ValueError, match=name):
        threshold_forward(np.zeros((4, 2)), *args)


def test_threshold_forward_rejects_inputs_of_the_wrong_width():
    with pytest.raises(ValueError, match="X must have 2 columns"):
        threshold_forward(np.zeros((4, 3)), *xor_network())


def test_xor_network_is_fresh_each_call():
    a, b = xor_network(), xor_network()
    a[0][0, 0] = 99.0
    assert b[0][0, 0] == 1.0


def test_compose_linear_equals_multiplying_out_by_hand():
    rng = np.random.default_rng(1)
    sizes = [3, 4, 5, 2]
    params = [(rng.normal(size=(a, c)), rng.normal(size=c)) for a, c in zip(sizes[:-1], sizes[1:])]
    (W1, b1), (W2, b2), (W3, b3) = params
    W, b = compose_linear(params)
    np.testing.assert_allclose(W, W1 @ W2 @ W3, rtol=1e-12)
    np.testing.assert_allclose(b, (b1 @ W2 + b2) @ W3 + b3, rtol=1e-12)
    X = rng.normal(size=(10, 3))
    np.testing.assert_allclose(X @ W + b, nn.forward(params, X, "linear", "identity")[0],
                               rtol=1e-12, atol=1e-12)


def test_compose_linear_of_one_layer_is_a_copy():
    W0, b0 = np.ones((2, 3)), np.zeros(3)
    W, b = compose_linear([(W0, b0)])
    W[0, 0] = 5.0
    b[0] = 5.0
    assert W0[0, 0] == 1.0 and b0[0] == 0.0


@pytest.mark.parametrize("params, error, match", [
    ("not a list", TypeError, "params must be a non-empty list"),
    ([], TypeError, "params must be a non-empty list"),
    ([(np.ones((2, 3)),)], TypeError, r"params\[0\] must be a pair"),
    ([(np.ones((2, 3)), np.zeros(2))], ValueError, r"params\[0\] b must have length 3"),
    ([(np.ones((2, 3)), np.zeros(3)), (np.ones((4, 1)), np.zeros(1))], ValueError,
     r"params\[1\] W must have 3 rows"),
])
def test_compose_linear_errors_name_the_layer(params, error, match):
    with pytest.raises(error, match=match):
        compose_linear(params)


def test_fit_mlp_builds_the_requested_network_and_is_reproducible():
    X, y = data.make_xor(n=60, seed=0)
    p1, h1 = fit_mlp(X, y, hidden_sizes=(5, 4), hidden="tanh", lr=0.1, epochs=3, seed=7)
    p2, h2 = fit_mlp(X, y, hidden_sizes=(5, 4), hidden="tanh", lr=0.1, epochs=3, seed=7)
    assert [W.shape for W, _ in p1] == [(2, 5), (5, 4), (4, 2)]
    assert len(h1["train_loss"]) == 3
    for (Wa, ba), (Wb, bb) in zip(p1, p2):
        np.testing.assert_array_equal(Wa, Wb)
        np.testing.assert_array_equal(ba, bb)
    p3, _ = fit_mlp(X, y, hidden_sizes=(5, 4), hidden="tanh", lr=0.1, epochs=3, seed=8)
    assert not np.array_equal(p1[0][0], p3[0][0])


def test_fit_mlp_errors_name_the_argument():
    X, y = data.make_xor(n=20, seed=0)
    with pytest.raises(ValueError, match="hidden must be one of"):
        fit_mlp(X, y, hidden="swish")
    with pytest.raises(ValueError, match="hidden_sizes must hold positive ints"):
        fit_mlp(X, y, hidden_sizes=(3, 0))
    with pytest.raises(ValueError, match="X must be a 2-D array"):
        fit_mlp(X[:, 0], y)


def test_probability_of_class_1_is_the_softmax_column():
    params = nn.init_params([2, 6, 2], np.random.default_rng(0))
    X = np.random.default_rng(1).normal(size=(30, 2))
    p = probability_of_class_1(params, X, "sigmoid")
    np.testing.assert_allclose(p, nn.forward(params, X, "sigmoid", "softmax")[0][:, 1])
    assert np.all((p > 0) & (p < 1))


def test_probability_grid_covers_the_data_row_by_row_from_the_bottom():
    X = np.array([[0.0, -1.0], [2.0, 3.0]])
    extent, G = probability_grid(X, resolution=5, pad=0.0)
    assert extent == (0.0, 2.0, -1.0, 3.0)
    assert G.shape == (25, 2)
    np.testing.assert_allclose(G[:5, 1], -1.0)          # first row: the bottom
    np.testing.assert_allclose(G[:5, 0], np.linspace(0, 2, 5))
    with pytest.raises(ValueError, match="X must have 2 columns"):
        probability_grid(np.zeros((3, 3)))


def test_plot_probability_draws_the_probability_image():
    X, y = data.make_circles(40, seed=0)
    params = nn.init_params([2, 4, 2], np.random.default_rng(0))
    fig, ax = plt.subplots()
    image = probability_map(params, X, y, "relu", ax=ax, title="t", resolution=20)
    np.testing.assert_allclose(np.asarray(image.get_array()).ravel(),
                               probability_of_class_1(params, probability_grid(X, 20)[1]))
    assert ax.get_title() == "t" and len(ax.collections) >= 2
    plt.close(fig)


def test_draw_network_draws_every_node_and_edge():
    fig, ax = plt.subplots()
    network([2, 3, 1], ax=ax)
    assert len(ax.collections) == 3                     # one scatter per layer
    assert len(ax.lines) == 2 * 3 + 3 * 1               # every edge
    with pytest.raises(ValueError, match="sizes must hold"):
        network([3], ax=ax)
    plt.close(fig)


def test_blue_orange_is_white_at_one_half():
    np.testing.assert_allclose(BLUE_ORANGE(0.5)[:3], 1.0, atol=0.01)
    r0, _, b0, _ = BLUE_ORANGE(0.0)
    r1, _, b1, _ = BLUE_ORANGE(1.0)
    assert b0 > r0 and r1 > b1                          # blue for class 0, orange for class 1

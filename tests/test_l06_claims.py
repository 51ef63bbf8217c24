"""The claims of lecture 6, computed from the library (not from the notebook's outputs)."""
import numpy as np
import pytest

from mlcourse import data
from mlcourse.activations import sigmoid_grad, tanh_grad
from mlcourse.vanishing import backprop_deltas, chain_grad, init_network, layer_grad_norms


@pytest.fixture(scope="module")
def batch():
    d = data.load_digits()
    return d.X_train[:1000].astype(np.float64), d.y_train[:1000]


def speeds(X, y, n_hidden, hidden, init, bias_std=0.0, seed=0, width=30):
    params = init_network([X.shape[1]] + [width] * n_hidden + [10], seed, init, bias_std)
    return layer_grad_norms(params, X, y, hidden, output="sigmoid", wrt="b")[:-1]


def std_ratio(X, y, hidden, init, seed=0):
    """std of the back-propagated gradient, hidden layer 5 over hidden layer 1 (5 x 100 units)."""
    params = init_network([X.shape[1]] + [100] * 5 + [10], seed, init)
    deltas, _ = backprop_deltas(params, X, y, hidden, "softmax")
    return deltas[4].std() / deltas[0].std()


# ---------------------------------------------------------------- claim 6.1

def test_claim_6_1_sigmoid_derivative_peaks_at_one_quarter_at_zero():
    z = np.linspace(-10, 10, 200_001)
    d = sigmoid_grad(z)
    assert d.max() == pytest.approx(0.25, abs=1e-15)
    assert z[d.argmax()] == 0.0
    assert np.all(d[z != 0] < 0.25)
    assert sigmoid_grad(0.0) == 0.25
    assert tanh_grad(0.0) == 1.0                      # the tanh's slope at 0, for contrast


def test_claim_6_1_consequence_chain_gradient_below_quarter_power():
    rng = np.random.default_rng(0)
    for L in range(1, 12):
        for _ in range(20):
            ws, x = rng.uniform(-1, 1, L), rng.uniform(-2, 2)
            assert abs(chain_grad(ws, x)) <= abs(x) * 0.25 ** L * (1 + 1e-12)
    # with all weights 1 the gradient falls by a factor of at least 4 per layer
    g = np.array([chain_grad(np.ones(L), 1.0) for L in range(1, 12)])
    assert np.all(g[1:] / g[:-1] <= 0.25)


# ---------------------------------------------------------------- claim 6.2

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_claim_6_2_four_sigmoid_layers_first_learns_far_slower(batch, seed):
    s = speeds(*batch, 4, "sigmoid", "lecun_normal", bias_std=1.0, seed=seed)
    assert s[-1] / s[0] >= 30                       # Nielsen: about 100; measured 90-130
    assert np.all(np.diff(s) > 0)                   # each layer slower than the one above


def test_claim_6_2_gap_grows_with_depth(batch):
    ratios = [speeds(*batch, k, "sigmoid", "lecun_normal", bias_std=1.0)[[0, -1]] for k in (2, 3, 4, 8)]
    ratios = [last / first for first, last in ratios]
    assert all(a < b for a, b in zip(ratios, ratios[1:]))
    assert ratios[-1] > 1e3


def test_claim_6_2_glorot_bengio_standard_init_sigmoid(batch):
    assert std_ratio(*batch, "sigmoid", "fan_in_uniform") > 300      # measured ~2,600


# ---------------------------------------------------------------- claim 6.3

def test_claim_6_3_tanh_with_glorot_stays_within_a_small_factor(batch):
    assert std_ratio(*batch, "tanh", "glorot_uniform") < 3
    assert std_ratio(*batch, "tanh", "fan_in_uniform") > 5           # the standard init does not


def test_claim_6_3_relu_with_he_stays_within_a_small_factor(batch):
    assert 0.5 < std_ratio(*batch, "relu", "he_normal") < 2
    ratios = [s[-1] / s[0] for s in (speeds(*batch, 4, "relu", "he_normal", seed=k) for k in range(3))]
    assert 0.5 < np.exp(np.mean(np.log(ratios))) < 2
    assert all(0.3 < r < 3 for r in ratios)


def test_claim_6_3_predicted_gains_match_within_a_factor_two(batch):
    # per-layer gain g = sqrt(n Var(W) E[f'^2]) with E[f'^2] ~ 1/16 (sigmoid), 1 (tanh), 1/2 (ReLU)
    predicted = {("sigmoid", "fan_in_uniform"): (4 * np.sqrt(3)) ** 4,
                 ("sigmoid", "glorot_uniform"): 4.0 ** 4,
                 ("tanh", "fan_in_uniform"): 3.0 ** 2,
                 ("tanh", "glorot_uniform"): 1.0,
                 ("relu", "fan_in_uniform"): 6.0 ** 2,
                 ("relu", "he_normal"): 1.0}
    for (hidden, init), value in predicted.items():
        assert 0.5 < std_ratio(*batch, hidden, init) / value < 2, (hidden, init)


def test_exploding_relu_gradients_when_variance_too_large(batch):
    X, y = batch
    base = init_network([X.shape[1]] + [100] * 10 + [10], 0, "he_normal")
    first_over_last = {}
    for c in (0.5, 2.0):
        params = [(W * np.sqrt(c), b) for W, b in base]
        s = layer_grad_norms(params, X, y, "relu", wrt="b")[:-1]
        first_over_last[c] = s[0] / s[-1]
    assert first_over_last[0.5] < 0.2 and first_over_last[2.0] > 5


# ------------------------------------------- the sigmoid with a variance matched to its slope

def _sigmoid_outputs(params, X):
    A, outputs = X, []
    for W, b in params[:-1]:
        A = 1 / (1 + np.exp(-(A @ W + b)))
        outputs.append(A)
    return outputs


def _scaled_glorot(X, scale, seed=0):
    return [(scale * W, b) for W, b in init_network([X.shape[1]] + [100] * 5 + [10], seed)]


def _sgd_epoch(params, X, y, lr, rng, batch_size=10):
    """One epoch of mini-batch SGD on the mean cross-entropy (sigmoid hidden, softmax output)."""
    for batch in np.split(rng.permutation(len(X)), len(X) // batch_size):
        deltas, _ = backprop_deltas(params, X[batch], y[batch], "sigmoid", "softmax")
        inputs = [X[batch]] + _sigmoid_outputs(params, X[batch])
        params = [(W - lr * A.T @ D / len(batch), b - lr * D.mean(axis=0))
                  for (W, b), A, D in zip(params, inputs, deltas)]
    return params


def _ratio(params, X, y):
    deltas, _ = backprop_deltas(params, X, y, "sigmoid", "softmax")
    return deltas[4].std() / deltas[0].std()


def test_four_times_glorot_balances_the_sigmoid_at_initialization(batch):
    X, y = batch
    ratios = {c: _ratio(_scaled_glorot(X, c), X, y) for c in (1, 4)}
    assert ratios[1] > 100                           # Glorot's bound: a few hundred (327)
    assert ratios[4] < 10                            # 4 x Glorot: single digits (4.8)
    for seed in (1, 2):
        assert _ratio(_scaled_glorot(X, 4, seed), X, y) < 10


def test_scaled_initialization_keeps_the_non_zero_mean_of_the_sigmoid(batch):
    X, _ = batch
    for c in (1, 2, 4):
        means = [A.mean() for A in _sigmoid_outputs(_scaled_glorot(X, c), X)]
        assert all(0.4 < m < 0.6 for m in means), (c, means)
    tanh_means = []
    A = X
    for W, b in init_network([X.shape[1]] + [100] * 5 + [10], 0)[:-1]:
        A = np.tanh(A @ W + b)
        tanh_means.append(A.mean())
    assert all(abs(m) < 0.05 for m in tanh_means)


def test_scaled_initialization_does_not_prevent_saturation_during_training(batch):
    X, y = batch
    start = _scaled_glorot(X, 4)
    top = _sigmoid_outputs(start, X)[-1]
    saturated_at_init = np.mean((top < 0.01) | (top > 0.99))
    trained = _sgd_epoch(start, X, y, 1.0, np.random.default_rng(1))
    top = _sigmoid_outputs(trained, X)[-1]
    assert saturated_at_init < 0.1
    assert top.mean() < 0.15                          # driven from 1/2 towards 0 (0.06)
    assert np.mean((top < 0.01) | (top > 0.99)) > 0.5  # most of the top layer saturated (80 %)
    assert _ratio(trained, X, y) > 1.5 * _ratio(start, X, y)   # the ratio grows (4.8 -> 9.1)

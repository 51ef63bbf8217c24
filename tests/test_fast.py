"""mlcourse.fast (the in-place trainer) against the plain loop mlcourse.nn.train."""
import numpy as np
import pytest

from mlcourse import fast, nn
from mlcourse.data import make_moons

COMBOS = [("relu", "softmax", "cross_entropy"), ("sigmoid", "softmax", "cross_entropy"),
          ("tanh", "sigmoid", "binary_cross_entropy"), ("sigmoid", "sigmoid", "mse"),
          ("leaky_relu", "identity", "mse"), ("linear", "softmax", "cross_entropy")]


def _problem(seed=5, n=23, sizes=(4, 6, 5, 3)):
    rng = np.random.default_rng(seed)
    params = [(W, rng.normal(scale=0.1, size=b.shape))
              for W, b in nn.init_params(list(sizes), rng, "glorot_normal")]
    X = rng.normal(size=(n, sizes[0]))
    y = rng.integers(0, sizes[-1], size=n)
    return params, X, y


@pytest.mark.parametrize("hidden,output,loss", COMBOS)
@pytest.mark.parametrize("l2", [0.0, 0.05])
def test_fast_path_equals_the_plain_loop(hidden, output, loss, l2):
    """Same initialization, same shuffling (same rng seed), 5 epochs of batches of 4 with a
    smaller last batch (23 = 5*4 + 3): the same parameters to 1e-12 in float64, and the
    same history."""
    params, X, y = _problem()
    kw = dict(lr=0.3, epochs=5, batch_size=4, l2=l2, hidden=hidden, output=output, loss=loss,
              X_val=X[:9], y_val=y[:9])
    plain, h_plain = nn.train(params, X, y, rng=np.random.default_rng(9), **kw)
    quick, h_fast = fast.sgd_train(params, X, y, rng=np.random.default_rng(9), **kw)
    moved = max(np.max(np.abs(W - W0)) for (W, _), (W0, _) in zip(plain, params))
    assert moved > 1e-2                                   # the training did change the weights
    for (W, b), (Wf, bf) in zip(plain, quick):
        np.testing.assert_allclose(Wf, W, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(bf, b, rtol=1e-12, atol=1e-12)
    assert set(h_fast) == set(h_plain)
    for key in h_plain:
        np.testing.assert_allclose(h_fast[key], h_plain[key], rtol=1e-12, atol=1e-12)


def test_a_wrong_decay_would_be_caught():
    """Negative control of the equivalence: the old convention (1 - lr l2 / n) differs."""
    params, X, y = _problem()
    kw = dict(lr=0.3, epochs=5, batch_size=4, hidden="relu")
    plain, _ = nn.train(params, X, y, rng=np.random.default_rng(9), l2=0.05, **kw)
    other, _ = fast.sgd_train(params, X, y, rng=np.random.default_rng(9), l2=0.05 / len(X), **kw)
    assert max(np.max(np.abs(W - Wo)) for (W, _), (Wo, _) in zip(plain, other)) > 1e-6


def test_sgd_train_history_callback_and_purity():
    X, y = make_moons(300, noise=0.1, seed=0)
    Xv, yv = make_moons(200, noise=0.1, seed=1)
    params = nn.init_params([2, 16, 2], np.random.default_rng(0))
    snapshot = [(W.copy(), b.copy()) for W, b in params]
    X0, seen = X.copy(), []
    out, hist = fast.sgd_train(params, X, y, epochs=30, batch_size=10, lr=0.3, hidden="tanh",
                               rng=np.random.default_rng(0), X_val=Xv, y_val=yv, eval_every=50,
                               callback=lambda e, p, h: seen.append(e))
    for (W, b), (W0, b0) in zip(params, snapshot):          # the caller's params are untouched
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)
    np.testing.assert_array_equal(X, X0)
    assert len(hist["train_loss"]) == len(hist["val_accuracy"]) == 30 and seen == list(range(30))
    assert hist["train_loss"][-1] < 0.5 * hist["train_loss"][0]
    assert hist["val_accuracy"][-1] > 0.95
    assert [s for s, _ in hist["val_accuracy_steps"]] == list(range(50, 30 * 30 + 1, 50))
    assert nn.accuracy(out, Xv, yv, "tanh") == pytest.approx(hist["val_accuracy"][-1])
    assert nn.compute_loss(out, X, y, "tanh") == pytest.approx(hist["train_loss"][-1])


def test_float32_early_stopping_and_l2():
    X, y = make_moons(200, seed=2)
    params = nn.init_params([2, 8, 2], np.random.default_rng(0), dtype=np.float32)
    out, hist = fast.sgd_train(params, X.astype(np.float32), y, epochs=10, batch_size=10,
                               lr=0.5, hidden="sigmoid", rng=0, callback=lambda e, p, h: e == 2)
    assert len(hist["train_loss"]) == 3 and all(W.dtype == np.float32 for W, _ in out)
    p0 = nn.init_params([2, 16, 2], np.random.default_rng(0))
    kw = dict(epochs=20, batch_size=10, lr=0.5, hidden="relu", rng=0, monitor_train=False)
    norm = lambda p: sum(np.sum(W ** 2) for W, _ in p)       # noqa: E731
    assert norm(fast.sgd_train(p0, X, y, l2=0.05, **kw)[0]) < norm(fast.sgd_train(p0, X, y, **kw)[0])


def test_mlp_classifier():
    X, y = make_moons(300, noise=0.1, seed=0)
    clf = fast.MLPClassifier(hidden_sizes=(16,), hidden="tanh", lr=0.3, epochs=30, seed=0)
    with pytest.raises(RuntimeError, match="not fitted"):
        clf.predict(X)
    assert clf.fit(X, y) is clf and clf.score(X, y) > 0.95
    assert clf.predict_proba(X).shape == (300, 2)
    np.testing.assert_array_equal(clf.predict(X), clf.predict_proba(X).argmax(axis=1))
    again = fast.MLPClassifier(hidden_sizes=(16,), hidden="tanh", lr=0.3, epochs=30, seed=0).fit(X, y)
    np.testing.assert_array_equal(again.params_[0][0], clf.params_[0][0])   # seeded
    f32 = fast.MLPClassifier((8,), output="sigmoid", epochs=2, dtype="float32").fit(X, y)
    assert f32.params_[0][0].dtype == np.float32


def test_bad_inputs_are_named():
    params, X, y = _problem()
    kw = dict(epochs=1, batch_size=2, lr=0.1, rng=0)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        fast.sgd_train(params, X, y, **{**kw, "batch_size": 0})
    with pytest.raises(ValueError, match="lr must be > 0"):
        fast.sgd_train(params, X, y, **{**kw, "lr": -1.0})
    with pytest.raises(ValueError, match="X_val must have 4 columns"):
        fast.sgd_train(params, X, y, X_val=X[:, :2], y_val=y, **kw)
    with pytest.raises(ValueError, match="eval_every needs a validation set"):
        fast.sgd_train(params, X, y, eval_every=3, **kw)

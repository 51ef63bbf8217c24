"""Unit tests of the reference MLP (mlcourse.nn): gradients by finite differences,
the fast trainer against the reference backward, purity and error messages."""
import numpy as np
import pytest

from mlcourse import nn
from mlcourse.data import make_moons

COMBOS = [("relu", "softmax", "cross_entropy"), ("sigmoid", "softmax", "cross_entropy"),
          ("tanh", "sigmoid", "binary_cross_entropy"), ("sigmoid", "sigmoid", "mse"),
          ("leaky_relu", "identity", "mse"), ("linear", "softmax", "cross_entropy")]


def _problem(seed=0, n=7, sizes=(4, 5, 3, 3)):
    rng = np.random.default_rng(seed)
    params = nn.init_params(list(sizes), rng, "glorot_normal")
    params = [(W, rng.normal(scale=0.1, size=b.shape)) for W, b in params]
    X = rng.normal(size=(n, sizes[0]))
    y = rng.integers(0, sizes[-1], size=n)
    y[:sizes[-1]] = np.arange(sizes[-1])
    return params, X, y


def _numeric_grads(params, X, y, hidden, output, loss, l2=0.0, n_total=None, h=1e-6):
    grads = []
    for l, (W, b) in enumerate(params):
        pair = []
        for which, A in ((0, W), (1, b)):
            G = np.zeros_like(A)
            for i in np.ndindex(A.shape):
                vals = []
                for s in (+h, -h):
                    A2 = A.copy()
                    A2[i] += s
                    p2 = [(A2, bb) if (k == l and which == 0) else
                          (WW, A2) if (k == l and which == 1) else (WW, bb)
                          for k, (WW, bb) in enumerate(params)]
                    vals.append(nn.compute_loss(p2, X, y, hidden, output, loss, l2, n_total))
                G[i] = (vals[0] - vals[1]) / (2 * h)
            pair.append(G)
        grads.append(tuple(pair))
    return grads


def _rel_err(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), 1e-12)


@pytest.mark.parametrize("hidden,output,loss", COMBOS)
def test_backward_matches_finite_differences(hidden, output, loss):
    params, X, y = _problem()
    _, caches = nn.forward(params, X, hidden, output)
    grads = nn.backward(params, caches, y, hidden, output, loss)
    numeric = _numeric_grads(params, X, y, hidden, output, loss)
    for (dW, db), (nW, nb), (W, b) in zip(grads, numeric, params):
        assert dW.shape == W.shape and db.shape == b.shape
        assert _rel_err(dW, nW) < 1e-6
        assert _rel_err(db, nb) < 1e-6


def test_l2_gradient_matches_finite_differences():
    params, X, y = _problem(seed=3)
    _, caches = nn.forward(params, X, "tanh", "softmax")
    grads = nn.backward(params, caches, y, "tanh", "softmax", l2=5.0, n_total=50)
    numeric = _numeric_grads(params, X, y, "tanh", "softmax", None, l2=5.0, n_total=50)
    for (dW, db), (nW, nb) in zip(grads, numeric):
        assert _rel_err(dW, nW) < 1e-6 and _rel_err(db, nb) < 1e-6


def test_regression_targets_with_identity_output():
    params, X, _ = _problem(seed=4, sizes=(3, 4, 1))
    t = np.random.default_rng(0).normal(size=7)
    _, caches = nn.forward(params, X, "tanh", "identity")
    grads = nn.backward(params, caches, t, "tanh", "identity", "mse")
    numeric = _numeric_grads(params, X, t, "tanh", "identity", "mse")
    for (dW, db), (nW, nb) in zip(grads, numeric):
        assert _rel_err(dW, nW) < 1e-6 and _rel_err(db, nb) < 1e-6


def test_mlp_forward_and_grads_are_the_relu_softmax_network():
    params, X, y = _problem(seed=1)
    P = nn.mlp_forward(params, X)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_array_equal(P, nn.forward(params, X, "relu", "softmax")[0])
    numeric = _numeric_grads(params, X, y, "relu", "softmax", "cross_entropy")
    for (dW, db), (nW, nb) in zip(nn.mlp_grads(params, X, y), numeric):
        assert _rel_err(dW, nW) < 1e-6 and _rel_err(db, nb) < 1e-6


def test_dense_layer_forward_and_backward():
    rng = np.random.default_rng(2)
    X, W, b = rng.normal(size=(5, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    out, cache = nn.dense_forward(X, W, b)
    np.testing.assert_allclose(out, X @ W + b)
    dout = rng.normal(size=(5, 2))
    dX, dW, db = nn.dense_backward(dout, cache)
    dX2, dW2, db2 = nn.dense_backward_xw(dout, X, W)
    np.testing.assert_array_equal(dX, dX2)
    # L = sum(dout * out) has gradients dout @ W.T, X.T @ dout, dout.sum(0)
    h = 1e-6
    E = np.zeros_like(W)
    E[1, 0] = h
    numeric = (np.sum(dout * nn.dense_forward(X, W + E, b)[0])
               - np.sum(dout * nn.dense_forward(X, W - E, b)[0])) / (2 * h)
    assert dW[1, 0] == pytest.approx(numeric, rel=1e-7)
    np.testing.assert_allclose(dX, dout @ W.T)
    np.testing.assert_allclose(db, dout.sum(axis=0))
    with pytest.raises(ValueError, match="dout must have shape"):
        nn.dense_backward_xw(dout[:, :1], X, W)


def test_init_params_shapes_and_dtype():
    params = nn.init_params([784, 30, 10], np.random.default_rng(0), dtype=np.float32)
    assert [(W.shape, b.shape) for W, b in params] == [((784, 30), (30,)), ((30, 10), (10,))]
    assert all(W.dtype == np.float32 and b.dtype == np.float32 and not b.any()
               for W, b in params)
    with pytest.raises(ValueError, match="sizes must be"):
        nn.init_params([3], np.random.default_rng(0))
    with pytest.raises(ValueError, match="init must be one of"):
        nn.init_params([3, 2], np.random.default_rng(0), init="nope")


@pytest.mark.parametrize("hidden,output,loss", COMBOS)
@pytest.mark.parametrize("l2", [0.0, 3.0])
def test_sgd_train_equals_reference_updates(hidden, output, loss, l2):
    """The fast in-place trainer does exactly W <- (1 - lr l2/n) W - lr dW on each
    shuffled mini-batch (including a smaller last batch)."""
    params, X, y = _problem(seed=5, n=11)
    lr, bs, epochs = 0.3, 4, 2
    got, _ = nn.sgd_train(params, X, y, epochs=epochs, batch_size=bs, lr=lr, l2=l2,
                          hidden=hidden, output=output, loss=loss,
                          rng=np.random.default_rng(9), monitor_train=False)
    rng = np.random.default_rng(9)
    ref = [(W.copy(), b.copy()) for W, b in params]
    n = X.shape[0]
    for _ in range(epochs):
        perm = rng.permutation(n)
        for s in range(0, n, bs):
            idx = perm[s:s + bs]
            _, caches = nn.forward(ref, X[idx], hidden, output)
            grads = nn.backward(ref, caches, y[idx], hidden, output, loss)
            ref = [((1 - lr * l2 / n) * W - lr * dW, b - lr * db)
                   for (W, b), (dW, db) in zip(ref, grads)]
    for (W, b), (rW, rb) in zip(got, ref):
        np.testing.assert_allclose(W, rW, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(b, rb, rtol=1e-12, atol=1e-14)


def test_sgd_train_learns_history_and_purity():
    X, y = make_moons(300, noise=0.1, seed=0)
    Xv, yv = make_moons(200, noise=0.1, seed=1)
    params = nn.init_params([2, 16, 2], np.random.default_rng(0))
    snapshot = [(W.copy(), b.copy()) for W, b in params]
    X0 = X.copy()
    seen = []
    out, hist = nn.sgd_train(params, X, y, epochs=30, batch_size=10, lr=0.3, hidden="tanh",
                             rng=np.random.default_rng(0), X_val=Xv, y_val=yv, eval_every=50,
                             callback=lambda e, p, h: seen.append(e))
    for (W, b), (W0, b0) in zip(params, snapshot):          # the caller's params are untouched
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)
    np.testing.assert_array_equal(X, X0)
    assert len(hist["train_loss"]) == len(hist["val_accuracy"]) == 30 and seen == list(range(30))
    assert hist["train_loss"][-1] < 0.5 * hist["train_loss"][0]
    assert hist["val_accuracy"][-1] > 0.95
    steps = [s for s, _ in hist["val_accuracy_steps"]]
    assert steps == list(range(50, 30 * 30 + 1, 50))
    assert nn.accuracy(out, Xv, yv, "tanh") == pytest.approx(hist["val_accuracy"][-1])
    assert nn.compute_loss(out, X, y, "tanh") == pytest.approx(hist["train_loss"][-1])


def test_sgd_train_float32_and_early_stopping():
    X, y = make_moons(200, seed=2)
    params = nn.init_params([2, 8, 2], np.random.default_rng(0), dtype=np.float32)
    out, hist = nn.sgd_train(params, X.astype(np.float32), y, epochs=10, batch_size=10,
                             lr=0.5, hidden="sigmoid", rng=0,
                             callback=lambda e, p, h: e == 2)
    assert len(hist["train_loss"]) == 3
    assert all(W.dtype == np.float32 for W, _ in out)


def test_l2_shrinks_weights():
    X, y = make_moons(200, seed=3)
    p0 = nn.init_params([2, 16, 2], np.random.default_rng(0))
    kw = dict(epochs=20, batch_size=10, lr=0.5, hidden="relu", rng=0, monitor_train=False)
    plain, _ = nn.sgd_train(p0, X, y, **kw)
    decayed, _ = nn.sgd_train(p0, X, y, l2=20.0, **kw)
    norm = lambda p: sum(np.sum(W ** 2) for W, _ in p)       # noqa: E731
    assert norm(decayed) < norm(plain)


def test_predict_and_accuracy():
    params, X, y = _problem(seed=6)
    P, _ = nn.forward(params, X, "relu", "softmax")
    np.testing.assert_array_equal(nn.predict(params, X), P.argmax(axis=1))
    assert nn.accuracy(params, X, y) == pytest.approx(np.mean(P.argmax(axis=1) == y))
    one = [(np.array([[1.0], [-1.0]]), np.array([0.0]))]
    np.testing.assert_array_equal(
        nn.predict(one, np.array([[2.0, 1.0], [0.0, 3.0]]), output="sigmoid"), [1, 0])


def test_mlp_classifier():
    X, y = make_moons(300, noise=0.1, seed=0)
    clf = nn.MLPClassifier(hidden_sizes=(16,), activation="tanh", lr=0.3, epochs=30, seed=0)
    assert not hasattr(clf, "params_")
    with pytest.raises(RuntimeError, match="not fitted"):
        clf.predict(X)
    assert clf.fit(X, y) is clf
    assert clf.score(X, y) > 0.95
    assert clf.predict_proba(X).shape == (300, 2)
    np.testing.assert_array_equal(clf.predict(X), clf.predict_proba(X).argmax(axis=1))
    assert len(clf.history_["train_loss"]) == 30
    again = nn.MLPClassifier(hidden_sizes=(16,), activation="tanh", lr=0.3, epochs=30,
                             seed=0).fit(X, y)
    np.testing.assert_array_equal(again.params_[0][0], clf.params_[0][0])   # seeded
    f32 = nn.MLPClassifier((8,), output="sigmoid", epochs=2, dtype="float32").fit(X, y)
    assert f32.params_[0][0].dtype == np.float32


def test_bad_inputs_are_named():
    params, X, y = _problem()
    with pytest.raises(ValueError, match="X must have 4 columns"):
        nn.forward(params, X[:, :3])
    with pytest.raises(ValueError, match="X must be a 2-D array"):
        nn.mlp_forward(params, X[0])
    with pytest.raises(ValueError, match="X must be finite"):
        nn.forward(params, np.full((2, 4), np.nan))
    with pytest.raises(ValueError, match=r"params\[1\] W must have 5 rows"):
        nn.forward([params[0], (np.zeros((4, 3)), np.zeros(3))], X)
    with pytest.raises(ValueError, match="y must hold labels"):
        nn.mlp_grads(params, X, np.full(7, 3))
    with pytest.raises(ValueError, match="y must have one label per row"):
        nn.mlp_grads(params, X, y[:3])
    with pytest.raises(ValueError, match="hidden must be one of"):
        nn.forward(params, X, hidden="swish")
    with pytest.raises(ValueError, match="loss 'mse' cannot be used with output 'softmax'"):
        nn.backward(params, nn.forward(params, X)[1], y, loss="mse")
    kw = dict(epochs=1, batch_size=2, lr=0.1, rng=0)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        nn.sgd_train(params, X, y, **{**kw, "batch_size": 0})
    with pytest.raises(ValueError, match="lr must be > 0"):
        nn.sgd_train(params, X, y, **{**kw, "lr": -1.0})
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        nn.sgd_train(params, X, y, **{**kw, "rng": "seed"})
    with pytest.raises(ValueError, match="X_val must have 4 columns"):
        nn.sgd_train(params, X, y, X_val=X[:, :2], y_val=y, **kw)

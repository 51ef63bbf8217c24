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


def _numeric_grads(params, X, y, hidden, output, loss, l2=0.0, h=1e-6):
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
                    vals.append(nn.compute_loss(p2, X, y, hidden, output, loss, l2))
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
    grads = nn.backward(params, caches, y, "tanh", "softmax", l2=0.1)
    plain = nn.backward(params, caches, y, "tanh", "softmax")
    numeric = _numeric_grads(params, X, y, "tanh", "softmax", None, l2=0.1)
    for (dW, db), (nW, nb), (pW, pb), (W, _) in zip(grads, numeric, plain, params):
        assert _rel_err(dW, nW) < 1e-6 and _rel_err(db, nb) < 1e-6
        np.testing.assert_allclose(dW, pW + 0.1 * W, rtol=1e-12)   # lambda/2 ||W||^2: + lambda W
        np.testing.assert_array_equal(db, pb)                       # biases are not penalized


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
    assert cache[0] is X and cache[1] is W
    # L = sum(dout * out) has gradients dout @ W.T, X.T @ dout, dout.sum(0)
    h = 1e-6
    E = np.zeros_like(W)
    E[1, 0] = h
    numeric = (np.sum(dout * nn.dense_forward(X, W + E, b)[0])
               - np.sum(dout * nn.dense_forward(X, W - E, b)[0])) / (2 * h)
    assert dW[1, 0] == pytest.approx(numeric, rel=1e-7)
    np.testing.assert_allclose(dX, dout @ W.T)
    np.testing.assert_allclose(db, dout.sum(axis=0))
    # a stack of 3 models (leading axis): each slice is the single-model result
    Xs, Ws, bs = rng.normal(size=(3, 5, 3)), rng.normal(size=(3, 3, 2)), rng.normal(size=(3, 1, 2))
    douts = rng.normal(size=(3, 5, 2))
    dXs, dWs, dbs = nn.dense_backward(douts, nn.dense_forward(Xs, Ws, bs)[1])
    for i in range(3):
        for a, b_ in zip((dXs[i], dWs[i], dbs[i, 0]), nn.dense_backward(douts[i], (Xs[i], Ws[i]))):
            np.testing.assert_allclose(a, b_, rtol=1e-14)


def test_init_params_shapes_and_dtype():
    params = nn.init_params([784, 30, 10], np.random.default_rng(0), dtype=np.float32)
    assert [(W.shape, b.shape) for W, b in params] == [((784, 30), (30,)), ((30, 10), (10,))]
    assert all(W.dtype == np.float32 and b.dtype == np.float32 and not b.any()
               for W, b in params)
    with pytest.raises(ValueError, match="sizes must be"):
        nn.init_params([3], np.random.default_rng(0))
    with pytest.raises(ValueError, match="init must be one of"):
        nn.init_params([3, 2], np.random.default_rng(0), init="nope")


def test_predict_and_accuracy():
    params, X, y = _problem(seed=6)
    P, _ = nn.forward(params, X, "relu", "softmax")
    np.testing.assert_array_equal(nn.predict(params, X), P.argmax(axis=1))
    assert nn.accuracy(params, X, y) == pytest.approx(np.mean(P.argmax(axis=1) == y))
    one = [(np.array([[1.0], [-1.0]]), np.array([0.0]))]
    np.testing.assert_array_equal(
        nn.predict(one, np.array([[2.0, 1.0], [0.0, 3.0]]), output="sigmoid"), [1, 0])


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
        nn.train(params, X, y, **{**kw, "batch_size": 0})
    with pytest.raises(ValueError, match="lr must be > 0"):
        nn.train(params, X, y, **{**kw, "lr": -1.0})
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        nn.train(params, X, y, **{**kw, "rng": "seed"})
    with pytest.raises(ValueError, match="X must have 4 columns"):
        nn.train(params, X[:, :2], y, **kw)


def test_activation_pair_and_dropout():
    rng = np.random.default_rng(4)
    Z, dA = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    for name, alpha in (("relu", 0.01), ("leaky_relu", 0.2), ("sigmoid", 0.01), ("tanh", 0.01)):
        A, cache = nn.activation_forward(Z, name, alpha)
        h = 1e-6
        numeric = (nn.activation_forward(Z + h, name, alpha)[0]
                   - nn.activation_forward(Z - h, name, alpha)[0]) / (2 * h)
        np.testing.assert_allclose(nn.activation_backward(dA, cache), dA * numeric, rtol=1e-6, atol=1e-9)
    A, mask = nn.dropout_forward(np.ones((2000, 50)), 0.3, np.random.default_rng(0))
    assert set(np.unique(mask)) == {0.0, 1 / 0.7} and abs(A.mean() - 1) < 0.01


def test_dropout_gradient_is_the_gradient_of_the_masked_network():
    params, X, y = _problem(seed=8)
    out, caches = nn.forward(params, X, "tanh", "softmax", p_drop=0.5, rng=np.random.default_rng(3))
    masks = [c[3] for c in caches[:-1]]
    grads = nn.backward(params, caches, y, "tanh", "softmax")

    def loss(p):                               # the same masks, applied by hand
        A = X
        for (W, b), m in zip(p[:-1], masks):
            A = np.tanh(A @ W + b) * m
        S = A @ p[-1][0] + p[-1][1]
        S = S - S.max(axis=1, keepdims=True)
        return -np.mean(S[np.arange(len(y)), y] - np.log(np.exp(S).sum(axis=1)))
    from mlcourse.gradcheck import check_gradients
    assert max(check_gradients(loss, params, grads)) < 1e-7


def test_train_is_the_plain_loop():
    """nn.train's parameters are those of a loop written here from forward/backward/step."""
    params, X, y = _problem(seed=5, n=11)
    got, hist = nn.train(params, X, y, lr=0.3, epochs=3, batch_size=4, l2=0.05, hidden="tanh",
                         rng=np.random.default_rng(9), X_val=X[:5], y_val=y[:5])
    rng, ref = np.random.default_rng(9), params
    for _ in range(3):
        order = rng.permutation(len(X))
        for k in range(0, len(X), 4):
            idx = order[k:k + 4]
            _, caches = nn.forward(ref, X[idx], "tanh")
            grads = nn.backward(ref, caches, y[idx], "tanh")
            ref = [((1 - 0.3 * 0.05) * W - 0.3 * dW, b - 0.3 * db) for (W, b), (dW, db) in zip(ref, grads)]
    for (W, b), (rW, rb) in zip(got, ref):
        np.testing.assert_allclose(W, rW, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(b, rb, rtol=1e-12, atol=1e-14)
    assert set(hist) == {"train_loss", "train_accuracy", "val_loss", "val_accuracy"}
    assert len(hist["val_loss"]) == 3
    assert hist["train_loss"][-1] == pytest.approx(nn.compute_loss(got, X, y, "tanh"), rel=1e-14)
    assert params[0][0] is not got[0][0]

"""Lecture 9's claims, asserted from the library (not from the notebook's outputs)."""
import numpy as np
import pytest

from mlcourse import data, nn
from mlcourse import regularization as reg


# ---------------------------------------------------------------- claim 9.1

def test_claim_9_1_weight_decay_is_a_gradient_step_on_the_penalised_loss():
    rng = np.random.default_rng(1)
    params = [(W, rng.normal(0, 0.1, b.shape))
              for W, b in nn.init_params([3, 4, 3], rng, init="he_normal")]
    X, y = rng.normal(size=(15, 3)), rng.integers(0, 3, 15)
    lr, lam = 0.2, 0.03

    def penalised(p):
        return nn.compute_loss(p, X, y, "relu", "softmax") + \
            sum(reg.l2_penalty(W, lam) for W, _ in p)

    _, caches = nn.forward(params, X, "relu", "softmax")
    grads = nn.backward(params, caches, y, "relu", "softmax")
    for l, ((W, b), (dW, _)) in enumerate(zip(params, grads)):
        fd = np.zeros_like(W)
        for idx in np.ndindex(W.shape):
            vals = []
            for eps in (1e-6, -1e-6):
                Ws = W.copy()
                Ws[idx] += eps
                vals.append(penalised([(Ws, b_) if k == l else (W_, b_)
                                       for k, (W_, b_) in enumerate(params)]))
            fd[idx] = (vals[0] - vals[1]) / 2e-6
        step = reg.l2_step(W, dW, lr, lam)
        assert np.max(np.abs(step - (W - lr * fd))) < 1e-8
        # and a wrong decay factor (1 - lam instead of 1 - lr lam) would be caught
        assert np.max(np.abs((1 - lam) * W - lr * dW - (W - lr * fd))) > 1e-3


def test_claim_9_1_matches_nn_backward_l2_convention():
    rng = np.random.default_rng(2)
    params = nn.init_params([2, 5, 2], rng)
    X, y = rng.normal(size=(12, 2)), rng.integers(0, 2, 12)
    _, caches = nn.forward(params, X, "relu", "softmax")
    plain = nn.backward(params, caches, y, "relu", "softmax")
    lam = 0.1
    decayed = nn.backward(params, caches, y, "relu", "softmax", l2=lam)   # one convention
    for (W, _), (dW, _), (dW2, _) in zip(params, plain, decayed):
        assert np.allclose(W - 0.5 * dW2, reg.l2_step(W, dW, 0.5, lam), rtol=0, atol=1e-14)


def test_weight_decay_converges_to_the_gaussian_posterior_mean():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(30, 4))
    t = A @ rng.normal(size=4) + rng.normal(0, 0.5, 30)
    s2, s2p = 0.25, 0.04
    post = np.linalg.solve(A.T @ A / s2 + np.eye(4) / s2p, A.T @ t / s2)
    theta = np.zeros(4)
    for _ in range(3000):
        theta = reg.l2_step(theta, A.T @ (A @ theta - t), 0.01, s2 / s2p)
    assert np.allclose(theta, post, atol=1e-10)


# ---------------------------------------------------------------- claim 9.2

@pytest.mark.parametrize("fn", [reg.dropout, reg.dropout_standard], ids=["inverted", "original"])
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_claim_9_2_dropout_keeps_the_expected_activation(fn, p):
    h = np.array([0.5, 1.0, -2.0, 0.0, 3.5])
    M = 200_000
    rng = np.random.default_rng(4)
    out, mask = fn(np.broadcast_to(h, (M, h.size)), p, rng, train=True)
    test_out, test_mask = fn(h, p, rng, train=False)
    assert test_mask.all()
    se = out.std(axis=0) / np.sqrt(M)
    assert np.all(np.abs(out.mean(axis=0) - test_out) <= 4 * se + 1e-15)
    assert abs((1 - mask.mean()) - p) < 4 * np.sqrt(p * (1 - p) / mask.size)
    # the two conventions differ by the factor 1 - p at test time
    scale = 1.0 if fn is reg.dropout else 1 - p
    assert np.allclose(test_out, scale * h)


def test_weight_scaling_is_exact_for_the_pre_activation_of_the_ensemble():
    rng = np.random.default_rng(5)
    k, p = 8, 0.3
    h, w2 = np.abs(rng.normal(size=k)), rng.normal(size=k)
    masks = np.array(np.meshgrid(*[[0, 1]] * k)).reshape(k, -1).T
    prob = np.prod(np.where(masks == 1, 1 - p, p), axis=1)
    assert np.isclose(prob @ ((masks * h) @ w2), (1 - p) * h @ w2, rtol=1e-12)


# ---------------------------------------------------------------- claim 9.3

def test_claim_9_3_l2_and_dropout_shrink_the_generalization_gap():
    sets = [data.noisy_moons(seed=s) for s in range(8)]
    configs = [(0.0, 0.0), (0.01, 0.0), (0.0, 0.5)]
    X = np.stack([s[0] for s in sets] * 3)
    y = np.stack([s[1] for s in sets] * 3)
    lam = np.repeat([c[0] for c in configs], 8)
    p = np.repeat([c[1] for c in configs], 8)
    models = reg.train_many(X, y, (64, 64), lam=lam, p_drop=p, epochs=300, lr=0.2,
                            batch_size=10, seed=0)
    gaps = []
    for k in range(3):
        chunk = models[8 * k:8 * (k + 1)]
        gaps.append(np.mean([reg.error_rate(m, s[2], s[3]) - reg.error_rate(m, s[0], s[1])
                             for m, s in zip(chunk, sets)]))
    baseline, l2, drop = gaps
    assert baseline > 0.1                            # the unregularized net overfits
    assert baseline - l2 > 0.05
    assert baseline - drop > 0.03


# ------------------------------------------- dropout's mask in the backward pass

def _dropout_net(W1, b1, W2, b2, x, t, keep):
    """Forward of a tanh net with inverted dropout on the hidden layer (keep: the bool
    mask of regularization.dropout), then its backward pass with nn's layer pairs.
    Returns: the squared-error loss and dL/dW1, dL/db1."""
    p = 0.5
    z1, c1 = nn.dense_forward(x, W1, b1)
    h, ch = nn.activation_forward(z1, "tanh")
    h_tilde = h * keep / (1 - p)
    out, c2 = nn.dense_forward(h_tilde, W2, b2)
    loss = 0.5 * np.sum((out - t) ** 2)
    d_h_tilde, _, _ = nn.dense_backward(out - t, c2)
    d_h = d_h_tilde * keep / (1 - p)                 # dh = m ⊙ dh~ / (1 - p)
    _, dW1, db1 = nn.dense_backward(nn.activation_backward(d_h, ch), c1)
    return loss, dW1, db1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dropout_backward_uses_the_mask_and_matches_finite_differences(seed):
    from mlcourse.gradcheck import numerical_gradient, relative_error
    rng = np.random.default_rng(seed)
    x, t = rng.normal(size=(1, 3)), rng.normal(size=(1, 2))
    W1, b1, W2, b2 = rng.normal(size=(3, 8)), rng.normal(size=8), rng.normal(size=(8, 2)), \
        np.zeros(2)
    _, keep = reg.dropout(np.ones(8), 0.5, rng, train=True)
    keep = keep.copy()
    keep[:2] = [True, False]                        # at least one kept and one dropped unit
    _, dW1, db1 = _dropout_net(W1, b1, W2, b2, x, t, keep)
    fd = numerical_gradient(lambda W: _dropout_net(W, b1, W2, b2, x, t, keep)[0], W1)
    assert relative_error(dW1, fd) < 1e-7
    # dropped units' incoming weights and biases get exactly zero gradient, kept ones do not
    assert np.all(dW1[:, ~keep] == 0) and np.all(db1[~keep] == 0)
    assert np.all(np.abs(dW1[:, keep]) > 0)


# --------------------------------------- the gradient of a shared (convolution) weight

def _conv1d(z, w, b):
    """Valid 1-D convolution (cross-correlation): a_j = b + Σ_i w_i z_{j+i}."""
    return np.lib.stride_tricks.sliding_window_view(z, len(w)) @ w + b


def _shared_weight_grad(z, delta, k):
    """∂E/∂w_i = Σ_j δ_j z_{j+i}: the sum over all output positions j."""
    return np.array([sum(delta[j] * z[j + i] for j in range(len(delta))) for i in range(k)])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weight_sharing_gradient_is_the_sum_over_positions(seed):
    from mlcourse.gradcheck import numerical_gradient, relative_error
    rng = np.random.default_rng(seed)
    z, w, b, t = rng.normal(size=20), rng.normal(size=5), 0.1, rng.normal(size=16)

    def loss(w_):
        return 0.5 * np.sum((np.tanh(_conv1d(z, w_, b)) - t) ** 2)

    y = np.tanh(_conv1d(z, w, b))
    delta = (y - t) * (1 - y ** 2)
    fd = numerical_gradient(loss, w)
    assert relative_error(_shared_weight_grad(z, delta, len(w)), fd) < 1e-7
    # a single position's term is not the gradient
    assert relative_error(delta[0] * z[:len(w)], fd) > 0.1

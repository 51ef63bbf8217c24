"""mlcourse.optim: correctness against independent computations, and errors that name the argument."""
import itertools

import numpy as np
import pytest
from sklearn.metrics import log_loss

from mlcourse import data, linear, optim


def numerical_grad(f, x, h=1e-6):
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = h
        g.flat[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


# ------------------------------------------------------------------ steps and schedules

def test_gd_step_is_theta_minus_lr_grad_and_does_not_mutate():
    theta, grad = np.arange(6.0).reshape(3, 2), np.ones((3, 2))
    before = theta.copy()
    out = optim.gd_step(theta, grad, 0.5)
    np.testing.assert_array_equal(out, before - 0.5)
    np.testing.assert_array_equal(theta, before)
    with pytest.raises(ValueError, match="grad must have the shape of theta"):
        optim.gd_step(theta, np.ones(6), 0.1)
    with pytest.raises(ValueError, match="lr"):
        optim.gd_step(theta, grad, [0.1, 0.2])


def test_decaying_lr():
    assert optim.decaying_lr(0, 0.5, 10) == 0.5
    assert optim.decaying_lr(10, 0.5, 10) == pytest.approx(0.25)
    np.testing.assert_allclose(optim.decaying_lr(np.array([0, 30]), 1.0, 10, power=2),
                               [1.0, 1 / 16])
    with pytest.raises(ValueError, match="tau must be > 0"):
        optim.decaying_lr(1, 0.1, 0)
    with pytest.raises(ValueError, match="t must be >= 0"):
        optim.decaying_lr(-1, 0.1, 10)


def test_gradient_descent_matches_a_plain_loop_and_stops_on_divergence():
    q = optim.make_quadratic((1.0, 4.0), angle=0.3)
    path = optim.gradient_descent(q.grad, [1.0, -2.0], 0.2, 25)
    theta, expected = np.array([1.0, -2.0]), [np.array([1.0, -2.0])]
    for _ in range(25):
        theta = theta - 0.2 * q.H @ theta
        expected.append(theta)
    np.testing.assert_allclose(path, expected, rtol=1e-14)
    diverged = optim.gradient_descent(q.grad, [1.0, -2.0], 1.0, 1000)
    assert diverged.shape[0] < 1001 and np.linalg.norm(diverged[-1]) <= 1e8
    # a schedule is called once with all steps
    sched = optim.gradient_descent(q.grad, [1.0, -2.0], lambda t: 0.2 / (1 + t), 3)
    step1 = np.array([1.0, -2.0]) - 0.2 * q.grad(np.array([1.0, -2.0]))
    np.testing.assert_allclose(sched[1], step1)
    np.testing.assert_allclose(sched[2], step1 - 0.1 * q.grad(step1))
    with pytest.raises(ValueError, match="lr must be >= 0"):
        optim.gradient_descent(q.grad, [1.0, 0.0], -0.1, 3)
    with pytest.raises(ValueError, match="lr must return finite step sizes"):
        optim.gradient_descent(q.grad, [1.0, 0.0], lambda t: np.ones(2), 3)
    with pytest.raises(ValueError, match="theta0 must be a 1-D array"):
        optim.gradient_descent(q.grad, [[1.0, 0.0]], 0.1, 3)


def test_gd_paths_equals_one_run_per_learning_rate():
    s = optim.two_wells_surface(2)
    lrs = np.array([0.05, 0.5, 1.5, 5.0])
    paths = optim.gd_paths(s.grad, s.start, lrs, 60)
    assert paths.shape == (4, 61, 2)
    for k, lr in enumerate(lrs[:3]):
        one = optim.gradient_descent(lambda th: s.grad(th[None])[0], s.start, lr, 60)
        np.testing.assert_allclose(paths[k], one, rtol=1e-13, atol=1e-13)
    assert np.isnan(paths[3, -1]).all()                     # the diverging run is NaN at the end


# ------------------------------------------------------------------ quadratics

def test_quadratic_loss_grad_and_eigenvalues():
    rng = np.random.default_rng(0)
    lam = np.array([0.5, 1.0, 7.0])
    q = optim.make_quadratic(lam, theta_star=[1.0, 2.0, 3.0], rng=rng)
    np.testing.assert_allclose(q.eigenvalues, lam, rtol=1e-12)
    np.testing.assert_allclose(q.H, q.H.T)
    assert q.critical_lr == pytest.approx(2 / 7)
    theta = rng.normal(size=3)
    np.testing.assert_allclose(q.grad(theta), numerical_grad(q.loss, theta), rtol=1e-7)
    e = theta - q.theta_star
    assert q.loss(theta) == pytest.approx(0.5 * e @ q.H @ e)
    assert q.loss(q.theta_star) == 0
    batch = rng.normal(size=(5, 3))
    np.testing.assert_allclose(q.loss(batch), [q.loss(t) for t in batch])
    np.testing.assert_allclose(q.grad(batch), [q.grad(t) for t in batch])
    with pytest.raises(ValueError, match="eigenvalues must be >= 0"):
        optim.make_quadratic([-1.0, 2.0])
    with pytest.raises(ValueError, match="angle needs 2 eigenvalues"):
        optim.make_quadratic([1.0, 2.0, 3.0], angle=0.1)
    with pytest.raises(ValueError, match="theta_star must have length 2"):
        optim.make_quadratic([1.0, 2.0], theta_star=[0.0])


def test_diverges_and_threshold_on_a_diagonal_quadratic():
    q = optim.make_quadratic([1.0, 4.0])
    assert list(optim.diverges(q, np.array([0.49, 0.5, 0.51]), [1.0, 1.0])) == [False, False, True]
    assert optim.divergence_threshold(q, [1.0, 1.0]) == pytest.approx(0.5, rel=1e-9)
    with pytest.raises(ValueError, match="does not diverge"):
        optim.divergence_threshold(optim.make_quadratic([0.0, 0.0]), [1.0, 1.0])


# ------------------------------------------------------------------ loss surfaces

def test_two_wells_gradient_and_surfaces():
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(optim.two_wells_grad(x),
                               [numerical_grad(lambda v: optim.two_wells(v)[0], [xi])[0]
                                for xi in x], rtol=1e-6, atol=1e-8)
    s1, s2 = optim.two_wells_surface(1), optim.two_wells_surface(2)
    assert s1.dim == 1 and s2.dim == 2 and s1.labels == s2.labels
    np.testing.assert_allclose(s2.minima[:, 0], s1.minima[:, 0])
    np.testing.assert_allclose(s2.grad(s2.minima), 0, atol=1e-10)
    P = np.random.default_rng(0).normal(size=(4, 2))
    for i in range(4):
        np.testing.assert_allclose(s2.grad(P[i:i + 1])[0],
                                   numerical_grad(lambda t: s2.loss(t[None])[0], P[i]), rtol=1e-6)
    assert s1.divergence_lr == 4.0
    with pytest.raises(ValueError, match="dim must be 1 or 2"):
        optim.two_wells_surface(3)
    bowl = optim.quadratic_surface((2.0, 5.0))
    assert bowl.curvatures[0] == pytest.approx(5.0) and bowl.divergence_lr == pytest.approx(0.4)


# ------------------------------------------------------------------ risks

def test_squared_error_risk_and_gradients():
    X, y = optim.make_least_squares(50, [1.0, -2.0, 0.5], np.eye(3), 0.3, seed=1)
    theta = np.array([0.2, 0.1, -0.3])
    assert optim.squared_error_risk(theta, X, y) == pytest.approx(
        sum((X[i] @ theta - y[i]) ** 2 for i in range(50)) / 100)
    g = optim.squared_error_grad(theta, X, y)
    np.testing.assert_allclose(g, numerical_grad(lambda t: optim.squared_error_risk(t, X, y), theta),
                               rtol=1e-6)
    np.testing.assert_allclose(optim.squared_error_example_grads(theta, X, y).mean(axis=0), g)
    star = optim.least_squares_solution(X, y)
    np.testing.assert_allclose(optim.squared_error_grad(star, X, y), 0, atol=1e-12)
    with pytest.raises(ValueError, match="theta must have length p"):
        optim.squared_error_risk([1.0, 2.0], X, y)
    with pytest.raises(ValueError, match="y must have length 50"):
        optim.squared_error_grad(theta, X, y[:-1])


def test_logistic_risk_matches_sklearn_and_lecture_2():
    X, y = data.make_gaussian_classes(n=80, seed=2)
    theta = np.array([0.7, -0.4, 0.1])
    p = 1 / (1 + np.exp(-(X @ theta[:2] + theta[2])))
    assert optim.logistic_risk(theta, X, y) == pytest.approx(log_loss(y, p), rel=1e-10)
    g = optim.logistic_risk_grad(theta, X, y)
    np.testing.assert_allclose(g, numerical_grad(lambda t: optim.logistic_risk(t, X, y), theta),
                               rtol=1e-6)
    np.testing.assert_allclose(optim.logistic_example_grads(theta, X, y).mean(axis=0), g,
                               rtol=1e-12)
    np.testing.assert_allclose(optim._logistic_grad(theta, X, y), g, rtol=1e-12)
    dw, db = linear.logistic_grad(theta[:2], theta[2], X, y)
    np.testing.assert_allclose(g, np.append(dw, db))
    with pytest.raises(ValueError, match=r"theta must have length p \+ 1"):
        optim.logistic_risk(theta[:2], X, y)
    with pytest.raises(ValueError, match="y must hold labels in"):
        optim.logistic_risk(theta, X, y + 1)


def test_expected_logistic_risk_matches_monte_carlo():
    problem = optim.ill_conditioned_classes(p=4, seed=0)
    theta = np.array([0.5, -1.0, 0.3, 0.2, 0.1])
    X, y = data.make_gaussian_classes(400_000, **problem, seed=5)
    z = X @ theta[:-1] + theta[-1]
    losses = np.logaddexp(0, z) - y * z
    exact = optim.expected_logistic_risk(theta, **problem)
    assert abs(exact - losses.mean()) < 4 * losses.std() / np.sqrt(len(losses))
    both = optim.expected_logistic_risk(np.array([theta, 2 * theta]), **problem)
    assert both.shape == (2,) and both[0] == pytest.approx(exact)
    # Mahalanobis distance between the class means is 2
    d = problem["mean1"] - problem["mean0"]
    assert d @ np.linalg.solve(problem["cov"], d) == pytest.approx(4.0)
    # the true (LDA) parameters minimize the expected risk
    best = np.append(*linear.lda_params(**problem))
    grad = np.array([(optim.expected_logistic_risk(best + 1e-5 * e, **problem)
                      - optim.expected_logistic_risk(best - 1e-5 * e, **problem)) / 2e-5
                     for e in np.eye(5)])
    np.testing.assert_allclose(grad, 0, atol=1e-8)
    with pytest.raises(ValueError, match="theta must have length p \\+ 1 = 5"):
        optim.expected_logistic_risk(theta[:3], **problem)


# ------------------------------------------------------------------ SGD

def test_minibatches_is_a_permutation_cut_into_batches():
    batches = optim.minibatches(10, 4, np.random.default_rng(0))
    assert [len(b) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(10))
    np.testing.assert_array_equal(np.concatenate(batches), np.random.default_rng(0).permutation(10))
    assert len(optim.minibatches(3, 8, 0)) == 1
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        optim.minibatches(10, 0, np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        optim.minibatches(10, 2, "seed")


def test_sgd_equals_an_explicit_loop_over_minibatches():
    X, y = data.make_gaussian_classes(n=53, seed=4)
    rng_a, rng_b = np.random.default_rng(9), np.random.default_rng(9)
    theta, path = optim.sgd("logistic", X, y, np.zeros(3), lambda t: 0.5 / (1 + t / 5), 3, 8, rng_a)
    ref, t = np.zeros(3), 0
    for _ in range(3):
        for b in optim.minibatches(53, 8, rng_b):
            ref = ref - 0.5 / (1 + t / 5) * optim.logistic_risk_grad(ref, X[b], y[b])
            t += 1
    np.testing.assert_allclose(theta, ref, rtol=1e-12)
    assert path.shape == (4, 3) and np.array_equal(path[-1], theta)      # theta0 + one per epoch
    _, every = optim.sgd("logistic", X, y, np.zeros(3), 0.1, 3, 8, np.random.default_rng(9),
                         record_every=7)
    assert every.shape == (1 + (3 * 7) // 7, 3)
    custom, _ = optim.sgd(lambda th, Xb, yb: optim.logistic_risk_grad(th, Xb, yb), X, y,
                          np.zeros(3), 0.1, 2, 8, np.random.default_rng(1))
    fast, _ = optim.sgd("logistic", X, y, np.zeros(3), 0.1, 2, 8, np.random.default_rng(1))
    np.testing.assert_allclose(custom, fast, rtol=1e-12)
    with pytest.raises(ValueError, match="grad must be one of"):
        optim.sgd("hinge", X, y, np.zeros(3), 0.1, 1, 8, 0)
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        optim.sgd("logistic", X, y, np.zeros(3), 0.1, 0, 8, 0)
    with pytest.raises(ValueError, match="y must have one entry per row of X"):
        optim.sgd("logistic", X, y[:-1], np.zeros(3), 0.1, 1, 8, 0)


def test_sgd_logistic_reference():
    X, y = data.make_gaussian_classes(n=200, seed=3)
    w, b, losses = optim.sgd_logistic(X, y, 0.1, 30, 10, np.random.default_rng(0))
    assert w.shape == (2,) and isinstance(b, float) and len(losses) == 30
    assert losses[-1] == pytest.approx(linear.logistic_loss(w, b, X, y))
    best = linear.logistic_loss(*linear.logistic_fit(X, y), X, y)
    assert best <= losses[-1] < best + 0.01
    # full batch: each epoch is one gradient step from (0, 0)
    w1, b1, _ = optim.sgd_logistic(X, y, 0.5, 1, 200, np.random.default_rng(0))
    dw, db = linear.logistic_grad(np.zeros(2), 0.0, X, y)
    np.testing.assert_allclose(np.append(w1, b1), -0.5 * np.append(dw, db), rtol=1e-12)
    with pytest.raises(ValueError, match="y must hold labels in"):
        optim.sgd_logistic(X, y * 2, 0.1, 1, 10, 0)


def test_minibatch_variance_equals_the_exact_expectation_over_all_batches():
    G = np.random.default_rng(3).normal(size=(7, 2))
    g = G.mean(axis=0)
    for B in (1, 2, 3, 7):
        subsets = list(itertools.combinations(range(7), B))
        exact = np.mean([np.sum((G[list(s)].mean(axis=0) - g) ** 2) for s in subsets])
        assert optim.minibatch_variance(G, B) == pytest.approx(exact, rel=1e-12, abs=1e-15)
        if B <= 3:                               # 7^B equally likely draws with replacement
            tuples = list(itertools.product(range(7), repeat=B))
            exact_rep = np.mean([np.sum((G[list(s)].mean(axis=0) - g) ** 2) for s in tuples])
            assert optim.minibatch_variance(G, B, replace=True) == pytest.approx(exact_rep,
                                                                                  rel=1e-12)


def test_minibatch_gradients_draws():
    G = np.arange(20.0).reshape(10, 2)
    draws = optim.minibatch_gradients(G, [1, 5, 10], 300, np.random.default_rng(0), chunk=64)
    assert draws.shape == (3, 300, 2)
    np.testing.assert_allclose(draws[2], np.tile(G.mean(axis=0), (300, 1)))   # B = N: exact
    assert set(map(tuple, draws[0])) <= set(map(tuple, G))                    # B = 1: a row
    with pytest.raises(ValueError, match="batch_sizes must be ints in 1..N = 10"):
        optim.minibatch_gradients(G, [11], 5, np.random.default_rng(0))
    rep = optim.minibatch_gradients(G, [20], 5, np.random.default_rng(0), replace=True)
    assert rep.shape == (1, 5, 2)

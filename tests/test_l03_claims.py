"""Lecture 3's claims, asserted from the library (not from the notebook's output)."""
import numpy as np
import pytest
from scipy import optimize, stats

from mlcourse import data, linear
from mlcourse.optim import (decaying_lr, divergence_threshold, diverges, expected_logistic_risk,
                            gradient_descent, ill_conditioned_classes, least_squares_solution,
                            logistic_example_grads, logistic_risk, make_least_squares,
                            make_quadratic, minibatch_gradients, minibatch_variance, minibatches,
                            quadratic_surface, sgd, squared_error_example_grads,
                            squared_error_risk, two_wells, two_wells_grad, two_wells_surface)


# ------------------------------------------------------------------ section 1: losses from likelihoods

def test_cross_entropy_and_squared_error_are_negative_log_likelihoods():
    X, y = data.make_gaussian_classes(n=300, mean0=(-1.0, 0.0), mean1=(1.0, 0.5), seed=0)
    theta = np.array([0.8, -0.3, 0.2])
    p = 1 / (1 + np.exp(-(X @ theta[:2] + theta[2])))
    assert logistic_risk(theta, X, y) == pytest.approx(-np.mean(stats.bernoulli.logpmf(y, p)),
                                                       rel=1e-12)
    cov = make_quadratic((3.0, 0.5), angle=0.5).H
    X, y = make_least_squares(1000, (1.0, -0.5), cov, noise=0.5, seed=0)
    theta = np.array([0.5, 0.0])
    for s in (1.0, 0.3):
        nll = -np.mean(stats.norm.logpdf(y, loc=X @ theta, scale=s))
        assert nll == pytest.approx(squared_error_risk(theta, X, y) / s ** 2
                                    + 0.5 * np.log(2 * np.pi * s ** 2), rel=1e-12)


# ------------------------------------------------------------------ section 2: the GD step

@pytest.mark.parametrize("gamma", [0.05, 0.1, 0.3, 1.0])
def test_gd_step_minimizes_the_first_order_model(gamma):
    theta0 = 2.2
    slope = float(two_wells_grad(theta0))
    model = lambda eps: eps * slope + eps ** 2 / (2 * gamma)
    eps_star = optimize.minimize_scalar(model, bracket=(-1.0, 0.0), tol=1e-12).x
    assert eps_star == pytest.approx(-gamma * slope, rel=1e-6)
    # in d dimensions too (a generic quadratic model with a random gradient)
    g = np.random.default_rng(0).normal(size=5)
    res = optimize.minimize(lambda e: e @ g + e @ e / (2 * gamma), np.zeros(5), tol=1e-12)
    np.testing.assert_allclose(res.x, -gamma * g, atol=1e-6)


def test_small_steps_decrease_the_loss_by_at_least_the_model_promise():
    # curvature of two_wells is at most ~6.9, so gamma = 0.1 <= 1/L'' everywhere near the path
    path = gradient_descent(two_wells_grad, [2.2], 0.1, 40)[:, 0]
    drops = two_wells(path[:-1]) - two_wells(path[1:])
    promise = 0.1 / 2 * two_wells_grad(path[:-1]) ** 2
    assert np.all(drops >= promise - 1e-12)


# ------------------------------------------------------------------ section 3: learning-rate regimes

def test_learning_rate_regimes_on_the_two_wells():
    s = two_wells_surface(1)
    local, glob = s.minima[:, 0]
    assert two_wells(glob) < two_wells(local)                 # the wide minimum is global
    assert s.curvatures[0] > s.curvatures[1]                   # the narrow one is sharper
    h = 1e-4
    for x, curv in zip(s.minima[:, 0], s.curvatures):
        assert abs(float(two_wells_grad(x))) < 1e-10
        fd = (two_wells(x + h) - 2 * two_wells(x) + two_wells(x - h)) / h ** 2
        assert curv == pytest.approx(fd, rel=1e-5)
    end = lambda lr, n=300: gradient_descent(two_wells_grad, s.start, lr, n)
    assert end(0.1)[-1, 0] == pytest.approx(local, abs=1e-8)       # local minimum
    assert 0.1 < 2 / s.curvatures[0]
    assert end(0.5)[-1, 0] == pytest.approx(glob, abs=1e-8)        # global minimum
    assert 2 / s.curvatures[0] < 0.5 < 2 / s.curvatures[1]
    tail = end(1.5)[-50:, 0]                                       # oscillation: bounded, not settling
    assert np.all(np.abs(tail) < 4) and np.ptp(tail) > 0.5
    assert 1.5 > 2 / s.curvatures.min() and 1.5 < s.divergence_lr
    diverging = end(4.5, 200)                                      # divergence above 2/k = 4
    assert diverging.shape[0] < 201 or np.abs(diverging[-1, 0]) > 1e6


def test_the_narrow_minimum_cannot_hold_a_step_above_its_threshold():
    s = two_wells_surface(1)
    local = s.minima[0]
    for factor, settles in ((0.9, True), (1.1, False)):
        lr = factor * 2 / s.curvatures[0]
        path = gradient_descent(two_wells_grad, local + 1e-3, lr, 2000)
        assert (np.abs(path[-1] - local)[0] < 1e-6) == settles


# ------------------------------------------------------------------ claim 3.1

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_claim_3_1_gd_on_a_quadratic_diverges_exactly_above_2_over_lambda_max(seed):
    rng = np.random.default_rng(seed)
    # a gap below λ_max, so that the second mode has died out after n/2 = 1000 steps
    lam = np.append(np.sort(rng.uniform(0.05, 7.0, size=7)), 8.0)
    quad = make_quadratic(lam, theta_star=rng.normal(size=8), rng=rng)
    assert quad.lam_max == pytest.approx(lam[-1], rel=1e-12)
    theta0 = quad.theta_star + rng.normal(size=8)
    threshold = divergence_threshold(quad, theta0)
    assert threshold == pytest.approx(2 / lam[-1], rel=1e-8)
    assert not diverges(quad, (1 - 1e-6) * quad.critical_lr, theta0)
    assert diverges(quad, (1 + 1e-6) * quad.critical_lr, theta0)
    # the error norms of the runs follow ‖e_t‖² = Σ c_i² (1 − γλ_i)^{2t} (eigen-coordinates c)
    vals, vecs = np.linalg.eigh(quad.H)
    c = vecs.T @ (theta0 - quad.theta_star)
    t = np.arange(61)
    for factor in (0.9, 1.1):
        lr = factor * quad.critical_lr
        path = gradient_descent(quad.grad, theta0, lr, 60, max_norm=1e300)
        e = np.linalg.norm(path - quad.theta_star, axis=1)
        predicted = np.sqrt(((c[None, :] * (1 - lr * vals)[None, :] ** t[:, None]) ** 2).sum(1))
        np.testing.assert_allclose(e, predicted, rtol=1e-8, atol=1e-12)
        assert (e[-1] < e[0]) == (factor < 1)


def test_claim_3_1_the_lecture_quadratic_and_the_2d_bowl():
    quad = make_quadratic(np.geomspace(0.1, 5.5, 10), rng=np.random.default_rng(0))
    theta0 = np.random.default_rng(1).normal(size=10)
    assert quad.critical_lr == pytest.approx(2 / 5.5, rel=1e-12)
    assert abs(divergence_threshold(quad, theta0) - quad.critical_lr) < 1e-9 * quad.critical_lr
    # exactly at it the top mode flips sign with constant size: the error neither grows nor
    # shrinks (whether `diverges` says True or False there is rounding noise, CPU-dependent)
    e = np.linalg.norm(gradient_descent(quad.grad, theta0, quad.critical_lr, 2000)
                       - quad.theta_star, axis=1)
    assert e[2000] / e[1000] == pytest.approx(1.0, abs=1e-9)
    bowl = quadratic_surface()
    assert bowl.divergence_lr == pytest.approx(0.2)
    grad = lambda th: bowl.grad(th[None])[0]
    below = gradient_descent(grad, bowl.start, 0.95 * 0.2, 30)
    above = gradient_descent(grad, bowl.start, 1.05 * 0.2, 30)
    assert np.linalg.norm(below[-1]) < 0.1 < 10 < np.linalg.norm(above[-1])


# ------------------------------------------------------------------ claim 3.2

@pytest.fixture(scope="module")
def per_example_grads():
    X, y = data.make_gaussian_classes(n=2000, mean0=(-1.0, 0.0, 0.0, 0.5),
                                      mean1=(1.0, 1.0, 0.0, -0.5), cov=np.eye(4), seed=0)
    return logistic_example_grads(np.array([0.3, -0.2, 0.1, 0.0, 0.2]), X, y)


def test_claim_3_2_an_epoch_of_equal_batches_averages_to_the_full_gradient(per_example_grads):
    G = per_example_grads
    means = [G[b].mean(axis=0) for b in minibatches(len(G), 100, np.random.default_rng(0))]
    np.testing.assert_allclose(np.mean(means, axis=0), G.mean(axis=0), rtol=0, atol=1e-15)


def test_claim_3_2_mini_batch_gradient_is_unbiased_with_variance_one_over_b(per_example_grads):
    G = per_example_grads
    N, g = len(G), G.mean(axis=0)
    sizes = 2 ** np.arange(11)
    K = 4000
    var = {}
    for replace in (False, True):
        draws = minibatch_gradients(G, sizes, K, np.random.default_rng(1), replace=replace)
        assert draws.shape == (len(sizes), K, G.shape[1])
        var[replace] = np.mean(np.sum((draws - g) ** 2, axis=2), axis=1)
        for k, B in enumerate(sizes):
            bias = np.linalg.norm(draws[k].mean(axis=0) - g)
            # unbiased: the mean of K draws is within 4 standard errors of the full gradient
            assert bias < 4 * np.sqrt(minibatch_variance(G, B, replace) / K)
        # the measured variance matches the formula within 10 %
        np.testing.assert_allclose(var[replace], minibatch_variance(G, sizes, replace), rtol=0.1)
    slope_with = np.polyfit(np.log(sizes), np.log(var[True]), 1)[0]
    fpc = (N - sizes) / (N - 1)
    slope_corrected = np.polyfit(np.log(sizes), np.log(var[False] / fpc), 1)[0]
    assert slope_with == pytest.approx(-1.0, abs=0.03)
    assert slope_corrected == pytest.approx(-1.0, abs=0.03)
    # without replacement the variance is smaller by (N - B)/(N - 1): visible at B = 1024
    assert var[False][-1] / var[True][-1] == pytest.approx(fpc[-1], rel=0.1)
    assert fpc[-1] < 0.55


# ------------------------------------------------------------------ Robbins-Monro

def test_robbins_monro_partial_sums():
    t = np.arange(1_000_000)
    sums = {p: (decaying_lr(t, 0.1, 100, p)[:10_000], decaying_lr(t, 0.1, 100, p)) for p in (0.5, 1.0, 2.0)}
    growth = {p: (b.sum() / a.sum(), np.sum(b ** 2) / np.sum(a ** 2)) for p, (a, b) in sums.items()}
    assert growth[0.5][0] > 5 and growth[0.5][1] > 1.8      # sum eta^2 keeps growing (log T)
    assert growth[1.0][0] > 1.8 and growth[1.0][1] < 1.02   # sum eta grows, sum eta^2 converges
    assert growth[2.0][0] < 1.02                             # sum eta converges (to ~ eta0 tau)
    assert decaying_lr(t, 0.1, 100, 2.0).sum() == pytest.approx(10.0, rel=0.01)


def test_constant_steps_stall_and_robbins_monro_steps_converge():
    cov = make_quadratic((3.0, 0.5), angle=0.5).H
    X, y = make_least_squares(1000, (1.0, -0.5), cov, noise=0.5, seed=0)
    star = least_squares_solution(X, y)
    final = {}
    for name, lr in {"c05": 0.05, "c01": 0.01, "rm": lambda t: decaying_lr(t, 0.1, 100),
                     "fast": lambda t: decaying_lr(t, 0.1, 100, 2.0)}.items():
        _, path = sgd("squared_error", X, y, [-1.5, 1.5], lr, 20, 1, np.random.default_rng(0),
                      record_every=10)
        final[name] = np.mean(np.sum((path[-200:] - star) ** 2, axis=1))
    assert final["c05"] > 3 * final["c01"]                # the noise floor grows with the step
    H = X.T @ X / len(y)                                   # and has the predicted size
    Sigma = np.cov(squared_error_example_grads(star, X, y).T, bias=True)
    floor = np.trace(np.linalg.solve(H, Sigma)) / 2
    assert final["c05"] == pytest.approx(0.05 * floor, rel=0.3)
    assert final["c01"] == pytest.approx(0.01 * floor, rel=0.4)
    assert final["rm"] < final["c01"] / 20                # the decaying step goes far below it
    assert final["fast"] > 10 * final["rm"]               # too fast a decay freezes early


# ------------------------------------------------------------------ section 7 and claim 3.3

@pytest.fixture(scope="module")
def large_problem():
    problem = ill_conditioned_classes(p=20)
    X, y = data.make_gaussian_classes(100_000, **problem, seed=1)
    X_test, y_test = data.make_gaussian_classes(100_000, **problem, seed=2)
    return problem, X, y, X_test, y_test


def test_one_pass_of_sgd_over_fresh_data_drives_down_the_expected_risk(large_problem):
    problem, X, y, _, _ = large_problem
    bayes = expected_logistic_risk(np.append(*linear.lda_params(**problem)), **problem)
    _, path = sgd("logistic", X, y, np.zeros(21), lambda t: decaying_lr(t, 1.0, 300), 1, 10,
                  np.random.default_rng(0), record_every=10)
    excess = expected_logistic_risk(path, **problem) - bayes
    assert np.all(excess > 0)
    assert excess[-1] < 0.002 and excess[-1] < excess[10] / 50        # 100k vs 1k examples
    averaged = expected_logistic_risk(path[500:].mean(axis=0), **problem) - bayes
    assert averaged < excess[-1] / 2
    for n in (3_000, 30_000, 100_000):                                 # ERM excess ~ d / (2n)
        erm = np.append(*linear.logistic_fit(X[:n], y[:n]))
        assert expected_logistic_risk(erm, **problem) - bayes == pytest.approx(21 / (2 * n), rel=0.3)


def test_claim_3_3_sgd_beats_batch_gd_under_a_fixed_budget(large_problem):
    problem, X, y, X_test, y_test = large_problem
    budget = 5
    grad = lambda th: np.append(*linear.logistic_grad(th[:-1], th[-1], X, y))
    best_gd = min(logistic_risk(gradient_descent(grad, np.zeros(21), g, budget)[-1], X_test, y_test)
                  for g in (0.5, 1.0, 2.0, 4.0, 8.0))
    theta_sgd, _ = sgd("logistic", X, y, np.zeros(21), lambda t: decaying_lr(t, 1.0, 300),
                       budget, 10, np.random.default_rng(0))
    sgd_test = logistic_risk(theta_sgd, X_test, y_test)
    assert sgd_test < best_gd - 0.05
    # and SGD is close to the best achievable (the true model's test loss)
    true_test = logistic_risk(np.append(*linear.lda_params(**problem)), X_test, y_test)
    assert sgd_test - true_test < 0.002
    # excess-error decomposition: SGD's optimization error is tiny, GD's is not
    erm = np.append(*linear.logistic_fit(X, y))
    r_erm, r_sgd = expected_logistic_risk(np.array([erm, theta_sgd]), **problem)
    assert 0 < r_sgd - r_erm < 0.001


# ------------------------------------------------------------------ section 5: work to a target loss

def _gd_steps_to_target(X, y, lr, target, max_steps=200):
    theta = np.zeros(X.shape[1] + 1)
    for t in range(1, max_steps + 1):
        theta = theta - lr * np.append(*linear.logistic_grad(theta[:-1], theta[-1], X, y))
        if logistic_risk(theta, X, y) <= target:
            return t
    return None


def _sgd_steps_to_target(X, y, lr, batch_size, target, rng, check_every=10, max_steps=20_000):
    theta, t = np.zeros(X.shape[1] + 1), 0
    while t < max_steps:
        for batch in minibatches(len(y), batch_size, rng):
            theta = theta - lr * np.append(*linear.logistic_grad(theta[:-1], theta[-1],
                                                                 X[batch], y[batch]))
            t += 1
            if t % check_every == 0 and logistic_risk(theta, X, y) <= target:
                return t
    return None


def test_sgd_work_to_a_target_loss_does_not_grow_with_n_while_gd_work_does():
    """Counted in example-gradients (machine-independent): GD needs about the same number of
    full steps at every N, so its work grows like N; SGD's work stays flat (lecture: 7,900 vs
    77,000 at N = 1,000 and 8,100 vs 8,000,000 at N = 100,000)."""
    problem = ill_conditioned_classes(p=20)
    work, B = {}, 10
    for n in (1_000, 10_000):
        X, y = data.make_gaussian_classes(n, **problem, seed=1)
        target = logistic_risk(np.append(*linear.logistic_fit(X, y)), X, y) + 0.01
        gd = _gd_steps_to_target(X, y, 4.0, target)
        sgd_steps = _sgd_steps_to_target(X, y, 0.5, B, target, np.random.default_rng(0))
        assert gd is not None and sgd_steps is not None
        if n == 1_000:                                              # gamma = 8 never gets there
            assert _gd_steps_to_target(X, y, 8.0, target) is None
        work[n] = (gd * n, B * sgd_steps)
    assert work[1_000][0] > 5 * work[1_000][1]                       # 77,000 vs 7,900
    assert work[10_000][0] > 50 * work[10_000][1]                    # 960,000 vs 8,200
    assert 0.5 < work[10_000][1] / work[1_000][1] < 2                # SGD's work does not grow

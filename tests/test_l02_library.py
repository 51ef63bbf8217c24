"""mlcourse.linear against independent implementations (SciPy, scikit-learn, finite
differences, Monte Carlo) and its input validation."""
import warnings

import numpy as np
import pytest
from scipy.stats import multivariate_normal
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression

from mlcourse import data
from mlcourse import linear as L

MU0, MU1 = np.array([-1.0, 0.0]), np.array([1.0, 0.0])
SIGMA = np.array([[1.0, 0.5], [0.5, 1.0]])


def random_spd(rng, p):
    A = rng.normal(size=(p, p))
    return A @ A.T + p * np.eye(p)


def sample(n=300, prior1=0.4, seed=0):
    return data.make_gaussian_classes(n=n, mean0=MU0, mean1=MU1, cov=SIGMA, prior1=prior1,
                                      seed=seed)


# ------------------------------------------------------------------ densities and posteriors

@pytest.mark.parametrize("p", [1, 2, 4])
def test_gaussian_log_density_matches_scipy(p):
    rng = np.random.default_rng(p)
    mean, cov = rng.normal(size=p), random_spd(rng, p)
    X = rng.normal(size=(50, p)) * 3
    np.testing.assert_allclose(L.gaussian_log_density(X, mean, cov),
                               multivariate_normal(mean, cov).logpdf(X), rtol=1e-12, atol=1e-12)


def test_bayes_posterior_matches_scipy_with_unequal_covariances():
    rng = np.random.default_rng(1)
    m0, m1, c0, c1 = rng.normal(size=3), rng.normal(size=3), random_spd(rng, 3), random_spd(rng, 3)
    X = rng.normal(size=(200, 3)) * 2
    p0 = 0.7 * multivariate_normal(m0, c0).pdf(X)
    p1 = 0.3 * multivariate_normal(m1, c1).pdf(X)
    np.testing.assert_allclose(L.bayes_posterior(X, m0, m1, c0, c1, prior1=0.3), p1 / (p0 + p1),
                               rtol=1e-10, atol=1e-14)


def test_bayes_posterior_is_accurate_where_the_densities_underflow():
    X = np.array([[-60.0, 0.0], [60.0, 0.0]])       # densities ~ e^-1800: 0 in float64
    post = L.bayes_posterior(X, MU0, MU1, SIGMA)
    w, b = L.lda_params(MU0, MU1, SIGMA)
    np.testing.assert_allclose(post, L.sigmoid(X @ w + b), rtol=1e-10)
    assert 0 < post[0] < 1e-50 and post[1] == 1.0


# ------------------------------------------------------------------ LDA

def test_lda_params_closed_form_by_explicit_inverse():
    rng = np.random.default_rng(2)
    m0, m1, S = rng.normal(size=4), rng.normal(size=4), random_spd(rng, 4)
    P = np.linalg.inv(S)
    w, b = L.lda_params(m0, m1, S, prior1=0.25)
    np.testing.assert_allclose(w, P @ (m1 - m0), rtol=1e-10)
    assert b == pytest.approx(0.5 * (m0 @ P @ m0 - m1 @ P @ m1) + np.log(0.25 / 0.75), rel=1e-10)


def test_lda_estimates_are_the_pooled_mle():
    X, y = sample(n=101)
    m0, m1, S, p1 = L.lda_estimates(X, y)
    n0, n1 = np.sum(y == 0), np.sum(y == 1)
    pooled = (n0 * np.cov(X[y == 0].T, bias=True) + n1 * np.cov(X[y == 1].T, bias=True)) / len(y)
    np.testing.assert_allclose(S, pooled, rtol=1e-12)
    np.testing.assert_allclose(m0, X[y == 0].mean(axis=0))
    assert p1 == n1 / len(y)


@pytest.mark.parametrize("solver", ["svd", "lsqr", "eigen"])
def test_lda_fit_matches_scikit_learn(solver):
    # scikit-learn 1.9's LinearDiscriminantAnalysis estimates the pooled covariance
    # with 1/n (its covariance_ is the priors-weighted average of the biased class
    # covariances), like our lda_estimates, so coef_ and intercept_ equal our w and b.
    # (Some older releases scaled the svd solver's covariance by 1/(n - K) instead;
    # with that estimate w would be (n - 2)/n times ours: see the next test.)
    X, y = sample(n=60, seed=3)
    model = LinearDiscriminantAnalysis(solver=solver, store_covariance=True).fit(X, y)
    w, b = L.lda_fit(X, y)
    np.testing.assert_allclose(model.coef_[0], w, rtol=1e-8)
    assert model.intercept_[0] == pytest.approx(b, rel=1e-8)
    np.testing.assert_allclose(model.covariance_, L.lda_estimates(X, y)[2], rtol=1e-10)
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], L.sigmoid(X @ w + b), rtol=1e-8)


def test_unbiased_covariance_gives_a_rescaled_w_not_ours():
    X, y = sample(n=20, seed=4)
    m0, m1, S, p1 = L.lda_estimates(X, y)
    n = len(y)
    w_unbiased, _ = L.lda_params(m0, m1, S * n / (n - 2), p1)
    w, _ = L.lda_fit(X, y)
    np.testing.assert_allclose(w_unbiased, w * (n - 2) / n, rtol=1e-10)
    assert not np.allclose(w_unbiased, w, rtol=1e-3)


# ------------------------------------------------------------------ logistic regression

def naive_loss(w, b, X, y):
    q = 1 / (1 + np.exp(-(X @ w + b)))
    return -np.mean(y * np.log(q) + (1 - y) * np.log(1 - q))


def centred_differences(f, theta, eps=1e-6):
    E = np.eye(len(theta)) * eps
    return np.array([(f(theta + e) - f(theta - e)) / (2 * eps) for e in E])


def test_logistic_loss_matches_the_textbook_formula_and_sklearn():
    from sklearn.metrics import log_loss
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(40, 3)), rng.integers(0, 2, 40)
    w, b = rng.normal(size=3), 0.3
    loss = L.logistic_loss(w, b, X, y)
    assert loss == pytest.approx(naive_loss(w, b, X, y), rel=1e-12)
    assert loss == pytest.approx(log_loss(y, L.sigmoid(X @ w + b)), rel=1e-10)
    assert L.logistic_loss(np.zeros(3), 0.0, X, y) == pytest.approx(np.log(2), rel=1e-15)
    np.testing.assert_allclose(L.logistic_proba(X, w, b), 1 / (1 + np.exp(-(X @ w + b))),
                               rtol=1e-14)


def test_logistic_loss_and_grad_are_stable_at_1000():
    X, w = np.array([[1000.0], [-1000.0], [40.0]]), np.array([1.0])
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        assert L.logistic_loss(w, 0.0, X, np.array([0, 1, 0])) == pytest.approx(2040 / 3)
        assert L.logistic_loss(w, 0.0, X, np.array([1, 0, 1])) == pytest.approx(
            np.log1p(np.exp(-40)) / 3, rel=1e-12)
        dw, db = L.logistic_grad(w, 0.0, X, np.array([0, 1, 0]))
        np.testing.assert_allclose(dw, [(1000 + 1000 + 40) / 3])
        assert db == pytest.approx(1 / 3)            # residuals 1, -1, 1


def test_logistic_grad_and_hessian_match_finite_differences():
    rng = np.random.default_rng(6)
    X, y = rng.normal(size=(30, 3)), rng.integers(0, 2, 30)
    theta = rng.normal(size=4)
    dw, db = L.logistic_grad(theta[:3], theta[3], X, y)
    fd = centred_differences(lambda t: L.logistic_loss(t[:3], t[3], X, y), theta)
    np.testing.assert_allclose(np.append(dw, db), fd, rtol=1e-7, atol=1e-10)
    H = L.logistic_hessian(theta[:3], theta[3], X)
    fd_H = np.array([centred_differences(lambda t: np.append(*L.logistic_grad(t[:3], t[3], X, y))[k],
                                         theta) for k in range(4)])
    np.testing.assert_allclose(H, fd_H, rtol=1e-6, atol=1e-9)
    assert np.all(np.linalg.eigvalsh(H) >= -1e-12)


def test_logistic_fit_matches_unpenalized_sklearn():
    X, y = sample(n=300, seed=7)
    w, b = L.logistic_fit(X, y)
    model = LogisticRegression(C=np.inf, solver="newton-cg", tol=1e-12, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(w, model.coef_[0], rtol=1e-6)
    assert b == pytest.approx(model.intercept_[0], rel=1e-6)
    dw, db = L.logistic_grad(w, b, X, y)
    assert max(np.abs(dw).max(), abs(db)) < 1e-10


def test_logistic_fit_with_ridge_matches_sklearn():
    # sklearn minimizes C Σ loss_i + ½‖w‖², i.e. mean loss + ‖w‖² / (2 C n): l2 = 1 / (C n)
    X, y = sample(n=200, seed=8)
    C = 0.05
    w, b = L.logistic_fit(X, y, l2=1 / (C * len(y)))
    model = LogisticRegression(C=C, solver="newton-cg", tol=1e-12, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(w, model.coef_[0], rtol=1e-6)
    assert b == pytest.approx(model.intercept_[0], rel=1e-6)


def test_warm_start_and_newton_steps_reach_the_same_optimum():
    X, y = sample(n=400, seed=9)
    w, b = L.logistic_fit(X, y)
    w2, b2 = L.logistic_fit(X, y, w0=w + 0.5, b0=b - 0.5)
    np.testing.assert_allclose(np.append(w2, b2), np.append(w, b), rtol=1e-8)
    wk, bk, losses = np.zeros(2), 0.0, []
    for _ in range(10):
        losses.append(L.logistic_loss(wk, bk, X, y))
        wk, bk = L.logistic_newton_step(wk, bk, X, y)
    assert all(a >= c for a, c in zip(losses, losses[1:]))          # monotone
    np.testing.assert_allclose(np.append(wk, bk), np.append(w, b), rtol=1e-8)


def test_logistic_fit_refuses_separable_data_without_penalty():
    X = np.array([[-2.0, 0.0], [-1.0, 1.0], [1.0, 0.5], [2.0, -1.0]])
    y = np.array([0, 0, 1, 1])
    with pytest.raises(ValueError, match="separable"):
        L.logistic_fit(X, y)
    w, b = L.logistic_fit(X, y, l2=0.1)
    assert np.all((X @ w + b >= 0) == (y == 1))


def test_functions_do_not_modify_their_inputs():
    X, y = sample(n=50, seed=10)
    w, b = np.array([0.5, -0.5]), 0.1
    copies = [a.copy() for a in (X, y, w)]
    L.logistic_loss(w, b, X, y)
    L.logistic_grad(w, b, X, y)
    L.logistic_newton_step(w, b, X, y)
    L.logistic_fit(X, y, w0=w, b0=b)
    L.lda_fit(X, y)
    for before, after in zip(copies, (X, y, w)):
        np.testing.assert_array_equal(before, after)


# ------------------------------------------------------------------ error rates

def test_linear_error_rate_matches_monte_carlo():
    rng = np.random.default_rng(11)
    c0 = np.array([[0.3, 0.1], [0.1, 1.0]])
    w, b = np.array([2.0, -1.0]), 0.3
    n = 400_000
    y = rng.integers(0, 2, n)
    X = np.where(y[:, None] == 1, rng.multivariate_normal(MU1, SIGMA, n),
                 rng.multivariate_normal(MU0, c0, n))
    mc = np.mean((X @ w + b >= 0) != y)
    exact = L.linear_error_rate(w, b, MU0, MU1, c0, SIGMA)
    assert abs(mc - exact) < 4 * np.sqrt(exact * (1 - exact) / n)


def test_bayes_error_of_the_lda_model_is_phi_of_half_the_mahalanobis_distance():
    from scipy.stats import norm
    w, b = L.lda_params(MU0, MU1, SIGMA)
    delta = np.sqrt((MU1 - MU0) @ np.linalg.solve(SIGMA, MU1 - MU0))
    assert L.linear_error_rate(w, b, MU0, MU1, SIGMA) == pytest.approx(norm.cdf(-delta / 2),
                                                                       rel=1e-12)


# ------------------------------------------------------------------ validation

@pytest.mark.parametrize("call,name", [
    (lambda: L.logistic_loss(np.ones(2), 0.0, np.ones(5), np.ones(5)), "X"),
    (lambda: L.logistic_loss(np.ones(3), 0.0, np.ones((5, 2)), np.ones(5)), "w"),
    (lambda: L.logistic_grad(np.ones(2), 0.0, np.ones((5, 2)), np.full(5, 2)), "y"),
    (lambda: L.logistic_grad(np.ones(2), [1.0, 2.0], np.ones((5, 2)), np.ones(5)), "b"),
    (lambda: L.logistic_fit(np.ones((4, 2)), [0, 1, 0]), "y"),
    (lambda: L.logistic_fit(np.eye(2), [0, 1], l2=-1.0), "l2"),
    (lambda: L.lda_params(MU0, MU1, -SIGMA), "cov"),
    (lambda: L.lda_params(MU0, MU1, SIGMA, prior1=1.0), "prior1"),
    (lambda: L.lda_params(MU0, [1.0, 0.0, 0.0], SIGMA), "mean1"),
    (lambda: L.gaussian_log_density(np.ones((3, 2)), MU0, np.ones((3, 3))), "cov"),
    (lambda: L.lda_fit(np.ones((4, 2)), [1, 1, 1, 1]), "both classes"),
    (lambda: L.lda_fit(np.array([[0.0, 0], [1, 1], [2, 2], [3, 3]]), [0, 0, 1, 1]), "singular"),
    (lambda: L.linear_error_rate(np.zeros(2), 0.0, MU0, MU1, SIGMA), "w"),
    (lambda: L.bayes_posterior(np.ones((2, 2)), MU0, MU1, SIGMA, prior1=0.0), "prior1"),
])
def test_bad_input_errors_name_the_argument(call, name):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert name in str(info.value)

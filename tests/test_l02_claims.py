"""The claims of lecture 2, asserted from the library (never from the notebook's output).

2.1 the Bayes posterior of two Gaussian classes with a shared covariance equals
    σ(wᵀx + b) with the closed-form w, b to ~1e-12;
2.2 maximum-likelihood logistic regression on data from that model approaches the
    LDA w, b as n grows;
2.3 the cross-entropy gradient matches centred finite differences;
and the lecture's other statements: stable σ / log σ at |z| = 1000, LDA more
data-efficient when its assumptions hold, logistic regression more robust when they
fail (an outlier cluster, unequal covariances).
"""
import warnings

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from mlcourse import data
from mlcourse.linear import (bayes_posterior, lda_fit, lda_params, linear_error_rate,
                             log_sigmoid, logistic_fit, logistic_grad, logistic_loss, sigmoid)

# the lecture's model
MU0, MU1 = np.array([-1.0, 0.0]), np.array([1.0, 0.0])
SIGMA = np.array([[1.0, 0.5], [0.5, 1.0]])
PRIOR1 = 0.4


def gaussian_classes(n, seed, prior1=PRIOR1):
    return data.make_gaussian_classes(n=n, mean0=MU0, mean1=MU1, cov=SIGMA, prior1=prior1,
                                      seed=seed)


# ------------------------------------------------------------------ claim 2.1

def scipy_posterior(X, m0, m1, cov, prior1):
    d0 = (1 - prior1) * multivariate_normal(m0, cov).pdf(X)
    d1 = prior1 * multivariate_normal(m1, cov).pdf(X)
    return d1 / (d0 + d1)


def test_claim_2_1_on_the_lecture_model():
    X = np.random.default_rng(1).uniform(-4, 4, size=(10_000, 2))
    w, b = lda_params(MU0, MU1, SIGMA, PRIOR1)
    gap = np.max(np.abs(scipy_posterior(X, MU0, MU1, SIGMA, PRIOR1) - sigmoid(X @ w + b)))
    assert gap < 1e-12


@pytest.mark.parametrize("p,seed", [(2, 0), (3, 1), (5, 2)])
def test_claim_2_1_on_random_models(p, seed):
    rng = np.random.default_rng(seed)
    m0, m1 = rng.normal(size=p), rng.normal(size=p)
    A = rng.normal(size=(p, p))
    cov = A @ A.T + p * np.eye(p)
    prior1 = rng.uniform(0.1, 0.9)
    X = m0 + rng.normal(size=(2000, p)) * 2
    w, b = lda_params(m0, m1, cov, prior1)
    assert np.max(np.abs(scipy_posterior(X, m0, m1, cov, prior1) - sigmoid(X @ w + b))) < 1e-12
    # the tolerance is sharp enough to catch a b that forgets the prior term
    b_wrong = b - np.log(prior1 / (1 - prior1))
    assert np.max(np.abs(scipy_posterior(X, m0, m1, cov, prior1) - sigmoid(X @ w + b_wrong))) > 1e-3


def test_claim_2_1_fails_without_a_shared_covariance():
    X = np.random.default_rng(2).uniform(-3, 3, size=(1000, 2))
    cov0 = np.diag([0.1, 1.0])
    post = bayes_posterior(X, MU0, MU1, cov0, SIGMA)
    for cov in (cov0, SIGMA):
        w, b = lda_params(MU0, MU1, cov)
        assert np.max(np.abs(post - sigmoid(X @ w + b))) > 0.1


# ------------------------------------------------------------------ claim 2.2

def test_claim_2_2_logistic_regression_approaches_lda():
    theta_true = np.append(*lda_params(MU0, MU1, SIGMA, PRIOR1))
    sizes = [100, 1_000, 10_000]
    between, lr_error = [], []
    for n in sizes:
        d_between, d_lr = [], []
        for seed in range(10):
            X, y = gaussian_classes(n, 100 + seed)
            theta_lda, theta_lr = np.append(*lda_fit(X, y)), np.append(*logistic_fit(X, y))
            d_between.append(np.linalg.norm(theta_lr - theta_lda))
            d_lr.append(np.linalg.norm(theta_lr - theta_true))
        between.append(np.mean(d_between))
        lr_error.append(np.mean(d_lr))
    assert between[0] > between[1] > between[2]
    assert between[0] / between[2] > 5                 # ~ sqrt(100) = 10 expected
    assert lr_error[0] > lr_error[1] > lr_error[2]
    assert lr_error[2] < 0.1


# ------------------------------------------------------------------ claim 2.3

def numerical_gradient(f, theta, eps=1e-6):
    grad = np.zeros_like(theta)
    for j in range(theta.size):
        step = np.zeros_like(theta)
        step[j] = eps
        grad[j] = (f(theta + step) - f(theta - step)) / (2 * eps)
    return grad


def relative_error(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(a + b)


def test_claim_2_3_gradient_matches_finite_differences():
    X, y = gaussian_classes(400, 0)
    rng = np.random.default_rng(2)
    for _ in range(5):
        theta = rng.normal(size=3)
        analytic = np.append(*logistic_grad(theta[:2], theta[2], X, y))
        numeric = numerical_gradient(lambda t: logistic_loss(t[:2], t[2], X, y), theta)
        assert relative_error(analytic, numeric) < 1e-7
        # a gradient summed instead of averaged would fail the same test
        assert relative_error(analytic * len(y), numeric) > 0.5


def test_gradient_is_prediction_error_times_input():
    X, y = gaussian_classes(50, 1)
    w, b = np.array([0.3, -0.2]), 0.1
    r = sigmoid(X @ w + b) - y
    dw, db = logistic_grad(w, b, X, y)
    np.testing.assert_allclose(dw, np.sum(r[:, None] * X, axis=0) / len(y), rtol=1e-12)
    assert db == pytest.approx(r.mean(), rel=1e-12)


# ------------------------------------------------------------------ stability

def test_stable_sigmoid_and_log_sigmoid_at_1000():
    z = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        s, ls, ls_minus = sigmoid(z), log_sigmoid(z), log_sigmoid(-z)
        with pytest.raises(FloatingPointError):
            1 / (1 + np.exp(-z))                        # the naive formula overflows
    assert s[2] == 0.5 and s[0] == 0.0 and s[-1] == 1.0
    assert s[1] == pytest.approx(np.exp(-40) / (1 + np.exp(-40)), rel=1e-12)
    np.testing.assert_allclose(ls, [-1000.0, -40.0, -np.log(2), -np.log1p(np.exp(-40)), 0.0],
                               rtol=1e-12)
    assert ls_minus[3] == pytest.approx(-40.0) and ls_minus[4] == -1000.0


# ------------------------------------------------------------------ LDA vs logistic regression

def test_lda_is_more_data_efficient_when_its_model_holds():
    w, b = lda_params(MU0, MU1, SIGMA, PRIOR1)
    bayes = linear_error_rate(w, b, MU0, MU1, SIGMA, prior1=PRIOR1)
    for n in (100, 200):
        e_lda, e_lr = [], []
        for seed in range(150):
            X, y = gaussian_classes(n, 1000 + seed)
            e_lda.append(linear_error_rate(*lda_fit(X, y), MU0, MU1, SIGMA, prior1=PRIOR1) - bayes)
            e_lr.append(linear_error_rate(*logistic_fit(X, y), MU0, MU1, SIGMA, prior1=PRIOR1) - bayes)
        assert np.mean(e_lr) > 1.05 * np.mean(e_lda)
        assert np.mean(np.array(e_lda) < np.array(e_lr)) > 0.5


def with_outliers(seed):
    X, y = gaussian_classes(400, 200 + seed, prior1=0.5)
    far = MU1 + np.array([5.0, -5.0]) + 0.5 * np.random.default_rng(300 + seed).standard_normal((20, 2))
    return np.vstack([X, far]), np.concatenate([y, np.ones(20, dtype=int)]), X, y


def test_logistic_regression_is_robust_to_an_outlier_cluster():
    e_lda, e_lr, shift = [], [], []
    for seed in range(20):
        X_out, y_out, X, y = with_outliers(seed)
        e_lda.append(linear_error_rate(*lda_fit(X_out, y_out), MU0, MU1, SIGMA))
        theta_out = np.append(*logistic_fit(X_out, y_out))
        e_lr.append(linear_error_rate(theta_out[:2], theta_out[2], MU0, MU1, SIGMA))
        shift.append(np.linalg.norm(theta_out - np.append(*logistic_fit(X, y))))
    bayes = linear_error_rate(*lda_params(MU0, MU1, SIGMA), MU0, MU1, SIGMA)
    assert np.mean(e_lda) > np.mean(e_lr) + 0.03
    assert np.mean(e_lr) < bayes + 0.005
    assert max(shift) < 1e-3                            # the outliers hardly move the fit


def test_logistic_regression_is_better_with_unequal_covariances():
    D = np.diag([np.sqrt(0.1), 1.0])
    cov0 = D @ SIGMA @ D
    e_lda, e_lr = [], []
    for seed in range(20):
        rng = np.random.default_rng(400 + seed)
        y = rng.permutation(np.arange(400) % 2)
        X = np.where(y[:, None] == 1, rng.multivariate_normal(MU1, SIGMA, 400),
                     rng.multivariate_normal(MU0, cov0, 400))
        e_lda.append(linear_error_rate(*lda_fit(X, y), MU0, MU1, cov0, SIGMA))
        e_lr.append(linear_error_rate(*logistic_fit(X, y), MU0, MU1, cov0, SIGMA))
    assert np.mean(e_lda) > np.mean(e_lr) + 0.01

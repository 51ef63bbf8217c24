"""The checks of lecture 2 reward the reference and catch realistic mistakes."""
import numpy as np
import pytest

from mlcourse import linear as ref
from mlcourse.grading.framework import exercises_of, grade


def full(report):
    return report.score == report.exercise.points


def score(id, name, fn):
    return grade(id, {name: fn})


# ------------------------------------------------------------------ student-style answers

def lda_reference(X, y):
    return ref.lda_fit(X, y)


def _lda_parts(X, y):
    X, y = np.asarray(X, float), np.asarray(y)
    mu0, mu1 = X[y == 0].mean(axis=0), X[y == 1].mean(axis=0)
    return X, y, mu0, mu1, np.mean(y == 1)


def _lda_from(mu0, mu1, S, prior1, with_prior=True):
    s0, s1 = np.linalg.solve(S, mu0), np.linalg.solve(S, mu1)
    b = 0.5 * (mu0 @ s0 - mu1 @ s1) + (np.log(prior1 / (1 - prior1)) if with_prior else 0.0)
    return s1 - s0, float(b)


def _pooled(X, y, mu0, mu1):
    R = X - np.where(y[:, None] == 1, mu1, mu0)
    return R.T @ R


def lda_unbiased(X, y):          # divides by n - 2 (the unbiased estimate)
    X, y, mu0, mu1, p1 = _lda_parts(X, y)
    return _lda_from(mu0, mu1, _pooled(X, y, mu0, mu1) / (len(y) - 2), p1)


def lda_unweighted(X, y):        # plain average of the two class covariances
    X, y, mu0, mu1, p1 = _lda_parts(X, y)
    S = (np.cov(X[y == 0].T, bias=True) + np.cov(X[y == 1].T, bias=True)) / 2
    return _lda_from(mu0, mu1, S, p1)


def lda_no_prior(X, y):          # forgets log(pi1 / pi0)
    X, y, mu0, mu1, p1 = _lda_parts(X, y)
    return _lda_from(mu0, mu1, _pooled(X, y, mu0, mu1) / len(y), p1, with_prior=False)


def lda_swapped(X, y):           # w = Σ⁻¹(μ₀ − μ₁)
    w, b = lda_reference(X, y)
    return -w, -b


def lda_total_covariance(X, y):  # covariance around the overall mean, not the class means
    X, y, mu0, mu1, p1 = _lda_parts(X, y)
    return _lda_from(mu0, mu1, np.cov(X.T, bias=True), p1)


def sigmoid_reference(z):
    return ref.sigmoid(z)


def sigmoid_naive(z):
    return 1 / (1 + np.exp(-np.asarray(z, float)))


def sigmoid_where_both_branches(z):
    z = np.asarray(z, float)
    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))


def sigmoid_one_minus(z):        # stable, but 1 - σ(|z|) loses the digits of tiny values
    z = np.asarray(z, float)
    s = 1 / (1 + np.exp(-np.abs(z)))
    return np.where(z >= 0, s, 1 - s)


def sigmoid_in_place(z):         # right values, but overwrites the caller's array
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    out = np.where(z >= 0, 1.0, e) / (1.0 + e)
    if z.ndim:
        z[...] = out
    return out


def loss_reference(w, b, X, y):
    return ref.logistic_loss(w, b, X, y)


def _log_sigmoid(t):
    return np.minimum(t, 0.0) - np.log1p(np.exp(-np.abs(t)))


def loss_sum(w, b, X, y):
    z = X @ w + b
    return float(-np.sum(y * _log_sigmoid(z) + (1 - y) * _log_sigmoid(-z)))


def loss_naive(w, b, X, y):
    q = 1 / (1 + np.exp(-(X @ w + b)))
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


def loss_clipped(w, b, X, y):    # clips probabilities: finite, but wrong for confident errors
    q = np.clip(ref.sigmoid(X @ w + b), 1e-12, 1 - 1e-12)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


def loss_no_bias(w, b, X, y):
    z = X @ w
    return float(-np.mean(y * _log_sigmoid(z) + (1 - y) * _log_sigmoid(-z)))


def grad_reference(w, b, X, y):
    return ref.logistic_grad(w, b, X, y)


def grad_sum(w, b, X, y):
    r = ref.sigmoid(X @ w + b) - y
    return X.T @ r, float(np.sum(r))


def grad_wrong_sign(w, b, X, y):
    r = y - ref.sigmoid(X @ w + b)
    return X.T @ r / len(y), float(np.mean(r))


def grad_no_bias(w, b, X, y):
    r = ref.sigmoid(X @ w + b) - y
    return X.T @ r / len(y), 0.0


def grad_naive_sigmoid(w, b, X, y):
    r = 1 / (1 + np.exp(-(X @ w + b))) - y
    return X.T @ r / len(y), float(np.mean(r))


def stub(*args, **kwargs):
    raise NotImplementedError("lda_fit: replace this line with your code")


EXERCISES = {
    "lda_fit": ("lda_fit", lda_reference,
                [lda_unbiased, lda_unweighted, lda_no_prior, lda_swapped, lda_total_covariance]),
    "logistic_sigmoid": ("sigmoid", sigmoid_reference,
                         [sigmoid_naive, sigmoid_where_both_branches, sigmoid_one_minus,
                          sigmoid_in_place]),
    "logistic_loss": ("logistic_loss", loss_reference,
                      [loss_sum, loss_naive, loss_clipped, loss_no_bias]),
    "logistic_grad": ("logistic_grad", grad_reference,
                      [grad_sum, grad_wrong_sign, grad_no_bias, grad_naive_sigmoid]),
}
QUESTIONS = {"lda_q1": ("b", "a"), "lda_q2": (np.log(4.0), 0.4), "logistic_q1": ("b", "c")}


def test_lecture_registers_exercises_in_notebook_order():
    ids = [ex.id for ex in exercises_of("02_lda_logistic")]
    assert ids == list(EXERCISES) + list(QUESTIONS)


@pytest.mark.parametrize("id", EXERCISES)
def test_reference_scores_full_points(id):
    name, reference, _ = EXERCISES[id]
    report = score(id, name, reference)
    assert full(report), report.text()


@pytest.mark.parametrize("id", list(EXERCISES) + list(QUESTIONS))
def test_blank_stub_scores_zero(id):
    if id in QUESTIONS:
        report = score(id, id, None)
        assert report.score == 0 and "not answered yet" in report.text()
        return
    name = EXERCISES[id][0]
    report = score(id, name, stub)
    assert report.score == 0
    assert "not implemented yet" in report.text()


@pytest.mark.parametrize("id,wrong", [(id, fn) for id, (_, _, fns) in EXERCISES.items()
                                      for fn in fns])
def test_realistic_mistake_loses_points(id, wrong):
    name = EXERCISES[id][0]
    report = score(id, name, wrong)
    assert report.score < report.exercise.points, report.text()


def test_failures_come_with_hints_and_the_reason():
    text = score("logistic_sigmoid", "sigmoid", sigmoid_naive).text()
    assert "FloatingPointError" in text and "overflow" in text and "hint:" in text
    text = score("lda_fit", "lda_fit", lda_unbiased).text()
    assert "FAIL  a small sample (n = 8): divide by n, not by n − 2" in text
    text = score("logistic_loss", "logistic_loss", loss_clipped).text()
    assert "confidently wrong at z = 40" in text and "expected" in text
    text = score("logistic_sigmoid", "sigmoid", sigmoid_in_place).text()
    assert "changed its input" in text


def test_missing_function_is_reported():
    report = grade("lda_fit", {})
    assert report.score == 0 and "not found" in report.text()


@pytest.mark.parametrize("id", QUESTIONS)
def test_questions(id):
    right, wrong = QUESTIONS[id]
    assert full(score(id, id, right))
    assert score(id, id, wrong).score == 0
    assert score(id, id, "zzz").score == 0
    if isinstance(right, str):
        assert full(score(id, id, right.upper()))      # "B" is accepted as "b"

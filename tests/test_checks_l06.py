"""Lecture 6's checks: the reference earns full marks, blanks 0, wrong answers less."""
import numpy as np
import pytest

from mlcourse import initializers, vanishing
from mlcourse.activations import sigmoid
from mlcourse.grading.framework import exercises_of, grade


def stub(*args, **kwargs):
    raise NotImplementedError


REFERENCE = {
    "vanishing_chain_grad": ("chain_grad", vanishing.chain_grad),
    "vanishing_layer_grad_norms": ("layer_grad_norms",
                                   lambda params, X, y, activation:
                                   vanishing.layer_grad_norms(params, X, y, activation)),
    "init_glorot_uniform": ("glorot_uniform", initializers.glorot_uniform),
    "init_he_normal": ("he_normal", initializers.he_normal),
    "vanishing_q1": ("vanishing_q1", 0.25),
    "vanishing_q2": ("vanishing_q2", "b"),
}
QUESTIONS = {"vanishing_q1", "vanishing_q2"}


def score(id, obj):
    report = grade(id, {REFERENCE[id][0]: obj})
    return report.score, report


def test_all_lecture_6_exercises_are_registered_in_order():
    assert [ex.id for ex in exercises_of("06_vanishing_gradients")] == list(REFERENCE)


@pytest.mark.parametrize("id", REFERENCE)
def test_reference_scores_full_marks(id):
    s, report = score(id, REFERENCE[id][1])
    assert s == report.exercise.points, report.text()


@pytest.mark.parametrize("id", sorted(set(REFERENCE) - QUESTIONS))
def test_blank_stub_scores_zero_with_not_implemented(id):
    s, report = score(id, stub)
    assert s == 0 and "not implemented yet" in report.text()


@pytest.mark.parametrize("id", sorted(QUESTIONS))
def test_unanswered_question_scores_zero(id):
    s, report = score(id, None)
    assert s == 0 and "not answered yet" in report.text()


# ---------------------------------------------------------------- chain_grad: wrong answers

def _chain(ws, x, first, factor):
    a, grad = x, 1.0
    for k, w in enumerate(np.asarray(ws, dtype=float)):
        s = float(sigmoid(w * a))
        grad *= (first(w, x) if k == 0 else w) * factor(w * a, s)
        a = s
    return grad


def chain_forgets_x(ws, x):
    return _chain(ws, x, lambda w, x: 1.0, lambda z, s: s * (1 - s))


def chain_uses_w1_not_x(ws, x):
    return _chain(ws, x, lambda w, x: w, lambda z, s: s * (1 - s))


def chain_sigma_not_derivative(ws, x):
    return _chain(ws, x, lambda w, x: x, lambda z, s: s)


def chain_unstable_derivative(ws, x):
    with np.errstate(over="ignore", invalid="ignore"):
        return _chain(ws, x, lambda w, x: x,
                      lambda z, s: np.exp(-z) / (1 + np.exp(-z)) ** 2)


def chain_last_weight(ws, x):
    ws = np.asarray(ws, dtype=float)
    _, a = vanishing.chain_forward(ws, x)
    return float(a[-2] * a[-1] * (1 - a[-1]))


@pytest.mark.parametrize("wrong", [chain_forgets_x, chain_uses_w1_not_x, chain_sigma_not_derivative,
                                   chain_unstable_derivative, chain_last_weight])
def test_wrong_chain_grad_loses_points(wrong):
    s, report = score("vanishing_chain_grad", wrong)
    assert s < 1, report.text()


def test_unstable_derivative_fails_only_the_saturation_case():
    _, report = score("vanishing_chain_grad", chain_unstable_derivative)
    failed = [r.name for r in report.results if not r.passed]
    assert failed == ["a saturated first unit (z1 = -1000): no overflow, no NaN"]


# ---------------------------------------------------------------- layer_grad_norms: wrong answers

def _grads(params, X, y, activation, at_activation=False, total=False, output="softmax"):
    f = {"sigmoid": sigmoid, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}[activation]
    df = {"sigmoid": lambda z: sigmoid(z) * (1 - sigmoid(z)), "tanh": lambda z: 1 - np.tanh(z) ** 2,
          "relu": lambda z: (z > 0).astype(float)}[activation]
    A, cache = X, []
    for l, (W, b) in enumerate(params):
        Z = A @ W + b
        cache.append((A, Z, f(Z) if l < len(params) - 1 else None))
        A = f(Z) if l < len(params) - 1 else Z
    n, K = A.shape
    P = np.exp(A - A.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    if output == "sigmoid":
        P = sigmoid(A)
    D = (P - np.eye(K)[y]) / (1 if total else n)
    dWs, ds = [], []
    for l in range(len(params) - 1, -1, -1):
        dWs.append(cache[l][0].T @ D)
        ds.append(D)
        if l > 0:
            Zp, Ap = cache[l - 1][1], cache[l - 1][2]
            D = (D @ params[l][0].T) * (df(Ap) if at_activation else df(Zp))
    return dWs[::-1], ds[::-1]


def norms_sum_loss(params, X, y, activation):
    return np.array([np.linalg.norm(g) for g in _grads(params, X, y, activation, total=True)[0]])


def norms_derivative_at_activation(params, X, y, activation):
    return np.array([np.linalg.norm(g) for g in _grads(params, X, y, activation, at_activation=True)[0]])


def norms_reversed(params, X, y, activation):
    return vanishing.layer_grad_norms(params, X, y, activation)[::-1]


def norms_of_deltas(params, X, y, activation):
    return np.array([np.linalg.norm(d) for d in _grads(params, X, y, activation)[1]])


def norms_hidden_only(params, X, y, activation):
    return vanishing.layer_grad_norms(params, X, y, activation)[:-1]


def norms_sigmoid_output(params, X, y, activation):
    return np.array([np.linalg.norm(g) for g in _grads(params, X, y, activation, output="sigmoid")[0]])


def test_own_reimplementation_agrees_with_the_reference():
    rng = np.random.default_rng(3)
    params = [(rng.normal(size=(4, 5)), rng.normal(size=5)), (rng.normal(size=(5, 3)), rng.normal(size=3))]
    X, y = rng.normal(size=(7, 4)), rng.integers(0, 3, 7)
    for act in ("sigmoid", "tanh", "relu"):
        mine = np.array([np.linalg.norm(g) for g in _grads(params, X, y, act)[0]])
        np.testing.assert_allclose(mine, vanishing.layer_grad_norms(params, X, y, act), rtol=1e-10)


@pytest.mark.parametrize("wrong", [norms_sum_loss, norms_derivative_at_activation, norms_reversed,
                                   norms_of_deltas, norms_hidden_only, norms_sigmoid_output])
def test_wrong_layer_grad_norms_loses_points(wrong):
    s, report = score("vanishing_layer_grad_norms", wrong)
    assert s < 1, report.text()


def test_mutating_params_is_caught():
    def mutates(params, X, y, activation):
        params[0][0][:] = 0.0
        return vanishing.layer_grad_norms(params, X, y, activation)
    s, report = score("vanishing_layer_grad_norms", mutates)
    assert s < 1 and "changed its input" in report.text()


# ---------------------------------------------------------------- initializers: wrong answers

def glorot_he_bound(n_in, n_out, rng):
    a = np.sqrt(6 / n_in)
    return rng.uniform(-a, a, size=(n_in, n_out))


def glorot_normal_instead(n_in, n_out, rng):
    return rng.normal(0, np.sqrt(2 / (n_in + n_out)), size=(n_in, n_out))


def glorot_without_six(n_in, n_out, rng):
    a = np.sqrt(1 / (n_in + n_out))
    return rng.uniform(-a, a, size=(n_in, n_out))


def glorot_global_state(n_in, n_out, rng):
    a = np.sqrt(6 / (n_in + n_out))
    return np.random.uniform(-a, a, size=(n_in, n_out))


def glorot_transposed(n_in, n_out, rng):
    a = np.sqrt(6 / (n_in + n_out))
    return rng.uniform(-a, a, size=(n_out, n_in))


@pytest.mark.parametrize("wrong", [glorot_he_bound, glorot_normal_instead, glorot_without_six,
                                   glorot_global_state, glorot_transposed])
def test_wrong_glorot_loses_points(wrong):
    s, report = score("init_glorot_uniform", wrong)
    assert s < 1, report.text()


def he_variance_as_std(n_in, n_out, rng):
    return rng.normal(0, 2 / n_in, size=(n_in, n_out))


def he_lecun(n_in, n_out, rng):
    return rng.normal(0, np.sqrt(1 / n_in), size=(n_in, n_out))


def he_glorot_variance(n_in, n_out, rng):
    return rng.normal(0, np.sqrt(2 / (n_in + n_out)), size=(n_in, n_out))


def he_uniform_instead(n_in, n_out, rng):
    a = np.sqrt(6 / n_in)
    return rng.uniform(-a, a, size=(n_in, n_out))


def he_global_state(n_in, n_out, rng):
    return np.random.normal(0, np.sqrt(2 / n_in), size=(n_in, n_out))


@pytest.mark.parametrize("wrong", [he_variance_as_std, he_lecun, he_glorot_variance,
                                   he_uniform_instead, he_global_state])
def test_wrong_he_loses_points(wrong):
    s, report = score("init_he_normal", wrong)
    assert s < 1, report.text()


def test_uniform_he_fails_the_normality_case_only():
    _, report = score("init_he_normal", he_uniform_instead)
    assert [r.name for r in report.results if not r.passed] == \
        ["500 x 200: normal, not uniform (68.3% within one std, 4.55% beyond two)"]


# ---------------------------------------------------------------- questions

@pytest.mark.parametrize("id,wrong", [("vanishing_q1", 0.5), ("vanishing_q1", 1), ("vanishing_q1", "b"),
                                      ("vanishing_q2", "a"), ("vanishing_q2", "c"),
                                      ("vanishing_q2", 3)])
def test_wrong_answers_score_zero(id, wrong):
    s, report = score(id, wrong)
    assert s == 0, report.text()


def test_question_accepts_equivalent_forms():
    assert score("vanishing_q1", 1 / 4)[0] == 1
    assert score("vanishing_q2", " B ")[0] == 1

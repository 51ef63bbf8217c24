"""Lecture 7's checks: the reference earns full marks, blanks 0, wrong answers less."""
import numpy as np
import pytest

from mlcourse import rectified
from mlcourse.grading.checks.l07_relu import local_linear_map
from mlcourse.grading.framework import exercises_of, grade


def stub(*args, **kwargs):
    raise NotImplementedError


REFERENCE = {
    "relu_dead_fraction": ("dead_fraction", lambda params, X: rectified.dead_fraction(params, X)),
    "relu_local_linear_map": ("local_linear_map", local_linear_map),
    "relu_q1": ("relu_q1", 0.5),
    "relu_q2": ("relu_q2", "a"),
    "relu_q3": ("relu_q3", "b"),
    "relu_q4": ("relu_q4", 6),
}
QUESTIONS = {"relu_q1", "relu_q2", "relu_q3", "relu_q4"}


def score(id, obj):
    report = grade(id, {REFERENCE[id][0]: obj})
    return report.score, report


def test_all_lecture_7_exercises_are_registered_in_order():
    assert [ex.id for ex in exercises_of("07_relu")] == list(REFERENCE)


@pytest.mark.parametrize("id", REFERENCE)
def test_reference_scores_full_marks(id):
    s, report = score(id, REFERENCE[id][1])
    assert s == report.exercise.points, report.text()


@pytest.mark.parametrize("id", ["relu_dead_fraction", "relu_local_linear_map"])
def test_blank_stub_scores_zero_with_not_implemented(id):
    s, report = score(id, stub)
    assert s == 0 and "not implemented yet" in report.text()


@pytest.mark.parametrize("id", sorted(QUESTIONS))
def test_unanswered_question_scores_zero(id):
    s, report = score(id, None)
    assert s == 0 and "not answered yet" in report.text()


def _propagate(params, X, relu=True, keep_output=False):
    A, Zs = np.asarray(X, dtype=float), []
    layers = params if keep_output else params[:-1]
    for W, b in layers:
        Z = A @ W + b
        Zs.append(Z)
        A = np.maximum(Z, 0) if relu else Z
    return Zs


def dead_as_sparsity(params, X):
    return np.array([np.mean(Z <= 0) for Z in _propagate(params, X)])


def dead_strict_inequality(params, X):
    return np.array([np.mean(np.all(Z < 0, axis=0)) for Z in _propagate(params, X)])


def dead_without_relu_between_layers(params, X):
    return np.array([np.mean(np.all(Z <= 0, axis=0)) for Z in _propagate(params, X, relu=False)])


def dead_counts_output_layer(params, X):
    return np.array([np.mean(np.all(Z <= 0, axis=0)) for Z in _propagate(params, X, keep_output=True)])


def dead_without_bias(params, X):
    no_bias = [(W, np.zeros_like(b)) for W, b in params]
    return rectified.dead_fraction(no_bias, X)


def dead_counts_units_not_fraction(params, X):
    return np.array([np.sum(np.all(Z <= 0, axis=0)) for Z in _propagate(params, X)], dtype=float)


@pytest.mark.parametrize("wrong", [dead_as_sparsity, dead_strict_inequality,
                                   dead_without_relu_between_layers, dead_counts_output_layer,
                                   dead_without_bias, dead_counts_units_not_fraction])
def test_wrong_dead_fraction_loses_points(wrong):
    s, report = score("relu_dead_fraction", wrong)
    assert s < 1, report.text()


def test_strict_inequality_fails_the_exact_zero_case():
    _, report = score("relu_dead_fraction", dead_strict_inequality)
    failed = [r.name for r in report.results if not r.passed]
    assert "a pre-activation exactly 0 on every row counts as dead (ReLU'(0) = 0)" in failed


def test_mutating_X_is_caught():
    def mutates(params, X):
        X -= 1.0
        return rectified.dead_fraction(params, X + 1.0)
    s, report = score("relu_dead_fraction", mutates)
    assert s < 1 and "changed its input" in report.text()


@pytest.mark.parametrize("id,wrong", [("relu_q1", 0.25), ("relu_q1", 1.0), ("relu_q1", "half"),
                                      ("relu_q2", "b"), ("relu_q2", "c"), ("relu_q3", "a"),
                                      ("relu_q3", "c"), ("relu_q4", 5), ("relu_q4", 32),
                                      ("relu_q4", 10), ("relu_q4", "six")])
def test_wrong_answers_score_zero(id, wrong):
    s, report = score(id, wrong)
    assert s == 0, report.text()


# ------------------------------------------------------------------ relu_local_linear_map

def test_the_reference_map_reproduces_the_network():
    """f(x') = x' @ W_eff + b_eff at x and near it (same activation pattern), not far away."""
    rng = np.random.default_rng(3)
    sizes = [4, 12, 12, 2]
    params = [(rng.normal(0, np.sqrt(2 / a), (a, b)), rng.normal(0, 0.1, b))
              for a, b in zip(sizes[:-1], sizes[1:])]

    def f(x):
        a = x
        for W, b in params[:-1]:
            a = np.maximum(a @ W + b, 0)
        return a @ params[-1][0] + params[-1][1]

    x = rng.normal(size=4)
    W_eff, b_eff = local_linear_map(params, x)
    assert W_eff.shape == (4, 2) and b_eff.shape == (2,)
    for x_near in (x, x + 1e-7 * rng.normal(size=4)):
        np.testing.assert_allclose(x_near @ W_eff + b_eff, f(x_near), rtol=1e-10, atol=1e-12)
    x_far = x + 10 * rng.normal(size=4)
    assert not np.allclose(x_far @ W_eff + b_eff, f(x_far))


def _map(params, x, mask_output=False, relu_between=True, bias=True, mask_from_input=False):
    x = np.asarray(x, dtype=float)
    W_eff, b_eff, a = np.eye(x.shape[0]), np.zeros(x.shape[0]), x
    for l, (W, b) in enumerate(params):
        z = a @ W + b
        W_eff, b_eff = W_eff @ W, (b_eff @ W + b if bias else np.zeros(W.shape[1]))
        if l < len(params) - 1 or mask_output:
            active = (W.sum(axis=0) > 0) if mask_from_input else z > 0
            W_eff, b_eff = W_eff * active, b_eff * active
            a = np.maximum(z, 0) if relu_between else z
    return W_eff, b_eff


def map_no_masks(params, x):
    W_eff, b_eff = np.eye(len(x)), np.zeros(len(x))
    for W, b in params:
        W_eff, b_eff = W_eff @ W, b_eff @ W + b
    return W_eff, b_eff


def map_masks_output(params, x):
    return _map(params, x, mask_output=True)


def map_without_relu_between(params, x):
    return _map(params, x, relu_between=False)


def map_without_bias(params, x):
    return _map(params, x, bias=False)


def map_mask_not_from_z(params, x):
    return _map(params, x, mask_from_input=True)


def map_bias_not_propagated(params, x):
    W_eff, _ = local_linear_map(params, x)
    return W_eff, params[-1][1]


def map_transposed(params, x):
    W_eff, b_eff = local_linear_map(params, x)
    return W_eff.T, b_eff


@pytest.mark.parametrize("wrong", [map_no_masks, map_masks_output, map_without_relu_between,
                                   map_without_bias, map_mask_not_from_z,
                                   map_bias_not_propagated, map_transposed])
def test_wrong_local_linear_map_loses_points(wrong):
    s, report = score("relu_local_linear_map", wrong)
    assert s < 1, report.text()
    assert "FAIL" in report.text()

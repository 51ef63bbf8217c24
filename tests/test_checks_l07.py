"""Lecture 7's checks: the reference earns full marks, blanks 0, wrong answers less."""
import numpy as np
import pytest

from mlcourse import rectified
from mlcourse.grading.framework import exercises_of, grade


def stub(*args, **kwargs):
    raise NotImplementedError


REFERENCE = {
    "relu_dead_fraction": ("dead_fraction", lambda params, X: rectified.dead_fraction(params, X)),
    "relu_q1": ("relu_q1", 0.5),
    "relu_q2": ("relu_q2", "a"),
    "relu_q3": ("relu_q3", "b"),
}
QUESTIONS = {"relu_q1", "relu_q2", "relu_q3"}


def score(id, obj):
    report = grade(id, {REFERENCE[id][0]: obj})
    return report.score, report


def test_all_lecture_7_exercises_are_registered_in_order():
    assert [ex.id for ex in exercises_of("07_relu")] == list(REFERENCE)


@pytest.mark.parametrize("id", REFERENCE)
def test_reference_scores_full_marks(id):
    s, report = score(id, REFERENCE[id][1])
    assert s == report.exercise.points, report.text()


def test_blank_stub_scores_zero_with_not_implemented():
    s, report = score("relu_dead_fraction", stub)
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
                                      ("relu_q3", "c")])
def test_wrong_answers_score_zero(id, wrong):
    s, report = score(id, wrong)
    assert s == 0, report.text()

"""Lecture 8's checks: the reference earns full marks, blanks 0, wrong answers less."""
import numpy as np
import pytest

from mlcourse import uat as ref
from mlcourse.grading.framework import exercises_of, grade

LECTURE = "08_universal_approximation"


def stub(*args, **kwargs):
    raise NotImplementedError


REFERENCE = {
    "uat_staircase": ("staircase", ref.staircase),
    "uat_relu_interpolant": ("relu_interpolant", ref.relu_interpolant),
    "uat_count_regions": ("count_regions", ref.count_regions),
    "uat_q1": ("uat_q1", "b"),
    "uat_q2": ("uat_q2", 11),
    "uat_q3": ("uat_q3", 32),
}


def test_all_lecture_8_exercises_are_registered_in_order():
    assert [ex.id for ex in exercises_of(LECTURE)] == list(REFERENCE)


@pytest.mark.parametrize("id", REFERENCE)
def test_reference_scores_full_marks(id):
    name, obj = REFERENCE[id]
    report = grade(id, {name: obj})
    assert report.score == report.exercise.points, report.text()


@pytest.mark.parametrize("id", [i for i in REFERENCE if not i.startswith("uat_q")])
def test_blank_stub_scores_zero_with_not_implemented(id):
    report = grade(id, {REFERENCE[id][0]: stub})
    assert report.score == 0
    assert "not implemented yet" in report.text()


@pytest.mark.parametrize("id", [i for i in REFERENCE if i.startswith("uat_q")])
def test_unanswered_question_scores_zero(id):
    report = grade(id, {id: None})
    assert report.score == 0 and "not answered yet" in report.text()


def test_numeric_answers_may_be_floats_or_strings_of_numbers():
    assert grade("uat_q2", {"uat_q2": 11.0}).score == 1
    assert grade("uat_q3", {"uat_q3": "32"}).score == 1
    assert grade("uat_q1", {"uat_q1": " B "}).score == 1


# ---------------------------------------------------------------- wrong answers

def _stair_values_not_jumps(f, a, b, n):
    h = (b - a) / n
    c = a + h * np.arange(n)
    return f(c + h / 2), c                          # heights = values: the steps pile up


def _stair_one_unit_too_many(f, a, b, n):
    h = (b - a) / n
    c = a + h * np.arange(n + 1)
    return np.diff(f(c + h / 2), prepend=0.0), c


def _stair_knots_shifted(f, a, b, n):
    v, c = ref.staircase(f, a, b, n)
    return v, c + (b - a) / n                       # nothing on at the first interval


def _interp_assumes_sorted(xs, ys):
    slopes = np.diff(ys) / np.diff(xs)
    return np.diff(slopes), xs[1:-1], ys[0] - slopes[0] * xs[0], slopes[0]


def _interp_slopes_not_changes(xs, ys):
    _, c, a0, a1 = ref.relu_interpolant(xs, ys)
    order = np.argsort(xs)
    slopes = np.diff(ys[order]) / np.diff(xs[order])
    return slopes[1:], c, a0, a1


def _interp_no_intercept_shift(xs, ys):
    w, c, _, a1 = ref.relu_interpolant(xs, ys)
    return w, c, float(np.min(ys)), a1


def _interp_sorts_in_place(xs, ys):
    order = np.argsort(xs)
    ys[:] = ys[order]
    xs.sort()
    return ref.relu_interpolant(xs, ys)


def _patterns(params, X, include_output=False, strict=True):
    A, marks = X, []
    layers = params if include_output else params[:-1]
    for W, b in layers:
        Z = A @ W + b
        marks.append(Z > 0 if strict else Z >= 0)
        A = np.maximum(Z, 0)
    return np.concatenate(marks, axis=1) if marks else np.zeros((len(X), 0), bool)


def _count_with_output_layer(params, X_line):
    return len(np.unique(_patterns(params, X_line, include_output=True), axis=0))


def _count_changes(params, X_line):
    P = _patterns(params, X_line)
    return int(1 + np.sum(np.any(P[1:] != P[:-1], axis=1)))


def _count_non_strict(params, X_line):
    P = _patterns(params, X_line, strict=False)
    return len(np.unique(P, axis=0)) if P.shape[1] else 1


def _count_first_layer_only(params, X_line):
    return len(np.unique(_patterns(params[:2], X_line), axis=0)) if len(params) > 1 else 1


WRONG = {
    "uat_staircase": ("staircase", [_stair_values_not_jumps, _stair_one_unit_too_many,
                                    _stair_knots_shifted]),
    "uat_relu_interpolant": ("relu_interpolant", [_interp_assumes_sorted,
                                                  _interp_slopes_not_changes,
                                                  _interp_no_intercept_shift,
                                                  _interp_sorts_in_place]),
    "uat_count_regions": ("count_regions", [_count_with_output_layer, _count_changes,
                                            _count_non_strict, _count_first_layer_only]),
    "uat_q1": ("uat_q1", ["a", "c", "maybe"]),
    "uat_q2": ("uat_q2", [10, 20, "eleven"]),
    "uat_q3": ("uat_q3", [10, 16, 5]),
}


@pytest.mark.parametrize("id, wrong", [(id, fn) for id, (_, fns) in WRONG.items() for fn in fns],
                         ids=lambda x: getattr(x, "__name__", str(x)))
def test_wrong_answer_is_rejected_with_feedback(id, wrong):
    report = grade(id, {WRONG[id][0]: wrong})
    assert report.score < report.exercise.points, report.text()
    assert "FAIL" in report.text()


def test_in_place_sort_is_reported_as_a_changed_input():
    text = grade("uat_relu_interpolant", {"relu_interpolant": _interp_sorts_in_place}).text()
    assert "changed its input" in text


def test_staircase_feedback_names_the_error_and_the_bound():
    text = grade("uat_staircase", {"staircase": _stair_values_not_jumps}).text()
    assert "sup error" in text and "Lip(f)" in text and "hint" in text


def test_feedback_is_deterministic():
    for id, (name, obj) in WRONG.items():
        wrong = obj[0]
        assert grade(id, {name: wrong}).text() == grade(id, {name: wrong}).text()

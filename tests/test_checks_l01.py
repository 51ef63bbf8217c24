"""Lecture 1's checks: the reference earns full marks, blanks 0, wrong answers less."""
import re
import numpy as np
import pytest

from mlcourse import perceptron as ref
from mlcourse.grading.framework import exercises_of, grade


def stub(*args, **kwargs):
    raise NotImplementedError


def full(id, name, fn):
    report = grade(id, {name: fn})
    return report.score == report.exercise.points, report


REFERENCE = {
    "threshold_truth_table": ("truth_table", ref.truth_table),
    "threshold_logic_weights": ("logic_weights", lambda: {"and": ([1, 1], -2), "or": ([1, 1], -1),
                                                           "nand": ([-1, -1], 1.5)}),
    "perceptron_predict": ("perceptron_predict", ref.perceptron_predict),
    "perceptron_update": ("perceptron_update", ref.perceptron_update),
    "perceptron_fit": ("perceptron_fit", ref.perceptron_fit),
}


# Conceptual questions: the right answer, and wrong answers a student might give.
QUESTIONS = {
    "threshold_q1": (14, [16, 12, 2, "14 functions"]),     # 16 - XOR - XNOR = 14
    "perceptron_q1": (5, [-1, 4, 6, 0]),    # the old score; w.x without b; the change; no update
    "perceptron_q2": (100, [10, 50, 25, 0.01]),   # R/gamma, R^2/gamma/..., (R/gamma)/..., (gamma/R)^2
    "perceptron_q3": ("a", ["b", "c", "d", 1]),
}


def test_all_lecture_1_exercises_are_registered_in_order():
    assert [ex.id for ex in exercises_of("01_perceptron")] == list(REFERENCE) + list(QUESTIONS)


@pytest.mark.parametrize("id", QUESTIONS)
def test_question_right_answer_scores_full_marks(id):
    report = grade(id, {id: QUESTIONS[id][0]})
    assert report.score == report.exercise.points == 1, report.text()


@pytest.mark.parametrize("id", QUESTIONS)
def test_question_unanswered_scores_zero(id):
    report = grade(id, {id: None})
    assert report.score == 0 and "not answered yet" in report.text()


@pytest.mark.parametrize("id, wrong", [(id, w) for id, (_, ws) in QUESTIONS.items() for w in ws])
def test_question_wrong_answer_scores_zero_with_feedback(id, wrong):
    report = grade(id, {id: wrong})
    assert report.score == 0, report.text()
    assert "FAIL" in report.text()


def test_question_answers_are_what_the_reference_computes():
    """The keyed answers follow from the course's own code, not from memory."""
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    separable = sum(ref.max_margin_separator(corners, np.array(labels))[2] > 1e-9
                    for labels in np.ndindex(2, 2, 2, 2)
                    if 0 < sum(labels) < 4) + 2          # the two constant functions
    assert separable == QUESTIONS["threshold_q1"][0]
    w, b = ref.perceptron_update(np.array([1.0, -1.0]), 0.0, np.array([1.0, 2.0]), 1, 1.0)
    assert w @ np.array([1.0, 2.0]) + b == QUESTIONS["perceptron_q1"][0]
    assert (5 / 0.5) ** 2 == QUESTIONS["perceptron_q2"][0]
    X = np.array([[2.0, 1.0], [-1.0, -1.5], [0.5, -2.0], [1.0, 2.0], [-2.0, 0.5]])
    y = np.array([1, 0, 0, 1, 0])
    w1, b1, n1 = ref.perceptron_fit(X, y, lr=1.0)
    w2, b2, n2 = ref.perceptron_fit(X, y, lr=0.1)
    assert n1 == n2 and np.allclose(w2, 0.1 * w1) and np.isclose(b2, 0.1 * b1)


@pytest.mark.parametrize("id", REFERENCE)
def test_reference_scores_full_marks(id):
    ok, report = full(id, *REFERENCE[id])
    assert ok, report.text()


@pytest.mark.parametrize("id", REFERENCE)
def test_blank_stub_scores_zero_with_not_implemented(id):
    report = grade(id, {REFERENCE[id][0]: stub})
    assert report.score == 0
    assert "not implemented yet" in report.text()


def test_missing_function_scores_zero_and_says_so():
    report = grade("perceptron_fit", {})
    assert report.score == 0 and "no `perceptron_fit` is defined" in report.text()


def _tt_reversed_order(w, b):
    table = ref.truth_table(w, b)
    return table[::-1]


def _tt_sign_zero_negative(w, b):
    X = ref.pm1_inputs(3)
    return np.column_stack([X, np.where(b + X @ np.asarray(w) > 0, 1, -1)])


def _tt_no_bias(w, b):
    return ref.truth_table(w, 0.0)


def _gates_and_or_swapped():
    return {"and": ([1, 1], -1), "or": ([1, 1], -2), "nand": ([-1, -1], 1.5)}


def _gates_nand_as_nor():
    return {"and": ([1, 1], -2), "or": ([1, 1], -1), "nand": ([-1, -1], 0)}


def _predict_strict(X, w, b):
    return (X @ w + b > 0).astype(int)


def _predict_no_bias(X, w, b):
    return (X @ w >= 0).astype(int)


def _predict_signs(X, w, b):
    return np.where(X @ w + b >= 0, 1, -1)


def _update_in_place(w, b, x, y, lr):
    error = y - int(x @ w + b >= 0)
    w += lr * error * x
    return w, b + lr * error


def _update_wrong_sign(w, b, x, y, lr):
    error = int(x @ w + b >= 0) - y
    return w + lr * error * x, b + lr * error


def _update_forgets_bias(w, b, x, y, lr):
    error = y - int(x @ w + b >= 0)
    return w + lr * error * x, b


def _update_ignores_lr(w, b, x, y, lr):
    error = y - int(x @ w + b >= 0)
    return w + error * x, b + error


def _fit_no_stop(X, y, lr=1.0, max_epochs=100):
    w, b, n = np.zeros(X.shape[1]), 0.0, 0
    for _ in range(max_epochs):          # never stops early: counts are right but...
        for x_i, y_i in zip(X, y):
            w_new, b_new = ref.perceptron_update(w, b, x_i, y_i, lr)
            n += bool(b_new != b or np.any(w_new != w))
            w, b = w_new, b_new
    return w, b, n + 1                   # ... and an off-by-one in the count


def _fit_reversed_order(X, y, lr=1.0, max_epochs=100):
    return ref.perceptron_fit(X[::-1], y[::-1], lr, max_epochs)


def _fit_one_epoch_too_many(X, y, lr=1.0, max_epochs=100):
    return ref.perceptron_fit(X, y, lr, max_epochs + 1)


WRONG = {
    "threshold_truth_table": ("truth_table", [_tt_reversed_order, _tt_sign_zero_negative, _tt_no_bias]),
    "threshold_logic_weights": ("logic_weights", [_gates_and_or_swapped, _gates_nand_as_nor]),
    "perceptron_predict": ("perceptron_predict", [_predict_strict, _predict_no_bias, _predict_signs]),
    "perceptron_update": ("perceptron_update", [_update_in_place, _update_wrong_sign,
                                                _update_forgets_bias, _update_ignores_lr]),
    "perceptron_fit": ("perceptron_fit", [_fit_no_stop, _fit_reversed_order, _fit_one_epoch_too_many]),
}


@pytest.mark.parametrize("id, wrong", [(id, fn) for id, (_, fns) in WRONG.items() for fn in fns],
                         ids=lambda x: getattr(x, "__name__", x))
def test_wrong_implementation_is_rejected_with_feedback(id, wrong):
    report = grade(id, {WRONG[id][0]: wrong})
    assert report.score < report.exercise.points, report.text()
    text = report.text()
    assert "FAIL" in text and re.search(r"FAIL  .*\n {8}\S", text), text   # a message under it


def test_feedback_is_deterministic():
    a = grade("perceptron_update", {"perceptron_update": _update_wrong_sign}).text()
    b = grade("perceptron_update", {"perceptron_update": _update_wrong_sign}).text()
    assert a == b


def test_a_hanging_function_is_stopped_by_the_time_limit(monkeypatch):
    from mlcourse.grading import framework
    ex = framework.get_exercise("perceptron_predict")
    monkeypatch.setattr(ex, "timeout", 0.2)

    def hang(X, w, b):
        while True:
            pass
    report = grade("perceptron_predict", {"perceptron_predict": hang})
    assert report.score == 0 and "did not return within 0.2 s" in report.text()


def test_check_prints_and_returns_points_only_under_nbgrader(monkeypatch, capsys):
    from mlcourse.grading import check
    ns = {"perceptron_predict": _predict_strict}
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert check("perceptron_predict", ns) is None
    assert "[perceptron_predict] score 0.75/1" in capsys.readouterr().out
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert check("perceptron_predict", ns) == 0.75
    assert check("perceptron_predict", {"perceptron_predict": stub}) == 0

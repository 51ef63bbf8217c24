"""Lecture 9's checks: the reference earns full marks, blanks 0, wrong answers less."""
import numpy as np
import pytest

from mlcourse import regularization as ref
from mlcourse.grading.framework import exercises_of, grade

LECTURE = "09_regularization"


def stub(*args, **kwargs):
    raise NotImplementedError


REFERENCE = {
    "regularization_l2_step": ("l2_step", ref.l2_step),
    "regularization_dropout": ("dropout", ref.dropout),
    "regularization_q1": ("regularization_q1", "b"),
    "regularization_q2": ("regularization_q2", 24),
    "regularization_q3": ("regularization_q3", "b"),
}
QUESTIONS = [i for i in REFERENCE if "_q" in i]


def test_all_lecture_9_exercises_are_registered_in_order():
    assert [ex.id for ex in exercises_of(LECTURE)] == list(REFERENCE)


@pytest.mark.parametrize("id", REFERENCE)
def test_reference_scores_full_marks(id):
    name, obj = REFERENCE[id]
    report = grade(id, {name: obj})
    assert report.score == report.exercise.points, report.text()


@pytest.mark.parametrize("id", [i for i in REFERENCE if i not in QUESTIONS])
def test_blank_stub_scores_zero_with_not_implemented(id):
    report = grade(id, {REFERENCE[id][0]: stub})
    assert report.score == 0
    assert "not implemented yet" in report.text()


@pytest.mark.parametrize("id", QUESTIONS)
def test_unanswered_question_scores_zero(id):
    report = grade(id, {id: None})
    assert report.score == 0 and "not answered yet" in report.text()


def test_other_correct_dropouts_score_full_marks():
    def with_binomial(h, p, rng, train=True):
        if not train:
            return h.copy(), np.ones_like(h)
        mask = rng.binomial(1, 1 - p, size=h.shape)
        return h * mask / (1 - p), mask

    def with_uniform_below(h, p, rng, train=True):
        if not train:
            return np.array(h), np.ones(h.shape, dtype=bool)
        mask = rng.uniform(size=h.shape) < 1 - p
        return np.where(mask, h / (1 - p), 0.0), mask

    for fn in (with_binomial, with_uniform_below):
        report = grade("regularization_dropout", {"dropout": fn})
        assert report.score == 1, report.text()


# ---------------------------------------------------------------- wrong answers

def _l2_decay_without_lr(theta, grad, lr, lam):
    return (1 - lam) * theta - lr * grad


def _l2_wrong_sign(theta, grad, lr, lam):
    return (1 - lr * lam) * theta + lr * grad


def _l2_no_decay(theta, grad, lr, lam):
    return theta - lr * grad


def _l2_in_place(theta, grad, lr, lam):
    theta *= 1 - lr * lam
    theta -= lr * grad
    return theta


def _drop_not_inverted(h, p, rng, train=True):
    if not train:
        return h.copy(), np.ones(h.shape, bool)
    mask = rng.random(h.shape) >= p
    return h * mask, mask


def _drop_keeps_with_p(h, p, rng, train=True):
    if not train:
        return h.copy(), np.ones(h.shape, bool)
    mask = rng.random(h.shape) < p
    return h * mask / (1 - p), mask


def _drop_global_random(h, p, rng, train=True):
    if not train:
        return h.copy(), np.ones(h.shape, bool)
    mask = np.random.random(h.shape) >= p
    return h * mask / (1 - p), mask


def _drop_own_generator(h, p, rng, train=True):
    if not train:
        return h.copy(), np.ones(h.shape, bool)
    mask = np.random.default_rng(0).random(h.shape) >= p
    return h * mask / (1 - p), mask


def _drop_in_place(h, p, rng, train=True):
    if not train:
        return h, np.ones(h.shape, bool)
    mask = rng.random(h.shape) >= p
    h *= mask / (1 - p)
    return h, mask


def _drop_ignores_train(h, p, rng, train=True):
    mask = rng.random(h.shape) >= p
    return h * mask / (1 - p), mask


def _drop_scales_by_p(h, p, rng, train=True):
    if not train:
        return h.copy(), np.ones(h.shape, bool)
    mask = rng.random(h.shape) >= p
    return h * mask / max(p, 1e-12), mask


WRONG = {
    "regularization_l2_step": ("l2_step", [_l2_decay_without_lr, _l2_wrong_sign, _l2_no_decay,
                                           _l2_in_place]),
    "regularization_dropout": ("dropout", [_drop_not_inverted, _drop_keeps_with_p,
                                           _drop_global_random, _drop_own_generator,
                                           _drop_in_place, _drop_ignores_train,
                                           _drop_scales_by_p]),
    "regularization_q1": ("regularization_q1", ["a", "c", 0.8]),
    "regularization_q2": ("regularization_q2", [6, 20, 5 * 4]),
    "regularization_q3": ("regularization_q3", ["a", "c"]),
}


@pytest.mark.parametrize("id, wrong", [(id, fn) for id, (_, fns) in WRONG.items() for fn in fns],
                         ids=lambda x: getattr(x, "__name__", str(x)))
def test_wrong_answer_is_rejected_with_feedback(id, wrong):
    report = grade(id, {WRONG[id][0]: wrong})
    assert report.score < report.exercise.points, report.text()
    assert "FAIL" in report.text()


def test_in_place_changes_are_reported():
    assert "changed its input" in grade("regularization_l2_step",
                                        {"l2_step": _l2_in_place}).text()
    assert "changed its input" in grade("regularization_dropout",
                                        {"dropout": _drop_in_place}).text()


def test_global_random_state_is_named_in_the_feedback():
    text = grade("regularization_dropout", {"dropout": _drop_global_random}).text()
    assert "np.random" in text


def test_feedback_is_deterministic():
    for id, (name, fns) in WRONG.items():
        if id == "regularization_dropout":
            fns = [f for f in fns if f is not _drop_global_random]
        assert grade(id, {name: fns[0]}).text() == grade(id, {name: fns[0]}).text()

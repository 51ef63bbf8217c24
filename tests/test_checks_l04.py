"""Lecture 4's checks: the reference earns full marks, blanks 0, wrong answers less."""
import re
import numpy as np
import pytest

from mlcourse import activations as act
from mlcourse import losses, nn
from mlcourse.grading.framework import exercises_of, grade
from mlcourse.mlp_examples import xor_network


def stub(*args, **kwargs):
    raise NotImplementedError


REFERENCE = {
    "activations_relu": ("relu", act.relu),
    "activations_leaky_relu": ("leaky_relu", act.leaky_relu),
    "activations_tanh": ("tanh", act.tanh),
    "activations_softmax": ("softmax", act.softmax),
    "activations_sparsemax": ("sparsemax", act.sparsemax),
    "mlp_xor_network": ("xor_network", xor_network),
    "mlp_forward": ("mlp_forward", nn.mlp_forward),
    "losses_cross_entropy": ("cross_entropy", losses.cross_entropy),
    "losses_mse": ("mse", losses.mse),
    "mlp_q1": ("mlp_q1", 23860),
    "mlp_q2": ("mlp_q2", "b"),
    "mlp_q3": ("mlp_q3", "b"),
}
QUESTIONS = ("mlp_q1", "mlp_q2", "mlp_q3")


def test_all_lecture_4_exercises_are_registered_in_notebook_order():
    assert [ex.id for ex in exercises_of("04_mlp")] == list(REFERENCE)


@pytest.mark.parametrize("id", REFERENCE)
def test_reference_scores_full_marks(id):
    report = grade(id, {REFERENCE[id][0]: REFERENCE[id][1]})
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


def test_other_correct_answers_are_accepted():
    def xor_other():      # hidden units AND and NOR; output NOR of them; W2 as (2,), b2 a float
        return (np.array([[1.0, -1.0], [1.0, -1.0]]), np.array([-2.0, 0.0]),
                np.array([-1.0, -1.0]), 0.0)
    assert grade("mlp_xor_network", {"xor_network": xor_other}).score == 1
    assert grade("mlp_q1", {"mlp_q1": 23860.0}).score == 1
    assert grade("mlp_q2", {"mlp_q2": " B "}).score == 1

    def tanh_via_sigmoid(z):          # 2 sigma(2z) - 1 with a stable sigmoid is fine
        e = np.exp(-2 * np.abs(z))
        s = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
        return 2 * s - 1
    assert grade("activations_tanh", {"tanh": tanh_via_sigmoid}).score == 1

    def ce_other_eps(probs, y):       # another clipping constant is fine
        return float(-np.mean(np.log(np.clip(probs[np.arange(len(y)), y], 1e-15, 1))))
    assert grade("losses_cross_entropy", {"cross_entropy": ce_other_eps}).score == 1


# ---------------------------------------------------------------- wrong answers

def _relu_mask(z):
    return (z > 0).astype(float)


def _relu_in_place(z):
    z[z < 0] = 0
    return z


def _relu_np_max(z):
    return np.max(z, 0)


def _leaky_fixed_alpha(z, alpha=0.01):
    return np.where(z > 0, z, 0.01 * z)


def _leaky_swapped(z, alpha=0.01):
    return np.where(z > 0, alpha * z, z)


def _tanh_naive(z):
    return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))


def _tanh_numpy(z):
    return np.tanh(z)


def _tanh_overflowing_sigmoid(z):
    return 2 / (1 + np.exp(-2 * z)) - 1


def _tanh_wrong_sign(z):
    e = np.exp(-2.0 * np.abs(z))
    return -np.sign(z) * (1.0 - e) / (1.0 + e)


def _softmax_naive(Z):
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)


def _softmax_global_max(Z):
    E = np.exp(Z - Z.max())
    return E / E.sum(axis=1, keepdims=True)


def _softmax_columns(Z):
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


def _softmax_in_place(Z):
    Z -= Z.max(axis=1, keepdims=True)
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)


def _sparsemax_ascending(Z):
    Zs = np.sort(Z, axis=1)
    cumsum = np.cumsum(Zs, axis=1)
    k = np.arange(1, Z.shape[1] + 1)
    k_star = np.maximum(np.sum(1 + k * Zs > cumsum, axis=1, keepdims=True), 1)
    tau = (np.take_along_axis(cumsum, k_star - 1, axis=1) - 1) / k_star
    return np.maximum(Z - tau, 0)


def _sparsemax_no_clip(Z):
    Zs = -np.sort(-Z, axis=1)
    cumsum = np.cumsum(Zs, axis=1)
    k = np.arange(1, Z.shape[1] + 1)
    k_star = np.sum(1 + k * Zs > cumsum, axis=1, keepdims=True)
    tau = (np.take_along_axis(cumsum, k_star - 1, axis=1) - 1) / k_star
    return Z - tau


def _sparsemax_sorted_output(Z):
    return -np.sort(-act.sparsemax(Z), axis=1)


def _xor_or_network():
    W1, b1 = np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([-0.5, -0.5])   # two OR units
    return W1, b1, np.array([[1.0], [1.0]]), -1.5


def _xor_xnor():
    W1, b1, W2, b2 = xor_network()
    return W1, b1, -W2, -b2 - 0.5


def _xor_wrong_shapes():
    return np.ones((3, 2)), np.zeros(2), np.ones((2, 1)), 0.0


def _forward_relu_on_output(params, X):
    H = X
    for W, b in params:
        H = np.maximum(H @ W + b, 0)
    return act.softmax(H)


def _forward_no_hidden_activation(params, X):
    H = X
    for W, b in params:
        H = H @ W + b
    return act.softmax(H)


def _forward_no_bias(params, X):
    H = X
    for W, _ in params[:-1]:
        H = np.maximum(H @ W, 0)
    return act.softmax(H @ params[-1][0])


def _forward_naive_softmax(params, X):
    H = X
    for W, b in params[:-1]:
        H = np.maximum(H @ W + b, 0)
    E = np.exp(H @ params[-1][0] + params[-1][1])
    return E / E.sum(axis=1, keepdims=True)


def _ce_sum(probs, y):
    return float(-np.sum(np.log(np.maximum(probs[np.arange(len(y)), y], 1e-12))))


def _ce_unclipped(probs, y):
    with np.errstate(divide="ignore"):
        return float(-np.mean(np.log(probs[np.arange(len(y)), y])))


def _ce_columns(probs, y):
    return float(-np.mean(np.log(np.maximum(probs[:, y], 1e-12))))


def _ce_log2(probs, y):
    return float(-np.mean(np.log2(np.maximum(probs[np.arange(len(y)), y], 1e-12))))


def _mse_sum(pred, target):
    return float(np.sum((pred - target) ** 2))


def _mse_half(pred, target):
    return float(0.5 * np.mean((pred - target) ** 2))


def _mse_root(pred, target):
    return float(np.sqrt(np.mean((pred - target) ** 2)))


def _mse_abs(pred, target):
    return float(np.mean(np.abs(pred - target)))


def _mse_per_row(pred, target):
    d = (pred - target) ** 2
    return float(np.mean(d.sum(axis=-1))) if d.ndim == 2 else float(np.mean(d))


WRONG = {
    "activations_relu": ("relu", [_relu_mask, _relu_in_place, _relu_np_max]),
    "activations_leaky_relu": ("leaky_relu", [_leaky_fixed_alpha, _leaky_swapped]),
    "activations_tanh": ("tanh", [_tanh_naive, _tanh_numpy, _tanh_overflowing_sigmoid,
                                  _tanh_wrong_sign]),
    "activations_softmax": ("softmax", [_softmax_naive, _softmax_global_max, _softmax_columns,
                                        _softmax_in_place]),
    "activations_sparsemax": ("sparsemax", [_sparsemax_ascending, _sparsemax_no_clip,
                                            _sparsemax_sorted_output, act.softmax]),
    "mlp_xor_network": ("xor_network", [_xor_or_network, _xor_xnor, _xor_wrong_shapes]),
    "mlp_forward": ("mlp_forward", [_forward_relu_on_output, _forward_no_hidden_activation,
                                    _forward_no_bias, _forward_naive_softmax]),
    "losses_cross_entropy": ("cross_entropy", [_ce_sum, _ce_unclipped, _ce_columns, _ce_log2]),
    "losses_mse": ("mse", [_mse_sum, _mse_half, _mse_root, _mse_abs, _mse_per_row]),
}


@pytest.mark.parametrize("id, wrong", [(id, fn) for id, (_, fns) in WRONG.items() for fn in fns],
                         ids=lambda x: getattr(x, "__name__", x))
def test_wrong_implementation_is_rejected_with_feedback(id, wrong):
    report = grade(id, {WRONG[id][0]: wrong})
    assert report.score < report.exercise.points, report.text()
    text = report.text()
    assert "FAIL" in text and re.search(r"FAIL  .*\n {8}\S", text), text   # a message under it


@pytest.mark.parametrize("id, value", [("mlp_q1", 23820), ("mlp_q1", "many"), ("mlp_q2", "a"),
                                       ("mlp_q2", "c"), ("mlp_q2", 2), ("mlp_q3", "a"),
                                       ("mlp_q3", "c")])
def test_wrong_answers_to_questions_score_zero(id, value):
    report = grade(id, {id: value})
    assert report.score == 0 and "FAIL" in report.text()


def test_overflow_warnings_are_reported_and_np_tanh_is_restored():
    original = np.tanh
    text = grade("activations_tanh", {"tanh": _tanh_naive}).text()
    assert "overflow encountered in exp" in text
    text = grade("activations_tanh", {"tanh": _tanh_numpy}).text()
    assert "np.tanh is off limits" in text
    assert np.tanh is original


def test_xor_feedback_shows_what_the_network_computes():
    text = grade("mlp_xor_network", {"xor_network": _xor_or_network}).text()
    assert "your network computes" in text and "XOR needs y = 0, 1, 1, 0" in text


def test_feedback_is_deterministic():
    a = grade("activations_sparsemax", {"sparsemax": _sparsemax_no_clip}).text()
    b = grade("activations_sparsemax", {"sparsemax": _sparsemax_no_clip}).text()
    assert a == b

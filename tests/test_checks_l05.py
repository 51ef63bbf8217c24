"""Lecture 5's checks: the reference earns full marks, blanks 0, wrong answers less."""
import numpy as np
import pytest

from mlcourse import activations, nn
from mlcourse.grading.framework import exercises_of, grade


def stub(*args, **kwargs):
    raise NotImplementedError


# ------------------------------------------------------------------ reference answers

def ref_activation_grads():
    return {"sigmoid": activations.sigmoid_grad, "tanh": activations.tanh_grad,
            "relu": activations.relu_grad}


def ref_dense_backward(dout, cache):
    X, W = cache
    return dout @ W.T, X.T @ dout, dout.sum(axis=0)


def ref_numerical_gradient(f, x, eps=1e-6):
    point = np.array(x, dtype=float)
    grad = np.zeros_like(point)
    for i in np.ndindex(point.shape):
        old = point[i]
        point[i] = old + eps
        f_plus = f(point)
        point[i] = old - eps
        f_minus = f(point)
        point[i] = old
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def make_rules(add=None, mul=None, tanh=None, exp=None):
    rules = {"add": lambda a, b, out, dout: (dout, dout),
             "mul": lambda a, b, out, dout: (dout * b, dout * a),
             "tanh": lambda a, out, dout: ((1 - out ** 2) * dout,),
             "exp": lambda a, out, dout: (out * dout,)}
    for key, rule in [("add", add), ("mul", mul), ("tanh", tanh), ("exp", exp)]:
        if rule is not None:
            rules[key] = rule
    return lambda: rules


REFERENCE = {
    "backprop_activation_grads": ("activation_grads", ref_activation_grads),
    "backprop_dense_backward": ("dense_backward", ref_dense_backward),
    "backprop_mlp_grads": ("mlp_grads", nn.mlp_grads),
    "backprop_numerical_gradient": ("numerical_gradient", ref_numerical_gradient),
    "autodiff_backward": ("backward_rules", make_rules()),
}
QUESTIONS = {"backprop_q1": (20000, 10000), "backprop_q2": ("b", "a"),
             "backprop_q3": ("a", "b")}


@pytest.mark.parametrize("answer, points", [(20000, 1.0), (20001, 1.0), ("20000", 1.0),
                                             (20002, 0.0), (10000, 0.0), (40000, 0.0)])
def test_backprop_q1_accepts_both_defensible_counts(answer, points):
    """20,000 evaluations, or 20,001 counting the one at θ itself; nothing else."""
    report = grade("backprop_q1", {"backprop_q1": answer})
    assert report.score == points, report.text()


def score(id, name, obj):
    report = grade(id, {name: obj})
    return report.score, report


def test_all_lecture_5_exercises_are_registered_in_order():
    assert [ex.id for ex in exercises_of("05_backprop")] == list(REFERENCE) + list(QUESTIONS)


@pytest.mark.parametrize("id", REFERENCE)
def test_reference_scores_full_marks(id):
    points, report = score(id, *REFERENCE[id])
    assert points == report.exercise.points, report.text()


@pytest.mark.parametrize("id", REFERENCE)
def test_blank_stub_scores_zero_with_not_implemented(id):
    points, report = score(id, REFERENCE[id][0], stub)
    assert points == 0
    assert "not implemented yet" in report.text()


@pytest.mark.parametrize("id", QUESTIONS)
def test_questions_right_none_and_wrong(id):
    right, wrong = QUESTIONS[id]
    points, report = score(id, id, right)
    assert points == 1, report.text()
    points, report = score(id, id, None)
    assert points == 0 and "not answered yet" in report.text()
    points, report = score(id, id, wrong)
    assert points == 0 and "is not right" in report.text()


def test_multiple_choice_accepts_upper_case_and_rejects_non_letters():
    assert score("backprop_q2", "backprop_q2", " B ")[0] == 1
    points, report = score("backprop_q2", "backprop_q2", 2)
    assert points == 0 and "one letter" in report.text()


# ------------------------------------------------------------------ wrong answers

def _unstable_sigmoid_grad(z):
    s = np.exp(z) / (1 + np.exp(z))
    return s * (1 - s)


def _tanh_from_exp_grad(z):
    t = (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))
    return 1 - t ** 2


WRONG_ACTIVATIONS = {
    "ReLU'(0) = 1": {"relu": lambda z: (np.asarray(z) >= 0).astype(float)},
    "tanh' without the square": {"tanh": lambda z: 1 - np.tanh(z)},
    "sigmoid overflows to NaN": {"sigmoid": _unstable_sigmoid_grad},
    "tanh from exponentials, NaN at 1000": {"tanh": _tanh_from_exp_grad},
    "sigmoid' = σ(z)": {"sigmoid": activations.sigmoid},
}


@pytest.mark.parametrize("mistake", WRONG_ACTIVATIONS)
def test_wrong_activation_grads_lose_points(mistake):
    def activation_grads():
        return {**ref_activation_grads(), **WRONG_ACTIVATIONS[mistake]}
    points, report = score("backprop_activation_grads", "activation_grads", activation_grads)
    assert points < 1, report.text()


def test_a_missing_key_loses_points_and_names_it():
    points, report = score("backprop_activation_grads", "activation_grads",
                           lambda: {"sigmoid": activations.sigmoid_grad})
    assert points < 1 and "KeyError" in report.text()


WRONG_DENSE = {
    "db is a mean": lambda dout, X, W: (dout @ W.T, X.T @ dout, dout.mean(axis=0)),
    "W not transposed": lambda dout, X, W: (dout @ W if dout.shape[1] == W.shape[0]
                                            else dout @ W.T, X.T @ dout, dout.sum(axis=0)),
    "dW transposed": lambda dout, X, W: (dout @ W.T, dout.T @ X, dout.sum(axis=0)),
    "db keeps a row axis": lambda dout, X, W: (dout @ W.T, X.T @ dout,
                                               dout.sum(axis=0, keepdims=True)),
}


@pytest.mark.parametrize("mistake", WRONG_DENSE)
def test_wrong_dense_backward_loses_points(mistake):
    def wrong(dout, cache):
        return WRONG_DENSE[mistake](dout, *cache)
    points, report = score("backprop_dense_backward", "dense_backward", wrong)
    assert points < 1, report.text()


def _mlp_grads_variant(params, X, y, mask=lambda Z: Z > 0, mean=True):
    A, stored = X, []
    for l, (W, b) in enumerate(params):
        Z = A @ W + b
        stored.append((A, W, Z))
        A = np.maximum(Z, 0.0) if l < len(params) - 1 else Z
    P = activations.softmax(A)
    D = P - np.eye(P.shape[1])[y]
    if mean:
        D = D / len(y)
    grads = []
    for l in range(len(params) - 1, -1, -1):
        A_prev, W, _ = stored[l]
        grads.append((A_prev.T @ D, D.sum(axis=0)))
        if l > 0:
            D = (D @ W.T) * mask(stored[l - 1][2])
    return grads[::-1]


WRONG_MLP = {
    "sum instead of mean": lambda p, X, y: _mlp_grads_variant(p, X, y, mean=False),
    "ReLU'(0) = 1": lambda p, X, y: _mlp_grads_variant(p, X, y, mask=lambda Z: Z >= 0),
    "no ReLU' factor": lambda p, X, y: _mlp_grads_variant(p, X, y, mask=lambda Z: 1.0),
    "mask from the activation of the wrong layer":
        lambda p, X, y: _mlp_grads_variant(p, X, y, mask=lambda Z: Z.T[:1].T > 0),
}


@pytest.mark.parametrize("mistake", WRONG_MLP)
def test_wrong_mlp_grads_lose_points(mistake):
    points, report = score("backprop_mlp_grads", "mlp_grads", WRONG_MLP[mistake])
    assert points < 1, report.text()


def _forward_differences(f, x, eps=1e-6):
    point = np.array(x, dtype=float)
    grad, f0 = np.zeros_like(point), f(point)
    for i in np.ndindex(point.shape):
        old = point[i]
        point[i] = old + eps
        grad[i] = (f(point) - f0) / eps
        point[i] = old
    return grad


def _in_place_without_restoring(f, x, eps=1e-6):
    grad = np.zeros(np.shape(x))
    for i in np.ndindex(grad.shape):
        x[i] += eps
        f_plus = f(x)
        x[i] -= 2 * eps
        grad[i] = (f_plus - f(x)) / (2 * eps)
    return grad


def _fixed_eps(f, x, eps=1e-6):
    return ref_numerical_gradient(f, x)


def _divided_by_eps(f, x, eps=1e-6):
    return 2 * ref_numerical_gradient(f, x, eps)


def _integer_copy(f, x, eps=1e-6):
    point = np.array(x)                      # keeps an integer dtype
    grad = np.zeros(point.shape)
    for i in np.ndindex(point.shape):
        up, down = point.copy(), point.copy()
        up[i] = up[i] + eps
        down[i] = down[i] - eps
        grad[i] = (f(up) - f(down)) / (2 * eps)
    return grad


WRONG_NUMGRAD = {"forward differences": _forward_differences,
                 "perturbs x in place": _in_place_without_restoring,
                 "ignores eps": _fixed_eps, "divides by eps": _divided_by_eps,
                 "integer copy of x": _integer_copy}


@pytest.mark.parametrize("mistake", WRONG_NUMGRAD)
def test_wrong_numerical_gradient_loses_points(mistake):
    points, report = score("backprop_numerical_gradient", "numerical_gradient",
                           WRONG_NUMGRAD[mistake])
    assert points < 1, report.text()


def test_forward_differences_are_told_to_centre():
    _, report = score("backprop_numerical_gradient", "numerical_gradient", _forward_differences)
    assert "one-sided" in report.text()


WRONG_RULES = {
    "mul swaps its inputs": make_rules(mul=lambda a, b, out, dout: (dout * a, dout * b)),
    "tanh' uses the input": make_rules(tanh=lambda a, out, dout: ((1 - a ** 2) * dout,)),
    "add ignores dout": make_rules(add=lambda a, b, out, dout: (1.0, 1.0)),
    "exp' = input": make_rules(exp=lambda a, out, dout: (a * dout,)),
    "unary rule returns two gradients": make_rules(tanh=lambda a, out, dout: (dout, dout)),
}


@pytest.mark.parametrize("mistake", WRONG_RULES)
def test_wrong_backward_rules_lose_points(mistake):
    points, report = score("autodiff_backward", "backward_rules", WRONG_RULES[mistake])
    assert points < 1, report.text()


def test_each_rule_is_tested_on_its_own_case():
    _, report = score("autodiff_backward", "backward_rules", WRONG_RULES["tanh' uses the input"])
    failed = [r.name for r in report.results if not r.passed]
    assert any(name.startswith("tanh:") for name in failed)
    assert not any(name.startswith(("add:", "mul:", "exp:")) for name in failed)

"""Lecture 10's checks: the reference earns full marks, blanks 0, wrong answers less."""
import numpy as np
import pytest

from mlcourse import nn
from mlcourse.grading.framework import exercises_of, grade

LECTURE = "10_training"


def stub(*args, **kwargs):
    raise NotImplementedError


# ------------------------------------------------------------------ a student's pieces

def relu(z):
    return np.maximum(z, 0.0)


def softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def mlp_forward(params, X):
    H = X
    for W, b in params[:-1]:
        H = relu(H @ W + b)
    W, b = params[-1]
    return softmax(H @ W + b)


def mlp_grads(params, X, y):
    activations = [X]
    for W, b in params[:-1]:
        activations.append(relu(activations[-1] @ W + b))
    W, b = params[-1]
    D = softmax(activations[-1] @ W + b)
    D[np.arange(len(y)), y] -= 1.0
    D /= len(y)
    grads = []
    for l in range(len(params) - 1, -1, -1):
        A = activations[l]
        grads.append((A.T @ D, D.sum(axis=0)))
        if l > 0:
            D = (D @ params[l][0].T) * (A > 0)
    return grads[::-1]


def cross_entropy(P, y):
    return float(-np.mean(np.log(np.maximum(P[np.arange(len(y)), y], 1e-12))))


def ref_sgd_step(params, grads, lr):
    return [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]


def make_train_mlp(init_scale=None, sign=1.0, history="after", shuffle="rng", step=None,
                   forward=mlp_forward, grads_fn=mlp_grads, epochs_used=None):
    """A student's train_mlp; the keyword arguments plant one mistake each."""
    step = step or ref_sgd_step

    def train_mlp(X, y, sizes, lr, epochs, batch_size, rng):
        source = np.random.default_rng(0) if shuffle == "fixed" else rng
        params = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            scale = np.sqrt(2.0 / a) if init_scale is None else init_scale
            params.append((source.normal(0.0, 1.0, size=(a, b)) * scale, np.zeros(b)))
        losses = []
        for _ in range(epochs if epochs_used is None else epochs_used):
            order = source.permutation(len(X))
            batch_losses = []
            for k in range(0, len(X), batch_size):
                batch = order[k:k + batch_size]
                if history == "batches":
                    batch_losses.append(cross_entropy(forward(params, X[batch]), y[batch]))
                g = grads_fn(params, X[batch], y[batch])
                params = step(params, [(sign * dW, sign * db) for dW, db in g], lr)
            losses.append(np.mean(batch_losses) if history == "batches"
                          else cross_entropy(forward(params, X), y))
        return params, {"train_loss": losses}
    return train_mlp


def ref_early_stopping(val_losses, patience):
    """Written apart from the check's reference: the first lowest loss seen up to each epoch."""
    losses = list(val_losses)
    for stop in range(len(losses)):
        best = int(np.argmin(losses[:stop + 1]))
        if best < stop and stop - best >= patience:
            return best, stop
    return int(np.argmin(losses)), len(losses) - 1


def ref_select_config(results):
    best = 0
    for i, r in enumerate(results):
        if r["val_accuracy"] > results[best]["val_accuracy"]:
            best = i
    return results[best]["config"]


def ref_hidden_units_identical(W1, b1, tol=1e-12):
    return bool(np.all(np.abs(W1 - W1[:, :1]) <= tol) and np.all(np.abs(b1 - b1[0]) <= tol))


REFERENCE = {
    "train_sgd_step": ("sgd_step", ref_sgd_step),
    "train_mlp": ("train_mlp", make_train_mlp()),
    "train_early_stopping": ("early_stopping", ref_early_stopping),
    "train_select_config": ("select_config", ref_select_config),
    "train_symmetry": ("hidden_units_identical", ref_hidden_units_identical),
}


def test_the_exercises_of_lecture_10_are_registered_in_notebook_order():
    assert [ex.id for ex in exercises_of(LECTURE)] == list(REFERENCE)


@pytest.mark.parametrize("id", list(REFERENCE))
def test_reference_gets_full_marks(id):
    name, fn = REFERENCE[id]
    report = grade(id, {name: fn})
    assert report.full_marks, report.text()


@pytest.mark.parametrize("id", list(REFERENCE))
def test_blank_stub_scores_zero(id):
    name, _ = REFERENCE[id]
    report = grade(id, {name: stub})
    assert report.score == 0 and report.status == "missing"


# ------------------------------------------------------------------ wrong answers

def sgd_step_in_place(params, grads, lr):
    for (W, b), (dW, db) in zip(params, grads):
        W -= lr * dW
        b -= lr * db
    return params


def sgd_step_ascent(params, grads, lr):
    return [(W + lr * dW, b + lr * db) for (W, b), (dW, db) in zip(params, grads)]


def sgd_step_weights_only(params, grads, lr):
    return [(W - lr * dW, b) for (W, b), (dW, db) in zip(params, grads)]


def early_stopping_global_min(val_losses, patience):
    best = int(np.argmin(val_losses))
    return best, min(best + patience, len(val_losses) - 1)


def early_stopping_off_by_one(val_losses, patience):
    best, best_loss = 0, float("inf")
    for epoch, loss in enumerate(val_losses):
        if loss < best_loss:
            best, best_loss = epoch, loss
        elif epoch - best > patience:
            return best, epoch
    return best, len(val_losses) - 1


def early_stopping_ties_improve(val_losses, patience):
    best, best_loss = 0, float("inf")
    for epoch, loss in enumerate(val_losses):
        if loss <= best_loss:
            best, best_loss = epoch, loss
        elif epoch - best >= patience:
            return best, epoch
    return best, len(val_losses) - 1


def select_on_test(results):
    return max(results, key=lambda r: r["test_accuracy"])["config"]


def select_last_of_ties(results):
    best = 0
    for i, r in enumerate(results):
        if r["val_accuracy"] >= results[best]["val_accuracy"]:
            best = i
    return results[best]["config"]


def select_row(results):
    return max(results, key=lambda r: r["val_accuracy"])


def select_peeks_to_break_ties(results):
    return max(results, key=lambda r: (r["val_accuracy"], r["test_accuracy"]))["config"]


def identical_exact(W1, b1, tol=1e-12):
    return bool(np.all(W1 == W1[:, :1]) and np.all(b1 == b1[0]))


def identical_rows(W1, b1, tol=1e-12):
    return bool(np.all(np.abs(W1 - W1[:1, :]) <= tol) and np.all(np.abs(b1 - b1[0]) <= tol))


def identical_weights_only(W1, b1, tol=1e-12):
    return bool(np.all(np.abs(W1 - W1[:, :1]) <= tol))


def train_with_the_engine(X, y, sizes, lr, epochs, batch_size, rng):
    return nn.train(nn.init_params(sizes, rng, init="he_normal"), X, y, lr=lr, epochs=epochs,
                    batch_size=batch_size, rng=rng)


def helper_from_the_library(params, X, y):
    return nn.mlp_grads(params, X, y)


WRONG = {
    "train_sgd_step": ("sgd_step", [sgd_step_in_place, sgd_step_ascent, sgd_step_weights_only]),
    "train_mlp": ("train_mlp", [make_train_mlp(sign=-1.0), make_train_mlp(epochs_used=1),
                                make_train_mlp(history="batches"),
                                make_train_mlp(shuffle="fixed"),
                                make_train_mlp(grads_fn=helper_from_the_library)]),
    "train_early_stopping": ("early_stopping", [early_stopping_global_min,
                                                early_stopping_off_by_one,
                                                early_stopping_ties_improve]),
    "train_select_config": ("select_config", [select_on_test, select_last_of_ties, select_row,
                                              select_peeks_to_break_ties]),
    "train_symmetry": ("hidden_units_identical", [identical_exact, identical_rows,
                                                  identical_weights_only]),
}


@pytest.mark.parametrize("id, index", [(id, i) for id, (_, fns) in WRONG.items()
                                       for i in range(len(fns))])
def test_wrong_answers_score_less(id, index):
    name, fns = WRONG[id]
    report = grade(id, {name: fns[index]})
    assert report.status == "graded" and report.score < report.exercise.points, report.text()


def test_a_loop_built_on_the_library_earns_nothing():
    """The course's engine (directly or through a helper) is refused in every case."""
    for fn in (make_train_mlp(grads_fn=helper_from_the_library),
               make_train_mlp(step=lambda p, g, lr: nn_step(p, g, lr))):
        report = grade("train_mlp", {"train_mlp": fn})
        assert report.score == 0, report.text()
        assert "the course's library" in report.text()


def nn_step(params, grads, lr):
    """A step that reaches into the course's library (the check must find it two calls deep)."""
    assert nn is not None
    return ref_sgd_step(params, grads, lr)


def test_the_capstone_is_judged_on_held_out_digits_with_a_clear_message():
    """A loop that never learns (all weights 0: no gradient reaches the hidden layer) is
    told its held-out accuracy, the reference's, and where to look."""
    report = grade("train_mlp", {"train_mlp": make_train_mlp(init_scale=0.0)})
    text = report.text()
    assert "held-out digits correctly; the course's loop reaches" in text
    assert "not zeros" in text and report.score < 2

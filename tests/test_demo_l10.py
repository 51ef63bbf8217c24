"""Lecture 10 demo: the sliders pick a precomputed run of the grid and redraw its curves."""
import numpy as np
import pytest

from mlcourse import nn
from mlcourse.demos import l10_training as demo_module
from mlcourse.demos.l10_training import LearningCurves, demo_data, diagnosis, pooled

PNG = b"\x89PNG\r\n\x1a\n"
SMALL = dict(lrs=(0.03, 0.3), widths=(4, 16), l2s=(0.0, 0.03), epochs=12, n_train=200, n_val=200)


@pytest.fixture(scope="module")
def demo():
    return LearningCurves(**SMALL)


def test_every_control_changes_the_readout_and_the_image(demo):
    for name, value in [("lr", 0.03), ("width", 4), ("epochs", 5), ("l2", 0.03)]:
        text, png = demo.readout.value, bytes(demo.image.value)
        demo.controls[name].value = value
        assert demo.readout.value != text, name
        assert bytes(demo.image.value) != png and bytes(demo.image.value).startswith(PNG), name
    assert "<b>η = 0.03, 4 hidden units, λ = 0.03, 5 epochs</b>" in demo.readout.value


def test_fewer_epochs_show_the_start_of_the_same_run(demo):
    demo.controls["lr"].value, demo.controls["width"].value = 0.3, 16
    demo.controls["l2"].value, demo.controls["epochs"].value = 0.0, 12
    full = demo.val_line.get_ydata().copy()
    demo.controls["epochs"].value = 4
    shown = demo.val_line.get_ydata()
    np.testing.assert_array_equal(shown[:4], full[:4])
    assert np.all(np.isnan(shown[4:])) and not np.any(np.isnan(full))


def test_a_run_of_the_grid_equals_the_engine_trained_alone(demo):
    """The stacked training (all (lr, λ) at once) is the engine's SGD with L2, run by run:
    same He start, same mini-batches, the course's convention mean loss + λ/2 ||W||²."""
    X, y, X_val, y_val = demo_data(SMALL["n_train"], SMALL["n_val"])
    rng = np.random.default_rng(0)
    p, width = X.shape[1], 16
    params = [(rng.normal(0.0, np.sqrt(2.0 / p), (p, width)), np.zeros(width)),
              (rng.normal(0.0, np.sqrt(2.0 / width), (width, 10)), np.zeros(10))]
    params, history = nn.train(params, X, y, lr=0.3, epochs=SMALL["epochs"], batch_size=20,
                               rng=rng, l2=0.03, X_val=X_val, y_val=y_val)
    train, val, acc = demo.curves(0.3, width, 0.03)
    np.testing.assert_allclose(val, history["val_loss"], rtol=1e-9)
    np.testing.assert_allclose(train, history["train_loss"], rtol=1e-9)
    np.testing.assert_allclose(acc, history["val_accuracy"], atol=1e-12)


def test_the_diagnosis_reads_the_curves():
    falling = np.linspace(0.45, 0.05, 10)
    u_shape = np.array([1.0, 0.6, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1])
    assert diagnosis(falling, u_shape, 10).startswith("over-fitting")
    assert "epoch 3" in diagnosis(falling, u_shape, 10)
    assert diagnosis(falling, u_shape, 3).startswith("still improving")
    assert diagnosis(np.full(10, 1.5), np.full(10, 1.6), 10).startswith("under-fitting")
    assert "diverged" in diagnosis(falling, np.r_[u_shape[:5], [np.nan] * 5], 10)


def test_the_demo_shows_over_fitting_and_what_l2_does_to_it():
    """On the default grid: a wide net without penalty over-fits (its validation loss turns
    up), the same net with λ = 0.01 hardly does (and is as good at its best); 4 units under-fit at a small rate."""
    d = LearningCurves()
    _, val, _ = d.curves(0.3, 32, 0.0)
    assert np.argmin(val) < d.epochs - 5 and val[-1] > 1.05 * val.min()
    _, val_l2, _ = d.curves(0.3, 32, 0.01)
    assert val_l2[-1] <= 1.05 * val_l2.min() and val_l2.min() < val.min() + 0.01
    train_small, _, _ = d.curves(0.01, 4, 0.0)
    assert train_small[-1] > 1.0


def test_pooling_halves_each_side():
    X = np.arange(2 * 784, dtype=float).reshape(2, 784)
    pooled_X = pooled(X)
    assert pooled_X.shape == (2, 196)
    assert pooled_X[0, 0] == pytest.approx(np.mean([0, 1, 28, 29]))
    assert pooled(np.ones((3, 64))).shape == (3, 64)


def test_bad_epochs_are_refused():
    with pytest.raises(ValueError, match="epochs must be an int >= 2"):
        LearningCurves(**{**SMALL, "epochs": 1})


def test_demos_registry():
    assert list(demo_module.DEMOS) == ["learning_curves"]

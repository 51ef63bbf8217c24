"""Smoke tests of mlcourse.plots: every helper returns a labelled Axes."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mlcourse import plots  # noqa: E402
from mlcourse.data import make_moons  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture
def moons():
    return make_moons(60, seed=0)


def _labelled(ax):
    return ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


def test_scatter_classes(moons):
    X, y = moons
    X0 = X.copy()
    ax = plots.scatter_classes(X, y, title="Moons")
    assert _labelled(ax) and ax.get_title() == "Moons"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]
    markers = {tuple(c.get_paths()[0].vertices.ravel()[:4]) for c in ax.collections}
    assert len(markers) == 2                                   # one marker per class
    np.testing.assert_array_equal(X, X0)


def test_decision_boundary_classes_and_probabilities(moons):
    X, y = moons
    calls = []

    def predict(P):
        calls.append(P.shape)
        return (P[:, 1] < 0.25).astype(int)

    fig, ax = plt.subplots()
    assert plots.decision_boundary(predict, X, y, ax=ax, resolution=50) is ax
    assert calls == [(2500, 2)] and _labelled(ax)
    ax2 = plots.decision_boundary(lambda P: 1 / (1 + np.exp(-P[:, 0])), X, y,
                                  levels=(0.1, 0.5, 0.9), resolution=40)
    assert _labelled(ax2)
    with pytest.raises(ValueError, match="predict_fn must return one value per point"):
        plots.decision_boundary(lambda P: np.zeros(3), X, y)


def test_loss_curve_single_and_dict():
    ax = plots.loss_curve([3.0, 2.0, 1.5])
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss" and ax.get_legend() is None
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3])
    ax = plots.loss_curve({"train": [1.0, 0.5], "validation": [1.1, 0.7]}, logy=True,
                          xlabel="step", start=0)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "validation"]
    assert ax.get_yscale() == "log" and ax.lines[0].get_color() != ax.lines[1].get_color()
    with pytest.raises(ValueError, match="values must be a 1-D array"):
        plots.loss_curve(np.zeros((2, 2)))


def test_trajectory():
    path = np.array([[2.0, 2.0], [1.0, 1.5], [0.5, 0.5], [0.1, 0.0]])
    ax = plots.trajectory(path, loss_fn=lambda P: (P ** 2).sum(axis=1))
    assert _labelled(ax) and len(ax.get_legend().get_texts()) == 3
    ax = plots.trajectory(path)
    assert ax.get_legend() is not None
    with pytest.raises(ValueError, match="path must have 2 columns"):
        plots.trajectory(np.zeros((3, 3)))


def test_new_figure():
    fig, axes = plots.new_figure(1, 2)
    assert len(axes) == 2

"""Lecture 7 demo: the sliders drive the figure and the readout."""
import numpy as np
import pytest

from mlcourse.demos import l07_relu as demo_module
from mlcourse.demos.l07_relu import DeadUnits, spirals_data
from mlcourse.rectified import train_leaky_grid

SMALL = dict(hidden=(8, 8), alphas=(0.0, 0.1), lrs=(0.1, 1.0, 1e4), steps=15, alpha=0.0, lr=0.1)


@pytest.fixture(scope="module")
def demo():
    X, y = spirals_data(n=40)
    return DeadUnits(X, y, **SMALL)


def test_moving_the_sliders_changes_the_readout_and_the_image(demo):
    text, image = demo.readout.value, demo.image.value
    assert "α = 0, η = 0.1" in text and "dead units layer 1" in text
    demo.controls["lr"].value = 1.0
    assert demo.readout.value != text and "η = 1" in demo.readout.value
    assert demo.image.value != image
    image = demo.image.value
    demo.controls["alpha"].value = 0.1
    assert "α = 0.1" in demo.readout.value and demo.image.value != image


def test_a_diverged_run_says_so(demo):
    demo.controls["lr"].value = 1e4
    assert demo.grid.diverged[demo.alphas.index(demo.controls["alpha"].value), 2]
    assert "overflowed" in demo.readout.value


def test_the_curves_show_the_selected_run(demo):
    demo.controls["alpha"].value = 0.0
    demo.controls["lr"].value = 1.0
    np.testing.assert_array_equal(demo.lines[0].get_ydata(), demo.grid.dead[0, 1, :, 0])
    assert tuple(demo.marker.get_xdata()) == (1,) and tuple(demo.marker.get_ydata()) == (0,)


def test_a_precomputed_grid_is_reused_and_checked():
    X, y = spirals_data(n=30)
    grid = train_leaky_grid(X, y, [2, 8, 8, 2], SMALL["alphas"], SMALL["lrs"], SMALL["steps"])
    d = DeadUnits(X, y, grid=grid, **SMALL)
    assert d.grid is grid
    with pytest.raises(ValueError, match="grid must come from train_leaky_grid"):
        DeadUnits(X, y, grid=grid, **{**SMALL, "steps": 5})


def test_demos_registry_builds_the_default_demo():
    assert list(demo_module.DEMOS) == ["dead_units"]
    d = demo_module.DEMOS["dead_units"]()
    assert d.grid.dead.shape == (6, 6, 101, 2) and d.image.value

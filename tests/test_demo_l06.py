"""Lecture 6 demo: the controls drive the figure and the readout."""
import numpy as np
import pytest

from mlcourse.demos import l06_vanishing_gradients as demo_module
from mlcourse.demos.l06_vanishing_gradients import SETUPS, GradientHistograms, layer_statistics


@pytest.fixture(scope="module")
def demo():
    rng = np.random.default_rng(0)
    return GradientHistograms(rng.uniform(0, 1, (40, 30)), rng.integers(0, 10, 40), max_depth=6,
                              width=20, depth=4)


def test_changing_the_depth_changes_the_readout_and_the_image(demo):
    text, image = demo.readout.value, demo.image.value
    demo.controls["depth"].value = 6
    assert demo.readout.value != text and "6 hidden layer(s)" in demo.readout.value
    assert demo.image.value != image
    assert sum(line.get_visible() for line in demo.lines) == 6


def test_changing_the_setup_changes_the_verdict(demo):
    demo.controls["depth"].value = 5
    demo.controls["setup"].value = "sigmoid, standard U[±1/√n]"
    sigmoid_text, image = demo.readout.value, demo.image.value
    assert "vanishing" in sigmoid_text
    demo.controls["setup"].value = "ReLU, He"
    assert "balanced" in demo.readout.value and demo.image.value != image


def test_statistics_are_cached_and_consistent(demo):
    first = demo.statistics(3, "tanh, Glorot")
    assert demo.statistics(3, "tanh, Glorot") is first
    hist, speeds = first
    assert hist.shape == (3, len(demo.bins) - 1) and speeds.shape == (3,)
    assert np.all(hist.sum(axis=1) <= 1 + 1e-12) and np.all(speeds > 0)


def test_layer_statistics_matches_the_library():
    from mlcourse.vanishing import init_network, layer_grad_norms
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(25, 12)), rng.integers(0, 10, 25)
    _, speeds = layer_statistics(X, y, 3, "sigmoid", "glorot_uniform", width=7, seed=2)
    params = init_network([12, 7, 7, 7, 10], 2, "glorot_uniform")
    np.testing.assert_allclose(speeds, layer_grad_norms(params, X, y, "sigmoid", wrt="b")[:-1])


def test_bad_setup_is_named():
    with pytest.raises(ValueError, match="setup must be one of"):
        GradientHistograms(np.ones((3, 4)), np.array([0, 1, 2]), setup="swish")


def test_every_setup_draws():
    rng = np.random.default_rng(2)
    d = GradientHistograms(rng.uniform(size=(20, 10)), rng.integers(0, 10, 20), max_depth=3,
                           width=8, depth=3)
    texts = set()
    for setup in SETUPS:
        d.controls["setup"].value = setup
        texts.add(d.readout.value)
    assert len(texts) == len(SETUPS)


def test_demos_registry_builds_the_default_demo():
    assert list(demo_module.DEMOS) == ["gradient_histograms"]
    d = demo_module.DEMOS["gradient_histograms"]()
    assert d.X.shape[0] == 256 and d.image.value


def test_the_image_is_a_png_of_the_whole_figure(demo):
    import io
    from PIL import Image
    image = Image.open(io.BytesIO(demo.image.value))
    assert image.format == "PNG" and image.size == demo.fig.canvas.get_width_height()
    assert image.size[0] == 1800 == 2 * demo.css_width          # 9 inches, 2 x 100 px/inch

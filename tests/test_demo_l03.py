"""The lecture-3 demos: controls drive the figure and the readout."""
import numpy as np
import pytest

from mlcourse import optim
from mlcourse.demos.l03_gradient_descent import (DEMOS, BatchNoiseDemo, LearningRateDemo,
                                                 SGDPathsDemo, describe_run, regression_problem)

PNG = b"\x89PNG\r\n\x1a\n"


def png(demo):
    return bytes(demo.image.value)


@pytest.fixture(scope="module")
def lr_demo():
    return LearningRateDemo(n_sweep=60)


def test_learning_rate_slider_shows_the_four_regimes(lr_demo):
    lr_demo.surface.value = lr_demo.surface.options[0]
    lr_demo.lr.value = 0.2
    seen = {}
    for lr, expected in [(0.1, "converges to the local (narrow) minimum"),
                         (0.5, "converges to the global (wide) minimum"),
                         (1.5, "oscillates without settling"), (4.5, "diverges")]:
        before = png(lr_demo)
        lr_demo.lr.value = lr
        assert png(lr_demo).startswith(PNG) and png(lr_demo) != before
        assert expected in lr_demo.readout.value
        seen[lr] = png(lr_demo)
    assert len(set(seen.values())) == 4


def test_surface_dropdown_switches_panels_and_marks_the_threshold(lr_demo):
    lr_demo.lr.value = 0.1
    lr_demo.surface.value = lr_demo.surface.options[1]               # the quadratic bowl
    before_text, before_png = lr_demo.readout.value, png(lr_demo)
    lr_demo.lr.value = 0.25                                          # above 2/λ_max = 0.2
    assert "diverges" in lr_demo.readout.value and lr_demo.readout.value != before_text
    assert png(lr_demo) != before_png
    left, right, _, _ = lr_demo.panels[lr_demo.surface.value]
    assert left.get_visible() and right.get_visible()
    labels = [line.get_label() for line in right.get_lines()]
    assert any("2/λ_max" in label and "0.200" in label for label in labels)
    others = [p for name, p in lr_demo.panels.items() if name != lr_demo.surface.value]
    assert not any(p[0].get_visible() for p in others)


def test_steps_slider_changes_the_path(lr_demo):
    lr_demo.surface.value = lr_demo.surface.options[2]
    lr_demo.lr.value = 0.05
    lr_demo.steps.value = 3
    short = lr_demo.readout.value, png(lr_demo)
    assert "still on its way" in short[0]
    lr_demo.steps.value = 100
    assert lr_demo.readout.value != short[0] and png(lr_demo) != short[1]


def test_describe_run_verdicts():
    s = optim.two_wells_surface(1)
    run = lambda lr, n=200: optim.gradient_descent(optim.two_wells_grad, s.start, lr, n)
    assert describe_run(run(0.1), s, 0.1, 200).startswith("converges to the local")
    assert describe_run(run(0.3), s, 0.3, 200).startswith("oscillates around the local")
    assert describe_run(run(0.01, 5), s, 0.01, 5).startswith("is still on its way")
    assert describe_run(run(6.0), s, 6.0, 200).startswith("diverges: ‖θ‖ exceeded")


def test_sgd_paths_demo_controls_change_readout_and_image():
    demo = SGDPathsDemo()
    text, image = demo.readout.value, png(demo)
    assert image.startswith(PNG) and "batch GD" in text and "SGD (B = 1)" in text
    for name, value in [("batch", 128), ("lr", 0.2), ("steps", 20), ("seed", 3)]:
        demo.controls[name].value = value
        assert demo.readout.value != text and png(demo) != image, name
        text, image = demo.readout.value, png(demo)
    assert f"after {20 * 128:,} example-gradients" in text     # the mini-batch path's cost
    assert f"after {20 * len(demo.y):,} example-gradients" in text


def test_sgd_paths_demo_converges_with_enough_steps():
    demo = SGDPathsDemo()
    demo.lr.value, demo.steps.value = 0.1, 300
    X, y, star = regression_problem()
    path = optim.gradient_descent(demo.q.grad, [-1.5, 1.5], 0.1, 300)
    np.testing.assert_allclose(path[-1], star, atol=1e-6)
    assert "batch GD: L − L* = " in demo.readout.value


def test_batch_noise_demo_slider_and_statistics():
    demo = BatchNoiseDemo()
    text, image = demo.readout.value, png(demo)
    for B in (4, 64, 512):
        demo.batch.value = B
        assert demo.readout.value != text and png(demo) != image
        text, image = demo.readout.value, png(demo)
        assert f"<b>B = {B}</b>" in text
    # measured noise follows the 1/B formula with the finite-population correction
    X, y, _ = regression_problem()
    G = optim.squared_error_example_grads(np.array([-1.5, 1.5]), X, y)
    predicted = optim.minibatch_variance(G, np.array(demo.SIZES))
    np.testing.assert_allclose(demo.measured, predicted, rtol=0.25)
    # the ellipse shrinks like 1/sqrt(B) (times the correction)
    demo.batch.value = 1
    wide = demo.ellipse.get_width()
    demo.batch.value = 16
    assert demo.ellipse.get_width() == pytest.approx(wide / 4 * np.sqrt(984 / 999), rel=1e-9)


def test_demos_registry_builds_every_demo():
    assert set(DEMOS) == {"learning_rate", "sgd_paths", "batch_noise"}
    for factory in DEMOS.values():
        demo = factory()
        assert demo.refresh() and png(demo).startswith(PNG)

"""The lecture-1 stepper: controls drive the figure and the readout."""
import numpy as np

from mlcourse import data
from mlcourse.demos.l01_perceptron import DEMOS, PerceptronStepper, boundary_segment


def make():
    return PerceptronStepper({"separable": data.make_blobs(n=30, seed=1),
                              "XOR": data.make_xor(n=30, seed=2)}, max_epochs=5)


def test_slider_moves_the_boundary_and_updates_readout_and_image():
    demo = make()
    first_text, first_png = demo.readout.value, demo.image.value
    assert first_text.startswith("<b>update 0</b> (initial weights)")
    assert first_png[:8] == b"\x89PNG\r\n\x1a\n"
    demo.step.value = demo.step.max
    assert demo.readout.value != first_text and demo.image.value != first_png
    assert "training errors: 0 of 30" in demo.readout.value


def test_buttons_step_forward_and_back_within_range():
    demo = make()
    forward, back = demo.controls["forward"], demo.controls["back"]
    forward.click()
    forward.click()
    assert demo.step.value == 2
    back.click()
    assert demo.step.value == 1
    for _ in range(3):
        back.click()
    assert demo.step.value == 0


def test_switching_data_resets_the_slider_and_redraws():
    demo = make()
    demo.step.value = 2
    demo.data.value = "XOR"
    assert demo.step.value == 0
    assert demo.readout.value.startswith("<b>update 0</b>")
    demo.step.value = demo.step.max
    assert "training errors: 0 of" not in demo.readout.value   # XOR is never separated


def test_boundary_segment_lies_on_the_line():
    w, b = np.array([1.0, 2.0]), -1.0
    xs, ys = boundary_segment(w, b, (-3, 3), (-3, 3))
    np.testing.assert_allclose(w[0] * xs + w[1] * ys + b, 0, atol=1e-12)
    assert boundary_segment(np.zeros(2), 1.0, (0, 1), (0, 1)) is None


def test_demos_registry_builds_every_demo():
    for factory in DEMOS.values():
        demo = factory()
        assert demo.refresh()


def test_axis_labels_stay_inside_the_picture_for_every_data_set():
    """The y label and tick labels are inside the image whichever data set is shown
    (a layout computed once for the first set pushed the XOR set's y label out of it)."""
    from mlcourse.demos.l01_perceptron import perceptron_stepper
    demo = perceptron_stepper()
    for name in demo.runs:
        demo.data.value = name
        demo.refresh()
        renderer = demo.canvas.get_renderer()
        boxes = [demo.ax.yaxis.label.get_window_extent(renderer),
                 *(t.get_window_extent(renderer) for t in demo.ax.get_yticklabels()
                   if t.get_visible() and t.get_text())]
        assert min(b.x0 for b in boxes) >= 0, f"{name}: a y-axis label is cut off on the left"


def test_the_legend_covers_no_point_of_any_data_set():
    """The legend sits in a band above the data (it covered XOR's upper-left cluster)."""
    from mlcourse.demos.l01_perceptron import perceptron_stepper
    demo = perceptron_stepper()
    for name, (X, _, _) in demo.runs.items():
        demo.data.value = name
        demo.refresh()
        box = demo.ax.get_legend().get_window_extent(demo.canvas.get_renderer())
        points = demo.ax.transData.transform(X)
        inside = (points[:, 0] >= box.x0) & (points[:, 0] <= box.x1) & \
            (points[:, 1] >= box.y0) & (points[:, 1] <= box.y1)
        assert not inside.any(), f"{name}: the legend covers {inside.sum()} points"

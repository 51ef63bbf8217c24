"""The lecture-5 demos: controls drive the figure and the readout."""
import matplotlib
import numpy as np
import pytest

from mlcourse import nn
from mlcourse.autodiff import Value
from mlcourse.demos.l05_backprop import (DEMOS, STEPS, BackpropStepper, ExpressionGraph,
                                         GraphDrawing, backprop_trace, default_network,
                                         graph_layout, graph_neuron, neuron, two_paths)

PNG = b"\x89PNG\r\n\x1a\n"


def test_graph_sliders_change_values_gradients_readout_and_image():
    demo = graph_neuron()
    text, png = demo.readout.value, demo.image.value
    assert bytes(png).startswith(PNG)
    assert "∂f/∂w1 = +1.0019" in text and "∂f/∂w2 = +0.0000" in text   # x2 = 0
    demo.controls["x2"].value = 1.5
    assert demo.readout.value != text and demo.image.value != png
    assert "∂f/∂w2 = +0.0000" not in demo.readout.value


def test_graph_readout_matches_the_engine():
    demo = graph_neuron()
    demo.controls["b"].value = 1.0
    leaves = {name: Value(v, label=name) for name, v in demo.values().items()}
    out = neuron(**leaves)
    out.backward()
    assert f"output {out.data:+.4f}" in demo.readout.value
    for name, leaf in leaves.items():
        assert f"∂f/∂{name} = {leaf.grad:+.4f}" in demo.readout.value


def test_graph_boxes_show_values_gradients_and_local_derivatives():
    demo = ExpressionGraph(two_paths, {"x": (0.5, -2, 2), "y": (-1.5, -3, 3)})
    drawing = demo.drawing
    texts = [t.get_text() for t in drawing.node_texts]
    assert "+0.500\n+0.149" in texts                 # x: value 0.5, ∂f/∂x = y + e^x
    edge_labels = [t.get_text() for t in drawing.edge_texts]
    assert "+1.65" in edge_labels and "-1.50" in edge_labels     # e^x and y
    assert len(drawing.changing) < len(drawing.node_texts) + len(drawing.edge_texts)


def test_graph_layout_puts_every_node_right_of_its_inputs():
    x, y = Value(1.0), Value(2.0)
    out = ((x * y).tanh() + x.exp() * y - 3.0) * x
    order, xy = graph_layout(out)
    position = {id(v): xy[i] for i, v in enumerate(order)}
    for v in order:
        for p in v.parents:
            assert position[id(p)][0] < position[id(v)][0]
    assert len({tuple(p) for p in xy}) == len(order)            # no two boxes on one spot


def test_graph_drawing_rejects_a_graph_of_another_shape():
    fig = matplotlib.figure.Figure()
    drawing = GraphDrawing(fig.add_subplot(), Value(1.0) * Value(2.0))
    with pytest.raises(ValueError, match="same graph shape"):
        drawing.update(Value(1.0).exp().tanh())


def test_expression_graph_validates_its_arguments():
    with pytest.raises(TypeError, match="build must be a function"):
        ExpressionGraph(3, {"x": (0.0, -1, 1)})
    with pytest.raises(TypeError, match="inputs must be a non-empty dict"):
        ExpressionGraph(two_paths, {})


def test_stepper_slider_buttons_and_example_drive_readout_and_image():
    demo = BackpropStepper(*default_network())
    text, png = demo.readout.value, demo.image.value
    assert text.startswith("<b>forward step 0: input x</b>")
    demo.controls["forward"].click()
    demo.controls["forward"].click()
    assert demo.step.value == 2 and demo.image.value != png
    demo.step.value = len(STEPS) - 1
    assert demo.readout.value.startswith("<b>backward step 9")
    before = demo.readout.value, demo.image.value
    demo.example.value = 3
    assert demo.readout.value != before[0] and demo.image.value != before[1]
    for _ in range(12):
        demo.controls["forward"].click()
    assert demo.step.value == len(STEPS) - 1
    demo.controls["back"].click()
    assert demo.step.value == len(STEPS) - 2


def test_stepper_trace_matches_the_library_backward_pass():
    params, X, y = default_network()
    for i in range(len(X)):
        t = backprop_trace(params, X[i], y[i])
        (dW1, db1), (dW2, db2) = nn.mlp_grads(params, X[i:i + 1], y[i:i + 1])
        np.testing.assert_allclose(t["dW1"], dW1, atol=1e-14)
        np.testing.assert_allclose(t["db1"], db1, atol=1e-14)
        np.testing.assert_allclose(t["dW2"], dW2, atol=1e-14)
        np.testing.assert_allclose(t["db2"], db2, atol=1e-14)
        assert np.all(t["delta1"][t["z1"] <= 0] == 0)             # dead units pass nothing


def test_stepper_rejects_networks_that_are_not_two_layers():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="exactly 2 layers"):
        BackpropStepper(nn.init_params([2, 3, 3, 2], rng), np.ones((2, 2)), [0, 1])
    with pytest.raises(ValueError, match="X must have 2 columns"):
        BackpropStepper(nn.init_params([2, 3, 2], rng), np.ones((2, 3)), [0, 1])


def test_demos_registry_builds_every_demo():
    for factory in DEMOS.values():
        demo = factory()
        assert demo.refresh()
        assert bytes(demo.image.value).startswith(PNG)

"""The lecture-2 demo reacts to its controls (no browser: we set the values directly)."""
import numpy as np
import pytest

from mlcourse.demos.l02_lda_logistic import DEMOS, SCENARIOS, LdaVsLogistic, scenario
from mlcourse.linear import lda_fit, logistic_fit


@pytest.fixture(scope="module")
def demo():
    return DEMOS["lda_vs_logistic"]()


def state(demo):
    return demo.readout.value, demo.image.value


def test_factory_builds_a_rendered_demo(demo):
    assert isinstance(demo, LdaVsLogistic)
    text, image = state(demo)
    assert "LDA" in text and "logistic regression" in text and "Bayes" in text
    assert image[:8] == b"\x89PNG\r\n\x1a\n"
    assert "application/vnd.jupyter.widget-view+json" in demo._repr_mimebundle_()[0]


@pytest.mark.parametrize("name,value", [("separation", 3.5), ("correlation", -0.4),
                                        ("scale", 1.6), ("kind", "unequal covariances"),
                                        ("kind", "outlier cluster")])
def test_each_control_changes_readout_and_image(demo, name, value):
    before = state(demo)
    demo.controls[name].value = value
    after = state(demo)
    assert after[0] != before[0] and after[1] != before[1]


def test_outlier_cluster_parts_the_two_boundaries():
    demo = LdaVsLogistic()
    text_clean = demo.readout.value
    demo.controls["kind"].value = "outlier cluster"
    text = demo.readout.value
    assert "contamination" in text
    angle = float(text.split("angle between the boundaries: ")[1].split("°")[0])
    assert angle > 10
    assert float(text_clean.split("angle between the boundaries: ")[1].split("°")[0]) < 5


def test_warm_started_fit_equals_a_cold_fit():
    demo = LdaVsLogistic()
    for value in (1.0, 3.0, 2.5):
        demo.controls["separation"].value = value
    model = scenario(2.5, 0.5, 1.0, SCENARIOS[0])
    X, y = demo.sample(model)
    w, b = logistic_fit(X, y, l2=1e-3)
    np.testing.assert_allclose(np.append(*demo._theta), np.append(w, b), rtol=1e-6, atol=1e-8)
    w_lda, _ = lda_fit(X, y)
    assert f"({w_lda[0]:+.2f}, {w_lda[1]:+.2f})" in demo.readout.value


def test_refreshes_do_not_pile_up_artists(demo):
    demo.refresh()
    n = len(demo.ax.get_children())
    for value in (0.2, 0.3, 0.4):
        demo.controls["correlation"].value = value
    assert len(demo.ax.get_children()) == n


def test_same_points_move_with_the_sliders():
    demo = LdaVsLogistic()
    a = demo.sample(scenario(2.0, 0.5, 1.0))
    b = demo.sample(scenario(3.0, 0.5, 1.0))
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_allclose(b[0][b[1] == 1] - a[0][a[1] == 1], [[0.5, 0.0]] * int(b[1].sum()))


@pytest.mark.parametrize("kwargs,word", [({"kind": "no such"}, "kind"),
                                         ({"correlation": 1.0}, "correlation"),
                                         ({"scale": 0.0}, "scale")])
def test_scenario_validates(kwargs, word):
    with pytest.raises(ValueError, match=word):
        scenario(**kwargs)

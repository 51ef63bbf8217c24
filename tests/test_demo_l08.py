"""Lecture 8 demos: controls drive the figure and the readout."""
import re

import numpy as np
import pytest

from mlcourse import uat
from mlcourse.demos.l08_universal_approximation import (DEMOS, FUNCTIONS, ApproximationDemo,
                                                        RegionsDemo)

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def approximation():
    return ApproximationDemo()


@pytest.fixture(scope="module")
def regions():
    return RegionsDemo(depths=(1, 2, 3), seeds=2, resolution=120)


def errors(text):
    return [float(x) for x in re.findall(r"sup error (\d+\.\d+)", text)]


def test_units_slider_changes_the_image_and_lowers_the_errors(approximation):
    demo = approximation
    demo.controls["function"].value = list(FUNCTIONS)[0]
    demo.controls["units"].value = 4
    text4, png4 = demo.readout.value, bytes(demo.image.value)
    assert png4.startswith(PNG)
    demo.controls["units"].value = 32
    text32, png32 = demo.readout.value, bytes(demo.image.value)
    assert text32 != text4 and png32 != png4
    assert "<b>32 hidden units.</b>" in text32
    (s4, r4), (s32, r32) = errors(text4), errors(text32)
    assert s32 < s4 / 4 and r32 < r4 / 10            # 1/n for the staircase, ~1/n² for ReLU


def test_readout_matches_the_library(approximation):
    demo = approximation
    name = list(FUNCTIONS)[1]
    demo.controls["function"].value = name
    demo.controls["units"].value = 10
    f, a, b, lip = FUNCTIONS[name]
    v, c = uat.staircase(f, a, b, 10)
    x = np.linspace(a, b, 2001)
    expected = np.max(np.abs(uat.staircase_eval(v, c, x) - f(x)))
    assert errors(demo.readout.value)[0] == pytest.approx(expected, abs=5e-5)
    assert f"bound Lip(f)·h/2 = {lip * (b - a) / 20:.4f}" in demo.readout.value


def test_switching_function_redraws_and_handles_non_lipschitz(approximation):
    demo = approximation
    before = bytes(demo.image.value)
    demo.controls["function"].value = "√|x| on [-1, 1] (not Lipschitz)"
    assert bytes(demo.image.value) != before
    assert "not Lipschitz" in demo.readout.value


def test_regions_controls_switch_between_precomputed_images(regions):
    demo = regions
    demo.controls["family"].value = "folding construction"
    demo.controls["depth"].value = 1
    text1, png1 = demo.readout.value, bytes(demo.image.value)
    assert png1.startswith(PNG) and "<b>144 regions</b>" in text1      # 12 teeth per input
    demo.controls["depth"].value = 2
    assert "<b>1296 regions</b>" in demo.readout.value                # (6^2)^2
    assert bytes(demo.image.value) != png1
    demo.controls["family"].value = "random (He init)"
    text_r0 = demo.readout.value
    demo.controls["seed"].value = 1
    assert demo.readout.value != text_r0 or bytes(demo.image.value) != png1
    count = int(re.search(r"<b>(\d+) regions</b>", demo.readout.value).group(1))
    params = uat.random_relu_params(2, [12, 12], 1)
    assert count == uat.count_regions(params, uat.grid_inputs(-1.0, 1.0, 120))


def test_demos_registry_builds_every_demo():
    for factory in DEMOS.values():
        demo = factory()
        assert demo.refresh() and bytes(demo.image.value).startswith(PNG)


def test_seed_slider_is_disabled_where_it_does_nothing(regions):
    """The folding construction has no randomness: its seed slider is disabled there
    (and moving it changes nothing); the random family enables it."""
    demo, seed = regions, regions.controls["seed"]
    demo.controls["family"].value = "folding construction"
    assert seed.disabled
    text, png = demo.readout.value, bytes(demo.image.value)
    seed.value = 1 - seed.value
    assert (demo.readout.value, bytes(demo.image.value)) == (text, png)
    demo.controls["family"].value = "random (He init)"
    assert not seed.disabled


def test_a_new_regions_demo_starts_with_the_seed_disabled():
    demo = RegionsDemo(depths=(1, 2), seeds=2, resolution=40)
    assert demo.controls["family"].value == "folding construction"
    assert demo.controls["seed"].disabled

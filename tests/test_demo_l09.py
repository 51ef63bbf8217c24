"""Lecture 9 demo: the (λ, p) sliders pick a precomputed model and redraw."""
import re

import pytest

from mlcourse import data
from mlcourse import regularization as reg
from mlcourse.demos.l09_regularization import DEMOS, RegularizationDemo

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def demo():
    return RegularizationDemo(lambdas=(0.0, 0.03), drop_rates=(0.0, 0.5), epochs=60)


def numbers(text):
    train, test = re.search(r"training error (\d\.\d+), test error (\d\.\d+)", text).groups()
    return float(train), float(test)


def test_sliders_change_readout_and_image(demo):
    demo.controls["lam"].value = 0.0
    demo.controls["p"].value = 0.0
    text, png = demo.readout.value, bytes(demo.image.value)
    assert png.startswith(PNG) and "<b>λ = 0, p = 0</b>" in text
    demo.controls["lam"].value = 0.03
    assert demo.readout.value != text and bytes(demo.image.value) != png
    assert "<b>λ = 0.03, p = 0</b>" in demo.readout.value
    png_l2 = bytes(demo.image.value)
    demo.controls["p"].value = 0.5
    assert "<b>λ = 0.03, p = 0.5</b>" in demo.readout.value and bytes(demo.image.value) != png_l2


def test_readout_matches_a_model_trained_the_same_way(demo):
    X, y, X_test, y_test = data.noisy_moons(seed=0)
    models = reg.train_many(X, y, (64, 64), lam=[0.0, 0.0, 0.03, 0.03], p_drop=[0.0, 0.5, 0.0, 0.5],
                            epochs=60, lr=0.2, batch_size=10, seed=0)
    demo.controls["lam"].value = 0.03
    demo.controls["p"].value = 0.0
    train, test = numbers(demo.readout.value)
    assert train == pytest.approx(reg.error_rate(models[2], X, y), abs=1e-3)
    assert test == pytest.approx(reg.error_rate(models[2], X_test, y_test), abs=1e-3)


def test_gap_table_covers_the_grid(demo):
    assert demo.gap.shape == (2, 2)
    for (i, lam) in enumerate(demo.lambdas):
        for (j, p) in enumerate(demo.drop_rates):
            _, train, test = demo.results[(lam, p)]
            assert demo.gap[i, j] == pytest.approx(test - train)


def test_demos_registry_builds_every_demo():
    for factory in DEMOS.values():
        built = factory()
        assert built.refresh() and bytes(built.image.value).startswith(PNG)

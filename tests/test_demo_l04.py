"""The lecture-4 playground: controls re-initialize, the train button trains and redraws."""
import numpy as np
import pytest

from mlcourse import fast, nn
from mlcourse.demos import l04_mlp
from mlcourse.demos.l04_mlp import DEMOS, Playground, default_datasets


@pytest.fixture(scope="module")
def datasets():
    return default_datasets(n=40)


def make(datasets, **kwargs):
    return Playground(datasets, epochs_per_press=kwargs.pop("epochs_per_press", 10),
                      chunk=kwargs.pop("chunk", 5), resolution=20, **kwargs)


def test_starts_untrained_with_a_png_and_a_readout(datasets):
    demo = make(datasets)
    assert demo.readout.value.startswith(
        "<b>epoch 0</b> · network 2 → 4 → 4 → 2 (relu, 42 parameters)")
    assert demo.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert demo.controls["train"].description == "train 10 epochs"


@pytest.mark.parametrize("control, value, text", [
    ("depth", 1, "2 → 4 → 2 (relu, 22 parameters)"),
    ("width", 8, "2 → 8 → 8 → 2 (relu, 114 parameters)"),
    ("activation", "tanh", "(tanh, 42 parameters)"),
    ("lr", 0.03, "learning rate 0.03"),
    ("data", "spirals", "network 2 → 4 → 4 → 2"),
])
def test_each_control_changes_the_readout_and_the_image(datasets, control, value, text):
    demo = make(datasets)
    demo.train()
    before_text, before_png = demo.readout.value, demo.image.value
    assert "epoch 10" in before_text
    demo.controls[control].value = value
    assert demo.readout.value != before_text and demo.image.value != before_png
    assert text in demo.readout.value
    assert demo.readout.value.startswith("<b>epoch 0</b>")      # re-initialized


def test_train_button_trains_in_chunks_and_reports_progress(datasets, monkeypatch):
    demo = make(datasets, epochs_per_press=15, chunk=5)
    demo.data.value = "XOR"
    before_png = demo.image.value
    seen = []
    original = demo.refresh
    monkeypatch.setattr(demo, "refresh", lambda: seen.append(demo.status) or original())
    demo.controls["train"].click()
    assert seen == ["training: 5/15 epochs", "training: 10/15 epochs", "trained 15 epochs"]
    assert demo.epoch == 15 and len(demo.train_loss) == len(demo.test_loss) == 16
    assert demo.train_loss[-1] < demo.train_loss[0]
    assert demo.image.value != before_png
    assert "<b>epoch 15</b>" in demo.readout.value and "trained 15 epochs" in demo.readout.value


def test_training_is_reproducible_and_matches_the_library(datasets):
    a, b = make(datasets), make(datasets)
    a.train()
    b.train()
    assert a.readout.value == b.readout.value
    X, y, Xt, yt = datasets[a.data.value]
    rng = np.random.default_rng(0)                               # the demo's seed 0
    params = nn.init_params([2, 4, 4, 2], rng)
    for _ in range(2):
        params, _ = fast.sgd_train(params, X, y, epochs=5, batch_size=10, lr=0.1, hidden="relu",
                                 rng=rng, X_val=Xt, y_val=yt)
    for (W, _), (W_demo, _) in zip(params, a.params):
        np.testing.assert_allclose(W, W_demo)


def test_new_initialization_changes_the_weights_and_resets(datasets):
    demo = make(datasets)
    demo.train()
    W_before, png_before = demo.params[0][0].copy(), demo.image.value
    demo.controls["reset"].click()
    assert demo.seed == 1 and demo.epoch == 0
    assert not np.array_equal(demo.params[0][0], W_before)
    assert demo.image.value != png_before


def test_divergence_stops_training_and_says_so(datasets, monkeypatch):
    demo = make(datasets)

    def exploding(params, *args, **kwargs):
        return [(W * np.nan, b) for W, b in params], {"train_loss": [np.nan], "val_loss": [np.nan]}
    monkeypatch.setattr(l04_mlp.fast, "sgd_train", exploding)
    text = demo.train()
    assert "training diverged" in text and demo.epoch == 0
    assert all(np.all(np.isfinite(W)) for W, _ in demo.params)   # last good weights kept


def test_bad_datasets_are_rejected_with_the_name():
    with pytest.raises(ValueError, match="X_train"):
        Playground({"bad": (np.zeros((5, 3)), np.zeros(5, int),
                            np.zeros((5, 2)), np.zeros(5, int))})
    with pytest.raises(ValueError, match=r"must be \(X_train, y_train, X_test, y_test\)"):
        Playground({"bad": (np.zeros((5, 2)), np.zeros(5, int))})


def test_demos_registry_builds_every_demo():
    for factory in DEMOS.values():
        demo = factory()
        assert demo.refresh().startswith("<b>epoch 0</b>")

"""Tests of mlcourse.diagrams and of the losses / network-growth plots of mlcourse.plots:
every figure draws in a fresh Figure with a title, alt text and labelled parts; the
figures that show a computation show the right one. Each figure is also rendered to
tests/artifacts/diagrams/<name>.png for a human to look at."""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from mlcourse import data, diagrams, nn, plots  # noqa: E402
from mlcourse.data import ANIMAL_SIZES, NETWORK_SIZES  # noqa: E402

ARTIFACTS = Path(__file__).parent / "artifacts" / "diagrams"


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _texts(fig):
    """Every text drawn on the figure: axes texts, titles, suptitle."""
    out = [t.get_text() for ax in fig.axes for t in ax.texts]
    out += [ax.get_title() for ax in fig.axes]
    if fig._suptitle is not None:
        out.append(fig._suptitle.get_text())
    return out


def _render(fig, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    fig.savefig(ARTIFACTS / f"{name}.png", dpi=90, bbox_inches="tight")


def _patches(fig, gid):
    return [p for ax in fig.axes for p in ax.patches if p.get_gid() == gid]


SYNTHETIC_DIGITS = (np.random.default_rng(0).random((12, 64)), np.arange(12) % 10)

# name -> (draw on a fresh Figure, parts that must be labelled)
CASES = {
    "biological_neuron": (lambda f: diagrams.biological_neuron(fig=f),
                          ["dendrites", "soma", "axon", "synapse", "$x_1$", "$w_1$",
                           r"$z = \sum_i w_i x_i + b$", "$h = g(z)$", "$g$"]),
    "mark1_perceptron": (lambda f: diagrams.mark1_perceptron(ax=f.subplots()),
                         ["400\nphotocells", "512 association", "8 response",
                          "random, fixed", "adjustable weights"]),
    "mlp_graph": (lambda f: diagrams.mlp_graph(ax=f.subplots()),
                  ["$W_1$", "$W_2$", r"$a_1 = W_1^\top x$", r"$h = \sigma(a_1)$",
                   r"$a_2 = W_2^\top h$", r"$\hat y = \sigma(a_2)$", r"$u_1 = \|W_1\|^2$",
                   r"$u_2 = \|W_2\|^2$", r"$u_3 = \frac{\lambda}{2}(u_1 + u_2)$", r"$\ell = J + u_3$"]),
    "dropout_network": (lambda f: diagrams.dropout_network(fig=f),
                        ["input", "hidden 1", "hidden 2", "output", "after dropout"]),
    "lenet": (lambda f: diagrams.lenet(ax=f.subplots()),
              ["INPUT\n32×32", "C1\n6@28×28", "S2\n6@14×14", "C3\n16@10×10", "S4\n16@5×5",
               "C5\n120 units", "F6\n84 units", "OUTPUT\n10 units", "convolutions\n5×5",
               "subsampling\n2×2", "full\nconnection"]),
    "digit_grid": (lambda f: diagrams.digit_grid(*SYNTHETIC_DIGITS, ncols=6, fig=f),
                   ["label 0", "label 9", "label 1"]),
    "relu_subnetwork": (lambda f: diagrams.relu_subnetwork(fig=f),
                        ["forward: activations", "backward: gradients", "ReLU 1", "input x"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_diagram_draws_with_title_alt_and_labels(name):
    draw, parts = CASES[name]
    fig = Figure(figsize=(10, 5))
    out = draw(fig)
    assert out is fig or out.figure is fig
    texts = _texts(fig)
    assert any(ax.get_title() for ax in fig.axes) or fig._suptitle is not None
    missing = [p for p in parts if not any(p in t for t in texts)]
    assert not missing, f"{name}: labels not drawn: {missing}"
    alt = getattr(diagrams, name).alt
    assert alt == diagrams.ALT[name] and len(alt) > 60


DEFAULT_CALLS = {
    "biological_neuron": lambda: diagrams.biological_neuron(),
    "mark1_perceptron": lambda: diagrams.mark1_perceptron().figure,
    "mlp_graph": lambda: diagrams.mlp_graph().figure,
    "dropout_network": lambda: diagrams.dropout_network(),
    "lenet": lambda: diagrams.lenet().figure,
    "digit_grid": lambda: diagrams.digit_grid(*SYNTHETIC_DIGITS),
    "relu_subnetwork": lambda: diagrams.relu_subnetwork(),
}


@pytest.mark.parametrize("name", sorted(DEFAULT_CALLS))
def test_diagram_renders_with_its_default_figure(name):
    """The one-line call of the notebooks (a new figure) renders to PNG, for a human to
    look at in tests/artifacts/diagrams/."""
    fig = DEFAULT_CALLS[name]()
    assert fig.get_figwidth() >= 6
    _render(fig, name)


def test_label_check_catches_a_missing_label():
    """Negative control of the label test: a part that is not drawn is reported missing."""
    fig = Figure()
    diagrams.lenet(ax=fig.subplots())
    assert not any("C7\n" in t for t in _texts(fig))


def test_diagrams_are_deterministic():
    a, b = Figure(), Figure()
    diagrams.mark1_perceptron(ax=a.subplots())
    diagrams.mark1_perceptron(ax=b.subplots())
    widths = [[line.get_linewidth() for line in f.axes[0].lines] for f in (a, b)]
    assert widths[0] == widths[1] and len(widths[0]) > 30


# ------------------------------------------------------------- what the figures compute

def test_mlp_graph_highlights_exactly_the_paths_from_W1_to_the_loss():
    expected = {("W1", "a1"), ("a1", "h"), ("h", "a2"), ("a2", "yhat"), ("yhat", "J"),
                ("J", "loss"), ("W1", "u1"), ("u1", "u3"), ("u3", "loss")}
    assert diagrams.mlp_graph_paths("W1") == expected
    assert ("W2", "a2") in diagrams.mlp_graph_paths("W2")
    assert ("W1", "a1") not in diagrams.mlp_graph_paths("W2")
    fig = Figure()
    diagrams.mlp_graph(ax=fig.subplots())
    assert len(_patches(fig, "path")) == len(expected)
    assert len(_patches(fig, "edge")) == len(diagrams.MLP_EDGES) - len(expected)
    with pytest.raises(ValueError, match="source and target"):
        diagrams.mlp_graph_paths("W3")


def test_dropout_crosses_out_exactly_the_dropped_units():
    sizes = (4, 5, 5, 2)
    masks = [np.array([1, 0, 1, 1], bool), np.array([0, 1, 1, 0, 1], bool),
             np.array([1, 1, 0, 1, 1], bool), np.ones(2, bool)]
    fig = diagrams.dropout_network(fig=Figure(), sizes=sizes, masks=masks)
    n_dropped = sum(int((~m).sum()) for m in masks)
    assert len(_patches(fig, "dropped")) == n_dropped == 4
    assert len(_patches(fig, "kept")) == 2 * sum(sizes) - n_dropped
    right = fig.axes[1]
    n_edges = sum(int(masks[l].sum() * masks[l + 1].sum()) for l in range(3))
    assert len([ln for ln in right.lines if ln.get_gid() != "cross"]) == n_edges
    default = diagrams.dropout_masks(sizes, seed=1)
    assert all(m.any() for m in default) and default[-1].all()
    with pytest.raises(ValueError, match="masks must hold"):
        diagrams.dropout_network(fig=Figure(), sizes=sizes, masks=masks[:3])


def test_lenet_shapes_follow_the_convolution_arithmetic():
    assert diagrams.lenet_shapes() == [
        ("INPUT", 1, 32), ("C1", 6, 28), ("S2", 6, 14), ("C3", 16, 10), ("S4", 16, 5),
        ("C5", 120, None), ("F6", 84, None), ("OUTPUT", 10, None)]
    assert diagrams.lenet_shapes(size=28, kernel=3)[1:5:3] == [("C1", 6, 26), ("S4", 16, 5)]
    with pytest.raises(ValueError, match="too small"):
        diagrams.lenet_shapes(size=8)


def test_digit_grid_titles_each_image_with_its_label():
    images, labels = SYNTHETIC_DIGITS
    fig = diagrams.digit_grid(images.reshape(12, 8, 8), labels, ncols=5, fig=Figure())
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in titled] == [f"label {k}" for k in labels]
    np.testing.assert_allclose(titled[3].images[0].get_array(), images[3].reshape(8, 8))
    with pytest.raises(ValueError, match="one label per image"):
        diagrams.digit_grid(images, labels[:5], fig=Figure())
    with pytest.raises(ValueError, match="square"):
        diagrams.digit_grid(np.zeros((3, 10)), [0, 1, 2], fig=Figure())


def test_digit_grid_on_the_course_digits():
    from mlcourse.data import load_digits
    digits = load_digits()
    fig = diagrams.digit_grid(digits.X_train[:20], digits.y_train[:20], fig=Figure())
    assert [ax.get_title() for ax in fig.axes] == [f"label {k}" for k in digits.y_train[:20]]
    _render(fig, "digit_grid_course_data")


def _inactive_independently(sizes, seed):
    """The hidden units with pre-activation <= 0, recomputed with plain NumPy from the
    same seeded network and input as relu_subnetwork."""
    rng = np.random.default_rng(seed)
    params = nn.init_params(list(sizes), rng, init="he_normal")
    x = h = rng.normal(size=sizes[0])
    off = []
    for W, b in params[:-1]:
        z = h @ W + b
        off.append(z <= 0)
        h = np.maximum(z, 0.0)
    return params, x, off


@pytest.mark.parametrize("seed", [0, 3])
def test_relu_subnetwork_greys_exactly_the_inactive_units(seed):
    sizes = (3, 6, 6, 6, 2)
    params, x, off = _inactive_independently(sizes, seed)
    fig = diagrams.relu_subnetwork(fig=Figure(), sizes=sizes, seed=seed)
    left = fig.axes[0]
    greyed = [p.get_gid() == "inactive" for p in left.patches if p.get_gid() in
              ("active", "inactive")]
    assert greyed == list(np.concatenate(off))             # same units, in drawing order
    assert 0 < sum(greyed) < len(greyed)
    # the highlighted edges are exactly the weights with a non-zero gradient
    _, caches = nn.forward(params, x[None, :], hidden="relu", output="softmax")
    grads = nn.backward(params, caches, np.array([0]), hidden="relu", output="softmax")
    n_nonzero = sum(int((gW != 0).sum()) for gW, _ in grads)
    highlighted = [ln for ln in fig.axes[1].lines if ln.get_gid() == "active-edge"]
    assert len(highlighted) == n_nonzero


def test_relu_pattern_matches_the_independent_computation():
    params, x, off = _inactive_independently((3, 6, 6, 6, 2), 0)
    pattern = diagrams.relu_pattern(params, x)
    assert [list(p) for p in pattern] == [list(~o) for o in off]
    # negative control: a different input gives a different pattern
    other = diagrams.relu_pattern(params, -x)
    assert any((p != q).any() for p, q in zip(pattern, other))


# ------------------------------------------------------------------ losses against margin

def test_margin_losses_equal_their_formulas():
    s = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0])
    L = plots.margin_losses(s)
    np.testing.assert_array_equal(L["0/1"], [1, 1, 1, 1, 0, 0, 0])
    np.testing.assert_allclose(L["hinge"], [4, 2, 1.5, 1, 0.5, 0, 0])
    assert L["hinge"][1] == 2.0
    logistic = L["logistic (cross-entropy, natural log)"]
    np.testing.assert_allclose(logistic, np.log1p(np.exp(-s)), rtol=1e-12)
    assert abs(logistic[3] - np.log(2.0)) < 1e-15
    np.testing.assert_allclose(L["squared"], (1 - s) ** 2)
    np.testing.assert_allclose(L["sparsemax"], [3, 1, 0.5625, 0.25, 0.0625, 0, 0], atol=1e-12)


def test_sparsemax_loss_matches_martins_astudillo_on_three_classes():
    """L(z; k) = -z_k + ½ Σ_{j∈S}(z_j² - τ²) + ½ by hand for z = (1, 0.5, -1), k = 0:
    support {0, 1}, τ = (1 + 0.5 - 1)/2 = 0.25."""
    Z = np.array([[1.0, 0.5, -1.0]])
    expected = -1.0 + 0.5 * ((1.0 - 0.0625) + (0.25 - 0.0625)) + 0.5
    np.testing.assert_allclose(plots._sparsemax_loss(Z, 0), [expected], atol=1e-15)


def test_margin_loss_check_fails_on_a_wrong_loss():
    """Negative control: the formula check rejects a hinge without the margin of 1."""
    s = np.array([-1.0, 0.0])
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(np.maximum(0.0, -s), plots.margin_losses(s)["hinge"])


def test_classification_losses_plot_draws_the_curves():
    fig = Figure()
    ax = plots.classification_losses(ax=fig.subplots())
    _render(plots.classification_losses().figure, "classification_losses")
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    names = [t.get_text() for t in ax.get_legend().get_texts()]
    assert names == list(plots.margin_losses(np.zeros(1)))
    line = ax.lines[names.index("hinge")]
    s, v = line.get_data()
    np.testing.assert_allclose(v[np.isclose(s, -1.0)], [2.0])


# --------------------------------------------------------------------- network growth

def test_network_sizes_table_follows_the_book_and_invents_nothing():
    fig10 = [r for r in NETWORK_SIZES if r.figure == "1.10"]
    fig11 = [r for r in NETWORK_SIZES if r.figure == "1.11"]
    assert [r.number for r in fig10] == list(range(1, 11))
    assert [r.number for r in fig11] == list(range(1, 21))
    assert fig11[7].name == "LeNet-5" and fig10[-1].name == fig11[-1].name == "GoogLeNet"
    assert all(str(r.year) in r.citation for r in NETWORK_SIZES)
    for r in NETWORK_SIZES:
        assert (r.value is None) == r.note.startswith("not verified"), r
    assert fig11[17].value == 650_000 and "650,000" in fig11[17].note
    assert fig11[7].value == 6 * 28 * 28 + 6 * 14 * 14 + 16 * 100 + 16 * 25 + 120 + 84 + 10
    assert ANIMAL_SIZES["Human"][0] == 86_000_000_000


def test_derived_network_sizes_agree_with_what_the_papers_state():
    weights = sum(n * fan_in for n, fan_in in data.fully_connected(data.CIRESAN_2010_LAYERS))
    assert round(weights / 1e6, 2) == 12.11                  # Ciresan et al.: "12.11 million"
    alexnet = sum(n for n, _ in data.KRIZHEVSKY_2012_LAYERS)
    assert alexnet == 622_312 and abs(alexnet / 650_000 - 1) < 0.05   # abstract: "650,000"
    assert data.layered_units((784, 500, 10)) == 510
    assert data.connections_per_unit(data.fully_connected((4, 3, 2))) == (12 + 6) / 5
    with pytest.raises(ValueError, match="neurons"):
        data.connections_per_unit(())
    values = {(r.figure, r.number): r.value for r in NETWORK_SIZES}
    assert values[("1.11", 10)] == 3010 and values[("1.11", 15)] == 7510
    assert values[("1.11", 2)] == 1 and values[("1.11", 1)] == 520


def test_doubling_times_are_those_lecture_1_states():
    """Lecture 1 says: from LeNet-5 to AlexNet about every 2.2 years, from the Mark I 5.2."""
    size = {r.number: r for r in NETWORK_SIZES if r.figure == "1.11"}
    doubling = [(size[18].year - a.year) / np.log2(size[18].value / a.value)
                for a in (size[1], size[8])]
    assert [round(d, 1) for d in doubling] == [5.2, 2.2]


def test_network_growth_plot_draws_only_sourced_values():
    for figure, n_points in (("1.11", 6), ("1.10", 2)):
        ax = Figure(figsize=(7.5, 4.6)).subplots()
        assert plots.network_growth(figure, ax=ax) is ax and ax.get_yscale() == "log"
        points = [ln for ln in ax.lines if ln.get_linestyle() == "None"]
        known = sorted((r.year, r.value) for r in NETWORK_SIZES
                       if r.figure == figure and r.value is not None)
        assert len(points) == n_points
        assert sorted((ln.get_xdata()[0], ln.get_ydata()[0]) for ln in points) == known
        low, high = ax.get_ylim()                              # every drawn point is visible
        for ln in points:
            assert low < ln.get_ydata()[0] < high, ln.get_label()
        assert f"fig. {figure}" in ax.get_title() and "not verified" in "".join(_texts(ax.figure))
        doubling = ["doubling every 2.4 years" in t.get_text() for t in ax.get_legend().get_texts()]
        assert any(doubling) == (figure == "1.11")
        _render(ax.figure, f"network_growth_{figure}")
    with pytest.raises(ValueError, match="1.10"):
        plots.network_growth("1.12")

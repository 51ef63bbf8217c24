"""Conceptual figures drawn by code: neurons, the Mark I perceptron, a computational
graph, dropout, a LeNet-style network, a grid of digits and the active sub-network of
a ReLU net.

Every function draws on `ax` (or on `fig` for the two-panel figures; a new figure is
made when it is None), returns the Axes (or the Figure), draws a title and labels every
part with text. Colours come from matplotlib's colour-blind-safe "tab10" cycle; parts
that are switched off (dropped or inactive units) are grey *and* marked another way
(a cross, a dashed outline), so the figures read in black and white too. Nothing is
random except through a seeded Generator, so each figure is the same on every run.

ALT[name] is a text alternative for each figure (also its `.alt` attribute), for the
notebooks' alt text and for screen readers. Each docstring credits the published
figure the drawing follows.
"""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, Ellipse, FancyArrowPatch, Rectangle

from mlcourse import nn
from mlcourse.validation import as_rng

__all__ = ["ALT", "biological_neuron", "mark1_perceptron", "mlp_graph", "mlp_graph_paths",
           "dropout_network", "dropout_masks", "lenet", "lenet_shapes", "digit_grid",
           "relu_subnetwork", "relu_pattern"]

COLORS = plt.get_cmap("tab10").colors
BLUE, ORANGE, GREEN, RED, PURPLE = COLORS[0], COLORS[1], COLORS[2], COLORS[3], COLORS[4]
GREY = "0.75"

ALT = {
    "biological_neuron": (
        "Two panels. Left: a cartoon of a biological neuron: branching dendrites on the left "
        "collect signals into the soma (cell body, with its nucleus); a long axon leaves the "
        "soma to the right and ends in axon terminals, where a synapse passes the signal to "
        "the next cell. Right: the artificial neuron: inputs x1, x2, x3 enter along edges "
        "with weights w1, w2, w3 into a summation node z = sum of w_i x_i + b, followed by an "
        "activation g, whose output h = g(z) leaves along the 'axon'. Matching colours pair "
        "dendrites with inputs, synapses with weights, soma with the sum and the axon with "
        "the activation and output."),
    "mark1_perceptron": (
        "The organisation of Rosenblatt's Mark I perceptron, left to right: a retina of 20 by "
        "20 = 400 photocells (sensory units); thin grey lines, random and fixed, connect small "
        "groups of photocells to the 512 association units (a few are drawn); every "
        "association unit connects to each of the 8 response units through an adjustable "
        "weight, drawn as coloured lines whose thickness shows the weight's size."),
    "mlp_graph": (
        "The computational graph of the lecture 5 network y_hat = sigmoid(W2^T sigmoid(W1^T x)) "
        "with cross-entropy and the penalty (lambda/2)(||W1||^2 + ||W2||^2). Inputs and parameters "
        "x, W1, W2, y and lambda are boxes; operations are circles producing a1 = W1^T x, "
        "h = sigmoid(a1), a2 = W2^T h, y_hat = sigmoid(a2), the cross-entropy J, "
        "u1 = ||W1||^2, u2 = ||W2||^2, u3 = (lambda/2)(u1 + u2) and the loss l = J + u3. The two "
        "paths from W1 to the loss, through a1, h, a2, y_hat, J and through u1, u3, are "
        "highlighted in red: dl/dW1 is the sum of the contributions of these two paths."),
    "dropout_network": (
        "Two copies of a network with 4 inputs, two hidden layers of 5 units and 2 outputs. "
        "Left, the standard network: every unit connected to every unit of the next layer. "
        "Right, the same network after dropout: some input and hidden units are greyed and "
        "crossed out, and all their connections are removed, leaving a thinned network."),
    "lenet": (
        "A LeNet-5-style convolutional network, left to right: a 32 by 32 input image; "
        "convolutions with 5 by 5 receptive fields give C1, 6 feature maps of 28 by 28; 2 by "
        "2 subsampling gives S2, 6 maps of 14 by 14; 5 by 5 convolutions give C3, 16 maps of "
        "10 by 10; 2 by 2 subsampling gives S4, 16 maps of 5 by 5; then full connections to "
        "C5 (120 units), F6 (84 units) and the 10 outputs. A small square on each layer shows "
        "the receptive field of one unit of the next layer."),
    "digit_grid": (
        "A grid of handwritten digit images, grey levels, each with its label written above "
        "it."),
    "relu_subnetwork": (
        "Two copies of a small random ReLU network with 3 inputs, three hidden layers of 6 "
        "units and 2 outputs, for one input. Left, forward: the units whose pre-activation is "
        "positive are coloured and their connections drawn in blue; the inactive units "
        "(output 0) are grey with a dashed outline and their connections faint. Right, "
        "backward: the gradient flows back (orange) only along the same active sub-network; "
        "the weights of edges touching an inactive unit get zero gradient."),
}


def _alt(name):
    """Decorator: attach ALT[name] to the function as its `.alt` attribute."""
    def attach(fn):
        fn.alt = ALT[name]
        return fn
    return attach


def _canvas(ax, figsize, xlim, ylim):
    """A blank Axes (no frame, no ticks) with fixed limits and equal aspect."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def _panels(fig, ncols, figsize):
    """`ncols` blank side-by-side Axes on `fig` (a new constrained-layout figure if None)."""
    if fig is None:
        fig = plt.figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots(1, ncols)


def _arrow(ax, p, q, color="k", lw=1.2, style="-|>", shrink=0.0, ls="-", alpha=1.0, gid=None):
    """An arrow from point p to point q (data coordinates)."""
    arrow = FancyArrowPatch(p, q, arrowstyle=style, mutation_scale=10, color=color, lw=lw,
                            shrinkA=shrink, shrinkB=shrink, linestyle=ls, alpha=alpha, zorder=1)
    arrow.set_gid(gid)
    ax.add_patch(arrow)
    return arrow


def _unit(ax, xy, r, color, label=None, gid=None, dashed=False, fontsize=9):
    """A unit drawn as a circle of radius r, optionally with a centred label."""
    circle = Circle(xy, r, facecolor=color, edgecolor="k", lw=1.0, zorder=3,
                    linestyle="--" if dashed else "-")
    circle.set_gid(gid)
    ax.add_patch(circle)
    if label is not None:
        ax.text(*xy, label, ha="center", va="center", fontsize=fontsize, zorder=4)
    return circle


# ------------------------------------------------------------- 1. the neuron

def _draw_dendrites(ax, soma, rng):
    """Branching dendrites to the left of the soma; returns the tips (where inputs arrive)."""
    tips = []
    for angle in np.deg2rad([140, 180, 220]):
        base = soma + 0.55 * np.array([np.cos(angle), np.sin(angle)])
        mid = soma + 1.5 * np.array([np.cos(angle), np.sin(angle)])
        ax.plot(*np.c_[base, mid], color=BLUE, lw=2.5, solid_capstyle="round")
        for turn in (-0.35, 0.35):
            a = angle + turn + rng.uniform(-0.1, 0.1)
            tip = mid + 0.8 * np.array([np.cos(a), np.sin(a)])
            ax.plot(*np.c_[mid, tip], color=BLUE, lw=1.5, solid_capstyle="round")
            tips.append(tip)
    return tips


def _draw_biological(ax):
    """The biological half: dendrites, soma with nucleus, axon, terminals and a synapse."""
    soma = np.array([3.0, 2.0])
    _draw_dendrites(ax, soma, np.random.default_rng(0))
    ax.add_patch(Ellipse(soma, 1.3, 1.1, facecolor=GREEN, edgecolor="k", alpha=0.8, zorder=3))
    ax.add_patch(Circle(soma, 0.2, facecolor="0.3", zorder=4))
    ax.plot([3.65, 7.2], [2.0, 2.0], color=RED, lw=3, zorder=2)           # the axon
    for dy in (-0.5, 0.0, 0.5):                                              # axon terminals
        ax.plot([7.2, 7.8], [2.0, 2.0 + dy], color=RED, lw=1.5)
        ax.add_patch(Circle((7.85, 2.0 + dy), 0.09, color=ORANGE, zorder=4))
    ax.plot([8.0, 8.9], [2.58, 3.3], color="0.4", lw=2)                      # next cell
    for text, xy, xytext in [("dendrites", (1.4, 3.0), (0.5, 4.2)),
                             ("soma (cell body)", (3.0, 2.5), (2.7, 3.8)),
                             ("nucleus", (3.0, 2.0), (3.0, 0.4)),
                             ("axon", (5.5, 2.0), (5.0, 3.0)),
                             ("synapse", (7.93, 2.55), (7.0, 3.9)),
                             ("axon terminals", (7.8, 1.5), (6.9, 0.4))]:
        ax.annotate(text, xy, xytext, fontsize=9, ha="center",
                    arrowprops=dict(arrowstyle="-", color="0.3", lw=0.8))
    ax.set_title("Biological neuron (cartoon)")


def _draw_artificial(ax):
    """The artificial half: inputs, weights, the weighted sum, the activation, the output."""
    s, g = np.array([4.0, 2.0]), np.array([6.0, 2.0])
    for i, y in enumerate((3.4, 2.0, 0.6)):
        x = np.array([1.0, y])
        _unit(ax, x, 0.32, BLUE, f"$x_{i + 1}$")
        _arrow(ax, x, s, color=ORANGE, lw=2, shrink=12)
        ax.text(*(0.55 * x + 0.45 * s + [0, 0.22]), f"$w_{i + 1}$", color="k", fontsize=10,
                ha="center")
    _unit(ax, s, 0.5, GREEN, r"$\Sigma$", fontsize=14)
    ax.text(4.0, 0.95, r"$z = \sum_i w_i x_i + b$", ha="center", fontsize=9)
    ax.add_patch(Rectangle(g - 0.45, 0.9, 0.9, facecolor=RED, alpha=0.8, edgecolor="k",
                           zorder=3))
    ax.text(*g, "$g$", ha="center", va="center", fontsize=13, zorder=4)
    _arrow(ax, s + [0.5, 0], g - [0.45, 0], lw=1.5)
    _arrow(ax, g + [0.45, 0], (8.3, 2.0), color=RED, lw=2.5)
    ax.text(8.3, 2.3, "$h = g(z)$", ha="center", fontsize=10)
    for text, x in [("inputs\n(dendrites)", 0.8), ("weights\n(synapses)", 2.5),
                    ("sum\n(soma)", 4.1), ("activation\n(firing)", 6.0),
                    ("output\n(axon)", 8.0)]:
        ax.text(x, 4.1, text, ha="center", va="bottom", fontsize=8.5)
    ax.set_title("Artificial neuron")


@_alt("biological_neuron")
def biological_neuron(fig=None):
    """A biological neuron next to the artificial one, parts paired by colour: dendrites ->
    inputs x_i, synapses -> weights w_i, soma -> the sum z = Σ w_i x_i + b, axon ->
    activation and output h = g(z).

    Follows the usual textbook pairing, e.g. the biological-neuron cartoon and its
    "mathematical model" in the CS231n notes (Karpathy, "Neural Networks Part 1"). The
    biology is a cartoon: the "spherical cow" of lecture 4.  Returns: the Figure.
    """
    fig, (left, right) = _panels(fig, 2, (10, 3.3))
    for ax in (left, right):
        _canvas(ax, None, (0, 9), (0, 4.8))
    _draw_biological(left)
    _draw_artificial(right)
    fig.suptitle("From the biological neuron to the artificial one")
    return fig


# ------------------------------------------------------- 2. the Mark I perceptron

def _draw_retina(ax, origin, side, cells):
    """A `cells` x `cells` grid of photocells of total width `side`; returns their centres."""
    step = side / cells
    centres = []
    for i in range(cells):
        for j in range(cells):
            corner = (origin[0] + j * step, origin[1] + i * step)
            ax.add_patch(Rectangle(corner, step, step, facecolor="#fff3b0", edgecolor="0.5",
                                   lw=0.4, zorder=2))
            centres.append((corner[0] + step / 2, corner[1] + step / 2))
    return np.array(centres)


@_alt("mark1_perceptron")
def mark1_perceptron(ax=None, n_assoc=10, n_resp=3, seed=0):
    """The organisation of Rosenblatt's Mark I perceptron: a "retina" of 20x20 = 400
    photocells (S-units) -> 512 association units (A-units) through random connections
    that were wired on a plug-board and stayed fixed -> 8 response units (R-units) through
    adjustable weights (motor-driven potentiometers), the only part that learns. Each
    response unit is a binary linear classifier of the A-units' outputs.

    Follows Rosenblatt (1958), fig. 1 ("organization of a perceptron"), and the Mark I
    (1960) as described in its operators' manual; only n_assoc of the 512 A-units and
    n_resp of the 8 R-units are drawn, with seeded random wiring (seed).  Returns: the Axes.
    """
    rng = as_rng(seed)
    ax = _canvas(ax, (8, 4.6), (-0.2, 10.0), (-1.1, 5.5))
    pixels = _draw_retina(ax, (0.0, 0.5), 4.0, 20)
    a_units = np.c_[np.full(n_assoc, 6.2), np.linspace(4.6, 0.4, n_assoc)]
    r_units = np.c_[np.full(n_resp, 9.0), np.linspace(3.8, 1.2, n_resp)]
    for a in a_units:                               # each A-unit sees a few random photocells
        for p in pixels[rng.choice(len(pixels), size=4, replace=False)]:
            ax.plot([p[0], a[0]], [p[1], a[1]], color="0.35", lw=0.5, alpha=0.7, zorder=2.5)
            ax.plot(*p, marker="s", ms=2.5, color="0.2", zorder=2.6)
    weights = rng.normal(size=(n_assoc, n_resp))
    for i, a in enumerate(a_units):                 # every A-unit feeds every R-unit
        for k, r in enumerate(r_units):
            ax.plot([a[0], r[0]], [a[1], r[1]], lw=0.4 + 1.6 * abs(weights[i, k]), zorder=1,
                    color=ORANGE if weights[i, k] > 0 else BLUE)
    for a in a_units:
        _unit(ax, a, 0.17, GREEN)
    for k, r in enumerate(r_units):
        _unit(ax, r, 0.3, RED, f"$R_{k + 1}$", fontsize=8)
    labels = [(2.0, 4.95, "retina: 20×20 = 400\nphotocells (S-units)"),
              (6.2, 5.15, "512 association units\n(A-units; 10 drawn)"),
              (9.0, 4.45, "8 response\nunits (3 drawn)"),
              (5.0, -0.55, "random, fixed\nconnections (plug-board)"),
              (8.2, -0.55, "adjustable weights, learned\n(orange w > 0, blue w < 0)")]
    for x, y, text in labels:
        ax.text(x, y, text, ha="center", va="center", fontsize=9)
    ax.set_title("Mark I perceptron (Rosenblatt 1958/1960)")
    return ax


# --------------------------------------------- 3. the computational graph of lecture 5

#: name -> (x, y, symbol drawn in the node, value label, kind, side); kind "var" is a box
#: (input, label or parameter), "op" a circle (an operation and the value it produces);
#: side: +1 writes the value above the node, -1 below.
MLP_NODES = {
    "x": (0.0, 3.0, "$x$", None, "var", 0),
    "W1": (0.0, 1.5, "$W_1$", None, "var", 0),
    "a1": (1.7, 3.0, r"$\times$", r"$a_1 = W_1^\top x$", "op", 1),
    "h": (3.4, 3.0, r"$\sigma$", r"$h = \sigma(a_1)$", "op", 1),
    "W2": (3.4, 1.5, "$W_2$", None, "var", 0),
    "a2": (5.1, 3.0, r"$\times$", r"$a_2 = W_2^\top h$", "op", 1),
    "yhat": (6.8, 3.0, r"$\sigma$", r"$\hat y = \sigma(a_2)$", "op", 1),
    "y": (6.8, 4.5, "$y$", None, "var", 0),
    "J": (8.5, 3.0, "CE", r"$J = \mathrm{CE}(\hat y, y)$", "op", 1),
    "u1": (1.7, 0.2, r"$\|\cdot\|^2$", r"$u_1 = \|W_1\|^2$", "op", -1),
    "u2": (5.1, 0.2, r"$\|\cdot\|^2$", r"$u_2 = \|W_2\|^2$", "op", 1),
    "lam": (8.5, -0.8, r"$\lambda$", None, "var", 0),
    "u3": (6.8, -0.8, r"$+,\times$", r"$u_3 = \frac{\lambda}{2}(u_1 + u_2)$", "op", -1),
    "loss": (10.0, 1.2, "$+$", r"$\ell = J + u_3$", "op", 1),
}
MLP_EDGES = (("x", "a1"), ("W1", "a1"), ("a1", "h"), ("h", "a2"), ("W2", "a2"),
             ("a2", "yhat"), ("yhat", "J"), ("y", "J"), ("W1", "u1"), ("W2", "u2"),
             ("u1", "u3"), ("u2", "u3"), ("lam", "u3"), ("J", "loss"), ("u3", "loss"))


def _reachable(start, edges):
    """The nodes reachable from `start` along the directed `edges` (start included)."""
    seen, frontier = {start}, [start]
    while frontier:
        node = frontier.pop()
        for a, b in edges:
            if a == node and b not in seen:
                seen.add(b)
                frontier.append(b)
    return seen


def mlp_graph_paths(source="W1", target="loss", edges=MLP_EDGES):
    """The edges that lie on at least one directed path from `source` to `target`.

    By the total-derivative rule, ∂target/∂source is the sum over exactly these paths of
    the products of the local derivatives.  Returns: a set of (from, to) pairs.
    """
    names = {n for e in edges for n in e}
    if source not in names or target not in names:
        raise ValueError(f"source and target must be nodes of the graph {sorted(names)}; "
                         f"got {source!r}, {target!r}")
    reached = _reachable(source, edges)
    reaches = _reachable(target, [(b, a) for a, b in edges])   # reach target = reached backwards
    return {(a, b) for a, b in edges if a in reached and b in reaches}


def _draw_graph_node(ax, x, y, symbol, value, kind, side, r=0.4):
    """One node of the graph: a box (variable) or a circle (operation) with its value."""
    if kind == "var":
        ax.add_patch(Rectangle((x - r, y - 0.3), 2 * r, 0.6, facecolor="#dde8f5",
                               edgecolor="k", zorder=3))
    else:
        ax.add_patch(Circle((x, y), r, facecolor="white", edgecolor="k", zorder=3))
    ax.text(x, y, symbol, ha="center", va="center", fontsize=10, zorder=4)
    if value is not None:
        ax.text(x, y + 0.5 * side, value, ha="center", va="bottom" if side > 0 else "top",
                fontsize=8.5)


@_alt("mlp_graph")
def mlp_graph(ax=None, source="W1"):
    """The computational graph of lecture 5's worked example,
    ŷ = σ(W₂ᵀσ(W₁ᵀx)), ℓ = cross-entropy(ŷ, y) + λ/2 (‖W₁‖² + ‖W₂‖²), with the lecture's
    names a₁, h, a₂, ŷ for the forward values and u₁ = ‖W₁‖², u₂ = ‖W₂‖²,
    u₃ = λ/2 (u₁ + u₂) for the penalty's (the course's L2 convention; Goodfellow et al. write λ). The edges on the paths from `source` (default W₁)
    to ℓ are drawn thick and red: ∂ℓ/∂W₁ is the sum of one term per path,
    x(∂ℓ/∂a₁)ᵀ + λW₁.

    Follows Goodfellow, Bengio & Courville (2016), fig. 6.11 (the graph of an MLP's cost
    with cross-entropy and weight decay).  Returns: the Axes.
    """
    ax = _canvas(ax, (10, 5.4), (-0.6, 10.8), (-2.3, 5.0))
    hot = mlp_graph_paths(source)
    for a, b in MLP_EDGES:
        p, q = np.array(MLP_NODES[a][:2]), np.array(MLP_NODES[b][:2])
        on_path = (a, b) in hot
        _arrow(ax, p, q, color=RED if on_path else "0.35", lw=2.6 if on_path else 1.0,
               shrink=14, gid="path" if on_path else "edge")
    for node in MLP_NODES.values():
        _draw_graph_node(ax, *node)
    formula = {"W1": r"$\partial\ell/\partial W_1 = x\,(\partial\ell/\partial a_1)^\top"
                     r" + \lambda W_1$  (one term per path)"}.get(source, "")
    ax.text(5.0, -2.1, f"red: the paths from {MLP_NODES[source][2]} to " r"$\ell$;  " + formula,
            ha="center", fontsize=9, color=RED)
    ax.set_title("Computational graph of the 1-hidden-layer MLP with an L2 penalty (lecture 5)")
    return ax


# ------------------------------------------------------------------ 4. dropout

def dropout_masks(sizes, p_hidden=0.5, p_input=0.2, seed=0):
    """Keep-masks of dropout for a network with layer sizes [n_0, ..., n_L]: unit i of a
    hidden layer is dropped with probability p_hidden, an input with p_input, outputs are
    never dropped; at least one unit of each layer is kept (for a readable picture).

    Returns: a list of L + 1 boolean arrays, True = kept.
    """
    sizes = [int(n) for n in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes must list >= 2 positive layer sizes; got {sizes}")
    for name, p in (("p_hidden", p_hidden), ("p_input", p_input)):
        if not 0.0 <= p < 1.0:
            raise ValueError(f"{name} must be a probability in [0, 1); got {p}")
    rng = as_rng(seed)
    masks = []
    for l, n in enumerate(sizes):
        p = 0.0 if l == len(sizes) - 1 else (p_input if l == 0 else p_hidden)
        keep = rng.random(n) >= p
        if not keep.any():
            keep[rng.integers(n)] = True
        masks.append(keep)
    return masks


def _layer_positions(sizes, width, height):
    """Centres of the units of a layered network: one column per layer, centred rows."""
    xs = np.linspace(0.0, width, len(sizes))
    step = height / max(max(sizes) - 1, 1)
    return [np.c_[np.full(n, x), (np.arange(n)[::-1] - (n - 1) / 2) * step + height / 2]
            for x, n in zip(xs, sizes)]


def _draw_layered(ax, sizes, masks, r=0.22):
    """A fully connected layered network; units whose mask is False are crossed out and
    their edges left out. Returns the unit positions."""
    pos = _layer_positions(sizes, 6.0, 4.0)
    for l in range(len(sizes) - 1):
        for i, p in enumerate(pos[l]):
            for j, q in enumerate(pos[l + 1]):
                if masks[l][i] and masks[l + 1][j]:
                    ax.plot(*np.c_[p, q], color="0.3", lw=0.7, zorder=1)
    for l, layer in enumerate(pos):
        for i, p in enumerate(layer):
            kept = masks[l][i]
            _unit(ax, p, r, COLORS[l % 10] if kept else GREY, gid="kept" if kept else "dropped")
            if not kept:
                for d in (1, -1):
                    ax.plot([p[0] - r, p[0] + r], [p[1] - d * r, p[1] + d * r], color="k",
                            lw=1.5, zorder=5, gid="cross")
    return pos


@_alt("dropout_network")
def dropout_network(fig=None, sizes=(4, 5, 5, 2), masks=None, seed=1):
    """A network before and after dropout: left the standard network, right a thinned
    network in which the dropped units (grey, crossed out) and all their connections
    are removed. masks: keep-masks as from dropout_masks (default dropout_masks(sizes,
    seed=seed)).

    Follows Srivastava et al. (2014), fig. 1.  Returns: the Figure.
    """
    sizes = [int(n) for n in sizes]
    masks = dropout_masks(sizes, seed=seed) if masks is None else [np.asarray(m, bool)
                                                                   for m in masks]
    if [m.shape for m in masks] != [(n,) for n in sizes]:
        raise ValueError(f"masks must hold one boolean vector per layer of sizes {sizes}")
    fig, (left, right) = _panels(fig, 2, (9, 3.8))
    for ax, title, m in ((left, "(a) standard network", [np.ones(n, bool) for n in sizes]),
                         (right, "(b) after dropout (one random thinning)", masks)):
        _canvas(ax, None, (-0.6, 6.6), (-0.9, 4.5))
        pos = _draw_layered(ax, sizes, m)
        names = ["input"] + [f"hidden {l}" for l in range(1, len(sizes) - 1)] + ["output"]
        for layer, name in zip(pos, names):
            ax.text(layer[0, 0], -0.6, name, ha="center", fontsize=9)
        ax.set_title(title)
    fig.suptitle("Dropout: crossed-out units and their connections are removed")
    return fig


# ----------------------------------------------------------------- 5. LeNet

def lenet_shapes(size=32, kernel=5, pool=2, maps=(6, 16), dense=(120, 84, 10)):
    """Layer shapes of a LeNet-5-style network: for each convolution ("valid", stride 1)
    side -> side - kernel + 1, for each subsampling side -> side // pool.

    Returns: a list of (name, n_maps, side) with side None for the dense layers.
    """
    shapes, side = [("INPUT", 1, size)], size
    for k, n_maps in enumerate(maps):
        side = side - kernel + 1
        if side < pool:
            raise ValueError(f"a {size}x{size} input is too small for {len(maps)} stages of "
                             f"{kernel}x{kernel} convolutions and {pool}x{pool} subsampling")
        shapes.append((f"C{2 * k + 1}", n_maps, side))
        side //= pool
        shapes.append((f"S{2 * k + 2}", n_maps, side))
    names = [f"C{2 * len(maps) + 1}", f"F{2 * len(maps) + 2}", "OUTPUT"]
    return shapes + [(name, n, None) for name, n in zip(names, dense)]


def _draw_stack(ax, x, n_maps, side, scale, color, offset=0.13):
    """A stack of (at most 4 drawn) square feature maps; returns the front map's
    lower-left corner and side length."""
    drawn = min(n_maps, 4)
    for k in range(drawn - 1, -1, -1):          # back to front
        corner = (x + k * offset, k * offset - side * scale / 2)
        ax.add_patch(Rectangle(corner, side * scale, side * scale, facecolor=color,
                               edgecolor="k", lw=0.8, alpha=0.9, zorder=2 + drawn - k))
    return np.array([x, -side * scale / 2]), side * scale + (drawn - 1) * offset


def _receptive_field(ax, corner, side, field, scale, target):
    """A field x field square inside a map and the lines to the unit it feeds."""
    lo = corner + 0.55 * side - field * scale / 2
    ax.add_patch(Rectangle(lo, field * scale, field * scale, facecolor="none",
                           edgecolor="k", lw=1.2, zorder=9))
    for c in (lo, lo + [field * scale, field * scale]):
        ax.plot([c[0], target[0]], [c[1], target[1]], color="k", lw=0.6, zorder=9)


@_alt("lenet")
def lenet(ax=None, kernel=5, pool=2):
    """A LeNet-5-style convolutional network: a 32x32 input, convolutions with
    kernel x kernel receptive fields (shared weights) giving feature maps, pool x pool
    subsampling, again both, then full connections to 120, 84 and 10 units. Map sizes
    are computed by lenet_shapes; a square on each map marks one unit's receptive field.

    Follows LeCun, Bottou, Bengio & Haffner (1998), fig. 2 (the architecture of LeNet-5).
    Returns: the Axes.
    """
    ax = _canvas(ax, (12, 3.4), (-0.3, 14.0), (-2.6, 2.6))
    ops = [f"convolutions\n{kernel}×{kernel}", f"subsampling\n{pool}×{pool}"] * 2 + \
        ["full\nconnection"] * 2 + ["Gaussian\nconnections"]
    x, scale, prev = 0.0, 0.08, None
    for k, (name, n, side) in enumerate(lenet_shapes(kernel=kernel, pool=pool)):
        if side is None:                                        # a dense layer: a column
            h = 0.35 + 0.012 * n
            ax.add_patch(Rectangle((x, -h / 2), 0.3, h, facecolor=COLORS[k % 10],
                                   edgecolor="k", zorder=3))
            front, width, map_side = np.array([x, 0.0]), 0.3, 0.3
            label = f"{name}\n{n} units"
        else:
            front, width = _draw_stack(ax, x, n, side, scale, COLORS[k % 10])
            map_side = side * scale
            label = f"{name}\n{n}@{side}×{side}" if k else f"{name}\n{side}×{side}"
        ax.text(x + width / 2 + 0.2, 2.1, label, ha="center", va="center", fontsize=8.5)
        if prev is not None:
            field = kernel if "conv" in ops[k - 1] else pool
            if prev[2] is not None and side is not None:
                _receptive_field(ax, prev[0], prev[1], field, scale, front + map_side * 0.55)
            ax.text((prev[3] + x) / 2, -2.3, ops[k - 1], ha="center", va="center", fontsize=8)
        prev = (front, map_side, side, x + width)
        x += width + (1.0 if side is not None else 1.35)
    ax.set_xlim(-0.3, x - 0.8)
    ax.set_title("A LeNet-5-style convolutional network (after LeCun et al. 1998, fig. 2)")
    return ax


# ---------------------------------------------------------------- 6. digits

def _as_images(images):
    """(n, side*side) or (n, h, w) grey levels -> (n, h, w) float array."""
    images = np.asarray(images, dtype=float)
    if images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        if side * side != images.shape[1]:
            raise ValueError(f"images must be (n, h, w) or (n, side*side) with square images; "
                             f"got shape {images.shape}")
        images = images.reshape(-1, side, side)
    if images.ndim != 3 or images.shape[0] == 0:
        raise ValueError(f"images must be a non-empty (n, h, w) or (n, side*side) array; "
                         f"got shape {images.shape}")
    return images


@_alt("digit_grid")
def digit_grid(images, labels, ncols=10, fig=None, title="Handwritten digits and their labels"):
    """A grid of digit images, each titled with its label.

    images: (n, h, w) or (n, side*side) grey levels (e.g. rows of load_digits().X_train);
    labels: (n,) integers; ncols: images per row.  Returns: the Figure.
    """
    images = _as_images(images)
    labels = np.asarray(labels)
    if labels.shape != (images.shape[0],):
        raise ValueError(f"labels must hold one label per image ({images.shape[0]},); "
                         f"got shape {labels.shape}")
    n, ncols = images.shape[0], max(1, min(int(ncols), images.shape[0]))
    nrows = -(-n // ncols)
    if fig is None:
        fig = plt.figure(figsize=(0.9 * ncols, 1.05 * nrows + 0.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for k, ax in enumerate(axes):
        ax.axis("off")
        if k < n:
            ax.imshow(images[k], cmap="gray_r", vmin=0.0, vmax=max(1.0, images.max()))
            ax.set_title(f"label {labels[k]}", fontsize=8)
    fig.suptitle(title)
    return fig


# ------------------------------------------------- 7. the active ReLU sub-network

def relu_pattern(params, x):
    """Which hidden units of a ReLU network are active (pre-activation > 0) for input x.

    params: [(W_l, b_l)] as from mlcourse.nn.init_params; x: (n_0,) one input.
    Returns: a list with one boolean vector per hidden layer.
    """
    _, caches = nn.forward(params, np.asarray(x, float).reshape(1, -1), hidden="relu",
                           output="identity")
    return [Z[0] > 0 for _, _, Z in caches[:-1]]


def _draw_relu_panel(ax, pos, active, color, title):
    """Edges and units of the network; only edges between active units carry signal."""
    for l in range(len(pos) - 1):
        for i, p in enumerate(pos[l]):
            for j, q in enumerate(pos[l + 1]):
                on = active[l][i] and active[l + 1][j]
                ax.plot(*np.c_[p, q], color=color if on else "0.85", lw=1.8 if on else 0.5,
                        zorder=2 if on else 1, gid="active-edge" if on else "edge")
    for l, layer in enumerate(pos):
        for i, p in enumerate(layer):
            hidden = 0 < l < len(pos) - 1
            on = active[l][i]
            gid = "active" if on else "inactive"
            _unit(ax, p, 0.2, COLORS[l % 10] if on else GREY, gid=gid if hidden else "io",
                  dashed=not on)
    ax.set_title(title)


@_alt("relu_subnetwork")
def relu_subnetwork(fig=None, sizes=(3, 6, 6, 6, 2), seed=0, x=None):
    """The sparse propagation through a ReLU network for one input: a real random network
    (He-normal weights, zero biases, seeded) is run on x (default: a seeded standard normal
    input); units with pre-activation <= 0 output 0 (grey, dashed outline). Forward (left),
    the signal flows only along the active sub-network; backward (right), so does the
    gradient, because ReLU'(z) = 0 for those units. On the active units the network is
    linear.

    Follows the sparse-propagation figure of Glorot, Bordes & Bengio (2011).
    Returns: the Figure.
    """
    rng = as_rng(seed)
    params = nn.init_params(list(sizes), rng, init="he_normal")
    x = rng.normal(size=sizes[0]) if x is None else np.asarray(x, float)
    pattern = relu_pattern(params, x)
    active = [np.ones(sizes[0], bool)] + pattern + [np.ones(sizes[-1], bool)]
    pos = _layer_positions(sizes, 6.0, 4.0)
    fig, (left, right) = _panels(fig, 2, (10, 4))
    for ax, color, title in ((left, BLUE, "forward: activations"),
                             (right, ORANGE, "backward: gradients")):
        _canvas(ax, None, (-0.5, 6.5), (-0.9, 4.4))
        _draw_relu_panel(ax, pos, active, color, title)
        for layer, name in zip(pos, ["input x"] + [f"ReLU {l}" for l in
                                                   range(1, len(sizes) - 1)] + ["output"]):
            ax.text(layer[0, 0], -0.65, name, ha="center", fontsize=9)
    n_on = sum(int(p.sum()) for p in pattern)
    fig.suptitle(f"One input selects the active sub-network: {n_on} of "
                 f"{sum(sizes[1:-1])} hidden units are on (grey = inactive, output 0)")
    return fig

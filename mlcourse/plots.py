"""One-line figures for the notebooks.

Every function draws on `ax` (a new figure is made with plt.subplots when ax is
None) and returns the Axes, with a title, labelled axes and a legend when
several things are drawn. Colours are colour-blind safe (matplotlib's "tab10"
for classes and lines, "viridis" for continuous values) and every class also
gets its own marker, so the figures read in black and white too.
"""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LinearSegmentedColormap

from mlcourse.mlp_examples import probability_grid, probability_of_class_1
from mlcourse.validation import as_array, as_matrix

__all__ = ["COLORS", "MARKERS", "new_figure", "scatter_classes", "decision_boundary",
           "loss_curve", "trajectory", "margin_losses", "classification_losses",
           "network_growth", "probability_map", "network", "BLUE_ORANGE"]

COLORS = plt.get_cmap("tab10").colors
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")

#: Probability of class 1 from light tab:blue (0) through white (0.5) to light tab:orange
#: (1): the class colours of plots.scatter_classes, pale enough for the points drawn on
#: top to stand out; blue/orange stays distinct with colour blindness.
BLUE_ORANGE = LinearSegmentedColormap.from_list(
    "blue_orange", ["#79aed4", "#ffffff", "#ffb26e"])


def _axes(ax, figsize=(5, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def new_figure(nrows=1, ncols=1, size=(5, 4)):
    """A figure with nrows x ncols axes, each `size` inches (width, height).
    Returns: (fig, axes) as plt.subplots (axes is a single Axes when 1 x 1)."""
    return plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows),
                        constrained_layout=True)


def scatter_classes(X, y, ax=None, title="Data", xlabel="$x_1$", ylabel="$x_2$",
                    labels=None, s=25, alpha=0.9):
    """Scatter plot of 2-D points, one colour and one marker per class.

    X: (n, 2) points; y: (n,) integer labels; labels: optional names of the
    classes (default "class k").  Returns: the Axes.
    """
    X = as_matrix(X, "X", n_features=2)
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have one label per row of X ({X.shape[0]},); got shape {y.shape}")
    ax = _axes(ax)
    for i, k in enumerate(np.unique(y)):
        pts = X[y == k]
        name = labels[i] if labels is not None else f"class {k}"
        ax.scatter(pts[:, 0], pts[:, 1], s=s, alpha=alpha, color=COLORS[i % 10],
                   marker=MARKERS[i % 10], edgecolors="k", linewidths=0.4, label=name)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend(loc="best", fontsize="small")
    return ax


def _grid(X, resolution, pad=0.1):
    lo, hi = X.min(axis=0), X.max(axis=0)
    margin = pad * np.maximum(hi - lo, 1e-9)
    xs = np.linspace(lo[0] - margin[0], hi[0] + margin[0], resolution)
    ys = np.linspace(lo[1] - margin[1], hi[1] + margin[1], resolution)
    xx, yy = np.meshgrid(xs, ys)
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def decision_boundary(predict_fn, X, y, ax=None, resolution=200, title="Decision boundary",
                      levels=None, colorbar=False, xlabel="$x_1$", ylabel="$x_2$"):
    """The regions a classifier assigns to each class, with the data on top.

    predict_fn: function of an (m, 2) array of points returning (m,) values --
        class labels (each region is tinted with its class colour), or, when
        `levels` is given, probabilities of class 1 (background in viridis from
        0 to 1, contour lines drawn at `levels`, e.g. (0.1, 0.5, 0.9)).
    X: (n, 2) points; y: (n,) labels; resolution: grid points per axis;
    colorbar: add a colour bar for the probabilities (adds an Axes to the figure).
    The background is an image (imshow), not a filled contour: fast enough to be
    redrawn by a widget.  Returns: the Axes.
    """
    X = as_matrix(X, "X", n_features=2)
    if not callable(predict_fn):
        raise TypeError(f"predict_fn must be a function of an (m, 2) array; "
                        f"got {type(predict_fn).__name__}")
    xx, yy, grid = _grid(X, int(resolution))
    Z = np.asarray(predict_fn(grid), dtype=float)
    if Z.size != grid.shape[0]:
        raise ValueError(f"predict_fn must return one value per point ({grid.shape[0]},); "
                         f"got shape {Z.shape}")
    Z = Z.reshape(xx.shape)
    ax = _axes(ax)
    extent = (xx[0, 0], xx[0, -1], yy[0, 0], yy[-1, 0])
    if levels is None:
        classes = np.unique(np.concatenate([np.unique(Z), np.unique(np.asarray(y, float))]))
        rgba = np.array([(*COLORS[i % 10], 0.25) for i in range(len(classes))])
        image = rgba[np.searchsorted(classes, Z)]           # (res, res, 4): one colour per class
        ax.imshow(image, origin="lower", extent=extent, aspect="auto", interpolation="nearest")
    else:
        im = ax.imshow(Z, origin="lower", extent=extent, aspect="auto", cmap="viridis",
                       vmin=0.0, vmax=1.0, alpha=0.4, interpolation="bilinear")
        lines = ax.contour(xx, yy, Z, levels=sorted(levels), colors="k", linewidths=1.0)
        ax.clabel(lines, fmt="%.2f", fontsize="small")
        if colorbar:
            ax.figure.colorbar(im, ax=ax, label="predicted probability")
    scatter_classes(X, y, ax=ax, title=title, xlabel=xlabel, ylabel=ylabel)
    return ax


def loss_curve(values, ax=None, xlabel="epoch", ylabel="loss", logy=False,
               title="Learning curve", start=1):
    """Line plot of one or several sequences (losses, accuracies ...).

    values: a sequence of numbers, or a dict name -> sequence (one line each,
        with a legend); start: x value of the first entry (1 for epochs, 0 for
        iterations that start at the initial point); logy: log-scale y axis.
    Returns: the Axes.
    """
    series = values if isinstance(values, dict) else {None: values}
    if not series:
        raise ValueError("values must hold at least one sequence")
    ax = _axes(ax)
    for i, (name, v) in enumerate(series.items()):
        v = as_array(v, f"values[{name!r}]" if name is not None else "values", ndim=1,
                     finite=False)
        x = np.arange(start, start + v.shape[0])
        ax.plot(x, v, color=COLORS[i % 10], marker=MARKERS[i % 10],
                markevery=max(1, v.shape[0] // 15), markersize=4, label=name)
    if logy:
        ax.set_yscale("log")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if len(series) > 1 or None not in series:
        ax.legend(loc="best", fontsize="small")
    ax.grid(True, alpha=0.3)
    return ax


def trajectory(path, loss_fn=None, ax=None, title="Optimization path", levels=30,
               xlabel="$w_1$", ylabel="$w_2$", pad=0.25, resolution=150):
    """An optimizer's path in a 2-D parameter space, over the loss contours.

    path: (k, 2) successive points; loss_fn: optional vectorized function of an
    (m, 2) array of points returning (m,) losses, drawn as viridis contours;
    levels: number (or list) of contour levels.  Returns: the Axes.
    """
    path = as_matrix(path, "path", n_features=2)
    ax = _axes(ax)
    if loss_fn is not None:
        xx, yy, grid = _grid(path, resolution, pad=pad)
        Z = np.asarray(loss_fn(grid), dtype=float).reshape(xx.shape)
        cs = ax.contour(xx, yy, Z, levels=levels, cmap="viridis", linewidths=0.8)
        ax.figure.colorbar(cs, ax=ax, label="loss")
    ax.plot(path[:, 0], path[:, 1], color=COLORS[1], marker=".", markersize=5, lw=1.2,
            label=f"path ({path.shape[0] - 1} steps)")
    ax.plot(*path[0], marker="o", color=COLORS[0], markersize=8, ls="", label="start")
    ax.plot(*path[-1], marker="*", color=COLORS[3], markersize=12, ls="", label="end")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend(loc="best", fontsize="small")
    return ax


# ------------------------------------------- classification losses against the margin

def _sparsemax_loss(Z, k):
    """Sparsemax loss (Martins & Astudillo 2016, eq. 20) of scores Z (n, K) for class k:
    L(z; k) = -z_k + ½ Σ_{j ∈ S(z)} (z_j² - τ²) + ½, with S(z) the support of
    p = sparsemax(z) and τ its threshold (p_j = z_j - τ on S)."""
    from mlcourse.activations import sparsemax
    P = sparsemax(Z)
    support = P > 0
    tau = np.max(np.where(support, Z - P, -np.inf), axis=1, keepdims=True)  # equal on S
    return -Z[:, k] + 0.5 * np.sum(np.where(support, Z ** 2 - tau ** 2, 0.0), axis=1) + 0.5


def margin_losses(s):
    """Two-class losses as functions of the margin s = z₂ - z₁ (scores z = (z₁, z₂), the
    true class is 2), each computed from the scores:
    0/1: 1[s <= 0] (a tie counts as an error); hinge: max(0, 1 - s);
    logistic = cross-entropy: -log softmax(z)₂ = log(1 + e^{-s}) (natural log);
    squared: (1 - s)² (least squares on the margin, targets ±1);
    sparsemax: the sparsemax loss of z (0 for s >= 1, (1 - s)²/4 for |s| < 1, -s below).

    s: (m,) margins.  Returns: a dict name -> (m,) loss values.
    """
    from mlcourse.activations import log_softmax
    s = as_array(s, "s", ndim=1)
    Z = np.c_[np.zeros_like(s), s]                  # only the difference z₂ - z₁ matters
    return {"0/1": (s <= 0).astype(float), "hinge": np.maximum(0.0, 1.0 - s),
            "logistic (cross-entropy, natural log)": -log_softmax(Z)[:, 1],
            "squared": (1.0 - s) ** 2, "sparsemax": _sparsemax_loss(Z, 1)}


def classification_losses(ax=None, s=None, ylim=(-0.1, 4.0)):
    """The classification losses of margin_losses on one plot against the margin
    s = z₂ - z₁ of the true class 2 (s > 0: correctly classified).

    s: margins to plot (default 601 points in [-3, 3]).  Returns: the Axes.
    """
    s = np.linspace(-3.0, 3.0, 601) if s is None else as_array(s, "s", ndim=1)
    ax = _axes(ax, figsize=(6, 4))
    styles = ["-", "-", "--", ":", "-."]
    for i, (name, values) in enumerate(margin_losses(s).items()):
        ax.plot(s, values, color=COLORS[i], ls=styles[i], lw=2, label=name)
    ax.axvline(0.0, color="0.6", lw=0.8)
    ax.set(title="Classification losses against the margin", ylim=ylim,
           xlabel=r"margin $s = z_2 - z_1$ (true class 2)", ylabel="loss")
    ax.legend(loc="upper right", fontsize="small")
    ax.grid(True, alpha=0.3)
    return ax


# ------------------------------------------------------ growth of networks over time

#: The book's two figures: what each counts, and its y range (every drawn point inside).
GROWTH_FIGURES = {"1.11": ("number of neurons", 0, (0.3, 3e11)),
                  "1.10": ("connections per neuron", 1, (10, 1e4))}


def network_growth(figure="1.11", ax=None):
    """Growth of neural networks over time, after Goodfellow, Bengio & Courville (2016),
    figure 1.11 (number of neurons) or 1.10 (connections per neuron): only the values of
    mlcourse.data.NETWORK_SIZES that we could source are drawn, the book's animals as dashed
    lines, and on figure 1.11 a line doubling every 2.4 years (the book's rate) through the
    newest point.

    figure: "1.11" or "1.10"; ax: Axes (None: a new 7.5 x 4.6 in figure). Returns: the Axes.
    """
    from mlcourse.data import ANIMAL_SIZES, NETWORK_DOUBLING_YEARS, NETWORK_SIZES
    if figure not in GROWTH_FIGURES:
        raise ValueError(f"figure must be one of {sorted(GROWTH_FIGURES)}; got {figure!r}")
    what, column, ylim = GROWTH_FIGURES[figure]
    ax = _axes(ax, figsize=(7.5, 4.6))
    rows = [r for r in NETWORK_SIZES if r.figure == figure]
    known = [r for r in rows if r.value is not None]
    for i, r in enumerate(known):
        ax.plot(r.year, r.value, ls="", marker=MARKERS[i % 10], color=COLORS[i % 10], ms=8,
                label=f"{r.number}. {r.name} ({r.citation})")
    for name, sizes in ANIMAL_SIZES.items():
        if sizes[column]:
            ax.axhline(sizes[column], color="0.5", ls="--", lw=0.8)
            ax.text(2019, sizes[column] * 1.15, name, fontsize=8.5, color="0.3", ha="right")
    if figure == "1.11" and known:
        last, years = max(known, key=lambda r: r.year), np.linspace(1950, 2020, 50)
        ax.plot(years, last.value * 2.0 ** ((years - last.year) / NETWORK_DOUBLING_YEARS),
                color=COLORS[7], lw=1, label=f"doubling every {NETWORK_DOUBLING_YEARS} years "
                "(the book's rate)")
    ax.text(0.98, 0.02, f"{len(rows) - len(known)} of the book's {len(rows)} networks: value "
            "not verified,\nnot drawn (see mlcourse.data.NETWORK_SIZES)",
            transform=ax.transAxes, ha="right", va="bottom", fontsize=8.5)
    ax.set(yscale="log", xlim=(1950, 2020), ylim=ylim, xlabel="year",
           ylabel=f"{what} (log scale)",
           title=f"{what.capitalize()}, after Goodfellow et al. (2016), fig. {figure}")
    if known:
        ax.legend(loc="upper left", fontsize=8)
    return ax


# ------------------------------------------------------------------ lecture 4: networks

def probability_map(params, X, y, hidden="relu", ax=None, title="", resolution=80, s=14):
    """TensorFlow-Playground-style panel: P(class 1 | x) as a blue-white-orange
    image (white = 0.5), the 0.5 contour, and the points of each class.

    params: a 2-output softmax network; X: (n, 2); y: (n,); ax: Axes (None: a new one).
    Returns: the AxesImage (for a colorbar; its Axes is image.axes)."""
    ax = _axes(ax)
    extent, G = probability_grid(X, resolution)
    P = probability_of_class_1(params, G, hidden).reshape(resolution, resolution)
    image = ax.imshow(P, origin="lower", extent=extent, cmap=BLUE_ORANGE, vmin=0, vmax=1,
                      aspect="auto", interpolation="bilinear")
    if np.nanmin(P) < 0.5 < np.nanmax(P):
        xs = np.linspace(extent[0], extent[1], resolution)
        ys = np.linspace(extent[2], extent[3], resolution)
        ax.contour(xs, ys, P, levels=[0.5], colors="k", linewidths=1.0)
    for k, (marker, colour) in enumerate([("o", "tab:blue"), ("s", "tab:orange")]):
        ax.scatter(*X[y == k].T, s=s, marker=marker, c=colour, edgecolors="k",
                   linewidths=0.4, label=f"class {k}")
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$", xlim=extent[:2], ylim=extent[2:])
    return image


def network(sizes, ax=None, title="A fully connected feed-forward network"):
    """Draw an MLP with layer sizes [n_0, ..., n_L]: one column of nodes per layer
    (inputs blue, hidden units grey, outputs orange), every node of a layer joined
    to every node of the next.  ax: Axes (None: a new one).  Returns: the Axes."""
    ax = _axes(ax)
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes must hold >= 2 positive layer sizes; got {sizes!r}")
    ys = [np.linspace(-(n - 1) / 2, (n - 1) / 2, n) for n in sizes]
    for l in range(len(sizes) - 1):
        for y0 in ys[l]:
            for y1 in ys[l + 1]:
                ax.plot([l, l + 1], [y0, y1], color="0.65", lw=0.8, zorder=1)
    last = len(sizes) - 1
    for l, n in enumerate(sizes):
        colour = "tab:blue" if l == 0 else ("tab:orange" if l == last else "0.85")
        ax.scatter(np.full(n, l), ys[l], s=380, c=colour, edgecolors="k", zorder=2)
        name = "input" if l == 0 else ("output" if l == last else f"hidden {l}")
        ax.text(l, -max(sizes) / 2 - 0.35, f"{name}\n({n} units)", ha="center", va="top")
    ax.set(title=title, xlim=(-0.5, last + 0.5), ylim=(-max(sizes) / 2 - 1.4, max(sizes) / 2 + 0.5))
    ax.axis("off")
    return ax

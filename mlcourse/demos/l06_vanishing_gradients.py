"""Lecture 6 demo: back-propagated gradients layer by layer, for a chosen depth,
activation and initialization (after Glorot & Bengio, 2010, fig. 7)."""
import ipywidgets as widgets
import matplotlib
import numpy as np
from matplotlib.colors import BoundaryNorm

from mlcourse import data
from mlcourse.demos.base import FigureDemo
from mlcourse.vanishing import backprop_deltas, init_network
from mlcourse.validation import as_labels, as_matrix

#: label -> (hidden activation, initializer name of mlcourse.initializers)
SETUPS = {
    "sigmoid, standard U[±1/√n]": ("sigmoid", "fan_in_uniform"),
    "sigmoid, Glorot": ("sigmoid", "glorot_uniform"),
    "tanh, standard U[±1/√n]": ("tanh", "fan_in_uniform"),
    "tanh, Glorot": ("tanh", "glorot_uniform"),
    "ReLU, standard U[±1/√n]": ("relu", "fan_in_uniform"),
    "ReLU, He": ("relu", "he_normal"),
}


def layer_statistics(X, y, depth, hidden, init, width=100, seed=0, bins=None):
    """Back-propagated gradients of a freshly initialized net n_0-[width]×depth-10 (softmax):
    for each hidden layer, the histogram of log10 |∂ℓ_i/∂z| over examples and units, and
    the norm of the bias gradient ||∂C/∂b_l|| (Nielsen's speed of learning).

    X: (n, n_0); y: (n,) labels in 0..9; depth: number of hidden layers >= 1; hidden, init:
    activation and initializer names; bins: edges in log10 units.
    Returns: (hist (depth, len(bins) - 1) fractions, speeds (depth,)).
    """
    bins = np.linspace(-14, 1, 61) if bins is None else bins
    params = init_network([X.shape[1]] + [width] * depth + [10], seed, init)
    deltas, _ = backprop_deltas(params, X, y, hidden, "softmax")
    hist, speeds = [], []
    for D in deltas[:-1]:
        with np.errstate(divide="ignore"):
            logs = np.log10(np.abs(D.ravel()))
        hist.append(np.histogram(logs, bins=bins)[0] / D.size)
        speeds.append(np.linalg.norm(D.mean(axis=0)))
    return np.array(hist), np.array(speeds)


class GradientHistograms(FigureDemo):
    """Choose a depth and an activation/initialization pair; see the distribution of the
    back-propagated gradients |∂ℓ/∂z| of every hidden layer (left, log scale, one colour per
    layer) and the norm of each layer's bias gradient (right). Each choice is computed once,
    when first shown, and cached.

    X: (n, p) a small batch of inputs; y: (n,) labels in 0..9; max_depth: largest depth
    offered; width: units per hidden layer; seed: initialization seed.
    """

    def __init__(self, X, y, max_depth=10, width=100, seed=0, depth=5,
                 setup="sigmoid, standard U[±1/√n]"):
        self.X = as_matrix(X, "X")
        self.y = as_labels(y, "y", n=self.X.shape[0], classes=10)
        if setup not in SETUPS:
            raise ValueError(f"setup must be one of {list(SETUPS)}; got {setup!r}")
        self.width, self.seed, self.max_depth = int(width), int(seed), int(max_depth)
        self.bins = np.linspace(-14, 1, 61)
        self._cache = {}
        depth_slider = widgets.IntSlider(value=depth, min=1, max=self.max_depth,
                                         description="hidden layers", continuous_update=False,
                                         style={"description_width": "initial"})
        setup_menu = widgets.Dropdown(options=list(SETUPS), value=setup, description="setup")
        super().__init__({"depth": depth_slider, "setup": setup_menu}, figsize=(9.0, 3.6), ncols=2)
        self._build()
        self.refresh()

    def statistics(self, depth, setup):
        """(hist, speeds) of layer_statistics for one choice, cached."""
        key = (int(depth), setup)
        if key not in self._cache:
            hidden, init = SETUPS[setup]
            self._cache[key] = layer_statistics(self.X, self.y, int(depth), hidden, init,
                                                self.width, self.seed, self.bins)
        return self._cache[key]

    def _build(self):
        left, right = self.axes
        centres = (self.bins[:-1] + self.bins[1:]) / 2
        cmap = matplotlib.colormaps["viridis"]
        norm = BoundaryNorm(np.arange(0.5, self.max_depth + 1.5), cmap.N)
        self.lines = [left.plot(centres, np.zeros_like(centres), drawstyle="steps-mid",
                                color=cmap(norm(l + 1)), lw=1.6)[0]
                      for l in range(self.max_depth)]
        left.set(xlabel=r"$\log_{10}\,|\partial \ell / \partial z|$ (per example and unit)",
                 ylabel="fraction of values", xlim=(self.bins[0], self.bins[-1]), ylim=(0, 0.5))
        left.grid(True, alpha=0.3)
        self.title = left.set_title("Back-propagated gradients", fontsize=10)
        bar = self.fig.colorbar(matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap), ax=left,
                                ticks=range(1, self.max_depth + 1), pad=0.01)
        bar.set_label("hidden layer")
        self.speed_line, = right.plot([], [], "o-", color="tab:blue")
        right.set(xlabel="hidden layer (1 = next to the input)",
                  ylabel=r"$\|\partial C/\partial b_l\|$ (log scale)", yscale="log",
                  xlim=(0.5, self.max_depth + 0.5), ylim=(1e-12, 10),
                  xticks=np.arange(1, self.max_depth + 1),
                  title="Speed of learning of each layer")
        right.grid(True, alpha=0.3)
        self.animate(*self.lines, self.speed_line, self.title)

    def draw(self, depth, setup):
        hist, speeds = self.statistics(depth, setup)
        for l, line in enumerate(self.lines):
            line.set_visible(l < depth)
            if l < depth:
                line.set_ydata(hist[l])
        self.title.set_text(f"{setup}, {depth} hidden layer(s): gradients per layer")
        self.speed_line.set_data(np.arange(1, depth + 1), speeds)
        ratio = speeds[-1] / speeds[0]
        verdict = ("vanishing: the first layer learns much more slowly" if ratio > 10 else
                   "exploding: the first layer gets the largest gradients" if ratio < 0.1 else
                   "balanced: every layer learns at a similar speed")
        return (f"<b>{setup}, {depth} hidden layer(s) of {self.width} units</b>: "
                f"||∂C/∂b|| of the last hidden layer / first = <b>{ratio:,.3g}</b> ({verdict})")


def gradient_histograms():
    """The demo on 256 training digits from data.load_digits()."""
    d = data.load_digits()
    return GradientHistograms(d.X_train[:256].astype(np.float64), d.y_train[:256])


DEMOS = {"gradient_histograms": gradient_histograms}

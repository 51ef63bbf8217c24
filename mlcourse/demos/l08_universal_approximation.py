"""Lecture 8 demos: one hidden layer approximating a 1-D function, and the linear regions
of deep versus shallow ReLU networks on a 2-D input square."""
import ipywidgets as widgets
import numpy as np
from matplotlib.colors import ListedColormap

from mlcourse import uat
from mlcourse.demos.base import FigureDemo

#: name -> (f, a, b, Lipschitz constant on [a, b] or None)
FUNCTIONS = {
    "sin(3x) + x/2 on [0, π]": (lambda x: np.sin(3 * x) + 0.5 * x, 0.0, np.pi, 3.5),
    "|x - 1/3| on [-1, 1]": (lambda x: np.abs(x - 1 / 3), -1.0, 1.0, 1.0),
    "x² on [-1, 2]": (np.square, -1.0, 2.0, 4.0),
    "√|x| on [-1, 1] (not Lipschitz)": (lambda x: np.sqrt(np.abs(x)), -1.0, 1.0, None),
}


class ApproximationDemo(FigureDemo):
    """Slider over the number of hidden units n: left, the staircase Σ v_i step(x - c_i)
    with n steps; right, the 1-hidden-layer ReLU net with n units interpolating f at n + 2
    equally spaced points. The readout gives both sup errors (on a 2001-point grid).

    functions: dict name -> (f, a, b, Lipschitz constant or None); max_units: slider end.
    """

    def __init__(self, functions=None, max_units=64, n_grid=2001):
        self.functions = dict(FUNCTIONS if functions is None else functions)
        self.grids = {}
        for name, (f, a, b, _) in self.functions.items():
            x = np.linspace(a, b, n_grid)
            self.grids[name] = (x, np.asarray(f(x), dtype=float))
        first = next(iter(self.functions))
        function = widgets.Dropdown(options=list(self.functions), value=first, description="f")
        units = widgets.IntSlider(value=8, min=1, max=max_units, description="units n",
                                  continuous_update=True)
        super().__init__({"function": function, "units": units}, figsize=(9.0, 3.5), ncols=2)
        self._artists = {}
        for ax, label, colour in [(self.axes[0], "staircase", "tab:blue"),
                                  (self.axes[1], "ReLU net", "tab:orange")]:
            (target,) = ax.plot([], [], "k-", lw=1.5, label="f")
            (approx,) = ax.plot([], [], "-", color=colour, lw=1.8, label=label)
            (marks,) = ax.plot([], [], "o", color=colour, ms=4 if label == "ReLU net" else 3,
                               label="knots" if label == "ReLU net" else "step positions")
            ax.set(xlabel="x", ylabel="y")
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, fontsize=8)
            ax.grid(True, alpha=0.3)
            self._artists[label] = (target, approx, marks)
        # only the approximations and the titles change with n: blit them over a background
        # drawn once per function
        self.animate(*[a for label in self._artists for a in self._artists[label][1:]],
                     *[ax.title for ax in self.axes])
        for name in reversed(list(self.functions)):     # draw every background once, now
            function.value = name
        self.refresh()

    def background_key(self):
        return self.controls["function"].value

    def draw(self, function, units):
        f, a, b, lip = self.functions[function]
        x, y = self.grids[function]
        v, c = uat.staircase(f, a, b, units)
        stair = uat.staircase_eval(v, c, x)
        knots = np.linspace(a, b, units + 2)
        w, kc, a0, a1 = uat.relu_interpolant(knots, f(knots))
        relu = uat.relu_interpolant_eval(w, kc, a0, a1, x)
        err_stair = float(np.max(np.abs(stair - y)))
        err_relu = float(np.max(np.abs(relu - y)))
        for label, values, mx, my in [("staircase", stair, c, uat.staircase_eval(v, c, c)),
                                      ("ReLU net", relu, knots, f(knots))]:
            target, approx, marks = self._artists[label]
            target.set_data(x, y)
            approx.set_data(x, values)
            marks.set_data(mx, my)
        pad = 0.1 * (y.max() - y.min() + 1e-9)
        for ax in self.axes:
            ax.set_xlim(a, b)
            ax.set_ylim(y.min() - pad, y.max() + pad)
        self.axes[0].set_title(f"staircase, {units} steps: sup error {err_stair:.4f}", fontsize=10)
        self.axes[1].set_title(f"ReLU net, {units} units: sup error {err_relu:.4f}", fontsize=10)
        bound = (f"bound Lip(f)·h/2 = {lip * (b - a) / (2 * units):.4f}" if lip is not None
                 else "f is not Lipschitz: no 1/n bound")
        return (f"<b>{units} hidden units.</b> Staircase sup error {err_stair:.4f} ({bound}); "
                f"ReLU interpolant on {units + 2} points: sup error {err_relu:.4f}.")


# ---------------------------------------------------------------- linear regions

def _region_image(params, resolution, low, high):
    """Region index (0..R-1, ordered by first appearance) of every grid point, as an image,
    and the number R of distinct activation patterns."""
    X = uat.grid_inputs(low, high, resolution)
    P = uat.activation_patterns(params, X)
    if P.shape[1] == 0:
        return np.zeros((resolution, resolution), dtype=int), 1
    rows = np.ascontiguousarray(np.packbits(P, axis=1))
    keys = rows.view(np.dtype((np.void, rows.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first))            # number regions in raster order
    return rank[inverse].reshape(resolution, resolution), len(first)


def _shuffled_colours(n=256, seed=3):
    """A viridis colour map with its colours shuffled, so that neighbouring region numbers
    get clearly different colours."""
    from matplotlib import colormaps
    colours = colormaps["viridis"](np.linspace(0, 1, n))
    return ListedColormap(colours[np.random.default_rng(seed).permutation(n)])


class RegionsDemo(FigureDemo):
    """The linear regions of ReLU networks with the same number of hidden units
    (`total_units`, split into 1, 2, 3, 4 or 6 equal layers) on a 2-D square: each colour
    is one activation pattern. Family "folding construction": the zigzag net of
    Montúfar et al. (2014) on [0, 1]² (teeth = width/2 per input); family "random": He-normal
    weights and N(0, 0.5²) biases on [-1, 1]², with a seed. All images are computed once,
    in __init__. The seed slider is disabled for the folding construction.
    """

    def __init__(self, total_units=24, depths=(1, 2, 3, 4, 6), seeds=5, resolution=200):
        self.total_units, self.resolution = total_units, resolution
        self.cache = {}
        for depth in depths:
            width = total_units // depth
            if width % 2 == 0 and width >= 4:
                params = uat.zigzag_params(width // 2, depth, n_inputs=2)
                self.cache[("folding construction", depth, 0)] = _region_image(
                    params, resolution, 0.0, 1.0)
            for seed in range(seeds):
                params = uat.random_relu_params(2, [width] * depth, seed)
                self.cache[("random (He init)", depth, seed)] = _region_image(
                    params, resolution, -1.0, 1.0)
        family = widgets.Dropdown(options=["folding construction", "random (He init)"],
                                  value="folding construction", description="network")
        depth = widgets.SelectionSlider(options=list(depths), value=depths[0],
                                        description="layers")
        seed = widgets.IntSlider(value=0, min=0, max=seeds - 1, description="seed")
        super().__init__({"family": family, "depth": depth, "seed": seed}, figsize=(6.0, 5.2))
        self.cmap = _shuffled_colours()
        self.regions_image = self.ax.imshow(np.zeros((resolution, resolution)), origin="lower",
                                    cmap=self.cmap, interpolation="nearest", vmin=0, vmax=255)
        self.ax.set(xlabel="$x_1$", ylabel="$x_2$")
        self.animate(self.regions_image, self.ax.title)
        family.value = "random (He init)"                  # draw both backgrounds once, now
        family.value = "folding construction"

    def background_key(self):
        return self.controls["family"].value

    def changed(self, name):
        """The seed only exists for the random family: it is disabled for the folding
        construction (which has no randomness)."""
        self.controls["seed"].disabled = not self.controls["family"].value.startswith("random")
        self.refresh()

    def draw(self, family, depth, seed):
        width = self.total_units // depth
        key = (family, depth, seed if family.startswith("random") else 0)
        if key not in self.cache:
            self.regions_image.set_data(np.zeros((self.resolution, self.resolution)))
            self.ax.set_title(f"{depth} x {width}: no folding construction", fontsize=10)
            return (f"The folding construction needs an even width >= 4 "
                    f"({width} units per layer here): pick another number of layers.")
        img, regions = self.cache[key]
        self.regions_image.set_data(img % 256)
        low, high = (0.0, 1.0) if family.startswith("folding") else (-1.0, 1.0)
        self.regions_image.set_extent((low, high, low, high))
        self.ax.set_title(f"{family}: {depth} layer(s) x {width} units, {regions} regions",
                          fontsize=10)
        shallow = uat.shallow_max_regions(self.total_units, 2)
        extra = (f" The construction has ({width // 2}^{depth})² = {(width // 2) ** (2 * depth)} "
                 f"regions in [0, 1]²." if family.startswith("folding") else "")
        return (f"<b>{regions} regions</b> counted on a {self.resolution} x {self.resolution} grid "
                f"with {self.total_units} hidden units ({depth} x {width}). One hidden layer of "
                f"{self.total_units} units has at most {shallow} regions in the whole plane."
                + extra)


DEMOS = {
    "approximation": ApproximationDemo,
    "regions": RegionsDemo,
}

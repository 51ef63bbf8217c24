"""Lecture 7 demo: dead ReLU units appear with large learning rates and come back
with a leaky ReLU. Every (α, η) pair is trained once, up front, side by side."""
import ipywidgets as widgets
import numpy as np

from mlcourse import data
from mlcourse.demos.base import FigureDemo
from mlcourse.rectified import train_leaky_grid

ALPHAS = (0.0, 0.01, 0.05, 0.1, 0.2, 0.3)
LRS = (0.1, 0.3, 0.5, 1.0, 1.5, 2.0)


class DeadUnits(FigureDemo):
    """Sliders for the leaky-ReLU slope α and the learning rate η of full-batch gradient
    descent on a small 2-D problem. Left: the fraction of dead hidden units (inactive on
    every training point) along training, per layer, with the plain ReLU (α = 0) at the
    same η for comparison. Right: the fraction dead at the end for every (α, η).

    X: (n, 2) inputs; y: (n,) labels in {0, 1}; hidden: sizes of the hidden layers;
    alphas, lrs: the grid offered by the sliders; steps: gradient steps; seed: init seed;
    grid: optionally, the LeakyGrid of train_leaky_grid for exactly these arguments (it is
    then reused instead of being recomputed).
    """

    def __init__(self, X, y, hidden=(32, 32), alphas=ALPHAS, lrs=LRS, steps=100, seed=0,
                 alpha=0.0, lr=1.5, grid=None):
        if grid is None:
            grid = train_leaky_grid(X, y, [X.shape[1], *hidden, 2], alphas, lrs, steps, seed)
        elif (grid.dead.shape[:3] != (len(alphas), len(lrs), steps + 1)
              or grid.dead.shape[3] != len(hidden)):
            raise ValueError("grid must come from train_leaky_grid with these alphas, lrs, "
                             "steps and hidden sizes")
        self.grid = grid
        self.alphas, self.lrs = list(self.grid.alphas), list(self.grid.lrs)
        self.hidden, self.steps = tuple(hidden), steps
        alpha_slider = widgets.SelectionSlider(options=self.alphas, value=alpha,
                                               description="leaky α", continuous_update=True)
        lr_slider = widgets.SelectionSlider(options=self.lrs, value=lr,
                                            description="learning rate η", continuous_update=True,
                                            style={"description_width": "initial"})
        super().__init__({"alpha": alpha_slider, "lr": lr_slider}, figsize=(9.0, 3.6), ncols=2)
        self._build()
        self.refresh()

    def _build(self):
        left, right = self.axes
        t = np.arange(self.steps + 1)
        self.lines = [left.plot(t, np.zeros_like(t, dtype=float), color=f"C{l}", lw=2,
                                marker=["o", "s", "^", "D"][l % 4], markevery=10,
                                label=f"hidden layer {l + 1}")[0]
                      for l in range(len(self.hidden))]
        self.reference, = left.plot(t, np.zeros_like(t, dtype=float), color="0.4", ls="--",
                                    lw=1.5, label="plain ReLU (α = 0), mean of layers")
        left.set(xlabel="gradient step", ylabel="fraction of dead units", ylim=(-0.02, 1.02),
                 xlim=(0, self.steps), yticks=[0, 0.25, 0.5, 0.75, 1])
        self.title = left.set_title("dead units during training", fontsize=10)
        self.legend = left.legend(loc="upper left", fontsize=8)
        left.grid(True, alpha=0.3)
        final = np.ma.masked_invalid(self.grid.dead[:, :, -1, :].mean(axis=-1))  # NaN: diverged
        image = right.imshow(final, origin="lower", cmap="viridis", aspect="auto",
                             vmin=0, vmax=max(0.3, float(final.max())))
        for i, j in zip(*np.nonzero(self.grid.diverged)):
            right.text(j, i, "diverged", ha="center", va="center", fontsize=8, color="tab:red")
        self.fig.colorbar(image, ax=right, label="fraction dead after training", pad=0.01)
        right.set_xticks(range(len(self.lrs)), [f"{v:g}" for v in self.lrs])
        right.set_yticks(range(len(self.alphas)), [f"{v:g}" for v in self.alphas])
        right.set(xlabel="learning rate η", ylabel="leaky slope α",
                  title=f"Dead units after {self.steps} steps")
        self.marker, = right.plot([], [], "s", ms=22, mfc="none", mec="tab:red", mew=2.5)
        self.animate(*self.lines, self.reference, self.legend, self.marker, self.title)

    def draw(self, alpha, lr):
        i, j = self.alphas.index(alpha), self.lrs.index(lr)
        dead = self.grid.dead[i, j]                       # (steps + 1, n_layers)
        for l, line in enumerate(self.lines):
            line.set_ydata(dead[:, l])
        self.reference.set_ydata(np.nanmean(self.grid.dead[0, j], axis=1))
        self.title.set_text(f"α = {alpha:g}, η = {lr:g}: dead units during training")
        self.marker.set_data([j], [i])
        if self.grid.diverged[i, j]:
            last = int(np.sum(np.isfinite(self.grid.loss[i, j]))) - 1
            return (f"<b>α = {alpha:g}, η = {lr:g}</b>: the loss overflowed after step {last}: "
                    f"this learning rate is too large for this network")
        per_layer = ", ".join(f"layer {l + 1}: {round(f * n)}/{n}"
                              for l, (f, n) in enumerate(zip(dead[-1], self.hidden)))
        peak = float(np.max(dead.mean(axis=1)))
        return (f"<b>α = {alpha:g}, η = {lr:g}</b>: after {self.steps} steps, dead units "
                f"{per_layer} (peak during training {100 * peak:.0f}%); "
                f"training loss {self.grid.loss[i, j, -1]:.3f}, "
                f"accuracy {100 * self.grid.accuracy[i, j, -1]:.1f}%")


def spirals_data(n=100, seed=0):
    """Two standardized spirals (mlcourse.data.make_spirals), the demo's default data."""
    X, y = data.make_spirals(n=n, noise=0.1, seed=seed)
    return (X - X.mean(axis=0)) / X.std(axis=0), y


def dead_units():
    """The demo on 100 points of two spirals, a 2-32-32-2 network, 100 steps."""
    return DeadUnits(*spirals_data())


DEMOS = {"dead_units": dead_units}

"""Lecture 9 demo: weight decay and dropout on a small noisy data set, train vs test error."""
import ipywidgets as widgets
import numpy as np

from mlcourse import data, nn
from mlcourse import regularization as reg
from mlcourse.demos.base import FigureDemo

LAMBDAS = (0.0, 0.001, 0.003, 0.01, 0.03)
DROP_RATES = (0.0, 0.1, 0.25, 0.5)


class RegularizationDemo(FigureDemo):
    """Sliders over the weight decay λ and the dropout rate p of a 2-64-64-2 ReLU net
    trained on `mlcourse.data.noisy_moons`. Every (λ, p) of the grid is trained
    once in __init__ (all the models at once with mlcourse.regularization.train_many); a
    change of slider only redraws. Left: the predicted probability of class 1 and the training points; right:
    the generalization gap (test error - training error) over the whole grid.
    """

    def __init__(self, lambdas=LAMBDAS, drop_rates=DROP_RATES, hidden_sizes=(64, 64),
                 epochs=300, lr=0.2, seed=0, resolution=80):
        self.lambdas, self.drop_rates = tuple(lambdas), tuple(drop_rates)
        X, y, X_test, y_test = data.noisy_moons(seed=seed)
        grid_lam, grid_p = np.meshgrid(self.lambdas, self.drop_rates, indexing="ij")
        models = reg.train_many(X, y, hidden_sizes, lam=grid_lam.ravel(), p_drop=grid_p.ravel(),
                                epochs=epochs, lr=lr, batch_size=10, seed=seed)
        lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
        xs, ys = np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
        grid = np.column_stack([a.ravel() for a in np.meshgrid(xs, ys)])
        self.results = {}
        for (lam, p), params in zip(zip(grid_lam.ravel(), grid_p.ravel()), models):
            proba = nn.forward(params, grid, "relu", "softmax")[0][:, 1]
            proba = proba.reshape(resolution, resolution)
            self.results[(lam, p)] = (proba, reg.error_rate(params, X, y),
                                      reg.error_rate(params, X_test, y_test))
        self.gap = np.array([[self.results[(lam, p)][2] - self.results[(lam, p)][1]
                              for p in self.drop_rates] for lam in self.lambdas])
        lam_slider = widgets.SelectionSlider(options=list(self.lambdas), value=self.lambdas[0],
                                             description="L2 λ")
        p_slider = widgets.SelectionSlider(options=list(self.drop_rates), value=self.drop_rates[0],
                                           description="dropout p")
        super().__init__({"lam": lam_slider, "p": p_slider}, figsize=(9.0, 3.9), ncols=2)
        ax, ax_gap = self.axes
        self.surface = ax.imshow(np.zeros((resolution, resolution)), origin="lower",
                                 extent=(lo[0], hi[0], lo[1], hi[1]), cmap="viridis",
                                 vmin=0, vmax=1, aspect="auto", alpha=0.8)
        points = [ax.scatter(*X[y == label].T, marker=marker, c=colour, edgecolors="k", s=28,
                             label=f"training class {label}")
                  for label, marker, colour in [(0, "o", "tab:blue"), (1, "s", "tab:orange")]]
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, fontsize=8)
        ax.set(xlabel="$x_1$", ylabel="$x_2$")
        self.fig.colorbar(self.surface, ax=ax, label="P(class 1)")
        heat = ax_gap.imshow(self.gap, origin="lower", cmap="viridis", aspect="auto")
        for i in range(len(self.lambdas)):
            for j in range(len(self.drop_rates)):
                ax_gap.text(j, i, f"{self.gap[i, j]:.2f}", ha="center", va="center",
                            fontsize=8, color="w" if self.gap[i, j] < self.gap.mean() else "k")
        ax_gap.set_xticks(range(len(self.drop_rates)), [f"{p:g}" for p in self.drop_rates])
        ax_gap.set_yticks(range(len(self.lambdas)), [f"{lam:g}" for lam in self.lambdas])
        ax_gap.set(xlabel="dropout rate p", ylabel="weight decay λ",
                   title="test error - training error")
        self.fig.colorbar(heat, ax=ax_gap, label="generalization gap")
        (self.marker,) = ax_gap.plot([], [], "s", ms=22, mfc="none", mec="tab:red", mew=2.5)
        # a change redraws the probability surface, the points on top of it, the marker
        # and the title over a background drawn once
        self.animate(self.surface, *points, self.marker, ax.title)
        self.refresh()

    def draw(self, lam, p):
        proba, train_err, test_err = self.results[(lam, p)]
        self.surface.set_data(proba)
        self.marker.set_data([self.drop_rates.index(p)], [self.lambdas.index(lam)])
        self.axes[0].set_title(f"λ = {lam:g}, p = {p:g}: train {train_err:.1%}, "
                               f"test {test_err:.1%}", fontsize=10)
        return (f"<b>λ = {lam:g}, p = {p:g}</b>: training error {train_err:.3f}, test error "
                f"{test_err:.3f}, gap {test_err - train_err:+.3f} (15% of the labels are "
                f"flipped, so no classifier gets below about 0.15 on the test set).")


DEMOS = {"regularization": RegularizationDemo}

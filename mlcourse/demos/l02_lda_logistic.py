"""Lecture 2 demo: LDA and logistic regression side by side, with the Bayes posterior.

Two Gaussian classes with means (∓d/2, 0) and a shared covariance
s²·[[1, ρ], [ρ, 1]]. The demo fits LDA (closed form) and logistic regression
(a few warm-started Newton steps) on 400 points and draws both boundaries over
the contours of the true posterior. "Break the assumptions" either shrinks
class 0's spread along x₁ (unequal covariances: the Bayes boundary bends) or
adds a far-away cluster of class-1 points (outliers that LDA's means and
covariance absorb, but that hardly move logistic regression).

The random draws are made once (standard normals, transformed on every
change), so moving a slider moves the same points: what changes is the
model, not the luck of the draw.
"""
import ipywidgets as widgets
import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize

from mlcourse.demos.base import FigureDemo
from mlcourse.linear import bayes_posterior, lda_fit, lda_params, linear_error_rate, logistic_fit

SCENARIOS = ("LDA model holds", "unequal covariances", "outlier cluster")
SHRINK = 0.1            # class 0's x1-variance factor in the "unequal covariances" scenario
OUTLIER_SHIFT = np.array([5.0, -5.0])   # outlier cluster centre, relative to μ₁
RIDGE = 1e-3            # tiny penalty: keeps the fit finite when a draw is separable


def scenario(separation=2.0, correlation=0.5, scale=1.0, kind=SCENARIOS[0]):
    """The generating model of the demo.

    Returns a dict with mean0, mean1 (2,), cov0, cov1 (2, 2) and the centre of
    the outlier cluster (or None): class k is N(mean_k, cov_k); with
    kind == "outlier cluster" some class-1 points are moved to the centre.
    """
    if kind not in SCENARIOS:
        raise ValueError(f"kind must be one of {SCENARIOS}; got {kind!r}")
    if not -1 < correlation < 1:
        raise ValueError(f"correlation must be in (-1, 1); got {correlation}")
    if not scale > 0:
        raise ValueError(f"scale must be > 0; got {scale}")
    mean0, mean1 = np.array([-separation / 2, 0.0]), np.array([separation / 2, 0.0])
    cov = scale ** 2 * np.array([[1.0, correlation], [correlation, 1.0]])
    cov0 = cov
    if kind == "unequal covariances":
        D = np.diag([np.sqrt(SHRINK), 1.0])
        cov0 = D @ cov @ D
    centre = mean1 + OUTLIER_SHIFT if kind == "outlier cluster" else None
    return {"mean0": mean0, "mean1": mean1, "cov0": cov0, "cov1": cov, "outlier_centre": centre}


class LdaVsLogistic(FigureDemo):
    """Sliders for the class means and the shared covariance, a choice of broken
    assumption; the Bayes posterior (contours), LDA's and logistic regression's
    boundaries (left) and the error rates of the three rules on the clean model (right).

    Error rates are exact for the linear rules (`linear_error_rate`) and for the
    Bayes rule of the shared-covariance model; the quadratic Bayes rule of the
    unequal-covariance model is scored on a fixed Monte Carlo sample.

    n: training points; n_outliers: size of the outlier cluster; n_test: size
    of the Monte Carlo sample; seed: for all draws.
    """

    def __init__(self, n=400, n_outliers=20, n_test=10000, seed=0, lim=7.0, resolution=60):
        rng = np.random.default_rng(seed)
        self.y = rng.permutation(np.arange(n) % 2)
        self.Z = rng.standard_normal((n, 2))
        self.Z_out = 0.5 * rng.standard_normal((n_outliers, 2))
        self.y_test = rng.permutation(np.arange(n_test) % 2)
        self.Z_test = rng.standard_normal((n_test, 2))
        self.lim = lim
        ticks = np.linspace(-lim, lim, resolution)
        self.xx, self.yy = np.meshgrid(ticks, ticks)
        self.grid = np.column_stack([self.xx.ravel(), self.yy.ravel()])
        self._theta = None               # last logistic fit, the next one's warm start
        style = {"description_width": "initial"}
        controls = {
            "separation": widgets.FloatSlider(value=2.0, min=0.5, max=5.0, step=0.25,
                                              description="mean separation d", style=style),
            "correlation": widgets.FloatSlider(value=0.5, min=-0.9, max=0.9, step=0.1,
                                               description="correlation ρ", style=style),
            "scale": widgets.FloatSlider(value=1.0, min=0.5, max=2.0, step=0.1,
                                         description="spread s", style=style),
            "kind": widgets.Dropdown(options=SCENARIOS, value=SCENARIOS[0],
                                     description="assumptions", style=style),
        }
        super().__init__(controls, figsize=(9.0, 3.9), ncols=2)
        self._setup_axes()
        self.refresh()

    # ---------------------------------------------------------------- data
    def sample(self, model):
        """Training data (X, y) of the model, from the fixed standard normals."""
        X = np.empty_like(self.Z)
        for k, (mean, cov) in enumerate([(model["mean0"], model["cov0"]),
                                         (model["mean1"], model["cov1"])]):
            rows = self.y == k
            X[rows] = mean + self.Z[rows] @ np.linalg.cholesky(cov).T
        if model["outlier_centre"] is None:
            return X, self.y
        X_out = model["outlier_centre"] + self.Z_out
        return np.vstack([X, X_out]), np.concatenate([self.y, np.ones(len(X_out), int)])

    def test_sample(self, model):
        """The fixed test sample mapped to the clean model (no outliers)."""
        X = np.empty_like(self.Z_test)
        for k, (mean, cov) in enumerate([(model["mean0"], model["cov0"]),
                                         (model["mean1"], model["cov1"])]):
            rows = self.y_test == k
            X[rows] = mean + self.Z_test[rows] @ np.linalg.cholesky(cov).T
        return X

    def bayes_error(self, model):
        """Error rate of the Bayes rule P(y=1|x) >= 0.5 of the clean model (equal priors)."""
        args = (model["mean0"], model["mean1"], model["cov0"], model["cov1"])
        if model["cov0"] is model["cov1"]:          # shared covariance: a linear rule, exact
            return linear_error_rate(*lda_params(*args[:3]), *args)
        X_test = self.test_sample(model)
        return float(np.mean((bayes_posterior(X_test, *args) >= 0.5) != self.y_test))

    # ---------------------------------------------------------------- figure
    def _setup_axes(self):
        ax, bx = self.axes
        grid = self.fig.add_gridspec(1, 2, width_ratios=(1.7, 1.0))
        ax.set_subplotspec(grid[0])
        bx.set_subplotspec(grid[1])
        self.points = [ax.scatter([], [], s=14, marker=m, c=c, edgecolors="k", linewidths=0.3,
                                  alpha=0.7, label=f"class {k}")
                       for k, (m, c) in enumerate([("o", "tab:blue"), ("s", "tab:orange")])]
        (self.lda_line,) = ax.plot([], [], color="tab:red", ls="--", lw=2.2, label="LDA")
        (self.lr_line,) = ax.plot([], [], color="k", ls="-", lw=2.2, label="logistic regression")
        (self.bayes_proxy,) = ax.plot([], [], color="tab:purple", ls=":", lw=2.2,
                                      label="Bayes boundary P = 0.5")
        ax.set(xlim=(-self.lim, self.lim), ylim=(-self.lim, self.lim), xlabel="$x_1$",
               ylabel="$x_2$", aspect="equal")
        self.levels = [0.1, 0.3, 0.7, 0.9]
        self.fig.colorbar(ScalarMappable(Normalize(0.0, 1.0), "viridis"), ax=ax,
                          ticks=self.levels, label="contours of $P(y=1\\mid x)$", shrink=0.8)
        self.contours = []
        names = ["Bayes", "LDA", "logistic\nregression"]
        self.bars = bx.barh(names, [0, 0, 0], color=["tab:purple", "tab:red", "0.3"],
                            hatch=["", "//", ".."], edgecolor="k")
        self.bar_text = [bx.text(0, i, "", va="center", fontsize=9) for i in range(3)]
        bx.set(xlim=(0, 0.5), ylim=(4.6, -0.6), xlabel="error rate on the clean model",
               title="Error rates")
        bx.legend(handles=[*self.points, self.bayes_proxy, self.lda_line, self.lr_line],
                  loc="lower right", fontsize=8)
        # Blitting: these artists change on every refresh and are drawn over a cached
        # background (one per scenario: the title depends on it); the contour sets are
        # re-created on each refresh and appended to the same list.
        self.animate(*self.points, self.lda_line, self.lr_line, *self.bars, *self.bar_text)
        self._n_fixed = len(self._animated)

    def background_key(self):
        return self.controls["kind"].value

    def _line(self, w, b):
        """Points of the line w·x + b = 0 across the plotting box."""
        t = np.array([-self.lim, self.lim])
        if not np.any(w):                 # no boundary: every point in one class
            return [], []
        if abs(w[1]) > abs(w[0]):
            return t, -(b + w[0] * t) / w[1]
        return -(b + w[1] * t) / w[0], t

    def fit_logistic(self, X, y):
        """Logistic regression, warm-started from the previous fit."""
        w0, b0 = (None, 0.0) if self._theta is None else self._theta
        w, b = logistic_fit(X, y, l2=RIDGE, w0=w0, b0=b0, max_iter=50, tol=1e-8)
        self._theta = (w, b)
        return w, b

    def draw(self, separation, correlation, scale, kind):
        model = scenario(separation, correlation, scale, kind)
        X, y = self.sample(model)
        w_lda, b_lda = lda_fit(X, y)
        w_lr, b_lr = self.fit_logistic(X, y)
        args = (model["mean0"], model["mean1"], model["cov0"], model["cov1"])
        ax = self.ax
        for k, points in enumerate(self.points):
            points.set_offsets(X[y == k])
        for c in self.contours:
            c.remove()
        post = bayes_posterior(self.grid, *args).reshape(self.xx.shape)
        thin = ax.contour(self.xx, self.yy, post, levels=self.levels, cmap="viridis",
                          vmin=0.0, vmax=1.0, linewidths=1.0)
        half = ax.contour(self.xx, self.yy, post, levels=[0.5], colors="tab:purple",
                          linestyles=":", linewidths=2.2)
        self.contours = [thin, half]
        for c in self.contours:
            c.set_animated(True)
        self._animated[self._n_fixed:] = self.contours
        self.lda_line.set_data(*self._line(w_lda, b_lda))
        self.lr_line.set_data(*self._line(w_lr, b_lr))
        ax.set_title(f"{kind}: contours of P(y = 1 | x)", fontsize=10)
        errors = [self.bayes_error(model),
                  linear_error_rate(w_lda, b_lda, *args), linear_error_rate(w_lr, b_lr, *args)]
        for bar, text, e in zip(self.bars, self.bar_text, errors):
            bar.set_width(e)
            text.set_x(e + 0.01)
            text.set_text(f"{100 * e:.1f} %")
        cos = w_lda @ w_lr / (np.linalg.norm(w_lda) * np.linalg.norm(w_lr))
        angle = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
        note = (" The outliers are contamination: posterior and errors refer to the clean model."
                if kind == "outlier cluster" else "")
        return (f"<b>LDA</b>: w = ({w_lda[0]:+.2f}, {w_lda[1]:+.2f}), b = {b_lda:+.2f} &nbsp; "
                f"<b>logistic regression</b>: w = ({w_lr[0]:+.2f}, {w_lr[1]:+.2f}), "
                f"b = {b_lr:+.2f} &nbsp; angle between the boundaries: {angle:.1f}°<br>"
                f"test error: Bayes {100 * errors[0]:.1f} %, LDA {100 * errors[1]:.1f} %, "
                f"logistic regression {100 * errors[2]:.1f} %.{note}")


DEMOS = {"lda_vs_logistic": LdaVsLogistic}

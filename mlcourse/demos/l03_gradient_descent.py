"""Lecture 3 demos: the learning rate, GD vs SGD paths, and mini-batch gradient noise.

Everything that does not depend on the controls (contours, learning-rate sweeps,
the draws of mini-batch gradients) is computed and drawn once in __init__; a
refresh only runs a short optimization (or picks precomputed draws) and redraws
the few animated artists over the cached background (FigureDemo.animate).
"""
import ipywidgets as widgets
import numpy as np
from matplotlib.patches import Ellipse

from mlcourse import optim
from mlcourse.demos.base import FigureDemo

TAB10 = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")

#: The 2-D least-squares problem of the SGD demos (and of the lecture):
#: x ~ N(0, C) with C rotated by 0.5 rad, eigenvalues 3 and 0.5; θ_true = (1, −0.5).
REGRESSION = dict(n=1000, theta_true=(1.0, -0.5), eigenvalues=(3.0, 0.5), angle=0.5,
                  noise=0.5, seed=0, start=(-1.5, 1.5))


def regression_problem(n=None, seed=None):
    """The demos' 2-D least-squares data: (X (n, 2), y (n,), θ* the least-squares solution)."""
    spec = REGRESSION
    cov = optim.make_quadratic(spec["eigenvalues"], angle=spec["angle"]).H
    X, y = optim.make_least_squares(n or spec["n"], spec["theta_true"], cov, spec["noise"],
                                    seed=spec["seed"] if seed is None else seed)
    return X, y, optim.least_squares_solution(X, y)


def describe_run(path, surface, lr, n_steps, tol=1e-3):
    """What GD did on `surface` with step `lr` (path from gradient_descent), in words."""
    if path.shape[0] < n_steps + 1:
        return f"diverges: ‖θ‖ exceeded 1e8 after {path.shape[0]} steps"
    last = path[-1]
    if lr > surface.divergence_lr:
        return (f"diverges: γ > {surface.divergence_lr:.3f}, ‖θ‖ grows "
                f"(now {np.linalg.norm(last):.3g})")
    dist = np.linalg.norm(surface.minima - last, axis=1)
    k = int(np.argmin(dist))
    limits = 2.0 / surface.curvatures
    if dist[k] < tol:
        return f"converges to the {surface.labels[k]} minimum (γ < 2/λ_max = {limits[k]:.3f} there)"
    if np.all(lr >= limits):
        return "oscillates without settling: γ ≥ 2/λ_max at every minimum"
    if lr >= limits[k]:
        return (f"oscillates around the {surface.labels[k]} minimum: γ ≥ 2/λ_max = "
                f"{limits[k]:.3f} there")
    return f"is still on its way to the {surface.labels[k]} minimum after {n_steps} steps"


class LearningRateDemo(FigureDemo):
    """GD on a 1-D or 2-D loss with a learning-rate slider.

    Left: the loss and the GD path from the surface's start. Right: the loss of
    the last 30 of 300 GD iterates for every step size (precomputed), with
    2/λ_max of each minimum marked and the current step size as a vertical line.
    surfaces: list of optim.LossSurface (default: two wells in 1-D, a quadratic
    bowl, two wells in 2-D).
    """

    LR_RANGE = (-2.0, 0.8)      # log10 of the slider's range

    def __init__(self, surfaces=None, n_sweep=240):
        self.surfaces = surfaces or [optim.two_wells_surface(1), optim.quadratic_surface(),
                                     optim.two_wells_surface(2)]
        names = [s.name for s in self.surfaces]
        self.surface = widgets.Dropdown(options=names, value=names[0], description="loss")
        self.lr = widgets.FloatLogSlider(value=0.1, base=10, min=self.LR_RANGE[0],
                                         max=self.LR_RANGE[1], step=0.01, description="γ",
                                         readout_format=".3f")
        self.steps = widgets.IntSlider(value=40, min=1, max=100, description="steps")
        super().__init__({"surface": self.surface, "lr": self.lr, "steps": self.steps},
                         figsize=(9.0, 3.7), ncols=2)
        self.panels = {}
        lrs = np.geomspace(10 ** self.LR_RANGE[0], 10 ** self.LR_RANGE[1], n_sweep)
        moving = []
        for i, surf in enumerate(self.surfaces):
            left, right = (self.axes if i == 0 else
                           (self.fig.add_subplot(1, 2, 1), self.fig.add_subplot(1, 2, 2)))
            lines, current = self._draw_surface(left, surf), self._draw_sweep(right, surf, lrs)
            self.panels[surf.name] = (left, right, lines, current)
            moving += [*lines, current, left.title]
        self.animate(*moving)
        self.refresh()

    def background_key(self):
        return self.surface.value

    def _draw_surface(self, ax, surf):
        if surf.dim == 1:
            xs = np.linspace(-3.5, 3.5, 400)
            ax.plot(xs, surf.loss(xs[:, None]), color="0.3", lw=1.5, label="loss L(θ)")
            ax.plot(surf.minima[:, 0], surf.loss(surf.minima), "k^", ms=8, ls="",
                    label="minima")
            ax.set(xlim=(-3.5, 3.5), ylim=(-1.4, 3.2), xlabel="θ", ylabel="loss")
        else:
            xs = np.linspace(-3.0, 3.0, 120)
            xx, yy = np.meshgrid(xs, xs)
            zz = surf.loss(np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
            ax.contour(xx, yy, zz, levels=20, cmap="viridis", linewidths=0.8)
            ax.plot(*surf.minima.T, "k^", ms=8, ls="", label="minima")
            ax.set(xlim=(-3, 3), ylim=(-3, 3), xlabel="$θ_1$", ylabel="$θ_2$")
        (path,) = ax.plot([], [], color="tab:orange", marker="o", ms=3, lw=1, label="GD path")
        (start,) = ax.plot([], [], "o", color="tab:blue", ms=8, label="start")
        (end,) = ax.plot([], [], "*", color="tab:red", ms=12, label="last iterate")
        ax.legend(loc="upper left", fontsize=8.5)
        return path, start, end

    def _draw_sweep(self, ax, surf, lrs):
        paths = optim.gd_paths(surf.grad, surf.start, lrs, 300)
        tail = paths[:, -30:]                                  # (m, 30, d), NaN if diverged
        losses = surf.loss(np.nan_to_num(tail.reshape(-1, surf.dim))).reshape(tail.shape[:2])
        losses[np.isnan(tail[..., 0])] = np.nan
        ax.plot(np.repeat(lrs, 30), losses.ravel(), ".", color="tab:blue", ms=1.5,
                label="loss of iterates 271–300")
        styles = ["--", ":", "-."]
        for k, (label, curv) in enumerate(zip(surf.labels, surf.curvatures)):
            ax.axvline(2 / curv, color=TAB10[2 + k], ls=styles[k % 3],
                       label=f"2/λ_max, {label} min = {2 / curv:.3f}")
        ax.axvspan(surf.divergence_lr, lrs[-1], color="0.5", alpha=0.2,
                   label=f"diverges (γ > {surf.divergence_lr:.3f})")
        current = ax.axvline(1.0, color="tab:red", lw=2, label="current γ")
        bottom, top = surf.loss(surf.minima).min(), surf.loss(surf.start[None])[0]
        span = top - bottom
        ax.set(xscale="log", xlim=(lrs[0], lrs[-1]), ylim=(bottom - 0.1 * span, top + 0.6 * span),
               xlabel="learning rate γ", ylabel="loss", title="where GD ends up, for every γ")
        ax.legend(loc="upper left", fontsize=8.5)
        return current

    def draw(self, surface, lr, steps):
        for name, (left, right, lines, current) in self.panels.items():
            for artist in (left, right, *lines, current, left.title):
                artist.set_visible(name == surface)
        left, right, (path_line, start, end), current = self.panels[surface]
        surf = next(s for s in self.surfaces if s.name == surface)
        path = optim.gradient_descent(lambda th: surf.grad(th[None])[0], surf.start, lr, steps)
        if surf.dim == 1:
            xy = np.column_stack([path[:, 0], surf.loss(path)])
        else:
            xy = path
        path_line.set_data(*xy.T)
        start.set_data([xy[0, 0]], [xy[0, 1]])
        end.set_data([xy[-1, 0]], [xy[-1, 1]])
        current.set_xdata([lr, lr])
        left.set_title(f"{surface}: γ = {lr:.3f}, {path.shape[0] - 1} steps")
        return f"<b>γ = {lr:.3f}</b>: GD {describe_run(path, surf, lr, steps)}."


class SGDPathsDemo(FigureDemo):
    """Batch GD, mini-batch SGD and single-example SGD on the same 2-D least-squares loss.

    Left: the three paths over the loss contours, for the same number of steps.
    Right: loss against the number of example-gradients computed (log scale):
    one GD step costs N of them, one SGD step costs B.
    """

    def __init__(self):
        self.X, self.y, self.theta_star = regression_problem()
        self.n = self.X.shape[0]
        self.q = optim.Quadratic(self.X.T @ self.X / self.n, self.theta_star)
        self.lr = widgets.FloatLogSlider(value=0.05, base=10, min=-2.5, max=-0.3, step=0.01,
                                         description="γ", readout_format=".3f")
        self.batch = widgets.SelectionSlider(options=[2 ** k for k in range(1, 9)], value=16,
                                             description="batch B")
        self.steps = widgets.IntSlider(value=100, min=5, max=300, step=5, description="steps")
        self.seed = widgets.IntSlider(value=0, min=0, max=9, description="seed")
        super().__init__({"lr": self.lr, "batch": self.batch, "steps": self.steps,
                          "seed": self.seed}, figsize=(9.0, 3.7), ncols=2)
        left, right = self.axes
        xs = np.linspace(-2.2, 2.2, 120)
        xx, yy = np.meshgrid(xs, xs)
        zz = self.q.loss(np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
        left.contour(xx, yy, zz, levels=np.geomspace(1e-3, zz.max(), 15), cmap="viridis",
                     linewidths=0.8)
        left.plot(*self.theta_star, "k^", ms=9, ls="", label="minimum θ*")
        self.lines = {}
        for (name, colour, marker) in [("batch GD", "tab:blue", "o"),
                                       ("mini-batch SGD", "tab:orange", "s"),
                                       ("SGD (B = 1)", "tab:green", "^")]:
            (a,) = left.plot([], [], color=colour, marker=marker, ms=2.5, lw=1, label=name)
            (b,) = right.plot([], [], color=colour, marker=marker, ms=3, lw=1.2,
                              markevery=0.1, label=name)
            self.lines[name] = (a, b)
        left.set(xlim=(-2.2, 2.2), ylim=(-2.2, 2.2), xlabel="$θ_1$", ylabel="$θ_2$")
        left.legend(loc="upper right", fontsize=8.5)
        right.set(xscale="log", yscale="log", xlim=(1, 300 * self.n), ylim=(1e-5, 10),
                  xlabel="example-gradients computed", ylabel="L(θ) − L(θ*)",
                  title="cost: GD pays N per step, SGD pays B")
        right.grid(True, alpha=0.3)
        right.legend(loc="lower left", fontsize=8.5)
        self.animate(*(line for pair in self.lines.values() for line in pair), left.title)
        self.refresh()

    def _sgd(self, lr, batch, steps, seed):
        epochs = -(-steps * batch // self.n)
        _, path = optim.sgd("squared_error", self.X, self.y, REGRESSION["start"], lr,
                            epochs, batch, np.random.default_rng(seed), record_every=1)
        return path[: steps + 1]

    def draw(self, lr, batch, steps, seed):
        runs = {
            "batch GD": (optim.gradient_descent(self.q.grad, REGRESSION["start"], lr, steps),
                         self.n),
            "mini-batch SGD": (self._sgd(lr, batch, steps, seed), batch),
            "SGD (B = 1)": (self._sgd(lr, 1, steps, seed), 1),
        }
        text = []
        for name, (path, cost) in runs.items():
            a, b = self.lines[name]
            a.set_data(*path.T)
            excess = np.maximum(self.q.loss(path), 1e-12)
            b.set_data(np.arange(path.shape[0]) * cost, excess)
            text.append(f"{name}: L − L* = {excess[-1]:.2e} after {cost * (path.shape[0] - 1):,} "
                        "example-gradients")
        self.axes[0].set_title(f"{steps} steps, γ = {lr:.3f}, B = {batch}")
        return "<br>".join(text)


class BatchNoiseDemo(FigureDemo):
    """The mini-batch gradient as a random vector, for a batch-size slider.

    Left: 300 of n_draws draws of ĝ_B at a fixed θ (dots), the full gradient ∇L (star) and
    the predicted 2-standard-deviation ellipse of Cov(ĝ_B) = Σ/B · (N − B)/(N − 1).
    Right: measured E‖ĝ_B − ∇L‖² against B (log-log) with the two formulas.
    """

    SIZES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]

    def __init__(self, n_draws=2000, n_shown=300, seed=0):
        X, y, _ = regression_problem()
        self.N = X.shape[0]
        theta = np.asarray(REGRESSION["start"])
        G = optim.squared_error_example_grads(theta, X, y)
        self.full = G.mean(axis=0)
        self.cov = np.cov(G.T, bias=True)
        self.draws = optim.minibatch_gradients(G, self.SIZES, n_draws, np.random.default_rng(seed))
        self.measured = np.mean(np.sum((self.draws - self.full) ** 2, axis=2), axis=1)
        self.n_shown = n_shown
        self.batch = widgets.SelectionSlider(options=self.SIZES, value=1, description="batch B")
        super().__init__({"batch": self.batch}, figsize=(9.0, 3.7), ncols=2)
        left, right = self.axes
        (self.cloud,) = left.plot([], [], ".", color="tab:blue", ms=3,
                                  label="mini-batch gradients $\\hat g_B$")
        self.ellipse = Ellipse((0, 0), 1, 1, fill=False, color="tab:orange", lw=2,
                               label="predicted 2σ ellipse")
        left.add_patch(self.ellipse)
        left.plot(*self.full, "*", color="tab:red", ms=14, mec="k", label="full gradient ∇L")
        left.set(xlabel="$\\partial L/\\partial θ_1$", ylabel="$\\partial L/\\partial θ_2$")
        half = 3.5 * np.sqrt(np.linalg.eigvalsh(self.cov)[-1])    # the B = 1 ellipse fits
        left.set(xlim=(self.full[0] - half, self.full[0] + half),
                 ylim=(self.full[1] - half, self.full[1] + half))
        left.legend(loc="upper left", fontsize=8.5)
        sizes = np.array(self.SIZES)
        right.plot(sizes, self.measured, "o", color="tab:blue",
                   label=f"measured ({n_draws} draws)")
        right.plot(sizes, optim.minibatch_variance(G, sizes, replace=True), "--",
                   color="tab:green", label="tr Σ / B (with replacement)")
        right.plot(sizes, optim.minibatch_variance(G, sizes), "-", color="tab:orange",
                   label="tr Σ / B · (N − B)/(N − 1)")
        (self.current,) = right.plot([], [], "o", ms=14, mfc="none", mec="tab:red", mew=2,
                                     label="current B")
        right.set(xscale="log", yscale="log", xlabel="batch size B",
                  ylabel="$E\\,\\|\\hat g_B - \\nabla L\\|^2$", title="gradient noise falls like 1/B")
        right.legend(loc="lower left", fontsize=8.5)
        right.grid(True, alpha=0.3)
        self.animate(self.cloud, self.ellipse, self.current, left.title)
        self.refresh()

    def draw(self, batch):
        k = self.SIZES.index(batch)
        pts = self.draws[k]
        self.cloud.set_data(*pts[: self.n_shown].T)
        fpc = (self.N - batch) / (self.N - 1)
        vals, vecs = np.linalg.eigh(self.cov * fpc / batch)
        self.ellipse.set_center(self.full)
        self.ellipse.set_width(4 * np.sqrt(vals[1]))
        self.ellipse.set_height(4 * np.sqrt(vals[0]))
        self.ellipse.set_angle(np.degrees(np.arctan2(vecs[1, 1], vecs[0, 1])))
        self.axes[0].set_title(f"{self.n_shown} mini-batch gradients, B = {batch}")
        self.current.set_data([batch], [self.measured[k]])
        predicted = np.trace(self.cov) / batch * fpc
        bias = np.linalg.norm(pts.mean(axis=0) - self.full)
        return (f"<b>B = {batch}</b>: measured E‖ĝ − ∇L‖² = {self.measured[k]:.4f}, predicted "
                f"tr Σ/B · (N − B)/(N − 1) = {predicted:.4f}; ‖mean of the draws − ∇L‖ = "
                f"{bias:.4f} (sampling error ≈ {np.sqrt(predicted / pts.shape[0]):.4f})")


DEMOS = {
    "learning_rate": LearningRateDemo,
    "sgd_paths": SGDPathsDemo,
    "batch_noise": BatchNoiseDemo,
}

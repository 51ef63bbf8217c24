"""Lecture 1 demo: step through the perceptron's updates and watch the boundary move."""
import ipywidgets as widgets
import numpy as np

from mlcourse.demos.base import FigureDemo
from mlcourse.perceptron import perceptron_history, training_errors
from mlcourse.validation import as_labels, as_matrix


#: The points fill the lower DATA_HEIGHT of the axes; the legend has the band above them.
DATA_HEIGHT = 0.7


def boundary_segment(w, b, xlim, ylim):
    """End points of the line w·x + b = 0 inside the box xlim × ylim (None if w = 0)."""
    if abs(w[1]) > abs(w[0]):
        xs = np.array(xlim, dtype=float)
        return xs, -(b + w[0] * xs) / w[1]
    if w[0] != 0:
        ys = np.array(ylim, dtype=float)
        return -(b + w[1] * ys) / w[0], ys
    return None


class PerceptronStepper(FigureDemo):
    """Slider over the updates of Rosenblatt's rule on 2-D data sets.

    datasets: dict name -> (X (n, 2), y (n,)). The rule runs once per data set
    (lr, max_epochs as given); the slider picks which update to show.
    """

    def __init__(self, datasets, lr=1.0, max_epochs=20):
        self.runs = {}
        for name, (X, y) in datasets.items():
            X, y = as_matrix(X, f"datasets[{name!r}] X", n_features=2), as_labels(y, n=len(X))
            self.runs[name] = (X, y, perceptron_history(X, y, lr, max_epochs)[3])
        first = next(iter(self.runs))
        self.data = widgets.Dropdown(options=list(self.runs), value=first, description="data")
        self.step = widgets.IntSlider(value=0, min=0, max=len(self.runs[first][2]) - 1,
                                      description="update", continuous_update=True)
        back = widgets.Button(description="◀ step", layout=widgets.Layout(width="80px"))
        forward = widgets.Button(description="step ▶", layout=widgets.Layout(width="80px"))
        back.on_click(lambda _: self._move(-1))
        forward.on_click(lambda _: self._move(+1))
        super().__init__({"data": self.data, "step": self.step, "back": back, "forward": forward},
                         figsize=(6.4, 4.6))
        # Fixed margins, not a layout computed once for the first data set: the other set's
        # wider tick labels would otherwise push the y label out of the picture.
        self.fig.set_layout_engine("none")
        self.ax.set_position([0.12, 0.11, 0.85, 0.82])     # left, bottom, width, height
        self._draw_static()
        self._on_data()

    def _move(self, delta):
        self.step.value = int(np.clip(self.step.value + delta, self.step.min, self.step.max))

    def _draw_static(self):
        """Scatter every data set once (switching data only toggles visibility)."""
        ax, pad = self.ax, 0.5
        self.scatters, self.limits = {}, {}
        for name, (X, y, _) in self.runs.items():
            self.scatters[name] = [
                ax.scatter(*X[y == label].T, marker=marker, c=colour, label=f"class {label}", s=30)
                for label, marker, colour in [(0, "o", "tab:blue"), (1, "s", "tab:orange")]]
            low, high = X[:, 1].min() - pad, X[:, 1].max() + pad
            self.limits[name] = ((X[:, 0].min() - pad, X[:, 0].max() + pad),
                                 (low, low + (high - low) / DATA_HEIGHT))
        ax.set(xlabel="$x_1$", ylabel="$x_2$", title=" ")
        (self.line,) = ax.plot([], [], "k-", lw=2, label="boundary $w^T x + b = 0$")
        (self.current,) = ax.plot([], [], "o", ms=14, mfc="none", mec="tab:red", mew=2,
                                  label="example that caused the update")
        first = self.scatters[next(iter(self.runs))]
        ax.legend(handles=first + [self.line, self.current], loc="upper left", fontsize=8)
        self.animate(self.line, self.current, ax.title)   # only these change from step to step

    def background_key(self):
        return self.data.value

    def changed(self, name):
        if name == "data":
            self._on_data()
        else:
            self.refresh()

    def _on_data(self, change=None):
        name = self.data.value
        for other, artists in self.scatters.items():
            for artist in artists:
                artist.set_visible(other == name)
        self.xlim, self.ylim = self.limits[name]
        self.ax.set(xlim=self.xlim, ylim=self.ylim)
        old = self.step.value
        with self.step.hold_trait_notifications():
            self.step.value = 0
            self.step.max = len(self.runs[name][2]) - 1
        if old == 0:           # no value change, so no notification: redraw by hand
            self.refresh()

    def draw(self, data, step):
        X, y, history = self.runs[data]
        epoch, index, w, b = history[step]
        line, current = self.line, self.current
        segment = boundary_segment(w, b, self.xlim, self.ylim)
        line.set_data(*(segment if segment is not None else ([], [])))
        current.set_data(*(([X[index, 0]], [X[index, 1]]) if index is not None else ([], [])))
        errors = training_errors(X, y, w, b)
        self.ax.set_title(f"{data}: update {step} of {len(history) - 1}")
        where = "initial weights" if index is None else f"epoch {epoch}, example {index}"
        return (f"<b>update {step}</b> ({where}): w = ({w[0]:+.2f}, {w[1]:+.2f}), "
                f"b = {b:+.2f}; training errors: {errors} of {len(y)}")


def perceptron_stepper():
    """The lecture's demo with its default data: separable blobs and noisy XOR."""
    from mlcourse import data
    return PerceptronStepper({"separable": data.make_blobs(n=40, margin=1.0, seed=1),
                              "XOR": data.make_xor(n=40, noise=0.15, seed=2)}, max_epochs=10)


DEMOS = {"perceptron_stepper": perceptron_stepper}

"""Lecture 4 demo: a small "playground" in the spirit of TensorFlow Playground
(D. Smilkov and S. Carter, 2016, playground.tensorflow.org).

Pick a data set, the number of hidden layers, their width, the activation and
the learning rate; press "train" to run mini-batch SGD for a few dozen epochs
and watch the predicted probability P(class 1 | x) and the loss curves change.
Changing any control re-initializes the network.
"""
import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import FormatStrFormatter

from mlcourse import data, fast, nn
from mlcourse.demos.base import FigureDemo
from mlcourse.mlp_examples import probability_grid, probability_of_class_1
from mlcourse.plots import BLUE_ORANGE
from mlcourse.validation import as_labels, as_matrix

LEARNING_RATES = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)   # the Playground's menu
ACTIVATION_CHOICES = ("relu", "tanh", "sigmoid", "linear")


def default_datasets(n=200, seed=0):
    """XOR, circles and spirals, each as (X_train, y_train, X_test, y_test) with n
    points per part; the test points come from the same distribution, another seed."""
    makers = {"XOR": lambda s: data.make_xor(n, noise=0.3, seed=s),
              "circles": lambda s: data.make_circles(n, noise=0.1, factor=0.5, seed=s),
              "spirals": lambda s: data.make_spirals(n, noise=0.05, turns=1.25, seed=s)}
    return {name: (*make(seed), *make(seed + 1000)) for name, make in makers.items()}


class Playground(FigureDemo):
    """Train small MLPs on 2-D data sets with buttons and sliders.

    datasets: dict name -> (X_train (n, 2), y_train (n,), X_test (m, 2), y_test (m,))
        with labels in {0, 1}.
    epochs_per_press: epochs of mini-batch SGD run by one press of "train", in chunks
        of `chunk` epochs (the figure and the progress readout update after each chunk).
    batch_size: SGD mini-batch size (10, as in the Playground); resolution: grid
        points per axis of the probability image; seed: first initialization seed.
    """

    def __init__(self, datasets, epochs_per_press=50, chunk=10, batch_size=10, resolution=60,
                 seed=0):
        self.datasets, self.grids = {}, {}
        for name, parts in datasets.items():
            if len(parts) != 4:
                raise ValueError(f"datasets[{name!r}] must be (X_train, y_train, X_test, y_test)")
            X, y, Xt, yt = parts
            X = as_matrix(X, f"datasets[{name!r}] X_train", n_features=2)
            Xt = as_matrix(Xt, f"datasets[{name!r}] X_test", n_features=2)
            y = as_labels(y, f"datasets[{name!r}] y_train", n=len(X))
            yt = as_labels(yt, f"datasets[{name!r}] y_test", n=len(Xt))
            self.datasets[name] = (X, y, Xt, yt)
            self.grids[name] = probability_grid(np.vstack([X, Xt]), resolution)
        if not self.datasets:
            raise ValueError("datasets must hold at least one data set")
        self.epochs_per_press, self.chunk = int(epochs_per_press), int(chunk)
        self.batch_size, self.resolution, self.seed = int(batch_size), int(resolution), int(seed)
        self.data = widgets.Dropdown(options=list(self.datasets), description="data")
        self.depth = widgets.IntSlider(value=2, min=1, max=4, description="hidden layers")
        self.width = widgets.IntSlider(value=4, min=1, max=8, description="units/layer")
        self.activation = widgets.Dropdown(options=ACTIVATION_CHOICES, value="relu",
                                           description="activation")
        self.lr = widgets.Dropdown(options=[(f"{v:g}", v) for v in LEARNING_RATES], value=0.1,
                                   description="learning rate")
        self.train_button = widgets.Button(description=f"train {self.epochs_per_press} epochs",
                                           button_style="primary")
        self.reset_button = widgets.Button(description="new initialization")
        self.train_button.on_click(lambda _: self.train())
        self.reset_button.on_click(lambda _: self.reinitialize())
        super().__init__({"data": self.data, "depth": self.depth, "width": self.width,
                          "activation": self.activation, "lr": self.lr,
                          "train": self.train_button, "reset": self.reset_button},
                         figsize=(9.0, 3.8), ncols=2)
        self._build_artists()
        self._config, self.status = None, ""
        for name in self.datasets:        # draw and cache each data set's background once
            self.draw(**{**self.values(), "data": name})
            self.render()
        self.refresh()

    # ---------------------------------------------------------------- artists
    def _build_artists(self):
        ax, ax_loss = self.axes
        self.probability = ax.imshow(np.full((2, 2), 0.5), origin="lower", cmap=BLUE_ORANGE,
                               vmin=0, vmax=1, aspect="auto", interpolation="bilinear")
        self.points = [ax.scatter([], [], s=16, marker=m, c=c, edgecolors="k", linewidths=0.4,
                                  label=f"class {k} (training)")
                       for k, (m, c) in enumerate([("o", "tab:blue"), ("s", "tab:orange")])]
        ax.set(xlabel="$x_1$", ylabel="$x_2$")
        for axis in (ax.xaxis, ax.yaxis):      # same label widths for every data set: the
            axis.set_major_formatter(FormatStrFormatter("%.1f"))   # layout is computed once
        ax.legend(loc="upper right", fontsize=8.5, framealpha=0.8)
        self.fig.colorbar(self.probability, ax=ax, label="P(class 1 | x)", fraction=0.05)
        (self.train_line,) = ax_loss.plot([], [], color="tab:blue", marker="o", markevery=10,
                                          ms=3, label="training loss")
        (self.test_line,) = ax_loss.plot([], [], color="tab:orange", marker="s", markevery=10,
                                         ms=3, ls="--", label="test loss")
        ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="Loss")
        ax_loss.yaxis.set_major_formatter(FormatStrFormatter("%.1f"))
        ax_loss.legend(loc="upper right", fontsize=8)
        ax_loss.grid(True, alpha=0.3)
        # Only these change between refreshes; axes, ticks, titles, legends and the colorbar
        # are a cached background per (data set, loss-axis limits): see background_key.
        self.animate(self.probability, *self.points, self.train_line, self.test_line)
        self._limits = None

    def background_key(self):
        return self._limits

    # ---------------------------------------------------------------- the network
    def sizes(self, depth, width):
        return [2] + [int(width)] * int(depth) + [2]

    def _losses(self, X, y, Xt, yt, hidden):
        return (nn.compute_loss(self.params, X, y, hidden),
                nn.compute_loss(self.params, Xt, yt, hidden))

    def _initialize(self, config):
        name, depth, width, activation, lr, seed = config
        X, y, Xt, yt = self.datasets[name]
        self.rng = np.random.default_rng(seed)
        self.params = nn.init_params(self.sizes(depth, width), self.rng)
        train0, test0 = self._losses(X, y, Xt, yt, activation)
        self.train_loss, self.test_loss = [train0], [test0]
        self.epoch, self.diverged, self._config = 0, False, config
        self.status = ""
        extent, _ = self.grids[name]
        self.probability.set_extent(extent)
        self.axes[0].set(xlim=extent[:2], ylim=extent[2:], title=f"{name}: P(class 1 | x)")
        for k, points in enumerate(self.points):
            points.set_offsets(X[y == k])

    def _current_config(self):
        v = self.values()
        return (v["data"], v["depth"], v["width"], v["activation"], v["lr"], self.seed)

    def reinitialize(self):
        """New random initial weights (the next seed), then redraw."""
        self.seed += 1
        return self.refresh()

    def train(self, epochs=None):
        """Run `epochs` (default epochs_per_press) epochs of mini-batch SGD in chunks,
        redrawing after each chunk. Returns the final readout text."""
        epochs = self.epochs_per_press if epochs is None else int(epochs)
        config = self._current_config()
        if config != self._config:
            self._initialize(config)
        name, _, _, activation, lr, _ = config
        X, y, Xt, yt = self.datasets[name]
        done = 0
        while done < epochs and not self.diverged:
            k = min(self.chunk, epochs - done)
            params, history = fast.sgd_train(self.params, X, y, epochs=k,
                                             batch_size=self.batch_size, lr=lr, hidden=activation,
                                             rng=self.rng, X_val=Xt, y_val=yt)
            finite = all(np.all(np.isfinite(W)) and np.all(np.isfinite(b)) for W, b in params)
            losses = history["train_loss"] + history["val_loss"]
            if not finite or not np.all(np.isfinite(losses)):
                self.diverged = True
                self.status = "training diverged (the loss overflowed): lower the learning rate"
                break
            self.params = params
            self.train_loss += history["train_loss"]
            self.test_loss += history["val_loss"]
            self.epoch += k
            done += k
            self.status = (f"training: {done}/{epochs} epochs" if done < epochs
                           else f"trained {done} epochs")
            if done < epochs:
                self.refresh()
        return self.refresh()

    # ---------------------------------------------------------------- drawing
    def draw(self, data, depth, width, activation, lr):
        config = (data, depth, width, activation, lr, self.seed)
        if config != self._config:
            self._initialize(config)
        X, y, Xt, yt = self.datasets[data]
        _, G = self.grids[data]
        P = probability_of_class_1(self.params, G, activation)
        self.probability.set_data(P.reshape(self.resolution, self.resolution))
        epochs = np.arange(len(self.train_loss))
        self.train_line.set_data(epochs, self.train_loss)
        self.test_line.set_data(epochs, self.test_loss)
        # The loss axis grows in steps (50 epochs, 0.5 nats), so that the cached
        # background (ticks and labels) can be reused between the steps.
        xmax = 50 * max(1, int(np.ceil(self.epoch / 50)))
        top = max(max(self.train_loss), max(self.test_loss))
        ymax = 1.0 if top <= 0.95 else 0.5 * np.ceil(top / 0.5 + 0.1)
        if self._limits != (data, xmax, ymax):
            self.axes[1].set(xlim=(0, xmax), ylim=(0, ymax))
            self._limits = (data, xmax, ymax)
        arch = " → ".join(map(str, self.sizes(depth, width)))
        n_params = sum(W.size + b.size for W, b in self.params)
        train_acc = nn.accuracy(self.params, X, y, activation)
        test_acc = nn.accuracy(self.params, Xt, yt, activation)
        text = (f"<b>epoch {self.epoch}</b> · network {arch} ({activation}, {n_params} "
                f"parameters), learning rate {lr:g} · training loss {self.train_loss[-1]:.3f}, "
                f"accuracy {train_acc:.1%} · test loss {self.test_loss[-1]:.3f}, "
                f"accuracy {test_acc:.1%}")
        return text + (f" · <i>{self.status}</i>" if self.status else "")


def playground():
    """The playground on the default XOR, circles and spirals data sets."""
    return Playground(default_datasets())


DEMOS = {"playground": playground}

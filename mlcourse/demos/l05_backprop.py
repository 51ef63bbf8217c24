"""Lecture 5 demos: computational graphs with their values and gradients, and
backpropagation through a 2-layer MLP one step at a time.

Graphs are drawn with matplotlib alone (no graphviz): a layered layout puts
every node one column to the right of its rightmost input; boxes have a fixed
size in data units, so arrows can be clipped at the box borders exactly.
"""
import ipywidgets as widgets
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Rectangle

from mlcourse import nn
from mlcourse.activations import relu, softmax
from mlcourse.autodiff import Value, local_gradients, topological_order
from mlcourse.demos.base import FigureDemo
from mlcourse.validation import as_labels, as_matrix, as_vector

SYMBOLS = {"add": "+", "mul": "×", "exp": "exp", "log": "log", "tanh": "tanh",
           "sigmoid": "σ", "relu": "ReLU"}
BOX_W, BOX_H, DX, DY = 1.15, 0.62, 1.75, 0.85      # box size and spacing, in data units
POSITIVE, NEGATIVE = "tab:blue", "tab:orange"


# ------------------------------------------------------------------ graph layout

def graph_layout(root):
    """Columns and rows for the nodes of root's graph.

    A node's column is one more than its parents' rightmost column (a leaf sits
    just left of its first consumer); rows are filled from the root leftwards,
    each node placed near the mean height of the nodes it feeds.
    Returns: (order, xy) with order = topological_order(root) and xy (N, 2).
    """
    order = topological_order(root)
    index = {id(v): i for i, v in enumerate(order)}
    children = [[] for _ in order]
    for i, v in enumerate(order):
        for k, p in enumerate(v._parents):
            children[index[id(p)]].append((i, k, len(v._parents)))
    layer = np.zeros(len(order), dtype=int)
    for i, v in enumerate(order):
        if v._parents:
            layer[i] = 1 + max(layer[index[id(p)]] for p in v._parents)
    for i, v in enumerate(order):
        if not v._parents and children[i]:
            layer[i] = min(layer[c] for c, _, _ in children[i]) - 1
    layer -= layer.min()
    y = np.zeros(len(order))
    for col in range(layer.max(), -1, -1):
        members = np.flatnonzero(layer == col)
        # sort by the mean height of the nodes fed, then by input position (first on top)
        height = np.array([np.mean([y[c] for c, _, _ in children[i]]) if children[i] else 0.0
                           for i in members])
        slot = np.array([np.mean([k - (m - 1) / 2 for _, k, m in children[i]])
                         if children[i] else 0.0 for i in members])
        ranked = members[np.lexsort((slot, -height))]
        y[ranked] = height.mean() - (np.arange(len(ranked)) - (len(ranked) - 1) / 2) * DY
    return order, np.column_stack([layer * DX, y])


def _border_point(centre, towards):
    """Where the segment from a box's centre towards a point leaves the box."""
    d = towards - centre
    scale = min(BOX_W / 2 / abs(d[0]) if d[0] else np.inf,
                BOX_H / 2 / abs(d[1]) if d[1] else np.inf)
    return centre + min(scale, 1.0) * d


def _node_title(v):
    if not v._parents:
        return v.label or f"{v.data:g}"
    symbol = f"^{v.exponent:g}" if v._op == "pow" else SYMBOLS.get(v._op, v._op)
    return f"{symbol}  {v.label}" if v.label else symbol


class GraphDrawing:
    """The artists of one computational graph: a box per node (its name or operation,
    then its value and its gradient) and an arrow per edge labelled with the local
    derivative ∂child/∂parent.

    Built once for a graph's structure; `update(root)` rewrites the numbers for a
    graph of the same shape (e.g. rebuilt from other input values). `changing`
    lists the texts that can change (a sum's local derivatives are always 1).
    """

    def __init__(self, ax, root):
        self.ax = ax
        self.order, self.xy = graph_layout(root)
        index = {id(v): i for i, v in enumerate(self.order)}
        self.edges = [(index[id(p)], i, k) for i, v in enumerate(self.order)
                      for k, p in enumerate(v._parents)]
        self.node_texts = []
        for i, v in enumerate(self.order):
            if v is root:
                face = "tab:green"
            elif not v._parents:
                face = "tab:blue" if v.label else "0.8"
            else:
                face = "tab:orange"
            x, y = self.xy[i]
            ax.add_patch(FancyBboxPatch((x - BOX_W / 2, y - BOX_H / 2), BOX_W, BOX_H,
                                        boxstyle="round,pad=0,rounding_size=0.08",
                                        fc=face, alpha=0.25, ec="0.3", lw=0.8, zorder=2))
            ax.text(x, y + 0.3 * BOX_H, _node_title(v), ha="center", va="center",
                    fontsize=8.5, fontweight="bold", zorder=3)
            self.node_texts.append(ax.text(x, y - 0.15 * BOX_H, "", ha="center", va="center",
                                           fontsize=8.5, zorder=3, linespacing=1.1))
        self.edge_texts = []
        for a, b, _ in self.edges:
            start = _border_point(self.xy[a], self.xy[b])
            end = _border_point(self.xy[b], self.xy[a])
            ax.annotate("", xy=end, xytext=start, zorder=1,
                        arrowprops=dict(arrowstyle="-|>", color="0.35", lw=0.9,
                                        shrinkA=0, shrinkB=0))
            mid = (start + end) / 2
            self.edge_texts.append(ax.text(mid[0], mid[1], "", ha="center", va="center",
                                           fontsize=8, color="0.15", zorder=4,
                                           bbox=dict(boxstyle="round,pad=0.1", fc="white",
                                                     ec="none", alpha=0.85)))
        self.changing = self.node_texts + [t for t, (_, b, _) in zip(self.edge_texts, self.edges)
                                           if self.order[b]._op != "add"]
        pad = np.array([BOX_W, BOX_H])
        lo, hi = self.xy.min(axis=0) - pad, self.xy.max(axis=0) + pad
        ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]))
        ax.axis("off")

    def update(self, root):
        """Write values, gradients and local derivatives of `root`'s graph (same shape)."""
        order = topological_order(root)
        if [(v._op, len(v._parents)) for v in order] != \
                [(v._op, len(v._parents)) for v in self.order]:
            raise ValueError("root must have the same graph shape as the drawn one")
        for text, v in zip(self.node_texts, order):
            text.set_text(f"{v.data:+.3f}\n{v.grad:+.3f}")
        for text, (a, b, k) in zip(self.edge_texts, self.edges):
            text.set_text(f"{local_gradients(order[b])[k]:+.2f}")
        return order


def draw_graph(root, ax=None, title="Computational graph"):
    """Draw root's graph (after root.backward(), the gradients are shown too).

    Boxes: blue = named inputs, grey = constants, orange = operations, green = the
    output; each shows the node's name or operation, its value (middle line) and
    its gradient ∂root/∂node (bottom line). Edge labels:
    local derivatives ∂child/∂parent.  Returns: the Axes.
    """
    if ax is None:
        import matplotlib.pyplot as plt
        order, xy = graph_layout(root)
        span = xy.max(axis=0) - xy.min(axis=0)
        _, ax = plt.subplots(figsize=(1.2 + 0.95 * span[0], 1.0 + 0.95 * span[1]),
                             layout="constrained")
    GraphDrawing(ax, root).update(root)
    ax.set_title(title)
    return ax


# ------------------------------------------------------------------ demo 1: a graph

def neuron(x1, w1, x2, w2, b):
    """o = tanh(x1·w1 + x2·w2 + b): a neuron with two inputs (micrograd's example)."""
    x1w1 = x1 * w1
    x1w1.label = "x1w1"
    x2w2 = x2 * w2
    x2w2.label = "x2w2"
    n = x1w1 + x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def two_paths(x, y):
    """f = x·y + exp(x): x reaches f along two paths."""
    f = x * y + x.exp()
    f.label = "f"
    return f


def logistic_loss(w, x, b):
    """ℓ = -log σ(w·x + b): the logistic loss of one example with label 1."""
    z = w * x + b
    z.label = "z"
    loss = -(z.sigmoid().log())
    loss.label = "loss"
    return loss


class ExpressionGraph(FigureDemo):
    """Sliders for the inputs of a small expression; its graph shows every node's value
    (forward pass) and gradient (backward pass) and each edge's local derivative.

    build: function of Values (keyword arguments) returning the output Value; its graph
    must have the same shape for all inputs. inputs: dict name -> (value, min, max).
    """

    def __init__(self, build, inputs, title="", figsize=(8.0, 3.6)):
        if not callable(build):
            raise TypeError(f"build must be a function of Values; got {type(build).__name__}")
        if not isinstance(inputs, dict) or not inputs:
            raise TypeError("inputs must be a non-empty dict name -> (value, min, max)")
        self.build = build
        sliders = {name: widgets.FloatSlider(value=v, min=lo, max=hi, step=0.05,
                                             description=name, continuous_update=True,
                                             readout_format=".2f")
                   for name, (v, lo, hi) in inputs.items()}
        super().__init__(sliders, figsize=figsize)
        self.drawing = GraphDrawing(self.ax, self._evaluate(**self.values()))
        self.ax.set_title(title or (build.__doc__ or "").split(":")[0], fontsize=10)
        self.animate(*self.drawing.changing)
        self.refresh()

    def _evaluate(self, **inputs):
        leaves = {name: Value(v, label=name) for name, v in inputs.items()}
        root = self.build(**leaves)
        root.backward()
        return root

    def draw(self, **inputs):
        root = self._evaluate(**inputs)
        order = self.drawing.update(root)
        leaves = {v.label: v for v in order if not v._parents and v.label}
        grads = ", ".join(f"∂f/∂{name} = {leaves[name].grad:+.4f}" for name in inputs)
        return f"<b>output {root.data:+.4f}</b>; {grads}"


# ------------------------------------------------------------------ demo 2: layer by layer

STEPS = [
    ("forward", "input x", 0),
    ("forward", "z¹ = x W¹ + b¹", 1),
    ("forward", "h = ReLU(z¹)", 1),
    ("forward", "z² = h W² + b²", 2),
    ("forward", "p = softmax(z²),  ℓ = −log p_y", 2),
    ("backward", "δ² = ∂ℓ/∂z² = p − onehot(y)", 2),
    ("backward", "∇W² = hᵀ δ²,  ∇b² = δ²", 1.5),
    ("backward", "∂ℓ/∂h = δ² W²ᵀ", 1),
    ("backward", "δ¹ = ReLU′(z¹) ⊙ ∂ℓ/∂h", 1),
    ("backward", "∇W¹ = xᵀ δ¹,  ∇b¹ = δ¹", 0.5),
]


def backprop_trace(params, x, label):
    """Every quantity of one forward and backward pass of a 1-hidden-layer ReLU MLP
    with softmax output and cross-entropy loss, for a single example.

    params: [(W1, b1), (W2, b2)] with W1 (p, h), W2 (h, K); x: (p,); label: int in 0..K-1.
    Returns: dict of arrays: x, z1, h, z2, p, loss, delta2, dW2, db2, dh, delta1, dW1, db1.
    """
    (W1, b1), (W2, b2) = params
    z1 = x @ W1 + b1
    h = relu(z1)
    z2 = h @ W2 + b2
    p = softmax(z2)
    delta2 = p - np.eye(len(p))[label]
    dh = delta2 @ W2.T
    delta1 = np.where(z1 > 0, dh, 0.0)          # ReLU'(z) = 1[z > 0]
    return {"x": x, "z1": z1, "h": h, "z2": z2, "p": p, "loss": -np.log(p[label]),
            "delta2": delta2, "dW2": np.outer(h, delta2), "db2": delta2, "dh": dh,
            "delta1": delta1, "dW1": np.outer(x, delta1), "db1": delta1}


def default_network(seed=5):
    """A 2-4-3 ReLU network (He init) and 8 labelled points in the plane."""
    rng = np.random.default_rng(seed)
    params = nn.init_params([2, 4, 3], rng, init="he_normal")
    params = [(W, rng.normal(0.0, 0.3, size=b.shape)) for W, b in params]
    X = rng.normal(size=(8, 2))
    y = rng.integers(0, 3, size=8)
    return params, X, y


def _fmt(v):
    return "[" + ", ".join(f"{a:+.3f}" for a in np.ravel(v)) + "]"


class BackpropStepper(FigureDemo):
    """A slider over the 10 steps of one forward and one backward pass of a
    2-layer MLP (ReLU hidden, softmax output, cross-entropy), for one example.

    The active layer is shaded; each unit shows what has been computed for it so
    far (forward values, then δ); edges show the weights, and once they are
    computed, the weight gradients (blue solid: positive, orange dashed: negative).
    params: [(W1, b1), (W2, b2)]; X: (n, p) examples; y: (n,) labels.
    """

    def __init__(self, params, X, y):
        if not isinstance(params, (list, tuple)) or len(params) != 2:
            raise ValueError("params must hold exactly 2 layers [(W1, b1), (W2, b2)]; got "
                             f"{len(params) if isinstance(params, (list, tuple)) else params!r}")
        W1, W2 = as_matrix(params[0][0], "params[0] W"), as_matrix(params[1][0], "params[1] W")
        if W2.shape[0] != W1.shape[1]:
            raise ValueError(f"params[1] W must have {W1.shape[1]} rows; got shape {W2.shape}")
        self.params = [(W1, as_vector(params[0][1], "params[0] b", size=W1.shape[1])),
                       (W2, as_vector(params[1][1], "params[1] b", size=W2.shape[1]))]
        self.X = as_matrix(X, "X", n_features=W1.shape[0])
        self.y = as_labels(y, "y", n=len(self.X), classes=W2.shape[1])
        self.traces = [backprop_trace(self.params, x, label) for x, label in zip(self.X, self.y)]
        self.step = widgets.IntSlider(value=0, min=0, max=len(STEPS) - 1, description="step")
        self.example = widgets.IntSlider(value=0, min=0, max=len(self.X) - 1,
                                         description="example")
        back = widgets.Button(description="◀ step", layout=widgets.Layout(width="80px"))
        forward = widgets.Button(description="step ▶", layout=widgets.Layout(width="80px"))
        back.on_click(lambda _: self._move(-1))
        forward.on_click(lambda _: self._move(+1))
        super().__init__({"step": self.step, "example": self.example, "back": back,
                          "forward": forward}, figsize=(8.0, 4.2))
        self._build_artists()
        self.animate(self.band, *self.edge_sets, *self.unit_texts[1], *self.unit_texts[2])
        self.refresh()

    def _move(self, delta):
        self.step.value = int(np.clip(self.step.value + delta, 0, len(STEPS) - 1))

    def _build_artists(self):
        ax = self.ax
        sizes = [self.params[0][0].shape[0], self.params[0][0].shape[1],
                 self.params[1][0].shape[1]]
        self.columns = [0.0, 2.2, 4.4]
        w, h = 1.1, 0.62
        self.unit_xy = [[(self.columns[c], (n - 1) / 2 - j) for j in range(n)]
                        for c, n in enumerate(sizes)]
        self.band = Rectangle((0, -3), w, 6, fc="tab:green", alpha=0.15, ec="none", zorder=0)
        ax.add_patch(self.band)
        self.unit_texts = []
        for col in self.unit_xy:
            texts = []
            for x, yy in col:
                ax.add_patch(FancyBboxPatch((x - w / 2, yy - h / 2), w, h,
                                            boxstyle="round,pad=0,rounding_size=0.08",
                                            fc="white", ec="0.3", lw=0.8, zorder=2))
                texts.append(ax.text(x, yy, "", ha="center", va="center", fontsize=9,
                                     family="monospace", zorder=3))
            self.unit_texts.append(texts)
        self.edge_sets = []
        for c in range(2):
            segments = [((xa + w / 2, ya), (xb - w / 2, yb))
                        for xa, ya in self.unit_xy[c] for xb, yb in self.unit_xy[c + 1]]
            lines = LineCollection(segments, zorder=1)
            ax.add_collection(lines)
            self.edge_sets.append(lines)
        top = max(len(col) for col in self.unit_xy) / 2
        ax.set(xlim=(-0.8, self.columns[-1] + 0.8), ylim=(-top - 0.2, top + 0.4))
        for x, name in zip(self.columns, ["input", "hidden (ReLU)", "output (softmax)"]):
            ax.text(x, top + 0.15, name, ha="center", fontsize=10)
        ax.axis("off")
        ax.legend(handles=[Line2D([], [], color=POSITIVE, label="positive"),
                           Line2D([], [], color=NEGATIVE, ls="--", label="negative")],
                  loc="lower center", fontsize=8.5, ncol=2, frameon=False,
                  bbox_to_anchor=(0.5, -0.06))
        self.half_width = w / 2
        ax.set_title("Backpropagation through a 2-layer MLP, one step at a time", fontsize=10)

    def _style_edges(self, lines, M, alpha):
        values = M.ravel()
        scale = max(np.abs(values).max(), 1e-12)
        lines.set_linewidths(0.5 + 3.5 * np.abs(values) / scale)
        lines.set_colors([POSITIVE if v >= 0 else NEGATIVE for v in values])
        lines.set_linestyles(["-" if v >= 0 else "--" for v in values])
        lines.set_alpha(alpha)

    def draw(self, step, example):
        t = self.traces[example]
        label = self.y[example]
        phase, name, where = STEPS[step]
        for j, text in enumerate(self.unit_texts[0]):
            text.set_text(f"x{j + 1}={t['x'][j]:+.2f}")
        for j, text in enumerate(self.unit_texts[1]):
            lines = [f"z={t['z1'][j]:+.2f}" if step >= 1 else "",
                     f"h={t['h'][j]:+.2f}" if step >= 2 else "",
                     f"δ={t['delta1'][j]:+.2f}" if step >= 8 else
                     (f"∂h={t['dh'][j]:+.2f}" if step >= 7 else "")]
            text.set_text("\n".join(lines))
        for k, text in enumerate(self.unit_texts[2]):
            mark = " (y)" if k == label else ""
            lines = [f"z={t['z2'][k]:+.2f}" if step >= 3 else "",
                     f"p={t['p'][k]:.2f}{mark}" if step >= 4 else "",
                     f"δ={t['delta2'][k]:+.2f}" if step >= 5 else ""]
            text.set_text("\n".join(lines))
        (W1, _), (W2, _) = self.params
        self._style_edges(self.edge_sets[0], t["dW1"] if step >= 9 else W1,
                          0.9 if step >= 9 or step == 1 else 0.35)
        self._style_edges(self.edge_sets[1], t["dW2"] if step >= 6 else W2,
                          0.9 if step >= 6 or step == 3 else 0.35)
        x_band = float(np.interp(where, [0, 1, 2], self.columns))
        self.band.set_x(x_band - self.half_width - 0.05)
        self.band.set_width(2 * self.half_width + 0.1)
        edges = "weight gradients" if step >= 6 else "weights"
        return f"<b>{phase} step {step}: {name}</b> (edges show the {edges})<br>" + \
            self._readout(step, t, label)

    def background_key(self):
        return self.example.value             # the input values are drawn in the background

    def _readout(self, step, t, label):
        text = {
            0: f"x = {_fmt(t['x'])}, label y = {label}",
            1: f"z¹ = {_fmt(t['z1'])}",
            2: f"h = {_fmt(t['h'])} (negative z¹ → 0)",
            3: f"z² = {_fmt(t['z2'])}",
            4: f"p = {_fmt(t['p'])}, loss ℓ = −log p[{label}] = {t['loss']:.4f}",
            5: f"δ² = {_fmt(t['delta2'])} (p minus 1 at the true class)",
            6: f"∇b² = δ² = {_fmt(t['db2'])}; ∇W² = outer(h, δ²), largest |entry| "
               f"{np.abs(t['dW2']).max():.3f}",
            7: f"∂ℓ/∂h = {_fmt(t['dh'])}",
            8: f"δ¹ = {_fmt(t['delta1'])} (units with z¹ ≤ 0 pass nothing back)",
            9: f"∇b¹ = δ¹ = {_fmt(t['db1'])}; ∇W¹ = outer(x, δ¹), largest |entry| "
               f"{np.abs(t['dW1']).max():.3f}",
        }[step]
        return text


def graph_neuron():
    return ExpressionGraph(neuron, {"x1": (2.0, -3, 3), "w1": (-3.0, -3, 3),
                                    "x2": (0.0, -3, 3), "w2": (1.0, -3, 3), "b": (6.88, -8, 8)},
                           title="o = tanh(x1·w1 + x2·w2 + b)")


def graph_two_paths():
    return ExpressionGraph(two_paths, {"x": (0.5, -2, 2), "y": (-1.5, -3, 3)},
                           title="f = x·y + exp(x): x reaches f along two paths",
                           figsize=(6.5, 3.0))


def graph_logistic():
    return ExpressionGraph(logistic_loss, {"w": (1.0, -3, 3), "x": (-0.5, -3, 3),
                                           "b": (0.2, -3, 3)},
                           title="ℓ = −log σ(w·x + b)", figsize=(8.0, 3.0))


def backprop_stepper():
    return BackpropStepper(*default_network())


DEMOS = {"graph_neuron": graph_neuron, "graph_two_paths": graph_two_paths,
         "graph_logistic": graph_logistic, "backprop_stepper": backprop_stepper}

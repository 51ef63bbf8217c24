"""Universal approximation and depth: constructive 1-D approximations and linear regions.

One hidden layer is enough (in principle):

* a **staircase** f(x) ≈ Σ_i v_i step(x - c_i) approximates any continuous f on [a, b];
  with n steps of width h = (b - a)/n the sup error is at most Lip(f)·h/2 (claim 8.1);
* steep sigmoids σ(k(x - c)) turn the staircase into a 1-hidden-layer sigmoid network;
* a 1-hidden-layer ReLU network a0 + a1 x + Σ_i w_i relu(x - c_i) reproduces any
  continuous piece-wise linear function exactly (claim 8.2).

Depth buys more pieces: a ReLU network is piece-wise linear, and its pieces are the sets
of inputs sharing one **activation pattern** (which hidden units are on). `count_regions`
counts the patterns met by a set of inputs (a line, a 2-D grid); `zigzag_params` builds
the folding construction of Montúfar et al. (2014) / Telgarsky (2016), whose number of
pieces grows exponentially with depth, while one hidden layer of N units cuts a line in
at most N + 1 pieces (claim 8.3).

Conventions: `step(z) = 1` if z >= 0 else 0; a ReLU unit is *active* when z > 0;
`params = [(W1, b1), ..., (WL, bL)]` as in mlcourse.nn, the last layer being the
(linear) output layer, whose units are not part of the activation pattern.
"""
import math

import numpy as np

from mlcourse import nn
from mlcourse.mlp_examples import step          # the Heaviside step of lecture 4, step(0) = 1
from mlcourse.validation import as_array, as_count, as_matrix, as_rng, as_scalar, as_vector

__all__ = ["step", "staircase", "staircase_eval", "sigmoid_net", "relu_interpolant",
           "relu_interpolant_eval", "relu_net_params", "sup_error", "loglog_slope",
           "activation_patterns", "count_regions", "line_inputs", "grid_inputs",
           "zigzag_params", "random_relu_params", "shallow_max_regions",
           "montufar_regions"]


# ------------------------------------------------------------------ validation helpers

def _interval(a, b):
    a, b = as_scalar(a, "a"), as_scalar(b, "b")
    if not a < b:
        raise ValueError(f"a must be < b (the interval [a, b]); got a={a}, b={b}")
    return a, b


_positive_int = as_count                      # mlcourse.validation: a positive int


def _function(f, name="f"):
    if not callable(f):
        raise TypeError(f"{name} must be a vectorized function of x (an array -> an array); "
                        f"got {type(f).__name__}")
    return f


# ------------------------------------------------------------------ the staircase

def staircase(f, a, b, n):
    """Heights and positions of a staircase s(x) = Σ_i v_i step(x - c_i) approximating f.

    Cut [a, b] into n intervals of width h = (b - a)/n with left ends c_i = a + i h and
    midpoints m_i = c_i + h/2, i = 0..n-1; the staircase takes the value f(m_i) on the
    i-th interval, so the i-th step is the jump v_i = f(m_i) - f(m_{i-1}) (v_0 = f(m_0)).
    For an L-Lipschitz f the sup error on [a, b] is at most L h/2 = L (b - a)/(2n).

    f: vectorized function of x; a < b: the interval; n: number of steps (units) >= 1.
    Returns: v (n,) heights, c (n,) positions.
    """
    f = _function(f)
    a, b = _interval(a, b)
    n = _positive_int(n, "n")
    h = (b - a) / n
    c = a + h * np.arange(n)
    values = as_vector(np.asarray(f(c + h / 2), dtype=float), "f(x)", size=n)
    return np.diff(values, prepend=0.0), c


def staircase_eval(v, c, x):
    """s(x) = Σ_i v_i step(x - c_i).

    v: (n,) heights; c: (n,) positions; x: (m,) points.  Returns: (m,) values.
    """
    v = as_vector(v, "v")
    c = as_vector(c, "c", size=v.shape[0])
    x = as_vector(x, "x")
    return step(x[:, None] - c[None, :]) @ v


def sigmoid_net(f, a, b, n, steepness=20.0):
    """A 1-hidden-layer sigmoid network built from the staircase of f: step → σ(k(x - c)).

    Unit i computes σ(k (x - c_i)) with k = steepness / h (the sigmoid rises from 0.12
    to 0.88 over 4/k = 4h/steepness); the output adds v_i times it. The first unit is
    centred at a - h/2 instead of a, so that it is already ≈ 1 on the whole of [a, b].
    As steepness → ∞ the network tends to the staircase.

    f, a, b, n: as in `staircase`; steepness > 0 (dimensionless).
    Returns: params [(W1 (1, n), b1 (n,)), (W2 (n, 1), b2 (1,))] for
    mlcourse.nn.forward(params, X, hidden="sigmoid", output="identity").
    """
    v, c = staircase(f, a, b, n)
    steepness = as_scalar(steepness, "steepness", positive=True)
    h = (float(b) - float(a)) / n
    c = c.copy()
    c[0] -= h / 2
    k = steepness / h
    return [(np.full((1, n), k), -k * c), (v[:, None], np.zeros(1))]


# ------------------------------------------------------------------ the ReLU interpolant

def relu_interpolant(xs, ys):
    """A 1-hidden-layer ReLU net through the points (xs_j, ys_j):
    g(x) = a0 + a1 x + Σ_i w_i relu(x - c_i).

    Sort the points (x_0 < x_1 < ... < x_{m-1}); the slopes of the segments are
    s_j = (y_{j+1} - y_j)/(x_{j+1} - x_j). Then a1 = s_0, a0 = y_0 - s_0 x_0, and one
    unit per interior point c_i = x_i (i = 1..m-2) adds the change of slope
    w_i = s_i - s_{i-1} there. g is the piece-wise linear interpolant of the points
    (extended linearly beyond them).

    xs: (m,) distinct inputs in any order (m >= 2); ys: (m,) targets.
    Returns: w (m-2,), c (m-2,) sorted knots, a0 (float), a1 (float).
    """
    xs = as_vector(xs, "xs")
    ys = as_vector(ys, "ys", size=xs.shape[0])
    if xs.shape[0] < 2:
        raise ValueError(f"xs must hold at least 2 points; got {xs.shape[0]}")
    order = np.argsort(xs, kind="stable")
    x, y = xs[order], ys[order]
    if np.any(np.diff(x) == 0):
        raise ValueError("xs must hold distinct values (two targets for one input "
                         "cannot be interpolated)")
    slopes = np.diff(y) / np.diff(x)
    return np.diff(slopes), x[1:-1].copy(), float(y[0] - slopes[0] * x[0]), float(slopes[0])


def relu_interpolant_eval(w, c, a0, a1, x):
    """g(x) = a0 + a1 x + Σ_i w_i relu(x - c_i).

    w: (k,) output weights; c: (k,) knots; a0, a1: floats; x: (m,) points.
    Returns: (m,) values.
    """
    w = as_vector(w, "w")
    c = as_vector(c, "c", size=w.shape[0])
    a0, a1 = as_scalar(a0, "a0"), as_scalar(a1, "a1")
    x = as_vector(x, "x")
    return a0 + a1 * x + np.maximum(x[:, None] - c[None, :], 0.0) @ w


def relu_net_params(w, c, a0, a1):
    """The interpolant a0 + a1 x + Σ w_i relu(x - c_i) written as an MLP for mlcourse.nn.

    The linear part needs two more hidden units: a1 x = a1 relu(x) - a1 relu(-x).
    w, c: (k,); a0, a1: floats.
    Returns: params [(W1 (1, k+2), b1 (k+2,)), (W2 (k+2, 1), b2 (1,))] for
    mlcourse.nn.forward(params, X, hidden="relu", output="identity").
    """
    w = as_vector(w, "w")
    c = as_vector(c, "c", size=w.shape[0])
    a0, a1 = as_scalar(a0, "a0"), as_scalar(a1, "a1")
    W1 = np.concatenate([np.ones(w.shape[0]), [1.0, -1.0]])[None, :]
    b1 = np.concatenate([-c, [0.0, 0.0]])
    W2 = np.concatenate([w, [a1, -a1]])[:, None]
    return [(W1, b1), (W2, np.array([a0]))]


# ------------------------------------------------------------------ measuring errors

def sup_error(f, g, a, b, n_grid=20001):
    """max |f(x) - g(x)| over n_grid equally spaced points of [a, b] (both ends included):
    a lower estimate of the sup norm ||f - g||_∞ on [a, b], exact up to O(Lip / n_grid).

    f, g: vectorized functions of x; a < b; n_grid >= 2.  Returns: a float.
    """
    f, g = _function(f), _function(g, "g")
    a, b = _interval(a, b)
    n_grid = _positive_int(n_grid, "n_grid")
    x = np.linspace(a, b, max(n_grid, 2))
    return float(np.max(np.abs(np.asarray(f(x), float) - np.asarray(g(x), float))))


def loglog_slope(n, err):
    """Least-squares slope of log(err) against log(n): err ∝ n^slope.
    n, err: (k,) positive numbers, k >= 2.  Returns: a float."""
    n, err = as_vector(n, "n"), as_vector(err, "err")
    if n.shape != err.shape or n.shape[0] < 2:
        raise ValueError(f"n and err must have the same length >= 2; got {n.shape} and {err.shape}")
    if np.any(n <= 0) or np.any(err <= 0):
        raise ValueError("n and err must be positive (their logs are taken)")
    return float(np.polyfit(np.log(n), np.log(err), 1)[0])


# ------------------------------------------------------------------ linear regions

def _hidden_params(params):
    if not isinstance(params, (list, tuple)) or len(params) == 0:
        raise TypeError(f"params must be a non-empty list of (W, b) pairs; "
                        f"got {type(params).__name__}")
    return params


def activation_patterns(params, X):
    """Which hidden ReLU units are active (z > 0) on each input.

    Layer l computes Z_l = A_{l-1} @ W_l + b_l and A_l = relu(Z_l); the pattern of an
    input concatenates [Z_l > 0] over the hidden layers l = 1..L-1 (the last layer of
    params is the linear output layer and is not part of the pattern).

    params: [(W_l, b_l)] of a ReLU MLP; X: (n, n_0) inputs.
    Returns: (n, H) bool array, H = number of hidden units (H = 0 without hidden layer).
    """
    params = _hidden_params(params)
    X = as_matrix(X, "X")
    _, caches = nn.forward(params, X, hidden="relu", output="identity")
    if len(caches) == 1:
        return np.zeros((X.shape[0], 0), dtype=bool)
    return np.concatenate([Z > 0 for _, _, Z in caches[:-1]], axis=1)


def count_regions(params, X_line):
    """Number of distinct activation patterns among the rows of X_line.

    Each pattern is met on a convex polytope of the input space on which the network
    is affine (a linear region), so along ordered points of a line this is the number
    of linear pieces the line crosses, and on a fine 2-D grid the number of regions the
    grid meets (a lower estimate: regions thinner than the grid can be missed).

    params: [(W_l, b_l)] of a ReLU MLP; X_line: (n, n_0) inputs, n >= 1.
    Returns: an int >= 1.
    """
    P = activation_patterns(params, X_line)
    if P.shape[1] == 0:
        return 1
    rows = np.ascontiguousarray(np.packbits(P, axis=1))
    return int(np.unique(rows.view(np.dtype((np.void, rows.shape[1]))).ravel()).shape[0])


def line_inputs(start, end, n=2001):
    """n points on the segment from `start` to `end`, in order: start + t (end - start)
    with t_j = (j + φ)/n, φ = 0.618... (the golden ratio's fractional part), so that no
    point falls exactly on a simple dyadic or rational breakpoint of the constructions.

    start, end: (p,) points; n >= 1.  Returns: (n, p) array.
    """
    start = as_vector(start, "start")
    end = as_vector(end, "end", size=start.shape[0])
    n = _positive_int(n, "n")
    t = (np.arange(n) + (math.sqrt(5) - 1) / 2) / n
    return start + t[:, None] * (end - start)


def grid_inputs(low, high, resolution=200):
    """A resolution × resolution grid on the square [low, high]², offset like line_inputs.
    low < high; resolution >= 1.  Returns: (resolution², 2) array, rows in raster order
    (x_2 the slow index), so values reshape to (resolution, resolution) images."""
    low, high = _interval(low, high)
    resolution = _positive_int(resolution, "resolution")
    t = low + (high - low) * (np.arange(resolution) + (math.sqrt(5) - 1) / 2) / resolution
    xx, yy = np.meshgrid(t, t)
    return np.column_stack([xx.ravel(), yy.ravel()])


def zigzag_params(teeth, depth, n_inputs=1):
    """A deep ReLU net that folds [0, 1] onto itself `teeth` times per layer, per input.

    The zigzag z(x) = teeth·x - 2·teeth Σ_{k=1}^{teeth-1} (-1)^{k+1} relu(x - k/teeth)
    has `teeth` linear pieces of slopes ±teeth, each mapping its interval onto [0, 1]
    (teeth = 2 is Telgarsky's tent map 2x - 4 relu(x - 1/2)). Each hidden layer applies z
    to every coordinate with `teeth` units per coordinate; composing `depth` layers gives
    teeth^depth pieces per coordinate, i.e. (teeth^depth)^n_inputs regions of [0, 1]^n_inputs
    with only teeth·depth·n_inputs units (the construction of Montúfar et al., 2014).
    The output layer sums the folded coordinates.

    teeth >= 2, depth >= 1, n_inputs >= 1: ints.
    Returns: params [(W_l, b_l)] with depth hidden layers of teeth·n_inputs units.
    """
    teeth = _positive_int(teeth, "teeth")
    depth = _positive_int(depth, "depth")
    n_inputs = _positive_int(n_inputs, "n_inputs")
    if teeth < 2:
        raise ValueError(f"teeth must be >= 2 (one tooth does not fold); got {teeth}")
    knots = np.arange(teeth) / teeth                       # 0, 1/t, ..., (t-1)/t
    coef = np.concatenate([[teeth], 2.0 * teeth * (-1.0) ** np.arange(1, teeth)])
    eye = np.eye(n_inputs)
    W_in = np.kron(eye, np.ones((1, teeth)))               # coordinate -> its teeth units
    b_hidden = np.tile(-knots, n_inputs)
    W_fold = np.kron(eye, coef[:, None])                   # teeth units -> z(coordinate)
    params = [(W_in, b_hidden)]
    for _ in range(depth - 1):
        params.append((W_fold @ W_in, b_hidden.copy()))
    params.append((W_fold @ np.ones((n_inputs, 1)), np.zeros(1)))
    return params


def random_relu_params(n_inputs, widths, rng, bias_std=0.5):
    """A random ReLU MLP: He-normal weights and N(0, bias_std²) biases, one output.

    n_inputs: int; widths: hidden layer sizes (list of ints); rng: Generator or seed;
    bias_std >= 0 (zero biases would make every first-layer boundary pass through 0).
    Returns: params [(W_l, b_l)] for layer sizes [n_inputs, *widths, 1].
    """
    rng = as_rng(rng)          # one stream for weights and biases (a seed must not be reused)
    params = nn.init_params([n_inputs, *widths, 1], rng, init="he_normal")
    bias_std = as_scalar(bias_std, "bias_std")
    if bias_std < 0:
        raise ValueError(f"bias_std must be >= 0; got {bias_std}")
    return [(W, rng.normal(0.0, bias_std, b.shape) if l < len(params) - 1 else b)
            for l, (W, b) in enumerate(params)]


def shallow_max_regions(n_units, n_inputs):
    """Maximal number of linear regions of a 1-hidden-layer ReLU net with n_units units
    on R^n_inputs: the regions of an arrangement of n_units hyperplanes in general
    position, Σ_{j=0}^{n_inputs} C(n_units, j) (Zaslavsky, 1975). On a line: n_units + 1.
    Returns: an int."""
    n_units = _positive_int(n_units, "n_units")
    n_inputs = _positive_int(n_inputs, "n_inputs")
    return sum(math.comb(n_units, j) for j in range(n_inputs + 1))


def montufar_regions(width, depth, n_inputs):
    """Montúfar et al.'s (2014) lower bound on the maximal number of linear regions of a
    ReLU net with n_inputs inputs and `depth` hidden layers of `width` >= n_inputs units:
    ⌊width/n_inputs⌋^{n_inputs (depth-1)} · Σ_{j=0}^{n_inputs} C(width, j),
    which grows like (width/n_inputs)^{n_inputs (depth-1)} width^{n_inputs}.
    Returns: an int."""
    width = _positive_int(width, "width")
    depth = _positive_int(depth, "depth")
    n_inputs = _positive_int(n_inputs, "n_inputs")
    if width < n_inputs:
        raise ValueError(f"width must be >= n_inputs ({n_inputs}); got {width}")
    return (width // n_inputs) ** (n_inputs * (depth - 1)) * shallow_max_regions(width, n_inputs)

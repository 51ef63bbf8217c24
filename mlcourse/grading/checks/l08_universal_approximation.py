"""Checks of lecture 8: the staircase, the ReLU interpolant, counting linear regions."""
import numpy as np

from mlcourse import uat as ref
from mlcourse.grading.framework import Case, choice_judge, exercise, number_judge, question

LECTURE = "08_universal_approximation"


# ---------------------------------------------------------------- shared judges

def _vector(x, what, size=None):
    """x as a finite 1-D float array, or a message saying what is wrong."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        return None, f"{what} should be a 1-D array of numbers; got {type(x).__name__}"
    if arr.ndim != 1:
        return None, f"{what} should be a 1-D array; got shape {arr.shape}"
    if size is not None and arr.shape[0] != size:
        return None, f"{what} should have shape ({size},); got shape {arr.shape}"
    if not np.all(np.isfinite(arr)):
        return None, f"{what} contains NaN or infinity"
    return arr, None


# ---------------------------------------------------------------- uat_staircase

#: name -> (f, a, b, Lipschitz constant of f on [a, b])
TARGETS = {
    "sin(x) on [0, 2π]": (np.sin, 0.0, 2 * np.pi, 1.0),
    "|x - 0.3| on [-1, 1]": (lambda x: np.abs(x - 0.3), -1.0, 1.0, 1.0),
    "x² on [-1, 2]": (np.square, -1.0, 2.0, 4.0),
    "exp(x) on [0, 1]": (np.exp, 0.0, 1.0, np.e),
    "1 - 5x on [0, 1] (a falling line)": (lambda x: 1.0 - 5.0 * x, 0.0, 1.0, 5.0),
}


def _staircase_judge(got, case):
    f, a, b, n = case.args
    lip = case.expected
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return f"return a pair (v, c) of arrays; got {type(got).__name__}"
    v, msg = _vector(got[0], "v (the heights)", n)
    if msg:
        return msg + f"\n    a staircase with n = {n} steps has n heights and n positions"
    c, msg = _vector(got[1], "c (the positions)", n)
    if msg:
        return msg + f"\n    a staircase with n = {n} steps has n heights and n positions"
    x = np.linspace(a, b, 4001)
    s = (x[:, None] >= c[None, :]).astype(float) @ v
    err = np.abs(f(x) - s)
    worst = int(np.argmax(err))
    bound = lip * (b - a) / n
    if err[worst] > bound * (1 + 1e-9) + 1e-12:
        return (f"the sup error of your staircase on [{a:.4g}, {b:.4g}] is {err[worst]:.4g} "
                f"(at x = {x[worst]:.4g}: f(x) = {f(x[worst]):.4g}, staircase = {s[worst]:.4g});"
                f"\n    it must be at most Lip(f)·(b - a)/n = {bound:.4g}")
    return None


@exercise("uat_staircase", LECTURE, "staircase")
def staircase_cases(rng):
    def case(name, n, hint):
        f, a, b, lip = TARGETS[name]
        return Case(f"{name} with n = {n}", args=(f, a, b, n), expected=lip,
                    judge=_staircase_judge, hint=hint)
    hint = ("cut [a, b] into n intervals of width h = (b - a)/n; step i sits at c_i = a + i h "
            "and its height v_i is the CHANGE of the value from interval i-1 to interval i "
            "(v_0 is the first value itself)")
    return [
        case("sin(x) on [0, 2π]", 10, hint),
        case("|x - 0.3| on [-1, 1]", 7, hint),
        case("x² on [-1, 2]", 25, hint),
        case("exp(x) on [0, 1]", 1, "with n = 1 the staircase is one step: a constant on [a, b]"),
        case("1 - 5x on [0, 1] (a falling line)", 40,
             "heights can be negative: v_i = value_i - value_{i-1}"),
        case("sin(x) on [0, 2π]", int(rng.integers(50, 200)),
             "with step(z) = 1 for z >= 0, the step at c_0 = a is already on at x = a"),
    ]


# ---------------------------------------------------------------- uat_relu_interpolant

def _interpolant_judge(got, case):
    xs, ys = case.args
    if not isinstance(got, (tuple, list)) or len(got) != 4:
        return f"return a tuple (w, c, a0, a1); got {type(got).__name__}"
    w, msg = _vector(got[0], "w (the output weights)")
    if msg:
        return msg
    c, msg = _vector(got[1], "c (the knots)", w.shape[0])
    if msg:
        return msg + " (one knot per weight)"
    try:
        a0, a1 = float(got[2]), float(got[3])
    except (TypeError, ValueError):
        return (f"a0 and a1 should be numbers; got {type(got[2]).__name__} and "
                f"{type(got[3]).__name__}")
    if w.shape[0] > len(xs):
        return (f"you used {w.shape[0]} hidden units for {len(xs)} points; at most "
                f"{len(xs)} are allowed ({len(xs) - 2} suffice)")
    g = lambda x: a0 + a1 * x + np.maximum(x[:, None] - c[None, :], 0.0) @ w  # noqa: E731
    scale = 1e-9 * (1 + np.max(np.abs(ys)))
    at_points = g(xs)
    bad = np.abs(at_points - ys) > scale
    if np.any(bad):
        j = int(np.argmax(np.abs(at_points - ys)))
        return (f"g does not pass through the point ({xs[j]:.4g}, {ys[j]:.4g}): "
                f"g({xs[j]:.4g}) = {at_points[j]:.4g} "
                f"({int(bad.sum())} of {len(xs)} points missed)")
    order = np.argsort(xs)
    x_sorted, y_sorted = xs[order], ys[order]
    mid = np.linspace(x_sorted[0], x_sorted[-1], 1001)
    diff = np.abs(g(mid) - np.interp(mid, x_sorted, y_sorted))
    if np.max(diff) > 1e-7 * (1 + np.max(np.abs(ys))):
        j = int(np.argmax(diff))
        return (f"g goes through the points but is not linear between them: at x = {mid[j]:.4g} "
                f"g = {g(mid[j:j + 1])[0]:.4g}, the straight segment gives "
                f"{np.interp(mid[j], x_sorted, y_sorted):.4g}")
    return None


@exercise("uat_relu_interpolant", LECTURE, "relu_interpolant")
def relu_interpolant_cases(rng):
    def case(name, xs, ys, hint):
        xs, ys = np.asarray(xs, float), np.asarray(ys, float)
        return Case(name, args=(xs, ys), judge=_interpolant_judge, hint=hint)
    hint = ("sort the points; a1 is the first slope, a0 makes the first segment pass through "
            "the first point, and each interior point x_i gets a unit relu(x - x_i) whose "
            "weight is the change of slope there: s_i - s_(i-1)")
    x_random = np.sort(rng.uniform(-3, 3, 20))
    return [
        case("5 sorted points of |x|", [-2.0, -1.0, 0.0, 1.0, 2.0], [2.0, 1.0, 0.0, 1.0, 2.0],
             hint),
        case("6 points given in a shuffled order", [0.5, -1.0, 2.0, 0.0, 1.0, -2.5],
             [1.0, -1.0, 0.5, 2.0, -0.5, 0.0],
             "the inputs are not sorted: sort them (with np.argsort, moving ys along) without "
             "sorting the caller's arrays in place"),
        case("two points: a straight line, no hidden unit needed", [1.0, 3.0], [2.0, -2.0],
             "with 2 points there are no interior points: w and c are empty arrays and "
             "g(x) = a0 + a1 x is the line through both"),
        case("20 random points", x_random, rng.normal(size=20), hint),
        case("points on a straight line (every change of slope is 0)", [0.0, 1.0, 2.0, 3.0],
             [1.0, 3.0, 5.0, 7.0], "a1 = 2 and a0 = 1 here"),
        case("steep and flat segments mixed", [0.0, 0.01, 1.0, 1.01, 5.0],
             [0.0, 10.0, 10.0, -5.0, -5.0], hint),
    ]


# ---------------------------------------------------------------- uat_count_regions

def _reference_count(params, X):
    return ref.count_regions(params, X)


@exercise("uat_count_regions", LECTURE, "count_regions")
def count_regions_cases(rng):
    def case(name, params, X, hint):
        return Case(name, args=(params, X), expected=_reference_count(params, X), hint=hint)
    line = ref.line_inputs([-2.0], [2.0], 400)
    knots = np.array([-1.0, 0.0, 0.5, 1.5])
    one_layer = [(np.ones((1, 4)), -knots), (rng.normal(size=(4, 1)), np.zeros(1))]
    tent3 = ref.zigzag_params(2, 3)
    unit_line = ref.line_inputs([0.0], [1.0], 1000)
    rand2d = ref.random_relu_params(2, [6, 6], rng)
    grid = ref.grid_inputs(-1.0, 1.0, 60)
    # the output unit changes sign inside regions: counting it would add patterns
    out_sign = [(np.array([[1.0, 1.0]]), np.array([0.0, -1.0])),
                (np.array([[1.0], [1.0]]), np.array([-0.5]))]
    zero_line = np.array([[-1.0], [0.0], [2.0]])   # z = 0 exactly at x = 0 (first unit)
    zero_net = [(np.array([[1.0, 1.0]]), np.array([0.0, -1.5])), (np.ones((2, 1)), np.zeros(1))]
    pattern_hint = ("compute every hidden layer's pre-activations Z = A @ W + b, mark Z > 0, "
                    "put the marks of all hidden layers side by side and count the distinct "
                    "rows")
    return [
        case("one hidden layer with 4 ReLUs whose kinks lie on the line (5 pieces)",
             one_layer, line, pattern_hint),
        case("Telgarsky's tent map composed 3 times on [0, 1] (8 pieces)", tent3, unit_line,
             "the pattern includes the units of EVERY hidden layer, not only the first"),
        case("a random 2-6-6-1 net on a 60 x 60 grid (a 2-D slice: count distinct patterns, "
             "not changes along the rows)", rand2d, grid,
             "count distinct patterns over all rows; counting changes between consecutive rows "
             "counts a region again each time the scan re-enters it"),
        case("the output unit is not part of the pattern", out_sign,
             ref.line_inputs([-3.0], [3.0], 300),
             "the last (W, b) of params is the output layer: leave it out of the pattern"),
        case("a unit with z = 0 exactly counts as inactive", zero_net, zero_line,
             "a ReLU unit is active when z > 0 (strictly): relu'(0) = 0 in this course"),
        case("a network without hidden layer has 1 region", [(np.array([[2.0]]), np.array([1.0]))],
             line, "with no hidden layer the network is affine: one region"),
        case("a single input row", one_layer, line[:1], "one input has one pattern"),
    ]


# ---------------------------------------------------------------- conceptual questions

question("uat_q1", LECTURE, "what the universal approximation theorem guarantees",
         judge=choice_judge("b"),
         hint="the theorem is an existence statement about approximating a known "
              "continuous function; it says nothing about training or data")


question("uat_q2", LECTURE, "the largest number of linear pieces of a 1-hidden-layer ReLU net with 10 units "
                            "on the real line",
         judge=number_judge(11),
         hint="each unit relu(w x + b) bends the function at one point at most")


question("uat_q3", LECTURE, "the number of linear pieces on [0, 1] of the tent map composed 5 times",
         judge=number_judge(32),
         hint="each composition maps every piece onto [0, 1] and folds it in two")

"""Checks of lecture 4: activations, the XOR network, the MLP's forward pass and its losses."""
import warnings

import numpy as np

from mlcourse import activations as act
from mlcourse import losses, nn
from mlcourse.grading.framework import Case, choice_judge, compare, exercise, question

LECTURE = "04_mlp"


# ---------------------------------------------------------------- shared probes and judges

def quiet_probe(fn, *args, **kwargs):
    """Call the student's function and record NumPy's numerical warnings (overflow,
    invalid value, division by zero): {"value": result, "warnings": [messages]}."""
    with warnings.catch_warnings(record=True) as caught, \
            np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
        warnings.simplefilter("always")
        value = fn(*args, **kwargs)
    messages = sorted({str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)})
    return {"value": value, "warnings": messages}


def quiet_judge(got, case):
    """Fail on any numerical warning, else compare with the expected value."""
    if got["warnings"]:
        return ("NumPy warned while your function ran: " + "; ".join(got["warnings"])
                + "\n    (an exp of a large number overflowed, or inf/inf or 0/0 appeared)")
    return compare(case.expected, got["value"], case.rtol, case.atol)


def _forbid_np_tanh(fn, z):
    """Call fn(z) with np.tanh replaced by a function that raises (restored afterwards)."""
    original = np.tanh

    def forbidden(*args, **kwargs):
        raise RuntimeError("np.tanh is off limits in this exercise: build tanh from np.exp")

    np.tanh = forbidden
    try:
        return fn(z)
    finally:
        np.tanh = original


# ---------------------------------------------------------------- activations

@exercise("activations_relu", LECTURE, "relu")
def relu_cases(rng):
    def case(name, z, hint=""):
        return Case(name, args=(z,), expected=act.relu(z), hint=hint)
    elementwise = ("ReLU acts element by element: np.maximum compares entry by entry, while "
                   "np.max reduces the array along an axis")
    return [
        case("negative, zero and positive entries: z = (-2, -0.5, 0, 0.5, 3)",
             np.array([-2.0, -0.5, 0.0, 0.5, 3.0]), elementwise),
        case("a batch of shape (3, 4) keeps its shape", rng.normal(size=(3, 4)),
             "return an array of the same shape as z"),
        case("large inputs pass through unchanged: z = (-1e6, 1e6)", np.array([-1e6, 1e6]),
             "for z > 0 ReLU is the identity: no clipping from above"),
        case("random inputs, left unchanged by the call", rng.normal(size=10) * 3,
             "work on a copy: z[z < 0] = 0 changes the caller's array"),
    ]


@exercise("activations_leaky_relu", LECTURE, "leaky_relu")
def leaky_relu_cases(rng):
    z = np.array([-10.0, -1.0, -0.1, 0.0, 0.1, 1.0, 10.0])
    def case(name, z, hint="", **kwargs):
        return Case(name, args=(z,), kwargs=kwargs, expected=act.leaky_relu(z, **kwargs),
                    hint=hint)
    slope = ("leaky ReLU is z for z > 0 and alpha * z for z <= 0: choose between the two "
             "element by element (np.where)")
    return [
        case("default slope alpha = 0.01", z, slope),
        case("alpha = 0.2 given by keyword", z, "use the argument alpha, not a fixed 0.01",
             alpha=0.2),
        case("alpha = 0 gives the plain ReLU", z, slope, alpha=0.0),
        case("positive inputs keep slope 1: z in (0, 100]", np.linspace(0.5, 100.0, 6),
             "only the negative side is scaled by alpha"),
        case("a random batch (4, 3), alpha = 0.1", rng.normal(size=(4, 3)) * 2, slope,
             alpha=0.1),
    ]


@exercise("activations_tanh", LECTURE, "tanh")
def tanh_cases(rng):
    def case(name, z, hint=""):
        return Case(name, args=(z,), expected=act.tanh(z), probe=quiet_probe,
                    judge=quiet_judge, hint=hint)
    formula = "tanh(z) = (e^z - e^-z) / (e^z + e^-z)"
    stable = ("e^1000 overflows to inf and inf / inf is nan. Multiply top and bottom by "
              "e^(-|z|) and use tanh(-z) = -tanh(z): then every exponent is <= 0")
    z_random = rng.normal(size=8) * 2
    return [
        case("moderate inputs z in [-3, 3]", np.linspace(-3.0, 3.0, 13), formula),
        case("tanh(0) = 0 and tanh(-z) = -tanh(z)", np.array([-2.0, -1.0, 0.0, 1.0, 2.0]),
             "check the sign of the e^-z terms"),
        case("z = -1000, -50, 50, 1000: +-1 with no overflow warning",
             np.array([-1000.0, -50.0, 50.0, 1000.0]), stable),
        case("a batch of shape (2, 3) keeps its shape", rng.normal(size=(2, 3)) * 4,
             "work element-wise on any shape"),
        Case("built from np.exp (np.tanh is switched off for this case)", args=(z_random,),
             expected=act.tanh(z_random), probe=_forbid_np_tanh, banned=("np.tanh",),
             hint="the point of the exercise is the formula: write it with np.exp"),
    ]


@exercise("activations_softmax", LECTURE, "softmax")
def softmax_cases(rng):
    def case(name, Z, hint=""):
        return Case(name, args=(Z,), expected=act.softmax(Z), probe=quiet_probe,
                    judge=quiet_judge, hint=hint)
    rows = ("normalize each ROW: sum along axis 1, keeping the dimension so that the (n, 1) "
            "sums broadcast against the (n, K) exponentials")
    shift = ("np.exp(1000) overflows; subtract each row's maximum first "
             "(it cancels between numerator and denominator)")
    return [
        case("one row: Z = [[1, 2, 3]]", np.array([[1.0, 2.0, 3.0]]),
             "softmax(z)_k = e^(z_k) / sum_j e^(z_j)"),
        case("a batch of 4 rows and 3 classes: every row sums to 1", rng.normal(size=(4, 3)),
             rows),
        case("a square batch (3, 3): rows, not columns, are normalized",
             rng.normal(size=(3, 3)) * 2, rows),
        case("equal logits give the uniform distribution 1/K", np.zeros((2, 4)),
             "with equal logits every class gets the same probability"),
        case("large logits Z = [[1000, 1001, 1002]] without overflow",
             np.array([[1000.0, 1001.0, 1002.0]]), shift),
        case("rows on very different scales: [1000, 999, 998] and [-1000, -1001, -1002]",
             np.array([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -1002.0]]),
             "subtract each row's OWN maximum (along axis 1), not the maximum of "
             "the whole array: otherwise the second row becomes exp(-2000) = 0 and 0 / 0"),
    ]


@exercise("activations_sparsemax", LECTURE, "sparsemax")
def sparsemax_cases(rng):
    def case(name, Z, hint=""):
        Z = np.asarray(Z, dtype=float)
        return Case(name, args=(Z,), expected=act.sparsemax(Z), hint=hint)
    recipe = ("per row: sort z in decreasing order, k* = the largest k with "
              "1 + k z_(k) > z_(1) + ... + z_(k), tau = (z_(1) + ... + z_(k*) - 1) / k*, "
              "output max(z - tau, 0)")
    return [
        case("one dominant logit: z = (3, 1, 0) gives (1, 0, 0)", [[3.0, 1.0, 0.0]], recipe),
        case("z = (1.0, 0.8, 0.1, -1.0) gives (0.6, 0.4, 0, 0)", [[1.0, 0.8, 0.1, -1.0]],
             recipe),
        case("logits out of order: the output keeps the original order of the classes",
             [[0.1, 1.0, -1.0, 0.8]],
             "sort only to find tau; then apply max(z - tau, 0) to the UNSORTED z"),
        case("equal logits give the uniform distribution (no zeros)", np.zeros((1, 4)),
             "here every class is in the support: k* = K"),
        case("a random batch (5, 6): each row has its own threshold tau",
             rng.normal(size=(5, 6)) * 1.5,
             "sort along axis 1, and compute k* and tau for every row (keep the dimension so tau "
             "broadcasts)"),
        case("shifting the logits by 1000 changes nothing", rng.normal(size=(3, 4)) + 1000.0,
             recipe),
        case("a single class (K = 1) gets probability 1", [[-3.0]], recipe),
    ]


# ---------------------------------------------------------------- the XOR network

CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR = np.array([0, 1, 1, 0])


def _xor_probe(xor_network):
    result = xor_network()
    if not isinstance(result, (tuple, list)) or len(result) != 4:
        raise TypeError("xor_network() must return four arrays: (W1, b1, W2, b2)")
    return tuple(np.asarray(a, dtype=float) for a in result)


def _xor_shapes(got):
    W1, b1, W2, b2 = got
    problems = []
    if W1.shape != (2, 2):
        problems.append(f"W1 must have shape (2, 2) (2 inputs -> 2 hidden units); got {W1.shape}")
    if b1.shape != (2,):
        problems.append(f"b1 must have shape (2,); got {b1.shape}")
    if W2.shape not in ((2,), (2, 1)):
        problems.append(f"W2 must have shape (2, 1) or (2,); got {W2.shape}")
    if b2.size != 1:
        problems.append(f"b2 must be one number (or an array of length 1); got shape {b2.shape}")
    return "; ".join(problems) or None


def _judge_xor_shapes(got, case):
    return _xor_shapes(got)


def _judge_xor_outputs(got, case):
    problem = _xor_shapes(got)
    if problem:
        return "cannot evaluate the network: " + problem
    W1, b1, W2, b2 = got
    H = (CORNERS @ W1 + b1 >= 0).astype(int)
    out = (H @ W2.reshape(2) + b2.reshape(-1)[0] >= 0).astype(int)
    if np.array_equal(out, XOR):
        return None
    rows = ", ".join(f"({int(a)},{int(b)}) -> h = {tuple(int(v) for v in h)}, y = {o}"
                     for (a, b), h, o in zip(CORNERS, H, out))
    return f"your network computes {rows}\n    XOR needs y = 0, 1, 1, 0"


@exercise("mlp_xor_network", LECTURE, "xor_network")
def xor_network_cases(rng):
    hint = ("one hidden unit can compute OR (x1 + x2 - 0.5 >= 0), the other NAND; the output "
            "unit is then the AND of the two hidden units")
    return [
        Case("W1, b1, W2, b2 have the shapes of a 2-2-1 network", probe=_xor_probe,
             judge=_judge_xor_shapes,
             hint="the layer computes X @ W1 + b1, so W1 is (inputs, hidden units) = (2, 2)"),
        Case("the outputs are XOR on (0,0), (0,1), (1,0), (1,1) with step(z) = 1 if z >= 0",
             probe=_xor_probe, judge=_judge_xor_outputs, hint=hint),
    ]


# ---------------------------------------------------------------- the forward pass

@exercise("mlp_forward", LECTURE, "mlp_forward")
def mlp_forward_cases(rng):
    def layers(sizes, scale=1.0):
        return [(rng.normal(size=(a, b)) * scale, rng.normal(size=b) * 0.5)
                for a, b in zip(sizes[:-1], sizes[1:])]
    def case(name, params, X, hint="", quiet=False):
        extra = {"probe": quiet_probe, "judge": quiet_judge} if quiet else {}
        return Case(name, args=(params, X), expected=nn.mlp_forward(params, X), hint=hint,
                    **extra)
    recipe = ("every layer but the last is an affine map followed by ReLU; the last is an "
              "affine map followed by softmax, one row per example")
    # hidden units are all positive, output scores all negative: ReLU must not touch them
    W1, b1 = np.abs(rng.normal(size=(3, 4))), np.ones(4)
    W2, b2 = -np.abs(rng.normal(size=(4, 3))), np.array([-1.0, -2.0, -3.0])
    big = layers([3, 5, 4])
    big[-1] = (big[-1][0] * 400.0, big[-1][1])
    return [
        case("no hidden layer: softmax(X @ W + b)", layers([3, 4]), rng.normal(size=(5, 3)),
             recipe),
        case("one hidden layer, 3 -> 5 -> 4, with biases", layers([3, 5, 4]),
             rng.normal(size=(6, 3)), recipe),
        case("three hidden layers of different widths, 2 -> 6 -> 5 -> 3 -> 4",
             layers([2, 6, 5, 3, 4]), rng.normal(size=(7, 2)),
             "loop over the list of (W, b) pairs; widths change from layer to layer"),
        case("negative output scores: no ReLU on the output layer", [(W1, b1), (W2, b2)],
             rng.normal(size=(4, 3)),
             "the last layer goes straight into softmax; ReLU would set negative scores to 0"),
        case("output scores in the hundreds stay finite", big, rng.normal(size=(5, 3)),
             "use a softmax that subtracts each row's maximum", quiet=True),
        case("a single example, X of shape (1, 3)", layers([3, 5, 2]), rng.normal(size=(1, 3)),
             recipe),
    ]


# ---------------------------------------------------------------- losses

def _judge_finite_ce(p_small):
    def judge(got, case):
        try:
            value = float(np.asarray(got, dtype=float))
        except (TypeError, ValueError):
            return f"the loss should be one number; got {got!r:.60}"
        if not np.isfinite(value):
            return f"the loss is {value}: log(0) = -inf. Clip p_y from below, e.g. at 1e-12"
        probs, y = case.args
        floor = losses.cross_entropy(np.where(probs > 0, probs, p_small), y)
        if value < floor:
            return (f"the loss is {value:.4f}, but an example with p_y = 0 should cost at "
                    f"least -log({p_small:g}) on its own: clip at a small number like 1e-12")
        return None
    return judge


@exercise("losses_cross_entropy", LECTURE, "cross_entropy")
def cross_entropy_cases(rng):
    def case(name, probs, y, hint=""):
        probs, y = np.asarray(probs, dtype=float), np.asarray(y)
        return Case(name, args=(probs, y), expected=losses.cross_entropy(probs, y), hint=hint)
    def random_probs(n, K):
        return act.softmax(rng.normal(size=(n, K)) * 2)
    pick = "pick one probability per row: index with an array of row numbers and the labels"
    P = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]])
    P_zero = np.array([[0.9, 0.1, 0.0], [0.2, 0.5, 0.3], [0.0, 1.0, 0.0]])
    return [
        case("three examples, three classes", P, [0, 1, 2], "L = -(1/n) sum_i log probs[i, y_i]"),
        case("confident correct predictions (p_y = 1) cost 0", np.eye(3), [0, 1, 2],
             "-log(1) = 0"),
        case("uniform predictions over K = 4 classes cost log 4", np.full((5, 4), 0.25),
             [0, 1, 2, 3, 0], "use the natural logarithm np.log"),
        case("the MEAN over the examples (n = 6, K = 2), not the sum", random_probs(6, 2),
             rng.integers(0, 2, size=6), "divide by the number of examples n"),
        case("labels select one entry per row (n = 5, K = 3)", random_probs(5, 3),
             np.array([2, 0, 1, 1, 2]), pick),
        Case("p_y = 0 for one example: the loss is large but finite",
             args=(P_zero, np.array([2, 1, 0])), judge=_judge_finite_ce(1e-4),
             hint="np.log(0) is -inf: clip p_y from below at a small number such as 1e-12 first"),
    ]


@exercise("losses_mse", LECTURE, "mse")
def mse_cases(rng):
    def case(name, pred, target, hint=""):
        pred, target = np.asarray(pred, dtype=float), np.asarray(target, dtype=float)
        return Case(name, args=(pred, target), expected=losses.mse(pred, target), hint=hint)
    formula = "L = (1/N) sum (pred - target)^2 over all N entries, with no 1/2 and no square root"
    return [
        case("four predictions", [1.0, 2.0, 3.0, 4.0], [1.5, 2.0, 2.0, 6.0], formula),
        case("perfect predictions cost 0", [0.3, -1.2, 5.0], [0.3, -1.2, 5.0], formula),
        case("errors of +2, -2 and 0.5 are squared, not taken in absolute value",
             [3.0, -1.0, 0.5], [1.0, 1.0, 0.0], "square the differences (not their absolute values)"),
        case("pred of shape (5, 3): the mean runs over all 15 entries",
             rng.normal(size=(5, 3)), rng.normal(size=(5, 3)),
             "np.mean over the whole array (not a sum over the outputs)"),
        case("random vectors (n = 8)", rng.normal(size=8), rng.normal(size=8), formula),
    ]


# ---------------------------------------------------------------- conceptual questions

def _judge_parameter_count(got, case):
    try:
        value = float(got)
    except (TypeError, ValueError):
        return f"answer with a number; got {got!r}"
    return None if value == 784 * 30 + 30 + 30 * 10 + 10 else f"{got!r} is not the right count"


question("mlp_q1", LECTURE, "the number of parameters of a 784-30-10 network",
         judge=_judge_parameter_count,
         hint="a dense layer n_in -> n_out has n_in * n_out weights and n_out biases")


question("mlp_q2", LECTURE, "what a deep network with linear activations computes",
         judge=choice_judge("b"),
         hint="multiply out two linear layers: (x W1 + b1) W2 + b2 = ?")


question("mlp_q3", LECTURE, "the gradient of -log softmax(z)_y for a wrong class k",
         judge=choice_judge("b"),
         hint="differentiate -z_y + log sum_j e^(z_j) with respect to z_k, k != y")

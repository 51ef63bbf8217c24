"""Checks of lecture 5: backpropagation and automatic differentiation."""
import numpy as np

from mlcourse import activations, autodiff, gradcheck, nn
from mlcourse.grading.framework import Case, choice_judge, compare, exercise, number_judge, question

LECTURE = "05_backprop"


# ------------------------------------------------------------------ activation derivatives

def _activation_probe(activation_grads, name, z):
    with np.errstate(all="ignore"):          # overflow warnings would print on stderr
        return np.asarray(activation_grads()[name](z), dtype=float)


@exercise("backprop_activation_grads", LECTURE, "activation_grads")
def activation_grads_cases(rng):
    grid = np.linspace(-4.0, 4.0, 17)
    extreme = np.array([-1000.0, -40.0, 40.0, 1000.0])
    batch = rng.normal(0.0, 2.0, size=(3, 5))
    reference = {"sigmoid": activations.sigmoid_grad, "tanh": activations.tanh_grad,
                 "relu": activations.relu_grad}

    def case(name, key, z, hint):
        return Case(name, args=(key, z), probe=_activation_probe, expected=reference[key](z),
                    hint=hint)
    return [
        case("sigmoid' on a grid from -4 to 4 (0.25 at z = 0)", "sigmoid", grid,
             "σ'(z) = σ(z)(1 - σ(z)); the key must be 'sigmoid'"),
        case("sigmoid' at |z| = 40 and 1000 (tiny but not NaN)", "sigmoid", extreme,
             "compute σ stably (never exponentiate a large positive number); "
             "then σ(1 - σ) is 0 at ±1000, not NaN"),
        case("tanh' on a grid from -4 to 4 (1 at z = 0)", "tanh", grid,
             "tanh'(z) = 1 - tanh(z)², with the square"),
        case("tanh' at |z| = 40 and 1000 (0, not NaN)", "tanh", extreme,
             "np.tanh is stable; (e^z - e^-z)/(e^z + e^-z) is inf/inf = NaN at z = 1000"),
        case("ReLU' on a grid including z = 0 exactly", "relu", grid,
             "ReLU'(z) = 1 where z > 0 and 0 elsewhere: ReLU'(0) = 0 in this course"),
        case("ReLU' keeps the shape of a (3, 5) batch", "relu", batch,
             "work element-wise: a comparison with 0 gives booleans of z's shape; turn them into 0.0/1.0"),
        case("sigmoid' keeps the shape of a (3, 5) batch", "sigmoid", batch,
             "work element-wise, no sum or mean"),
    ]


# ------------------------------------------------------------------ dense layer backward

@exercise("backprop_dense_backward", LECTURE, "dense_backward")
def dense_backward_cases(rng):
    def case(name, dout, X, W, hint):          # the student gets dout and the cache (X, W)
        return Case(name, args=(dout, (X, W)), expected=nn.dense_backward(dout, (X, W)),
                    hint=hint)
    X, W, dout = rng.normal(size=(5, 3)), rng.normal(size=(3, 2)), rng.normal(size=(5, 2))
    Xs, Ws, douts = rng.normal(size=(4, 3)), rng.normal(size=(3, 3)), rng.normal(size=(4, 3))
    shapes = ("match the shapes: dX is (n, n_in), dW is (n_in, n_out), db is (n_out,); each is "
              "dout multiplied by a transposed W or X, or dout summed over the examples")
    return [
        case("5 examples, 3 inputs, 2 outputs", dout, X, W, shapes),
        case("a single example (n = 1): db has shape (n_out,)", dout[:1], X[:1], W,
             "db has shape (n_out,): sum dout over the examples only, not to (1, n_out) or to a number"),
        case("dout all ones: db counts the examples (sum, not mean)", np.ones((5, 2)), X, W,
             "the bias is added to every row, so its gradient is the SUM of the rows of dout"),
        case("a square W (3, 3): W and W.T have the same shape here", douts, Xs, Ws,
             "dX needs W transposed (with a square W the shapes alone don't tell you)"),
        case("random layer with 8 examples, 4 inputs, 6 outputs", rng.normal(size=(8, 6)),
             rng.normal(size=(8, 4)), rng.normal(size=(4, 6)), shapes),
    ]


# ------------------------------------------------------------------ MLP gradients

def _mlp(sizes, rng, scale=1.0):
    params = nn.init_params(sizes, rng, init="he_normal")
    return [(W * scale, rng.normal(0.0, 0.1, size=b.shape)) for W, b in params]


def _grads_probe(mlp_grads, params, X, y):
    return [tuple(np.asarray(g, dtype=float) for g in layer) for layer in mlp_grads(params, X, y)]


@exercise("backprop_mlp_grads", LECTURE, "mlp_grads")
def mlp_grads_cases(rng):
    def case(name, params, X, y, hint):
        return Case(name, args=(params, X, y), probe=_grads_probe,
                    expected=nn.mlp_grads(params, X, y), hint=hint)
    recursion = ("start from the output error (P - onehot(y)) / n and walk the layers from the "
                 "last: each layer's dW pairs its input with the error, db sums the error over "
                 "the examples, and the error passes back through W and the ReLU's derivative")
    one_hidden = _mlp([3, 5, 4], rng)
    two_hidden = _mlp([4, 6, 5, 3], rng)
    X3, y3 = rng.normal(size=(10, 3)), rng.integers(0, 4, size=10)
    X4, y4 = rng.normal(size=(12, 4)), rng.integers(0, 3, size=12)
    # a hidden unit whose pre-activation is exactly 0 on every example: ReLU'(0) = 0 matters
    (W1, b1), (W2, b2) = _mlp([3, 4, 3], rng)
    W1[:, 2], b1[2] = 0.0, 0.0
    softmax_only = _mlp([3, 4], rng)
    return [
        case("one hidden layer, 10 examples, 4 classes", one_hidden, X3, y3, recursion),
        case("a single example", one_hidden, X3[:1], y3[:1],
             "the output error of one example is p - onehot(y)"),
        case("the loss is a MEAN over the examples", one_hidden, X3[:6], y3[:6],
             "cross_entropy averages over n examples: divide the output error by n"),
        case("two hidden layers (loop over the layers)", two_hidden, X4, y4, recursion),
        case("a hidden unit with pre-activation exactly 0 (ReLU'(0) = 0)",
             [(W1, b1), (W2, b2)], X3, y3 % 3,
             "multiply by (Z > 0), not (Z >= 0): no gradient flows through a unit at z = 0"),
        case("no hidden layer (softmax regression, params of length 1)", softmax_only, X3, y3,
             "with one layer there is no ReLU: the gradient comes straight from the output error"),
    ]


# ------------------------------------------------------------------ numerical gradient

def _cubic(x):
    return float(np.sum(x ** 3) + 2.0 * np.sum(x))


def _log_sum_exp(x):
    return float(np.log(np.sum(np.exp(x))))


def _quadratic_form(W):
    v = np.array([1.0, -2.0, 0.5])[: W.shape[1]]
    return float(np.sum((W @ v) ** 2))


FUNCTIONS = {"cubic": _cubic, "log_sum_exp": _log_sum_exp, "quadratic_form": _quadratic_form}


def _numgrad_probe(numerical_gradient, fname, x, **kwargs):
    """Run the student's function on a recording copy of f; report the gradient and
    where f was evaluated (how many calls at x + eps e_i, at x - eps e_i, elsewhere)."""
    eps = kwargs.get("eps", 1e-6)
    x0 = np.array(x, dtype=float, copy=True)
    calls = []

    def f(z):
        calls.append(np.array(z, dtype=float, copy=True))
        return FUNCTIONS[fname](np.asarray(z, dtype=float))
    grad = np.asarray(numerical_gradient(f, x, **kwargs), dtype=float)
    plus, minus, centre, other = set(), set(), 0, 0
    for z in calls:
        if z.shape != x0.shape:
            other += 1
            continue
        moved = np.flatnonzero(np.abs(z - x0).ravel() > 1e-3 * eps)
        step = (z - x0).ravel()[moved]
        if moved.size == 0:
            centre += 1
        elif moved.size == 1 and abs(step[0] - eps) <= 1e-3 * eps:
            plus.add(int(moved[0]))
        elif moved.size == 1 and abs(step[0] + eps) <= 1e-3 * eps:
            minus.add(int(moved[0]))
        else:
            other += 1
    return {"grad": grad, "plus": len(plus), "minus": len(minus), "centre": centre,
            "other": other, "size": int(x0.size)}


def _judge_numgrad(got, case):
    size = got["size"]
    if got["other"]:
        return (f"f was called {got['other']} time(s) at points other than x ± eps·e_i "
                "(moving several entries at once, or by a step other than eps?)")
    if got["plus"] < size or got["minus"] < size:
        return (f"f should be evaluated at x + eps·e_i and at x - eps·e_i for each of the {size} "
                f"entries; your function moved {got['plus']} entries up and {got['minus']} down "
                "(one-sided differences f(x + eps e_i) - f(x) are less accurate)")
    return compare(case.expected, got["grad"], rtol=1e-6, atol=1e-8, where="the gradient")


@exercise("backprop_numerical_gradient", LECTURE, "numerical_gradient")
def numerical_gradient_cases(rng):
    def case(name, fname, x, hint, **kwargs):
        return Case(name, args=(fname, x), kwargs=kwargs, probe=_numgrad_probe,
                    judge=_judge_numgrad,
                    expected=gradcheck.numerical_gradient(FUNCTIONS[fname], x, **kwargs),
                    hint=hint)
    centred = "g_i = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), for every entry i of x"
    return [
        case("f(x) = Σ x³ + 2 Σ x at a vector of 4 entries", "cubic",
             np.array([0.5, -1.0, 2.0, 0.0]), centred),
        case("f(x) = log Σ exp(x) at 6 random entries", "log_sum_exp", rng.normal(size=6),
             centred),
        case("a matrix argument (3, 2): the gradient has the shape of x", "quadratic_form",
             rng.normal(size=(3, 2)), "loop over every entry of a 2-D x (np.ndindex(x.shape) "
             "or x.reshape(-1) on a copy) and return an array shaped like x"),
        case("eps is a parameter: eps = 1e-2", "cubic", np.array([1.0, -0.5, 2.0]),
             "use the eps you are given, not a fixed 1e-6", eps=1e-2),
        case("an integer array x = [1, 2, 3] (x + 1e-6 must not be rounded)", "cubic",
             np.array([1, 2, 3]), "an integer array cannot hold x + 1e-6: start from a float "
             "copy of x"),
        case("x itself is left unchanged", "log_sum_exp", rng.normal(size=5),
             "perturb a copy (x.copy()), or restore each entry to its saved value "
             "(x[i] = old, not x[i] -= eps, which can leave rounding errors)"),
    ]


# ------------------------------------------------------------------ autodiff rules

def _expression(name, v):
    """The expressions of the autodiff check, built from the course's Values."""
    a, b, c = v
    if name == "add":
        return (a + b) ** 2
    if name == "mul":
        return (a * b) ** 2
    if name == "tanh":
        return a.tanh() ** 2
    if name == "exp":
        return a.exp() ** 2
    if name == "neuron":
        return (a * 2.0 + b * -3.0 + c).tanh()
    if name == "paths":
        return a * b + a.exp() * a
    if name == "square":
        return (a * a + b).exp() * c
    if name == "random":
        return ((a * b).tanh() + (c * a).exp() * b + c).tanh() * (a + c)
    raise KeyError(name)


RULE_OPS = ("add", "mul", "tanh", "exp")     # the rules the student writes


def _rules_probe(backward_rules, name, inputs):
    """The leaves' gradients with the student's rules; a rule missing for an operation of
    the expression is an error (backward_with_rules would quietly use the engine's own)."""
    rules = backward_rules()
    if not isinstance(rules, dict):
        raise TypeError(f"backward_rules() must return a dict; got {type(rules).__name__}")
    leaves = [autodiff.Value(x) for x in inputs]
    root = _expression(name, leaves)
    needed = sorted({node.op for node in autodiff.topological_order(root)} & set(RULE_OPS))
    missing = [op for op in needed if op not in rules]
    if missing:
        raise KeyError(f"backward_rules() has no rule for {', '.join(map(repr, missing))}: "
                       "its keys must be the operation names 'add', 'mul', 'tanh', 'exp'")
    autodiff.backward_with_rules(root, rules)
    return np.array([leaf.grad for leaf in leaves])


def _engine_grads(name, inputs):
    leaves = [autodiff.Value(x) for x in inputs]
    _expression(name, leaves).backward()
    return np.array([leaf.grad for leaf in leaves])


@exercise("autodiff_backward", LECTURE, "backward_rules")
def autodiff_backward_cases(rng):
    def case(label, name, inputs, hint):
        inputs = [float(x) for x in inputs]
        return Case(label, args=(name, inputs), probe=_rules_probe,
                    expected=_engine_grads(name, inputs), hint=hint)
    return [
        case("add: (a + b)² at a = 1.5, b = -0.5 (upstream gradient 2(a + b) = 2)", "add",
             [1.5, -0.5, 0.0], "each input of a sum receives dout unchanged: return (dout, dout)"),
        case("mul: (a·b)² at a = 1.5, b = -2 (a ≠ b)", "mul", [1.5, -2.0, 0.0],
             "∂(ab)/∂a = b: each input gets dout times the OTHER input"),
        case("tanh: tanh(a)² at a = 0.8", "tanh", [0.8, 0.0, 0.0],
             "tanh'(a) = 1 - tanh(a)² = 1 - out**2; multiply by dout"),
        case("exp: exp(a)² at a = 0.3", "exp", [0.3, 0.0, 0.0],
             "exp'(a) = exp(a), which is out; multiply by dout"),
        case("a neuron tanh(2a - 3b + c)", "neuron", [0.4, 0.1, -0.2],
             "check each rule on its own first (the cases above)"),
        case("an input on two paths: a·b + exp(a)·a (gradients add up)", "paths",
             [0.7, -1.2, 0.0], "the engine adds the contributions of every path; "
             "your rules only return the local ones"),
        case("an input used twice in one product: exp(a·a + b)·c", "square",
             [0.6, -0.3, 1.5], "mul is called with the same node twice here: still one gradient per input, in order"),
        case("a random expression of all four operations", "random", rng.normal(size=3),
             "check each rule on its own first (the cases above)"),
    ]


# ------------------------------------------------------------------ conceptual questions

question("backprop_q1", LECTURE, "evaluations of the loss for a centred-difference gradient of "
         "10,000 parameters",
         # 20,001 also counts the evaluation at θ itself: not needed by centred differences,
         # but a defensible count (one-sided differences do need it), so it is accepted.
         judge=number_judge(20000, 0, "count the evaluations of the loss for ONE entry of θ, "
                                      "then multiply by the number of entries", also=(20001,)),
         hint="centred differences evaluate f at x + eps e_i and at x - eps e_i")


question("backprop_q2", LECTURE, "the gradient of a dense layer's weights (out = X @ W + b)",
         judge=choice_judge("b", explain="check the shapes: X is (n, n_in), δ is (n, n_out), "
                            "and ∇W must be (n_in, n_out)"),
         hint="write out[i, k] = Σ_j X[i, j] W[j, k] + b[k] and differentiate "
              "with respect to W[j, k]")


question("backprop_q3", LECTURE, "why reverse mode suits training a network",
         judge=choice_judge("a", explain="think of how many outputs (one loss) and how many "
                            "inputs (all the parameters) the function has"),
         hint="reverse mode gives the gradient of ONE output with respect to ALL "
              "inputs in one backward pass")

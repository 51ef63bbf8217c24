"""Checks of lecture 1: threshold logic and the perceptron."""
import numpy as np

from mlcourse import perceptron as ref
from mlcourse.grading.framework import Case, choice_judge, exercise, number_judge, question

LECTURE = "01_perceptron"


@exercise("threshold_truth_table", LECTURE, "truth_table")
def truth_table_cases(rng):
    def case(name, w, b, hint=""):
        w = np.asarray(w, dtype=float)
        return Case(name, args=(w, b), expected=ref.truth_table(w, b), hint=hint)
    order_hint = ("rows are all (x1, x2, x3) in {-1, +1}^3 in lexicographic order: "
                  "(-1,-1,-1), (-1,-1,+1), (-1,+1,-1), ... ; try itertools.product([-1, 1], repeat=3)")
    return [
        case("the McCulloch-Pitts example y = x2 AND (x1 OR NOT x3): w = (2, 4, -1), b = -2",
             [2, 4, -1], -2, order_hint),
        case("a unit whose weighted sum is exactly 0 on some inputs: w = (1, 1, 0), b = 0",
             [1, 1, 0], 0, "sign(0) is +1 in this course: use z >= 0, not z > 0"),
        case("random integer weights", rng.integers(-3, 4, size=3), int(rng.integers(-2, 3)),
             order_hint),
        case("random real weights", rng.normal(size=3), float(rng.normal()), order_hint),
    ]


GATES = {"and": [0, 0, 0, 1], "or": [0, 1, 1, 1], "nand": [1, 1, 1, 0]}
BINARY_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])


def _gate_probe(logic_weights, gate):
    w, b = logic_weights()[gate]
    return np.asarray(w, dtype=float), float(b)


def _judge_gate(gate):
    def judge(got, case):
        w, b = got
        if w.shape != (2,):
            return f"the weights for {gate!r} should have shape (2,); got shape {w.shape}"
        outputs = (BINARY_INPUTS @ w + b >= 0).astype(int)
        if list(outputs) != GATES[gate]:
            rows = ", ".join(f"{tuple(x)} -> {o}" for x, o in zip(BINARY_INPUTS.tolist(), outputs))
            want = ", ".join(f"{tuple(x)} -> {o}" for x, o in zip(BINARY_INPUTS.tolist(), GATES[gate]))
            return f"with w = {w}, b = {b:g} the unit computes {rows}\n    {gate.upper()} needs {want}"
        return None
    return judge


@exercise("threshold_logic_weights", LECTURE, "logic_weights")
def logic_weights_cases(rng):
    return [Case(f"{gate.upper()} on inputs in {{0, 1}}^2 with step(0) = 1", args=(gate,),
                 probe=_gate_probe, judge=_judge_gate(gate),
                 hint="write the four inequalities b + w1 x1 + w2 x2 >= 0 (or < 0) and pick "
                      "numbers that satisfy all of them")
            for gate in GATES]


@exercise("perceptron_predict", LECTURE, "perceptron_predict")
def perceptron_predict_cases(rng):
    X_edge = np.array([[1.0, 1.0], [2.0, 0.0], [0.0, 0.5], [-1.0, 3.0]])
    w_edge, b_edge = np.array([1.0, -2.0]), 1.0       # rows 0, 3... lie exactly on the boundary
    X = rng.normal(size=(20, 3))
    w, b = rng.normal(size=3), 0.3
    def case(name, X, w, b, hint=""):
        return Case(name, args=(X, w, b), expected=ref.perceptron_predict(X, w, b), hint=hint)
    return [
        case("points exactly on the boundary (X @ w + b == 0) count as class 1",
             X_edge, w_edge, b_edge, "the rule is: 1 where X @ w + b >= 0 (greater OR EQUAL)"),
        case("20 random points in 3-D", X, w, b,
             "compute all predictions at once (one matrix-vector product and one comparison), "
             "then turn the True/False values into the integers 1/0"),
        case("a single example (X of shape (1, 3))", X[:1], w, b),
        case("a negative bias shifts the boundary", X, w, -1.5,
             "don't forget the bias b"),
    ]


@exercise("perceptron_update", LECTURE, "perceptron_update")
def perceptron_update_cases(rng):
    w, b = np.array([0.5, -1.0]), 0.25
    def case(name, x, y, lr, hint=""):
        x = np.asarray(x, dtype=float)
        return Case(name, args=(w, b, x, y, lr), expected=ref.perceptron_update(w, b, x, y, lr),
                    hint=hint)
    sign_hint = "w <- w + lr * (y - y_hat) * x: the error y - y_hat is +1, 0 or -1"
    return [
        case("a positive example classified as 0 (w moves towards x)", [-1.0, 1.0], 1, 1.0, sign_hint),
        case("a negative example classified as 1 (w moves away from x)", [2.0, 0.5], 0, 1.0, sign_hint),
        case("a correctly classified example (nothing changes)", [2.0, 0.5], 1, 1.0,
             "when y == y_hat the weights stay as they are"),
        case("an example exactly on the boundary with label 0 (it was predicted 1)",
             [0.5, 0.5], 0, 1.0, "on the boundary X @ w + b == 0 the prediction is 1"),
        case("learning rate 0.1", [-1.0, 1.0], 1, 0.1, "multiply the whole update by lr, for b too"),
        case("a random example, lr = 0.5", rng.normal(size=2) * 3, 1, 0.5, sign_hint),
    ]


@exercise("perceptron_fit", LECTURE, "perceptron_fit")
def perceptron_fit_cases(rng):
    and_X = BINARY_INPUTS.astype(float)
    xor_y = np.array([0, 1, 1, 0])
    centers = rng.normal(size=(2, 2)) * 3
    labels = rng.integers(0, 2, size=30)
    X = centers[labels] + rng.normal(size=(30, 2)) * 0.3
    w_sep = centers[1] - centers[0]
    b_sep = -w_sep @ (centers[0] + centers[1]) / 2
    y_sep = (X @ w_sep + b_sep >= 0).astype(int)      # separable by construction
    def case(name, X, y, lr, max_epochs, hint=""):
        return Case(name, args=(X, y), kwargs={"lr": lr, "max_epochs": max_epochs},
                    expected=ref.perceptron_fit(X, y, lr=lr, max_epochs=max_epochs), hint=hint)
    order_hint = ("start from w = 0, b = 0; visit the rows in order 0, 1, ..., n-1 in every "
                  "epoch; count one update for each example that changed the weights")
    return [
        case("AND of two inputs (separable)", and_X, np.array([0, 0, 0, 1]), 1.0, 100, order_hint),
        case("XOR (not separable): stops after max_epochs", and_X, xor_y, 1.0, 7,
             "the loop must end after max_epochs even if mistakes remain"),
        case("30 separable points in 2-D, lr = 0.5", X, y_sep, 0.5, 100, order_hint),
        case("an epoch with no mistake ends training", and_X, np.array([0, 1, 1, 1]), 1.0, 100,
             "stop as soon as a whole pass over the data makes no update"),
    ]


# ------------------------------------------------------------------ conceptual questions

question("threshold_q1", LECTURE, "how many of the 16 Boolean functions of two inputs one "
         "threshold unit computes",
         judge=number_judge(14, 0, "not quite: a single unit computes exactly the functions "
                            "whose 1s and 0s a line can separate on the four corners"),
         hint="go through the 16 truth tables (or count the ones that are NOT linearly "
              "separable: XOR is one)")


question("perceptron_q1", LECTURE, "the score w·x + b of the example after one update "
         "(w = (1, -1), b = 0, x = (1, 2), y = 1, lr = 1)",
         judge=number_judge(5, 1e-9, "not quite: predict first (1 if w·x + b >= 0), then apply "
                            "w += lr (y - y_hat) x and b += lr (y - y_hat), then recompute "
                            "the score with the NEW w and b"),
         hint="the prediction uses the OLD w and b; the score asked for uses the NEW ones")


question("perceptron_q2", LECTURE, "Novikoff's bound with R = 5 and margin gamma = 0.5",
         judge=number_judge(100, 1e-9, "not quite: the bound is (R / gamma)^2"),
         hint="R = max ||(x, 1)||, gamma the margin of a separating hyperplane")


question("perceptron_q3", LECTURE, "the perceptron from w = 0, b = 0 with lr = 0.1 instead of 1",
         judge=choice_judge("a", explain="not quite: from a zero start every weight vector of "
                            "the lr = 0.1 run is 0.1 times the one of the lr = 1 run, and "
                            "multiplying (w, b) by a positive number changes no prediction"),
         hint="write the weights after k updates as a sum of the k update terms")

"""Checks of lecture 7: rectified networks."""
import numpy as np

from mlcourse import rectified as ref
from mlcourse.grading.framework import Case, choice_judge, exercise, number_judge, question

LECTURE = "07_relu"


@exercise("relu_dead_fraction", LECTURE, "dead_fraction")
def dead_fraction_cases(rng):
    def case(name, params, X, hint):
        return Case(name, args=(params, X), expected=ref.dead_fraction(params, X), hint=hint)

    # One hidden layer of 3 units on 4 points with x1 > 0: unit 1 has z = -x1 - 1 < 0 everywhere.
    X_hand = np.array([[1.0, 0.5], [2.0, -1.0], [0.5, 2.0], [3.0, 0.0]])
    hand = [(np.array([[1.0, -1.0, 0.5], [0.5, 0.2, -1.0]]), np.array([0.0, -1.0, 0.5])),
            (np.ones((3, 2)), np.zeros(2))]
    # A unit with zero weights and zero bias: z = 0 exactly on every row.
    zero = [(np.array([[1.0, 0.0], [-1.0, 0.0]]), np.array([0.5, 0.0])),
            (np.ones((2, 2)), np.zeros(2))]
    # Layer 1: unit 0 has z = -x < 0 (dead), unit 1 has z = x > 0. Layer 2 sees relu(Z1) = (0, x),
    # so z2 = -x < 0: dead. Without the ReLU between the layers z2 = 2x - x = x > 0.
    X_relu = np.array([[1.0], [2.0]])
    chain = [(np.array([[-1.0, 1.0]]), np.zeros(2)), (np.array([[-2.0], [-1.0]]), np.zeros(1)),
             (np.array([[1.0, -1.0]]), np.zeros(2))]
    sizes = [10, 40, 40, 40, 3]
    X_rand = rng.normal(size=(50, 10))
    he = [(rng.normal(0, np.sqrt(2 / a), (a, b)), rng.normal(-0.8, 0.5, b))
          for a, b in zip(sizes[:-1], sizes[1:])]
    shifted = [(W, b - 1.5 if l < 3 else b) for l, (W, b) in enumerate(he)]
    propagation = ("propagate A = max(0, X @ W + b) through the hidden layers; a unit is dead when "
                   "its pre-activation Z is <= 0 on EVERY row (all rows of its column)")
    return [
        case("one hidden layer of 3 units, one of them dead", hand, X_hand,
             "the result has one entry per hidden layer: the fraction of its units that are dead"),
        case("a pre-activation exactly 0 on every row counts as dead (ReLU'(0) = 0)", zero,
             np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 0.0]]),
             "inactive means z <= 0 (not z < 0): such a unit outputs 0 and gets no gradient"),
        case("the second layer sees ReLU(Z1), not Z1; the output layer is not counted", chain,
             X_relu, "apply the ReLU before feeding a layer's output to the next layer, and "
                     "leave out the last (output) layer"),
        case("three hidden layers of 40 units: dead means off on ALL rows, not the fraction of "
             "zeros", he, X_rand, propagation),
        case("negative biases kill many units", shifted, X_rand,
             "include the bias: Z = A @ W + b"),
        case("a single row of X", he, X_rand[:1], propagation),
    ]



def local_linear_map(params, x):
    """The affine map a ReLU network (ReLU hidden layers, linear output) computes around x:
    (W_eff, b_eff) with f(x') = x' @ W_eff + b_eff for every x' with x's activation pattern.
    Each hidden layer keeps the columns of its active units (z > 0) and zeroes the others."""
    x = np.asarray(x, dtype=float)
    W_eff, b_eff, a = np.eye(x.shape[0]), np.zeros(x.shape[0]), x
    for l, (W, b) in enumerate(params):
        z = a @ W + b
        W_eff, b_eff = W_eff @ W, b_eff @ W + b
        if l < len(params) - 1:
            active = z > 0
            W_eff, b_eff, a = W_eff * active, b_eff * active, np.maximum(z, 0)
    return W_eff, b_eff


def _he(rng, sizes):
    return [(rng.normal(0, np.sqrt(2 / a), (a, b)), rng.normal(0, 0.1, b))
            for a, b in zip(sizes[:-1], sizes[1:])]


@exercise("relu_local_linear_map", LECTURE, "local_linear_map")
def local_linear_map_cases(rng):
    def case(name, params, x, hint):
        return Case(name, args=(params, x), expected=local_linear_map(params, x), hint=hint)

    # 2 inputs, 3 hidden units, 1 output. At x = (1, 1): z = (2, -1, 0.5): unit 2 is off.
    hand = [(np.array([[1.0, -1.0, 0.5], [1.0, 0.5, -0.5]]), np.array([0.0, -0.5, 0.5])),
            (np.array([[1.0], [2.0], [-1.0]]), np.array([0.25]))]
    # Every unit on at x = (1, 2) (positive weights, biases): the plain product of the layers.
    on = [(np.array([[1.0, 0.5], [0.5, 1.0]]), np.array([0.1, 0.2])),
          (np.array([[1.0, -1.0], [2.0, 0.5]]), np.array([-0.3, 0.0]))]
    # Layer 1 all on at x = 1; layer 2 unit 0 off: z2 = (1 - 2, 1) -> masks at EVERY hidden layer.
    deep = [(np.array([[1.0, 1.0]]), np.zeros(2)),
            (np.array([[1.0, 0.0], [-2.0, 1.0]]), np.zeros(2)),
            (np.array([[3.0], [1.0]]), np.array([-5.0]))]
    # Output biases and weights that make the output negative: the output layer is linear.
    negative_out = [(np.array([[1.0, -1.0]]), np.array([0.0, 0.0])),
                    (np.array([[-2.0], [1.0]]), np.array([-1.0]))]
    sizes = [5, 16, 16, 16, 3]
    big = _he(rng, sizes)
    mask_hint = ("a unit is active where its pre-activation z = a @ W + b is > 0 at THIS x; "
                 "an inactive unit contributes nothing: zero its column in W_eff and its entry "
                 "in b_eff, layer after layer")
    bias_hint = ("the bias is carried through the later layers too: b_eff <- b_eff @ W + b, "
                 "then masked like W_eff")
    return [
        case("one hidden layer of 3 units, the second inactive at x", hand, np.array([1.0, 1.0]),
             mask_hint),
        case("every hidden unit active: the product of the layers", on, np.array([1.0, 2.0]),
             bias_hint),
        case("a unit of the second hidden layer is off although all of the first are on", deep,
             np.array([1.0]), "compute the mask of each hidden layer from its own z, after "
                              "the ReLU of the layer below"),
        case("the output layer is linear: a negative output is not cut", negative_out,
             np.array([2.0]), "apply the mask to the hidden layers only, not to the output layer"),
        case("3 hidden layers of 16 units, random input", big, rng.normal(size=5), mask_hint),
        case("the same network at another input: another pattern, another map", big,
             rng.normal(size=5) * 2, mask_hint),
    ]


question("relu_q1", LECTURE, "fraction of the ReLU units of a layer that output 0 on an input, at init",
         judge=number_judge(0.5, 0.1, "not quite: for a fixed input, z = a . w is "
                            "symmetric around 0 over the random weights"),
         hint="zero biases, weights drawn symmetrically around 0: P(z <= 0) = ?")


question("relu_q2", LECTURE, "why a leaky ReLU unit can come back to life",
         judge=choice_judge("a", explain="not quite: look at the derivative of max(alpha z, z) "
                            "for z < 0"),
         hint="a unit learns only if the gradient of its incoming weights is non-zero")


question("relu_q3", LECTURE, "why the 4-hidden-layer sigmoid net trails after a few epochs",
         judge=choice_judge("b", explain="not quite: compare the speeds of learning of the layers "
                            "(lecture 6)"),
         hint="the deep net is behind from the very first epoch, before it could overfit")


question("relu_q4", LECTURE, "the most linear pieces of x -> f(x) for 1 input, 5 ReLU units, "
         "a linear output",
         judge=number_judge(6, 0, "not quite: each hidden unit relu(w x + b) bends the "
                            "function at one point at most, x = -b / w"),
         hint="count the points where the slope can change")

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

"""Checks of lecture 2: from linear discriminant analysis to logistic regression."""
import warnings

import numpy as np

from mlcourse import linear as ref
from mlcourse.grading.framework import Case, choice_judge, exercise, number_judge, question

LECTURE = "02_lda_logistic"


def _strict_call(fn, *args, **kwargs):
    """Call fn with overflow, 0/0 and log(0) turned into errors (FloatingPointError):
    a stable implementation never triggers them; underflow (e^-1000 -> 0) is fine."""
    with np.errstate(over="raise", invalid="raise", divide="raise"), warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return fn(*args, **kwargs)


def _two_classes(rng, n0, n1, mean0, mean1, spread0=1.0, spread1=1.0, p=2):
    """n0 + n1 points in random order: class k around mean_k, with its own spread."""
    y = rng.permutation(np.r_[np.zeros(n0, int), np.ones(n1, int)])
    mix = rng.normal(size=(p, p)) * 0.5 + np.eye(p)            # correlated features
    Z = rng.normal(size=(n0 + n1, p)) @ mix
    means = np.where(y[:, None] == 1, np.asarray(mean1, float), np.asarray(mean0, float))
    return means + Z * np.where(y == 1, spread1, spread0)[:, None], y


# ------------------------------------------------------------------ lda_fit

@exercise("lda_fit", LECTURE, "lda_fit")
def lda_fit_cases(rng):
    def case(name, X, y, hint=""):
        return Case(name, args=(X, y), expected=ref.lda_fit(X, y), hint=hint)
    formula = ("w = Σ⁻¹(μ₁ − μ₀), b = ½(μ₀ᵀΣ⁻¹μ₀ − μ₁ᵀΣ⁻¹μ₁) + log(π₁/π₀); "
               "solve linear systems with Σ (np.linalg.solve) rather than inverting it")
    pooled = ("Σ is the pooled maximum-likelihood covariance: subtract from every row its own "
              "class mean, then average the outer products over all n rows (divide by n)")
    return [
        case("balanced classes in 2-D (20 + 20 points: the log-prior term is 0)",
             *_two_classes(rng, 20, 20, [-1, 0], [1, 0.5]), formula),
        case("unbalanced classes (30 + 10 points): b includes log(π₁/π₀)",
             *_two_classes(rng, 30, 10, [0, 0], [1.5, -1]),
             "the priors are the class frequencies: π₁ = mean(y), π₀ = 1 − π₁; add "
             "log(π₁/π₀) to b. If w is wrong too: " + pooled),
        case("classes of different sizes and spreads: the pooled covariance weights each "
             "class by its number of points",
             *_two_classes(rng, 10, 30, [-1, 1], [1, 0], spread0=0.5, spread1=2.0),
             pooled + " (not the plain average of the two class covariances)"),
        case("a small sample (n = 8): divide by n, not by n − 2",
             *_two_classes(rng, 4, 4, [-1, 0], [1, 0]), pooled),
        case("3 features, class means far from the origin",
             *_two_classes(rng, 25, 15, [5, -3, 2], [6, -2, 2.5], p=3),
             "the covariance is about each point's own class mean (not about 0, not about the "
             "overall mean): " + pooled),
    ]


# ------------------------------------------------------------------ logistic_sigmoid

@exercise("logistic_sigmoid", LECTURE, "sigmoid")
def sigmoid_cases(rng):
    def case(name, z, hint="", **tolerance):
        return Case(name, args=(z,), expected=ref.sigmoid(z), probe=_strict_call, hint=hint,
                    **tolerance)
    stable = ("only ever exponentiate a number <= 0: for z < 0, multiply the top and bottom "
              "of 1/(1 + e^-z) by e^z")
    both = ("np.where(cond, A, B) computes A and B for EVERY element before choosing, so "
            "np.exp(z) in one branch still overflows at z = 1000; compute one exponential "
            "that is safe for every element (of -|z|) and build both branches from it")
    return [
        case("z = 0 gives exactly 0.5", 0.0, "σ(0) = 1/(1 + e⁰) = 1/2", rtol=0.0, atol=0.0),
        case("a vector of moderate values from -5 to 5", np.linspace(-5.0, 5.0, 11),
             "σ(z) = 1 / (1 + exp(-z)), element by element"),
        case("large negative z (-1000, -800): exp(-z) overflows in the textbook formula",
             np.array([-1000.0, -800.0]), stable),
        case("large positive z (800, 1000): exp(z) overflows in the form exp(z)/(1 + exp(z))",
             np.array([800.0, 1000.0]), stable),
        case("huge and small values in one array", np.array([-1000.0, -1.0, 0.0, 2.0, 1000.0]),
             both),
        case("tiny probabilities keep their relative precision (z = -30, -40)",
             np.array([-30.0, -40.0]),
             "1 - σ(-z) loses all digits when σ(-z) rounds to 1; compute e/(1 + e) directly",
             rtol=1e-6, atol=0.0),
        case("a 2-D array of shape (3, 4) keeps its shape", rng.normal(size=(3, 4)) * 5,
             "work element by element on the whole array, whatever its shape"),
        case("a single Python float", 2.5,
             "a Python float has no shape and no indexing: turn the input into a NumPy array first"),
    ]


# ------------------------------------------------------------------ logistic_loss

@exercise("logistic_loss", LECTURE, "logistic_loss")
def logistic_loss_cases(rng):
    def case(name, w, b, X, y, hint=""):
        w, X, y = np.asarray(w, float), np.asarray(X, float), np.asarray(y)
        return Case(name, args=(w, b, X, y), expected=ref.logistic_loss(w, b, X, y),
                    probe=_strict_call, hint=hint)
    mean = ("L = -mean(y log σ(z) + (1 - y) log(1 - σ(z))) with z = X @ w + b: "
            "the MEAN over the n examples, not the sum")
    stable = ("use log(1 - σ(z)) = log σ(-z) and a stable log σ(z) = min(z, 0) - log(1 + e^(-|z|)) "
              "(np.log1p); clipping probabilities to [1e-12, 1] changes the answer")
    X = rng.normal(size=(20, 2))
    y = rng.integers(0, 2, size=20)
    X3, y3 = rng.normal(size=(30, 3)), rng.integers(0, 2, size=30)
    return [
        case("w = 0, b = 0: every prediction is 1/2, so the loss is log 2", [0.0, 0.0], 0.0, X, y,
             mean),
        case("20 random examples, 2 features, a bias b = 0.7", rng.normal(size=2), 0.7, X, y, mean),
        case("the bias shifts every score: b = -2", rng.normal(size=2), -2.0, X, y,
             "z = X @ w + b: add b to every score"),
        case("a single example (n = 1)", [1.0, -2.0], 0.5, X[:1], y[:1], mean),
        case("confidently wrong at z = 40 (σ(40) rounds to 1.0): the loss is 40", [1.0], 0.0,
             [[40.0]], [0], stable),
        case("confidently wrong at z = ±1000: the loss is 1000, not inf or nan", [1.0], 0.0,
             [[1000.0], [-1000.0]], [0, 1], stable),
        case("confidently right at z = ±1000: the loss is 0", [1.0], 0.0,
             [[1000.0], [-1000.0]], [1, 0], stable),
        case("30 random examples, 3 features", rng.normal(size=3), float(rng.normal()), X3, y3,
             mean),
    ]


# ------------------------------------------------------------------ logistic_grad

@exercise("logistic_grad", LECTURE, "logistic_grad")
def logistic_grad_cases(rng):
    def case(name, w, b, X, y, hint=""):
        w, X, y = np.asarray(w, float), np.asarray(X, float), np.asarray(y)
        return Case(name, args=(w, b, X, y), expected=ref.logistic_grad(w, b, X, y),
                    probe=_strict_call, hint=hint, rtol=1e-6, atol=1e-10)
    formula = ("differentiate the mean loss: each example contributes its residual "
               "σ(z_i) - y_i times x_i to dw (shape (p,)) and the residual alone to db (a number)")
    X = rng.normal(size=(20, 2))
    y = rng.integers(0, 2, size=20)
    X3, y3 = rng.normal(size=(30, 3)), rng.integers(0, 2, size=30)
    return [
        case("w = 0, b = 0 (every residual is 1/2 - y)", [0.0, 0.0], 0.0, X, y, formula),
        case("20 random examples, 2 features, b = 0.7", rng.normal(size=2), 0.7, X, y,
             "the residual is σ(z) - y (prediction minus label), not y - σ(z); " + formula),
        case("the bias gradient is the mean residual: b = -2", rng.normal(size=2), -2.0, X, y,
             formula),
        case("a single example (n = 1): dw has shape (p,), db is a number", [1.0, -2.0], 0.5,
             X[:1], y[:1], formula),
        case("30 random examples, 3 features", rng.normal(size=3), float(rng.normal()), X3, y3,
             "divide by n: the loss is a mean, so is its gradient"),
        case("confident predictions z = ±1000 (a stable sigmoid is needed)", [1.0], 0.0,
             [[1000.0], [-1000.0], [1000.0]], [0, 0, 1],
             "σ(-1000) must not overflow: use a stable sigmoid (e.g. the one of exercise 2)"),
    ]


# ------------------------------------------------------------------ conceptual questions

question("lda_q1", LECTURE, "two Gaussian classes with different covariances Σ₀ ≠ Σ₁",
         judge=choice_judge("b", ("a", "b", "c"),
                            "redo steps 3-5 of the derivation with Σ₀ ≠ Σ₁: which "
                            "terms no longer cancel?"),
         hint="step 2 (posterior = σ(log-odds)) holds for any densities; look at the "
              "x-terms of the log-odds")


question("lda_q2", LECTURE, "the change of b when π₁ goes from 0.5 to 0.8",
         judge=number_judge(np.log(4.0), 1e-3,
                            "only the term log(π₁/π₀) of b depends on the priors"),
         hint="compute log(0.8/0.2) - log(0.5/0.5)")


question("logistic_q1", LECTURE, "maximum likelihood on linearly separable data",
         judge=choice_judge("b", ("a", "b", "c"),
                            "take a separating (w, b) and multiply it by 2, 10, 100: "
                            "what happens to the loss?"),
         hint="if every z_i has the sign of its label, scaling w and b up makes every "
              "σ(z_i) closer to its label")

"""Checks of lecture 6: vanishing gradients and initialization."""
import numpy as np

from mlcourse import vanishing as ref
from mlcourse.grading.framework import Case, choice_judge, exercise, number_judge, question

LECTURE = "06_vanishing_gradients"


# ---------------------------------------------------------------- vanishing_chain_grad

@exercise("vanishing_chain_grad", LECTURE, "chain_grad")
def chain_grad_cases(rng):
    def case(name, ws, x, hint, **kw):
        ws = np.asarray(ws, dtype=float)
        return Case(name, args=(ws, float(x)), expected=ref.chain_grad(ws, x), hint=hint, **kw)
    product_hint = ("dy/dw1 = x * s'(z1) * w2 * s'(z2) * ... * wL * s'(zL), with z1 = w1 x, "
                    "a_k = s(z_k), z_{k+1} = w_{k+1} a_k and s'(z) = s(z) (1 - s(z))")
    return [
        case("one layer: y = s(w1 x), so dy/dw1 = x s'(w1 x)", [0.5], 2.0,
             "for a single unit the chain rule gives s'(z1) times dz1/dw1 = x"),
        case("x = 0 makes the gradient exactly 0", [1.0, 2.0], 0.0,
             "the factor that belongs to the first layer is x s'(z1), not w1 s'(z1)"),
        case("three layers w = (0.8, -1.2, 0.5), x = 2", [0.8, -1.2, 0.5], 2.0, product_hint),
        case("a negative weight above the first layer flips the sign", [1.0, -2.0], 1.0,
             "keep the sign of each w_k (k >= 2): the factors are w_k s'(z_k), not |w_k|"),
        case("ten layers of weight 1: tiny, but not 0", np.ones(10), 1.0,
             "multiply the factors of every layer; the result is about 3e-7", rtol=1e-6, atol=0.0),
        case("a saturated first unit (z1 = -1000): no overflow, no NaN", [-500.0, 1.0], 2.0,
             "compute s'(z) as s(z) (1 - s(z)) with a stable sigmoid; e^{-z} / (1 + e^{-z})^2 "
             "overflows to inf / inf = NaN at z = -1000"),
        case("a random chain of 6 layers", rng.uniform(-2, 2, 6), float(rng.normal()), product_hint),
        case("weights given as a Python list", [0.3, 1.1, -0.7], -1.5,
             "convert ws with np.asarray(ws) if you use array operations"),
    ]


# ---------------------------------------------------------------- vanishing_layer_grad_norms

def _net(rng, sizes, scale=1.0):
    return [(rng.normal(0, scale / np.sqrt(a), (a, b)), rng.normal(0, 0.5, b))
            for a, b in zip(sizes[:-1], sizes[1:])]


@exercise("vanishing_layer_grad_norms", LECTURE, "layer_grad_norms")
def layer_grad_norms_cases(rng):
    def case(name, params, X, y, activation, hint):
        return Case(name, args=(params, X, y, activation),
                    expected=ref.layer_grad_norms(params, X, y, activation), hint=hint, rtol=1e-5)
    recursion = ("forward with the activation on the hidden layers and softmax on the last; "
                 "backward from the output error (P - onehot(y)) / n: each layer's dW pairs its "
                 "input with the error, which then passes back through W and f'(Z)")
    X1, y1 = rng.normal(size=(8, 4)), rng.integers(0, 3, 8)
    p1 = _net(rng, [4, 5, 3])
    X2, y2 = rng.normal(size=(12, 6)), rng.integers(0, 4, 12)
    p2 = _net(rng, [6, 5, 5, 5, 4], scale=2.0)
    X3, y3 = rng.normal(size=(10, 3)), rng.integers(0, 2, 10)
    p3 = _net(rng, [3, 6, 6, 2], scale=1.5)
    p0 = _net(rng, [4, 3])
    return [
        case("one hidden layer of sigmoid units (3 classes)", p1, X1, y1, "sigmoid", recursion),
        case("three hidden layers of tanh units: norms listed first layer to last", p2, X2, y2,
             "tanh", "return one norm per layer, in the order of params (the input layer first)"),
        case("two hidden layers of ReLU units (some inactive)", p3, X3, y3, "relu",
             "ReLU'(z) = 1 where z > 0 and 0 elsewhere, evaluated at the pre-activation Z"),
        case("no hidden layer: one norm", p0, X1, y1, "sigmoid",
             "with a single layer the gradient comes straight from the output error"),
        case("the loss is the MEAN over the rows: duplicating every row changes nothing", p1,
             np.vstack([X1, X1]), np.concatenate([y1, y1]), "sigmoid",
             "divide the output error by the number of rows n (the loss is averaged)"),
        case("sigmoid derivative taken at Z, not at the activation", p2, X2, y2, "sigmoid",
             "s'(Z) = s(Z) (1 - s(Z)) where Z is the pre-activation; A (1 - A) with A = s(Z) is "
             "the same thing, but s(A) (1 - s(A)) is not"),
    ]


# ---------------------------------------------------------------- initializers

def _calls(f, n_in, n_out, seed):
    """Three draws: two with the same seed, one with another seed."""
    return tuple(np.asarray(f(n_in, n_out, np.random.default_rng(s)), dtype=float)
                 for s in (seed, seed, seed + 1))


def _draw(f, n_in, n_out, seed):
    """Call the student's initializer with a fresh generator seeded with `seed`."""
    return np.asarray(f(n_in, n_out, np.random.default_rng(seed)), dtype=float)


def _judge_reproducible(got, case):
    a, b, c = got
    if a.shape != b.shape or not np.array_equal(a, b):
        return ("two calls with identically seeded generators gave different matrices: draw every "
                "number from the rng you are given (rng.uniform / rng.normal), not from np.random")
    if a.shape == c.shape and np.array_equal(a, c):
        return "generators with different seeds gave the same matrix: use the rng argument"
    return None


def _leaves_global_state(f, n_in, n_out, seed):
    before = np.random.get_state()[1].copy()
    f(n_in, n_out, np.random.default_rng(seed))
    return bool(np.array_equal(before, np.random.get_state()[1]))


def _judge_true(message):
    return lambda got, case: None if got is True else message


def _judge_shape(shape):
    def judge(got, case):
        got = np.asarray(got)
        if got.shape != shape:
            return f"expected an array of shape {shape} (n_in, n_out); got shape {got.shape}"
        return None
    return judge


def _judge_stats(std, mean_tol=0.02, std_tol=0.02, limit=None, within_half=None,
                 within_sigma=None, beyond_2sigma=None):
    """A judge of a large sample: mean ≈ 0, std ≈ `std`, optional bounds and shape of the law."""
    def judge(got, case):
        W = np.asarray(got, dtype=float)
        n_in, n_out = case.args[:2]
        if W.shape != (n_in, n_out):
            return f"expected shape {(n_in, n_out)}; got {W.shape}"
        if abs(W.mean()) > mean_tol * std:
            return f"the mean should be about 0; got {W.mean():.4g} (the std is {std:.4g})"
        if abs(W.std() / std - 1) > std_tol:
            return f"the standard deviation should be {std:.4g}; got {W.std():.4g}"
        if limit is not None:
            if np.abs(W).max() > limit:
                return (f"every value should lie in [-{limit:.4g}, {limit:.4g}]; the largest "
                        f"absolute value is {np.abs(W).max():.4g}")
            if W.max() < 0.99 * limit or W.min() > -0.99 * limit:
                return (f"a uniform law on [-{limit:.4g}, {limit:.4g}] reaches close to both ends; "
                        f"got min {W.min():.4g}, max {W.max():.4g}")
        if within_half is not None:
            frac = np.mean(np.abs(W) < limit / 2)
            if abs(frac - within_half) > 0.02:
                return (f"for a uniform law, half of the values lie in [-a/2, a/2]; got a fraction "
                        f"of {frac:.3f}")
        if within_sigma is not None:
            frac = np.mean(np.abs(W) < std)
            if abs(frac - within_sigma) > 0.01:
                return (f"for a normal law, 68.3% of the values lie within one standard deviation; "
                        f"got {100 * frac:.1f}%")
        if beyond_2sigma is not None:
            frac = np.mean(np.abs(W) > 2 * std)
            if abs(frac - beyond_2sigma) > 0.006:
                return (f"for a normal law, 4.55% of the values lie beyond two standard deviations; "
                        f"got {100 * frac:.2f}%")
        return None
    return judge


@exercise("init_glorot_uniform", LECTURE, "glorot_uniform")
def glorot_uniform_cases(rng):
    seed = int(rng.integers(1000))
    a = np.sqrt(6 / 700)
    a_rect = np.sqrt(6 / 814)
    bound_hint = ("the bound is the square root of 6 / (n_in + n_out); draw uniformly between "
                  "minus and plus the bound, with the rng you are given, one entry per weight")
    return [
        Case("shape (n_in, n_out) = (3, 5)", args=(3, 5, seed), probe=_draw,
             judge=_judge_shape((3, 5)), hint="return an array of shape (n_in, n_out)"),
        Case("400 x 300: every value inside [-a, a], a = sqrt(6 / (n_in + n_out)), and the ends "
             "are reached", args=(400, 300, seed), probe=_draw,
             judge=_judge_stats(a / np.sqrt(3), limit=a), hint=bound_hint),
        Case("400 x 300: uniform, not normal (half of the values in [-a/2, a/2])",
             args=(400, 300, seed + 1), probe=_draw,
             judge=_judge_stats(a / np.sqrt(3), limit=a, within_half=0.5),
             hint="a normal law with the same variance is not the Glorot uniform law"),
        Case("784 x 30: the bound uses n_in + n_out", args=(784, 30, seed + 2), probe=_draw,
             judge=_judge_stats(a_rect / np.sqrt(3), mean_tol=0.05, std_tol=0.04, limit=a_rect),
             hint=bound_hint),
        Case("uses the rng it is given (same seed: same matrix; other seed: another)",
             args=(20, 10, seed), probe=_calls, judge=_judge_reproducible,
             hint="call rng.uniform(...) on the rng argument"),
        Case("leaves NumPy's global random state alone", args=(20, 10, seed),
             probe=_leaves_global_state,
             judge=_judge_true("your function changed np.random's global state: use rng, "
                               "not np.random.uniform"),
             hint="call rng.uniform(...), not np.random.uniform(...)"),
    ]


@exercise("init_he_normal", LECTURE, "he_normal")
def he_normal_cases(rng):
    seed = int(rng.integers(1000))
    std_hint = ("the standard deviation is sqrt(2 / n_in) (the variance is 2 / n_in): draw normal "
                "entries with that scale from the rng you are given")
    return [
        Case("shape (n_in, n_out) = (3, 5)", args=(3, 5, seed), probe=_draw,
             judge=_judge_shape((3, 5)), hint="return an array of shape (n_in, n_out)"),
        Case("500 x 200: mean 0 and standard deviation sqrt(2 / n_in)",
             args=(500, 200, seed), probe=_draw,
             judge=_judge_stats(np.sqrt(2 / 500)), hint=std_hint),
        Case("50 x 2000: the variance depends on n_in only",
             args=(50, 2000, seed + 1), probe=_draw,
             judge=_judge_stats(np.sqrt(2 / 50)),
             hint="Var(W) = 2 / n_in, whatever n_out is (not 2 / (n_in + n_out))"),
        Case("500 x 200: normal, not uniform (68.3% within one std, 4.55% beyond two)",
             args=(500, 200, seed + 2), probe=_draw,
             judge=_judge_stats(np.sqrt(2 / 500), within_sigma=0.6827, beyond_2sigma=0.0455),
             hint="draw from a normal (Gaussian) law with rng.normal or rng.standard_normal"),
        Case("uses the rng it is given (same seed: same matrix; other seed: another)",
             args=(20, 10, seed), probe=_calls, judge=_judge_reproducible,
             hint="call rng.normal(...) on the rng argument"),
        Case("leaves NumPy's global random state alone", args=(20, 10, seed),
             probe=_leaves_global_state,
             judge=_judge_true("your function changed np.random's global state: use rng, "
                               "not np.random.normal"),
             hint="call rng.normal(...), not np.random.normal(...)"),
    ]


# ---------------------------------------------------------------- conceptual questions

question("vanishing_q1", LECTURE, "each extra sigmoid layer (|w| <= 1) multiplies the bound by ...",
         judge=number_judge(0.25, 1e-3, "not quite: look at the largest value of s'(z)"),
         hint="each layer contributes a factor w_k s'(z_k); how large can it be?")


question("vanishing_q2", LECTURE, "10 ReLU layers initialized with Var(W) = 1/n_in",
         judge=choice_judge("b", explain="not quite: compare Var(W) = 1/n_in with He's 2/n_in"),
         hint="Var(W) = 1/n_in is He's variance times c = 1/2; the first layer's δ is "
              "about c^(9/2) times the last one's (the weight gradients ∂C/∂W also scale with "
              "each layer's input, and stay much closer)")


"""Checks of lecture 9: the weight-decay step and inverted dropout."""
import numpy as np

from mlcourse import regularization as ref
from mlcourse.grading.framework import Case, choice_judge, exercise, number_judge, question

LECTURE = "09_regularization"


# ---------------------------------------------------------------- regularization_l2_step

@exercise("regularization_l2_step", LECTURE, "l2_step")
def l2_step_cases(rng):
    def case(name, theta, grad, lr, lam, hint):
        theta, grad = np.asarray(theta, float), np.asarray(grad, float)
        return Case(name, args=(theta, grad, lr, lam),
                    expected=ref.l2_step(theta, grad, lr, lam), hint=hint)
    formula = "θ_new = (1 - lr·lam)·θ - lr·grad"
    theta = np.array([1.0, -2.0, 0.5])
    grad = np.array([0.2, 0.1, -0.4])
    return [
        case("lam = 0: a plain gradient step", theta, grad, 0.1, 0.0,
             "without decay the step is θ - lr·grad: check the sign of the gradient term"),
        case("a typical step: lr = 0.1, lam = 0.01", theta, grad, 0.1, 0.01, formula),
        case("the decay factor is 1 - lr·lam, not 1 - lam: lr = 0.5, lam = 0.2", theta, grad,
             0.5, 0.2, "the penalty's gradient lam·θ is multiplied by the learning rate too"),
        case("a zero gradient: the weights only shrink", theta, np.zeros(3), 0.1, 0.5,
             "with grad = 0 the new weights are (1 - lr·lam)·θ"),
        case("a weight matrix (theta of shape (3, 4))", rng.normal(size=(3, 4)),
             rng.normal(size=(3, 4)), 0.05, 0.1,
             "the formula works element-wise for any shape: no loop, no reshape needed"),
        case("random values, lr = 0.3, lam = 1e-3", rng.normal(size=10), rng.normal(size=10),
             0.3, 1e-3, formula),
    ]


# ---------------------------------------------------------------- regularization_dropout

def _as_float(x, what, shape):
    arr = np.asarray(x, dtype=float)
    if arr.shape != shape:
        raise ValueError(f"{what} should have the shape of h {shape}; got shape {arr.shape}")
    return arr


def _dropout_probe(fn, h, p, seed, train=True):
    """Call fn(h, p, rng, train) with a fresh seeded generator; plain data back."""
    result = fn(h, p, np.random.default_rng(seed), train=train)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        return {"error": f"return a pair (out, mask); got {type(result).__name__}"}
    try:
        return {"out": _as_float(result[0], "out", np.shape(h)),
                "mask": _as_float(result[1], "mask", np.shape(h))}
    except (TypeError, ValueError) as exc:
        return {"error": str(exc)}


def _rng_probe(fn, h, p, seed):
    """Masks from two generators with the same seed and one with another seed."""
    masks = []
    for s in (seed, seed, seed + 1):
        out = _dropout_probe(fn, h, p, s)
        if "error" in out:
            return out
        masks.append(out["mask"])
    return {"masks": masks}


def _check_mask(got, h, p):
    if "error" in got:
        return got["error"]
    mask, out = got["mask"], got["out"]
    if not np.all((mask == 0) | (mask == 1)):
        return "mask should hold only 0/1 (or False/True): 1 = unit kept"
    expected = h * mask / (1 - p)
    if not np.allclose(out, expected, rtol=1e-12, atol=1e-12):
        j = np.unravel_index(np.argmax(np.abs(out - expected)), out.shape)
        j = tuple(int(i) for i in j)
        return (f"out is not h·mask/(1 - p): at index {j}, h = {h[j]:.4g}, mask = {mask[j]:g}, "
                f"p = {p:g} give {expected[j]:.4g}, but out = {out[j]:.4g}")
    return None


def _judge_train(got, case):
    h, p, _ = case.args
    return _check_mask(got, h, p)


def _judge_rate(got, case):
    h, p, _ = case.args
    msg = _check_mask(got, h, p)
    if msg:
        return msg
    dropped = 1.0 - got["mask"].mean()
    tol = 5 * np.sqrt(p * (1 - p) / h.size)
    if abs(dropped - p) > tol:
        return (f"you dropped a fraction {dropped:.4f} of the {h.size} units; with p = {p:g} "
                f"it should be {p:g} ± {tol:.4f}")
    return None


def _judge_mean(got, case):
    h, p, _ = case.args
    if "error" in got:
        return got["error"]
    target = float(h.mean())
    mean = float(got["out"].mean())
    tol = 5 * float(h.std() + abs(target)) * np.sqrt(p / (1 - p) / h.size) + 1e-12
    if abs(mean - target) > tol:
        return (f"the average of out is {mean:.4f} but the average of h is {target:.4f}: "
                f"inverted dropout must keep the expected activation unchanged")
    return None


def _judge_identity(got, case):
    h = case.args[0]
    if "error" in got:
        return got["error"]
    if not np.array_equal(got["out"], h):
        return "out should be exactly h (nothing dropped, nothing scaled)"
    if not np.all(got["mask"] == 1):
        return "the mask should be all ones (True): every unit is kept"
    return None


def _judge_rng(got, case):
    if "error" in got:
        return got["error"]
    first, again, other = got["masks"]
    if not np.array_equal(first, again):
        return ("two generators with the same seed gave different masks: draw the random "
                "numbers from the rng argument, not from np.random")
    if np.array_equal(first, other):
        return "generators with different seeds gave the same mask: use the rng you are given"
    return None


@exercise("regularization_dropout", LECTURE, "dropout")
def dropout_cases(rng):
    def case(name, h, p, judge, hint, train=True, probe=_dropout_probe):
        kwargs = {} if probe is _rng_probe else {"train": train}
        return Case(name, args=(np.asarray(h, float), p, int(rng.integers(1_000_000))),
                    kwargs=kwargs, probe=probe, judge=judge, hint=hint)
    keep_hint = ("keep each unit with probability 1 - p (one uniform draw from rng per entry of h), "
                 "and scale the kept units by 1 / (1 - p)")
    return [
        case("train=False returns h unchanged and an all-ones mask", rng.normal(size=(4, 5)), 0.5,
             _judge_identity, "at test time inverted dropout does nothing", train=False),
        case("about a fraction p = 0.3 of 100,000 units is dropped", np.ones((400, 250)), 0.3,
             _judge_rate, keep_hint),
        case("kept units are scaled by 1/(1 - p), dropped ones are 0 (p = 0.5)",
             rng.normal(size=(50, 40)), 0.5, _judge_train,
             "out = h * mask / (1 - p): the survivors are scaled UP so the mean stays the same"),
        case("the expected activation is unchanged (p = 0.2, h = 2 everywhere)",
             np.full((200, 500), 2.0), 0.2, _judge_mean,
             "divide by the keep probability 1 - p, not by p, and not at all is wrong too"),
        case("p = 0 keeps every unit", rng.normal(size=(3, 7)), 0.0, _judge_identity,
             "with p = 0 the mask is all ones and out = h / 1 = h"),
        case("a 1-D vector of activations keeps its shape", rng.normal(size=1000), 0.4,
             _judge_rate, "work element-wise on an array of any shape (use h.shape)"),
        case("the randomness comes from the rng argument (same seed, same mask)",
             rng.normal(size=(20, 30)), 0.5, _judge_rng,
             "use rng.random(...) (or rng.binomial / rng.uniform); never np.random.* or a "
             "generator of your own", probe=_rng_probe),
    ]


# ---------------------------------------------------------------- conceptual questions

question("regularization_q1", LECTURE, "what inverted dropout does at test time",
         judge=choice_judge("b"),
         hint="in the inverted convention the scaling already happened during training")


question("regularization_q2", LECTURE, "the number of parameters of a 1-D convolution layer (kernel 5, 1 input "
                                       "channel, 4 output channels, with biases)",
         judge=number_judge(24),
         hint="each output channel has one kernel (shared by all positions) and one bias")


question("regularization_q3", LECTURE, "the penalty weight λ of a Gaussian prior N(0, σ² I)",
         judge=choice_judge("b"),
         hint="write -log of the prior density and compare it with λ/2 ||θ||²")

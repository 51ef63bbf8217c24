"""Checks of lecture 3: gradient descent and stochastic gradient descent."""
import numpy as np

from mlcourse import linear
from mlcourse import optim as ref
from mlcourse.grading.framework import Case, choice_judge, describe, exercise, number_judge, question

LECTURE = "03_gradient_descent"


# ------------------------------------------------------------------ gd_step

@exercise("gd_step", LECTURE, "gd_step")
def gd_step_cases(rng):
    def case(name, theta, grad, lr, hint=""):
        return Case(name, args=(theta, grad, lr), expected=ref.gd_step(theta, grad, lr), hint=hint)
    sign_hint = "step AGAINST the gradient: theta - lr * grad (a minus sign)"
    return [
        case("a vector of 3 parameters, lr = 0.1", np.array([1.0, -2.0, 0.5]),
             np.array([0.5, 0.25, -1.0]), 0.1, sign_hint),
        case("lr = 0 leaves theta where it is", np.array([1.0, 2.0]), np.array([3.0, -4.0]), 0.0,
             "the step is lr * grad: zero when lr is zero"),
        case("a negative gradient moves theta up", np.array([0.0]), np.array([-2.0]), 0.5,
             sign_hint),
        case("a matrix of weights (3, 2) keeps its shape", rng.normal(size=(3, 2)),
             rng.normal(size=(3, 2)), 0.05,
             "work element by element on the whole array: no flattening, no loop needed"),
        case("a large learning rate is applied as given (no clipping)", np.array([1.0, 1.0]),
             np.array([1.0, -1.0]), 10.0, "theta - lr * grad, whatever the size of lr"),
        case("random vector of 10 parameters (theta must not be modified in place)",
             rng.normal(size=10), rng.normal(size=10), float(rng.uniform(0.01, 1.0)),
             "return a new array: theta - lr * grad, not theta -= lr * grad"),
    ]


# ------------------------------------------------------------------ minibatches

def _batches_probe(minibatches, n, batch_size, seed):
    """The batches as int arrays, drawn with a fresh Generator seeded `seed`."""
    batches = minibatches(n, batch_size, np.random.default_rng(seed))
    return [np.asarray(b) for b in batches]


def _repeat_probe(minibatches, n, batch_size, seed):
    """Three draws: seed, seed again (after moving NumPy's global state), seed + 1."""
    out = []
    for s, global_seed in ((seed, 1), (seed, 2), (seed + 1, 3)):
        np.random.seed(global_seed)
        out.append(np.concatenate([np.asarray(b).ravel() for b in
                                   minibatches(n, batch_size, np.random.default_rng(s))]))
    return out


def _judge_batches(n, batch_size, shuffled=True):
    def judge(got, case):
        if not isinstance(got, list) or not got:
            return f"minibatches should return a non-empty list of index arrays; got {describe(got)}"
        for k, b in enumerate(got):
            if b.ndim != 1 or b.dtype.kind not in "iu":
                return (f"batch {k} should be a 1-D array of integer indices; got "
                        f"{describe(b)}")
        sizes = [len(b) for b in got]
        n_batches = -(-n // batch_size)
        want = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
        allidx = np.concatenate(got)
        if not np.array_equal(np.sort(allidx), np.arange(n)):
            dup = len(allidx) - len(np.unique(allidx))
            return (f"the batches together should hold every index 0..{n - 1} exactly once; "
                    f"got {len(allidx)} indices with {dup} repeated"
                    + (" and values outside 0..n-1" if allidx.min() < 0 or allidx.max() >= n else ""))
        if sizes != want:
            return (f"with n = {n} and batch_size = {batch_size} there should be {n_batches} "
                    f"batch(es) of sizes {want}; got sizes {sizes}")
        if shuffled and n >= 10:
            if np.array_equal(allidx, np.arange(n)):
                return "the indices are in order 0, 1, 2, ...: shuffle them with rng first"
            if all(np.array_equal(np.sort(b), np.arange(b.min(), b.min() + len(b))) for b in got):
                return ("every batch is a block of consecutive indices: shuffle the examples "
                        "(a permutation drawn from rng) before cutting, not only the order of the batches")
        return None
    return judge


def _judge_repeat(got, case):
    first, again, other = got
    if not np.array_equal(first, again):
        return ("two calls with generators seeded alike gave different batches: draw all the "
                "randomness from the rng argument, not from np.random or a new generator")
    if np.array_equal(first, other):
        return "generators with different seeds gave the same batches: use the rng argument"
    return None


@exercise("sgd_minibatches", LECTURE, "minibatches")
def minibatches_cases(rng):
    def case(name, n, batch_size, hint="", shuffled=True):
        return Case(name, args=(n, batch_size, int(rng.integers(1000))), probe=_batches_probe,
                    judge=_judge_batches(n, batch_size, shuffled), hint=hint)
    cut_hint = ("cut the shuffled indices into consecutive slices, stepping batch_size at a time; "
                "the last slice is automatically shorter")
    n_rand, b_rand = int(rng.integers(20, 60)), int(rng.integers(2, 9))
    return [
        case("n = 12, batch_size = 4: three full batches", 12, 4, cut_hint),
        case("n = 10, batch_size = 4: the last batch is short (2 indices)", 10, 4,
             "keep the short last batch: dropping it would skip examples every epoch"),
        case("batch_size = 1: one example per step", 7, 1, cut_hint, shuffled=False),
        case("batch_size larger than n: a single batch with every index", 5, 8, cut_hint,
             shuffled=False),
        case("n = 40, batch_size = 8: the examples themselves are shuffled", 40, 8,
             "shuffle the indices 0..n-1 with the generator's permutation method, then cut them into "
             "consecutive pieces"),
        Case("the rng decides: same seed -> same batches, other seed -> other batches",
             args=(30, 7, 5), probe=_repeat_probe, judge=_judge_repeat,
             hint="use the generator you are given (its permutation method), not np.random"),
        case(f"random size: n = {n_rand}, batch_size = {b_rand}", n_rand, b_rand, cut_hint),
    ]


# ------------------------------------------------------------------ sgd_logistic

def _sgd_probe(sgd_logistic, X, y, lr, epochs, batch_size, seed):
    w, b, losses = sgd_logistic(X, y, lr, epochs, batch_size, np.random.default_rng(seed))
    return (np.asarray(w, dtype=float), np.asarray(b, dtype=float),
            np.asarray(losses, dtype=float))


def _sgd_repeat_probe(sgd_logistic, X, y, lr, epochs, batch_size, seed):
    runs = []
    for global_seed in (1, 2):
        np.random.seed(global_seed)
        runs.append(_sgd_probe(sgd_logistic, X, y, lr, epochs, batch_size, seed))
    return runs


def _shape_problem(got, X, epochs):
    if not isinstance(got, tuple) or len(got) != 3:
        return f"sgd_logistic should return (w, b, losses); got {describe(got)}"
    w, b, losses = got
    p = X.shape[1]
    if w.shape != (p,):
        return f"w should have shape ({p},), one weight per column of X; got shape {w.shape}"
    if b.size != 1:
        return f"b should be a single number; got an array of shape {b.shape}"
    if losses.shape != (epochs,):
        return (f"losses should hold one number per epoch ({epochs}); got shape {losses.shape}")
    if not np.all(np.isfinite(losses)) or not np.all(np.isfinite(w)) or not np.isfinite(b).all():
        return "w, b or losses hold NaN or infinity: is the learning rate applied to the mean gradient?"
    return None


def _final_loss(got, X, y):
    """(loss of the returned (w, b) on all of X, None) or (None, what is wrong with losses)."""
    w, b, losses = got
    actual = linear.logistic_loss(w, float(b.ravel()[0]), X, y)
    if not np.isclose(losses[-1], actual, rtol=1e-6, atol=1e-9):
        return None, (f"losses[-1] = {losses[-1]:.6f}, but the mean cross-entropy of the returned "
                      f"(w, b) on all of X is {actual:.6f}: record the full training loss after "
                      "each epoch")
    return actual, None


def _judge_statistical(X, y, epochs, reference_losses, optimum):
    """Accept any SGD whose final loss is within 3 times the reference's mean excess loss
    over the minimum (measured: over 500 seeds the worst run stays below 2.0 times)."""
    mean = np.mean(reference_losses)
    limit = optimum + 3 * (mean - optimum)

    def judge(got, case):
        problem = _shape_problem(got, X, epochs)
        if problem:
            return problem
        final, problem = _final_loss(got, X, y)
        if problem:
            return problem
        if final > limit:
            return (f"final training loss {final:.4f}; SGD with these settings reaches "
                    f"{mean:.4f} on average (the minimum is {optimum:.4f}); accepted up to "
                    f"{limit:.4f}")
        return None
    return judge


def _judge_exact(X, y, epochs, expected):
    def judge(got, case):
        problem = _shape_problem(got, X, epochs)
        if problem:
            return problem
        w, b, losses = got
        for name, e, g in (("w", expected[0], w), ("b", expected[1], float(b.ravel()[0])),
                           ("losses", expected[2], losses)):
            if not np.allclose(g, e, rtol=1e-6, atol=1e-9):
                return (f"{name} differs from one exact gradient step per epoch:\n"
                        f"    expected: {describe(np.asarray(e))}\n    got:      {describe(np.asarray(g))}")
        return None
    return judge


def _judge_repeat_sgd(got, case):
    (w1, b1, l1), (w2, b2, l2) = got
    if not (np.array_equal(w1, w2) and np.array_equal(b1, b2) and np.array_equal(l1, l2)):
        return ("two runs with generators seeded alike gave different results: shuffle with the "
                "rng argument (e.g. through your minibatches), not with np.random")
    return None


_REFERENCE_FINALS = {}      # (data bytes, settings) -> final losses of the reference's runs


def _reference_finals(X, y, lr, epochs, batch_size, n_runs=8):
    """Final training losses of the course's SGD over seeds 0..n_runs-1 (cached: the
    cases are the same at every check, and these runs are most of a check's time)."""
    key = (X.tobytes(), y.tobytes(), lr, epochs, batch_size, n_runs)
    if key not in _REFERENCE_FINALS:
        _REFERENCE_FINALS[key] = [
            ref.sgd_logistic(X, y, lr, epochs, batch_size, np.random.default_rng(s))[2][-1]
            for s in range(n_runs)]
    return _REFERENCE_FINALS[key]


def _classes(rng, n, shift):
    """Two overlapping Gaussian classes in 2-D, not centred (the bias matters)."""
    y = (np.arange(n) % 2).astype(int)
    X = rng.normal(size=(n, 2)) + np.where(y[:, None] == 1, 1.0, -0.5) + shift
    perm = rng.permutation(n)
    return X[perm], y[perm]


@exercise("sgd_fit_logistic", LECTURE, "sgd_logistic", timeout=10.0)
def sgd_logistic_cases(rng):
    X, y = _classes(rng, 200, np.array([2.0, -1.0]))
    optimum = linear.logistic_loss(*linear.logistic_fit(X, y), X, y)
    order = np.argsort(y, kind="stable")
    X_sorted, y_sorted = X[order], y[order]
    X_small, y_small = X[:50], y[:50]
    optimum_small = linear.logistic_loss(*linear.logistic_fit(X_small, y_small), X_small,
                                         y_small)

    def statistical(name, X, y, lr, epochs, batch_size, optimum, hint):
        finals = _reference_finals(X, y, lr, epochs, batch_size)
        return Case(name, args=(X, y, lr, epochs, batch_size, int(rng.integers(1000))),
                    probe=_sgd_probe, judge=_judge_statistical(X, y, epochs, finals, optimum),
                    hint=hint)

    grad_hint = ("for each mini-batch: the gradient of the MEAN loss over that batch only "
                 "(your logistic_grad on the batch), then one step against it for w and for b")
    full = ref.sgd_logistic(X, y, 0.5, 5, 200, np.random.default_rng(0))
    return [
        Case("full batch (batch_size = n): one exact gradient step per epoch",
             args=(X, y, 0.5, 5, 200, 3), probe=_sgd_probe, judge=_judge_exact(X, y, 5, full),
             hint="start from w = 0, b = 0; use the MEAN gradient over the batch (divide by its "
                  "size) and update the bias too"),
        statistical("mini-batches of 10, 20 epochs, lr = 0.1", X, y, 0.1, 20, 10, optimum,
                    grad_hint),
        statistical("single examples (batch_size = 1), 10 epochs, lr = 0.01", X, y, 0.01, 10, 1,
                    optimum, grad_hint),
        statistical("data sorted by class: the order must be shuffled every epoch",
                    X_sorted, y_sorted, 0.1, 20, 10, optimum,
                    "draw new mini-batches every epoch (call your minibatches again with the same rng)"),
        statistical("batch_size 16 does not divide n = 50 (a short last batch)", X_small, y_small,
                    0.05, 40, 16, optimum_small, "use the short last batch too"),
        Case("the rng decides: the same seed gives the same run", args=(X_small, y_small, 0.1, 2, 5, 7),
             probe=_sgd_repeat_probe, judge=_judge_repeat_sgd,
             hint="all randomness must come from the rng argument"),
    ]


# ------------------------------------------------------------------ conceptual questions

question("gd_q1", LECTURE, "the critical learning rate of L(θ) = ½ θᵀHθ, H = [[3, 1], [1, 3]]",
         judge=number_judge(0.5, 1e-3, "GD converges iff |1 − γλ| < 1 for every "
                            "eigenvalue λ of H"),
         hint="find the eigenvalues of H (np.linalg.eigvalsh), then use 2/λ_max")


question("gd_q2", LECTURE, "batch size B -> 4B: the standard deviation of the mini-batch gradient",
         judge=choice_judge("b", ("a", "b", "c", "d"),
                            "the VARIANCE falls like 1/B; the standard deviation is its "
                            "square root"),
         hint="variance ∝ 1/B, so the standard deviation ∝ 1/√B")


question("gd_q3", LECTURE, "the schedule that satisfies both Robbins–Monro conditions",
         judge=choice_judge("c", ("a", "b", "c", "d"),
                            "check Σ η_t = ∞ AND Σ η_t² < ∞ for each schedule"),
         hint="Σ 1/t^p is finite exactly when p > 1")

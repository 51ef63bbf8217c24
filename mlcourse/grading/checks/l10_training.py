"""Checks of lecture 10: the SGD step, the student's own training loop on MNIST (the
capstone), early stopping, choosing a configuration on the validation set, and the
symmetry of hidden units.

The capstone `train_mlp` is judged by what the trained network does on digits the
student's code never receives: the probe (student side) trains on a slice of the
training set and returns the parameters; the judge (grader side) measures their accuracy
on the first images of the test set and compares it with the course's own loop trained on
the same data with the same settings.
"""
import functools
import warnings

import numpy as np

from mlcourse import data, nn
from mlcourse.grading.framework import Case, compare, exercise

LECTURE = "10_training"
HELD_OUT = 2000          # test images the judge evaluates on (never passed to the student)


# ---------------------------------------------------------------- references

def _ref_sgd_step(params, grads, lr):
    return [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]


def _ref_early_stopping(val_losses, patience):
    best, best_loss = 0, float("inf")
    for epoch, loss in enumerate(val_losses):
        if loss < best_loss:
            best, best_loss = epoch, loss
        elif epoch - best >= patience:
            return best, epoch
    return best, len(val_losses) - 1


def _ref_select_config(results):
    best = max(range(len(results)), key=lambda i: (results[i]["val_accuracy"], -i))
    return results[best]["config"]


def _ref_hidden_units_identical(W1, b1, tol=1e-12):
    return bool(np.all(np.abs(W1 - W1[:, :1]) <= tol) and np.all(np.abs(b1 - b1[0]) <= tol))


def _probs(params, X):
    """Class probabilities of a ReLU network with a softmax output (lectures 4 and 5)."""
    return nn.forward(params, X, hidden="relu", output="softmax")[0]


def _cross_entropy(params, X, y):
    P = _probs(params, X)
    return float(-np.mean(np.log(np.maximum(P[np.arange(len(y)), y], 1e-12))))


def _reference_train(X, y, sizes, lr, epochs, batch_size, seed):
    """The course's plain loop: He initialization, shuffled mini-batches, SGD steps."""
    rng = np.random.default_rng(seed)
    params = nn.init_params(sizes, rng, init="he_normal")
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for k in range(0, len(X), batch_size):
            batch = order[k:k + batch_size]
            _, caches = nn.forward(params, X[batch], hidden="relu", output="softmax")
            grads = nn.backward(params, caches, y[batch], hidden="relu", output="softmax")
            params = _ref_sgd_step(params, grads, lr)
    return params


# ---------------------------------------------------------------- train_sgd_step

def _step_probe(sgd_step, params, grads, lr):
    result = sgd_step(params, grads, lr)
    if not isinstance(result, (list, tuple)):
        raise TypeError(f"sgd_step must return a list of (W, b) pairs; got {type(result).__name__}")
    return [tuple(np.asarray(a, dtype=float) for a in layer) for layer in result]


@exercise("train_sgd_step", LECTURE, "sgd_step")
def sgd_step_cases(rng):
    def layers(sizes):
        return [(rng.normal(size=(a, b)), rng.normal(size=b)) for a, b in zip(sizes[:-1], sizes[1:])]

    def case(name, sizes, lr, hint):
        params, grads = layers(sizes), layers(sizes)
        return Case(name, args=(params, grads, lr), probe=_step_probe,
                    expected=_ref_sgd_step(params, grads, lr), hint=hint)
    rule = ("each new weight matrix is the old one minus lr times its gradient, and the same "
            "for the biases: move against the gradient")
    return [
        case("one layer (softmax regression), lr = 0.1", [4, 3], 0.1, rule),
        case("two layers 5 -> 4 -> 3, lr = 0.5: every pair is updated", [5, 4, 3], 0.5,
             "walk through params and grads side by side and update every layer, the biases "
             "too"),
        case("three layers 3 -> 6 -> 5 -> 2, lr = 0.01 (the inputs are left unchanged)",
             [3, 6, 5, 2], 0.01,
             "build new arrays (W - lr * dW) instead of updating in place (W -= ...): the "
             "caller's params must not change"),
        case("lr = 0 returns the same values", [2, 3, 2], 0.0,
             "with lr = 0 nothing moves: return new pairs equal to the old ones"),
    ]


# ---------------------------------------------------------------- train_mlp (the capstone)

def _course_objects_used(fn, limit=500):
    """The course's modules or functions that `fn` reaches through its globals and closures,
    following the student's own functions (so a helper that calls mlcourse counts too).
    (Written without the `types` module: this probe is sent to the grader's sandbox, which
    offers only numpy, math and warnings.)"""
    module_type = type(np)
    found, seen, todo = set(), set(), [fn]
    while todo and len(seen) < limit:
        f = todo.pop()
        code = getattr(f, "__code__", None)
        if not hasattr(code, "co_names") or id(code) in seen:
            continue
        seen.add(id(code))
        scope = dict(getattr(f, "__globals__", {}) or {})
        for name, cell in zip(code.co_freevars, getattr(f, "__closure__", None) or ()):
            try:
                scope[name] = cell.cell_contents
            except ValueError:
                pass
        codes = [code]
        while codes:
            c = codes.pop()
            codes.extend(k for k in c.co_consts if hasattr(k, "co_names"))
            for name in c.co_names + c.co_freevars:
                obj = scope.get(name)
                if isinstance(obj, module_type):
                    module = obj.__name__
                elif callable(obj):
                    module = getattr(obj, "__module__", "") or ""
                else:
                    continue
                if isinstance(module, str) and module.split(".")[0] == "mlcourse":
                    found.add(f"`{name}` ({module})")
                elif hasattr(obj, "__code__") and hasattr(obj, "__globals__"):
                    todo.append(obj)
    return sorted(found)


def _plain_history(history):
    losses = history.get("train_loss") if isinstance(history, dict) else history
    if losses is None:
        raise TypeError("history must be a dict with the key 'train_loss' (a list, one loss "
                        "per epoch)")
    return [float(v) for v in losses]


def _run(train_mlp, X, y, sizes, lr, epochs, batch_size, rng):
    with warnings.catch_warnings(), np.errstate(all="ignore"):   # a diverging loop warns
        warnings.simplefilter("ignore", RuntimeWarning)
        result = train_mlp(X, y, sizes, lr, epochs, batch_size, rng)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError("train_mlp must return a pair (params, history); got "
                        f"{type(result).__name__}")
    params, history = result
    if not isinstance(params, (list, tuple)):
        raise TypeError(f"params must be a list of (W, b) pairs; got {type(params).__name__}")
    params = [tuple(np.asarray(a, dtype=float) for a in layer) for layer in params]
    return params, _plain_history(history)


def _train_probe(train_mlp, X, y, sizes, lr, epochs, batch_size, rng):
    """Train once; plain data back. Refuses (without training) a loop that uses the course's
    library, whichever cell imported it."""
    used = _course_objects_used(train_mlp)
    if used:
        return {"course": used}
    params, history = _run(train_mlp, X, y, sizes, lr, epochs, batch_size, rng)
    return {"params": params, "history": history}


def _seeds_probe(train_mlp, X, y, sizes, lr, epochs, batch_size, rng):
    """Three runs: seeds 3, 3 and 4. Are the first two equal, the last one different?"""
    used = _course_objects_used(train_mlp)
    if used:
        return {"course": used}
    runs = [_run(train_mlp, X, y, sizes, lr, epochs, batch_size, np.random.default_rng(s))[0]
            for s in (3, 3, 4)]

    def same(a, b):
        return len(a) == len(b) and all(x.shape == z.shape and np.array_equal(x, z)
                                        for la, lb in zip(a, b) for x, z in zip(la, lb))
    return {"same": same(runs[0], runs[1]), "different": not same(runs[0], runs[2])}


def _course_message(got):
    return ("your train_mlp uses the course's library: " + ", ".join(got["course"])
            + ". The reference engine is not an answer: train with your own functions")


def _shape_problem(params, sizes):
    if len(params) != len(sizes) - 1:
        return (f"params has {len(params)} layer(s); sizes {list(sizes)} needs "
                f"{len(sizes) - 1} (W, b) pairs")
    for l, (layer, a, b) in enumerate(zip(params, sizes[:-1], sizes[1:]), start=1):
        if len(layer) != 2:
            return f"layer {l} of params should be a pair (W, b); got {len(layer)} arrays"
        W, bias = layer
        if W.shape != (a, b) or bias.shape != (b,):
            return (f"layer {l} should have W of shape {(a, b)} and b of shape {(b,)}; got "
                    f"{W.shape} and {bias.shape}")
        if not (np.all(np.isfinite(W)) and np.all(np.isfinite(bias))):
            return f"layer {l} contains inf or NaN: the training diverged (learning rate? sign?)"
    return None


def _judge_shapes(got, case):
    if "course" in got:
        return _course_message(got)
    return _shape_problem(got["params"], case.args[2])


def _judge_history(got, case):
    if "course" in got:
        return _course_message(got)
    X, y, sizes, _, epochs = case.args[:5]
    problem = _shape_problem(got["params"], sizes)
    if problem:
        return problem
    history = got["history"]
    if len(history) != epochs:
        return (f"history['train_loss'] has {len(history)} entries for {epochs} epochs: "
                "append one loss per epoch")
    if not np.all(np.isfinite(history)):
        return "history['train_loss'] contains inf or NaN"
    final = _cross_entropy(got["params"], X, y)
    if not np.isclose(history[-1], final, rtol=1e-6, atol=1e-9):
        return (f"the last entry of history['train_loss'] is {history[-1]:.6f}, but the "
                f"cross-entropy of the returned params on the whole training set is "
                f"{final:.6f}")
    return None


@functools.lru_cache(maxsize=8)
def _held_out():
    digits = data.load_digits()
    return (np.asarray(digits.X_test[:HELD_OUT], dtype=np.float64),
            np.asarray(digits.y_test[:HELD_OUT]))


@functools.lru_cache(maxsize=8)
def _reference_accuracy(name, sizes, lr, epochs, batch_size, n):
    digits = data.load_digits()
    X = np.asarray(digits.X_train[:n], dtype=np.float64)
    y = np.asarray(digits.y_train[:n])
    params = _reference_train(X, y, list(sizes), lr, epochs, batch_size, seed=0)
    return nn.accuracy(params, *_held_out())


def _accuracy_judge(margin):
    def judge(got, case):
        if "course" in got:
            return _course_message(got)
        X, y, sizes, lr, epochs, batch_size = case.args[:6]
        problem = _shape_problem(got["params"], sizes)
        if problem:
            return problem
        X_held, y_held = _held_out()
        accuracy = nn.accuracy(got["params"], X_held, y_held)
        reference = _reference_accuracy(case.name, tuple(sizes), lr, epochs, batch_size, len(X))
        if accuracy >= reference - margin:
            return None
        return (f"your network classifies {100 * accuracy:.1f}% of the {len(y_held)} held-out "
                f"digits correctly; the course's loop reaches {100 * reference:.1f}% with the "
                f"same data and settings, and at least {100 * (reference - margin):.1f}% is "
                "needed")
    return judge


def _judge_seeds(got, case):
    if "course" in got:
        return _course_message(got)
    if not got["same"]:
        return ("two runs with np.random.default_rng(3) gave different networks: some random "
                "numbers do not come from rng")
    if not got["different"]:
        return "runs with np.random.default_rng(3) and np.random.default_rng(4) gave the same network"
    return None


@exercise("train_mlp", LECTURE, "train_mlp", points=2.0, timeout=15.0)
def train_mlp_cases(rng):
    digits = data.load_digits()
    n_in = digits.X_train.shape[1]
    X = np.asarray(digits.X_train[:5000], dtype=np.float64)
    y = np.asarray(digits.y_train[:5000])
    one, two = [n_in, 30, 10], [n_in, 20, 20, 10]
    learn = ("if the accuracy is near 10%, the network did not learn: step against the gradient "
             "(subtract lr times it), start from small random weights (He or Glorot, lecture 6; "
             "not zeros), and take one step per mini-batch of batch_size rows, in a new random "
             "order every epoch")
    rng_hint = ("draw every random number (initialization and shuffling) from the rng argument, "
                "with its own methods (normal, permutation); never np.random.seed, np.random.* "
                "or a new default_rng inside your function")
    return [
        Case(f"784-30-10 on 5,000 training digits, 5 epochs, batches of 10, lr = 0.1: accuracy "
             f"on {HELD_OUT:,} held-out test digits",
             args=(X, y, one, 0.1, 5, 10, np.random.default_rng(0)), probe=_train_probe,
             judge=_accuracy_judge(0.04), hint=learn),
        Case("two hidden layers 784-20-20-10, same data (your forward and backward loop over "
             "the layers)",
             args=(X, y, two, 0.1, 5, 10, np.random.default_rng(1)), probe=_train_probe,
             judge=_accuracy_judge(0.08),
             hint="mlp_forward and mlp_grads must handle any number of (W, b) pairs; with two "
                  "hidden layers a too-small initial scale stalls on a plateau (use He's "
                  "initialization)"),
        Case("params has one (W, b) pair per layer, W of shape (n_in, n_out), b of shape (n_out,)",
             args=(X[:500], y[:500], [n_in, 16, 10], 0.1, 1, 10, np.random.default_rng(2)),
             probe=_train_probe, judge=_judge_shapes,
             hint="layer l maps sizes[l] inputs to sizes[l + 1] outputs: W of shape "
                  "(sizes[l], sizes[l + 1]), b of shape (sizes[l + 1],)"),
        Case("history['train_loss'] has one entry per epoch (3 epochs on 1,000 digits): the loss "
             "on the whole training set after the epoch",
             args=(X[:1000], y[:1000], one, 0.1, 3, 10, np.random.default_rng(3)),
             probe=_train_probe, judge=_judge_history,
             hint="after each epoch's mini-batches, append the cross-entropy of the current "
                  "params on all of X (not the mean of the mini-batch losses, which were "
                  "measured before their own steps)"),
        Case("all randomness comes from rng: the same seed gives the same network, another "
             "seed another one",
             args=(X[:500], y[:500], [n_in, 16, 10], 0.1, 1, 10, np.random.default_rng(4)),
             probe=_seeds_probe, judge=_judge_seeds, hint=rng_hint),
    ]


# ---------------------------------------------------------------- train_early_stopping

def _early_probe(early_stopping, val_losses, patience):
    result = early_stopping(val_losses, patience)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError("early_stopping must return a pair (best_epoch, stop_epoch); got "
                        f"{type(result).__name__}")
    return tuple(int(v) for v in result)


@exercise("train_early_stopping", LECTURE, "early_stopping")
def early_stopping_cases(rng):
    def case(name, losses, patience, hint, as_array=False):
        losses = [float(v) for v in losses]
        arg = np.array(losses) if as_array else losses
        return Case(name, args=(arg, patience), probe=_early_probe,
                    expected=_ref_early_stopping(losses, patience), hint=hint)
    rule = ("walk through the epochs keeping the best loss so far and its epoch; stop at the "
            "first epoch that is `patience` epochs after the best one")
    u_shape = [1.0, 0.7, 0.5, 0.42, 0.40, 0.41, 0.43, 0.46, 0.50, 0.55, 0.61]
    noisy = 0.3 + 1.0 / np.arange(1, 31) + 0.01 * rng.normal(size=30)
    return [
        case("a U-shaped curve, patience 3: best epoch 4, stop at epoch 7", u_shape, 3, rule),
        case("the loss keeps falling: never stop early (best = stop = the last epoch)",
             [1.0, 0.8, 0.7, 0.65, 0.62, 0.60], 2,
             "without `patience` epochs without improvement, return the last epoch as stop"),
        case("a bump shorter than the patience does not stop training",
             [1.0, 0.8, 0.85, 0.9, 0.7, 0.6, 0.65, 0.66, 0.67, 0.68], 3,
             "the counter starts again after every new best"),
        case("patience 1: stop at the first epoch that does not improve",
             [0.9, 0.8, 0.81, 0.7, 0.6], 1,
             "with patience 1 the first epoch without improvement is the stopping epoch"),
        case("an equal loss is not an improvement", [1.0, 0.5, 0.5, 0.5, 0.4], 2,
             "improve means strictly lower (<), and the best epoch is the first one with the "
             "lowest loss"),
        case("only the epochs before stopping count: a later, lower loss is never seen",
             [0.5, 0.6, 0.7, 0.8, 0.1], 2,
             "the best epoch is chosen among the epochs seen before stopping, not over the "
             "whole list"),
        case("a NumPy array of 30 noisy losses, patience 5", noisy, 5, rule, as_array=True),
    ]


# ---------------------------------------------------------------- train_select_config

def _select_probe(select_config, results, watch=False):
    """The chosen config as plain data; with watch=True the rows record whether the
    function read 'test_accuracy'."""
    peeked = []

    class Watched(dict):
        def __getitem__(self, key):
            if key == "test_accuracy":
                peeked.append(key)
            return dict.__getitem__(self, key)

        def get(self, key, default=None):
            if key == "test_accuracy":
                peeked.append(key)
            return dict.get(self, key, default)

    if watch:
        results = [Watched(row) for row in results]
    config = select_config(results)
    plain = dict(config) if isinstance(config, dict) else config
    return {"config": plain, "peeked": bool(peeked)}


def _judge_select(got, case):
    if got["peeked"]:
        return ("your function read the test accuracy: choosing must use the validation "
                "accuracy only")
    return compare(case.expected, got["config"], where="the chosen config")


@exercise("train_select_config", LECTURE, "select_config")
def select_config_cases(rng):
    def row(lr, width, val, test):
        return {"config": {"lr": lr, "width": width}, "val_accuracy": val, "test_accuracy": test}

    def case(name, results, hint, watch=False):
        return Case(name, args=(results,), kwargs={"watch": watch}, probe=_select_probe,
                    judge=_judge_select, expected=_ref_select_config(results), hint=hint)
    rows = [row(0.01, 30, 0.91, 0.93), row(0.1, 30, 0.95, 0.94), row(1.0, 30, 0.90, 0.96)]
    many = [row(float(lr), int(w), float(v), float(t)) for lr, w, v, t in zip(
        10.0 ** rng.uniform(-3, 0, 12), rng.integers(10, 100, 12), rng.uniform(0.8, 0.97, 12),
        rng.uniform(0.8, 0.97, 12))]
    return [
        case("three configurations: the best validation accuracy wins", rows,
             "return results[i]['config'] for the i with the largest 'val_accuracy'"),
        case("the best test accuracy belongs to another configuration", rows[::-1],
             "the test accuracy must play no part in the choice"),
        case("a tie in validation accuracy: the first one wins",
             [row(0.1, 10, 0.9, 0.8), row(0.2, 20, 0.95, 0.9), row(0.3, 30, 0.95, 0.99)],
             "on ties keep the earlier configuration (max and a loop with > both do that)"),
        case("twelve random configurations", many,
             "return the 'config' dict itself, not the whole row or its index"),
        case("the test accuracy is never read (the check watches the rows)", rows, "choose "
             "using row['val_accuracy'] only; do not read row['test_accuracy'], not even to "
             "break ties", watch=True),
    ]


# ---------------------------------------------------------------- train_symmetry

def _symmetry_probe(fn, W1, b1, **kwargs):
    result = fn(W1, b1, **kwargs)
    if not isinstance(result, (bool, np.bool_)):
        raise TypeError(f"return True or False (a bool); got {type(result).__name__}")
    return bool(result)


def _judge_symmetry(got, case):
    if got == case.expected:
        return None
    return (f"returned {got}, but these hidden units are "
            f"{'identical' if case.expected else 'not identical'} within tol")


@exercise("train_symmetry", LECTURE, "hidden_units_identical")
def symmetry_cases(rng):
    def case(name, W1, b1, hint, **kwargs):
        return Case(name, args=(W1, b1), kwargs=kwargs, probe=_symmetry_probe,
                    judge=_judge_symmetry, hint=hint,
                    expected=_ref_hidden_units_identical(W1, b1, **kwargs))
    column = rng.normal(size=(6, 1))
    same = np.repeat(column, 4, axis=1)
    rule = ("hidden unit j is column W1[:, j] with bias b1[j]: compare every column with the "
            "first one, and every bias with b1[0]")
    nudged = same.copy()
    nudged[2, 3] += 1e-6
    tiny = same + rng.uniform(-1, 1, size=same.shape) * 1e-14
    rows_equal = np.repeat(rng.normal(size=(1, 4)), 6, axis=0)
    return [
        case("four identical hidden units", same, np.full(4, 0.3), rule),
        case("one weight differs by 1e-6", nudged, np.full(4, 0.3),
             "a difference above tol in any single weight makes the units different"),
        case("differences of 1e-14 are within tol = 1e-12", tiny, np.full(4, 0.3),
             "compare with a tolerance (np.abs(...) <= tol), not with =="),
        case("equal weights but different biases", same, np.array([0.3, 0.3, 0.1, 0.3]),
             "the biases are part of the units: check b1 too"),
        case("equal rows but different columns (units are columns)", rows_equal, np.zeros(4),
             "a unit is a COLUMN of W1 (shape (n_in, n_hidden)); identical rows do not make "
             "identical units"),
        case("a random initialization", rng.normal(size=(5, 3)), np.zeros(3), rule),
        case("tol = 1e-3 given by keyword", same + 1e-4 * rng.uniform(-1, 1, same.shape),
             np.full(4, 0.3), "use the tol argument you are given", tol=1e-3),
        case("a single hidden unit is identical to itself", column, np.array([0.5]), rule),
    ]

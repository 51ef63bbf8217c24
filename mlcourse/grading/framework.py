"""Exercise checks that teach.

An exercise is a function of the course (or a variable, for conceptual
questions) that the student writes. Its check is a list of `Case`s: each case
calls the student's object on fixed or seeded-random inputs and compares the
result with the course's reference. The work is split in three steps so that
the batch grader can run the student's code in a process of its own and judge
the results in a process the student's code never touched:

1. `make_cases(exercise)`        -> cases with their expected answers (judge side)
2. `run_probes(exercise, obj, cases)` -> outcomes: what the student's object returned
                                    (student side; only plain data comes back)
3. `judge(exercise, cases, outcomes)` -> a `Report` with the score and feedback

`check("<id>")` does the three steps in the notebook's own process.
"""
import copy
import contextlib
import inspect
import io
import os
import signal
import zlib
from dataclasses import dataclass, field

import numpy as np

EXERCISES = {}      # exercise id -> Exercise, filled by the @exercise decorator


class NotAnsweredYet(Exception):
    """Raised by a probe when a conceptual question still holds None."""


class CaseTimeout(Exception):
    """The student's function ran past the exercise's per-call time limit."""


@dataclass
class Case:
    """One test of an exercise.

    name      what is tested, in words a student understands
    args, kwargs   passed to the student's function (deep-copied for each call)
    expected  the course reference's answer (ignored when `judge` is given)
    judge     judge(got, case) -> None when correct, else a message (non-unique answers)
    probe     probe(obj, *args, **kwargs) -> plain data; default obj(*args, **kwargs)
    hint      what to look at when this case fails
    """
    name: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    expected: object = None
    judge: object = None
    probe: object = None
    hint: str = ""
    rtol: float = 1e-6
    atol: float = 1e-9
    check_inputs_unchanged: bool = True


@dataclass
class Exercise:
    id: str
    lecture: str          # e.g. "01_perceptron"
    name: str             # the function or variable the student defines
    make: object          # make(rng) -> list of Case
    points: float = 1.0
    timeout: float = 5.0  # seconds per call of the student's function

    @property
    def seed(self):
        """A seed derived from the id, so every run draws the same random cases."""
        return zlib.crc32(self.id.encode())


def exercise(id, lecture, name, points=1.0, timeout=5.0):
    """Decorator registering a case factory `make(rng) -> list[Case]` under `id`."""
    def register(make):
        if id in EXERCISES:
            raise ValueError(f"exercise id {id!r} is registered twice")
        EXERCISES[id] = Exercise(id, lecture, name, make, points, timeout)
        return make
    return register


def question(id, lecture, text, judge, hint="", points=1.0):
    """Register a conceptual question: the student assigns the answer to the variable `id`
    (None until answered); one case, judged by `judge` (e.g. `choice_judge("b")`)."""
    def make(rng):
        return [Case(text, probe=lambda obj: answer(obj), judge=judge, hint=hint)]
    exercise(id, lecture, id, points)(make)


def get_exercise(id):
    from mlcourse.grading import checks  # noqa: F401  (imports every lecture's checks)
    if id not in EXERCISES:
        known = ", ".join(sorted(EXERCISES))
        raise KeyError(f"no exercise with id {id!r}; known ids: {known}")
    return EXERCISES[id]


def exercises_of(lecture):
    """The exercises of one lecture, in registration (= notebook) order."""
    from mlcourse.grading import checks  # noqa: F401
    return [ex for ex in EXERCISES.values() if ex.lecture == lecture]


def answer(obj):
    """Probe for a conceptual question: the variable's value (None means not answered)."""
    if obj is None:
        raise NotAnsweredYet()
    return obj


def choice_judge(correct, options=("a", "b", "c"), explain=""):
    """Judge of a multiple-choice question: one of `options` as a string ("b", "(b)", " B ")."""
    options = tuple(options)

    def judge(got, case):
        choice = got.strip().strip("()").strip().lower() if isinstance(got, str) else None
        if choice not in options:
            shown = ", ".join(repr(o) for o in options)
            return f"answer with one of {shown} (one letter in quotes); got {got!r}"
        if choice == correct:
            return None
        return f"{got!r} is not right" + (f": {explain}" if explain else "")
    return judge


def number_judge(correct, tol=0.0, explain=""):
    """Judge of a numerical question: a number within `tol` of `correct`."""
    def judge(got, case):
        try:
            if isinstance(got, (bool, np.bool_)):
                raise TypeError
            value = float(got)
        except (TypeError, ValueError):
            return f"answer with a number; got {got!r}"
        if abs(value - correct) <= tol:
            return None
        return f"{value:g} is not right" + (f": {explain}" if explain else "")
    return judge


# ---------------------------------------------------------------- step 1: cases

def make_cases(ex):
    return ex.make(np.random.default_rng(ex.seed))


# ---------------------------------------------------------------- step 2: probes

@dataclass
class Outcome:
    """What happened when one case ran: kind is 'ok', 'error', 'timeout' or 'missing'."""
    kind: str
    value: object = None
    error: str = ""
    changed_inputs: tuple = ()
    printed: int = 0          # number of characters the function printed


class _CappedWriter(io.TextIOBase):
    """A text sink that keeps at most `limit` characters and counts the rest."""

    def __init__(self, limit=2000):
        self.limit, self.parts, self.count = limit, [], 0

    def write(self, s):
        if self.count < self.limit:
            self.parts.append(s[: self.limit - self.count])
        self.count += len(s)
        return len(s)


@contextlib.contextmanager
def _time_limit(seconds):
    """Raise CaseTimeout after `seconds` (only possible in the main thread)."""
    import threading
    if threading.current_thread() is not threading.main_thread() or seconds is None:
        yield
        return

    def on_alarm(signum, frame):
        raise CaseTimeout(f"it did not return within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _same(a, b):
    """Deep equality of inputs before and after a call (arrays compared by value, NaN == NaN)."""
    if isinstance(a, np.random.Generator):
        return True   # drawing from the rng we pass in is its purpose, not a mutation
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    try:
        return bool(a == b)
    except Exception:
        return True   # not comparable (a function, a Generator): not an input we can watch


def _argument_names(obj, case):
    try:
        params = list(inspect.signature(obj).parameters)
    except (TypeError, ValueError):
        params = []
    names = [params[i] if i < len(params) else f"argument {i + 1}" for i in range(len(case.args))]
    return names + list(case.kwargs)


def _short_error(exc):
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 300 else text[:297] + "..."


def run_probe(ex, obj, case):
    """Run one case against the student's object and return an Outcome."""
    args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
    sink = _CappedWriter()
    try:
        with _time_limit(ex.timeout), contextlib.redirect_stdout(sink):
            if case.probe is not None:
                value = case.probe(obj, *args, **kwargs)
            else:
                value = obj(*args, **kwargs)
    except NotImplementedError:
        return Outcome("missing", error="not implemented yet", printed=sink.count)
    except NotAnsweredYet:
        return Outcome("missing", error="not answered yet", printed=sink.count)
    except CaseTimeout as exc:
        return Outcome("timeout", error=str(exc), printed=sink.count)
    except Exception as exc:  # the student's code may raise anything
        return Outcome("error", error=_short_error(exc), printed=sink.count)
    changed = ()
    if case.check_inputs_unchanged:
        names = _argument_names(obj, case)
        before = list(case.args) + list(case.kwargs.values())
        after = list(args) + list(kwargs.values())
        changed = tuple(n for n, a, b in zip(names, before, after) if not _same(a, b))
    return Outcome("ok", value=value, changed_inputs=changed, printed=sink.count)


def run_probes(ex, obj, cases):
    """Run every case; stop early (all 'missing') when the exercise is not done yet."""
    outcomes = []
    for case in cases:
        outcome = run_probe(ex, obj, case)
        outcomes.append(outcome)
        if outcome.kind == "missing":
            return [outcome] * len(cases)
    return outcomes


# ---------------------------------------------------------------- step 3: judging

def describe(x):
    """A short, deterministic description of a value: type, shape, dtype, a few values."""
    if isinstance(x, np.ndarray):
        body = np.array2string(x, precision=4, threshold=12, edgeitems=3, suppress_small=True,
                               max_line_width=72, separator=" ")
        body = body.replace("\n", "\n      ")
        return f"array of shape {x.shape} and dtype {x.dtype}: {body}"
    if isinstance(x, (float, np.floating)):
        return f"{type(x).__name__} {float(x):.6g}"
    if isinstance(x, (bool, np.bool_, int, np.integer)):
        return f"{type(x).__name__} {x}"
    if isinstance(x, (tuple, list)):
        return f"{type(x).__name__} of length {len(x)}"
    if isinstance(x, dict):
        return f"dict with keys {sorted(map(str, x))}"
    text = repr(x)
    return f"{type(x).__name__} {text[:80]}"


def compare(expected, got, rtol=1e-6, atol=1e-9, where="the result"):
    """None if `got` matches `expected` (recursively, numerically close), else a message."""
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"{where} should be a dict with keys {sorted(expected)}; got {describe(got)}"
        missing = [k for k in expected if k not in got]
        if missing:
            return f"{where} is missing the key(s) {missing}"
        for key in expected:
            msg = compare(expected[key], got[key], rtol, atol, f"{where}[{key!r}]")
            if msg:
                return msg
        return None
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return f"{where} should be a {type(expected).__name__} of length {len(expected)}; got {describe(got)}"
        for i, (e, g) in enumerate(zip(expected, got)):
            msg = compare(e, g, rtol, atol, f"{where}[{i}]")
            if msg:
                return msg
        return None
    if isinstance(expected, str):
        return None if got == expected else f"{where} should be {expected!r}; got {describe(got)}"
    expected_arr = np.asarray(expected)
    try:
        got_arr = np.asarray(got, dtype=float if expected_arr.dtype.kind in "fc" else None)
    except (TypeError, ValueError):
        return f"{where} should be {describe(expected)}; got {describe(got)}, which is not numeric"
    if got_arr.dtype.kind not in "biuf":
        return f"{where} should be numeric; got {describe(got)}"
    if got_arr.shape != expected_arr.shape:
        return (f"{where} has the wrong shape: expected {expected_arr.shape}, got {got_arr.shape}\n"
                f"    expected: {describe(expected)}\n    got:      {describe(got)}")
    if got_arr.dtype.kind == "f" and np.any(np.isnan(got_arr)) and not np.any(np.isnan(expected_arr)):
        return f"{where} contains NaN (a 0/0, inf - inf or log of a negative?)\n    got: {describe(got)}"
    if not np.allclose(got_arr.astype(float), expected_arr.astype(float), rtol=rtol, atol=atol,
                       equal_nan=True):
        diff = np.abs(got_arr.astype(float) - expected_arr.astype(float))
        diff = np.where(np.isnan(diff), np.inf, diff)
        worst = np.unravel_index(np.argmax(diff), diff.shape) if diff.ndim else ()
        at = f" (largest difference at index {tuple(int(i) for i in worst)})" if diff.ndim else ""
        return (f"{where} has the wrong values{at}\n"
                f"    expected: {describe(expected)}\n    got:      {describe(got)}")
    return None


@dataclass
class CaseResult:
    name: str
    passed: bool
    message: str = ""
    hint: str = ""


@dataclass
class Report:
    exercise: Exercise
    results: list
    status: str = "graded"    # 'graded', 'missing' (not implemented / not answered), or 'absent'
    note: str = ""

    @property
    def n_passed(self):
        return sum(r.passed for r in self.results)

    @property
    def score(self):
        """Points earned: the exercise's points times the fraction of cases passed."""
        if self.status != "graded" or not self.results:
            return 0.0
        return round(self.exercise.points * self.n_passed / len(self.results), 2)

    def text(self):
        """The feedback shown under the check cell (deterministic: nbval compares it)."""
        ex = self.exercise
        head = f"[{ex.id}] score {self.score:g}/{ex.points:g}"
        if self.status != "graded":
            return f"{head} - {self.note}"
        lines = [f"{head} - {self.n_passed} of {len(self.results)} cases passed"
                 + (". Well done!" if self.n_passed == len(self.results) else "")]
        for r in self.results:
            if r.passed:
                lines.append(f"  ok    {r.name}")
            else:
                lines.append(f"  FAIL  {r.name}")
                lines.extend("        " + line for line in r.message.splitlines())
                if r.hint:
                    lines.append(f"        hint: {r.hint}")
        return "\n".join(lines)

    def __str__(self):
        return self.text()


def judge_case(case, outcome):
    """Turn one Outcome into a CaseResult."""
    if outcome.kind == "timeout":
        return CaseResult(case.name, False, f"stopped: {outcome.error} (an endless loop?)", case.hint)
    if outcome.kind == "error":
        return CaseResult(case.name, False, f"raised {outcome.error}", case.hint)
    if outcome.changed_inputs:
        names = ", ".join(outcome.changed_inputs)
        return CaseResult(case.name, False,
                          f"your function changed its input(s) {names} in place; "
                          "work on a copy (e.g. w = w + ... instead of w += ...)", case.hint)
    if case.judge is not None:
        try:
            message = case.judge(outcome.value, case)
        except Exception as exc:  # a malformed answer can trip the judge
            message = f"could not be checked: {_short_error(exc)}; got {describe(outcome.value)}"
    else:
        message = compare(case.expected, outcome.value, case.rtol, case.atol)
    return CaseResult(case.name, message is None, message or "", case.hint)


def judge(ex, cases, outcomes):
    if outcomes and all(o.kind == "missing" for o in outcomes):
        return Report(ex, [], status="missing", note=outcomes[0].error)
    return Report(ex, [judge_case(c, o) for c, o in zip(cases, outcomes)])


def absent(ex, note):
    """A report for an exercise whose function could not even be found or defined."""
    return Report(ex, [], status="absent", note=note)


# ---------------------------------------------------------------- in the notebook

def _user_namespace():
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None:
        return shell.user_ns
    import __main__
    return vars(__main__)


def grade(id, namespace):
    """Grade exercise `id` using the object of the same name found in `namespace`."""
    ex = get_exercise(id)
    if ex.name not in namespace:
        return absent(ex, f"not found: no `{ex.name}` is defined. Write it in the cell above "
                          "and run that cell (Shift+Enter) before this one.")
    cases = make_cases(ex)
    return judge(ex, cases, run_probes(ex, namespace[ex.name], cases))


def check(id, namespace=None):
    """Check exercise `id` in the notebook: print the score and feedback.

    Never raises for a wrong or unfinished answer. Under nbgrader
    (environment variable NBGRADER_EXECUTION set) it returns the points earned,
    so nbgrader records partial credit and `nbgrader validate` fails a blank
    notebook.
    """
    report = grade(id, _user_namespace() if namespace is None else namespace)
    print(report.text())
    if os.environ.get("NBGRADER_EXECUTION"):
        return report.score
    return None

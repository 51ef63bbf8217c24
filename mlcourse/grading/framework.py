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

`check("<id>")` does the three steps in the notebook's own process. Both the check
and the batch grader apply the same two rules around them: an answer that uses the
course's own library earns 0 (`course_note`), and a failure caused by a wrong function
of an earlier exercise names that exercise (`blame`).
"""
import ast
import copy
import contextlib
import html
import inspect
import io
import linecache
import os
import re
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
    probe     probe(obj, *args, **kwargs) -> plain data; default obj(*args, **kwargs).
              The batch grader sends it to the sandbox as source (grading/shipping.py):
              a def (no lambda) using only numpy, math, warnings, mlcourse.autodiff,
              plain values and other functions of its own module
    hint      what to look at when this case fails
    banned    functions the answer must not use, as "np.tanh" (checked in the source)
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
    banned: tuple = ()     # e.g. ("np.tanh",): the batch grader fails the case if the student's
    #                        code names it (a static check; the probe may switch it off too)


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
        return [Case(text, probe=answer, judge=judge, hint=hint)]
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


def number_judge(correct, tol=0.0, explain="", also=()):
    """Judge of a numerical question: a number within `tol` of `correct` (or of one of
    `also`, other defensible answers)."""
    def judge(got, case):
        try:
            if isinstance(got, (bool, np.bool_)):
                raise TypeError
            value = float(got)
        except (TypeError, ValueError):
            return f"answer with a number; got {got!r}"
        if any(abs(value - c) <= tol for c in (correct, *also)):
            return None
        return f"{value:g} is not right" + (f": {explain}" if explain else "")
    return judge


# ---------------------------------------------------------------- the course's own library

_COURSE_IMPORT = re.compile(
    r"^\s*(?:from\s+mlcourse\b|import\s+(?:[\w.]+(?:\s+as\s+\w+)?\s*,\s*)*mlcourse\b)"
    r"|(?:__import__|import_module)\(\s*[rbuf]*['\"]mlcourse", re.MULTILINE)

COURSE_IMPORT_NOTE = ("your cell imports the course's library `mlcourse`: "
                      "the reference implementation is not an answer")


def imports_course(source):
    """True if a cell's source imports the course's library (handing in the reference is not an answer)."""
    return _COURSE_IMPORT.search(source or "") is not None


def course_reference(obj, name):
    """'module.qualname' if `obj` is a function or class of the course's library, else ''."""
    module = getattr(obj, "__module__", None) or ""
    if callable(obj) and isinstance(module, str) and module.split(".")[0] == "mlcourse":
        return f"{module}.{getattr(obj, '__qualname__', name)}"
    return ""


def reference_note(name, reference):
    """The note for an answer that is the course's own function `reference`."""
    return f"`{name}` is the course's reference ({reference}), not your own code"


def course_note(name, obj, source):
    """The one rule of the check and of the batch grader: None if the answer may be graded,
    else the note that gives it 0. `source` is the cell that defined the answer: a cell
    that imports `mlcourse` is refused first, then an answer that is the course's own object."""
    if imports_course(source):
        return COURSE_IMPORT_NOTE
    reference = course_reference(obj, name)
    return reference_note(name, reference) if reference else None


def _binds(source, name):
    """True if a cell's top level binds `name` (def, class, import or assignment)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name == name:
                return True
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if any((a.asname or a.name.split(".")[0]) == name for a in node.names):
                return True
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name
                   for target in targets for t in ast.walk(target)):
                return True
    return False


def banned_uses(source, banned):
    """The entries of `banned` (like "np.tanh") that a cell's source names: the attribute
    (np.tanh, x.tanh), an import of it (from numpy import tanh) or its name as a string
    (getattr(np, "tanh")). A static check: the batch grader applies it to the student's code."""
    try:
        tree = ast.parse(source or "")
    except (SyntaxError, ValueError):
        return []
    found = []
    for entry in banned:
        attr = entry.rsplit(".", 1)[-1]
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr == attr
                    or isinstance(node, ast.ImportFrom) and any(a.name == attr for a in node.names)
                    or isinstance(node, ast.Constant) and node.value == attr):
                found.append(entry)
                break
    return found


def cell_source(obj, name, history=()):
    """The source of the notebook cell that defined `obj` ('' when unknown).

    A function knows its cell: IPython registers every cell's source in `linecache`
    under a file name that is not a file on disk (the function's code object names it).
    A function from a real file gives only its own source (the file may import anything).
    Anything else (the course's own function, a variable) comes from the last cell in
    `history` (IPython's `In`) that binds `name`.
    """
    code = getattr(obj, "__code__", None)
    if code is not None and not course_reference(obj, name):
        filename = code.co_filename
        if os.path.exists(filename):
            try:
                return inspect.getsource(obj)
            except (OSError, TypeError):
                return ""
        lines = linecache.getlines(filename)
        if lines:
            return "".join(lines)
    for source in reversed(list(history)):
        if isinstance(source, str) and _binds(source, name):
            return source
    return ""


# ---------------------------------------------------------------- step 1: cases

def make_cases(ex):
    return ex.make(np.random.default_rng(ex.seed))


# ---------------------------------------------------------------- step 2: probes

@dataclass
class Outcome:
    """What happened when one case ran: kind is 'ok', 'error', 'timeout', 'missing' or
    'banned' (the batch grader found a banned function in the student's code) or 'notrun'
    (the batch grader stopped the function on an earlier case)."""
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

FORGOT_RETURN = "returned None: did you forget `return`?"
SHOWN_WHOLE = 10        # arrays with at most this many entries are printed whole
SHOWN_DIFFERENCES = 3   # larger ones: shape, dtype and the first differing entries


def number(x, digits=4):
    """A number as a student would write it: 0.25, -3, 1e-12, 1000, nan; never -0."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    x = float(x)
    if np.isnan(x):
        return "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    mantissa, e, exponent = f"{x:.{digits}g}".partition("e")
    return f"{mantissa}e{int(exponent)}" if e else mantissa


def _entries(a, digits=4):
    """The values of a small array in nested brackets: [[1 0.5] [0 -2]]."""
    if a.ndim == 0:
        return number(a.item(), digits)
    return "[" + " ".join(_entries(row, digits) for row in a) + "]"


def _telling_digits(expected, got):
    """The fewest significant digits (4 to 12) at which two different values print differently."""
    for digits in range(4, 13):
        if _entries(np.asarray(expected), digits) != _entries(np.asarray(got), digits):
            return digits
    return 12


def describe(x):
    """A short, deterministic description of a value: type, shape, dtype, a few values."""
    if isinstance(x, np.ndarray):
        head = f"array of shape {x.shape} and dtype {x.dtype}"
        if x.dtype.kind not in "biuf":
            return head
        if x.size <= SHOWN_WHOLE:
            return f"{head}: {_entries(x)}"
        return f"{head}, starting {' '.join(number(v) for v in x.ravel()[:4])} ..."
    if isinstance(x, (float, np.floating, bool, np.bool_, int, np.integer)):
        return f"{type(x).__name__} {number(x)}"
    if isinstance(x, (tuple, list)):
        return f"{type(x).__name__} of length {len(x)}"
    if isinstance(x, dict):
        return f"dict with keys {sorted(map(str, x))}"
    text = repr(x)
    return f"{type(x).__name__} {text[:80]}"


def _wrong_values(where, expected, got, wrong):
    """The message for arrays of the right shape whose entries `wrong` differ."""
    if expected.ndim == 0:
        digits = _telling_digits(expected, got)
        return f"{where} is wrong: expected {number(expected.item(), digits)}, got {number(got.item(), digits)}"
    lines = [f"{where} has the wrong values at {int(wrong.sum())} of {wrong.size} entries"]
    if expected.size <= SHOWN_WHOLE:
        digits = _telling_digits(expected, got)
        lines += [f"    expected: {_entries(expected, digits)}", f"    got:      {_entries(got, digits)}"]
        return "\n".join(lines)
    lines[0] += f" (shape {expected.shape}); the first ones:"
    for index in list(zip(*np.nonzero(wrong)))[:SHOWN_DIFFERENCES]:
        e, g = expected[index], got[index]
        digits = _telling_digits(e, g)
        at = ", ".join(str(int(i)) for i in index)
        lines.append(f"    at [{at}]: expected {number(e, digits)}, got {number(g, digits)}")
    return "\n".join(lines)


def compare(expected, got, rtol=1e-6, atol=1e-9, where="the result"):
    """None if `got` matches `expected` (recursively, numerically close), else a message."""
    if got is None and expected is not None:
        return FORGOT_RETURN if where == "the result" else f"{where} is None"
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
                f"    expected: {describe(expected_arr)}\n    got:      {describe(got_arr)}")
    if got_arr.dtype.kind == "f" and np.any(np.isnan(got_arr)) and not np.any(np.isnan(expected_arr)):
        return (f"{where} contains NaN (a 0/0, inf - inf or log of a negative?)\n"
                f"    got: {describe(got_arr)}")
    got_f, expected_f = got_arr.astype(float), expected_arr.astype(float)
    wrong = ~np.isclose(got_f, expected_f, rtol=rtol, atol=atol, equal_nan=True)
    if np.any(wrong):
        return _wrong_values(where, expected_f, got_f, wrong)
    return None


@dataclass
class CaseResult:
    name: str
    passed: bool
    message: str = ""
    hint: str = ""


_COLOURS = {"ok": "#1a7f37", "FAIL": "#cf222e"}   # green / red; the words say it too


@dataclass
class Report:
    exercise: Exercise
    results: list
    status: str = "graded"    # 'graded', 'missing' (not implemented / not answered), or 'absent'
    note: str = ""
    notes: list = field(default_factory=list)   # earlier exercises to fix first (see blame)

    @property
    def n_passed(self):
        return sum(r.passed for r in self.results)

    @property
    def full_marks(self):
        return self.status == "graded" and self.n_passed == len(self.results) > 0

    @property
    def score(self):
        """Points earned: the exercise's points times the fraction of cases passed."""
        if self.status != "graded" or not self.results:
            return 0.0
        return round(self.exercise.points * self.n_passed / len(self.results), 2)

    def lines(self):
        """The feedback as (kind, line) pairs; kind is 'head', 'note', 'ok', 'FAIL' or 'detail'.

        Failed cases that share one message are listed together: the message is said
        once, followed by their hints (each once)."""
        ex = self.exercise
        head = f"[{ex.id}] score {self.score:g}/{ex.points:g}"
        if self.status != "graded":
            head += f" - {self.note}"
        else:
            head += (f" - {self.n_passed} of {len(self.results)} cases passed"
                     + (". Well done!" if self.full_marks else ""))
        out = [("head", head)] + [("note", f"  note: {n}") for n in self.notes]
        said = set()
        for r in self.results:
            if r.passed:
                out.append(("ok", f"  ok    {r.name}"))
                continue
            if r.message in said:
                continue
            said.add(r.message)
            group = [g for g in self.results if not g.passed and g.message == r.message]
            out += [("FAIL", f"  FAIL  {g.name}") for g in group]
            out += [("detail", "        " + line) for line in r.message.splitlines()]
            hints = dict.fromkeys(g.hint for g in group if g.hint)
            out += [("detail", f"        hint: {hint}") for hint in hints]
        return out

    def text(self):
        """The feedback shown under the check cell and written by the grader (deterministic)."""
        return "\n".join(line for _, line in self.lines())

    def _repr_html_(self):
        """The same text for JupyterLab, with FAIL in red and ok in green."""
        rows = []
        for kind, line in self.lines():
            text = html.escape(line)
            if kind in _COLOURS:
                text = text.replace(kind, f'<span style="color:{_COLOURS[kind]};font-weight:bold">'
                                          f'{kind}</span>', 1)
            elif kind == "head":
                text = f"<b>{text}</b>"
            rows.append(text)
        return '<pre class="mlcourse-check">' + "\n".join(rows) + "</pre>"

    def __repr__(self):
        return self.text()

    __str__ = text


def judge_case(case, outcome):
    """Turn one Outcome into a CaseResult."""
    if outcome.kind == "timeout":
        return CaseResult(case.name, False, f"stopped: {outcome.error} (an endless loop?)", case.hint)
    if outcome.kind == "error":
        return CaseResult(case.name, False, f"raised {outcome.error}", case.hint)
    if outcome.kind == "notrun":
        return CaseResult(case.name, False, f"not run: {outcome.error}", case.hint)
    if outcome.kind == "banned":
        return CaseResult(case.name, False, f"your code uses {outcome.error}, which is off "
                                            "limits in this case", case.hint)
    if outcome.changed_inputs:
        names = ", ".join(outcome.changed_inputs)
        return CaseResult(case.name, False,      # the message is the hint
                          f"your function changed its input(s) {names} in place; "
                          "work on a copy (e.g. w = w + ... instead of w += ...)")
    if outcome.value is None and case.probe is None:
        return CaseResult(case.name, False, FORGOT_RETURN)
    if case.judge is not None:
        try:
            message = case.judge(outcome.value, case)
        except Exception as exc:  # a malformed answer can trip the judge
            message = f"could not be checked: {_short_error(exc)}; got {describe(outcome.value)}"
    else:
        message = compare(case.expected, outcome.value, case.rtol, case.atol)
    return CaseResult(case.name, message is None, message or "",
                      "" if message == FORGOT_RETURN else case.hint)


def judge(ex, cases, outcomes):
    if outcomes and all(o.kind == "missing" for o in outcomes):
        return Report(ex, [], status="missing", note=outcomes[0].error)
    return Report(ex, [judge_case(c, o) for c, o in zip(cases, outcomes)])


def absent(ex, note):
    """A report for an exercise whose function could not even be found or defined."""
    return Report(ex, [], status="absent", note=note)


# ---------------------------------------------------------------- earlier exercises

def names_used(source):
    """The names a cell's code reads (the functions it calls among them); empty if it does not parse."""
    try:
        tree = ast.parse(source or "")
    except (SyntaxError, ValueError):
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def earlier_exercises(ex):
    """The exercises of ex's lecture registered (= placed in the notebook) before it."""
    lecture = exercises_of(ex.lecture)
    return lecture[: lecture.index(ex)]


def _refused(report):
    """True if a report gave 0 for using the course's library."""
    return report.status == "absent" and (
        report.note == COURSE_IMPORT_NOTE or " is the course's reference (" in report.note)


def blame(report, source, earlier):
    """The report with a note for each earlier exercise whose function `source` uses and
    whose own check does not pass (the same rule in the check and in the batch grader).

    earlier: Reports of the exercises before this one in the same lecture. An answer that
    relies on a function refused for using the course's library is refused as well (the
    grader cannot run it without that function)."""
    used = names_used(source) - {report.exercise.name}
    notes = []
    for r in earlier:
        name, id = r.exercise.name, r.exercise.id
        if name not in used or r.full_marks:
            continue
        if _refused(r):
            return absent(report.exercise, f"it uses your `{name}` (exercise {id}), which the "
                                           "grader refuses: it uses the course's library")
        if r.status == "missing":
            notes.append(f"your `{name}` (exercise {id}) is {r.note}; write it first")
        elif r.status == "absent":
            notes.append(f"your `{name}` (exercise {id}) could not be checked; fix it first")
        else:
            notes.append(f"your `{name}` (exercise {id}) is wrong; fix it first")
    if not notes or report.full_marks:
        return report
    return Report(report.exercise, report.results, report.status, report.note,
                  report.notes + notes)


# ---------------------------------------------------------------- in the notebook

def _shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _user_namespace():
    shell = _shell()
    if shell is not None:
        return shell.user_ns
    import __main__
    return vars(__main__)


def grade(id, namespace):
    """Grade exercise `id` using the object of the same name found in `namespace` (cases only)."""
    ex = get_exercise(id)
    if ex.name not in namespace:
        return absent(ex, f"not found: no `{ex.name}` is defined. Write it in the cell above "
                          "and run that cell (Shift+Enter) before this one.")
    cases = make_cases(ex)
    return judge(ex, cases, run_probes(ex, namespace[ex.name], cases))


def assess(id, namespace, history=()):
    """What check() shows, by the batch grader's rules: an answer that uses the course's
    library earns 0 (`course_note`), then the cases run, then `blame` names the earlier
    exercises whose wrong functions the answer uses. `history` is IPython's `In`."""
    ex = get_exercise(id)
    if ex.name not in namespace:
        return grade(id, namespace)
    obj = namespace[ex.name]
    source = cell_source(obj, ex.name, history)
    note = course_note(ex.name, obj, source)
    if note:
        return absent(ex, note)
    report = grade(id, namespace)
    used = names_used(source)
    earlier = [assess(e.id, namespace, history) for e in earlier_exercises(ex) if e.name in used]
    return blame(report, source, earlier)


def check(id, namespace=None):
    """Check exercise `id` in the notebook: show the score and feedback.

    Never raises for a wrong or unfinished answer. In IPython the report is displayed
    as HTML (FAIL/ok coloured) with the grader's text as its plain-text form. Under
    nbgrader (environment variable NBGRADER_EXECUTION set) it returns the points earned,
    so nbgrader records partial credit and `nbgrader validate` fails a blank notebook.
    """
    shell = _shell()
    if namespace is None:
        namespace = _user_namespace()
    history = shell.user_ns.get("In", ()) if shell is not None else ()
    report = assess(id, namespace, history)
    if shell is not None:
        from IPython.display import display
        display(report)
    else:
        print(report.text())
    if os.environ.get("NBGRADER_EXECUTION"):
        return report.score
    return None

"""Reading submissions and judging what the sandbox reports (the grader's side).

The batch grader (grader.py) reads each submitted notebook here
(`read_submission`, with limits checked before parsing), decides which cells
run (`replay_cells`: every code cell top to bottom, the course's own setup
cells in place of the student's, check cells left out) and where each
exercise is graded (`locate`, `grading_point`), and judges each exercise from
the messages of the runner (runner.py, inside the sandbox) with `assess`.

`python -m mlcourse.grading.worker` runs the runner (kept for old command lines).
"""
import collections
import functools
import json
import os
import re
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import mlcourse
from mlcourse.grading import framework, runner

REPO = Path(mlcourse.__file__).resolve().parents[1]


@dataclass
class Limits:
    cell_timeout: float = 20.0          # seconds per cell (and for checking one exercise)
    submission_timeout: float = 120.0   # seconds for the whole submission
    memory_mb: int = 2048               # address-space cap of the grading process
    output_bytes: int = 100_000         # bytes of output kept per exercise


class Unreadable(Exception):
    """The submission is not a notebook we can read; the message says why."""


MAX_NOTEBOOK_BYTES = 20 * 2**20     # a larger file is refused before it is read
MAX_CELLS = 2000                    # cells in a notebook
MAX_SOURCE_CHARS = 200_000          # characters in one cell's source


def check_limits(path):
    """Raise Unreadable if the file at `path` is too large, or (once parsed as JSON, before
    any validation) has too many cells or a cell source too long."""
    try:
        size = os.path.getsize(path)
    except OSError:
        raise Unreadable("file not found") from None
    if size > MAX_NOTEBOOK_BYTES:
        raise Unreadable(f"the file has {size} bytes, more than the limit of "
                         f"{MAX_NOTEBOOK_BYTES} (outputs included: clear them and save)")
    with open(path, "rb") as f:
        raw = f.read()
    count = raw.count(b'"cell_type"')          # an upper bound, counted before parsing
    if count > MAX_CELLS:
        raise Unreadable(f"the notebook has {count} cells, more than the limit of {MAX_CELLS}")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unreadable(f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}") from None
    cells = data.get("cells") if isinstance(data, dict) else None
    if isinstance(cells, list) and len(cells) > MAX_CELLS:
        raise Unreadable(f"the notebook has {len(cells)} cells, more than the limit of "
                         f"{MAX_CELLS}")
    for n, cell in enumerate(cells if isinstance(cells, list) else []):
        source = cell.get("source", "") if isinstance(cell, dict) else ""
        length = sum(len(s) for s in source if isinstance(s, str)) \
            if isinstance(source, list) else len(source) if isinstance(source, str) else 0
        if length > MAX_SOURCE_CHARS:
            raise Unreadable(f"cell {n} has {length} characters of code, more than the limit "
                             f"of {MAX_SOURCE_CHARS}")


# ---------------------------------------------------------------- reading notebooks

def read_submission(path):
    """The notebook at `path` (nbformat v4), or raise Unreadable with a short reason."""
    # jsonschema (used by nbformat's validator) imports this optional IRI checker if
    # installed; compiling its grammar takes ~2 s, and notebooks have no IRIs. Imported
    # here: the worker in the sandbox never reads a notebook.
    sys.modules.setdefault("rfc3987_syntax", None)
    import nbformat
    check_limits(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb = nbformat.read(str(path), as_version=4)
            nbformat.validate(nb)
    except FileNotFoundError:
        raise Unreadable("file not found") from None
    except nbformat.ValidationError as exc:
        raise Unreadable(f"invalid notebook ({str(exc.message)[:120]})") from None
    except Exception as exc:  # JSON errors, truncated files, binary junk, ...
        text = str(exc).splitlines()[0] if str(exc) else ""
        raise Unreadable(f"{type(exc).__name__}: {text[:160]}") from None
    return nb


def _nbgrader(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _is_setup(cell):
    return "setup" in cell.get("metadata", {}).get("tags", [])


def lecture_of(nb):
    """The lecture a notebook belongs to: its metadata, else the most common lecture of its grade_ids."""
    lecture = nb.get("metadata", {}).get("mlcourse", {}).get("lecture")
    if isinstance(lecture, str) and lecture:
        return lecture
    framework.exercises_of("")  # make sure every lecture's checks are registered
    ids = [_nbgrader(c).get("grade_id") for c in nb.cells]
    lectures = [framework.EXERCISES[i].lecture for i in ids if i in framework.EXERCISES]
    return collections.Counter(lectures).most_common(1)[0][0] if lectures else None


def course_notebook(lecture):
    """The course's own copy of the exercise notebook of `lecture`."""
    return REPO / "exercises" / f"{lecture}.ipynb"


def setup_sources(lecture):
    """Sources of the setup cells (tag 'setup') of the course's copy of the notebook."""
    nb = read_submission(course_notebook(lecture))
    return [c.source for c in nb.cells if c.cell_type == "code" and _is_setup(c)]


def student_cells(nb, exercises):
    """{cell index: source} of the student's cells: solution cells and the cells answering `exercises`."""
    cells = {i: c.source for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and _nbgrader(c).get("solution") and not _is_setup(c)}
    for ex in exercises:
        index = locate(nb, ex)
        if index is not None:
            cells[index] = nb.cells[index].source
    return cells


def _defines(source, name):
    """True if `source` defines `name` at the top level (def name / class name / name = ...)."""
    pattern = rf"^(?:async\s+)?(?:def|class)\s+{re.escape(name)}\b|^{re.escape(name)}\s*(?::[^=]*)?="
    return re.search(pattern, source, re.MULTILINE) is not None


def locate(nb, ex):
    """Index of the cell where the student answers `ex`: by grade_id, else the cell defining its name."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and _nbgrader(cell).get("grade_id") == ex.id:
            return i
    for i, cell in enumerate(nb.cells):
        meta = _nbgrader(cell)
        is_check = meta.get("grade") and not meta.get("solution")
        if cell.cell_type == "code" and not is_check and not _is_setup(cell) \
                and _defines(cell.source, ex.name):
            return i
    return None


imports_course = framework.imports_course   # the rule the notebook's check applies too


# ---------------------------------------------------------------- running

def _is_check(cell):
    meta = _nbgrader(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def replay_cells(nb, setup):
    """[(cell index, source)]: the code cells of `nb` top to bottom, as nbgrader runs them,
    with the course's setup sources `setup` in place of the student's setup cells (at the
    first one; first of all if the student has none) and without the check cells (the
    grader checks; under nbgrader they are the course's locked cells)."""
    cells, placed = [], False
    joined = "\n".join(setup)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or _is_check(cell):
            continue
        if _is_setup(cell):
            if not placed:
                cells.append((i, joined))
                placed = True
            continue
        cells.append((i, cell.source))
    if not placed and joined:
        cells.insert(0, (-1, joined))
    return cells


def grading_point(nb, ex, index):
    """The cell index before which `ex` is graded: its check cell (where nbgrader checks it)
    if that comes after the answer cell `index`, else the cell right after the answer."""
    for i, cell in enumerate(nb.cells):
        if i > index and cell.cell_type == "code" and _is_check(cell) \
                and _nbgrader(cell).get("grade_id") == f"{ex.id}_check":
            return i
    return index + 1


def own_sources(nb, lecture):
    """The sources of the code cells the student wrote or changed: those that differ from
    every cell of the course's own exercise notebook (for the static checks)."""
    course = _course_sources(lecture)
    return [c.source for c in nb.cells if c.cell_type == "code" and not _is_check(c)
            and not _is_setup(c) and c.source not in course]


@functools.lru_cache(maxsize=None)
def _course_sources(lecture):
    try:
        return frozenset(c.source for c in read_submission(course_notebook(lecture)).cells
                         if c.cell_type == "code")
    except Unreadable:
        return frozenset()


@dataclass
class ExerciseRun:
    """What the runner reported on one exercise (assembled by the grader).

    ending: 'finished', 'timeout' (a case ran past the time limit), 'died' (the
    child or the runner stopped), 'garbled' (it sent what the grader refused).
    """
    found: bool = False
    reference: str = ""
    params: list = field(default_factory=list)
    outcomes: list = field(default_factory=list)     # framework.Outcome, case by case
    not_plain: str = ""
    crash: str = ""             # the call raised SystemExit, KeyboardInterrupt, ...
    ending: str = "finished"
    detail: str = ""
    printed: int = 0


def _absent(ex, note):
    return framework.absent(ex, note)


def _completed(ex, run, cases):
    """The outcomes of every case: those reported, then the one that did not finish and the
    ones never run."""
    outcomes = list(run.outcomes)
    if outcomes and outcomes[-1].kind == "missing":
        return [outcomes[-1]] * len(cases)
    if len(outcomes) < len(cases) and run.ending != "finished":
        if run.ending == "timeout":
            outcomes.append(framework.Outcome(
                "timeout", error=f"it did not return within {ex.timeout:g} s"))
        else:
            outcomes.append(framework.Outcome("error", error=f"the process {run.detail}"))
    while len(outcomes) < len(cases):
        outcomes.append(framework.Outcome("notrun", error="an earlier case did not finish"))
    return outcomes


_HIDDEN_MODULE = re.compile(r"^ModuleNotFoundError: No module named '(mlcourse\.[\w.]+)' "
                            r"\(the course's library is not available")


def assess(ex, run, cases, limits, cell_error="", cell_printed=0, cell_note="", banned=()):
    """Judge one exercise: (Report, [extra notes]).

    run: the ExerciseRun; cases: framework.make_cases(ex) (with the answers);
    cell_error: what the answer cell raised; cell_note: why the answer cell was
    not run (it crashed, hung or garbled a runner); banned: the banned functions
    the student's code names (framework.banned_uses).
    """
    extra = []
    if cell_error:
        extra.append(f"your cell raised {cell_error}")
    printed = cell_printed + (run.printed if run else 0)
    if printed > limits.output_bytes:
        extra.append(f"output capped at {limits.output_bytes} bytes (it printed {printed} bytes)")
    if cell_note:
        return _absent(ex, cell_note), extra
    if run.reference:
        return _absent(ex, framework.reference_note(ex.name, run.reference)), extra
    if not run.found:
        hidden = _HIDDEN_MODULE.search(cell_error or "")
        if hidden:        # the cell reached for the course's library, which the sandbox hides
            return _absent(ex, framework.reference_note(
                ex.name, f"{hidden.group(1)}.{ex.name}")), []
        if run.ending != "finished":
            return _absent(ex, f"checking your function: the process {run.detail}"), extra
        return _absent(ex, f"`{ex.name}` is not defined after running your cell"), extra
    if run.not_plain:
        return _absent(ex, f"your function returned a {run.not_plain}, which the grader cannot "
                           "check: return numbers, NumPy arrays, tuples, lists or dicts"), extra
    if run.crash:
        return _absent(ex, f"checking your function stopped with {run.crash}"), extra
    if run.ending == "garbled":
        return _absent(ex, f"checking your function sent results the grader refused "
                           f"({run.detail})"), extra
    outcomes = _completed(ex, run, cases)
    for k, (case, outcome) in enumerate(zip(cases, outcomes)):
        hit = [b for b in case.banned if b in banned]
        if hit and outcome.kind == "ok":
            outcomes[k] = framework.Outcome("banned", error=", ".join(hit))
    return framework.judge(ex, cases, outcomes), extra


def missing_note(ex):
    return (f"missing: no cell with grade_id {ex.id!r} or defining "
            f"`{ex.name}` (was the cell deleted?)")


def summarize(report, extra):
    """The CSV note of one exercise ('' when full marks and nothing to say)."""
    ex = report.exercise
    parts = []
    if report.status != "graded":
        parts.append(report.note)
    elif report.n_passed < len(report.results):
        failed = [r for r in report.results if not r.passed]
        first = failed[0].message.splitlines()[0] if failed[0].message else ""
        parts.append(f"{len(failed)} of {len(report.results)} cases failed "
                     f"(first: {failed[0].name}: {first})")
    parts.extend(extra)
    return f"{ex.id}: " + "; ".join(parts) if parts else ""


def main():
    """Run the student side (runner.main), for command lines that name this module."""
    return runner.main()


if __name__ == "__main__":
    sys.exit(main())

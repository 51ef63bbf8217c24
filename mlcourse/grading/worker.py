"""Grade ONE submitted notebook: `python -m mlcourse.grading.worker SUBMISSION --lecture L --result OUT.json`.

The batch grader (grader.py) starts one worker process per submission. The
worker

1. reads the submission with nbformat (an unreadable file is a result, not a crash),
2. runs the course's own setup cells (from exercises/<lecture>.ipynb, never the
   student's) in an IPython InteractiveShell,
3. for each exercise, forks a child (sandbox.run_exercise) that replays the
   student's earlier solution cells that ran cleanly, runs this exercise's cell
   and probes the student's function,
4. judges what came back with cases it computed itself (framework.judge), and
5. writes the scores, notes and feedback as JSON to --result.

Student code runs only in the children: check cells, stored outputs and any
`check` or framework function the student redefines play no part in the grade.
"""
import argparse
import collections
import json
import os
import re
import resource
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

# jsonschema (used by nbformat's validator) imports this optional IRI checker if
# installed; compiling its grammar takes ~2 s, and notebooks have no IRIs.
sys.modules.setdefault("rfc3987_syntax", None)
import nbformat  # noqa: E402

import mlcourse
from mlcourse.grading import framework, sandbox

REPO = Path(mlcourse.__file__).resolve().parents[1]


@dataclass
class Limits:
    cell_timeout: float = 20.0          # seconds per cell (and for checking one exercise)
    submission_timeout: float = 120.0   # seconds for the whole submission
    memory_mb: int = 2048               # address-space cap of the grading process
    output_bytes: int = 100_000         # bytes of output kept per exercise


class Unreadable(Exception):
    """The submission is not a notebook we can read; the message says why."""


# ---------------------------------------------------------------- reading notebooks

def read_submission(path):
    """The notebook at `path` (nbformat v4), or raise Unreadable with a short reason."""
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


_COURSE_IMPORT = re.compile(
    r"^\s*(?:from\s+mlcourse\b|import\s+(?:[\w.]+(?:\s+as\s+\w+)?\s*,\s*)*mlcourse\b)"
    r"|(?:__import__|import_module)\(\s*[rbuf]*['\"]mlcourse", re.MULTILINE)


def imports_course(source):
    """True if a cell imports the course's library (handing in the reference is not an answer)."""
    return _COURSE_IMPORT.search(source) is not None


# ---------------------------------------------------------------- running

def make_shell(setup):
    """An IPython shell (no history file) that has run the course's setup cells.

    Returns (shell, problems): problems lists setup cells that failed.
    """
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config
    if InteractiveShell.initialized():
        shell = InteractiveShell.instance()
        shell.reset(new_session=False)
    else:
        config = Config()
        config.HistoryManager.enabled = False
        shell = InteractiveShell.instance(config=config)
    problems = []
    for source in setup:
        result = shell.run_cell(source, store_history=False, silent=True)
        error = result.error_before_exec or result.error_in_exec
        if error:
            problems.append(f"the course's setup cell failed: {sandbox._short(error)}")
    return shell, problems


def _absent(ex, note):
    return framework.absent(ex, note)


def _failure_note(ex, run, index, limits):
    """A Report for a child that was stopped or died, or None if it finished."""
    where = "checking your function" if run.stuck_at == "probes" else (
        "your cell" if run.stuck_at == index else f"an earlier cell (cell {run.stuck_at})")
    if run.ending == "deadline":
        return _absent(ex, "not graded: submission time limit")
    if run.ending == "timeout":
        return _absent(ex, f"timed out after {limits.cell_timeout:g} s in {where}")
    if run.ending == "crashed":
        verb = "crashed" if run.detail.startswith("signal") else "ended"
        return _absent(ex, f"{where} {verb} the Python process ({run.detail})")
    if run.ending == "garbled":
        return _absent(ex, f"{where} sent results the grader refused ({run.detail})")
    return None


def assess(ex, run, index, limits):
    """Judge one exercise from what its child reported: (Report, [extra notes])."""
    extra = []
    own = next((c for c in run.cells if c.index == index), None)
    if own is not None and own.error:
        extra.append(f"your cell raised {own.error}")
    if run.output_bytes > limits.output_bytes:
        extra.append(f"output capped at {limits.output_bytes} bytes "
                     f"(it printed {run.output_bytes} bytes)")
    report = _failure_note(ex, run, index, limits)
    if report is not None:
        return report, extra
    if run.reference:
        return _absent(ex, f"`{ex.name}` is the course's reference ({run.reference}), "
                           "not your own code"), extra
    if not run.found:
        return _absent(ex, f"`{ex.name}` is not defined after running your cell"), extra
    if run.not_plain:
        return _absent(ex, f"your function returned a {run.not_plain}, which the grader cannot "
                           "check: return numbers, NumPy arrays, tuples, lists or dicts"), extra
    if run.probe_crash:
        return _absent(ex, f"checking your function stopped with {run.probe_crash}"), extra
    cases = framework.make_cases(ex)
    if len(run.outcomes) != len(cases):
        return _absent(ex, "the grading process sent the wrong number of results"), extra
    return framework.judge(ex, cases, run.outcomes), extra


def grade_exercise(shell, nb, ex, replay, bad, limits, deadline):
    """Grade one exercise in a child (retrying without an earlier cell that killed it)."""
    index = locate(nb, ex)
    if index is None:
        return _absent(ex, f"missing: no cell with grade_id {ex.id!r} or defining "
                           f"`{ex.name}` (was the cell deleted?)"), []
    source = nb.cells[index].source
    if imports_course(source):
        bad.add(index)
        return _absent(ex, "your cell imports the course's library `mlcourse`: "
                           "the reference implementation is not an answer"), []
    while True:
        if time.monotonic() >= deadline:
            return _absent(ex, "not graded: submission time limit"), []
        cells = [(i, s) for i, s in sorted(replay.items())
                 if i < index and i not in bad and not imports_course(s)] + [(index, source)]
        run = sandbox.run_exercise(shell, cells, ex, cell_timeout=limits.cell_timeout,
                                   deadline=deadline, output_bytes=limits.output_bytes)
        bad.update(c.index for c in run.cells if c.error)
        if run.stuck_at is not None and run.stuck_at not in (index, "probes") \
                and run.ending != "deadline":
            bad.add(run.stuck_at)      # an earlier, never-tried cell killed it: try without
            continue
        if run.stuck_at == index:
            bad.add(index)
        return assess(ex, run, index, limits)


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


def grade_notebook(nb, lecture, limits=Limits(), setup=None):
    """Grade a notebook in this process (student code runs only in forked children).

    Returns a dict: lecture, scores {id: points earned}, points {id: max},
    notes [str], feedback (text).
    """
    start = time.monotonic()
    deadline = start + limits.submission_timeout
    problems = []
    if setup is None:
        try:
            setup = setup_sources(lecture)
        except Unreadable as exc:
            setup, problems = [], [f"course notebook {course_notebook(lecture)}: {exc}"]
    shell, setup_problems = make_shell(setup)
    problems += setup_problems
    exercises = framework.exercises_of(lecture)
    order = sorted(exercises, key=lambda ex: (locate(nb, ex) is None, locate(nb, ex) or 0))
    replay, bad, graded = student_cells(nb, exercises), set(), {}
    for ex in order:
        graded[ex.id] = grade_exercise(shell, nb, ex, replay, bad, limits, deadline)
    notes, feedback = list(problems), []
    for ex in exercises:
        report, extra = graded[ex.id]
        note = summarize(report, extra)
        if note:
            notes.append(note)
        feedback.append(report.text() + "".join(f"\n  note: {e}" for e in extra))
    return {
        "lecture": lecture,
        "scores": {ex.id: graded[ex.id][0].score for ex in exercises},
        "points": {ex.id: ex.points for ex in exercises},
        "notes": notes,
        "feedback": "\n\n".join(feedback),
        "seconds": round(time.monotonic() - start, 3),
    }


def grade_file(path, lecture, limits=Limits()):
    """grade_notebook for a file; an unreadable file gives {'unreadable': reason}."""
    try:
        nb = read_submission(path)
    except Unreadable as exc:
        return {"lecture": lecture, "unreadable": str(exc)}
    return grade_notebook(nb, lecture, limits)


# ---------------------------------------------------------------- command line

def limit_memory(megabytes):
    """Cap this process's address space (children inherit it): big allocations raise MemoryError."""
    size = int(megabytes) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (size, size))


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m mlcourse.grading.worker",
                                description="Grade one notebook (started by the batch grader).")
    p.add_argument("submission")
    p.add_argument("--lecture", required=True)
    p.add_argument("--result", required=True, help="where to write the JSON result")
    p.add_argument("--cell-timeout", type=float, default=Limits.cell_timeout)
    p.add_argument("--submission-timeout", type=float, default=Limits.submission_timeout)
    p.add_argument("--memory-mb", type=int, default=Limits.memory_mb)
    p.add_argument("--output-bytes", type=int, default=Limits.output_bytes)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    limits = Limits(args.cell_timeout, args.submission_timeout, args.memory_mb, args.output_bytes)
    limit_memory(limits.memory_mb)
    result = grade_file(args.submission, args.lecture, limits)
    tmp = f"{args.result}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(result, f)
    os.replace(tmp, args.result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run ONE submission's cells: `python -m mlcourse.grading.worker` (started by the grader).

The batch grader (grader.py) reads the submitted notebook, and starts one
worker per submission, inside the bubblewrap sandbox (sandbox.bwrap_command).
It hands the worker a job as JSON on stdin: the course's setup cells, the
student's cells and, per exercise, the cell that answers it. The worker

1. runs the course's own setup cells (never the student's) in an IPython
   InteractiveShell,
2. for each exercise, forks a child (sandbox.run_exercise) that replays the
   student's earlier solution cells that ran cleanly, runs this exercise's cell
   and probes the student's function,
3. reports what came back, exercise by exercise, as length-prefixed plain-data
   messages on its stdout: ("start", id), then ("run", id, index, run) or
   ("absent", id, note), and ("done",) at the end.

The worker judges nothing: the grader, outside the sandbox, checks every
message against a schema, builds the cases itself and judges (`assess` here,
called by the grader). The worker shares its sandbox with the student's code,
so nothing it says is trusted beyond that submission's own outcomes.

This module also holds the notebook reading and judging helpers the grader
uses (read_submission, locate, student_cells, assess, summarize).
"""
import collections
import ctypes
import json
import os
import re
import resource
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

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
    # jsonschema (used by nbformat's validator) imports this optional IRI checker if
    # installed; compiling its grammar takes ~2 s, and notebooks have no IRIs. Imported
    # here: the worker in the sandbox never reads a notebook.
    sys.modules.setdefault("rfc3987_syntax", None)
    import nbformat
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


def judge_message(ex, message, limits, cases=None):
    """The (Report, [extra notes]) of one exercise from a worker's message (grader side)."""
    if message[0] == "absent":
        return _absent(ex, message[1]), []
    _, index, run = message
    return assess(ex, run, index, limits, cases)


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


def assess(ex, run, index, limits, cases=None):
    """Judge one exercise from what its child reported: (Report, [extra notes]).

    `cases` are framework.make_cases(ex) (made here when not given).
    """
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
        return _absent(ex, framework.reference_note(ex.name, run.reference)), extra
    if not run.found:
        return _absent(ex, f"`{ex.name}` is not defined after running your cell"), extra
    if run.not_plain:
        return _absent(ex, f"your function returned a {run.not_plain}, which the grader cannot "
                           "check: return numbers, NumPy arrays, tuples, lists or dicts"), extra
    if run.probe_crash:
        return _absent(ex, f"checking your function stopped with {run.probe_crash}"), extra
    cases = framework.make_cases(ex) if cases is None else cases
    if len(run.outcomes) != len(cases):
        return _absent(ex, "the grading process sent the wrong number of results"), extra
    return framework.judge(ex, cases, run.outcomes), extra


def missing_note(ex):
    return (f"missing: no cell with grade_id {ex.id!r} or defining "
            f"`{ex.name}` (was the cell deleted?)")


def grade_exercise(shell, replay, ex, index, bad, limits, deadline, private_fds=()):
    """Run one exercise in a child (retrying without an earlier cell that killed it).

    `replay` is {cell index: source} of the student's cells, `index` the cell
    answering `ex`. Returns the message for the grader: ("absent", note) or
    ("run", index, ChildRun).
    """
    if index not in replay:
        return ("absent", missing_note(ex))
    source = replay[index]
    if imports_course(source):
        bad.add(index)
        return ("absent", framework.COURSE_IMPORT_NOTE)
    while True:
        if time.monotonic() >= deadline:
            return ("absent", "not graded: submission time limit")
        cells = [(i, s) for i, s in sorted(replay.items())
                 if i < index and i not in bad and not imports_course(s)] + [(index, source)]
        run = sandbox.run_exercise(shell, cells, ex, cell_timeout=limits.cell_timeout,
                                   deadline=deadline, output_bytes=limits.output_bytes,
                                   private_fds=private_fds)
        bad.update(c.index for c in run.cells if c.error)
        if run.stuck_at is not None and run.stuck_at not in (index, "probes") \
                and run.ending != "deadline":
            bad.add(run.stuck_at)      # an earlier, never-tried cell killed it: try without
            continue
        if run.stuck_at == index:
            bad.add(index)
        return ("run", index, run)


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


def run_job(job, emit, private_fds=()):
    """Run a job from the grader (see the module docstring), sending messages with `emit`.

    job: {"lecture", "setup": [source], "cells": [[index, source]],
    "order": [[exercise id, cell index]], "bad": [index], "limits": {...}}.
    """
    limits = Limits(**job["limits"])
    deadline = time.monotonic() + limits.submission_timeout
    shell, problems = make_shell(job["setup"])
    emit(("setup", problems))
    replay = {int(i): str(source) for i, source in job["cells"]}
    bad = {int(i) for i in job["bad"]}
    for exercise_id, index in job["order"]:
        ex = framework.get_exercise(exercise_id)
        emit(("start", ex.id))
        message = grade_exercise(shell, replay, ex, index, bad, limits, deadline, private_fds)
        if message[0] == "run":
            message = ("run", message[1], sandbox.run_to_plain(message[2]))
        emit((message[0], ex.id, *message[1:]))
    emit(("done",))


# ---------------------------------------------------------------- command line

MAX_JOB_BYTES = 64 * 2**20


def limit_memory(megabytes):
    """Cap this process's address space (children inherit it): big allocations raise MemoryError."""
    size = int(megabytes) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (size, size))


def limit_cpu(seconds):
    """Cap the CPU time of this process and of each child it forks (SIGXCPU, then SIGKILL)."""
    soft = int(seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 5))


def not_dumpable():
    """Make this process non-dumpable: the student's code (same uid, no capabilities)
    can then neither ptrace it nor open its /proc/PID/fd (the channel to the grader)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)        # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass


def main():
    """Read the job from stdin, report on stdout (fd 1 becomes private), exit 0."""
    job = json.loads(sys.stdin.buffer.read(MAX_JOB_BYTES))
    channel = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)      # stray prints (IPython, warnings) cannot corrupt the channel
    not_dumpable()
    limits = Limits(**job["limits"])
    limit_memory(limits.memory_mb)
    limit_cpu(limits.submission_timeout + 10)
    run_job(job, lambda message: sandbox.send(channel, message), private_fds=(channel,))
    return 0


if __name__ == "__main__":
    sys.exit(main())

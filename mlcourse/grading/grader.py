"""The batch grader: `python -m mlcourse grade SUBMISSION.ipynb [...] --out grades.csv`.

The grader is the judge. It reads each submitted notebook itself, and runs
the student's cells in a worker process of its own (`python -m
mlcourse.grading.worker`, at most --jobs at once) inside a bubblewrap sandbox
(sandbox.bwrap_command; refused if unavailable, unless --no-sandbox). The
job goes to the worker on stdin, the worker's reports come back on its
stdout, a pipe only the grader holds; each report is checked against a
schema and size limits (sandbox.run_from_plain) and judged here, with cases
the grader builds itself. A worker that dies, hangs, floods or sends garbage
costs the exercise it was on (a new worker grades the rest); one that never
reported anything gives its row a note.

It writes one CSV row per submission: `submission`, `student_id` (from nbgrader's
`submitted/<student_id>/<assignment>/<notebook>.ipynb`; with --roster also `name`,
`email`, and a "no submission" row per student of the roster without one), one column
per exercise (points earned), `total`, `max_total`, `percent`, `notes`, `signature`
(roster.gradebook), and the per-case outcomes of every exercise to `grades.cases.jsonl`
beside the CSV (report.case_records; read by `python -m mlcourse report`). The CSV is
rewritten atomically after every finished submission, so an interrupted run
resumes where it stopped: rows already in --out are kept (unless --force)
if their signature, an HMAC with the key in `<out>.key` (mode 0600, beside
the CSV, never visible in a sandbox), says this grader wrote them. --shard K/N grades
only a stable share of the submissions (scale.shard_of; join the parts with `python -m
mlcourse merge`), --dask-scheduler grades every shard on a Dask cluster (scale.grade_on_dask).
"""
import argparse
import collections
import concurrent.futures
import csv
import functools
import glob
import hashlib
import hmac
import html
import json
import os
import pickle
import re
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mlcourse.grading import framework, report, roster as rosters, sandbox, scale, shipping
from mlcourse.grading.progress import Progress
from mlcourse.grading.worker import (REPO, ExerciseRun, Limits, Unreadable, assess, imports_course,
                                     lecture_of, locate, grading_point, missing_note, own_sources,
                                     read_submission, replay_cells, setup_sources, student_cells,
                                     summarize)

STARTUP_GRACE = 30.0   # seconds a runner may take to start (import IPython, NumPy)
MAX_RUNNERS = 50       # runners started for one submission at most
EXTRA_PROCESSES = 200  # processes a submission may add to those of the grader's user
MAX_STREAM_BYTES = 128 * 2**20   # what one worker may send in all (more: it is flooding)
MAX_FRAME_BYTES = 32 * 2**20     # one message
STDERR_KEPT = 4000               # bytes of a worker's stderr kept for the notes
NOT_SANDBOXED = "not sandboxed (--no-sandbox): student code ran with the grader's rights"
SIGNATURE = "signature"


class UsageError(Exception):
    """A problem with the command line (exit code 2)."""


# ---------------------------------------------------------------- command line

def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="python -m mlcourse grade",
        description="Grade submitted exercise notebooks into a CSV gradebook.")
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                   help="notebooks, folders (every *.ipynb below) or glob patterns")
    p.add_argument("--out", required=True, help="the CSV file to write (resumed if it exists)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="submissions graded at once (default: number of CPUs)")
    p.add_argument("--lecture", help="e.g. 01_perceptron (default: from the notebooks)")
    p.add_argument("--feedback", metavar="DIR", help="write one feedback file per submission here")
    p.add_argument("--cell-timeout", type=float, default=Limits.cell_timeout, metavar="S",
                   help="seconds per cell and per exercise check (default %(default)s)")
    p.add_argument("--submission-timeout", type=float, default=Limits.submission_timeout,
                   metavar="S", help="seconds per submission (default %(default)s)")
    p.add_argument("--memory-mb", type=int, default=Limits.memory_mb, metavar="M",
                   help="address-space cap per submission (default %(default)s)")
    p.add_argument("--output-bytes", type=int, default=Limits.output_bytes, metavar="B",
                   help="output kept per exercise (default %(default)s)")
    p.add_argument("--force", action="store_true",
                   help="grade again submissions already in --out")
    p.add_argument("--roster", metavar="CSV",
                   help="the class: a CSV with student_id,name,email (rows for students without "
                        "a submission; submissions not on it are flagged)")
    p.add_argument("--shard", metavar="K/N",
                   help="grade only shard K of N (by a stable hash of each path); join the "
                        "parts with python -m mlcourse merge")
    p.add_argument("--dask-scheduler", metavar="ADDRESS",
                   help="grade on this Dask cluster, one task per shard (needs .venv-dask)")
    p.add_argument("--dask-shards", type=int, metavar="N",
                   help="shards for --dask-scheduler (default: twice the cluster's threads)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run student code without the bubblewrap sandbox, with your rights "
                        "(only for trusted code; the CSV's notes say so)")
    return p.parse_args(argv)


def expand(arguments):
    """Submission paths from files, folders (all *.ipynb below, sorted) and globs, in order."""
    paths = []
    for arg in arguments:
        path = Path(arg)
        if path.is_dir():
            found = sorted(str(p) for p in path.rglob("*.ipynb")
                           if ".ipynb_checkpoints" not in p.parts)
        elif path.exists():
            found = [arg]
        else:
            found = sorted(p for p in glob.glob(arg, recursive=True) if Path(p).is_file())
        if not found:
            raise UsageError(f"no notebook found for {arg!r}")
        paths.extend(found)
    return list(dict.fromkeys(paths))     # drop duplicates, keep the order


def check_writable(out):
    """Raise UsageError unless the CSV file `out` can be written."""
    folder = Path(out).resolve().parent
    if not folder.is_dir():
        raise UsageError(f"cannot write --out {out}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (Path(out).exists() and not os.access(out, os.W_OK)):
        raise UsageError(f"cannot write --out {out}: permission denied")
    if Path(out).is_dir():
        raise UsageError(f"cannot write --out {out}: it is a folder")


# ---------------------------------------------------------------- the CSV and its signatures

def columns_of(lecture, roster=None):
    """The CSV's columns for `lecture` (roster.columns: with name and email given a roster)."""
    return rosters.columns([ex.id for ex in framework.exercises_of(lecture)], roster)


def key_path(out):
    """The HMAC key of the CSV `out`: `<out>.key`, beside it."""
    return Path(out).with_name(Path(out).name + ".key")


def load_key(out):
    """The key that signs the rows of `out` (created, mode 0600, if missing)."""
    path = key_path(out)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
        key = bytes.fromhex(path.read_text(encoding="ascii").strip() or "00")
        if len(key) < 16:
            raise UsageError(f"{path} is not a key this grader wrote; delete it "
                             f"(the rows of {out} will then be graded again)") from None
        return key
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key.hex() + "\n")
    return key


def sign(key, columns, row):
    """The HMAC-SHA256 of a row's values (in column order, without the signature)."""
    data = json.dumps([row.get(c, "") for c in columns if c != SIGNATURE]).encode("utf-8")
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def read_rows(out, columns, key):
    """(rows this grader wrote, by submission; number of rows refused). UsageError if
    the columns differ."""
    if not Path(out).exists():
        return {}, 0
    with open(out, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != columns:
            raise UsageError(f"{out} has other columns ({', '.join(reader.fieldnames or [])}); "
                             "use --force to replace it, or another --out")
        rows, refused = {}, 0
        for row in reader:
            if hmac.compare_digest(str(row.get(SIGNATURE) or ""), sign(key, columns, row)):
                rows[row["submission"]] = row
            else:
                refused += 1
        return rows, refused


def write_rows(out, columns, rows):
    """Write the CSV atomically: a temporary file in the same folder, then os.replace."""
    folder = Path(out).resolve().parent
    fd, tmp = tempfile.mkstemp(prefix=".grades-", suffix=".csv.tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, out)
    except BaseException:
        os.unlink(tmp)
        raise


def _points(x):
    return f"{round(float(x), 2):g}"


def make_row(submission, lecture, scores=None, notes=()):
    """A CSV row (unsigned) from scores {id: points}; missing scores are 0, each clamped to
    the exercise's points."""
    exercises = framework.exercises_of(lecture)
    scores = scores or {}
    earned = {ex.id: min(max(float(scores.get(ex.id, 0.0)), 0.0), ex.points) for ex in exercises}
    row = {"submission": submission}
    row.update({i: _points(v) for i, v in earned.items()})
    row["total"] = _points(sum(earned.values()))
    row["max_total"] = _points(sum(ex.points for ex in exercises))
    row["notes"] = "; ".join(n for n in notes if n)
    return row


# ---------------------------------------------------------------- running workers

def worker_env():
    """Environment of a worker: one BLAS thread, no GUI backend, the course importable."""
    env = dict(os.environ)
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               NUMEXPR_NUM_THREADS="1", VECLIB_MAXIMUM_THREADS="1", MPLBACKEND="Agg",
               PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.pop("NBGRADER_EXECUTION", None)
    return env


SANDBOX_ENV_KEYS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "MPLBACKEND",
                    "PYTHONDONTWRITEBYTECODE", "PYTHONHASHSEED")


class Runner:
    """Starts runners: inside bubblewrap (the default), or bare with --no-sandbox; both see
    only the student view of the course (sandbox.build_view), built in `scratch` with the
    modules the setup cells of `lecture` import."""

    def __init__(self, sandboxed, scratch, forbidden=(), lecture=None):
        self.sandboxed, self.scratch = sandboxed, scratch
        modules = sandbox.VIEW_MODULES if lecture is None else \
            sandbox.setup_modules(setup_of(lecture)[0])
        self.view = sandbox.build_view(Path(scratch) / "view", modules)
        if sandboxed:
            env = sandbox.sandbox_env({k: worker_env()[k] for k in SANDBOX_ENV_KEYS})
            sandbox.check_sandbox(self.view, env, forbidden)
            self.prefix = sandbox.bwrap_command(self.view, env, forbidden)

    def start(self):
        """A started runner process (stdin, stdout and stderr are pipes)."""
        command = [sys.executable, "-m", "mlcourse.grading.runner"]
        if self.sandboxed:
            command, env, cwd = self.prefix + command, {"PATH": "/usr/bin:/bin"}, "/"
        else:
            cwd = tempfile.mkdtemp(dir=self.scratch)
            env = dict(worker_env(), IPYTHONDIR=os.path.join(cwd, "ipython"),
                       MPLCONFIGDIR=os.path.join(cwd, "mpl"),
                       PYTHONPATH=str(self.view.parent))
        return subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)


def _kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _describe_exit(code):
    """'signal 9, SIGKILL' or 'exit code 1' (bwrap exits with 128 + the signal that killed
    the runner)."""
    if code < 0 or code > 128:
        number = -code if code < 0 else code - 128
        try:
            return f"signal {number}, {signal.Signals(number).name}"
        except ValueError:
            return f"signal {number}"
    return f"exit code {code}"


def converse(proc, job, deadline_of, on_message):
    """Send `job` to a runner, hand each of its messages to `on_message`, then kill it.

    deadline_of() is the time (time.monotonic) by which the next message must
    come; on_message(message) returns True when the runner is done and raises
    ValueError for a message it refuses. Returns a problem ('' if the runner
    finished properly) for the notes.
    """
    data = pickle.dumps(job, protocol=4)
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    fds = [out_fd, err_fd]          # the ones still open
    os.set_blocking(proc.stdin.fileno(), False)
    reader = sandbox.MessageReader(out_fd, max_message=MAX_FRAME_BYTES)
    stderr, received, problem, done = bytearray(), 0, "", False
    try:
        while not done:
            remaining = deadline_of() - time.monotonic()
            if remaining <= 0:
                problem = "timeout"
                break
            writing = [proc.stdin] if data else []
            ready, writable, _ = select.select(fds, writing, [], remaining)
            if writable:
                try:
                    data = data[os.write(proc.stdin.fileno(), data[:1 << 16]):]
                except OSError:
                    data = b""
                if not data:
                    proc.stdin.close()
            if err_fd in ready:
                chunk = os.read(err_fd, 1 << 16)
                stderr = (stderr + chunk)[-STDERR_KEPT:]
                if not chunk:
                    fds.remove(err_fd)
            if out_fd in ready:
                chunk = os.read(out_fd, 1 << 20)
                received += len(chunk)
                if received > MAX_STREAM_BYTES:
                    problem = f"sent more than {MAX_STREAM_BYTES} bytes"
                    break
                reader.buffer += chunk
                reader.eof = not chunk
                try:
                    while not done:
                        frame = reader._next_frame()
                        if frame is None:
                            break
                        done = on_message(sandbox.safe_loads(frame))
                except Exception as exc:  # noqa: BLE001 - anything the runner sends may be bad
                    problem = f"sent results the grader refused ({sandbox._short(exc)})"
                    break
                if reader.eof and not done:
                    try:
                        how = _describe_exit(proc.wait(timeout=max(0.1, min(
                            5.0, deadline_of() - time.monotonic()))))
                    except subprocess.TimeoutExpired:
                        how = "it closed its pipe"
                    problem = f"died ({how})"
                    break
    finally:
        _kill_group(proc.pid)   # the runner (for bwrap: the whole sandbox)
        for f in (proc.stdin, proc.stdout, proc.stderr):
            try:
                f.close()
            except OSError:
                pass
        proc.wait()
    return problem


@functools.lru_cache(maxsize=None)
def cases_of(exercise_id):
    """The cases of an exercise with their expected answers (built once, on the judge's side)."""
    return framework.make_cases(framework.get_exercise(exercise_id))


@functools.lru_cache(maxsize=None)
def job_of(exercise_id):
    """What the runner gets of an exercise: arguments and probes, no answers."""
    ex = framework.get_exercise(exercise_id)
    return shipping.exercise_job(ex, cases_of(exercise_id))


@functools.lru_cache(maxsize=None)
def setup_of(lecture):
    """(setup sources, problems) of the course's own copy of the lecture's notebook."""
    try:
        return tuple(setup_sources(lecture)), ()
    except Unreadable as exc:
        return (), (f"course notebook {REPO / 'exercises' / f'{lecture}.ipynb'}: {exc}",)


CELL_SLACK = 1.0        # seconds the grader waits beyond a limit before it kills the runner
CASE_SLACK = 2.0
BETWEEN = 10.0          # seconds between two steps (starting the runner, forking)
LATE = 0.5              # a case reported this much after its time limit counts as timed out


class Judgement:
    """The grader's side of grading one submission: the plan of the runner, what it said,
    judged, and the clock. A runner that is lost (killed at a time limit, dead, garbling)
    costs the step it was on; a new runner goes on without the cell that caused it."""

    def __init__(self, nb, lecture, limits):
        self.lecture, self.limits = lecture, limits
        self.exercises = framework.exercises_of(lecture)
        self.replay = student_cells(nb, self.exercises)
        self.cells = replay_cells(nb, setup_of(lecture)[0])
        self.setup_index = self.cells[0][0] if self.cells and setup_of(lecture)[0] else None
        self.banned = set()
        wanted = {b for ex in self.exercises for c in cases_of(ex.id) for b in c.banned}
        for source in own_sources(nb, lecture):
            self.banned.update(framework.banned_uses(source, wanted))
        self.reports, self.notes = {}, list(setup_of(lecture)[1])
        self.cell_error, self.cell_printed, self.cell_note = {}, {}, {}
        self.bad, self.point, self.cell_of = set(), {}, {}
        for ex in self.exercises:
            index = locate(nb, ex)
            if index is None:
                self.reports[ex.id] = (framework.absent(ex, missing_note(ex)), [])
            elif imports_course(nb.cells[index].source):
                self.reports[ex.id] = (framework.absent(ex, framework.COURSE_IMPORT_NOTE), [])
                self.bad.add(index)
            else:
                self.cell_of[ex.id] = index
                self.point[ex.id] = grading_point(nb, ex, index)
        self.todo = sorted(self.point, key=lambda i: (self.point[i], self.cell_of[i]))
        self.sessions = 0
        self.exercise_started, self.seconds = None, {}   # seconds spent on each exercise

    # ------------------------------------------------------------ the plan
    def job(self, seconds):
        """The job for a new runner: every cell not known to kill one, and the exercises
        still to grade at their places."""
        self.sessions += 1
        cells = [(i, src) for i, src in self.cells if i not in self.bad]
        grade_at = collections.defaultdict(list)
        for exercise_id in self.todo:
            position = sum(1 for i, _ in cells if i < self.point[exercise_id])
            grade_at[position].append(job_of(exercise_id))
        self.plan = []
        for position in range(len(cells) + 1):
            self.plan += [("ex", e["id"]) for e in grade_at.get(position, [])]
            if position < len(cells):
                self.plan.append(("cell", cells[position][0]))
        self.step, self.current, self.run = 0, None, None
        now = time.monotonic()
        self.last, self.started = now, now
        self.stop = now + seconds
        return {"cells": cells, "grade_at": dict(grade_at), "output_bytes": self.limits.output_bytes,
                "memory_mb": self.limits.memory_mb,
                "cpu_seconds": self.limits.submission_timeout + 10,
                "max_processes": process_limit()}

    def deadline(self):
        """When the next message must come."""
        if self.current is None:
            limit = BETWEEN + (STARTUP_GRACE if self.step == 0 else 0.0)
        elif self.current[0] == "cell":
            limit = self.limits.cell_timeout + CELL_SLACK
        else:
            limit = framework.get_exercise(self.current[1]).timeout + CASE_SLACK
        return min(self.last + limit, self.stop)

    # ------------------------------------------------------------ the messages
    def on_message(self, message):
        """Record one message of the runner; True at the end; ValueError if it is off-protocol."""
        if type(message) is not tuple or not message or type(message[0]) is not str:
            raise ValueError("a message that is not a tagged tuple")
        now, previous = time.monotonic(), self.last
        self.last = now
        tag, expected = message[0], self.plan[self.step] if self.step < len(self.plan) else None
        if self.current is None:
            if tag == "done" and len(message) == 1 and expected is None:
                return True
            if tag == "cell" and len(message) == 2 and expected == ("cell", message[1]):
                self.current = expected
                return False
            if tag == "start" and len(message) == 2 and expected == ("ex", message[1]):
                self.current, self.run = expected, ExerciseRun()
                self.exercise_started = now
                return False
            raise ValueError(f"an unexpected message {tag[:20]!r}")
        if self.current[0] == "cell":
            index = self.current[1]
            if tag == "ran" and len(message) == 4 and message[1] == index:
                if index == self.setup_index and message[2]:
                    self.notes.append(f"the course's setup cell failed: {sandbox._text(message[2])[:300]}")
                elif message[2]:
                    self.cell_error[index] = sandbox._text(message[2])[:300]
                self.cell_printed[index] = _count(message[3])
                self._next()
                return False
            raise ValueError(f"an unexpected message {tag[:20]!r} in a cell")
        return self._exercise_message(message, now - previous)

    def _next(self):
        self.step += 1
        self.current, self.run = None, None

    def _exercise_message(self, message, elapsed):
        exercise_id, run = self.current[1], self.run
        ex = framework.get_exercise(exercise_id)
        tag, n = message[0], len(self.run.outcomes)
        if tag == "found" and len(message) == 2 and not run.found and type(message[1]) is list:
            run.found = True
            run.params = [sandbox._text(p)[:60] for p in message[1][:20]]
            return False
        if tag == "case" and len(message) == 3 and run.found and message[1] == n \
                and n < len(cases_of(exercise_id)):
            outcome = self._outcome(ex, cases_of(exercise_id)[n], message[2], run)
            if outcome is not None:
                if elapsed > ex.timeout + LATE:      # the grader's clock decides
                    outcome = framework.Outcome(
                        "timeout", error=f"it did not return within {ex.timeout:g} s")
                run.outcomes.append(outcome)
            return False
        if tag == "case_timeout" and len(message) == 1 and run.found \
                and n < len(cases_of(exercise_id)):
            run.outcomes.append(framework.Outcome(
                "timeout", error=f"it did not return within {ex.timeout:g} s"))
            return False          # the runner goes on with the next case in a new child
        if tag in ("missing", "reference", "end", "garbled", "died"):
            if tag == "reference" and len(message) == 2:
                run.reference = sandbox._text(message[1])[:300]
            elif tag == "end" and len(message) == 2:
                run.printed = _count(message[1])
            elif tag in ("garbled", "died") and len(message) == 2:
                run.ending, run.detail = tag, (
                    f"crashed ({sandbox._text(message[1])[:200]})" if tag == "died"
                    else sandbox._text(message[1])[:200])
            elif tag != "missing" or len(message) != 1:
                raise ValueError("a malformed exercise report")
            self._finish(exercise_id)
            return False
        raise ValueError(f"an unexpected message {tag[:20]!r} in an exercise")

    def _outcome(self, ex, case, t, run):
        """A framework.Outcome from a case report (the grader compares the inputs)."""
        if type(t) is not tuple or not t or t[0] not in ("ok", "error", "missing", "not_plain",
                                                         "crash"):
            raise ValueError("a case report off the schema")
        kind = t[0]
        if kind == "ok":
            if len(t) != 5 or type(t[2]) is not list or type(t[3]) is not dict \
                    or not sandbox.runner.plain(t[1]):
                raise ValueError("a case report off the schema")
            changed = ()
            if case.check_inputs_unchanged:
                changed = changed_inputs(case, run.params, t[2], t[3])
            return framework.Outcome("ok", t[1], "", changed, _count(t[4]))
        if len(t) != 3 or type(t[1]) is not str:
            raise ValueError("a case report off the schema")
        text = sandbox._text(t[1])[:300]
        if kind == "not_plain":
            run.not_plain = text
            return None
        if kind == "crash":
            run.crash = text
            return None
        return framework.Outcome(kind, None, text, (), _count(t[2]))

    def _finish(self, exercise_id):
        ex = framework.get_exercise(exercise_id)
        index = self.cell_of[exercise_id]
        self.seconds[exercise_id] = time.monotonic() - self.exercise_started
        self.reports[exercise_id] = assess(
            ex, self.run, cases_of(exercise_id), self.limits,
            cell_error=self.cell_error.get(index, ""), cell_printed=self.cell_printed.get(index, 0),
            cell_note=self.cell_note.get(index, ""), banned=self.banned)
        self.todo.remove(exercise_id)
        self._next()

    # ------------------------------------------------------------ losing a runner
    def lost(self, problem):
        """The runner stopped with `problem` ('timeout', 'died (...)', 'sent ...'). The step it
        was on pays for it. Returns True if another runner should go on."""
        if self.current is None:
            if time.monotonic() >= self.stop:
                return False
            self.notes.append(f"the grading process {problem}" if problem != "timeout"
                              else "the grading process stopped answering")
            return False
        kind, what = self.current
        if kind == "cell":
            self.bad.add(what)
            if problem == "timeout" and time.monotonic() < self.stop:
                note = f"timed out after {self.limits.cell_timeout:g} s in your cell"
            elif problem == "timeout":
                note = "not graded: submission time limit"
            elif problem.startswith("died ("):
                how = problem[len("died ("):-1]
                verb = "crashed" if how.startswith("signal") else "ended"
                note = f"your cell {verb} the Python process ({how})"
            else:
                note = f"your cell {problem}"
            self.cell_note[what] = note
            if what not in self.cell_of.values():
                self.notes.append(f"cell {what}: {note.replace('your cell ', '')}")
            self.step, self.current = self.step, None
            return time.monotonic() < self.stop
        if problem == "timeout":
            self.run.ending = "timeout"
        else:
            self.run.ending, self.run.detail = "died", f"was lost: {problem}"
        self._finish(what)
        return time.monotonic() < self.stop

    def give_up(self, note):
        """No runner will grade the exercises still to do."""
        for exercise_id in self.todo:
            ex = framework.get_exercise(exercise_id)
            self.reports[exercise_id] = (framework.absent(ex, note), [])
        self.todo = []

    def result(self):
        """(scores, notes, feedback text, final reports {exercise id: Report})."""
        notes, feedback, final = list(self.notes), [], {}
        for n, ex in enumerate(self.exercises):
            report, extra = self.reports[ex.id]
            source = self.replay.get(self.cell_of.get(ex.id), "")   # the check's rule too
            report = final[ex.id] = framework.blame(report, source,
                                                    [final[e.id] for e in self.exercises[:n]])
            notes.append(summarize(report, extra))
            feedback.append(report.text() + "".join(f"\n  note: {e}" for e in extra))
        answers = set(self.cell_of.values())
        notes += [f"cell {i} raised {e}" for i, e in sorted(self.cell_error.items())
                  if i not in answers]         # another cell: noted, the run went on
        scores = {ex.id: final[ex.id].score for ex in self.exercises}
        return scores, notes, "\n\n".join(feedback), final


@functools.lru_cache(maxsize=None)
def process_limit():
    """RLIMIT_NPROC for the runners: the processes this user already has plus
    EXTRA_PROCESSES (the limit counts every process of the user id). The kernel does not
    apply it to root; then 0 (no limit) and the PID namespace and time limits remain."""
    uid = os.getuid()
    if uid == 0:
        return 0
    mine = 0
    for entry in os.listdir("/proc"):
        try:
            mine += entry.isdigit() and os.stat(f"/proc/{entry}").st_uid == uid
        except OSError:
            pass
    return mine + EXTRA_PROCESSES


def _count(x):
    if type(x) is not int or x < 0:
        raise ValueError(f"expected a count, got {x!r:.40}")
    return x


def changed_inputs(case, params, args_after, kwargs_after):
    """The names of the case's arguments that differ after the call, judged here with the
    arguments this grader sent. The runner sends None for an argument that is no longer
    plain data: that counts as changed, unless what was sent was not plain either."""
    names = [params[i] if i < len(params) else f"argument {i + 1}" for i in range(len(case.args))]
    names += list(case.kwargs)
    before = list(case.args) + list(case.kwargs.values())
    after = list(args_after) + [kwargs_after.get(k) for k in case.kwargs]
    if len(after) != len(before):
        return ("its arguments",)
    return tuple(n for n, b, a in zip(names, before, after)
                 if (a is None and b is not None and sandbox.runner.plain(b))   # withheld
                 or (a is not None and not framework._same(b, a)))


def absent_reports(lecture, note):
    """Reports for a submission none of whose exercises could be graded (for the cases file)."""
    return {ex.id: framework.absent(ex, note) for ex in framework.exercises_of(lecture)}


def grade_one(submission, lecture, limits, runner):
    """(CSV row (unsigned), feedback text, final reports {exercise id: Report}, seconds spent
    on each exercise {exercise id: s}) for one submission; never raises for anything the
    submission does."""
    try:
        nb = read_submission(submission)
    except Unreadable as exc:
        note = f"not a readable notebook: {exc}"
        return make_row(submission, lecture, notes=[note]), note, absent_reports(lecture, note), {}
    judgement = Judgement(nb, lecture, limits)
    start = time.monotonic()
    for _ in range(MAX_RUNNERS):
        if not judgement.todo:
            break
        left = limits.submission_timeout - (time.monotonic() - start)
        if left <= 0:
            break
        problem = converse(runner.start(), judgement.job(left), judgement.deadline,
                           judgement.on_message)
        if not problem or not judgement.lost(problem):
            break
    judgement.give_up("not graded: submission time limit"
                      if time.monotonic() - start >= limits.submission_timeout
                      else "not graded: the grading process failed")
    scores, notes, feedback, reports = judgement.result()
    if not runner.sandboxed:
        notes.append(NOT_SANDBOXED)
    return make_row(submission, lecture, scores, notes), feedback, reports, judgement.seconds


# ---------------------------------------------------------------- feedback files

def feedback_name(submission):
    """A file name for the feedback of `submission`: its path with / turned into __, and a
    hash of the whole path (so sub/alice.ipynb and sub__alice.ipynb get different files)."""
    parts = [p for p in Path(submission).with_suffix("").parts if p not in ("/", ".", "..")]
    digest = hashlib.sha256(str(submission).encode("utf-8", "surrogateescape")).hexdigest()[:10]
    return "__".join(parts)[:150] + f".{digest}.feedback.md"


def _printable(text):
    """Text without control characters (terminal escapes and the like), newlines and tabs kept."""
    return "".join(c if c in "\n\t" or c.isprintable() else "\ufffd" for c in str(text))


def _markdown_text(text):
    """Text shown literally by a Markdown (and HTML) renderer: special characters escaped."""
    text = _printable(text).replace("\n", " ")
    text = html.escape(text, quote=True)
    return "".join("\\" + c if c in "\\`*_{}[]()#+-.!|~" else c for c in text)


def _inline_code(text):
    """Text on one line as a Markdown code span, delimited by more backticks than it holds."""
    text = _printable(text).replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    tick = "`" * (longest + 1)
    return f"{tick} {text} {tick}"


def feedback_text(submission, row, text):
    """The feedback file's Markdown. What the student's code could influence is escaped
    (the path), or code whose delimiter is longer than any run of backticks in it, so that
    it cannot be closed from inside: a code span (the notes), a code block (the report)."""
    body = _printable(text)
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    lines = [f"# Feedback: {_markdown_text(submission)}", "",
             f"Total: {row['total']} of {row['max_total']} points", ""]
    if row["notes"]:
        lines += ["Notes: " + _inline_code(row["notes"]), ""]
    lines += [fence, body, fence, ""]
    return "\n".join(lines)


def write_feedback(folder, submission, row, text):
    path = Path(folder) / feedback_name(submission)
    path.write_text(feedback_text(submission, row, text), encoding="utf-8")


# ---------------------------------------------------------------- the run

def choose_lecture(lectures, given):
    """The lecture whose columns the CSV gets: --lecture, else the most common one."""
    if given:
        if not framework.exercises_of(given):
            known = sorted({ex.lecture for ex in framework.EXERCISES.values()})
            raise UsageError(f"--lecture {given}: no exercises; known lectures: {', '.join(known)}")
        return given
    counts = collections.Counter(lec for lec in lectures.values()
                                 if lec and framework.exercises_of(lec))
    if not counts:
        raise UsageError("cannot tell which lecture these notebooks belong to; pass --lecture")
    return counts.most_common(1)[0][0]


def scan(paths):
    """{path: lecture or None} and {path: note} for notebooks that cannot be read."""
    lectures, unreadable = {}, {}
    for path in paths:
        try:
            lectures[path] = lecture_of(read_submission(path))
        except Unreadable as exc:
            lectures[path] = None
            unreadable[path] = f"not a readable notebook: {exc}"
    return lectures, unreadable


def forbidden_paths(paths, args):
    """What a sandbox must never show: the course's sources, submissions, --out, feedback, $HOME."""
    found = [REPO / name for name in ("solutions", "lectures", "tests", "exercises", ".git")]
    found += [Path(args.out).resolve().parent, Path.home()]
    if args.feedback:
        found.append(Path(args.feedback).resolve())
    if getattr(args, "roster", None):
        found.append(Path(args.roster).resolve())       # names and emails of the class
    found += sorted({Path(p).resolve().parent for p in paths})
    return found


def read_class(args):
    """The roster of --roster ({student_id: Student}), or None."""
    try:
        return rosters.read_roster(args.roster) if args.roster else None
    except rosters.RosterError as exc:
        raise UsageError(str(exc)) from None


def grade(args):
    paths = every = expand(args.submissions)
    check_writable(args.out)
    roster = read_class(args)
    lectures, unreadable = scan(paths)      # all of them: every shard picks the same lecture
    lecture = choose_lecture(lectures, args.lecture)
    if args.shard:
        try:
            paths = scale.shard_of(paths, *scale.parse_shard(args.shard))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    exercise_ids = [ex.id for ex in framework.exercises_of(lecture)]
    max_total = _points(sum(ex.points for ex in framework.exercises_of(lecture)))
    columns = columns_of(lecture, roster)
    cases = report.cases_path(args.out)
    key = load_key(args.out)
    try:
        rows, refused = read_rows(args.out, columns, key)
    except UsageError:
        if not args.force:
            raise
        rows, refused = {}, 0
        cases.unlink(missing_ok=True)           # the cases of the CSV being replaced
    rows.pop("", None)                          # "no submission" rows: made again from the roster
    if refused:
        print(f"{refused} row(s) in {args.out} were not written by this grader "
              f"(their signature does not match {key_path(args.out)}): grading them again",
              file=sys.stderr)
    if args.force:     # grade these again; keep the rows of other submissions
        rows = {k: v for k, v in rows.items() if k not in paths}
    limits = Limits(args.cell_timeout, args.submission_timeout, args.memory_mb, args.output_bytes)
    scratch = tempfile.mkdtemp(prefix="mlcourse-grade-")
    try:
        runner = Runner(not args.no_sandbox, scratch, forbidden_paths(every, args), lecture)
    except sandbox.SandboxUnavailable as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        raise UsageError(f"refusing to grade: {exc}") from None
    if args.no_sandbox:
        print("WARNING: --no-sandbox: student code runs with your rights "
              "(it can read and change your files and use the network)", file=sys.stderr)
    if args.feedback:
        Path(args.feedback).mkdir(parents=True, exist_ok=True)

    def write():
        order = {p: i for i, p in enumerate(paths)}
        ordered = sorted(rows.values(), key=lambda r: order.get(r["submission"], -1))
        book = rosters.gradebook(ordered, exercise_ids, roster, max_total=max_total,
                                 sign=lambda r: sign(key, columns, r))
        if args.shard:      # a part: its students without a submission may be in another part
            book = [r for r in book if r["submission"]]     # (merge makes those rows)
        write_rows(args.out, columns, book)

    def finish(path, row, text, reports, seconds=None):
        # the cases first: a row in the CSV always has its cases (a submission whose cases
        # were written but not its row is graded again on resume; its later records win)
        report.append_cases(cases, report.case_records(path, reports, seconds,
                                                       rosters.student_of(path) or ""))
        rows[path] = row
        write()
        if args.feedback:
            write_feedback(args.feedback, path, row, text)

    todo = []
    for path in paths:
        if path in rows:
            continue
        if path in unreadable:
            note = unreadable[path]
            finish(path, make_row(path, lecture, notes=[note]), note,
                   absent_reports(lecture, note))
        elif lectures[path] not in (None, lecture):
            note = f"this is lecture {lectures[path]}, not {lecture}"
            finish(path, make_row(path, lecture, notes=[note]), note,
                   absent_reports(lecture, note))
        else:
            todo.append(path)
    skipped = len(paths) - len(todo)
    print(f"grading {len(todo)} submission(s) of {lecture} with {args.jobs} job(s)"
          + (" in the sandbox" if runner.sandboxed else " WITHOUT a sandbox")
          + (f"; {skipped} already in {args.out} or not gradable" if skipped else ""),
          file=sys.stderr)
    start = time.monotonic()
    try:
        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool, \
                Progress(len(todo)) as progress:
            futures = {pool.submit(grade_one, p, lecture, limits, runner): p for p in todo}
            for future in concurrent.futures.as_completed(futures):
                path = futures[future]
                row, text, reports, seconds = future.result()
                finish(path, row, text, reports, seconds)
                progress.done(path, row["total"], row["max_total"])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    write()             # also when nothing was left to grade (a new roster, say)
    if todo:
        elapsed = time.monotonic() - start
        print(f"done: {len(todo)} in {elapsed:.1f} s ({elapsed / len(todo):.2f} s/submission); "
              f"wrote {args.out}", file=sys.stderr)
    return 0


def on_dask(args, argv):
    """Grade every shard on the Dask cluster of --dask-scheduler (scale.grade_on_dask)."""
    try:
        import distributed  # noqa: F401 - only in the Dask tool environment
    except ImportError:
        raise UsageError("--dask-scheduler needs dask.distributed, which is not in the course's "
                         "environment: run the grader with .venv-dask/bin/python (make dask-env; "
                         "docs/GRADING_AT_SCALE.md)") from None
    check_writable(args.out)
    return scale.grade_on_dask(args.dask_scheduler, argv, args.dask_shards,
                               roster=read_class(args))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    try:
        if args.dask_scheduler:
            return on_dask(args, argv)
        return grade(args)
    except (UsageError, scale.MergeError) as exc:
        print(f"mlcourse grade: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

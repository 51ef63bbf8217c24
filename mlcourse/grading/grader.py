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

It writes one CSV row per submission: `submission`, one column per exercise
(points earned), `total`, `max_total`, `notes`, `signature`. The CSV is
rewritten atomically after every finished submission, so an interrupted run
resumes where it stopped: rows already in --out are kept (unless --force)
if their signature, an HMAC with the key in `<out>.key` (mode 0600, beside
the CSV, never visible in a sandbox), says this grader wrote them.
"""
import argparse
import collections
import concurrent.futures
import csv
import dataclasses
import functools
import glob
import hashlib
import hmac
import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mlcourse
from mlcourse.grading import framework, sandbox
from mlcourse.grading.worker import (REPO, Limits, Unreadable, assess, lecture_of, locate,
                                     missing_note, read_submission, setup_sources,
                                     student_cells, summarize)

STARTUP_GRACE = 30.0   # seconds a worker may take beyond --submission-timeout to start and finish
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

def columns_of(lecture):
    ids = [ex.id for ex in framework.exercises_of(lecture)]
    return ["submission", *ids, "total", "max_total", "notes", SIGNATURE]


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
    """Starts workers: inside bubblewrap (the default), or bare with --no-sandbox."""

    def __init__(self, sandboxed, scratch, forbidden=()):
        self.sandboxed, self.scratch = sandboxed, scratch
        package = Path(mlcourse.__file__).resolve().parent
        if sandboxed:
            env = sandbox.sandbox_env({k: worker_env()[k] for k in SANDBOX_ENV_KEYS})
            sandbox.check_sandbox(package, env, forbidden)
            self.prefix = sandbox.bwrap_command(package, env, forbidden)

    def start(self):
        """A started worker process (stdin, stdout and stderr are pipes)."""
        command = [sys.executable, "-m", "mlcourse.grading.worker"]
        if self.sandboxed:
            command, env, cwd = self.prefix + command, {"PATH": "/usr/bin:/bin"}, "/"
        else:
            cwd = tempfile.mkdtemp(dir=self.scratch)
            env = dict(worker_env(), IPYTHONDIR=os.path.join(cwd, "ipython"),
                       MPLCONFIGDIR=os.path.join(cwd, "mpl"))
        return subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)


def _kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _describe_exit(code):
    """'signal 9' or 'exit code 1' (bwrap exits with 128 + the signal that killed the worker)."""
    if code < 0 or code > 128:
        return f"signal {-code if code < 0 else code - 128}"
    return f"exit code {code}"


def converse(proc, job, deadline, on_message):
    """Send `job` to a worker, hand each of its messages to `on_message`, then kill it.

    on_message(message) returns True when the worker is done and raises
    ValueError for a message it refuses. Returns a problem ('' if the worker
    finished properly) for the notes.
    """
    data = json.dumps(job).encode("utf-8")
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    fds = [out_fd, err_fd]          # the ones still open
    os.set_blocking(proc.stdin.fileno(), False)
    reader = sandbox.MessageReader(out_fd, max_message=MAX_FRAME_BYTES)
    stderr, received, problem, done = bytearray(), 0, "", False
    try:
        while not done:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                problem = "the grading process exceeded the submission time limit and was stopped"
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
                    problem = f"the grading process sent more than {MAX_STREAM_BYTES} bytes"
                    break
                reader.buffer += chunk
                reader.eof = not chunk
                try:
                    while not done:
                        frame = reader._next_frame()
                        if frame is None:
                            break
                        done = on_message(sandbox.safe_loads(frame))
                except Exception as exc:  # noqa: BLE001 - anything the worker sends may be bad
                    problem = f"the grading process sent data the grader refused ({sandbox._short(exc)})"
                    break
                if reader.eof and not done:
                    try:
                        how = _describe_exit(proc.wait(timeout=max(0.1, min(
                            5.0, deadline - time.monotonic()))))
                    except subprocess.TimeoutExpired:
                        how = "it closed its pipe"
                    tail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
                    problem = (f"the grading process died ({how})"
                               + (f": {tail[0][:200]}" if tail else ""))
                    break
    finally:
        _kill_group(proc.pid)   # the worker (for bwrap: the whole sandbox)
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
def setup_of(lecture):
    """(setup sources, problems) of the course's own copy of the lecture's notebook."""
    try:
        return tuple(setup_sources(lecture)), ()
    except Unreadable as exc:
        return (), (f"course notebook {REPO / 'exercises' / f'{lecture}.ipynb'}: {exc}",)


class Judgement:
    """The grader's side of grading one submission: what each worker said, judged."""

    def __init__(self, nb, lecture, limits):
        self.lecture, self.limits = lecture, limits
        self.exercises = framework.exercises_of(lecture)
        self.replay = student_cells(nb, self.exercises)
        self.reports, self.notes, self.good, self.bad = {}, list(setup_of(lecture)[1]), set(), set()
        located = []
        for ex in self.exercises:
            index = locate(nb, ex)
            if index is None:
                self.reports[ex.id] = (framework.absent(ex, missing_note(ex)), [])
            else:
                located.append((index, ex.id))
        self.todo = [[i, index] for index, i in sorted(located)]   # [exercise id, cell index]
        self.cell_of = {i: index for index, i in located}
        self.current = None
        self.setup_seen, self.sessions = False, 0

    def job(self, seconds):
        """The job for a new worker: the exercises still to do, in at most `seconds`."""
        self.setup_seen, self.sessions = False, self.sessions + 1
        limits = dataclasses.replace(self.limits, submission_timeout=max(seconds, 0.1))
        return {"lecture": self.lecture, "setup": list(setup_of(self.lecture)[0]),
                "cells": sorted(self.replay.items()), "order": self.todo,
                "bad": sorted(self.bad), "limits": dataclasses.asdict(limits)}

    def on_message(self, message):
        """Record one message of the worker; True at the end; ValueError if it is off-protocol."""
        if type(message) is not tuple or not message or type(message[0]) is not str:
            raise ValueError("a message that is not a tagged tuple")
        tag = message[0]
        if tag == "setup" and not self.setup_seen and len(message) == 2 \
                and type(message[1]) is list and len(message[1]) <= 50:
            self.setup_seen = True
            if self.sessions == 1:      # a restarted worker reports the same problems again
                self.notes += [sandbox._text(p)[:300] for p in message[1]]
            return False
        if tag == "start" and self.current is None and self.todo and len(message) == 2 \
                and message[1] == self.todo[0][0]:
            self.current = self.todo[0]
            return False
        if tag == "done" and len(message) == 1 and self.current is None and not self.todo:
            return True
        if tag in ("run", "absent") and self.current is not None and len(message) >= 2 \
                and message[1] == self.current[0]:
            self._record(message)
            return False
        raise ValueError(f"an unexpected message {tag[:20]!r}")

    def _record(self, message):
        exercise_id, index = self.current
        ex = framework.get_exercise(exercise_id)
        if message[0] == "absent" and len(message) == 3:
            self.reports[exercise_id] = (framework.absent(ex, sandbox._text(message[2])[:300]), [])
            self.bad.add(index)
        elif message[0] == "run" and len(message) == 4 and message[2] == index:
            steps = {i for i in self.replay if i <= index}
            run = sandbox.run_from_plain(message[3], steps, len(cases_of(exercise_id)))
            self.good.update(c.index for c in run.cells if not c.error)
            self.bad.update(c.index for c in run.cells if c.error)
            self.reports[exercise_id] = assess(ex, run, index, self.limits, cases_of(exercise_id))
        else:
            raise ValueError("a malformed exercise report")
        self.todo.pop(0)
        self.current = None

    def lost(self, problem):
        """The worker stopped with `problem`: the exercise it was on costs its points.
        Returns True if another worker should grade the rest."""
        if self.current is None:
            return False
        exercise_id, index = self.current
        ex = framework.get_exercise(exercise_id)
        self.reports[exercise_id] = (framework.absent(ex, f"not graded: {problem}"), [])
        # the cell that did it is among those this exercise ran that never ran cleanly before
        self.bad.update(i for i in self.replay if i <= index and i not in self.good)
        self.todo.pop(0)
        self.current = None
        return True

    def give_up(self, note):
        """No worker will grade the exercises still to do."""
        for exercise_id, _ in self.todo:
            ex = framework.get_exercise(exercise_id)
            self.reports[exercise_id] = (framework.absent(ex, note), [])
        self.todo = []

    def result(self):
        """(scores, notes, feedback text)."""
        notes, feedback, final = list(self.notes), [], {}
        for n, ex in enumerate(self.exercises):
            report, extra = self.reports[ex.id]
            source = self.replay.get(self.cell_of.get(ex.id), "")   # the check's rule too
            report = final[ex.id] = framework.blame(report, source,
                                                    [final[e.id] for e in self.exercises[:n]])
            notes.append(summarize(report, extra))
            feedback.append(report.text() + "".join(f"\n  note: {e}" for e in extra))
        scores = {ex.id: final[ex.id].score for ex in self.exercises}
        return scores, notes, "\n\n".join(feedback)


def grade_one(submission, lecture, limits, runner):
    """A CSV row (unsigned) and a feedback text for one submission; never raises for
    anything the submission does."""
    try:
        nb = read_submission(submission)
    except Unreadable as exc:
        note = f"not a readable notebook: {exc}"
        return make_row(submission, lecture, notes=[note]), note
    judgement = Judgement(nb, lecture, limits)
    start = time.monotonic()
    deadline = start + limits.submission_timeout + STARTUP_GRACE
    while judgement.todo:
        left = limits.submission_timeout - (time.monotonic() - start)
        if left <= 0:
            judgement.give_up("not graded: submission time limit")
            break
        problem = converse(runner.start(), judgement.job(left), deadline, judgement.on_message)
        if not problem:
            break
        if not judgement.lost(problem):
            judgement.notes.append(problem)
            judgement.give_up(f"not graded: {problem}")
    scores, notes, feedback = judgement.result()
    if not runner.sandboxed:
        notes.append(NOT_SANDBOXED)
    return make_row(submission, lecture, scores, notes), feedback


# ---------------------------------------------------------------- feedback files

def feedback_name(submission):
    """A file name for the feedback of `submission` (its path, with / turned into __)."""
    parts = [p for p in Path(submission).with_suffix("").parts if p not in ("/", ".", "..")]
    return "__".join(parts) + ".feedback.md"


def write_feedback(folder, submission, row, text):
    lines = [f"# Feedback: {submission}", "",
             f"Total: {row['total']} of {row['max_total']} points", ""]
    if row["notes"]:
        lines += ["Notes: " + row["notes"], ""]
    lines += ["```", text, "```", ""]
    path = Path(folder) / feedback_name(submission)
    path.write_text("\n".join(lines), encoding="utf-8")


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
    found += sorted({Path(p).resolve().parent for p in paths})
    return found


def grade(args):
    paths = expand(args.submissions)
    check_writable(args.out)
    lectures, unreadable = scan(paths)
    lecture = choose_lecture(lectures, args.lecture)
    columns = columns_of(lecture)
    key = load_key(args.out)
    try:
        rows, refused = read_rows(args.out, columns, key)
    except UsageError:
        if not args.force:
            raise
        rows, refused = {}, 0
    if refused:
        print(f"{refused} row(s) in {args.out} were not written by this grader "
              f"(their signature does not match {key_path(args.out)}): grading them again",
              file=sys.stderr)
    if args.force:     # grade these again; keep the rows of other submissions
        rows = {k: v for k, v in rows.items() if k not in paths}
    limits = Limits(args.cell_timeout, args.submission_timeout, args.memory_mb, args.output_bytes)
    scratch = tempfile.mkdtemp(prefix="mlcourse-grade-")
    try:
        runner = Runner(not args.no_sandbox, scratch, forbidden_paths(paths, args))
    except sandbox.SandboxUnavailable as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        raise UsageError(f"refusing to grade: {exc}") from None
    if args.no_sandbox:
        print("WARNING: --no-sandbox: student code runs with your rights "
              "(it can read and change your files and use the network)", file=sys.stderr)
    if args.feedback:
        Path(args.feedback).mkdir(parents=True, exist_ok=True)

    def finish(path, row, text):
        row[SIGNATURE] = sign(key, columns, row)
        rows[path] = row
        order = {p: i for i, p in enumerate(paths)}
        write_rows(args.out, columns, sorted(rows.values(),
                                             key=lambda r: order.get(r["submission"], -1)))
        if args.feedback:
            write_feedback(args.feedback, path, row, text)

    todo = []
    for path in paths:
        if path in rows:
            continue
        if path in unreadable:
            finish(path, make_row(path, lecture, notes=[unreadable[path]]), unreadable[path])
        elif lectures[path] not in (None, lecture):
            note = f"this is lecture {lectures[path]}, not {lecture}"
            finish(path, make_row(path, lecture, notes=[note]), note)
        else:
            todo.append(path)
    skipped = len(paths) - len(todo)
    print(f"grading {len(todo)} submission(s) of {lecture} with {args.jobs} job(s)"
          + (" in the sandbox" if runner.sandboxed else " WITHOUT a sandbox")
          + (f"; {skipped} already in {args.out} or not gradable" if skipped else ""),
          file=sys.stderr)
    start = time.monotonic()
    try:
        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
            futures = {pool.submit(grade_one, p, lecture, limits, runner): p for p in todo}
            for future in concurrent.futures.as_completed(futures):
                path = futures[future]
                row, text = future.result()
                finish(path, row, text)
                print(f"  {row['total']:>5}/{row['max_total']}  {path}", file=sys.stderr)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if todo:
        elapsed = time.monotonic() - start
        print(f"done: {len(todo)} in {elapsed:.1f} s ({elapsed / len(todo):.2f} s/submission); "
              f"wrote {args.out}", file=sys.stderr)
    return 0


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return grade(args)
    except UsageError as exc:
        print(f"mlcourse grade: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

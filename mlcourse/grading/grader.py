"""The batch grader: `python -m mlcourse grade SUBMISSION.ipynb [...] --out grades.csv`.

It grades each submitted notebook in a worker process of its own
(`python -m mlcourse.grading.worker`, at most --jobs at once), and writes one
CSV row per submission: `submission`, one column per exercise (points earned),
`total`, `max_total`, `notes`. The CSV is rewritten atomically after every
finished submission, so an interrupted run resumes where it stopped (rows
already in --out are kept unless --force).
"""
import argparse
import collections
import concurrent.futures
import csv
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mlcourse.grading import framework
from mlcourse.grading.worker import REPO, Limits, Unreadable, lecture_of, read_submission

STARTUP_GRACE = 30.0   # seconds a worker may take beyond --submission-timeout to start and finish


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


# ---------------------------------------------------------------- the CSV

def columns_of(lecture):
    ids = [ex.id for ex in framework.exercises_of(lecture)]
    return ["submission", *ids, "total", "max_total", "notes"]


def read_rows(out, columns):
    """Rows already in `out`, by submission; {} if absent. UsageError if its columns differ."""
    if not Path(out).exists():
        return {}
    with open(out, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != columns:
            raise UsageError(f"{out} has other columns ({', '.join(reader.fieldnames or [])}); "
                             "use --force to replace it, or another --out")
        return {row["submission"]: row for row in reader}


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


def make_row(submission, lecture, result=None, note=""):
    """A CSV row from a worker result, or a row of zeros with `note`."""
    exercises = framework.exercises_of(lecture)
    scores = (result or {}).get("scores", {})
    notes = list((result or {}).get("notes", [])) + ([note] if note else [])
    row = {"submission": submission}
    row.update({ex.id: _points(scores.get(ex.id, 0.0)) for ex in exercises})
    row["total"] = _points(sum(float(scores.get(ex.id, 0.0)) for ex in exercises))
    row["max_total"] = _points(sum(ex.points for ex in exercises))
    row["notes"] = "; ".join(notes)
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


def run_worker(submission, lecture, limits, scratch):
    """Grade one submission in a worker process; return (result dict or None, problem note)."""
    folder = Path(tempfile.mkdtemp(dir=scratch))
    result_path = folder / "result.json"
    command = [sys.executable, "-m", "mlcourse.grading.worker", str(Path(submission).resolve()),
               "--lecture", lecture, "--result", str(result_path),
               "--cell-timeout", str(limits.cell_timeout),
               "--submission-timeout", str(limits.submission_timeout),
               "--memory-mb", str(limits.memory_mb), "--output-bytes", str(limits.output_bytes)]
    env = dict(worker_env(), IPYTHONDIR=str(folder / "ipython"), MPLCONFIGDIR=str(folder / "mpl"))
    with open(folder / "stderr.txt", "wb") as stderr:
        proc = subprocess.Popen(command, cwd=folder, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
        try:
            code = proc.wait(timeout=limits.submission_timeout + STARTUP_GRACE)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            _kill_group(proc.pid)     # the worker and anything the student's code left behind
            proc.wait()
    if code is None:
        return None, "grading process exceeded the submission time limit and was stopped"
    try:
        return json.loads(result_path.read_text(encoding="utf-8")), ""
    except (OSError, ValueError):
        tail = (folder / "stderr.txt").read_text(errors="replace").strip().splitlines()[-1:]
        how = f"signal {-code}" if code < 0 else f"exit code {code}"
        return None, f"grading process died ({how}){': ' + tail[0][:200] if tail else ''}"


def _kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def grade_one(submission, lecture, limits, scratch):
    """A CSV row and a feedback text for one submission (never raises for a bad notebook)."""
    result, problem = run_worker(submission, lecture, limits, scratch)
    if result is None:
        return make_row(submission, lecture, note=problem), problem
    if "unreadable" in result:
        note = f"not a readable notebook: {result['unreadable']}"
        return make_row(submission, lecture, note=note), note
    return make_row(submission, lecture, result), result["feedback"]


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


def grade(args):
    paths = expand(args.submissions)
    check_writable(args.out)
    lectures, unreadable = scan(paths)
    lecture = choose_lecture(lectures, args.lecture)
    columns = columns_of(lecture)
    try:
        rows = read_rows(args.out, columns)
    except UsageError:
        if not args.force:
            raise
        rows = {}
    if args.force:     # grade these again; keep the rows of other submissions
        rows = {k: v for k, v in rows.items() if k not in paths}
    limits = Limits(args.cell_timeout, args.submission_timeout, args.memory_mb, args.output_bytes)
    if args.feedback:
        Path(args.feedback).mkdir(parents=True, exist_ok=True)

    def finish(path, row, text):
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
            finish(path, make_row(path, lecture, note=unreadable[path]), unreadable[path])
        elif lectures[path] not in (None, lecture):
            note = f"this is lecture {lectures[path]}, not {lecture}"
            finish(path, make_row(path, lecture, note=note), note)
        else:
            todo.append(path)
    skipped = len(paths) - len(todo)
    print(f"grading {len(todo)} submission(s) of {lecture} with {args.jobs} job(s)"
          + (f"; {skipped} already in {args.out} or not gradable" if skipped else ""),
          file=sys.stderr)
    start = time.monotonic()
    scratch = tempfile.mkdtemp(prefix="mlcourse-grade-")
    try:
        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
            futures = {pool.submit(grade_one, p, lecture, limits, scratch): p for p in todo}
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

"""Grading a large class on several machines: shards, merging their CSVs, and a Dask cluster.

* `shard_of(paths, k, n)`: the submissions of shard k of n (k = 1..n), chosen by a stable hash
  of each path (SHA-256, the same on every machine and every run), so `grade --shard k/n`
  on n machines grades every submission exactly once.
* `merge(parts, out)` / `python -m mlcourse merge PART.csv ... --out grades.csv`: joins the
  part CSVs. It checks each part's rows against that part's key (`PART.csv.key`, as the grader
  does on resume), refuses parts with other columns (exercises) and submissions graded in two
  parts, signs every row with the key of `out`, and joins the per-case files
  (`PART.cases.jsonl`) into `out`'s.
* `grade_on_dask(address, argv, n_shards)`: one Dask task per shard, each running the same
  grader command, `python -m mlcourse grade ARGV --shard k/n --out part.csv`, in a subprocess
  on a worker (so each shard is graded in the worker's sandbox exactly as on one machine); the
  parts come back to the client, are kept in `<out>.parts/` and merged into `out`.
  Dask is not in the student environment: see requirements/dask.txt and
  docs/GRADING_AT_SCALE.md.
"""
import argparse
import csv
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mlcourse.grading import grader, roster as rosters
from mlcourse.grading.report import append_cases, cases_path, read_cases

STDERR_KEPT = 4000           # characters of a failed shard's stderr shown


class MergeError(ValueError):
    """Parts that cannot be merged; the message names the part and the reason."""


# ---------------------------------------------------------------- shards

def parse_shard(text):
    """(k, n) from "k/n" with 1 <= k <= n; ValueError otherwise."""
    try:
        k, n = (int(x) for x in str(text).split("/"))
    except ValueError:
        raise ValueError(f"--shard {text!r}: expected K/N, e.g. 2/8") from None
    if not 1 <= k <= n:
        raise ValueError(f"--shard {text!r}: K must be between 1 and N")
    return k, n


def shard_key(path):
    """A stable number for a submission path (as given on the command line)."""
    return int.from_bytes(hashlib.sha256(str(path).encode("utf-8")).digest()[:8], "big")


def shard_of(paths, k, n):
    """The paths of shard k of n (k = 1..n), in their order."""
    if not 1 <= k <= n:
        raise ValueError(f"shard {k}/{n}: k must be between 1 and n")
    return [p for p in paths if shard_key(p) % n == k - 1]


# ---------------------------------------------------------------- merging parts

def _header(path):
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return next(csv.reader(f), [])
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise MergeError(f"{path}: cannot be read ({exc})") from None


def read_part(path):
    """(columns, rows) of one part, every row checked against the part's own key."""
    columns = _header(path)
    if "submission" not in columns or columns[-1:] != [grader.SIGNATURE]:
        raise MergeError(f"{path}: not a CSV written by `python -m mlcourse grade`")
    key_file = grader.key_path(path)
    if not key_file.exists():
        raise MergeError(f"{path}: its key {key_file.name} is missing: the rows cannot be "
                         "checked (copy the key with the part)")
    try:
        rows, refused = grader.read_rows(path, columns, grader.load_key(path))
    except grader.UsageError as exc:
        raise MergeError(str(exc)) from None
    if refused:
        raise MergeError(f"{path}: {refused} row(s) whose signature does not match "
                         f"{key_file.name} (edited, or from another run)")
    return columns, [r for r in rows.values() if r["submission"]]


def merge(parts, out, roster=None, order=None):
    """Merge the part CSVs into `out` (rows in the order of `order`, a list of submission
    paths, else sorted by path); returns the number of submissions. MergeError if the parts
    disagree on the columns, share a submission, or a row's signature is wrong."""
    if not parts:
        raise MergeError("no part to merge")
    columns, rows, origin = None, [], {}
    for part in parts:
        cols, part_rows = read_part(part)
        if columns is None:
            columns, first = cols, part
        elif cols != columns:
            raise MergeError(f"{part} has other columns than {first}: "
                             f"{', '.join(cols)} instead of {', '.join(columns)}")
        for row in part_rows:
            if row["submission"] in origin:
                raise MergeError(f"{row['submission']!r} is in {origin[row['submission']]} "
                                 f"and in {part}: the parts overlap")
            origin[row["submission"]] = part
            rows.append(row)
    position = {p: i for i, p in enumerate(order or [])}
    rows.sort(key=lambda r: (position.get(r["submission"], len(position)), r["submission"]))
    with_roster = "email" in columns
    if with_roster and roster is None:
        raise MergeError(f"{first} was graded with --roster: pass the same --roster to merge "
                         "(for its students without a submission)")
    key = grader.load_key(out)
    sign = lambda row: grader.sign(key, columns, row)            # noqa: E731
    if "percent" in columns:        # the gradebook columns: student ids, flags, missing students
        exercise_ids = [c for c in columns if c not in rosters.columns([], roster if
                                                                         with_roster else None)]
        rows = rosters.gradebook(rows, exercise_ids, roster if with_roster else None, sign=sign)
    else:
        for row in rows:
            row[grader.SIGNATURE] = sign(row)
    grader.write_rows(out, columns, rows)
    _merge_cases(parts, out, [r["submission"] for r in rows if r["submission"]])
    return len(origin)


def _merge_cases(parts, out, submissions):
    """Write out's per-case file from the parts' (the submissions of `out`, in its order)."""
    by_submission = {}
    for part in parts:
        for (submission, _), record in read_cases(cases_path(part))[0].items():
            by_submission.setdefault(submission, []).append(record)
    target = cases_path(out)
    fd, tmp = tempfile.mkstemp(prefix=".cases-", suffix=".jsonl.tmp", dir=target.parent)
    os.close(fd)
    try:
        append_cases(tmp, [r for s in submissions for r in by_submission.get(s, [])])
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m mlcourse merge",
                                description="Join the part CSVs of a sharded grading run "
                                            "(grade --shard K/N) into one gradebook.")
    p.add_argument("parts", nargs="+", metavar="PART.csv")
    p.add_argument("--out", required=True, help="the merged CSV (signed with <out>.key)")
    p.add_argument("--roster", help="the roster the parts were graded with, if any")
    args = p.parse_args(argv)
    out = Path(args.out).resolve()
    if any(Path(part).resolve() == out for part in args.parts):
        print("mlcourse merge: error: --out is one of the parts", file=sys.stderr)
        return 2
    try:
        roster = rosters.read_roster(args.roster) if args.roster else None
        n = merge(args.parts, args.out, roster)
    except (MergeError, rosters.RosterError, OSError) as exc:
        print(f"mlcourse merge: error: {exc}", file=sys.stderr)
        return 2
    print(f"merged {n} submission(s) from {len(args.parts)} part(s) into {args.out}",
          file=sys.stderr)
    return 0


# ---------------------------------------------------------------- on a Dask cluster

def _without_options(argv, names):
    """argv without the options `names` (each taking one value, as `--x v` or `--x=v`)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in names:
            skip = True
        elif not any(arg.startswith(n + "=") for n in names):
            out.append(arg)
    return out


def option_value(argv, name):
    """The value of option `name` in argv (last one wins), else None."""
    value = None
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith(name + "="):
            value = arg.split("=", 1)[1]
    return value


def shard_argv(argv, k, n):
    """The grader's arguments for shard k of n: argv without --out (run_shard adds its own),
    --shard, --dask-scheduler and --dask-shards, plus --shard k/n."""
    rest = _without_options(argv, ("--out", "--shard", "--dask-scheduler", "--dask-shards"))
    return [*rest, "--shard", f"{k}/{n}"]


def run_shard(grade_args, cwd, timeout=None, python=None):
    """Run on a Dask worker: `python -m mlcourse grade *grade_args --out <tmp>/part.csv` in a
    subprocess (the worker's own interpreter unless `python`), in `cwd`; returns the part as
    data: {"returncode", "stderr" (its end), "csv", "key", "cases"} (files' texts or None)."""
    with tempfile.TemporaryDirectory(prefix="mlcourse-shard-") as tmp:
        part = Path(tmp) / "part.csv"
        command = [python or sys.executable, "-m", "mlcourse", "grade", *grade_args,
                   "--out", str(part)]
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
                   MKL_NUM_THREADS="1")
        started = time.monotonic()
        try:
            proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                                  timeout=timeout, stdin=subprocess.DEVNULL)
            code, stderr = proc.returncode, proc.stderr
        except subprocess.TimeoutExpired as exc:
            code = -9
            stderr = (exc.stderr or b"").decode("utf-8", "replace") if isinstance(
                exc.stderr, bytes) else (exc.stderr or "")
            stderr += f"\nthe shard took more than {timeout} s and was stopped"

        def text(path):
            return path.read_text(encoding="utf-8") if path.exists() else None
        return {"returncode": code, "stderr": stderr[-STDERR_KEPT:], "csv": text(part),
                "key": text(grader.key_path(part)), "cases": text(cases_path(part)),
                "seconds": round(time.monotonic() - started, 1)}


def write_part(result, path):
    """Write a shard's result (from run_shard) as a part CSV with its key and cases file."""
    path = Path(path)
    path.write_text(result["csv"], encoding="utf-8")
    key = grader.key_path(path)
    key.unlink(missing_ok=True)
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(result["key"])
    if result["cases"] is not None:
        cases_path(path).write_text(result["cases"], encoding="utf-8")
    else:
        cases_path(path).unlink(missing_ok=True)


def grade_on_dask(scheduler_address, argv, n_shards=None, cwd=None, timeout=None,
                  roster=None, stream=None, python=None):
    """Grade the submissions of `argv` (the grader's arguments, with --out) on the Dask
    cluster at `scheduler_address` (e.g. "tcp://10.0.0.5:8786"): n_shards tasks (default:
    twice the cluster's threads), each one `run_shard` in `cwd` (default: this one; the
    submissions must be at the same paths on the workers, e.g. a shared file system) with the
    workers' interpreter (or `python`); the parts are written to `<out>.parts/part-K.csv` and
    merged into --out (with `roster`, a read_roster result, if the grader got --roster).
    Returns the grader's exit code (0, or 2 if a shard failed: its stderr is printed)."""
    from distributed import Client, wait        # the Dask tool environment only

    stream = sys.stderr if stream is None else stream
    out = option_value(argv, "--out")
    if not out:
        raise ValueError("argv needs --out (the merged CSV)")
    cwd = str(Path(cwd or os.getcwd()).resolve())
    started = time.monotonic()
    with Client(scheduler_address, timeout=60) as client:
        if n_shards is None:
            n_shards = max(1, 2 * sum(client.nthreads().values()))
        futures = [client.submit(run_shard, shard_argv(argv, k, n_shards),
                                 cwd, timeout, python, key=f"mlcourse-grade-{k}-of-{n_shards}-"
                                                   f"{os.getpid()}-{time.time_ns()}", pure=False)
                   for k in range(1, n_shards + 1)]
        try:
            wait(futures, timeout=timeout)
        except TimeoutError:
            client.cancel(futures)
            print(f"the shards did not finish within {timeout} s", file=stream)
            return 2
        results = client.gather(futures)
    folder = Path(out).with_name(Path(out).name + ".parts")
    folder.mkdir(parents=True, exist_ok=True)
    parts, failed = [], 0
    for k, result in enumerate(results, start=1):
        if result["returncode"] != 0 or result["csv"] is None:
            failed += 1
            print(f"shard {k}/{n_shards} failed (exit code {result['returncode']}):\n"
                  f"{result['stderr']}", file=stream)
            continue
        write_part(result, folder / f"part-{k}.csv")
        parts.append(folder / f"part-{k}.csv")
    if failed:
        return 2
    order = grader.expand(_positional(argv))
    n = merge(parts, out, roster, order=order)
    print(f"graded {n} submission(s) in {n_shards} shard(s) on {scheduler_address} in "
          f"{time.monotonic() - started:.1f} s; parts in {folder}, merged into {out}",
          file=stream)
    return 0


def _positional(argv):
    """The submission arguments in the grader's argv: what is left without the options."""
    return [a for a in _without_options(argv, _VALUE_OPTIONS) if not a.startswith("-")]


# the grader's options that take a value (so their values are not taken for submissions)
_VALUE_OPTIONS = ("--out", "--jobs", "--lecture", "--feedback", "--cell-timeout",
                  "--submission-timeout", "--memory-mb", "--output-bytes", "--roster",
                  "--shard", "--dask-scheduler", "--dask-shards")


if __name__ == "__main__":
    sys.exit(main())

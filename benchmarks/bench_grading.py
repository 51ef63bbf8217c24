"""Time the batch grader against nbgrader autograde on lecture-1 submissions.

    python benchmarks/bench_grading.py [--n 50] [--n-nbgrader 20] [--jobs N]

Grades N ordinary copies of the lecture-1 exercise notebook (correct, partial and
blank ones from tests/fixtures/make_submissions.py), then N mixed with hostile ones
(crashes, huge output, memory hogs), with `python -m mlcourse grade` in its bubblewrap
sandbox (unless --no-sandbox), and, when .venv-nbgrader exists, times `nbgrader
autograde` on the first --n-nbgrader ordinary ones. The speed-up compares seconds per
ordinary submission. Prints a table with the machine's load average and writes
benchmarks/results/grading.json.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
from tests.test_nbgrader_compat import NBG_BIN, make_course, nbgrader  # noqa: E402
from fixtures.make_submissions import LECTURE, make_submissions  # noqa: E402

ORDINARY = ["correct", "partial", "blank", "correct", "partial"]
MIX = ["correct", "partial", "blank", "correct", "partial", "segfault", "os_exit",
       "big_print", "memory_hog", "wrong_signature"]


def make_copies(folder, n, kinds_list):
    """n submissions cycling through kinds_list, named 000_correct.ipynb, 001_partial.ipynb, ..."""
    kinds = make_submissions(Path(folder) / "kinds")
    paths = []
    name = "mix" if kinds_list is MIX else "ordinary"
    for i in range(n):
        kind = kinds_list[i % len(kinds_list)]
        path = Path(folder) / name / f"{i:03d}_{kind}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(kinds[kind], path)
        paths.append(path)
    return paths


def time_ours(paths, jobs, folder, sandbox=True):
    out = Path(folder) / f"grades-{paths[0].parent.name}.csv"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mlcourse", "grade", *map(str, paths), "--out", str(out),
                    "--jobs", str(jobs), "--cell-timeout", "5",
                    *([] if sandbox else ["--no-sandbox"])], check=True, cwd=REPO,
                   env=dict(os.environ, PYTHONPATH=str(REPO)), stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def time_nbgrader(paths, folder):
    course = Path(folder) / "course"
    course.mkdir()
    make_course(course, {f"s{i:03d}": p for i, p in enumerate(paths)})
    nbgrader("generate_assignment", "ps1", "--force", cwd=course)
    start = time.perf_counter()
    nbgrader("autograde", "ps1", "--force", cwd=course, check=False)
    return time.perf_counter() - start


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=50)
    p.add_argument("--n-nbgrader", type=int, default=20)
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--no-sandbox", action="store_true", help="grade without bubblewrap")
    args = p.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        ordinary = make_copies(folder, args.n, ORDINARY)
        mixed = make_copies(folder, args.n, MIX)
        ours = time_ours(ordinary, args.jobs, folder, not args.no_sandbox)
        ours_mixed = time_ours(mixed, args.jobs, folder, not args.no_sandbox)
        theirs = None
        if (NBG_BIN / "nbgrader").exists() and args.n_nbgrader > 0:
            theirs = time_nbgrader(ordinary[:args.n_nbgrader], folder)
    load_after = os.getloadavg()
    result = {
        "lecture": LECTURE, "cpus": os.cpu_count(), "jobs": args.jobs,
        "sandbox": not args.no_sandbox,
        "load_average_1min": {"before": round(load_before[0], 2), "after": round(load_after[0], 2)},
        "mlcourse_grade": {"submissions": args.n, "seconds": round(ours, 2),
                           "seconds_per_submission": round(ours / args.n, 3)},
        "mlcourse_grade_with_hostile": {"submissions": args.n, "seconds": round(ours_mixed, 2),
                                        "seconds_per_submission": round(ours_mixed / args.n, 3)},
        "nbgrader_autograde": None if theirs is None else {
            "submissions": args.n_nbgrader, "seconds": round(theirs, 2),
            "seconds_per_submission": round(theirs / args.n_nbgrader, 3)},
    }
    if theirs is not None:
        result["speedup"] = round((theirs / args.n_nbgrader) / (ours / args.n), 1)
    print(f"{'grader':<30}{'submissions':>12}{'seconds':>10}{'s/submission':>14}")
    where = "no sandbox" if args.no_sandbox else "sandbox"
    print(f"{f'mlcourse grade ({where})':<30}{args.n:>12}{ours:>10.1f}{ours / args.n:>14.2f}")
    print(f"{'  ... with hostile ones':<30}{args.n:>12}{ours_mixed:>10.1f}"
          f"{ours_mixed / args.n:>14.2f}")
    if theirs is not None:
        print(f"{'nbgrader autograde':<30}{args.n_nbgrader:>12}{theirs:>10.1f}"
              f"{theirs / args.n_nbgrader:>14.2f}")
        print(f"speed-up on ordinary submissions: {result['speedup']}x")
    else:
        print("nbgrader: skipped (no .venv-nbgrader)")
    print(f"load average (1 min): {load_before[0]:.2f} before, {load_after[0]:.2f} after, "
          f"on {os.cpu_count()} CPUs")
    out = REPO / "benchmarks" / "results" / "grading.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()

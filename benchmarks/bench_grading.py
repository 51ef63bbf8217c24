"""Time the batch grader against nbgrader autograde on lecture-1 submissions.

    python benchmarks/bench_grading.py [--n 50] [--n-nbgrader 20] [--jobs N]

Grades N copies of the lecture-1 exercise notebook (mixed correct, blank,
partial and hostile ones from tests/fixtures/make_submissions.py) with
`python -m mlcourse grade`, and, when .venv-nbgrader exists, times
`nbgrader autograde` on the first --n-nbgrader of them. Prints a table and
writes benchmarks/results/grading.json.
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

MIX = ["correct", "partial", "blank", "correct", "partial", "segfault", "os_exit",
       "big_print", "memory_hog", "wrong_signature"]


def make_copies(folder, n):
    """n submissions cycling through MIX, named 000_correct.ipynb, 001_partial.ipynb, ..."""
    kinds = make_submissions(Path(folder) / "kinds")
    paths = []
    for i in range(n):
        kind = MIX[i % len(MIX)]
        path = Path(folder) / "subs" / f"{i:03d}_{kind}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(kinds[kind], path)
        paths.append(path)
    return paths


def time_ours(paths, jobs, folder):
    out = Path(folder) / "grades.csv"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mlcourse", "grade", *map(str, paths), "--out", str(out),
                    "--jobs", str(jobs), "--cell-timeout", "5"], check=True, cwd=REPO,
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
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        paths = make_copies(folder, args.n)
        ours = time_ours(paths, args.jobs, folder)
        theirs = None
        if (NBG_BIN / "nbgrader").exists() and args.n_nbgrader > 0:
            theirs = time_nbgrader(paths[:args.n_nbgrader], folder)
    result = {
        "lecture": LECTURE, "cpus": os.cpu_count(), "jobs": args.jobs,
        "mlcourse_grade": {"submissions": args.n, "seconds": round(ours, 2),
                           "seconds_per_submission": round(ours / args.n, 3)},
        "nbgrader_autograde": None if theirs is None else {
            "submissions": args.n_nbgrader, "seconds": round(theirs, 2),
            "seconds_per_submission": round(theirs / args.n_nbgrader, 3)},
    }
    if theirs is not None:
        result["speedup"] = round((theirs / args.n_nbgrader) / (ours / args.n), 1)
    print(f"{'grader':<22}{'submissions':>12}{'seconds':>10}{'s/submission':>14}")
    print(f"{'mlcourse grade':<22}{args.n:>12}{ours:>10.1f}{ours / args.n:>14.2f}")
    if theirs is not None:
        print(f"{'nbgrader autograde':<22}{args.n_nbgrader:>12}{theirs:>10.1f}"
              f"{theirs / args.n_nbgrader:>14.2f}")
        print(f"speed-up: {result['speedup']}x")
    else:
        print("nbgrader: skipped (no .venv-nbgrader)")
    out = REPO / "benchmarks" / "results" / "grading.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()

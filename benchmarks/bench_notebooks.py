"""P1: time to verify the course under nbval, per notebook and in total.

Runs exactly what `make test` runs for notebooks (strict nbval for lectures/ and
solutions/, lax for exercises/), one pytest process per notebook so each gets
its own wall-clock time (kernel start included). Goal: <= 6 min in total on a
2-core machine, no notebook over 60 s.
Run: .venv/bin/python benchmarks/bench_notebooks.py [NOTEBOOK ...]
"""
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import save, table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NBVAL = ["-p", "no:cacheprovider", "-q", "--nbval-current-env", "--nbval-cell-timeout=300",
         "--nbval-sanitize-with", "tests/nbval_sanitize.cfg"]


def verify(path):
    mode = "--nbval-lax" if path.parent.name == "exercises" else "--nbval"
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", *NBVAL, mode, str(path)],
                            cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    last = (result.stdout.strip().splitlines() or [""])[-1]
    return {"notebook": str(path.relative_to(ROOT)), "seconds": seconds,
            "passed": result.returncode == 0, "pytest": last}


def main(argv):
    paths = [Path(p).resolve() for p in argv] or \
        [p for folder in ("lectures", "solutions", "exercises") for p in sorted((ROOT / folder).glob("*.ipynb"))]
    rows = [verify(p) for p in paths]
    total = sum(r["seconds"] for r in rows)
    print(table(rows, ["notebook", "seconds", "passed", "pytest"]))
    slowest = max(rows, key=lambda r: r["seconds"])
    print(f"\ntotal {total:.1f} s for {len(rows)} notebooks (goal <= 360 s); "
          f"slowest {slowest['notebook']} {slowest['seconds']:.1f} s (goal <= 60 s)")
    print("results:", save("notebooks", {"total_seconds": total, "rows": rows}))
    return 0 if all(r["passed"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

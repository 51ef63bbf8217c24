"""Run the course's benchmarks (`make bench`) and check them against their goals.

    P1 bench_notebooks.py  verifying every notebook under nbval   <= 360 s total, <= 60 s each
    P2 bench_widgets.py    every demo control's update latency    median <= 100 ms per control
    P3 bench_torch.py      fast.sgd_train vs PyTorch CPU, s/epoch >= 4x at batch 10, >= 2x at 100
    P4 bench_grading.py    mlcourse grade vs nbgrader autograde    <= 0.5 s and >= 8x per submission

Each benchmark prints its own table and writes benchmarks/results/<name>.json;
this script adds the machine's load average before and after it (os.getloadavg())
and its wall time to that file, then prints a summary and writes
benchmarks/results/summary.json. P3 runs with .venv-bench/bin/python (PyTorch;
`make bench-env`), and is skipped when that environment is missing.

Usage: .venv/bin/python benchmarks/run_all.py [P1 P2 P3 P4]   (default: all)
Exit status 1 if a benchmark crashed or a notebook failed; goals missed are reported, not fatal.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from common import RESULTS, save, table  # noqa: E402

BENCH_PYTHON = ROOT / ".venv-bench" / "bin" / "python"


def p1(r):
    worst = max(r["rows"], key=lambda row: row["seconds"])
    failed = [row["notebook"] for row in r["rows"] if not row["passed"]]
    met = r["total_seconds"] <= 360 and worst["seconds"] <= 60
    text = (f"{r['total_seconds']:.0f} s total for {len(r['rows'])} notebooks; slowest "
            f"{Path(worst['notebook']).name} {worst['seconds']:.1f} s")
    if failed:
        text += f"; {len(failed)} FAILED nbval: {', '.join(failed)}"
    return met, text


def p2(r):
    moves = [row for row in r["rows"] if "(click)" not in row["control"]]
    clicks = [row for row in r["rows"] if "(click)" in row["control"]]
    worst = max(moves, key=lambda row: row["median_ms"])
    over = [row for row in moves if row["median_ms"] > 100]
    text = (f"{len(moves)} controls: worst median {worst['median_ms']:.0f} ms "
            f"({worst['demo']}.{worst['control']}), {len(over)} over 100 ms")
    if clicks:
        slow = max(clicks, key=lambda row: row["median_ms"])
        text += f"; slowest button {slow['median_ms']:.0f} ms ({slow['demo']}.{slow['control']})"
    return not over, text


def p3(r):
    parts = [f"batch {s['batch_size']}: {s['mlcourse_s']:.3f} vs {s['torch_s']:.3f} s/epoch = "
             f"{s['speedup']:.1f}x (goal {s['goal']}x), GEMMs {100 * s['gemm_share']:.0f}% of the epoch"
             for s in r["summary"]]
    return all(s["meets_goal"] for s in r["summary"] if s["goal"]), "; ".join(parts)


def p4(r):
    ours = r["mlcourse_grade"]
    if not r.get("nbgrader_autograde"):
        return None, f"{ours['seconds_per_submission']:.2f} s/submission; nbgrader not run"
    theirs = r["nbgrader_autograde"]
    ok = r["speedup"] >= 8 and ours["seconds_per_submission"] <= 0.5
    return ok, (f"{ours['seconds_per_submission']:.2f} vs "
                f"{theirs['seconds_per_submission']:.2f} s/submission = "
                f"{r['speedup']:.1f}x (goal <= 0.5 s and 8x, sandbox on)")


BENCHMARKS = [  # id, script, results file, python, verdict
    ("P1", "bench_notebooks.py", "notebooks.json", None, p1),
    ("P2", "bench_widgets.py", "widgets.json", None, p2),
    ("P3", "bench_torch.py", "torch.json", BENCH_PYTHON, p3),
    ("P4", "bench_grading.py", "grading.json", None, p4),
]


def run(bid, script, result_file, python, verdict):
    python = Path(python or sys.executable)
    row = {"id": bid, "benchmark": script}
    if not python.exists():
        print(f"\n=== {bid} {script}: SKIPPED ({python} missing: run `make bench-env`)", flush=True)
        return dict(row, status="skipped", result=f"skipped: {python.relative_to(ROOT)} missing "
                                                   f"(make bench-env)")
    print(f"\n=== {bid} {script} ({python.relative_to(ROOT) if python.is_relative_to(ROOT) else python})",
          flush=True)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    load_before, start = os.getloadavg(), time.time()
    code = subprocess.run([str(python), str(HERE / script)], cwd=ROOT, env=env).returncode
    wall, load_after = time.time() - start, os.getloadavg()
    row.update(wall_s=round(wall, 1), load_before=_load(load_before), load_after=_load(load_after),
               returncode=code)
    path = RESULTS / result_file
    if not path.exists() or path.stat().st_mtime < start:
        return dict(row, status="crashed", result=f"exit code {code}, no {result_file} written")
    data = json.loads(path.read_text())
    data["run_all"] = {"load_avg_before": list(load_before), "load_avg_after": list(load_after),
                       "wall_seconds": round(wall, 1), "returncode": code,
                       "cpus": os.cpu_count()}
    path.write_text(json.dumps(data, indent=2) + "\n")
    met, text = verdict(data)
    status = "error" if code else {True: "goal met", False: "goal MISSED", None: "no goal"}[met]
    return dict(row, status=status, result=text)


def _load(values):
    return " ".join(f"{v:.2f}" for v in values)


def main(argv):
    wanted = [a.upper() for a in argv] or [b[0] for b in BENCHMARKS]
    unknown = set(wanted) - {b[0] for b in BENCHMARKS}
    if unknown:
        print(f"unknown benchmark(s) {sorted(unknown)}; choose from P1 P2 P3 P4")
        return 2
    rows = [run(*b) for b in BENCHMARKS if b[0] in wanted]
    print("\n=== summary (load average: 1, 5, 15 min, on", os.cpu_count(), "CPUs)")
    print(table(rows, ["id", "benchmark", "status", "wall_s", "load_before", "load_after"]))
    for row in rows:
        print(f"{row['id']}: {row['result']}")
    print("results:", save("summary", {"rows": rows}))
    return 1 if any(r["status"] in ("crashed", "error") for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Grading on a Dask cluster (scale.grade_on_dask): a local cluster on 127.0.0.1, 2 workers.

Dask lives in its own environment, .venv-dask (requirements/dask.txt), never in the student's:
the cluster and the client run there, in a child process bounded in time, in its own process
group, killed at the end. Two tests:

* the Dask plumbing with a stand-in grader (a script that honours --shard K/N and writes
  signed rows): the merged CSV equals the stand-in's single run;
* the real, sandboxed grader (`--dask-scheduler`, which runs `grade --shard K/N` per task): the
  merged CSV and per-case file equal a single-machine `python -m mlcourse grade` run's.
"""
import contextlib
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mlcourse.grading import framework, grader
from mlcourse.grading.report import cases_path, read_cases

ROOT = Path(__file__).resolve().parents[1]
DASK_PYTHON = ROOT / ".venv-dask" / "bin" / "python"
LIMIT = 240              # seconds the cluster and client may live

needs_dask = pytest.mark.skipif(
    not DASK_PYTHON.exists(),
    reason="needs the Dask tool environment .venv-dask: python3 -m venv .venv-dask && "
           ".venv-dask/bin/pip install -c requirements/constraints.txt -e . "
           "-r requirements/dask.txt")


# The client: a LocalCluster of 2 single-threaded worker processes on 127.0.0.1 (no dashboard),
# then grade_on_dask for each job of argv[1], a JSON list of [grader argv, shards, python or
# null]; each job's stderr ends with a line "exit code N".
DRIVER = """
import json, sys
from distributed import LocalCluster
from mlcourse.grading.scale import grade_on_dask
if __name__ == "__main__":
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, worker_dashboard_address="127.0.0.1:0") as cluster:
        for argv, shards, python in json.loads(sys.argv[1]):
            code = grade_on_dask(cluster.scheduler_address, argv, shards, python=python,
                                 timeout=%d)
            print(f"exit code {code}", file=sys.stderr, flush=True)
""" % (LIMIT - 30)

# A stand-in for `python -m mlcourse grade` (called as `FAKE -m mlcourse grade ARGS`): one
# signed row per submission, its points read from the file, only its shard with --shard K/N.
FAKE_GRADER = """#!{python}
import argparse, sys
from mlcourse.grading import grader
from mlcourse.grading.scale import parse_shard, shard_of
assert sys.argv[1:4] == ["-m", "mlcourse", "grade"], sys.argv
p = argparse.ArgumentParser()
p.add_argument("submissions", nargs="+")
p.add_argument("--out")
p.add_argument("--jobs")
p.add_argument("--shard")
args = p.parse_args(sys.argv[4:])
paths = grader.expand(args.submissions)
if args.shard:
    paths = shard_of(paths, *parse_shard(args.shard))
columns = ["submission", "ex_a", "total", "max_total", "notes", "signature"]
key = grader.load_key(args.out)
rows = []
for path in paths:
    points = open(path).read().strip()
    row = dict(submission=path, ex_a=points, total=points, max_total="1", notes="")
    row["signature"] = grader.sign(key, columns, row)
    rows.append(row)
grader.write_rows(args.out, columns, rows)
"""


@contextlib.contextmanager
def bounded(command, cwd):
    """A child process in its own process group, at most LIMIT seconds; its group is killed."""
    proc = subprocess.Popen(["timeout", "-s", "KILL", str(LIMIT), *command], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            env=dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
                                     MKL_NUM_THREADS="1", DASK_DISTRIBUTED__WORKER__DAEMON="False"))
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def run_on_dask(jobs, cwd):
    """[(exit code, stderr)] of grade_on_dask for each job (argv, shards, python) on one
    local cluster."""
    with bounded([str(DASK_PYTHON), "-c", DRIVER, json.dumps(jobs)], cwd) as proc:
        _, err = proc.communicate(timeout=LIMIT + 10)
    assert proc.returncode == 0, err
    results, said = [], []
    for line in err.splitlines():
        if line.startswith("exit code "):
            results.append((int(line.split()[-1]), "\n".join(said)))
            said = []
        else:
            said.append(line)
    assert len(results) == len(jobs), err
    return results


def rows_of(path):
    with open(path, newline="") as f:
        return [{k: v for k, v in r.items() if k != "signature"} for r in csv.DictReader(f)]


@needs_dask
def test_dask_runs_one_task_per_shard_and_merges(tmp_path):
    subs = tmp_path / "subs"
    for i in range(12):
        (subs / f"s{i:02d}").mkdir(parents=True)
        (subs / f"s{i:02d}" / "nb.ipynb").write_text(f"{(i % 4) / 4:g}")
    fake = tmp_path / "fake-python"
    fake.write_text(FAKE_GRADER.format(python=DASK_PYTHON))
    fake.chmod(0o755)
    single = subprocess.run([str(fake), "-m", "mlcourse", "grade", "subs", "--out", "single.csv"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert single.returncode == 0, single.stderr
    # the second job's stand-in fails on s03: a shard that fails is reported, nothing merged
    bad = tmp_path / "bad-python"
    bad.write_text(FAKE_GRADER.format(python=DASK_PYTHON).replace(
        "points = open(path).read().strip()",
        "points = open(path).read().strip()\n    assert not path.endswith('s03/nb.ipynb')"))
    bad.chmod(0o755)
    (good, err), (bad_code, bad_err) = run_on_dask(
        [(["subs", "--out", "merged.csv", "--jobs", "1"], 4, str(fake)),
         (["subs", "--out", "again.csv"], 4, str(bad))], tmp_path)
    assert good == 0, err
    assert "graded 12 submission(s) in 4 shard(s)" in err
    assert rows_of(tmp_path / "merged.csv") == rows_of(tmp_path / "single.csv")
    parts = sorted((tmp_path / "merged.csv.parts").glob("part-*.csv"))
    assert len(parts) == 4 and sum(len(rows_of(p)) for p in parts) == 12
    key = grader.load_key(tmp_path / "merged.csv")
    columns = ["submission", "ex_a", "total", "max_total", "notes", "signature"]
    assert grader.read_rows(tmp_path / "merged.csv", columns, key)[1] == 0
    assert bad_code == 2 and "failed (exit code 1)" in bad_err and "AssertionError" in bad_err
    assert not (tmp_path / "again.csv").exists()


@needs_dask
@pytest.mark.sandbox
def test_dask_grading_equals_a_single_machine_run(tmp_path):
    sources = [ROOT / "solutions" / "01_perceptron.ipynb", ROOT / "exercises" / "01_perceptron.ipynb"]
    for i in range(4):
        folder = tmp_path / "submitted" / f"s{i}" / "01_perceptron"
        folder.mkdir(parents=True)
        shutil.copy(sources[i % 2], folder / "01_perceptron.ipynb")
    single = subprocess.run([sys.executable, "-m", "mlcourse", "grade", "submitted", "--out",
                             "single.csv", "--jobs", "2"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=LIMIT)
    assert single.returncode == 0, single.stderr
    [(code, err)] = run_on_dask([(["submitted", "--out", "merged.csv", "--jobs", "1"], 3, None)],
                                tmp_path)
    assert code == 0, err
    single_rows, merged_rows = rows_of(tmp_path / "single.csv"), rows_of(tmp_path / "merged.csv")
    assert merged_rows == single_rows
    assert {r["total"] for r in single_rows} != {"0"}          # the solutions earned points
    assert [r["student_id"] for r in merged_rows] == ["s0", "s1", "s2", "s3"]
    merged_cases, single_cases = (read_cases(cases_path(tmp_path / f"{n}.csv"))[0]
                                  for n in ("merged", "single"))
    assert len(single_cases) == 4 * len(framework.exercises_of("01_perceptron"))
    assert {k: (r["points"], r["cases"]) for k, r in merged_cases.items()} == \
        {k: (r["points"], r["cases"]) for k, r in single_cases.items()}


def test_dask_is_pinned_apart_from_the_student_environment():
    pins = [line for line in (ROOT / "requirements" / "dask.txt").read_text().splitlines()
            if line and not line.startswith("#")]
    names = {line.split("==")[0].lower() for line in pins}
    assert all("==" in line for line in pins) and {"dask", "distributed"} <= names
    student = (ROOT / "pyproject.toml").read_text() + (ROOT / "requirements" /
                                                        "constraints.txt").read_text()
    assert "dask" not in student.lower() and "distributed" not in student.lower()

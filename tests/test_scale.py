"""Shards and merging their CSVs (scale.py), without a cluster."""
import csv
import hashlib
import os
import subprocess
import sys

import pytest

from mlcourse.__main__ import main
from mlcourse.grading import grader
from mlcourse.grading.report import append_cases, cases_path, read_cases
from mlcourse.grading.roster import Student, columns, gradebook
from mlcourse.grading.scale import (MergeError, merge, parse_shard, shard_argv, shard_key,
                                    shard_of)

IDS = ["ex_a", "ex_b"]
ROSTER = {f"s{i}": Student(f"s{i}", f"Student {i}", f"s{i}@uni.edu") for i in range(6)}
PATHS = [f"submitted/s{i}/ps1/ps1.ipynb" for i in range(5)] + ["loose/x.ipynb"]


def raw_row(path):
    a = len(path) % 2
    return {"submission": path, "ex_a": str(a), "ex_b": "0.5", "total": f"{a + 0.5:g}",
            "max_total": "2", "notes": "ex_b: 1 of 2 cases passed"}


def write_part(path, submissions, roster=ROSTER, ids=IDS):
    """A part CSV as the grader writes it (signed with the part's own key) + its cases file."""
    key, cols = grader.load_key(path), columns(ids, roster)
    rows = gradebook([raw_row(p) for p in submissions], ids, roster,
                     sign=lambda r: grader.sign(key, cols, r))
    grader.write_rows(path, cols, rows)
    append_cases(cases_path(path), [
        {"submission": p, "student_id": "", "exercise": e, "points": 0.5, "max_points": 1.0,
         "status": "graded", "note": "", "seconds": 1.0, "cases": []} for p in submissions
        for e in ids])
    return path


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_parse_shard():
    assert parse_shard("2/8") == (2, 8)
    for bad in ("0/3", "4/3", "x", "1/2/3", "1-2"):
        with pytest.raises(ValueError, match="--shard"):
            parse_shard(bad)


def test_shards_partition_the_submissions_deterministically():
    paths = [f"submitted/s{i:04d}/ps1/ps1.ipynb" for i in range(1000)]
    shards = [shard_of(paths, k, 8) for k in range(1, 9)]
    assert sorted(p for s in shards for p in s) == sorted(paths)          # each exactly once
    assert all(90 <= len(s) <= 160 for s in shards), [len(s) for s in shards]
    assert shards[0] == [p for p in paths if p in set(shards[0])]        # order kept
    # the key is SHA-256 of the path, not Python's salted hash(): the same in another process
    assert shard_key("a.ipynb") == int(hashlib.sha256(b"a.ipynb").hexdigest()[:16], 16)
    code = ("from mlcourse.grading.scale import shard_of; "
            "print([len(shard_of([f'p{i}' for i in range(200)], k, 3)) for k in (1, 2, 3)])")
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env=dict(os.environ, PYTHONHASHSEED=seed)).stdout for seed in ("1", "2")}
    assert len(runs) == 1
    with pytest.raises(ValueError):
        shard_of(paths, 0, 8)


def test_shard_argv_replaces_out_and_shard():
    assert shard_argv(["subs/", "--out", "g.csv", "--jobs=1", "--shard", "1/2",
                       "--dask-scheduler=tcp://127.0.0.1:1"], 3, 4) == [
        "subs/", "--jobs=1", "--shard", "3/4"]


def test_merge_equals_the_single_run(tmp_path):
    single = write_part(tmp_path / "single.csv", PATHS)
    parts = [write_part(tmp_path / f"part-{k}.csv", shard_of(PATHS, k, 3)) for k in (1, 2, 3)]
    out = tmp_path / "merged.csv"
    assert merge(parts, out, ROSTER, order=PATHS) == len(PATHS)
    strip = lambda rows: [{k: v for k, v in r.items() if k != "signature"} for r in rows]  # noqa: E731
    assert strip(read(out)) == strip(read(single))
    assert [r["submission"] for r in read(out)][-1] == ""            # s5: no submission
    rows, refused = grader.read_rows(out, columns(IDS, ROSTER), grader.load_key(out))
    assert refused == 0 and len(rows) == len(PATHS) + 1               # + the "" row of s5
    assert set(read_cases(cases_path(out))[0]) == set(read_cases(cases_path(single))[0])


def test_merge_command_and_refusals(tmp_path, capsys):
    a = write_part(tmp_path / "a.csv", PATHS[:3])
    b = write_part(tmp_path / "b.csv", PATHS[3:])
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,name,email\n" + "".join(
        f"{s.student_id},{s.name},{s.email}\n" for s in ROSTER.values()))
    out = tmp_path / "grades.csv"
    assert main(["merge", str(a), str(b), "--out", str(out), "--roster", str(roster)]) == 0
    assert len(read(out)) == 7
    assert main(["merge", str(a), str(b), "--out", str(out)]) == 2
    assert "pass the same --roster" in capsys.readouterr().err
    with pytest.raises(MergeError, match="in .*a.csv and in .*c.csv: the parts overlap"):
        merge([a, write_part(tmp_path / "c.csv", PATHS[2:4])], out, ROSTER)
    other = write_part(tmp_path / "other.csv", PATHS[3:], ids=["ex_a", "ex_c"])
    with pytest.raises(MergeError, match="has other columns"):
        merge([a, other], out, ROSTER)
    rows = read(b)
    rows[0]["ex_a"] = "1"                                           # an edited row
    grader.write_rows(b, list(rows[0]), rows)
    with pytest.raises(MergeError, match="1 row\\(s\\) whose signature does not match b.csv.key"):
        merge([a, b], out, ROSTER)
    grader.key_path(a).unlink()
    with pytest.raises(MergeError, match="its key a.csv.key is missing"):
        merge([a], out, ROSTER)
    assert main(["merge", str(out), "--out", str(out)]) == 2

"""Item analysis (report.py): the per-case file, the statistics, the page and the summary.

`synthetic_class` writes a grades CSV and its grades.cases.jsonl for n generated submissions
(seeded; no grading): each student has an ability, each case a difficulty, and a case passes
when ability + noise beats it, so the numbers of the report are known in advance. The browser
test (tests/test_report_browser.py) uses it too.
"""
import csv
import json
import math

import numpy as np
import pytest

from mlcourse.__main__ import main
from mlcourse.grading import framework
from mlcourse.grading.report import (analyse, append_cases, attempted, case_records, cases_path,
                                     correlation, read_cases, write_report)
from mlcourse.grading.roster import Student, columns, gradebook

# exercise id: (points, case difficulties); "coin_flip" ignores ability (discrimination ~ 0);
# "last_one" is left unanswered by a quarter of the class.
EXERCISES = {"warm_up": (1.0, [-2.0, -1.5, -1.0, -0.5]),
             "core_skill": (2.0, [-0.5, 0.0, 0.5, 1.0]),
             "coin_flip": (1.0, [None, None]),
             "last_one": (1.0, [0.0, 0.5, 1.5])}


def _exercise(ex_id):
    return framework.Exercise(ex_id, "99_synthetic", ex_id, make=None,
                              points=EXERCISES[ex_id][0])


def synthetic_reports(rng, ability):
    """{exercise id: framework.Report} of one generated student."""
    reports = {}
    for ex_id, (_, difficulties) in EXERCISES.items():
        ex = _exercise(ex_id)
        if ex_id == "last_one" and rng.random() < 0.25:
            reports[ex_id] = framework.Report(ex, [], status="missing", note="not implemented yet")
            continue
        results = []
        for k, d in enumerate(difficulties):
            passed = rng.random() < 0.5 if d is None else ability + rng.normal(0, 0.5) > d
            results.append(framework.CaseResult(
                f"{ex_id} case {k}", bool(passed),
                "" if passed else f"the result has the wrong values <b>at</b> {k + 1} entries"))
        reports[ex_id] = framework.Report(ex, results)
    return reports


def synthetic_class(folder, n=50, seed=0, roster_extra=2):
    """Write folder/grades.csv and folder/grades.cases.jsonl for n generated submissions (and
    `roster_extra` roster students without one); returns the CSV's path."""
    rng = np.random.default_rng(seed)
    ids = list(EXERCISES)
    roster = {f"s{i:03d}": Student(f"s{i:03d}", f"Student {i}", f"s{i:03d}@uni.edu")
              for i in range(n + roster_extra)}
    rows, out = [], folder / "grades.csv"
    for i in range(n):
        sub = f"submitted/s{i:03d}/99_synthetic/99_synthetic.ipynb"
        reports = synthetic_reports(rng, rng.normal(0, 1))
        seconds = {ex_id: float(rng.uniform(0.5, 3.0)) * (1 + k) for k, ex_id in enumerate(ids)}
        append_cases(cases_path(out), case_records(sub, reports, seconds, f"s{i:03d}"))
        scores = {ex_id: r.score for ex_id, r in reports.items()}
        rows.append({"submission": sub, **{k: f"{v:g}" for k, v in scores.items()},
                     "total": f"{round(sum(scores.values()), 2):g}",
                     "max_total": f"{sum(p for p, _ in EXERCISES.values()):g}", "notes": ""})
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns(ids, roster))
        writer.writeheader()
        writer.writerows(gradebook(rows, ids, roster))
    return out


def test_case_records_follow_the_schema(tmp_path):
    ex = _exercise("core_skill")
    report = framework.Report(ex, [framework.CaseResult("a", True), framework.CaseResult(
        "b", False, "x" * 5000, hint="look at b")])
    missing = framework.Report(_exercise("last_one"), [], status="missing",
                               note="not implemented yet")
    records = case_records("sub.ipynb", {"core_skill": report, "last_one": missing},
                           {"core_skill": 1.23456}, student_id="s1")
    assert records[0] == {
        "submission": "sub.ipynb", "student_id": "s1", "exercise": "core_skill",
        "points": 1.0, "max_points": 2.0, "status": "graded", "note": "", "seconds": 1.235,
        "cases": [{"name": "a", "passed": True, "message": ""},
                  {"name": "b", "passed": False, "message": "x" * 600}]}
    assert records[1]["seconds"] is None and records[1]["cases"] == []
    assert not attempted(records[1]) and attempted(records[0])
    assert not attempted({"status": "absent", "note": "missing: no cell with grade_id ..."})
    assert attempted({"status": "absent", "note": "not graded: submission time limit"})
    path = cases_path(tmp_path / "grades.csv")
    assert path.name == "grades.cases.jsonl"
    append_cases(path, records)
    append_cases(path, [dict(records[0], points=2.0)])      # graded again: the later one wins
    with open(path, "a") as f:
        f.write('{"submission": "cut by an interr')           # an interrupted run's last line
    got, bad = read_cases(path)
    assert bad == 1 and len(got) == 2
    assert got["sub.ipynb", "core_skill"]["points"] == 2.0
    assert json.loads(path.read_text().splitlines()[0]) == records[0]


def test_correlation():
    assert correlation([1, 2, 3, 4], [2, 4, 6, 8]) == pytest.approx(1.0)
    assert correlation([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert correlation([1, 1, 1], [1, 2, 3]) is None and correlation([1, 2], [1, 2]) is None


def test_statistics_of_a_synthetic_class(tmp_path):
    out = synthetic_class(tmp_path, n=200, seed=1)
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    records, _ = read_cases(cases_path(out))
    stats = analyse(list(EXERCISES), rows, records)
    assert (stats["submissions"], stats["no_submission"]) == (200, 2)
    ex = stats["exercises"]
    # the easy exercise is passed more often than the hard one
    assert ex["warm_up"]["full"] > 0.6 > 0.3 > ex["core_skill"]["full"]
    # ability drives core_skill, not the coin flip
    assert ex["core_skill"]["discrimination"] > 0.5
    assert abs(ex["coin_flip"]["discrimination"]) < 0.2
    assert 0.15 < ex["last_one"]["not_attempted"] < 0.35 and ex["warm_up"]["not_attempted"] == 0
    # the hardest case of core_skill is the one most often failed, with an example message
    name, count, example = ex["core_skill"]["failing"][0]
    assert name == "core_skill case 3" and count > 100 and "wrong values" in example
    mean = np.mean([float(r["core_skill"]) for r in rows if r["submission"]])
    assert ex["core_skill"]["mean"] == pytest.approx(mean)
    assert ex["core_skill"]["seconds_mean"] == pytest.approx(
        np.mean([r["seconds"] for k, r in records.items() if k[1] == "core_skill"]))


def test_report_files(tmp_path):
    out = synthetic_class(tmp_path, n=30, seed=2)
    assert main(["report", str(out), "--out", str(tmp_path / "report")]) == 0
    page = (tmp_path / "report" / "index.html").read_text()
    summary = (tmp_path / "report" / "summary.md").read_text()
    assert page.count('<img src="data:image/png;base64,') == 3
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert "<b>at</b>" not in page and "&lt;b&gt;at&lt;/b&gt;" in page   # messages escaped
    for ex_id in EXERCISES:
        assert ex_id in page and f"| {ex_id} |" in summary
    assert "30 submission(s) graded, 2 without a submission" in summary
    assert "Most often failed:" in summary


def test_report_without_the_cases_file_shows_scores_only(tmp_path, capsys):
    out = synthetic_class(tmp_path, n=10, seed=3)
    cases_path(out).unlink()
    page, _ = write_report(out, tmp_path / "r")
    text = page.read_text()
    assert "No per-case file (grades.cases.jsonl)" in text and text.count("<img") == 2
    assert main(["report", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "r2")]) == 2
    assert "cannot be read" in capsys.readouterr().err
    assert math.isfinite(analyse(list(EXERCISES), [], {})["max_total"])


def test_summary_of_a_class_without_failures(tmp_path):
    out = synthetic_class(tmp_path, n=3, seed=4)
    records, _ = read_cases(cases_path(out))
    cases_path(out).write_text("")
    append_cases(cases_path(out), [dict(r, cases=[dict(c, passed=True) for c in r["cases"]])
                                   for r in records.values()])
    _, summary = write_report(out, tmp_path / "r")
    assert summary.read_text().endswith("Most often failed:\n- no case failed\n")

"""The batch grader on hostile submissions of lecture 1 (see tests/fixtures/make_submissions.py).

One grading run of the whole fixture folder (module fixture `graded`) serves
most tests; a few more runs check resuming, --jobs 1 and the time limits. A small class in
nbgrader's folders (module fixture `classroom`) checks --roster, --shard with merge, the
per-case file and resuming a finished run.
"""
import csv
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from mlcourse.__main__ import main as mlcourse_main
from mlcourse.grading import grader, report, roster, sandbox, worker

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from make_submissions import EVIL_MARKER, EXPECTED, IDS, make_submissions  # noqa: E402

pytestmark = pytest.mark.sandbox
FAST = ["--cell-timeout", "2", "--submission-timeout", "60"]


def read_csv(path, signed=True):
    """{stem: row} of a grades CSV (without the signature column unless `signed`)."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = {Path(row["submission"]).stem: row for row in csv.DictReader(f)}
    if not signed:
        for row in rows.values():
            row.pop("signature")
    return rows


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade every fixture submission in one run (2 jobs); return (folder, out, rows, feedback dir)."""
    root = tmp_path_factory.mktemp("grading")
    if os.path.exists(EVIL_MARKER):
        os.unlink(EVIL_MARKER)
    make_submissions(root / "subs")
    out, feedback = root / "grades.csv", root / "feedback"
    code = grader.main([str(root / "subs"), "--out", str(out), "--jobs", "2",
                        "--feedback", str(feedback), *FAST])
    assert code == 0
    return root, out, read_csv(out), feedback


def test_columns(graded):
    _, out, _, _ = graded
    with open(out, newline="") as f:
        header = next(csv.reader(f))
    assert header == ["submission", "student_id", *IDS, "total", "max_total", "percent",
                      "notes", "signature"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_submission_row(graded, name):
    points, fragments = EXPECTED[name]
    row = graded[2][name]
    got = {i: float(row[i]) for i in IDS}
    assert got == points, row["notes"]
    assert float(row["total"]) == pytest.approx(sum(points.values()))
    assert float(row["max_total"]) == float(len(IDS))
    assert row["percent"] == f"{round(100 * sum(points.values()) / len(IDS), 1):g}"
    assert row["student_id"] == ""                       # not in nbgrader's folders
    for exercise_id, fragment in fragments.items():
        assert fragment in row["notes"], row["notes"]
        if exercise_id:
            assert f"{exercise_id}: " in row["notes"]
    if name in ("correct", "no_metadata"):
        assert row["notes"] == ""


def test_hostile_return_value_is_never_unpickled(graded):
    assert not os.path.exists(EVIL_MARKER)


def test_feedback_files(graded):
    _, _, rows, feedback = graded
    files = sorted(feedback.glob("*.md"))
    assert len(files) == len(rows)
    text = next(f for f in files if "__partial." in f.name).read_text()
    earned = sum(EXPECTED["partial"][0].values())
    assert f"Total: {earned:g} of {len(IDS)} points" in text
    assert "[perceptron_update] score 0/1 - not implemented yet" in text
    assert "[perceptron_predict] score 1/1" in text


def test_resume_grades_only_missing_rows(graded, tmp_path, capsys):
    root, out, rows, _ = graded
    resumed = tmp_path / "grades.csv"
    with open(out, newline="", encoding="utf-8") as f:
        kept = [line for line in f if "partial.ipynb" not in line]
    resumed.write_text("".join(kept), encoding="utf-8")
    shutil.copy(grader.key_path(out), grader.key_path(resumed))
    capsys.readouterr()
    assert grader.main([str(root / "subs"), "--out", str(resumed), *FAST]) == 0
    assert "grading 1 submission(s)" in capsys.readouterr().err
    assert read_csv(resumed) == rows
    assert resumed.read_text() == out.read_text()       # same order, same bytes


def test_jobs_1_gives_the_same_rows(graded, tmp_path):
    root, _, rows, _ = graded
    names = ["correct", "partial", "segfault", "malformed"]
    paths = [str(root / "subs" / f"{n}.ipynb") for n in names]
    out = tmp_path / "serial.csv"
    assert grader.main([*paths, "--out", str(out), "--jobs", "1", *FAST]) == 0
    assert read_csv(out, signed=False) == {n: read_csv(graded[1], signed=False)[n] for n in names}


def test_submission_time_limit(graded, tmp_path):
    root, _, _, _ = graded
    out = tmp_path / "g.csv"
    assert grader.main([str(root / "subs" / "hang.ipynb"), "--out", str(out),
                        "--cell-timeout", "30", "--submission-timeout", "3"]) == 0
    row = read_csv(out)["hang"]
    assert row["perceptron_predict"] == row["perceptron_update"] == row["perceptron_fit"] == "0"
    assert "perceptron_predict: not graded: submission time limit" in row["notes"]
    assert "perceptron_fit: not graded: submission time limit" in row["notes"]


def test_other_lecture_is_named(graded):
    assert graded[2]["other_lecture"]["notes"] == "this is lecture 02_logistic, not 01_perceptron"


# ---------------------------------------------------------------- usage and output

def test_usage_errors(tmp_path, capsys):
    assert grader.main([str(tmp_path / "nothing-*.ipynb"), "--out", str(tmp_path / "g.csv")]) == 2
    assert "no notebook found" in capsys.readouterr().err
    nb = make_submissions(tmp_path / "subs")["blank"]
    assert grader.main([str(nb), "--out", str(tmp_path / "no" / "such" / "g.csv")]) == 2
    assert "cannot write --out" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()


def test_csv_is_written_atomically(tmp_path):
    out = tmp_path / "g.csv"
    columns = ["submission", "total"]
    grader.write_rows(out, columns, [{"submission": "a.ipynb", "total": "1"}])
    before = out.read_bytes()
    with pytest.raises(ValueError):   # a row with an unknown column fails half-way
        grader.write_rows(out, columns, [{"submission": "b.ipynb", "total": "2"},
                                         {"submission": "c.ipynb", "bogus": "3"}])
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.csv"]


def test_expand_folders_and_globs(tmp_path):
    paths = make_submissions(tmp_path / "subs")
    (tmp_path / "subs" / "inner").mkdir()
    shutil.copy(paths["blank"], tmp_path / "subs" / "inner" / "late.ipynb")
    found = grader.expand([str(tmp_path / "subs")])
    assert found == sorted(found) and len(found) == len(paths) + 1
    assert grader.expand([str(tmp_path / "subs" / "b*.ipynb"), str(paths["blank"])]) == \
        [str(paths["big_print"]), str(paths["blank"])]


# ---------------------------------------------------------------- units

@pytest.mark.parametrize("source, expected", [
    ("from mlcourse.perceptron import perceptron_fit", True),
    ("import numpy as np, mlcourse.perceptron as p", True),
    ("m = __import__('mlcourse.perceptron')", True),
    ("import mlcourse_extra\nx = 'from mlcourse import y'", False),
    ("def f():\n    return 1", False),
])
def test_imports_course(source, expected):
    assert worker.imports_course(source) is expected


def test_defines():
    assert worker._defines("import x\ndef perceptron_fit(X, y):\n    pass", "perceptron_fit")
    assert worker._defines("logic_weights = lambda: {}", "logic_weights")
    assert not worker._defines("perceptron_fit(X, y)", "perceptron_fit")
    assert not worker._defines("def perceptron_fit_helper(): pass", "perceptron_fit")


def test_safe_loads_refuses_code():
    import pickle
    import numpy as np
    plain = ("outcomes", [("ok", np.arange(3.0), "", (), 0)], {"k": np.float64(1.5)})
    got = sandbox.safe_loads(pickle.dumps(plain, protocol=4))
    assert np.array_equal(got[1][0][1], np.arange(3.0)) and got[2]["k"] == 1.5

    class Evil:
        def __reduce__(self):
            return (os.system, ("true",))
    with pytest.raises(pickle.UnpicklingError):
        sandbox.safe_loads(pickle.dumps(Evil()))


def test_byte_capped_writer():
    sink = sandbox.ByteCappedWriter(10)
    print("é" * 8, file=sink)
    assert sink.count == 17 and len(sink.kept) == 10 and sink.truncated


# ---------------------------------------------------------------- signed rows and resume

def test_resume_trusts_only_signed_rows(graded, tmp_path, capsys):
    root, out, _, _ = graded
    copy = tmp_path / "grades.csv"
    shutil.copy(grader.key_path(out), grader.key_path(copy))
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    tampered = [line.replace("blank.ipynb,,0,", "blank.ipynb,,1,", 1) for line in lines]
    assert tampered != lines
    forged = "/elsewhere/forged.ipynb,," + "1," * len(IDS) + f"{len(IDS)},{len(IDS)},100,,0000\r\n"
    copy.write_text("".join(tampered) + forged, encoding="utf-8")
    paths = [str(root / "subs" / "blank.ipynb"), str(root / "subs" / "correct.ipynb")]
    capsys.readouterr()
    assert grader.main([*paths, "--out", str(copy), *FAST]) == 0
    err = capsys.readouterr().err
    assert "2 row(s)" in err and "not written by this grader" in err
    assert "grading 1 submission(s)" in err          # blank again; correct kept
    rows = read_csv(copy)
    assert rows["blank"]["total"] == "0" and "forged" not in rows
    assert rows["blank"] == read_csv(out)["blank"]


def test_key_is_private_and_rows_verify(graded):
    _, out, _, _ = graded
    key_file = grader.key_path(out)
    assert key_file.stat().st_mode & 0o777 == 0o600
    rows, refused = grader.read_rows(out, grader.columns_of("01_perceptron"),
                                     grader.load_key(out))
    assert refused == 0 and len(rows) == len(EXPECTED)
    other = grader.read_rows(out, grader.columns_of("01_perceptron"), b"another key" * 3)
    assert other == ({}, len(EXPECTED))


# ---------------------------------------------------------------- the grader's side of the pipe

def _judgement(tmp_path):
    from make_submissions import answered
    return grader.Judgement(answered(), "01_perceptron", worker.Limits())


def _run_plan(j, upto=None):
    """Feed the judgement the messages of an honest runner, answering every case with the
    expected value, until the plan reaches exercise `upto` (started, not answered)."""
    for kind, what in j.plan:
        if kind == "cell":
            assert j.on_message(("cell", what)) is False
            assert j.on_message(("ran", what, "", 0)) is False
            continue
        assert j.on_message(("start", what)) is False
        if what == upto:
            return
        j.on_message(("found", ["a"]))
        for k, c in enumerate(grader.cases_of(what)):
            args = [a for a in c.args]
            j.on_message(("case", k, ("ok", c.expected, args, dict(c.kwargs), 0)))
        j.on_message(("end", 0))
    assert j.on_message(("done",)) is True


def test_judgement_follows_the_protocol(tmp_path):
    j = _judgement(tmp_path)
    first = j.todo[0]
    j.job(10)
    with pytest.raises(ValueError):      # a report for an exercise it has not started
        j.on_message(("found", []))
    cell = j.plan[0][1]
    with pytest.raises(ValueError):      # another cell than the plan's next one
        j.on_message(("cell", cell + 1))
    j = _judgement(tmp_path)
    j.job(10)
    _run_plan(j)
    plain = [i for i in j.reports if all(c.judge is None for c in grader.cases_of(i))]
    assert len(plain) >= 3 and first in j.reports
    assert all(j.reports[i][0].score == 1.0 for i in plain)


def test_judgement_refuses_a_case_beyond_the_cases(tmp_path):
    j = _judgement(tmp_path)
    j.job(10)
    first = next(what for kind, what in j.plan if kind == "ex")
    _run_plan(j, upto=first)
    j.on_message(("found", ["a"]))
    n = len(grader.cases_of(first))
    with pytest.raises(ValueError):
        j.on_message(("case", n, ("ok", 1.0, [], {}, 0)))


@pytest.mark.parametrize("report", [
    ("won", 1.0), ("ok", 1.0, [], {}), ("ok", 1.0, (), {}, 0), ("ok", 1.0, [], {}, -1),
    ("ok", sandbox.ByteCappedWriter(1), [], {}, 0), ("error", 3, 0), "ok",
])
def test_case_reports_off_the_schema_are_refused(tmp_path, report):
    j = _judgement(tmp_path)
    j.job(10)
    first = next(what for kind, what in j.plan if kind == "ex")
    _run_plan(j, upto=first)
    j.on_message(("found", ["a"]))
    with pytest.raises(ValueError):
        j.on_message(("case", 0, report))


def test_mutated_inputs_are_judged_by_the_grader(tmp_path):
    j = _judgement(tmp_path)
    j.job(10)
    first = "perceptron_update"
    _run_plan(j, upto=first)
    j.on_message(("found", ["w", "b", "x", "y", "lr"]))
    for k, c in enumerate(grader.cases_of(first)):
        args = [np.array(a) + 1.0 if isinstance(a, np.ndarray) else a for a in c.args]
        j.on_message(("case", k, ("ok", c.expected, args, dict(c.kwargs), 0)))
    j.on_message(("end", 0))
    report = j.reports[first][0]
    assert report.n_passed == 0
    assert "changed its input(s)" in report.results[0].message


def test_scores_are_clamped():
    row = grader.make_row("x.ipynb", "01_perceptron", {"perceptron_fit": 61.0,
                                                       "perceptron_predict": -3.0})
    assert row["perceptron_fit"] == "1" and row["perceptron_predict"] == "0"
    assert row["total"] == "1"


# ---------------------------------------------------------------- the per-case file

def test_cases_file_beside_the_csv(graded, tmp_path):
    _, out, rows, _ = graded
    cases = report.cases_path(out)
    assert cases == out.with_name("grades.cases.jsonl")
    lines = cases.read_text(encoding="utf-8").splitlines()
    records, bad = report.read_cases(cases)
    assert bad == 0 and len(lines) == len(records) == len(rows) * len(IDS)   # one per pair
    by = {(Path(s).stem, e): r for (s, e), r in records.items()}
    for name, (points, _) in EXPECTED.items():
        for exercise_id in IDS:
            assert by[name, exercise_id]["points"] == points[exercise_id], (name, exercise_id)
    correct = by["correct", "perceptron_predict"]
    assert correct["status"] == "graded" and correct["cases"]
    assert all(c["passed"] for c in correct["cases"]) and correct["seconds"] >= 0
    failed = by["monkeypatch_compare", "perceptron_predict"]
    assert not any(c["passed"] for c in failed["cases"]) and failed["cases"][0]["message"]
    assert by["partial", "perceptron_fit"]["status"] == "missing"
    unread = by["malformed", "perceptron_fit"]
    assert unread["status"] == "absent" and unread["seconds"] is None
    assert unread["note"].startswith("not a readable notebook")
    assert by["other_lecture", "perceptron_fit"]["note"] == \
        "this is lecture 02_logistic, not 01_perceptron"
    assert mlcourse_main(["report", str(out), "--out", str(tmp_path / "report")]) == 0
    page = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    summary = (tmp_path / "report" / "summary.md").read_text(encoding="utf-8")
    assert "No per-case file" not in page and "perceptron_predict" in page
    assert f"{len(rows)} submission(s) graded" in summary


# ---------------------------------------------------------------- a class: roster, shards

CLASS = {"s1": "correct", "s2": "partial", "s3": "blank", "s4": "malformed"}   # s4: not on it
ROSTER = "student_id,name,email\ns1,Ada One,ada@uni.edu\ns2,Bo Two,bo@uni.edu\n" \
         "s3,Cy Three,cy@uni.edu\ns5,Di Five,di@uni.edu\n"                      # s5: none


def grade_class(*args):
    """grader.main in the classroom folder (paths relative to it, as an instructor types them)."""
    return grader.main(["submitted", "--roster", "roster.csv", *FAST, *args])


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    """nbgrader's submitted/<student>/01_perceptron/01_perceptron.ipynb for CLASS, a roster,
    and one run with --roster into full.csv; returns the folder."""
    root = tmp_path_factory.mktemp("classroom")
    made = make_submissions(root / "fixtures")
    for student, name in CLASS.items():
        folder = root / "submitted" / student / "01_perceptron"
        folder.mkdir(parents=True)
        shutil.copy(made[name], folder / "01_perceptron.ipynb")
    (root / "roster.csv").write_text(ROSTER, encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        assert grade_class("--out", "full.csv", "--jobs", "2") == 0
    finally:
        os.chdir(cwd)
    return root


@pytest.fixture
def in_classroom(classroom, monkeypatch):
    monkeypatch.chdir(classroom)
    return classroom


def by_student(path):
    with open(path, newline="", encoding="utf-8") as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


def test_roster_gives_students_their_rows(in_classroom):
    with open("full.csv", newline="") as f:
        header = next(csv.reader(f))
    assert header == ["submission", "student_id", "name", "email", *IDS, "total", "max_total",
                      "percent", "notes", "signature"]
    rows = by_student("full.csv")
    assert list(rows) == ["s1", "s2", "s3", "s4", "s5"]       # by path, then the roster's missing
    s1, s2, s3 = rows["s1"], rows["s2"], rows["s3"]
    assert (s1["name"], s1["email"], s1["percent"], s1["notes"]) == \
        ("Ada One", "ada@uni.edu", "100", "")
    assert s1["submission"] == "submitted/s1/01_perceptron/01_perceptron.ipynb"
    earned = sum(EXPECTED["partial"][0].values())
    assert s2["total"] == f"{earned:g}" and s2["percent"] == f"{round(100 * earned / len(IDS), 1):g}"
    assert s3["percent"] == "0" and "not implemented yet" in s3["notes"]
    assert rows["s4"]["name"] == "" and rows["s4"]["notes"].startswith("not a readable notebook")
    assert f"{roster.NOT_ON_ROSTER} (student id 's4' from the path)" in rows["s4"]["notes"]
    s5 = rows["s5"]
    assert (s5["submission"], s5["name"], s5["notes"], s5["total"], s5["max_total"]) == \
        ("", "Di Five", roster.NO_SUBMISSION, "0", f"{len(IDS)}")
    assert all(s5[i] == "" for i in IDS)
    key = grader.load_key("full.csv")
    assert grader.read_rows("full.csv", grader.columns_of("01_perceptron", {}), key)[1] == 0


def test_resume_of_a_finished_run_grades_nothing(in_classroom, capsys):
    before = Path("full.csv").read_bytes()
    cases = Path("full.cases.jsonl").read_bytes()
    capsys.readouterr()
    assert grade_class("--out", "full.csv") == 0
    assert "grading 0 submission(s)" in capsys.readouterr().err
    assert Path("full.csv").read_bytes() == before
    assert Path("full.cases.jsonl").read_bytes() == cases          # nothing graded again


def test_shards_merged_equal_one_run(in_classroom, capsys):
    capsys.readouterr()
    for k, graded_here in ((1, 2), (2, 1)):          # s1 s2 | s3 s4 (s4 is not readable)
        assert grade_class("--out", f"part{k}.csv", "--shard", f"{k}/2", "--jobs", "1") == 0
        assert f"grading {graded_here} submission(s)" in capsys.readouterr().err
    parts = [by_student(f"part{k}.csv") for k in (1, 2)]
    assert [sorted(p) for p in parts] == [["s1", "s2"], ["s3", "s4"]]  # no "no submission" rows
    assert mlcourse_main(["merge", "part1.csv", "part2.csv", "--out", "merged.csv",
                          "--roster", "roster.csv"]) == 0
    unsigned = lambda path: [{k: v for k, v in r.items() if k != "signature"}  # noqa: E731
                             for r in csv.DictReader(open(path, newline=""))]
    assert unsigned("merged.csv") == unsigned("full.csv")
    merged, full = (report.read_cases(f"{n}.cases.jsonl")[0] for n in ("merged", "full"))
    assert set(merged) == set(full) and len(full) == len(CLASS) * len(IDS)
    assert {k: r["points"] for k, r in merged.items()} == {k: r["points"] for k, r in full.items()}
    assert grader.read_rows("merged.csv", grader.columns_of("01_perceptron", {}),
                            grader.load_key("merged.csv"))[1] == 0


def test_roster_and_shard_usage_errors(in_classroom, capsys, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("student_id,name\ns1,Ada\n", encoding="utf-8")
    out = str(tmp_path / "g.csv")
    assert grader.main(["submitted", "--roster", str(bad), "--out", out]) == 2
    assert "line 1: missing column(s) email" in capsys.readouterr().err
    assert grader.main(["submitted", "--shard", "3/2", "--out", out]) == 2
    assert "K must be between 1 and N" in capsys.readouterr().err
    assert not Path(out).exists()
    assert grade_class("--out", "full.csv", "--jobs", "1", "--roster", str(bad)) == 2
    capsys.readouterr()
    assert grader.main(["submitted", "--out", out, "--dask-scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "run the grader with .venv-dask/bin/python" in capsys.readouterr().err

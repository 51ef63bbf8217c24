"""The batch grader on hostile submissions of lecture 1 (see tests/fixtures/make_submissions.py).

One grading run of the whole fixture folder (module fixture `graded`) serves
most tests; a few more runs check resuming, --jobs 1 and the time limits.
"""
import csv
import os
import shutil
import sys
from pathlib import Path

import pytest

from mlcourse.grading import grader, sandbox, worker

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
    assert header == ["submission", *IDS, "total", "max_total", "notes", "signature"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_submission_row(graded, name):
    points, fragments = EXPECTED[name]
    row = graded[2][name]
    got = {i: float(row[i]) for i in IDS}
    assert got == points, row["notes"]
    assert float(row["total"]) == pytest.approx(sum(points.values()))
    assert float(row["max_total"]) == 5.0
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
    text = next(f for f in files if f.name.endswith("__partial.feedback.md")).read_text()
    assert "Total: 3 of 5 points" in text
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
    tampered = [line.replace(",0,0,0,0,0,0,5,", ",1,1,1,1,1,5,5,", 1)
                if "/blank.ipynb" in line else line for line in lines]
    assert tampered != lines
    forged = "/elsewhere/forged.ipynb,1,1,1,1,1,5,5,,0000\r\n"
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


def _full_run(index, exercise_id):
    cases = grader.cases_of(exercise_id)
    return {"cells": [(index, "", 0)], "stuck_at": None, "found": True, "reference": "",
            "not_plain": "", "probe_crash": "", "ending": "finished", "detail": "",
            "output_bytes": 0, "outcomes": [("ok", c.expected, "", (), 0) for c in cases]}


def test_judgement_follows_the_protocol(tmp_path):
    j = _judgement(tmp_path)
    first, index = j.todo[0]
    j.job(10)
    assert j.on_message(("setup", [])) is False
    with pytest.raises(ValueError):      # a report for an exercise it has not started
        j.on_message(("run", first, index, _full_run(index, first)))
    assert j.on_message(("start", first)) is False
    with pytest.raises(ValueError):      # a report on another cell
        j.on_message(("run", first, index + 1, _full_run(index, first)))
    j.on_message(("run", first, index, _full_run(index, first)))
    assert j.reports[first][0].score == 1.0
    with pytest.raises(ValueError):      # done before the other exercises
        j.on_message(("done",))


@pytest.mark.parametrize("change", [
    {"ending": "won"}, {"found": 1}, {"stuck_at": 99}, {"cells": [(99, "", 0)]},
    {"outcomes": [("ok", 1.0, "", (), 0)] * 1000}, {"output_bytes": -1},
    {"outcomes": [("ok", sandbox.CellRun(1), "", (), 0)]}, {"extra": 1},
])
def test_run_reports_off_the_schema_are_refused(change):
    steps = {3}
    good = {"cells": [(3, "", 0)], "stuck_at": None, "found": True, "reference": "",
            "not_plain": "", "probe_crash": "", "ending": "finished", "detail": "",
            "output_bytes": 0, "outcomes": [("ok", 1.0, "", (), 0)]}
    assert sandbox.run_from_plain(good, steps, 4).found
    with pytest.raises(ValueError):
        sandbox.run_from_plain({**good, **change}, steps, 4)


def test_scores_are_clamped():
    row = grader.make_row("x.ipynb", "01_perceptron", {"perceptron_fit": 61.0,
                                                       "perceptron_predict": -3.0})
    assert row["perceptron_fit"] == "1" and row["perceptron_predict"] == "0"
    assert row["total"] == "1"

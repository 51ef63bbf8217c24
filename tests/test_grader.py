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

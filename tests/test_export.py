"""LMS exports (export.py): Canvas's gradebook import CSV and Moodle's grade import CSV.

The required headers are those of each system's documented import: Canvas (Grades > Import,
the layout of its own gradebook export) needs Student, ID, SIS User ID, SIS Login ID and
Section before the assignment columns and takes the maxima from the "Points Possible" row;
Moodle's CSV import maps a user column (email address -> useremail, ID number ->
useridnumber) and one column per grade item.
"""
import csv

import pytest

from mlcourse.__main__ import main
from mlcourse.grading.export import (CANVAS_COLUMNS, ExportError, collect, read_gradebook)
from mlcourse.grading.roster import Student, columns, gradebook

IDS = ["ex_a", "ex_b"]
ROSTER = {"s1": Student("s1", "Ann Ames", "ann@uni.edu"), "s2": Student("s2", "Bo, Jr.", ""),
          "s3": Student("s3", "Cy", "cy@uni.edu")}


def grades_csv(path, assignment, scores, roster=ROSTER, extra=()):
    """A grades CSV as the grader writes it with --roster: {student: (a, b)} plus `extra`
    submission paths (not on the roster)."""
    rows = [{"submission": f"submitted/{sid}/{assignment}/{assignment}.ipynb",
             "ex_a": f"{a:g}", "ex_b": f"{b:g}", "total": f"{a + b:g}", "max_total": "3",
             "notes": ""} for sid, (a, b) in scores.items()]
    rows += [{"submission": p, "ex_a": "1", "ex_b": "0", "total": "1", "max_total": "3",
              "notes": ""} for p in extra]
    out = gradebook(rows, IDS, roster)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns(IDS, roster))
        writer.writeheader()
        writer.writerows(out)
    return path


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@pytest.fixture
def two_assignments(tmp_path):
    ps1 = grades_csv(tmp_path / "ps1.csv", "ps1", {"s1": (1, 2), "s3": (0.5, 0)},
                     extra=["loose/anon.ipynb", "submitted/s9/ps1/ps1.ipynb"])
    ps2 = grades_csv(tmp_path / "ps2.csv", "ps2", {"s1": (1, 1), "s2": (1, 0.25), "s3": (0, 0)})
    return ps1, ps2


def test_canvas_export(tmp_path, two_assignments, capsys):
    out = tmp_path / "canvas.csv"
    assert main(["export", *map(str, two_assignments), "--format", "canvas", "--out", str(out),
                 "--section", "NN-101"]) == 0
    rows = read(out)
    assert rows[0] == CANVAS_COLUMNS + ["ps1", "ps2"] == [
        "Student", "ID", "SIS User ID", "SIS Login ID", "Section", "ps1", "ps2"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "3", "3"]
    body = {r[2]: r for r in rows[2:]}
    assert body["s1"] == ["Ann Ames", "", "s1", "ann@uni.edu", "NN-101", "3", "2"]
    assert body["s2"] == ["Bo, Jr.", "", "s2", "", "NN-101", "0", "1.25"]   # no ps1 submission: 0
    assert body["s3"][5:] == ["0.5", "0"]
    assert len(rows) == 2 + 3          # the rows without a student id or not on the roster: out
    err = capsys.readouterr().err
    assert "'loose/anon.ipynb' has no student id (left out)" in err
    assert "student 's9' is not on the roster it was graded with (left out)" in err


def test_moodle_export_by_email_and_by_id_number(tmp_path, two_assignments, capsys):
    out = tmp_path / "moodle.csv"
    assert main(["export", *map(str, two_assignments), "--format", "moodle", "--out", str(out)]) == 0
    rows = read(out)
    assert rows[0] == ["ID number", "Email address", "Full name", "ps1", "ps2"]
    assert rows[1:] == [["s1", "ann@uni.edu", "Ann Ames", "3", "2"],
                        ["s3", "cy@uni.edu", "Cy", "0.5", "0"]]
    assert "student 's2' has no email" in capsys.readouterr().err
    assert main(["export", *map(str, two_assignments), "--format", "moodle", "--out", str(out),
                 "--moodle-key", "idnumber"]) == 0
    assert [r[0] for r in read(out)[1:]] == ["s1", "s3", "s2"]


def test_bad_inputs_are_refused(tmp_path, two_assignments, capsys):
    ps1, _ = two_assignments
    not_grades = tmp_path / "roster.csv"
    not_grades.write_text("student_id,name,email\ns1,A,a@x\n")
    assert main(["export", str(not_grades), "--format", "canvas", "--out",
                 str(tmp_path / "x.csv")]) == 2
    assert "no column submission, total, max_total" in capsys.readouterr().err
    with pytest.raises(ExportError, match="already in another CSV"):
        collect([ps1, ps1])
    twice = grades_csv(tmp_path / "twice.csv", "ps3", {"s1": (1, 1)},
                       extra=["b/submitted/s1/ps3/ps3.ipynb"])
    with pytest.raises(ExportError, match="student 's1' has another row on line 2"):
        collect([twice])


def test_read_gradebook_accepts_the_csv_without_student_columns(tmp_path):
    old = tmp_path / "old.csv"
    old.write_text("submission,ex_a,total,max_total,notes,signature\nx.ipynb,1,1,1,,abc\n")
    ids, rows = read_gradebook(old)
    assert ids == ["ex_a"] and rows[0]["total"] == "1"

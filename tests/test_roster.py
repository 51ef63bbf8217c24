"""Students, not files: nbgrader paths, the roster file and the gradebook rows (roster.py)."""
import pytest

from mlcourse.grading import grader
from mlcourse.grading.roster import (NO_SUBMISSION, NOT_ON_ROSTER, RosterError, Student, columns,
                                     gradebook, nbgrader_parts, percent, read_roster, student_of)

IDS = ["ex_a", "ex_b"]


def row(submission, a="1", b="0.5", notes=""):
    return {"submission": submission, "ex_a": a, "ex_b": b,
            "total": f"{float(a) + float(b):g}", "max_total": "2", "notes": notes}


def write(tmp_path, text, name="roster.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("path, expected", [
    ("submitted/s001/01_perceptron/01_perceptron.ipynb", ("s001", "01_perceptron")),
    ("/course/submitted/alice.b/ps1/ps1.ipynb", ("alice.b", "ps1")),
    ("autograded/s9/ps1/ps1.ipynb", ("s9", "ps1")),
    ("submitted/s001/01_perceptron.ipynb", None),            # no assignment folder
    ("submissions/s001/ps1/ps1.ipynb", None),                # not nbgrader's folder name
    ("submitted/s001/ps1/deep/ps1.ipynb", None),             # one level too deep
    ("submitted/s001/ps1/ps1.txt", None),
    ("alice.ipynb", None),
])
def test_nbgrader_paths(path, expected):
    assert nbgrader_parts(path) == expected
    assert student_of(path) == (expected[0] if expected else None)


def test_read_roster_keeps_order_and_ignores_extra_columns(tmp_path):
    path = write(tmp_path, "\ufeffemail,student_id,name,section\n"
                           "b@x.org,s2,Bea Bauer,A\n\n a@x.org , s1 ,\"Ali, Ahmed\",B\n")
    roster = read_roster(path)
    assert list(roster) == ["s2", "s1"]
    assert roster["s1"] == Student("s1", "Ali, Ahmed", "a@x.org")


@pytest.mark.parametrize("text, message", [
    ("student_id,name\ns1,A\n", "line 1: missing column(s) email"),
    ("id,name,mail\n", "line 1: missing column(s) student_id, email"),
    ("student_id,name,email\ns1,A,a@x.org\ns2,B,b@x.org\ns1,C,c@x.org\n",
     "line 4: student_id 's1' already on line 2"),
    ("student_id,name,email\ns1,A,a@x.org\ns2,B,A@x.org\n", "line 3: email 'A@x.org' already on line 2"),
    ("student_id,name,email\ns1,A,a@x.org,extra\n", "line 2: 4 field(s), expected 3"),
    ("student_id,name,email\n,A,a@x.org\n", "line 2: empty student_id"),
    ("student_id,name,email\ns1,A,not-an-email\n", "line 2: email 'not-an-email' is not"),
    ("", "line 1: missing column(s) student_id, name, email"),
])
def test_malformed_rosters_are_refused_with_the_line(tmp_path, text, message):
    with pytest.raises(RosterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_roster(write(tmp_path, text))


def test_unreadable_roster(tmp_path):
    with pytest.raises(RosterError, match="no such file"):
        read_roster(tmp_path / "nope.csv")
    path = tmp_path / "latin1.csv"
    path.write_bytes("student_id,name,email\ns1,Jos\xe9,j@x.org\n".encode("latin-1"))
    with pytest.raises(RosterError, match="UTF-8"):
        read_roster(path)


def test_percent():
    assert percent("1.5", "2") == "75"
    assert percent("2", "3") == "66.7"
    assert percent("0", "0") == "" and percent("", "2") == ""


def test_gradebook_without_roster_adds_student_id_and_percent():
    rows = [row("submitted/s1/ps1/ps1.ipynb"), row("loose/alice.ipynb", "0", "0", "x")]
    out = gradebook(rows, IDS)
    assert [list(r) for r in out] == [columns(IDS)] * 2
    assert [(r["student_id"], r["percent"], r["notes"]) for r in out] == [
        ("s1", "75", ""), ("", "0", "x")]


def test_gradebook_with_roster(tmp_path):
    roster = read_roster(write(tmp_path, "student_id,name,email\n"
                                         "s1,Ann,a@x.org\ns2,Bob,b@x.org\ns3,Cy,c@x.org\n"))
    rows = [row("submitted/s3/ps1/ps1.ipynb", notes="ex_b: 1 of 2 cases"),
            row("submitted/s9/ps1/ps1.ipynb"),          # not on the roster
            row("elsewhere/x.ipynb")]                    # no student id at all
    out = gradebook(rows, IDS, roster)
    assert list(out[0]) == columns(IDS, roster)
    by = {(r["submission"], r["student_id"]): r for r in out}
    cy = by["submitted/s3/ps1/ps1.ipynb", "s3"]
    assert (cy["name"], cy["email"], cy["percent"], cy["notes"]) == (
        "Cy", "c@x.org", "75", "ex_b: 1 of 2 cases")
    assert by["submitted/s9/ps1/ps1.ipynb", "s9"]["notes"].startswith(NOT_ON_ROSTER)
    assert by["elsewhere/x.ipynb", ""]["notes"].startswith(NOT_ON_ROSTER + " (no student id")
    missing = [r for r in out if not r["submission"]]       # roster order, after the graded rows
    assert [(r["student_id"], r["name"], r["notes"], r["total"], r["ex_a"], r["percent"])
            for r in missing] == [("s1", "Ann", NO_SUBMISSION, "0", "", "0"),
                                  ("s2", "Bob", NO_SUBMISSION, "0", "", "0")]
    assert out[:3] == [by[k] for k in list(by)[:3]]         # graded rows keep their order
    assert gradebook(out, IDS, roster) == out                # idempotent: flags said once


def test_two_submissions_of_one_student_are_both_kept_and_flagged():
    out = gradebook([row("a/submitted/s1/ps1/ps1.ipynb"), row("b/submitted/s1/ps1/ps1.ipynb")], IDS)
    assert [r["notes"] for r in out] == ["one of 2 submissions of this student"] * 2


def test_gradebook_rows_are_signed_with_the_graders_sign(tmp_path):
    """The grader signs the rows with its key over the gradebook's columns; read_rows then
    accepts them (and refuses an edited one)."""
    roster = {"s1": Student("s1", "Ann", "a@x.org")}
    out_csv = tmp_path / "grades.csv"
    key, cols = grader.load_key(out_csv), columns(IDS, roster)
    out = gradebook([row("submitted/s1/ps1/ps1.ipynb")], IDS, roster,
                    sign=lambda r: grader.sign(key, cols, r))
    grader.write_rows(out_csv, cols, out)
    rows, refused = grader.read_rows(out_csv, cols, key)
    assert (list(rows), refused) == (["submitted/s1/ps1/ps1.ipynb"], 0)
    out[0]["percent"] = "100"                                 # negative control: an edit
    grader.write_rows(out_csv, cols, out)
    assert grader.read_rows(out_csv, cols, key) == ({}, 1)


def test_no_submission_rows_of_an_empty_shard_get_the_given_maximum():
    roster = {"s1": Student("s1", "Ann", "a@x.org")}
    assert gradebook([], IDS, roster)[0]["max_total"] == ""
    [only] = gradebook([], IDS, roster, max_total="2")
    assert (only["max_total"], only["percent"], only["notes"]) == ("2", "0", NO_SUBMISSION)

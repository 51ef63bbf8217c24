"""Gradebooks an LMS imports: `python -m mlcourse export grades.csv [...] --format canvas|moodle
--out FILE`.

Each grades CSV (one per assignment, as the grader writes it) becomes one column of points
(its `total`), matched to students by their `student_id` (and `email`, from `--roster` at
grading time).

* Canvas (Grades > Import): the columns of Canvas's own gradebook export, `Student`, `ID`,
  `SIS User ID`, `SIS Login ID`, `Section`, then one column per assignment; the second row,
  `Points Possible`, holds each assignment's maximum. Canvas matches a row by `SIS User ID`
  (our student id; `ID`, Canvas's internal number, is left empty) and creates an assignment
  for a column whose name it does not know.
* Moodle (Grades > Import > CSV file): `ID number`, `Email address`, `Full name`, then one
  column per assignment. In the import's preview, map "Email address" to `useremail` (the
  default key here) or "ID number" to `useridnumber`, and each assignment column to its grade
  item (whose maximum grade should be the assignment's `max_total`).

A row without the key the LMS needs (no student id, or no email for Moodle keyed by email)
cannot be imported, nor one flagged as not on the roster the CSV was graded with: it is left
out and named on stderr.
"""
import argparse
import csv
import sys
from pathlib import Path

from mlcourse.grading.roster import NOT_ON_ROSTER, nbgrader_parts

NON_EXERCISE = ("submission", "student_id", "name", "email", "total", "max_total", "percent",
                "notes", "signature")
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS_ROW = "    Points Possible"      # as in Canvas's export (the leading spaces too)
MOODLE_COLUMNS = ["ID number", "Email address", "Full name"]


class ExportError(ValueError):
    """A grades CSV that cannot be exported; the message says which and why."""


# ---------------------------------------------------------------- reading grades CSVs

def read_gradebook(path):
    """(exercise ids, rows) of a grades CSV written by the grader (any version: the student
    columns are optional). ExportError if it lacks `submission`, `total` or `max_total`."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames or []
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ExportError(f"{path}: cannot be read as a grades CSV ({exc})") from None
    missing = [c for c in ("submission", "total", "max_total") if c not in header]
    if missing:
        raise ExportError(f"{path}: not a grades CSV of `python -m mlcourse grade` "
                          f"(no column {', '.join(missing)})")
    return [c for c in header if c not in NON_EXERCISE], rows


def assignment_of(path, exercise_ids, rows):
    """The assignment's name: the lecture of its exercises, else the nbgrader assignment
    folder of its submissions, else the CSV's file name without .csv."""
    try:
        from mlcourse.grading import framework
        lectures = {framework.get_exercise(i).lecture for i in exercise_ids}
        if len(lectures) == 1:
            return lectures.pop()
    except Exception:           # noqa: BLE001 - exercises of another course version
        pass
    folders = {p[1] for p in map(nbgrader_parts, (r["submission"] for r in rows)) if p}
    return folders.pop() if len(folders) == 1 else Path(path).stem


def collect(paths):
    """(assignments [(name, max points)], students {student_id: {name, email, scores}},
    problems [str]) from grades CSVs, one assignment each."""
    assignments, students, problems = [], {}, []
    for path in paths:
        ids, rows = read_gradebook(path)
        name = assignment_of(path, ids, rows)
        if name in (a for a, _ in assignments):
            raise ExportError(f"{path}: assignment {name!r} is already in another CSV")
        maxima = {r["max_total"] for r in rows if r["max_total"]}
        assignments.append((name, max(maxima, key=float) if maxima else ""))
        seen = {}
        for line, row in enumerate(rows, start=2):
            sid = (row.get("student_id") or "").strip()
            if not sid:
                problems.append(f"{path}, line {line}: {row['submission']!r} has no student id "
                                "(left out)")
                continue
            if "email" in row and NOT_ON_ROSTER in row.get("notes", ""):
                problems.append(f"{path}, line {line}: student {sid!r} is not on the roster it "
                                "was graded with (left out)")
                continue
            if sid in seen:
                raise ExportError(f"{path}, line {line}: student {sid!r} has another row on "
                                  f"line {seen[sid]}; keep one submission per student")
            seen[sid] = line
            student = students.setdefault(sid, {"name": "", "email": "", "scores": {}})
            student["name"] = student["name"] or row.get("name", "")
            student["email"] = student["email"] or row.get("email", "")
            student["scores"][name] = row["total"]
    return assignments, students, problems


# ---------------------------------------------------------------- the formats

def canvas_rows(assignments, students, section=""):
    """Canvas's gradebook CSV as a list of rows (lists): header, Points Possible, students."""
    names = [a for a, _ in assignments]
    out = [CANVAS_COLUMNS + names, [CANVAS_POINTS_ROW, "", "", "", ""] + [m for _, m in assignments]]
    for sid, s in students.items():
        out.append([s["name"], "", sid, s["email"], section]
                   + [s["scores"].get(a, "") for a in names])
    return out


def moodle_rows(assignments, students, key="email"):
    """(rows of Moodle's grade import CSV, students left out for lack of the key)."""
    names = [a for a, _ in assignments]
    out, left_out = [MOODLE_COLUMNS + names], []
    for sid, s in students.items():
        if key == "email" and not s["email"]:
            left_out.append(f"student {sid!r} has no email (left out; grade with --roster, "
                            "or export with --moodle-key idnumber)")
            continue
        out.append([sid, s["email"], s["name"]] + [s["scores"].get(a, "") for a in names])
    return out, left_out


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def export(paths, fmt, out, section="", moodle_key="email"):
    """Write the export; returns the problems (rows left out), one line each."""
    assignments, students, problems = collect(paths)
    if fmt == "canvas":
        rows = canvas_rows(assignments, students, section)
    else:
        rows, left_out = moodle_rows(assignments, students, moodle_key)
        problems += left_out
    write_csv(out, rows)
    return problems


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m mlcourse export",
                                description="Write grades CSVs in an LMS's import format.")
    p.add_argument("grades", nargs="+", metavar="GRADES.csv",
                   help="grades CSVs of `python -m mlcourse grade` (one column each)")
    p.add_argument("--format", required=True, choices=("canvas", "moodle"))
    p.add_argument("--out", required=True, help="the CSV file to write")
    p.add_argument("--section", default="", help="Canvas: the Section column (default empty)")
    p.add_argument("--moodle-key", choices=("email", "idnumber"), default="email",
                   help="Moodle: the user field rows are matched by (default %(default)s)")
    args = p.parse_args(argv)
    try:
        problems = export(args.grades, args.format, args.out, args.section, args.moodle_key)
    except (ExportError, OSError) as exc:
        print(f"mlcourse export: error: {exc}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    print(f"wrote {args.out} ({args.format})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

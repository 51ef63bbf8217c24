"""Students, not files: student ids from nbgrader's folders, a class roster, and the gradebook rows.

nbgrader keeps a class's submissions as `submitted/<student_id>/<assignment>/<notebook>.ipynb`;
`student_of(path)` reads the student id from such a path. A roster is a CSV file with the
columns `student_id,name,email` (`read_roster`). `gradebook(rows, exercise_ids, roster)` turns
the grader's rows (one per submission) into the rows of the CSV an instructor reads: each with
`student_id` (and `name`, `email` with a roster) and `percent`, a "no submission" row for each
student of the roster without a submission, and a note on every submission that is not on it.
`columns(exercise_ids, roster)` gives that CSV's columns.
"""
import csv
from dataclasses import dataclass
from pathlib import Path

ROSTER_COLUMNS = ("student_id", "name", "email")
NBGRADER_FOLDERS = ("submitted", "autograded")   # nbgrader's folders laid out by student
NO_SUBMISSION = "no submission"
NOT_ON_ROSTER = "not on the roster"
SIGNATURE = "signature"                          # the grader's last column (grader.SIGNATURE)


class RosterError(ValueError):
    """A roster file that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Student:
    student_id: str
    name: str
    email: str


# ---------------------------------------------------------------- student ids from paths

def nbgrader_parts(path):
    """(student_id, assignment) if `path` is laid out as nbgrader's
    `submitted/<student_id>/<assignment>/<notebook>.ipynb` (or `autograded/...`), else None."""
    parts = Path(path).parts
    if len(parts) < 4 or not parts[-1].endswith(".ipynb"):
        return None
    folder, student, assignment = parts[-4], parts[-3], parts[-2]
    if folder not in NBGRADER_FOLDERS or not student.strip() or student.startswith("."):
        return None
    return student, assignment


def student_of(path):
    """The student id in an nbgrader path (see nbgrader_parts), else None."""
    parts = nbgrader_parts(path)
    return parts[0] if parts else None


# ---------------------------------------------------------------- the roster file

def read_roster(path):
    """{student_id: Student} from a CSV file with the columns student_id,name,email (in any
    order; other columns are ignored), in the file's order.

    Raises RosterError naming the line for: a missing column, a line with the wrong number of
    fields, an empty student_id, an email without "@", a student id or email given twice."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")      # -sig: a spreadsheet's byte-order mark
    except FileNotFoundError:
        raise RosterError(f"roster {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"roster {path}: cannot be read as UTF-8 text ({exc})") from None
    reader = csv.reader(text.splitlines())
    header = [h.strip() for h in next(reader, [])]
    missing = [c for c in ROSTER_COLUMNS if c not in header]
    if missing:
        raise RosterError(f"roster {path}, line 1: missing column(s) {', '.join(missing)} "
                          f"(the header must name {','.join(ROSTER_COLUMNS)}; "
                          f"found {','.join(header) or 'nothing'})")
    where = {c: header.index(c) for c in ROSTER_COLUMNS}
    students, seen_email = {}, {}
    for line, fields in enumerate(reader, start=2):
        if not any(f.strip() for f in fields):
            continue                                      # blank line
        if len(fields) != len(header):
            raise RosterError(f"roster {path}, line {line}: {len(fields)} field(s), expected "
                              f"{len(header)} ({','.join(header)})")
        sid, name, email = (fields[where[c]].strip() for c in ROSTER_COLUMNS)
        if not sid:
            raise RosterError(f"roster {path}, line {line}: empty student_id")
        if email and email.count("@") != 1:
            raise RosterError(f"roster {path}, line {line}: email {email!r} is not an email "
                              "address")
        if sid in students:
            raise RosterError(f"roster {path}, line {line}: student_id {sid!r} already on line "
                              f"{students[sid][0]}")
        if email and email.lower() in seen_email:
            raise RosterError(f"roster {path}, line {line}: email {email!r} already on line "
                              f"{seen_email[email.lower()]}")
        students[sid] = (line, Student(sid, name, email))
        if email:
            seen_email[email.lower()] = line
    return {sid: student for sid, (_, student) in students.items()}


# ---------------------------------------------------------------- the gradebook rows

def columns(exercise_ids, roster=None):
    """The gradebook's columns: submission, student_id (name, email with a roster), one per
    exercise, total, max_total, percent, notes, signature."""
    who = ["student_id", "name", "email"] if roster is not None else ["student_id"]
    return ["submission", *who, *exercise_ids, "total", "max_total", "percent", "notes",
            SIGNATURE]


def percent(total, max_total):
    """100 * total / max_total with one decimal ("87.5"), "" if either is missing or 0."""
    try:
        total, max_total = float(total), float(max_total)
    except (TypeError, ValueError):
        return ""
    return f"{round(100.0 * total / max_total, 1):g}" if max_total > 0 else ""


def _notes_without_flag(notes):
    """The notes without a flag an earlier gradebook() added (so it is never said twice)."""
    return [n for n in (notes or "").split("; ")
            if n and not n.startswith((NOT_ON_ROSTER, "one of "))]


def gradebook(rows, exercise_ids, roster=None, sign=None, max_total=None):
    """The rows of the gradebook CSV from the grader's rows (dicts with `submission`, one key
    per exercise, `total`, `max_total`, `notes`), in their order, then one "no submission" row
    per roster student without a submission (in the roster's order).

    Each row gets `student_id` (from its nbgrader path, else ""), with a roster `name` and
    `email`, and `percent`. Notes: "not on the roster" for a submission whose student is not on
    it (or has no student id), "one of N submissions of this student" when a student has more
    than one. Rows with an empty `submission` (the "no submission" rows of an earlier run) are
    made again from the roster. Idempotent: gradebook(gradebook(rows)) == gradebook(rows).
    sign(row) -> str, if given, fills the `signature` column (computed last). max_total: the
    assignment's maximum for the "no submission" rows (default: that of the graded rows)."""
    rows = [dict(r) for r in rows if r.get("submission")]
    count = {}
    for row in rows:
        row["student_id"] = student_of(row["submission"]) or ""
        count[row["student_id"]] = count.get(row["student_id"], 0) + 1
    if max_total is None:
        max_total = next((r["max_total"] for r in rows if r.get("max_total")), "")
    for row in rows:
        sid, notes = row["student_id"], _notes_without_flag(row.get("notes"))
        if roster is not None:
            student = roster.get(sid)
            row["name"], row["email"] = (student.name, student.email) if student else ("", "")
            if student is None:
                notes.append(f"{NOT_ON_ROSTER} (student id {sid!r} from the path)" if sid
                             else f"{NOT_ON_ROSTER} (no student id: the path is not "
                                  "submitted/<student_id>/<assignment>/<notebook>.ipynb)")
        if sid and count[sid] > 1:
            notes.append(f"one of {count[sid]} submissions of this student")
        row["notes"] = "; ".join(notes)
        row["percent"] = percent(row.get("total"), row.get("max_total"))
    for student in (roster or {}).values():
        if student.student_id in count:
            continue
        row = {"submission": "", "student_id": student.student_id, "name": student.name,
               "email": student.email, "total": "0", "max_total": max_total,
               "notes": NO_SUBMISSION, **{i: "" for i in exercise_ids}}
        row["percent"] = percent(0, max_total) if max_total else ""
        rows.append(row)
    wanted = columns(exercise_ids, roster)
    out = [{c: row.get(c, "") for c in wanted} for row in rows]
    if sign is not None:
        for row in out:
            row[SIGNATURE] = sign(row)
    return out

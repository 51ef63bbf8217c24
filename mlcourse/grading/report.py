"""Item analysis of a gradebook: `python -m mlcourse report grades.csv --out report/`.

Writes `report/index.html`, one self-contained page that works offline (figures embedded as
data: URIs, no script, no request leaves the file), and `report/summary.md`, the same numbers
as text for an email. It shows the class's score histogram and, per exercise: the mean, the
share of full marks, the share not attempted, the discrimination index, the failing cases most
often hit (with counts and one example message), and the time spent grading it.

The per-case outcomes come from the file the grader writes beside the CSV,
`grades.cases.jsonl` (`cases_path`): one JSON object per line, per (submission, exercise):

    {"submission": "submitted/s17/01_perceptron/01_perceptron.ipynb", "student_id": "s17",
     "exercise": "perceptron_predict", "points": 0.75, "max_points": 1.0,
     "status": "graded", "note": "", "seconds": 1.92,
     "cases": [{"name": "points exactly on the boundary ...", "passed": false,
                "message": "the result has the wrong values at 2 of 4 entries ..."}, ...]}

`status` is the framework Report's: "graded" (the cases ran), "missing" (not implemented or not
answered yet) or "absent" (not found, refused, or not graded: `note` says why). The grader
appends the records of each finished submission (`case_records`, `append_cases`); when a
submission is graded again, its later records replace the earlier ones (`read_cases`).
Without that file the report still shows what the CSV holds (scores, not cases).
"""
import argparse
import base64
import collections
import html
import io
import json
import math
import os
import sys
from pathlib import Path

from mlcourse.grading.export import ExportError, read_gradebook

CASES_SUFFIX = ".cases.jsonl"
MAX_MESSAGE = 600          # characters of a case message kept in a record
# Okabe & Ito (2008), "Color universal design": distinguishable with every colour-vision type.
OKABE_ITO = {"blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
             "sky": "#56B4E9", "purple": "#CC79A7", "yellow": "#F0E442", "grey": "#999999"}


# ---------------------------------------------------------------- the per-case file

def cases_path(csv_path):
    """The per-case file beside a grades CSV: grades.csv -> grades.cases.jsonl."""
    csv_path = Path(csv_path)
    stem = csv_path.name[:-4] if csv_path.name.endswith(".csv") else csv_path.name
    return csv_path.with_name(stem + CASES_SUFFIX)


def case_records(submission, reports, seconds=None, student_id=""):
    """The records of one graded submission from its framework Reports ({exercise id: Report}
    or a list), with `seconds` {exercise id: seconds spent grading it} (missing: null)."""
    reports = reports.values() if isinstance(reports, dict) else reports
    seconds = seconds or {}
    out = []
    for report in reports:
        ex = report.exercise
        spent = seconds.get(ex.id)
        out.append({
            "submission": submission, "student_id": student_id or "", "exercise": ex.id,
            "points": float(report.score), "max_points": float(ex.points),
            "status": report.status, "note": report.note,
            "seconds": None if spent is None else round(float(spent), 3),
            "cases": [{"name": r.name, "passed": bool(r.passed),
                       "message": (r.message or "")[:MAX_MESSAGE]} for r in report.results]})
    return out


def append_cases(path, records):
    """Append records to the per-case file, one JSON object per line (flushed to disk)."""
    with open(path, "a", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())


def read_cases(path):
    """({(submission, exercise): record}, number of unreadable lines): the last record of each
    pair wins (a submission graded again); a line cut by an interrupted run is skipped."""
    records, bad = {}, 0
    if not Path(path).exists():
        return records, bad
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                record = json.loads(line)
                key = (record["submission"], record["exercise"])
            except (ValueError, KeyError, TypeError):
                bad += 1
                continue
            records[key] = record
    return records, bad


def attempted(record):
    """False for an exercise the student did not try: not implemented, not answered, or its
    cell missing."""
    if record["status"] == "missing":
        return False
    return not (record["status"] == "absent"
                and str(record.get("note", "")).startswith(("missing:", "not found")))


# ---------------------------------------------------------------- statistics

def _float(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def correlation(xs, ys):
    """Pearson's r of two equally long sequences; None if either is constant (or n < 3)."""
    n = len(xs)
    if n < 3:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 * max(1.0, mx * mx) * n or syy <= 1e-12 * max(1.0, my * my) * n:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / math.sqrt(sxx * syy)


def analyse(exercise_ids, rows, records):
    """The numbers of the report: a dict with `submissions` (graded rows), `no_submission`,
    `percents`, and `exercises`: per exercise id a dict of mean, max_points, full, partial,
    not_attempted,
    discrimination, failing [(case, count, example)], seconds_total, seconds_mean."""
    graded = [r for r in rows if r.get("submission")]
    totals = [_float(r["total"]) or 0.0 for r in graded]
    percents = [100.0 * t / m for t, m in zip(totals, (_float(r["max_total"]) for r in graded))
                if m]
    out = {"submissions": len(graded), "no_submission": len(rows) - len(graded),
           "percents": percents, "max_total": max((_float(r["max_total"]) or 0 for r in graded),
                                                  default=0.0), "exercises": {}}
    for ex in exercise_ids:
        scores = [_float(r.get(ex)) or 0.0 for r in graded]
        recs = [records[(r["submission"], ex)] for r in graded if (r["submission"], ex) in records]
        max_points = max((rec["max_points"] for rec in recs), default=None) \
            or max(scores, default=0.0) or 1.0
        failing = collections.Counter()
        example = {}
        for rec in recs:
            for case in rec.get("cases", []):
                if not case["passed"]:
                    failing[case["name"]] += 1
                    example.setdefault(case["name"], case["message"])
        spent = [rec["seconds"] for rec in recs if rec.get("seconds") is not None]
        n = len(graded) or 1
        out["exercises"][ex] = {
            "mean": sum(scores) / n, "max_points": max_points,
            "full": sum(s >= max_points - 1e-9 for s in scores) / n,
            "partial": sum(0 < s < max_points - 1e-9 for s in scores) / n,
            "not_attempted": (sum(not attempted(rec) for rec in recs) / len(recs)) if recs else None,
            "discrimination": correlation(scores, [t - s for t, s in zip(totals, scores)]),
            "failing": [(name, count, example[name]) for name, count in
                        sorted(failing.items(), key=lambda kv: (-kv[1], kv[0]))[:5]],
            "seconds_total": sum(spent) if spent else None,
            "seconds_mean": sum(spent) / len(spent) if spent else None,
            "recorded": len(recs)}
    return out


# ---------------------------------------------------------------- figures

def _figure(width, height):
    """A matplotlib Figure and its axes, without pyplot (no global state, no GUI backend)."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def _figure_png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def histogram_png(percents):
    """The class's scores (percent of the maximum) as a histogram in 10-point bins."""
    fig, ax = _figure(6.4, 3.2)
    ax.hist(percents, bins=[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100.0001],
            color=OKABE_ITO["blue"], edgecolor="white")
    ax.set_xlim(0, 100)
    ax.set_xlabel("score (% of the maximum)")
    ax.set_ylabel("submissions")
    ax.set_title(f"Class scores ({len(percents)} submissions)")
    ax.yaxis.get_major_locator().set_params(integer=True)
    return _figure_png(fig)


def exercises_png(stats):
    """Per exercise: share of full marks, partial, zero and not attempted (stacked bars, each
    with its own colour and hatch, so it reads in grey too)."""
    ids = list(stats["exercises"])
    fig, ax = _figure(6.4, 0.45 * len(ids) + 1.3)
    left = [0.0] * len(ids)
    parts = [("full marks", "green", ""), ("partial", "sky", "//"), ("zero (tried)", "orange", "xx"),
             ("not attempted", "grey", "..")]
    for label, colour, hatch in parts:
        widths = [_shares(stats["exercises"][i])[label] for i in ids]
        ax.barh(ids, widths, left=left, color=OKABE_ITO[colour], hatch=hatch,
                edgecolor="white", label=label)
        left = [a + b for a, b in zip(left, widths)]
    ax.set_xlim(0, 100)
    ax.invert_yaxis()
    ax.set_xlabel("share of submissions (%)")
    ax.set_title("Outcome per exercise", pad=24)     # room for the legend below the title
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, frameon=False, fontsize=8)
    return _figure_png(fig)


def _shares(ex):
    """Percent of submissions with full marks, partial, zero (tried), not attempted."""
    full = 100 * ex["full"]
    absent = 100 * (ex["not_attempted"] or 0.0)
    partial = 100 * ex["partial"]
    return {"full marks": full, "partial": partial, "not attempted": absent,
            "zero (tried)": max(0.0, 100 - full - partial - absent)}


def time_png(stats):
    """Seconds spent grading each exercise (the mean per submission)."""
    ids = [i for i, ex in stats["exercises"].items() if ex["seconds_mean"] is not None]
    fig, ax = _figure(6.4, 0.45 * len(ids) + 1.0)
    ax.barh(ids, [stats["exercises"][i]["seconds_mean"] for i in ids], color=OKABE_ITO["purple"])
    ax.invert_yaxis()
    ax.set_xlabel("seconds per submission (mean)")
    ax.set_title("Time spent grading each exercise")
    return _figure_png(fig)


# ---------------------------------------------------------------- the page and the summary

def _fmt(x, digits=2, suffix=""):
    return "n/a" if x is None else f"{x:.{digits}f}{suffix}"


def _pct(x):
    return "n/a" if x is None else f"{100 * x:.0f} %"


def exercise_table(stats):
    """Rows (lists of strings) of the per-exercise table, with its header first."""
    out = [["exercise", "mean points", "full marks", "not attempted", "discrimination",
            "grading time (mean, total)"]]
    for ex_id, ex in stats["exercises"].items():
        out.append([ex_id, f"{ex['mean']:.2f} / {ex['max_points']:g}", _pct(ex["full"]),
                    _pct(ex["not_attempted"]), _fmt(ex["discrimination"]),
                    "n/a" if ex["seconds_mean"] is None else
                    f"{ex['seconds_mean']:.1f} s, {ex['seconds_total']:.0f} s"])
    return out


def _img(png, alt):
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #1b1b1b; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border-bottom: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left;
         vertical-align: top; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { white-space: pre-wrap; font-size: 0.8rem; background: #f7f7f7; padding: 0.3rem;
      margin: 0; max-height: 8rem; overflow: auto; }
img { max-width: 100%; height: auto; display: block; margin: 0.5rem 0 1rem; }
.note { color: #555; font-size: 0.9rem; }
"""


def render_html(title, stats, figures, notes):
    """The report page (a string): headline, figures, the table, the failing cases."""
    e = html.escape
    p = stats["percents"]
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
             f"<title>{e(title)}</title><style>{STYLE}</style></head><body>",
             f"<h1>{e(title)}</h1>",
             f"<p>{stats['submissions']} submission(s) graded"
             + (f", {stats['no_submission']} student(s) of the roster without a submission"
                if stats["no_submission"] else "")
             + (f"; mean score {sum(p) / len(p):.1f} %, median {_median(p):.1f} %" if p else "")
             + ".</p>"]
    parts += [f"<p class='note'>{e(n)}</p>" for n in notes]
    parts.append("<h2>Scores</h2>" + _img(figures["histogram"], "Histogram of the class's "
                                          "scores in percent of the maximum"))
    parts.append("<h2>Per exercise</h2>" + _img(figures["exercises"], "Stacked bars per "
                 "exercise: share of full marks, partial credit, zero and not attempted"))
    table = exercise_table(stats)
    parts.append("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in table[0])
                 + "</tr></thead><tbody>" + "".join(
                     "<tr><td>" + e(r[0]) + "</td>" + "".join(f"<td class='num'>{e(c)}</td>"
                                                               for c in r[1:]) + "</tr>"
                     for r in table[1:]) + "</tbody></table>")
    parts.append("<p class='note'>Discrimination: the correlation of the exercise's points with "
                 "the rest of the total (the other exercises) over the submissions; near 0 or "
                 "negative, the exercise does not separate strong from weak work (n/a: everyone "
                 "scored the same).</p>")
    if "time" in figures:
        parts.append(_img(figures["time"], "Bar chart of the mean seconds spent grading each "
                                           "exercise"))
    parts.append("<h2>Failing cases most often hit</h2>")
    for ex_id, ex in stats["exercises"].items():
        if not ex["failing"]:
            continue
        parts.append(f"<h3>{e(ex_id)}</h3><table><thead><tr><th>case</th><th>failed by</th>"
                     "<th>example message</th></tr></thead><tbody>")
        parts += [f"<tr><td>{e(name)}</td><td class='num'>{count}</td>"
                  f"<td><pre>{e(example)}</pre></td></tr>" for name, count, example in ex["failing"]]
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _median(xs):
    s = sorted(xs)
    n = len(s)
    return (s[n // 2] + s[(n - 1) // 2]) / 2 if n else float("nan")


def render_summary(title, stats, notes):
    """The same numbers as Markdown, for an email."""
    p = stats["percents"]
    lines = [f"# {title}", "",
             f"{stats['submissions']} submission(s) graded"
             + (f", {stats['no_submission']} without a submission" if stats["no_submission"] else "")
             + (f". Mean {sum(p) / len(p):.1f} %, median {_median(p):.1f} %, "
                f"{sum(x >= 100 - 1e-9 for x in p)} with full marks." if p else "."), ""]
    lines += [f"_{n}_" for n in notes] + ([""] if notes else [])
    table = exercise_table(stats)
    lines += ["| " + " | ".join(table[0]) + " |", "|" + "---|" * len(table[0])]
    lines += ["| " + " | ".join(r) + " |" for r in table[1:]]
    failing = [f"- {ex_id}: \"{name}\" ({count} submission(s))"
               for ex_id, ex in stats["exercises"].items() for name, count, _ in ex["failing"][:2]]
    lines += ["", "Most often failed:", *(failing or ["- no case failed"])]
    return "\n".join(lines) + "\n"


def write_report(csv_path, out_dir, cases=None):
    """Write out_dir/index.html and out_dir/summary.md for a grades CSV; returns their paths."""
    exercise_ids, rows = read_gradebook(csv_path)
    cases = cases_path(csv_path) if cases is None else Path(cases)
    records, bad = read_cases(cases)
    notes = []
    if not records:
        notes.append(f"No per-case file ({cases.name}): scores only, no failing cases or times.")
    if bad:
        notes.append(f"{bad} unreadable line(s) in {cases.name} were skipped.")
    stats = analyse(exercise_ids, rows, records)
    figures = {"histogram": histogram_png(stats["percents"]), "exercises": exercises_png(stats)}
    if any(ex["seconds_mean"] is not None for ex in stats["exercises"].values()):
        figures["time"] = time_png(stats)
    title = f"Item analysis: {Path(csv_path).name}"
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    page, summary = out_dir / "index.html", out_dir / "summary.md"
    page.write_text(render_html(title, stats, figures, notes), encoding="utf-8")
    summary.write_text(render_summary(title, stats, notes), encoding="utf-8")
    return page, summary


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m mlcourse report",
                                description="Item analysis of a gradebook: an offline HTML "
                                            "page and a Markdown summary.")
    p.add_argument("grades", metavar="GRADES.csv")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for index.html and summary.md")
    p.add_argument("--cases", metavar="FILE", help="the per-case file (default: beside the CSV, "
                                                   "GRADES.cases.jsonl)")
    args = p.parse_args(argv)
    try:
        page, summary = write_report(args.grades, args.out, args.cases)
    except (ExportError, OSError) as exc:
        print(f"mlcourse report: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {page} and {summary}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

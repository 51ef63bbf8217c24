"""Stage the course notebooks for the static site and the slides (`site/build.py`).

The site and the decks are built from copies of the notebooks in `build/`, never from
the originals: staging reads a notebook as JSON, changes the copy and writes it there.
What it changes, and why:

* Widget outputs. A demo's stored output may carry a static fallback (an `image/png`
  and a `text/html` figure with the caption "Interactive demo — run this cell in
  JupyterLab…"): it is kept, and the widget view itself is dropped (a static page
  cannot run it, and rendering it would load the widget manager from the network).
  An output that has only the widget's text repr (`VBox(children=(...`) is replaced by
  a note saying the demo is interactive in JupyterLab.
* Alt text. MyST-NB takes an image's alt text from the cell metadata
  `mystnb.image.alt`. A figure cell without one gets it from the figure's titles in its
  code (`set_title(...)`, `suptitle(...)`, `title=...`), else from the first sentence
  of the Markdown cell above it.
* Notebook widget state (`metadata.widgets`) is removed for the same reason as above.
* Display math spread over several lines is put on one line (`join_display_math`), so
  Markdown syntax at the start of a formula's line cannot break it.

It also computes what the home page's syllabus table says about each notebook
(`lecture_summary`, `exercise_summary`): topics from the `##` headings and an estimated
time from the notebook's size (`reading_minutes`, `exercise_minutes`).
"""
import copy
import html
import json
import math
import re
from pathlib import Path

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# The text repr of an ipywidgets container, what a widget output shows without its view.
WIDGET_REPR = re.compile(r"^(VBox|HBox|Box|GridBox|Tab|Accordion|interactive)\(children=")
DEMO_NOTE_TEXT = ("Interactive demo: run this cell in JupyterLab (make lab) to use its "
                  "controls; this static page cannot run it.")
DEMO_NOTE_HTML = ('<p class="mlcourse-demo-note"><b>Interactive demo</b>: run this cell in '
                  'JupyterLab (<code>make lab</code>) to use its controls; this static page '
                  'cannot run it.</p>')

# Reading-time model of the syllabus table (stated on the home page): prose is read at
# WORDS_PER_MINUTE (technical text with formulas), every code cell costs CODE_CELL_MINUTES
# (read it, look at its output), every interactive demo DEMO_MINUTES; an exercise that
# asks for code EXERCISE_MINUTES, a question QUESTION_MINUTES. Rounded up to 5 minutes.
WORDS_PER_MINUTE = 100
CODE_CELL_MINUTES = 1.0
DEMO_MINUTES = 5.0
EXERCISE_MINUTES = 10.0
QUESTION_MINUTES = 3.0
NOT_TOPICS = {"summary", "references", "try it", "claims"}

TITLE_CALL = re.compile(
    r"""(?:\bset_title|\bsuptitle|\btitle)\s*(?:\(|=)\s*(?P<prefix>[rRfFbBuU]{0,2})"""
    r"""(?P<quote>["'])(?P<text>(?:\\.|(?!(?P=quote)).)*)(?P=quote)""")
#: What nbconvert writes on an image that has no alt text (nbconvert/exporters/html.py).
NBCONVERT_ALT = "no description has been provided for this image"
FILE_NAME = re.compile(r"^[\w./\\-]+\.(png|jpe?g|gif|svg|webp)$", re.IGNORECASE)
TEX_WORDS = {"sigma": "σ", "gamma": "γ", "lambda": "λ", "alpha": "α", "beta": "β",
             "eta": "η", "mu": "μ", "tau": "τ", "theta": "θ", "ell": "ℓ", "top": "ᵀ",
             "mid": "|", "times": "×", "cdot": "·", "le": "≤", "ge": "≥", "leq": "≤",
             "geq": "≥", "infty": "∞", "approx": "≈", "to": "→", "max": "max", "min": "min",
             "log": "log", "exp": "exp", "partial": "∂", "nabla": "∇", "Sigma": "Σ"}


# -- notebooks as JSON ----------------------------------------------------------------
def read_notebook(path):
    """The notebook at `path` as a dict (nbformat 4 JSON); a clear error otherwise."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ValueError(f"{path}: not a readable notebook ({err})") from err
    if not isinstance(nb, dict) or nb.get("nbformat") != 4 or "cells" not in nb:
        raise ValueError(f"{path}: not an nbformat 4 notebook")
    return nb


def write_notebook(nb, path):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def source(cell):
    """A cell's source as one string (nbformat stores a string or a list of lines)."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def text_of(value):
    return "".join(value) if isinstance(value, list) else str(value)


# -- widget outputs -------------------------------------------------------------------
def is_widget_repr_only(output):
    """True if `output` shows a widget only as its text repr (no picture, no HTML)."""
    data = output.get("data", {})
    shown = set(data) - {"text/plain", WIDGET_MIME}
    return not shown and bool(WIDGET_REPR.match(text_of(data.get("text/plain", ""))))


def demo_note():
    """The output that replaces a widget's bare repr: a note that the demo is interactive."""
    return {"output_type": "display_data", "metadata": {},
            "data": {"text/html": DEMO_NOTE_HTML, "text/plain": DEMO_NOTE_TEXT}}


def stage_outputs(cell):
    """Drop widget views from a code cell's outputs; replace bare widget reprs by a note.
    Returns the number of widget outputs seen."""
    widgets, outputs = 0, []
    for out in cell.get("outputs", []):
        data = out.get("data")
        if data is None:
            outputs.append(out)
            continue
        if WIDGET_MIME in data or WIDGET_REPR.match(text_of(data.get("text/plain", ""))):
            widgets += 1
        if is_widget_repr_only(out):
            outputs.append(demo_note())
            continue
        out = dict(out, data={k: v for k, v in data.items() if k != WIDGET_MIME})
        out["metadata"] = {k: v for k, v in out.get("metadata", {}).items() if k != WIDGET_MIME}
        outputs.append(out)
    cell["outputs"] = outputs
    return widgets


# -- alt text -------------------------------------------------------------------------
def tex_to_text(text):
    """Readable text from a title with inline TeX: `$\\sigma(w^\\top x)$` -> `σ(wᵀ x)`."""
    text = text.replace("\\\\", "\\")
    text = re.sub(r"\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", r"(\1)/(\2)", text)
    text = re.sub(r"\\(?:mathrm|operatorname|text|mathbf|boldsymbol)\s*\{([^{}]*)\}", r"\1", text)
    text = re.sub(r"\\([A-Za-z]+)", lambda m: TEX_WORDS.get(m.group(1), m.group(1)), text)
    text = text.replace("$", "").replace("{", "").replace("}", "").replace("^", "")
    return " ".join(text.split())


def clean_title(literal, is_fstring):
    """A title string from code as plain text; f-string fields become "…"."""
    if is_fstring:
        literal = re.sub(r"\{\{|\}\}", "", literal)
        literal = re.sub(r"\{[^{}]*\}", "…", literal)
    text = tex_to_text(literal).strip(" :,;")
    words = re.findall(r"[^\W\d_]{2,}", text.replace("…", ""))
    return text if len(words) >= 3 else ""


def figure_titles(code):
    """The titles a plotting cell gives its figures, in order, as plain text."""
    titles = []
    for m in TITLE_CALL.finditer(code):
        title = clean_title(m.group("text"), "f" in m.group("prefix").lower())
        if title and title not in titles:
            titles.append(title)
    return titles


def first_sentence(markdown):
    """The first sentence of a Markdown text, headings, markup and TeX removed."""
    lines = [ln for ln in markdown.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    text = " ".join(lines)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\$\$.*?\$\$", "", text)
    text = re.sub(r"[*_`]", "", text)
    text = tex_to_text(text)
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    return (match.group(1) if match else text).strip()


def has_image(cell):
    return any("image/png" in out.get("data", {}) or "image/jpeg" in out.get("data", {})
               or "image/svg+xml" in out.get("data", {}) for out in cell.get("outputs", []))


def meaningful_alt(alt):
    """True if `alt` says something: at least two words, not a file name or a placeholder."""
    alt = (alt or "").strip()
    words = re.findall(r"[^\W\d_]{2,}", alt)
    return (len(words) >= 2 and not FILE_NAME.match(alt)
            and alt.lower() not in {"image", "figure", "png", "output", "plot", NBCONVERT_ALT})


def alt_text(cell, previous_markdown):
    """Alt text for the figures of code cell `cell`: the alt of its HTML picture (a demo's
    fallback), else its titles, else the first sentence of the text above it."""
    for out in cell.get("outputs", []):        # a demo's fallback HTML says what it shows
        html_alt = re.search(r'<img\b[^>]*\balt="([^"]+)"', text_of(out.get("data", {}).get("text/html", "")))
        if html_alt and meaningful_alt(html.unescape(html_alt.group(1))):
            return html.unescape(html_alt.group(1))
    titles = figure_titles(source(cell))
    if titles:
        return "Figure: " + "; ".join(titles) + "."
    sentence = first_sentence(previous_markdown or "")
    sentence = sentence if meaningful_alt(sentence) else ""
    return f"Figure: {sentence}" if sentence else ""


def stage_alt(cell, previous_markdown):
    """Give a figure cell `mystnb.image.alt` unless it has one. Returns the alt or None."""
    if not has_image(cell):
        return None
    image = cell.setdefault("metadata", {}).setdefault("mystnb", {}).setdefault("image", {})
    if not meaningful_alt(image.get("alt")):
        alt = alt_text(cell, previous_markdown)
        if not alt:
            raise ValueError(f"cell {cell.get('id', '?')}: a figure without a title and "
                             "without text above it; give it metadata mystnb.image.alt")
        image["alt"] = alt
    return image["alt"]


# -- display math ---------------------------------------------------------------------
DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
CODE_FENCE = re.compile(r"^(```|~~~).*?^\1", re.DOTALL | re.MULTILINE)


def join_display_math(markdown):
    """Put each multi-line `$$ … $$` on one line (the same TeX: a newline is a space).

    JupyterLab protects math before parsing Markdown; MyST parses Markdown first, so a line
    of a formula that starts with "+ " or "- " would become a list item and break the
    formula. Code fences and formulas with a TeX comment (%) are left alone."""
    fences = [(m.start(), m.end()) for m in CODE_FENCE.finditer(markdown)]

    def join(m):
        inside = any(a <= m.start() < b for a, b in fences)
        if inside or "%" in m.group(1) or "\n" not in m.group(1):
            return m.group(0)
        return "$$" + " ".join(line.strip() for line in m.group(1).splitlines()) + "$$"

    return DISPLAY_MATH.sub(join, markdown)


# -- the whole notebook ---------------------------------------------------------------
def stage_notebook(nb):
    """A staged copy of notebook `nb` (the original is not changed) and a report dict:
    number of widget outputs, of figures given alt text, of notes added, of Markdown cells
    whose display math was joined onto one line."""
    nb = copy.deepcopy(nb)
    nb.get("metadata", {}).pop("widgets", None)
    report = {"widgets": 0, "figures": 0, "notes": 0, "math_joined": 0}
    previous = ""
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            previous = source(cell)
            joined = join_display_math(previous)
            if joined != previous:
                cell["source"] = joined
                report["math_joined"] += 1
            continue
        if cell["cell_type"] != "code":
            continue
        before = sum(is_widget_repr_only(o) for o in cell.get("outputs", []))
        report["widgets"] += stage_outputs(cell)
        report["notes"] += before
        if stage_alt(cell, previous) is not None:
            report["figures"] += 1
    return nb, report


# -- the syllabus ---------------------------------------------------------------------
def title(nb, fallback=""):
    """The first Markdown heading, without its "Lecture N —"/"Exercises N —" prefix."""
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in source(cell).splitlines():
                if line.startswith("# "):
                    return re.sub(r"^#\s*(Lecture|Exercises)\s+\d+\s*[—–-]\s*", "", line).strip()
    return fallback


def topics(nb):
    """The `##` section titles of a notebook, numbering removed, Summary/References left out."""
    found = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for line in source(cell).splitlines():
            if line.startswith("## "):
                name = re.sub(r"^##\s*(\d+\.)?\s*", "", line).strip()
                if name.lower() not in NOT_TOPICS:
                    found.append(name)
    return found


def word_count(nb):
    """Words of prose (Markdown cells)."""
    return sum(len(source(c).split()) for c in nb["cells"] if c["cell_type"] == "markdown")


def round_up(minutes, step=5):
    return int(step * math.ceil(minutes / step))


def demo_count(nb):
    return sum(any(WIDGET_MIME in o.get("data", {}) or
                   WIDGET_REPR.match(text_of(o.get("data", {}).get("text/plain", "")))
                   or "mlcourse-demo" in text_of(o.get("data", {}).get("text/html", ""))
                   for o in c.get("outputs", [])) for c in nb["cells"] if c["cell_type"] == "code")


def reading_minutes(nb):
    """Estimated minutes to work through a lecture (model above), rounded up to 5."""
    code = sum(c["cell_type"] == "code" for c in nb["cells"])
    return round_up(word_count(nb) / WORDS_PER_MINUTE + CODE_CELL_MINUTES * code
                    + DEMO_MINUTES * demo_count(nb))


def exercises(nb):
    """(grade_id, kind) of each answer cell of an exercise notebook; kind "code" or "question"."""
    found = []
    for cell in nb["cells"]:
        grading = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] == "code" and grading.get("solution") and not grading.get("grade"):
            is_question = re.match(r"^\s*\w+\s*=", source(cell)) and "def " not in source(cell)
            found.append((grading.get("grade_id", "?"), "question" if is_question else "code"))
    return found


def exercise_minutes(nb):
    """Estimated minutes for an exercise notebook (model above), rounded up to 5."""
    kinds = [kind for _, kind in exercises(nb)]
    return round_up(EXERCISE_MINUTES * kinds.count("code") + QUESTION_MINUTES * kinds.count("question"))

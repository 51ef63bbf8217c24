"""Slide structure for a lecture notebook, from its structure (used by `site/build.py slides`).

nbconvert's reveal.js export reads each cell's `metadata.slideshow.slide_type`
("slide", "subslide", "fragment", "notes", "skip" or "-", which continues the slide).
The lectures carry no such metadata by hand: `assign(nb)` gives a staged copy one,
following the notebook's own structure:

* the title cell (`# Lecture N — …`) opens the title slide;
* every `##` heading opens a slide, every `###` heading a subslide;
* a Markdown cell is split into its blocks (paragraphs, lists, display math, code
  fences, tables); after a heading, a block of display math ($$…$$) or a list appears as a
  fragment (a derivation step by step), a paragraph of at most SHORT_WORDS words stays
  on the slide, and a longer one becomes speaker notes (press "s" in the deck);
* a code cell whose figure is the point (its output has an image and its code draws,
  "plotting code") gets its own subslide with the code hidden (tag `hide-input`, removed
  by nbconvert's TagRemovePreprocessor), so the figure is shown large;
* a code cell with a demo's picture gets its own subslide (code shown: it says what to run);
* other code cells continue the slide; a long one (more than LONG_CODE_LINES lines)
  opens a subslide; the setup cell (tag `setup`, the imports) is skipped.

A cell that already has `slideshow.slide_type` keeps it and is not split: metadata
written by hand always wins.
"""
import copy
import re
import uuid

SHORT_WORDS = 45
LONG_CODE_LINES = 14
HIDE_INPUT = "hide-input"
SLIDE_TYPES = {"slide", "subslide", "fragment", "notes", "skip", "-"}
PLOTTING = re.compile(r"\bplt\.|\bax(es)?\b[\w\[\], ]*\.|\bfig\b|\bplots\.|\.plot\(|\bimshow\(")
FENCE = re.compile(r"^\s*(```|~~~)")
LIST_ITEM = re.compile(r"^\s*([*+-]|\d+[.)])\s+")


def source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def slide_type(cell):
    """The cell's slide type, or None if it has none."""
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type")


def set_type(cell, kind):
    if kind not in SLIDE_TYPES:
        raise ValueError(f"unknown slide type {kind!r}; expected one of {sorted(SLIDE_TYPES)}")
    cell.setdefault("metadata", {}).setdefault("slideshow", {})["slide_type"] = kind
    return cell


def blocks(markdown):
    """Split Markdown into blocks at blank lines, keeping a code fence, a $$ block and a
    list (with its indented continuation lines and blank lines between items) whole."""
    found, current, fence, math = [], [], False, False
    for line in markdown.splitlines():
        if FENCE.match(line):
            fence = not fence
        elif not fence and line.count("$$") % 2:     # each $$ opens or closes display math
            math = not math
        if not line.strip() and not fence and not math:
            if current:
                found.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        found.append("\n".join(current))
    merged = []
    for block in found:                 # a list item or its continuation joins the list above
        continues = LIST_ITEM.match(block) or block.startswith(("  ", "\t"))
        if merged and continues and LIST_ITEM.match(merged[-1]):
            merged[-1] += "\n\n" + block
        else:
            merged.append(block)
    return merged


def kind_of_block(block):
    """"h1", "h2", "h3", "math", "list", "code", "table" or "text"."""
    first = block.lstrip()
    if first.startswith("# "):
        return "h1"
    if first.startswith("## "):
        return "h2"
    if first.startswith(("### ", "#### ")):
        return "h3"
    if first.startswith("$$"):
        return "math"
    if LIST_ITEM.match(block):
        return "list"
    if FENCE.match(block):
        return "code"
    if first.startswith("|"):
        return "table"
    return "text"


def markdown_type(block, first_of_slide):
    """Slide type of a Markdown block (see the module docstring)."""
    kind = kind_of_block(block)
    if kind in ("h1", "h2"):
        return "slide"
    if kind == "h3":
        return "subslide"
    if kind in ("math", "list"):
        return "-" if first_of_slide else "fragment"
    if kind == "text" and len(block.split()) > SHORT_WORDS:
        return "notes"
    return "-"


def is_plotting(cell):
    """A code cell whose output has an image and whose code draws it."""
    has_image = any("image/png" in o.get("data", {}) or "image/svg+xml" in o.get("data", {})
                    for o in cell.get("outputs", []))
    return has_image and bool(PLOTTING.search(source(cell)))


def is_demo(cell):
    return any("mlcourse-demo" in "".join(o.get("data", {}).get("text/html", ""))
               for o in cell.get("outputs", []))


def code_type(cell):
    """Slide type of a code cell (see the module docstring); may tag it `hide-input`."""
    tags = cell.setdefault("metadata", {}).setdefault("tags", [])
    if "setup" in tags:
        return "skip"
    if is_demo(cell):
        return "subslide"
    if is_plotting(cell):
        if HIDE_INPUT not in tags:
            tags.append(HIDE_INPUT)
        return "subslide"
    return "subslide" if len(source(cell).splitlines()) > LONG_CODE_LINES else "-"


def new_markdown(text, kind, like):
    cell = {"cell_type": "markdown", "id": f"{like.get('id', 'cell')}-{uuid.uuid5(uuid.NAMESPACE_OID, text).hex[:8]}",
            "metadata": {}, "source": text}
    return set_type(cell, kind)


def assign(nb):
    """A copy of notebook `nb` with a slide type on every cell (module docstring).
    Cells that have one keep it; Markdown cells without one are split into blocks."""
    nb = copy.deepcopy(nb)
    cells, first_of_slide = [], True
    for cell in nb["cells"]:
        if slide_type(cell) is not None:
            cells.append(cell)
            first_of_slide = slide_type(cell) in ("slide", "subslide")
            continue
        if cell["cell_type"] == "code":
            kind = code_type(cell)
            cells.append(set_type(cell, kind))
            first_of_slide = False if kind != "skip" else first_of_slide
            continue
        if cell["cell_type"] != "markdown":
            cells.append(set_type(cell, "skip"))
            continue
        parts = blocks(source(cell)) or [""]
        for i, block in enumerate(parts):
            kind = markdown_type(block, first_of_slide)
            part = set_type(copy.deepcopy(cell), kind) if i == 0 else new_markdown(block, kind, cell)
            part["source"] = block
            cells.append(part)
            if kind in ("slide", "subslide"):        # a heading alone, or with its text
                first_of_slide = len(block.strip().splitlines()) == 1
            elif kind in ("-", "fragment"):
                first_of_slide = False
    nb["cells"] = cells
    return nb


def outline(nb):
    """The deck's outline: (slide type, first line) of each cell, for tests and debugging."""
    return [(slide_type(c), source(c).splitlines()[0][:60] if source(c) else "") for c in nb["cells"]]

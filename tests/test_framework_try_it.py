"""'Try it' cells never raise when an exercise cell above was skipped or left blank (issue 9, item 6).

Each solutions notebook's "Try it" cells (the code cells after a "Try it" heading
that catch NotImplementedError) run after the setup cell only: the exercise
functions are then undefined (a skipped cell), or stubs raising NotImplementedError
(a blank cell). Neither may raise, and the skipped case must say what to run.
"""
import contextlib
import io
import re
from pathlib import Path

import matplotlib
import nbformat
import pytest

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parents[1]


def try_it_cells():
    found = []
    for path in sorted((REPO / "solutions").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        setup = next(c.source for c in nb.cells if "setup" in c.metadata.get("tags", []))
        after_heading = False
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                after_heading = after_heading or re.search(r"^#+ Try it", cell.source, re.M)
            elif after_heading and "except NotImplementedError" in cell.source:
                found.append(pytest.param(setup, cell.source, nb.cells, id=f"{path.stem}-{cell.id}"))
    return found


CELLS = try_it_cells()


def _stub(*args, **kwargs):
    raise NotImplementedError("a blank exercise")


def _exercise_names(cells):
    """The names the notebook's exercise cells define (def name / name = ...)."""
    names = set()
    for cell in cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            names.update(re.findall(r"^def (\w+)", cell.source, re.M))
    return names


def run(setup, source, extra=None):
    namespace = {}
    exec(setup, namespace)
    namespace.update(extra or {})
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(source, namespace)
    return out.getvalue()


def test_every_notebook_has_try_it_cells():
    assert len(CELLS) >= 9


@pytest.mark.parametrize("setup, source, cells", CELLS)
def test_try_it_survives_a_skipped_cell(setup, source, cells):
    printed = run(setup, source)
    assert re.search(r"name '\w+' is not defined: run its exercise cell above first", printed), printed


@pytest.mark.parametrize("setup, source, cells", CELLS)
def test_try_it_survives_a_blank_cell(setup, source, cells):
    stubs = {name: _stub for name in _exercise_names(cells)}
    printed = run(setup, source, stubs)
    assert "not implemented yet" in printed, printed

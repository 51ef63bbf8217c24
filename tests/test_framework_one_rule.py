"""The in-notebook check and the batch grader apply the same rules (issue 9, item 5).

The same variants of lecture 4's answers are graded both ways: in a real Jupyter
kernel (nbclient runs the notebook and its check cells, under NBGRADER_EXECUTION so
each check cell's value is its points) and by the batch grader (`python -m mlcourse
grade`). Points must be equal, and the check's plain-text output must be the text
the grader writes to the feedback file, exercise by exercise.
"""
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from mlcourse.grading import grader

pytestmark = pytest.mark.sandbox

REPO = Path(__file__).resolve().parents[1]
LECTURE = "04_mlp"
KEPT = ["activations_relu", "activations_softmax", "activations_sparsemax", "mlp_forward"]

OWN_SPARSEMAX = """\
def sparsemax(Z):
    Zs = -np.sort(-Z, axis=1)
    cumsum = np.cumsum(Zs, axis=1)
    k = np.arange(1, Z.shape[1] + 1)
    k_star = np.sum(1 + k * Zs > cumsum, axis=1, keepdims=True)
    tau = (np.take_along_axis(cumsum, k_star - 1, axis=1) - 1) / k_star
    return np.maximum(Z - tau, 0.0)
"""

# variant name -> ({grade_id: cell source}, expected points of the varied exercise)
VARIANTS = {
    "own": ({"activations_sparsemax": OWN_SPARSEMAX}, ("activations_sparsemax", 1.0)),
    "wrong_no_clip": ({"activations_sparsemax": OWN_SPARSEMAX.replace(
        "np.maximum(Z - tau, 0.0)", "Z - tau")}, ("activations_sparsemax", "partial")),
    "forgot_return": ({"activations_sparsemax": OWN_SPARSEMAX.replace(
        "    return np.maximum", "    out = np.maximum")}, ("activations_sparsemax", 0.0)),
    "wraps_reference": ({"activations_sparsemax": (
        "from mlcourse.activations import sparsemax as reference\n\n"
        "def sparsemax(Z):\n    return reference(Z)\n")}, ("activations_sparsemax", 0.0)),
    "is_reference": ({"activations_sparsemax": "from mlcourse.activations import sparsemax\n"},
                     ("activations_sparsemax", 0.0)),
    "module_attribute": ({"activations_sparsemax": (
        "import numpy as np, mlcourse.activations as A\n\n"
        "def sparsemax(Z):\n    return A.sparsemax(Z)\n")}, ("activations_sparsemax", 0.0)),
    "alias_reference": ({"activations_sparsemax": (
        "import importlib\n"
        "sparsemax = importlib.import_module('ml' + 'course.activations').sparsemax\n")},
        ("activations_sparsemax", 0.0)),
    "own_but_imports_course": ({"activations_sparsemax": OWN_SPARSEMAX + "import mlcourse\n"},
                               ("activations_sparsemax", 0.0)),
    "softmax_wrong": ({"activations_softmax": (
        "def softmax(Z):\n    E = np.exp(Z - Z.max())\n    return E / E.sum()\n")},
        ("mlp_forward", "partial")),
    "relu_from_course": ({"activations_relu": "from mlcourse.activations import relu\n"},
                         ("mlp_forward", 0.0)),
}


def _strip_markers(source):
    return "\n".join(line for line in source.splitlines() if "### " not in line)


def variant_notebook(sources):
    """Lecture 4's exercise notebook cut to the setup cell and the KEPT exercises with their
    checks, answered with the solutions except for `sources` {grade_id: cell source}."""
    solutions = nbformat.read(REPO / "solutions" / f"{LECTURE}.ipynb", as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: _strip_markers(c.source)
               for c in solutions.cells if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.read(REPO / "exercises" / f"{LECTURE}.ipynb", as_version=4)
    cells = []
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if "setup" in cell.metadata.get("tags", []):
            cells.append(cell)
        elif grade_id in KEPT:
            cell.source = sources.get(grade_id, answers[grade_id])
            cells.append(cell)
        elif grade_id.removesuffix("_check") in KEPT:
            cell.source = f"_ = {cell.source.strip()}\n_"    # the points become the cell's value
            cells.append(cell)
    nb.cells = cells
    return nb


def run_in_kernel(nb, folder):
    """{grade_id: (points, text/plain, text/html)} of each check cell, run in a real kernel."""
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3", record_timing=False,
                       resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        del os.environ["NBGRADER_EXECUTION"]
    found = {}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id.endswith("_check"):
            shown = [o for o in cell.outputs if o.output_type == "display_data"]
            value = [o for o in cell.outputs if o.output_type == "execute_result"]
            assert len(shown) == 1 and len(value) == 1, cell.outputs
            found[grade_id.removesuffix("_check")] = (
                float(value[0].data["text/plain"]), shown[0].data["text/plain"],
                shown[0].data["text/html"])
    return found


def feedback_blocks(path):
    """{exercise id: report text} from a feedback file the grader wrote."""
    text = path.read_text(encoding="utf-8").split("```\n", 1)[1].rsplit("\n```", 1)[0]
    blocks = text.split("\n\n")
    return {re.match(r"\[(\w+)\]", b).group(1): b for b in blocks}


@pytest.fixture(scope="module")
def both_ways(tmp_path_factory):
    root = tmp_path_factory.mktemp("one_rule")
    subs = root / "subs"
    subs.mkdir()
    notebook = {}
    for name, (sources, _) in VARIANTS.items():
        nb = variant_notebook(sources)
        nbformat.write(nb, subs / f"{name}.ipynb")
        notebook[name] = run_in_kernel(nb, root)
    out, feedback = root / "grades.csv", root / "feedback"
    assert grader.main([str(subs), "--out", str(out), "--feedback", str(feedback),
                        "--lecture", LECTURE, "--jobs", "2"]) == 0
    import csv
    with open(out, newline="", encoding="utf-8") as f:
        rows = {Path(r["submission"]).stem: r for r in csv.DictReader(f)}
    texts = {name: feedback_blocks(feedback / grader.feedback_name(rows[name]["submission"]))
             for name in VARIANTS}
    return notebook, rows, texts


@pytest.mark.parametrize("name", VARIANTS)
def test_check_and_grader_give_the_same_points_and_text(both_ways, name):
    notebook, rows, texts = both_ways
    for id in KEPT:
        points, plain, _ = notebook[name][id]
        assert points == float(rows[name][id]), (id, plain, texts[name][id])
        assert plain == texts[name][id]


@pytest.mark.parametrize("name", VARIANTS)
def test_each_variant_earns_what_it_should(both_ways, name):
    notebook, _, _ = both_ways
    id, expected = VARIANTS[name][1]
    points, plain, _ = notebook[name][id]
    if expected == "partial":
        assert 0 < points < 1, plain
    else:
        assert points == expected, plain
    if points == 0 and name not in ("forgot_return",):
        assert "the course's" in plain or "course's library" in plain, plain


def test_the_messages_name_the_rule(both_ways):
    notebook, _, _ = both_ways
    assert "your cell imports the course's library `mlcourse`" in \
        notebook["wraps_reference"]["activations_sparsemax"][1]
    assert "is the course's reference (mlcourse.activations.sparsemax)" in \
        notebook["alias_reference"]["activations_sparsemax"][1]
    assert "your `softmax` (exercise activations_softmax) is wrong; fix it first" in \
        notebook["softmax_wrong"]["mlp_forward"][1]
    assert "it uses your `relu` (exercise activations_relu)" in \
        notebook["relu_from_course"]["mlp_forward"][1]
    assert "did you forget `return`?" in notebook["forgot_return"]["activations_sparsemax"][1]


def test_html_is_the_text_coloured(both_ways):
    notebook, _, _ = both_ways
    _, plain, html = notebook["wrong_no_clip"]["activations_sparsemax"]
    assert html.startswith('<pre class="mlcourse-check">') and "#cf222e" in html and "#1a7f37" in html
    assert re.sub(r"<[^>]+>", "", html).replace("&gt;", ">").replace("&lt;", "<") \
        .replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&") == plain

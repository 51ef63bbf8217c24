"""Every notebook follows the course's conventions (see docs/DESIGN.md)."""
import base64
import re
import struct
from pathlib import Path

import nbformat
import pytest

from mlcourse.grading.framework import exercises_of

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(ROOT.glob("lectures/*.ipynb")) + sorted(ROOT.glob("solutions/*.ipynb")) + \
    sorted(ROOT.glob("exercises/*.ipynb"))


def read(path):
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_conventions(path):
    nb = read(path)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "mlcourse"
    assert nb.metadata.mlcourse.lecture == path.stem
    assert "widgets" not in nb.metadata, "stored widget state: rebuild with python -m mlcourse build"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "setup" in code[0].metadata.get("tags", []), "the first code cell must be tagged 'setup'"
    for i, cell in enumerate(code):
        lines = [l for l in cell.source.rstrip().splitlines() if l.strip()]
        assert not (lines and lines[-1].rstrip().endswith(";")), f"code cell {i} ends with ';'"
        assert "execution" not in cell.metadata, "timing metadata: rebuild the notebook"
    assert nb.cells[-1].cell_type == "markdown" or path.parent.name != "lectures"
    if path.parent.name == "lectures":
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert "## Summary" in text and "## References" in text


#: The site shows a figure in a column about 690 px wide (1280 px screen), so a figure W inches
#: wide is scaled to 690 / (W * dpi): its 10-point text becomes 10 * 690 / (72 W) px, at least
#: 9 px only up to W = 10.6 in, whatever the dpi. Wider figures need another layout.
MAX_FIGURE_INCHES = 10.5


def png_inches(png):
    """Width of a PNG in inches: pixels over the dots per metre of its pHYs chunk (matplotlib
    writes it) times 0.0254; 72 dpi if the chunk is missing."""
    width, = struct.unpack(">I", png[16:20])
    at = png.find(b"pHYs")
    dots_per_metre, = struct.unpack(">I", png[at + 4:at + 8]) if at > 0 else (72 / 0.0254,)
    return width / (dots_per_metre * 0.0254)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_stored_figures_are_narrow_enough_to_read_on_the_site(path):
    for i, cell in enumerate(read(path).cells):
        for out in cell.get("outputs", []):
            png = out.get("data", {}).get("image/png")
            if png:
                inches = png_inches(base64.b64decode(png))
                assert inches <= MAX_FIGURE_INCHES, (
                    f"cell {i}: a figure {inches:.1f} in wide; its text would be smaller than "
                    f"9 px in the site's column (at most {MAX_FIGURE_INCHES} in)")


@pytest.mark.parametrize("path", sorted(ROOT.glob("solutions/*.ipynb")), ids=lambda p: p.name)
def test_every_exercise_has_a_solution_cell_and_a_locked_check_cell(path):
    nb = read(path)
    cells = nb.cells
    ids_in_notebook = []
    for i, cell in enumerate(cells):
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            id = meta["grade_id"]
            ids_in_notebook.append(id)
            assert meta == {"grade": False, "grade_id": id, "locked": False,
                            "schema_version": 3, "solution": True}
            assert "### BEGIN SOLUTION" in cell.source
            check = cells[i + 1]
            assert check.metadata["nbgrader"] == {"grade": True, "grade_id": f"{id}_check",
                                                  "locked": True, "points": check.metadata["nbgrader"]["points"],
                                                  "schema_version": 3, "solution": False}
            assert check.source.strip() == f'check("{id}")'
    registered = [ex.id for ex in exercises_of(path.stem)]
    assert ids_in_notebook == registered
    points = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"]
              for c in cells if c.metadata.get("nbgrader", {}).get("grade")}
    for ex in exercises_of(path.stem):
        assert points[f"{ex.id}_check"] == ex.points


# The stable exercise ids of the course (the instructors' contract). A lecture whose
# solutions notebook exists must provide all of its ids.
CONTRACT = {
    "01_perceptron": ["threshold_truth_table", "threshold_logic_weights", "perceptron_predict",
                      "perceptron_update", "perceptron_fit"],
    "02_lda_logistic": ["lda_fit", "logistic_sigmoid", "logistic_loss", "logistic_grad"],
    "03_gradient_descent": ["gd_step", "sgd_minibatches", "sgd_fit_logistic"],
    "04_mlp": ["activations_relu", "activations_leaky_relu", "activations_tanh",
               "activations_softmax", "activations_sparsemax", "mlp_xor_network", "mlp_forward",
               "losses_cross_entropy", "losses_mse"],
    "05_backprop": ["backprop_activation_grads", "backprop_dense_backward", "backprop_mlp_grads",
                    "backprop_numerical_gradient", "autodiff_backward"],
    "06_vanishing_gradients": ["vanishing_chain_grad", "vanishing_layer_grad_norms",
                               "init_glorot_uniform", "init_he_normal"],
    "07_relu": ["relu_dead_fraction"],
    "08_universal_approximation": ["uat_staircase", "uat_relu_interpolant", "uat_count_regions"],
    "09_regularization": ["regularization_l2_step", "regularization_dropout"],
    "10_training": ["train_sgd_step", "train_mlp", "train_early_stopping", "train_select_config",
                    "train_symmetry"],
}


@pytest.mark.parametrize("lecture", CONTRACT)
def test_exercise_contract(lecture):
    if not (ROOT / "solutions" / f"{lecture}.ipynb").exists():
        pytest.skip(f"lecture {lecture} has no solutions notebook yet")
    registered = [ex.id for ex in exercises_of(lecture)]
    missing = [id for id in CONTRACT[lecture] if id not in registered]
    assert not missing, f"exercise ids missing from {lecture}: {missing}"
    for id in registered:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", id)


def test_every_lecture_has_its_three_notebooks():
    lectures = {p.stem for p in ROOT.glob("lectures/*.ipynb")}
    assert "01_perceptron" in lectures
    for stem in lectures:
        assert (ROOT / "solutions" / f"{stem}.ipynb").exists(), stem
        assert (ROOT / "exercises" / f"{stem}.ipynb").exists(), stem

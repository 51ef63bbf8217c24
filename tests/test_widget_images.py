"""Widgets a student can see: crisp pictures, whole labels, a static fallback.

The kernel-side test runs, for each lecture, only the cells that build its demos
(plus the cells those depend on, found from the names they use) in a real kernel
with nbclient, keeps the widget state (store_widget_state=True) and checks it:

- every ImageModel holds a non-empty PNG at least PIXEL_RATIO (2) times as wide as
  its CSS layout width, which is explicit, in px, with max-width 100% (so the
  picture can shrink but is never stretched: crisp on a high-density screen);
- every slider shows its whole label and keeps a track of TRACK_PX px;
- every displayed widget also carries its static fallback (image/png at 2x with its
  CSS width, and text/html with the picture, an alt text and the run-this-cell
  caption), so that it is not shown as a raw `VBox(...)` repr where widget state
  is missing.
"""
import ast
import base64
import builtins
import os
import re
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from mlcourse.demos import base
from mlcourse.grading.build import THREAD_ENV, WIDGET_MIME, strip_widget_view

ROOT = Path(__file__).resolve().parents[1]
LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))
STATE_MIME = "application/vnd.jupyter.widget-state+json"
SLIDER_MODELS = {"IntSliderModel", "FloatSliderModel", "FloatLogSliderModel",
                 "SelectionSliderModel"}
RAW_REPR = re.compile(r"^\s*(VBox|HBox|Box|interactive|Output)\(")


# ------------------------------------------------------------------ which cells to run

def _python(source):
    return ast.parse(TransformerManager().transform_cell(source))


def _names(tree):
    """(names the cell defines, names it reads) at module level, roughly."""
    defined, used = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (defined if isinstance(node.ctx, ast.Store) else used).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined.update((a.asname or a.name).split(".")[0] for a in node.names)
    return defined, used - set(dir(builtins))


def demo_names(cells):
    """Names the notebook imports from mlcourse.demos."""
    names = set()
    for cell in cells:
        for node in ast.walk(_python(cell.source)):
            module = getattr(node, "module", None) or ""
            if isinstance(node, ast.ImportFrom) and module.startswith("mlcourse.demos"):
                names.update(a.asname or a.name for a in node.names)
    return names


def cells_to_run(nb):
    """Indices of the code cells that use a demo, plus every earlier cell that defines
    a name they (transitively) read, plus the first code cell (the set-up)."""
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    info = {i: _names(_python(nb.cells[i].source)) for i in code}
    demos = demo_names([nb.cells[i] for i in code])
    targets = [i for i in code if info[i][1] & demos]
    needed, todo = {code[0]} | set(targets), list(targets) + [code[0]]
    while todo:
        i = todo.pop()
        for name in info[i][1]:
            earlier = [j for j in code if j < i and name in info[j][0]]
            if earlier and earlier[-1] not in needed:
                needed.add(earlier[-1])
                todo.append(earlier[-1])
    return sorted(needed), targets


def run_demo_cells(path):
    """Execute the needed cells of a lecture with widget state kept; returns
    (executed notebook, indices of the demo cells in it)."""
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    keep, targets = cells_to_run(nb)
    small = nbformat.v4.new_notebook(metadata=nb.metadata)
    small.cells = [nb.cells[i] for i in keep]
    os.environ.update(THREAD_ENV)
    NotebookClient(small, timeout=300, kernel_name="python3", store_widget_state=True,
                   record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return small, [keep.index(i) for i in targets]


# ------------------------------------------------------------------ checks

def _px(value, what):
    match = re.fullmatch(r"(\d+(?:\.\d+)?)px", value or "")
    assert match, f"{what}: expected an explicit width in px, got {value!r}"
    return float(match.group(1))


def check_widget_state(nb):
    """Every ImageModel: a non-empty PNG >= 2x its explicit CSS width; every slider:
    whole label and a track of TRACK_PX px. Returns the number of images checked."""
    state = nb.metadata.widgets[STATE_MIME]["state"]
    images = 0
    for model_id, model in state.items():
        name, values = model["model_name"], model["state"]
        if name in SLIDER_MODELS:
            style = state[values["style"].removeprefix("IPY_MODEL_")]["state"]
            assert style["description_width"] == "initial", values["description"]
            width = _px(state[values["layout"].removeprefix("IPY_MODEL_")]["state"]["width"],
                        f"slider {values['description']!r}")
            label = base.CHAR_PX * len(values["description"])
            assert width - label - base.READOUT_PX - base.MARGIN_PX >= base.TRACK_PX >= 200
        if name != "ImageModel":
            continue
        buffers = {tuple(b["path"]): b for b in model.get("buffers", [])}
        assert ("value",) in buffers, f"image {model_id} holds no picture"
        png = base64.b64decode(buffers[("value",)]["data"])
        assert values["format"] == "png" and len(png) > 1000, f"image {model_id} is empty"
        pixel_width, pixel_height = base.png_size(png)
        layout = state[values["layout"].removeprefix("IPY_MODEL_")]["state"]
        css_width = _px(layout["width"], f"image {model_id}")
        assert layout["max_width"] == "100%" and layout["height"] == "auto"
        assert pixel_width >= base.PIXEL_RATIO * css_width, \
            f"image {model_id}: {pixel_width} px shown at {css_width} CSS px: blurry"
        assert 500 <= css_width <= base.MAX_CSS_WIDTH and pixel_height > 0
        images += 1
    return images


def check_fallback(output):
    """A displayed demo carries a static picture: image/png at 2x with its CSS width,
    text/html with that picture, its alt text and the caption, and no raw repr."""
    data, metadata = output.get("data", {}), output.get("metadata", {})
    assert not RAW_REPR.match(data.get("text/plain", "")), data.get("text/plain")
    markup = data.get("text/html", "")
    assert base.RUN_HINT in markup and "<figure" in markup and "<figcaption>" in markup
    found = re.search(r'<img src="data:image/png;base64,([^"]+)" width="(\d+)" alt="([^"]+)"',
                      markup)
    assert found, "text/html has no picture with its width and alt text"
    png = base64.b64decode(found.group(1))
    width, _ = base.png_size(png)
    assert width >= base.PIXEL_RATIO * int(found.group(2)), \
        f"fallback picture of {width} px shown at {found.group(2)} CSS px: blurry"
    assert len(png) <= base.FALLBACK_BUDGET, f"fallback picture of {len(png)} bytes"
    if "image/png" in data:
        assert base64.b64decode(data["image/png"]) == png, "image/png differs from the html's"
        assert width >= base.PIXEL_RATIO * metadata["image/png"]["width"], "image/png: blurry"
    return len(png)


@pytest.mark.parametrize("path", LECTURES, ids=[p.stem for p in LECTURES])
def test_every_demo_image_is_crisp_and_every_demo_cell_has_a_fallback(path):
    nb, demo_cells = run_demo_cells(path)
    widget_outputs = []
    for i, cell in enumerate(nb.cells):
        for output in cell.outputs:
            assert output.output_type != "error", f"cell {i}: {output.get('evalue')}"
            if WIDGET_MIME in output.get("data", {}):
                widget_outputs.append(output)
    if not demo_cells:
        pytest.skip(f"{path.name} has no demo")
    assert widget_outputs, f"{path.name}: its demo cells displayed no widget"
    assert check_widget_state(nb) >= len(widget_outputs)
    for output in widget_outputs:
        check_fallback(output)


# ------------------------------------------------------------------ stored notebooks

@pytest.mark.parametrize("path", LECTURES, ids=[p.stem for p in LECTURES])
def test_stored_widget_outputs_are_static_pictures_not_raw_reprs(path):
    """What a student sees before running a cell: a demo cell's stored output is
    its fallback picture (built by `python -m mlcourse build`), never `VBox(...)`."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            assert WIDGET_MIME not in data, f"cell {i}: a widget view without its state"
            assert not RAW_REPR.match("".join(data.get("text/plain", ""))), \
                f"cell {i} of {path.name} shows a raw widget repr (rebuild the notebook)"
            if base.RUN_HINT in data.get("text/html", ""):
                check_fallback(output)


def test_build_keeps_the_fallback_once_and_drops_the_widget_view():
    from mlcourse.demos.l08_universal_approximation import RegionsDemo
    data, metadata = RegionsDemo(depths=(1, 2), seeds=1, resolution=40)._repr_mimebundle_()
    output = nbformat.v4.new_output("execute_result", data=data, metadata=metadata,
                                    execution_count=1)
    strip_widget_view(output)
    assert set(output.data) == {"text/html", "text/plain"} and "image/png" not in output.metadata
    check_fallback(output)
    plain = nbformat.v4.new_output("display_data", data={"image/png": "iVBOR", WIDGET_MIME: {}})
    assert set(strip_widget_view(plain).data) == {"image/png"}   # no html copy: png kept


def test_cell_selection_follows_the_names_a_demo_cell_reads():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in [
        "%matplotlib inline\nimport numpy as np",
        "from mlcourse.demos.l01_perceptron import PerceptronStepper",
        "slow = train_everything()",
        "X = np.ones((3, 2))\ny = np.zeros(3)",
        "def helper(a):\n    return a",
        "demo = PerceptronStepper({'a': (helper(X), y)})\ndemo",
    ]])
    keep, targets = cells_to_run(nb)
    assert keep == [0, 1, 3, 4, 5] and targets == [5]

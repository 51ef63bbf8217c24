"""The browser test's rules for images and formulas, without a browser.

tests/test_browser.py measures every image and formula in JupyterLab (browser_helpers'
JS_IMAGES and JS_MATH) and judges the measurements with image_problems and math_problems;
its negative-control notebooks prove the whole chain in Chromium. These tests pin the
judgement itself (edges: rounding slack, hidden images, the 2x rule for widget images) and
the control notebooks' contents, in milliseconds.
"""
import io
import json

from PIL import Image

from browser_helpers import (CONTROL_MARKDOWN, ROOT, SLACK_PX, image_problems, math_problems,
                             png_bytes, widget_cells, write_control_notebooks)


def shown(natural=(100, 50), size=(100, 50), widget=False, loaded=True, cell=3):
    return {"cell": cell, "widget": widget, "shown_by": "widget" if widget else "image/png",
            "loaded": loaded, "natural_width": natural[0], "natural_height": natural[1],
            "width": size[0], "height": size[1], "src": "data:image/png;base64,"}


def test_an_image_at_or_below_its_pixel_size_is_fine():
    assert image_problems([shown(), shown(size=(50, 25)), shown(size=(100 + SLACK_PX, 50))]) == []


def test_an_empty_or_broken_image_is_a_problem_even_when_hidden():
    for record in (shown(natural=(0, 0)), shown(natural=(0, 0), size=(0, 0)),
                   shown(loaded=False), shown(natural=(10, 0))):
        problems = image_problems([record])
        assert len(problems) == 1 and "cell 3 (image/png image): empty or broken" in problems[0]


def test_an_image_displayed_larger_than_its_pixels_is_stretched():
    for size in [(101, 50), (100, 51), (200, 100)]:
        problems = image_problems([shown(size=size)])
        assert len(problems) == 1 and "stretched: 100×50 pixels displayed at" in problems[0]


def test_a_widget_image_needs_two_pixels_per_css_pixel():
    assert image_problems([shown(natural=(200, 100), size=(100, 50), widget=True)]) == []
    assert image_problems([shown(natural=(200, 100), size=(0, 0), widget=True)]) == []
    problems = image_problems([shown(natural=(198, 100), size=(100, 50), widget=True)])
    assert len(problems) == 1 and "not crisp: 198 pixels wide displayed at 100.0" in problems[0]
    assert image_problems([shown(natural=(198, 100), size=(100, 50))]) == []   # not a widget


def test_math_problems_name_the_cell_and_the_tex():
    report = {"errors": [{"cell": 2, "error": "undefined control sequence", "tex": "\\*"}],
              "raw": [{"cell": 4, "tex": "\\alpha"}], "typeset": 3, "rendered_markdown": 4}
    assert math_problems(report) == [
        "cell 2: MathJax error (undefined control sequence) in: \\*",
        "cell 4: TeX not typeset: \\alpha"]
    assert math_problems({"errors": [], "raw": [], "typeset": 3, "rendered_markdown": 4}) == []


def test_the_control_notebooks_plant_what_the_browser_test_expects(tmp_path):
    stored, widgets = write_control_notebooks(tmp_path)
    cells = json.loads(stored.read_text())["cells"]
    assert [c["cell_type"] for c in cells] == ["markdown"] * 4 + ["code"] * 5
    assert "".join(cells[1]["source"]) == CONTROL_MARKDOWN[1] and "k^\\*" in CONTROL_MARKDOWN[1]
    png = cells[7]["outputs"][0]   # cell 8: 8x6 pixels declared 64 wide
    assert png["metadata"]["image/png"]["width"] == 64
    assert Image.open(io.BytesIO(png_bytes(8, 6))).size == (8, 6)
    assert cells[5]["outputs"][0]["data"]["image/png"] == ""
    assert len(json.loads(widgets.read_text())["cells"]) == 2


def test_every_lecture_with_a_demo_is_in_the_widget_test():
    """test_browser operates the widgets of the lectures where widget_cells finds a stored
    widget output; a change to how demos are stored must not drop a lecture silently."""
    for path in sorted((ROOT / "lectures").glob("*.ipynb")):
        code = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
        if any("mlcourse.demos" in "".join(c["source"]) for c in code):
            assert widget_cells(path), f"{path.name}: no stored widget output recognised"

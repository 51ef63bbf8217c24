"""End to end: what a student sees in a real browser — working widgets, sharp pictures,
formulas without errors.

For each lecture notebook that displays a widget, JupyterLab (from the course
environment) opens it in Debian's Chromium driven by Playwright; every formula must
typeset without a MathJax error (browser_helpers.JS_MATH); the kernel
"Python 3 (mlcourse)" connects, Run › Run All Cells runs it, every code cell
must get an execution count without a traceback, every widget must render, every
image must be valid (browser_helpers.image_problems: loaded and non-empty, never
displayed larger than its pixels, a widget's at 2 pixels per CSS pixel), and
then every control of every widget is operated like a student would (a slider's
handle is focused and moved with the arrow keys, a dropdown gets another option,
a button is clicked): each must change what the demo shows (the bytes of its
image or the text of its readout) within a timeout, leave every image valid, and
no callback may raise (JupyterLab shows those in its log console, which is
checked). Every exercise and solution notebook (and a lecture without widgets) is
opened as stored, without running it, in one JupyterLab page: same formula and
image checks. Negative controls run first: generated notebooks with each problem
planted (tests/artifacts/browser/controls/) must be reported, cell by cell.

A screenshot per lecture goes to tests/artifacts/browser/<lecture>.png (and
control-*.png), phase timings and counts of checked formulas and images to
tests/artifacts/browser/timings.json, the server's log to jupyter.log.

Needs /usr/bin/chromium (`apt-get install -y chromium`) and the Python package
playwright (in the `test` extra); skipped with the reason otherwise.
Run alone: .venv/bin/python -m pytest -q -rs tests/test_browser.py
"""
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from browser_helpers import (CHROMIUM, JS_CLOSE_ALL, JS_IMAGES, JS_MATH, JS_OPEN,
                             JS_PROMPTS, JS_STDERR,
                             JS_WIDGET_STATE, KERNEL_DISPLAY_NAME, ROOT, TRACEBACK, LabServer,
                             code_cell_count, image_problems, markdown_cell_count,
                             launched_chromium, math_problems, widget_cells,
                             write_control_notebooks)

if not Path(CHROMIUM).exists():
    pytest.skip(f"Chromium not installed ({CHROMIUM} missing): apt-get install -y chromium",
                allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="Playwright not installed: .venv/bin/pip install -c requirements/constraints.txt playwright")

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = ROOT / "tests" / "artifacts" / "browser"
LECTURES = sorted(p for p in (ROOT / "lectures").glob("*.ipynb") if widget_cells(p))
READ_ONLY = (sorted(p for p in (ROOT / "lectures").glob("*.ipynb") if p not in LECTURES)
             + sorted((ROOT / "solutions").glob("*.ipynb"))
             + sorted((ROOT / "exercises").glob("*.ipynb")))
RUN_ALL_TIMEOUT = float(os.environ.get("MLCOURSE_BROWSER_RUN_TIMEOUT", 420))   # seconds
UPDATE_TIMEOUT = float(os.environ.get("MLCOURSE_BROWSER_UPDATE_TIMEOUT", 45))  # per control
FIRST_TRY = float(os.environ.get("MLCOURSE_BROWSER_FIRST_TRY", 8))  # then retried, see operate()
MATH_TIMEOUT = 60       # seconds for the markdown to render and MathJax to typeset it
MATH_SETTLE = 5         # seconds without change after which raw TeX is raw for good
MS = 1000


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    workdir = tmp_path_factory.mktemp("lab")
    # bounded life: a generous upper bound on the whole module, even if pytest is killed
    server = LabServer(workdir, max_seconds=300 + 300 * len(LECTURES) + 30 * len(READ_ONLY))
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.copy(server.log_path, ARTIFACTS / "jupyter.log")
        assert not server.leftovers(), f"processes left behind: {server.leftovers()}"


@pytest.fixture(scope="module")
def browser(lab):
    with launched_chromium(sync_api) as browser:
        yield browser


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(30 * MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="module")
def reader(lab, browser):
    """One JupyterLab page for the notebooks that are only opened and read: each is opened
    in it and closed again (which shuts its kernel down), without reloading JupyterLab."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(30 * MS)
    page = context.new_page()
    try:
        page.goto(lab.workspace_url("read"))
        page.wait_for_function("() => window.jupyterapp !== undefined", timeout=90 * MS)
        page.evaluate("() => window.jupyterapp.restored")
        yield page
    finally:
        context.close()


@pytest.fixture(scope="module")
def control_notebooks():
    """The negative-control notebooks, written afresh under tests/artifacts (in the lab's
    root, never committed)."""
    folder = ARTIFACTS / "controls"
    shutil.rmtree(folder, ignore_errors=True)
    return dict(zip(["stored", "widgets"], write_control_notebooks(folder)))


@pytest.mark.timeout(120)
def test_probes_see_broken_math_and_images(lab, reader, control_notebooks):
    """Negative control: the stored notebook's planted problems are each reported, in the
    cell planted, and its clean formulas and images are not."""
    rel = control_notebooks["stored"].relative_to(ROOT).as_posix()
    try:
        open_stored(reader, rel)
        check_stored_controls(reader)
    finally:
        reader.screenshot(path=str(ARTIFACTS / "control-stored.png"))
        close_all(reader, lab, rel)


def check_stored_controls(reader):
    """The stored control notebook's cells 2-4 (math) and 6-9 (images) are flagged, as
    planted in browser_helpers.write_control_notebooks; cells 1 and 5 are not."""
    math = typeset_math(reader, 4)
    found = [(e["cell"], e["error"]) for e in math["errors"]]
    assert found == [(3, "Missing superscript or subscript argument"),
                     (2, "undefined control sequence")], math
    assert [r["cell"] for r in math["raw"]] == [4], math
    images = reader.evaluate(JS_IMAGES)
    problems = image_problems(images)
    assert len(images) == 6 and len(problems) == 4, problems
    for cell, what in [(6, "empty or broken"), (7, "empty or broken"), (8, "stretched: 8×6 pixels "
                       "displayed at 64.0×48.0"), (9, "stretched: 8×6 pixels displayed at 100.0")]:
        assert any(p.startswith(f"cell {cell} ") and what in p for p in problems), (cell, problems)
    with pytest.raises(AssertionError, match="3 formula"):
        assert_math_renders(reader, 4)
    with pytest.raises(AssertionError, match="4 image problem"):
        assert_images_ok(reader, "control")


@pytest.mark.timeout(180)
def test_probes_see_blurry_and_broken_widget_images(lab, page, control_notebooks):
    """Negative control, run in the kernel: a widget image with one pixel per CSS pixel is
    not crisp; a button that empties the image while its readout changes fails operate()."""
    rel = control_notebooks["widgets"].relative_to(ROOT).as_posix()
    try:
        open_with_kernel(page, lab.notebook_url(rel, "control-widgets"))
        run_all_cells(page, 2)
        widgets = rendered_widgets(page, 2)
        problems = image_problems(page.evaluate(JS_IMAGES))
        assert len(problems) == 1 and problems[0].startswith("cell 1 (widget image): not crisp: "
                                                               "80 pixels wide displayed at 80.0"), problems
        with pytest.raises(AssertionError, match=r"(?s)button 'break the image' clicked: 2 image "
                                                 r"problem.*cell 2 \(widget image\): empty or broken"):
            operate(page, widgets[1], 1)
    finally:
        page.screenshot(path=str(ARTIFACTS / "control-widgets.png"))
        lab.shutdown_sessions(rel)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("notebook", LECTURES, ids=[p.stem for p in LECTURES])
def test_lecture_widgets_respond_in_the_browser(lab, page, notebook):
    rel = notebook.relative_to(ROOT).as_posix()
    n_code, n_widgets = code_cell_count(notebook), len(widget_cells(notebook))
    n_markdown = markdown_cell_count(notebook)
    clock = [time.monotonic()]
    try:
        open_with_kernel(page, lab.notebook_url(rel, f"test-{notebook.stem}"))
        formulas = assert_math_renders(page, n_markdown)
        assert_images_ok(page, "as stored")            # e.g. the demos' static fallbacks
        clock.append(time.monotonic())
        run_all_cells(page, n_code)
        assert_no_errors(page)
        clock.append(time.monotonic())
        widgets = rendered_widgets(page, n_widgets)
        assert_images_ok(page, "after Run All")
        assert_math_renders(page, n_markdown)          # now with the outputs and readouts
        operated = [operate(page, w, i) for i, w in enumerate(widgets)]
        assert all(operated), "a widget has no control to operate"
        wait_idle(page, UPDATE_TIMEOUT)
        assert_no_errors(page)
        assert_no_callback_errors(page)
        images = assert_images_ok(page, "after operating every control")
        assert_math_renders(page, n_markdown)
        clock.append(time.monotonic())
        record_timing(notebook.stem, dict(zip(["open_s", "run_all_s", "controls_s"],
                                              (round(b - a, 2) for a, b in zip(clock, clock[1:]))),
                                          widgets=len(widgets), controls=sum(operated),
                                          formulas=formulas, images=images,
                                          load_avg=os.getloadavg()))
    finally:   # best effort: never hide the test's own failure; the server stop kills the rest
        for cleanup in (lambda: page.screenshot(path=str(ARTIFACTS / f"{notebook.stem}.png")),
                        lambda: lab.shutdown_sessions(rel)):
            try:
                cleanup()
            except Exception:                  # noqa: BLE001
                pass


@pytest.mark.timeout(120)
@pytest.mark.parametrize("notebook", READ_ONLY, ids=[p.relative_to(ROOT).with_suffix("").as_posix()
                                                      for p in READ_ONLY])
def test_notebook_reads_well_in_the_browser(lab, reader, notebook):
    """Exercises, solutions and lectures without widgets, opened as stored (not run):
    every formula typesets without a MathJax error, every stored image is valid and not
    stretched."""
    rel = notebook.relative_to(ROOT).as_posix()
    start = time.monotonic()
    try:
        open_stored(reader, rel)
        formulas = assert_math_renders(reader, markdown_cell_count(notebook))
        images = assert_images_ok(reader, "as stored")
        record_timing(rel, {"open_and_check_s": round(time.monotonic() - start, 2),
                            "formulas": formulas, "images": images})
    finally:
        close_all(reader, lab, rel)


# -- steps --------------------------------------------------------------------------------

def record_timing(lecture, row):
    """tests/artifacts/browser/timings.json: seconds per phase, per lecture (last run)."""
    path = ARTIFACTS / "timings.json"
    try:
        rows = json.loads(path.read_text())
    except (OSError, ValueError):
        rows = {}
    rows[lecture] = row
    path.write_text(json.dumps(rows, indent=1, sort_keys=True))


def open_with_kernel(page, url):
    """Open the notebook; wait until its kernel is connected (name in the toolbar) and idle."""
    page.goto(url)
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    panel.wait_for(timeout=90 * MS)
    # "idle" alone is not enough: the indicator says idle while the toolbar still says
    # "No Kernel", and Run All would then open the kernel picker.
    panel.locator(".jp-Toolbar").get_by_text(KERNEL_DISPLAY_NAME, exact=True).wait_for(timeout=90 * MS)
    wait_idle(page, 120)


def open_stored(page, rel):
    """Open notebook `rel` in the reader page only to read it: wait for its cells, not
    for its kernel."""
    page.evaluate(JS_OPEN, rel)
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").first.wait_for(timeout=60 * MS)


def close_all(page, lab, rel):
    """Close the reader's tabs; stop a kernel still running on `rel` (best effort: the
    server's stop kills the rest)."""
    for cleanup in (lambda: page.evaluate(JS_CLOSE_ALL), lambda: lab.shutdown_sessions(rel)):
        try:
            cleanup()
        except Exception:                      # noqa: BLE001
            pass


def typeset_math(page, n_markdown):
    """The JS_MATH report once all `n_markdown` markdown cells are rendered and MathJax,
    which typesets asynchronously, is done: no raw TeX is left, or nothing has changed
    for MATH_SETTLE seconds (TeX that stays raw is a problem too). At most MATH_TIMEOUT."""
    deadline = time.monotonic() + MATH_TIMEOUT
    last, since = None, time.monotonic()
    while True:
        report = page.evaluate(JS_MATH)
        rendered = report["rendered_markdown"] >= n_markdown
        if rendered and not report["raw"]:
            return report
        if report != last:
            last, since = report, time.monotonic()
        elif rendered and time.monotonic() - since > MATH_SETTLE:
            return report
        assert time.monotonic() < deadline, (
            f"{report['rendered_markdown']} of {n_markdown} markdown cells rendered and "
            f"typeset within {MATH_TIMEOUT} s; still raw: {report['raw']}")
        page.wait_for_timeout(200)


def assert_math_renders(page, n_markdown):
    """No MathJax error and no raw TeX in the notebook once it is typeset."""
    report = typeset_math(page, n_markdown)
    problems = math_problems(report)
    if problems:
        show_cell(page, (report["errors"] + report["raw"])[0]["cell"])
    assert not problems, f"{len(problems)} formula(s) do not render:\n" + "\n".join(problems)
    return report["typeset"]


def assert_images_ok(page, when):
    """Every image in the notebook's outputs and markdown is loaded, non-empty, not
    stretched, and (widget images) crisp; see browser_helpers.image_problems."""
    images = page.evaluate(JS_IMAGES)
    problems = image_problems(images)
    if problems:
        show_cell(page, next(im["cell"] for im in images if image_problems([im])))
    assert not problems, (f"{when}: {len(problems)} image problem(s):\n" + "\n".join(problems))
    return len(images)


def show_cell(page, cell):
    """Scroll cell number `cell` (1-based) into view, for the failure's screenshot."""
    try:
        page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").nth(cell - 1) \
            .scroll_into_view_if_needed(timeout=5 * MS)
    except Exception:                          # noqa: BLE001 - only a courtesy
        pass


def wait_idle(page, seconds):
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) "
                 ".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=seconds * MS)


def run_all_cells(page, n_code):
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel").get_by_text("Run All Cells", exact=True).click()
    deadline = time.monotonic() + RUN_ALL_TIMEOUT
    while True:      # every code cell shows "[n]:" (not "[ ]:" or "[*]:")
        prompts = page.evaluate(JS_PROMPTS)
        done = [p for p in prompts if p.strip("[]: ").isdigit()]
        if len(prompts) == n_code and len(done) == n_code:
            break
        errors = [t for t in page.evaluate(JS_STDERR) if TRACEBACK.search(t)]
        assert not errors, f"a cell failed during Run All:\n{errors[0][-3000:]}"
        if time.monotonic() > deadline:
            pytest.fail(f"Run All did not finish in {RUN_ALL_TIMEOUT:.0f} s: {len(done)} of "
                        f"{n_code} code cells have an execution count; prompts {prompts}")
        page.wait_for_timeout(250)
    wait_idle(page, 120)


def assert_no_errors(page):
    errors = [t for t in page.evaluate(JS_STDERR) if TRACEBACK.search(t)]
    assert not errors, f"{len(errors)} cell(s) show an error; the first:\n{errors[0][-3000:]}"


def assert_no_callback_errors(page):
    """An exception in a widget callback is not shown in the cell: JupyterLab sends it
    to the log console (its status-bar item then shows a count). Open it and look."""
    item = page.locator(".jp-LogConsoleStatusItem")
    if not item.count() or not item.first.inner_text().strip().isdigit() \
            or int(item.first.inner_text().strip()) == 0:
        return
    item.first.click()
    entries = page.locator(".jp-LogConsolePanel .jp-OutputArea-output")
    entries.first.wait_for()
    errors = [t for t in entries.all_inner_texts() if TRACEBACK.search(t)]
    assert not errors, (f"{len(errors)} widget callback(s) raised (from the log console); "
                        f"the first:\n{errors[0][-2500:]}")


def rendered_widgets(page, expected):
    """The widget outputs of the notebook, once `expected` of them have rendered."""
    # a widget view's output area carries no mime type attribute: find it by its child
    outputs = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) "
                           ".jp-OutputArea-output:has(> .jupyter-widgets)")
    deadline = time.monotonic() + 60
    while True:
        broken = page.get_by_text("Error displaying widget")
        assert broken.count() == 0, f"a widget failed to render: {broken.first.inner_text()}"
        ready = [outputs.nth(i) for i in range(outputs.count())]
        if len(ready) >= expected:
            return ready
        if time.monotonic() > deadline:
            pytest.fail(f"{len(ready)} of {expected} widgets rendered within 60 s (is the "
                        f"ipywidgets extension installed and enabled?)")
        page.wait_for_timeout(250)


def state(widget):
    return widget.evaluate(JS_WIDGET_STATE)


def wait_changed(page, widget, before, seconds):
    """Poll the demo's image bytes and readout until they differ from `before`;
    returns (changed, last state)."""
    deadline = time.monotonic() + seconds
    while True:
        now = state(widget)
        if now != before or time.monotonic() > deadline:
            return now != before, now
        page.wait_for_timeout(100)


def controls(widget):
    """(description, action) for every enabled control of one widget, in the order
    sliders, dropdowns, buttons; each action operates the control once."""
    found = []
    sliders = widget.locator(".widget-slider")
    for i in range(sliders.count()):
        slider = sliders.nth(i)
        if slider.locator(".noUi-target[disabled]").count():
            continue

        def move(handle=slider.locator(".noUi-handle").first):
            at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
            handle.focus()
            handle.press("ArrowLeft" if at_max else "ArrowRight")
        found.append((f"slider {_description(slider)!r} moved with the arrow key", move))
    dropdowns = widget.locator(".widget-dropdown")
    for i in range(dropdowns.count()):
        select = dropdowns.nth(i).locator("select")
        if select.is_disabled() or select.locator("option").count() < 2:
            continue

        def choose(select=select):
            options = select.locator("option").all_inner_texts()
            current = select.evaluate("s => s.selectedIndex")
            select.select_option(label=options[(current + 1) % len(options)])
        found.append((f"dropdown {_description(dropdowns.nth(i))!r} set to its next option", choose))
    buttons = widget.locator("button.widget-button")
    # last first: in a stepper "step ▶" follows "◀ step", and stepping back from
    # the first step (rightly) changes nothing.
    for i in reversed(range(buttons.count())):
        button = buttons.nth(i)
        if button.is_enabled():
            found.append((f"button {button.inner_text()!r} clicked", button.click))
    return found


def operate(page, widget, index):
    """Operate every control of one widget; each must change what the widget shows.

    A control may do nothing in the state the notebook leaves it in (a seed while a
    deterministic construction is selected, "◀ step" at the first step): one that
    shows no change within FIRST_TRY seconds is tried again after all the others
    have moved the widget to another state, and then must change the output within
    UPDATE_TIMEOUT. Returns the number of controls operated."""
    widget.scroll_into_view_if_needed()
    actions = controls(widget)
    deferred = []
    for what, act in actions:
        wait_idle(page, UPDATE_TIMEOUT)      # the previous control's update has landed
        before = state(widget)
        act()
        changed, _ = wait_changed(page, widget, before, FIRST_TRY)
        if not changed:
            deferred.append((what, act))
        else:   # a broken image also "changes": what changed must be worth seeing
            assert_images_ok(page, f"widget {index + 1}: {what}")
    for what, act in deferred:
        wait_idle(page, UPDATE_TIMEOUT)
        before = state(widget)
        act()
        changed, now = wait_changed(page, widget, before, UPDATE_TIMEOUT)
        if not changed:
            pytest.fail(f"widget {index + 1}: {what}: the demo's output did not change "
                        f"(waited {FIRST_TRY:.0f} s, then again {UPDATE_TIMEOUT:.0f} s after "
                        f"operating the other controls); image hashes {now['images']}, "
                        f"readout {now['html']!r:.300}")
        assert_images_ok(page, f"widget {index + 1}: {what}")
    return len(actions)


def _description(control):
    label = control.locator(".widget-label").first
    return label.inner_text() if label.count() else "?"

"""The course site (`make site`) and the lecture slides (`make slides`), offline.

Unit tests of the staging (site/staging.py: widget outputs, alt text, syllabus) and of
the slide structure (site/slideshow.py) run everywhere. The rest builds the site and
the decks with `make site slides` (make reuses a fresh build; the first run installs
.venv-site and the npm packages, bounded by BUILD_TIMEOUT), then opens every page of the
site and every deck in headless Chromium (Playwright) with every request that is not
file:// (or 127.0.0.1) blocked and counted, and fails on any blocked request, missing
local file, MathJax error, raw TeX, broken image, raw widget repr or missing alt text.
It also checks search, keyboard navigation of the decks and `?print-pdf`, and saves
screenshots in tests/artifacts/site/ (a lecture page's top and its first demo; each
deck's title slide and a middle slide) and a summary in tests/artifacts/site/report.json.
Negative controls: a copy of a built page and of a deck with one injected problem of each
kind, which the same probes must report.

Needs /usr/bin/chromium and Playwright for the browser part (skipped with the reason
otherwise). Run alone: .venv/bin/python -m pytest -q -rs tests/test_site.py
"""
import importlib.util
import json
import os
import re
import subprocess
import urllib.parse
from pathlib import Path

import pytest

from browser_helpers import CHROMIUM, ROOT, launched_chromium

SITE = ROOT / "build" / "site"
SLIDES = ROOT / "build" / "slides"
ARTIFACTS = ROOT / "tests" / "artifacts" / "site"
BUILD_TIMEOUT = float(os.environ.get("MLCOURSE_SITE_BUILD_TIMEOUT", 900))   # seconds
LECTURES = sorted((ROOT / "lectures").glob("[0-9][0-9]_*.ipynb"))
MS = 1000


def load(name):
    """A module of site/ by path (the folder is not a package and `site` is a stdlib name)."""
    spec = importlib.util.spec_from_file_location(f"mlcourse_site_{name}", ROOT / "site" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


staging = load("staging")
slideshow = load("slideshow")


# -- staging: unit tests --------------------------------------------------------------
def code_cell(src, *outputs, **metadata):
    return {"cell_type": "code", "id": "c", "metadata": metadata, "source": src,
            "execution_count": 1, "outputs": list(outputs)}


def markdown_cell(src, **metadata):
    return {"cell_type": "markdown", "id": "m", "metadata": metadata, "source": src}


def display(**data):
    return {"output_type": "display_data", "metadata": {}, "data": data}


def notebook(*cells):
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {"widgets": {"state": {}}},
            "cells": list(cells)}


PNG = "iVBORw0KGgo="


def test_bare_widget_repr_becomes_a_note_and_views_are_dropped():
    bare = code_cell("demo", display(**{"text/plain": "VBox(children=(HBox(children=(",
                                         staging.WIDGET_MIME: {"model_id": "x"}}))
    fallback = code_cell("demo", display(**{
        "text/plain": "Demo: Interactive demo", "image/png": PNG, staging.WIDGET_MIME: {},
        "text/html": '<figure class="mlcourse-demo"><img alt="The demo&#x27;s picture"></figure>'}))
    text = code_cell("print(1)", {"output_type": "stream", "name": "stdout", "text": "VBox(children="})
    nb = notebook(bare, fallback, text)
    staged, report = staging.stage_notebook(nb)
    assert nb["cells"][0]["outputs"][0]["data"]["text/plain"].startswith("VBox")  # original kept
    assert "widgets" not in staged["metadata"]
    note = staged["cells"][0]["outputs"][0]["data"]
    assert note["text/html"] == staging.DEMO_NOTE_HTML and "JupyterLab" in note["text/plain"]
    kept = staged["cells"][1]["outputs"][0]["data"]
    assert set(kept) == {"text/plain", "image/png", "text/html"}
    assert staged["cells"][2]["outputs"] == text["outputs"]          # a stream is not a widget
    assert report == {"widgets": 2, "figures": 1, "notes": 1, "math_joined": 0}
    assert staged["cells"][1]["metadata"]["mystnb"]["image"]["alt"] == "The demo's picture"


@pytest.mark.parametrize("code, expected", [
    ('ax.set_title("Two Gaussian classes with a shared covariance")',
     "Figure: Two Gaussian classes with a shared covariance."),
    ("fig.suptitle(r'Posterior $P(y=1\\mid x) = \\sigma(w^\\top x + b)$ of the LDA model')",
     "Figure: Posterior P(y=1| x) = σ(wᵀ x + b) of the LDA model."),
    ('ax.set(title=f"{n} step units against the target", xlabel="x")\nax2.set_title("Sup error of the staircase")',
     "Figure: … step units against the target; Sup error of the staircase."),
    ('plt.plot(x, y)\nplt.show()', "Figure: The sigmoid is a soft step."),
])
def test_alt_text_from_titles_else_from_the_text_above(code, expected):
    cell = code_cell(code, display(**{"image/png": PNG, "text/plain": "<Figure>"}))
    assert staging.stage_alt(cell, "## 3. The sigmoid\nThe sigmoid is a soft step. It is smooth.") == expected
    assert cell["metadata"]["mystnb"]["image"]["alt"] == expected


def test_alt_text_keeps_metadata_and_refuses_to_guess():
    cell = code_cell("plt.plot(x)", display(**{"image/png": PNG}),
                     mystnb={"image": {"alt": "Loss curves of SGD and GD"}})
    assert staging.stage_alt(cell, "") == "Loss curves of SGD and GD"
    for bad in ("", "output_3_0.png", "figure"):
        cell = code_cell("plt.plot(x)", display(**{"image/png": PNG}), mystnb={"image": {"alt": bad}})
        with pytest.raises(ValueError, match="mystnb.image.alt"):
            staging.stage_alt(cell, "")
    assert staging.stage_alt(code_cell("print(1)"), "") is None                # no figure


def test_display_math_is_joined_onto_one_line():
    text = "Text\n$$ a = b\n   + c\n   - d. $$\nmore $x$ and $$y$$.\n```\n$$ p\n+ q $$\n```\n$$ u % c\n v $$"
    assert staging.join_display_math(text) == (
        "Text\n$$a = b + c - d.$$\nmore $x$ and $$y$$.\n```\n$$ p\n+ q $$\n```\n$$ u % c\n v $$")
    nb = notebook(markdown_cell("$$ a\n+ b $$"))
    staged, report = staging.stage_notebook(nb)
    assert staged["cells"][0]["source"] == "$$a + b$$" and report["math_joined"] == 1


def test_meaningful_alt():
    assert staging.meaningful_alt("Figure: the sigmoid as a soft step.")
    for bad in (None, "", "  ", "image", "output_12_0.png", "_images/abc.png", "x",
                "No description has been provided for this image"):         # nbconvert's
        assert not staging.meaningful_alt(bad), bad


def test_syllabus_helpers_on_the_lectures():
    for path in LECTURES:
        nb = staging.read_notebook(path)
        assert staging.title(nb) and not staging.title(nb).startswith("Lecture")
        assert len(staging.topics(nb)) >= 4 and "Summary" not in staging.topics(nb)
        assert 10 <= staging.reading_minutes(nb) <= 180
        exercises = staging.exercises(staging.read_notebook(ROOT / "exercises" / path.name))
        assert exercises and all(kind in ("code", "question") for _, kind in exercises)
    with pytest.raises(ValueError, match="LICENSE-CONTENT.md: not a readable notebook"):
        staging.read_notebook(ROOT / "LICENSE-CONTENT.md")


def test_every_lecture_figure_gets_an_alt_text_that_says_what_it_shows():
    """The staged alt of every figure (its metadata, else derived from its titles) is
    meaningful and not mostly the '…' that stands for an f-string's computed parts."""
    weak = []
    for path in LECTURES:
        nb, _ = staging.stage_notebook(staging.read_notebook(path))
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] == "code" and staging.has_image(cell):
                alt = cell["metadata"]["mystnb"]["image"]["alt"]
                if not staging.meaningful_alt(alt) or "…" in alt:
                    weak.append(f"{path.name} cell {i}: {alt!r}")
    assert not weak, weak


# -- slide structure: unit tests -------------------------------------------------------
LONG = " ".join(["word"] * (slideshow.SHORT_WORDS + 1)) + "."


def test_slide_types_follow_the_structure():
    nb = notebook(
        markdown_cell(f"# Lecture 1 — Title\n\n*byline*\n\n{LONG}"),
        code_cell("import numpy as np", tags=["setup"]),
        markdown_cell(f"## 1. A section\nShort opening.\n\n$$\ny = x\n\n$$\n\n{LONG}\n\n* one\n\n* two"),
        code_cell("fig, ax = plt.subplots()\nax.plot(x)", display(**{"image/png": PNG})),
        code_cell("x = 1"),
        markdown_cell("### A subsection\nText."),
        code_cell("\n".join(f"x{i} = {i}" for i in range(slideshow.LONG_CODE_LINES + 1))),
        code_cell("demo", display(**{"text/html": '<figure class="mlcourse-demo"></figure>'})),
        markdown_cell("Mine.", slideshow={"slide_type": "fragment"}),
    )
    for i, cell in enumerate(nb["cells"]):
        cell["id"] = f"cell-{i}"
    deck = slideshow.assign(nb)
    assert [t for t, _ in slideshow.outline(deck)] == [
        "slide", "-", "notes", "skip", "slide", "fragment", "notes", "fragment",
        "subslide", "-", "subslide", "subslide", "subslide", "fragment"]
    plot = deck["cells"][8]
    assert slideshow.HIDE_INPUT in plot["metadata"]["tags"]
    assert slideshow.HIDE_INPUT not in deck["cells"][12]["metadata"].get("tags", [])  # demo: code shown
    assert "$$\ny = x\n\n$$" == deck["cells"][5]["source"]                    # math kept whole
    assert "slideshow" not in nb["cells"][0]["metadata"]                      # original untouched
    assert len({c["id"] for c in deck["cells"]}) == len(deck["cells"])      # ids stay unique


def test_blocks_keep_fences_lists_and_math():
    text = "Para one.\n\n```python\na = 1\n\nb = 2\n```\n\n1. first\n\n   more\n2. second\n\n$$x\n\ny$$\n\nEnd."
    assert slideshow.blocks(text) == ["Para one.", "```python\na = 1\n\nb = 2\n```",
                                      "1. first\n\n   more\n2. second", "$$x\n\ny$$", "End."]
    with pytest.raises(ValueError, match="unknown slide type"):
        slideshow.set_type({}, "slides")


def test_every_lecture_gets_a_deck_structure():
    for path in LECTURES:
        nb = staging.stage_notebook(staging.read_notebook(path))[0]
        by_hand = {c["id"] for c in nb["cells"] if slideshow.slide_type(c) is not None}
        deck = slideshow.assign(nb)
        kinds = [t for t, _ in slideshow.outline(deck)]
        assert kinds[0] == "slide" and None not in kinds
        if not by_hand:                        # one slide per ## heading, plus the title
            headings = sum(slideshow.source(c).startswith("## ") for c in deck["cells"])
            assert kinds.count("slide") == headings + 1, path.name
        plots = [c for c in deck["cells"] if slideshow.is_plotting(c) and c["id"] not in by_hand]
        assert plots and all(slideshow.HIDE_INPUT in c["metadata"]["tags"] for c in plots)


# -- the build --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def built():
    """`make site slides` (a no-op when both are fresh), bounded in time."""
    try:
        result = subprocess.run(["make", "-s", "site", "slides"], cwd=ROOT, capture_output=True,
                                text=True, timeout=BUILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"make site slides took more than {BUILD_TIMEOUT:.0f} s")
    assert result.returncode == 0, f"make site slides failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert (SITE / "index.html").exists() and (SITE / "_static" / "mathjax" / "tex-mml-chtml.js").exists()
    return result.stdout


@pytest.mark.slow
def test_site_pages_and_syllabus(built):
    index = (SITE / "index.html").read_text(encoding="utf-8")
    for path in LECTURES:
        nb = staging.read_notebook(path)
        assert (SITE / "lectures" / f"{path.stem}.html").exists()
        assert (SITE / "exercises" / f"{path.stem}.html").exists()
        assert f'href="lectures/{path.stem}.html"' in index and f'href="exercises/{path.stem}.html"' in index
        minutes = staging.reading_minutes(nb)
        exercise = staging.exercise_minutes(staging.read_notebook(ROOT / "exercises" / path.name))
        assert f"{minutes} min + {exercise} min" in index, path.name
    assert "words of prose per minute" in index
    assert not (SITE / "solutions").exists(), "solutions are on the site without SOLUTIONS=1"
    license_page = (SITE / "license.html").read_text(encoding="utf-8")
    assert "CC BY 4.0" in license_page and "MIT License" in license_page
    assert (SITE / "search.html").exists() and (SITE / "searchindex.js").exists()


@pytest.mark.slow
def test_site_with_solutions(built, tmp_path):
    """SOLUTIONS=1 adds the solutions section (built into a temporary folder here)."""
    result = subprocess.run([ROOT / ".venv-site" / "bin" / "python", ROOT / "site" / "build.py", "site",
                             "--solutions", "--out", tmp_path / "site"], cwd=ROOT, capture_output=True,
                            text=True, timeout=BUILD_TIMEOUT)
    assert result.returncode == 0, result.stderr[-3000:]
    pages = sorted(p.stem for p in (tmp_path / "site" / "solutions").glob("*.html"))
    assert pages == [p.stem for p in LECTURES]
    assert "Solutions (for instructors)" in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")


# -- the browser ----------------------------------------------------------------------
def browser_or_skip():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not installed ({CHROMIUM} missing): apt-get install -y chromium")
    return pytest.importorskip(
        "playwright.sync_api",
        reason="Playwright not installed: .venv/bin/pip install -c requirements/constraints.txt playwright")


# Everything a reader would see wrong on a page, once its images have loaded (at most 5 s).
JS_PROBE = r"""async () => {
    const imgs = Array.from(document.querySelectorAll('img'));
    imgs.forEach(img => { img.loading = 'eager'; });
    const settle = img => img.complete ? null : img.decode().catch(() => null);
    await Promise.race([Promise.all(imgs.map(settle)), new Promise(r => setTimeout(r, 5000))]);
    const images = imgs.map(img => ({src: (img.getAttribute('src') || '').slice(0, 60),
        alt: img.getAttribute('alt'), ok: img.complete && img.naturalWidth > 0}));
    const errors = [];
    for (const e of document.querySelectorAll('mjx-merror, .MathJax_Error, .mjx-merror, .noError, .mjx-noError'))
        errors.push(((e.getAttribute('data-mjx-error') || '') + ' ' + e.textContent).trim().slice(0, 100));
    for (const e of document.querySelectorAll('mjx-assistive-mml mtext[mathcolor="red"], .MJX_Assistive_MathML mtext[mathcolor="red"]'))
        if (e.textContent.startsWith('\\')) errors.push('undefined control sequence ' + e.textContent);
    const root = document.body.cloneNode(true);
    root.querySelectorAll('mjx-container, .MathJax, .MathJax_CHTML, .MathJax_Preview, .mjx-chtml, '
        + '.MJX_Assistive_MathML, script, style, code, pre, .highlight, aside.notes, noscript')
        .forEach(e => e.remove());
    const text = root.textContent;
    const tex = text.match(/\$[^$\n]+\$|\\\(|\\\)|\\\[|\\\]|\\(frac|sum|sigma|alpha|mathbb|mathrm|left|right|begin|top|hat|cdot)\b/g) || [];
    const widgets = text.match(/\b(VBox|HBox|Box|GridBox|Tab|Accordion|interactive)\(children=/g) || [];
    return {images, errors, tex: tex.slice(0, 5), widgets,
            typeset: document.querySelectorAll('mjx-container, .MathJax_CHTML').length};
}"""

WAIT_MATHJAX3 = """async () => {
    if (!document.querySelector('script[src*="mathjax"]')) return 'no math';
    for (let i = 0; i < 600 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++)
        await new Promise(r => setTimeout(r, 50));
    await MathJax.startup.promise;
    return 'typeset';
}"""

WAIT_DECK = """async () => {
    for (let i = 0; i < 600 && !(window.MathJax && MathJax.Hub && MathJax.isReady); i++)
        await new Promise(r => setTimeout(r, 50));
    await new Promise(r => MathJax.Hub.Queue(r));
    window.__reveal = await new Promise(r => require(['reveal.js/dist/reveal.js'], r));
    for (let i = 0; i < 600 && !window.__reveal.isReady(); i++) await new Promise(r => setTimeout(r, 50));
    return {ready: window.__reveal.isReady(), total: window.__reveal.getTotalSlides(),
            horizontal: window.__reveal.getHorizontalSlides().length,
            notes: document.querySelectorAll('aside.notes').length,
            fragments: document.querySelectorAll('.fragment').length};
}"""


def problems(probe, requests):
    """One line per problem in a JS_PROBE result and the page's `requests` record."""
    found = [f"blocked request to {url}" for url in requests["blocked"]]
    found += [f"missing local file {url}" for url in requests["missing"]]
    found += [f"MathJax error: {e}" for e in probe["errors"]]
    found += [f"raw TeX in the text: {t!r}" for t in probe["tex"]]
    found += [f"raw widget repr: {w!r}" for w in probe["widgets"]]
    for img in probe["images"]:
        if not img["ok"]:
            found.append(f"broken image {img['src']!r}")
        if not staging.meaningful_alt(img["alt"]):
            found.append(f"image without meaningful alt text ({img['alt']!r}) {img['src']!r}")
    return found


def is_local(url):
    parsed = urllib.parse.urlparse(url)
    return parsed.scheme in ("file", "data", "blob", "about") or parsed.hostname == "127.0.0.1"


@pytest.fixture(scope="module")
def browser(built):
    sync_api = browser_or_skip()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with launched_chromium(sync_api) as browser:
        yield browser


@pytest.fixture
def opened(browser):
    """open(path, query="") -> (page, requests): a page with the network blocked; requests
    records that page's blocked URLs and its failed file:// requests (missing files)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60 * MS)

    def open_page(path, query=""):
        page = context.new_page()
        requests = {"blocked": [], "missing": []}

        def route(r):
            if is_local(r.request.url):
                r.continue_()
            else:
                requests["blocked"].append(r.request.url)
                r.abort()

        def failed(request):
            if request.url.startswith("file://") and request.url not in requests["missing"]:
                requests["missing"].append(request.url)

        page.route("**/*", route)
        page.on("requestfailed", failed)
        page.goto(Path(path).resolve().as_uri() + query)
        return page, requests

    yield open_page
    context.close()


def site_pages():
    return sorted(p for p in SITE.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts)


def check_site_page(opened, path):
    page, requests = opened(path)
    page.evaluate(WAIT_MATHJAX3)
    probe = page.evaluate(JS_PROBE)
    return page, probe, problems(probe, requests), requests


@pytest.mark.browser
@pytest.mark.slow
def test_every_site_page_offline(built, opened):
    report = {"pages": 0, "blocked": 0, "missing": 0, "math_errors": 0, "raw_tex": 0,
              "broken_images": 0, "raw_widgets": 0, "images": 0, "typeset": 0, "problems": {}}
    for path in site_pages():
        page, probe, found, requests = check_site_page(opened, path)
        rel = str(path.relative_to(SITE))
        report["pages"] += 1
        report["blocked"] += len(requests["blocked"])
        report["missing"] += len(requests["missing"])
        report["images"] += len(probe["images"])
        report["typeset"] += probe["typeset"]
        report["math_errors"] += len(probe["errors"])
        report["raw_tex"] += len(probe["tex"])
        report["raw_widgets"] += len(probe["widgets"])
        report["broken_images"] += sum(not i["ok"] for i in probe["images"])
        if found:
            report["problems"][rel] = found
        if path.parent.name == "lectures" or rel == "index.html":
            name = "site_" + path.stem
            page.screenshot(path=ARTIFACTS / f"{name}.png")
            demo = page.locator("figure.mlcourse-demo, .mlcourse-demo-note").first
            if demo.count():
                demo.scroll_into_view_if_needed()
                page.screenshot(path=ARTIFACTS / f"{name}_demo.png")
        page.close()
    (ARTIFACTS / "report_site.json").write_text(json.dumps(report, indent=1))
    assert report["pages"] >= 2 * len(LECTURES) + 2
    assert report["typeset"] > 500, "MathJax typeset almost nothing: is it loaded?"
    assert not report["problems"], json.dumps(report["problems"], indent=1)[:6000]


@pytest.mark.browser
@pytest.mark.slow
def test_search_works_offline(built, opened):
    page, requests = opened(SITE / "search.html", "?q=perceptron")
    page.wait_for_selector("#search-results ul.search li", timeout=30 * MS)
    hits = page.locator("#search-results ul.search li a").all_inner_texts()
    assert any("perceptron" in h.lower() for h in hits), hits
    assert not requests["blocked"], requests


def check_deck(opened, path, query=""):
    page, requests = opened(path, query)
    info = page.evaluate(WAIT_DECK)
    return page, info, requests


def keyboard_round_trip(page, presses=30):
    """Press → until the deck reaches slide 2 (each fragment of the title slide takes a
    press first), then ← until it is back; returns the two horizontal indices reached."""
    page.locator("body").focus()
    index = lambda: page.evaluate("() => window.__reveal.getIndices().h")    # noqa: E731
    for _ in range(presses):
        page.keyboard.press("ArrowRight")
        if index() != 0:
            break
    right = index()
    for _ in range(presses):
        page.keyboard.press("ArrowLeft")
        if index() == 0:
            break
    return right, index()


@pytest.mark.browser
@pytest.mark.slow
def test_every_deck_offline_with_keyboard_and_print(built, opened):
    report = {"decks": 0, "slides": 0, "notes": 0, "fragments": 0, "problems": {}, "blocked": 0,
              "missing": 0, "math_errors": 0, "raw_tex": 0, "broken_images": 0, "raw_widgets": 0}
    for lecture in LECTURES:
        path = SLIDES / f"{lecture.stem}.slides.html"
        page, info, requests = check_deck(opened, path)
        assert info["ready"] and info["horizontal"] >= 5, (path.name, info)
        probe = page.evaluate(JS_PROBE)
        found = problems(probe, requests)
        report["decks"] += 1
        report["blocked"] += len(requests["blocked"])
        report["missing"] += len(requests["missing"])
        for key in ("notes", "fragments"):
            report[key] += info[key]
        report["slides"] += info["total"]
        report["math_errors"] += len(probe["errors"])
        report["raw_tex"] += len(probe["tex"])
        report["raw_widgets"] += len(probe["widgets"])
        report["broken_images"] += sum(not i["ok"] for i in probe["images"])
        # plotting code is hidden: no visible input cell draws with plt/ax
        shown = page.evaluate("""() => Array.from(document.querySelectorAll('.jp-Cell'))
            .filter(c => c.querySelector('.jp-OutputArea-output img') && c.querySelector('.jp-InputArea'))
            .map(c => c.querySelector('.jp-InputArea').innerText)
            .filter(t => /plt\\.|\\bax\\.|plots\\./.test(t)).length""")
        if shown:
            found.append(f"{shown} plotting cells show their code")
        # keyboard: → goes to slide 2, ← back; title and a middle slide screenshots
        page.evaluate("() => window.__reveal.configure({transition: 'none'})")
        page.screenshot(path=ARTIFACTS / f"deck_{lecture.stem}_title.png")
        after_right, after_left = keyboard_round_trip(page)
        if (after_right, after_left) != (1, 0):
            found.append(f"keyboard navigation: → gave slide {after_right}, ← gave {after_left}")
        middle = info["horizontal"] // 2
        page.evaluate(f"() => window.__reveal.slide({middle}, 0, 1000)")     # all fragments shown
        page.wait_for_timeout(300)
        page.screenshot(path=ARTIFACTS / f"deck_{lecture.stem}_middle.png")
        page.close()
        # ?print-pdf lays out every slide as a page
        page, info, _ = check_deck(opened, path, "?print-pdf")
        page.wait_for_function("() => document.querySelectorAll('.pdf-page').length > 0", timeout=60 * MS)
        pages = page.evaluate("() => document.querySelectorAll('.pdf-page').length")
        if pages < info["total"]:
            found.append(f"?print-pdf: {pages} pages for {info['total']} slides")
        if lecture == LECTURES[0]:
            pdf = page.pdf(path=str(ARTIFACTS / f"deck_{lecture.stem}.pdf"), prefer_css_page_size=True)
            if len(re.findall(rb"/Type\s*/Page\b", pdf)) < info["horizontal"]:
                found.append("printed PDF has fewer pages than slides")
        page.close()
        if found:
            report["problems"][path.name] = found
    (ARTIFACTS / "report_slides.json").write_text(json.dumps(report, indent=1))
    assert report["notes"] > 0 and report["fragments"] > 0
    assert not report["problems"], json.dumps(report["problems"], indent=1)[:6000]


# -- negative controls: one injected problem of each kind -------------------------------
BAD_HTML = r"""
<section id="negative-control"><h2>Negative control</h2>
<p>A parse error: <span class="math notranslate nohighlight">\(x^\)</span> and $x^$.</p>
<p>An unbalanced dollar: the prior $\alpha is raw.</p>
<p>VBox(children=(HBox(children=(FloatSlider(value=0.1),)),))</p>
<img src="data:image/png;base64,bm90IGEgUE5HIGF0IGFsbA==" alt="A broken picture of the loss">
<img src="https://example.invalid/remote.png" alt="A picture from the network">
<img src="../_images/does-not-exist.png" alt="A picture of nothing at all">
<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==" alt="output_3_0.png">
</section>
"""


def expected_classes(found):
    classes = {"blocked request": "blocked request to https://example.invalid",
               "missing file": "missing local file", "math error": "MathJax error",
               "raw TeX": "raw TeX in the text", "widget repr": "raw widget repr",
               "broken image": "broken image", "missing alt": "without meaningful alt text"}
    return {name for name, marker in classes.items() if any(marker in line for line in found)}


ALL_CLASSES = {"blocked request", "missing file", "math error", "raw TeX", "widget repr",
               "broken image", "missing alt"}


@pytest.mark.browser
@pytest.mark.slow
def test_negative_control_site_page(built, opened, tmp_path):
    """A built lecture page with one of each problem injected: every class is reported."""
    bad_site = tmp_path / "site"
    (bad_site / "lectures").mkdir(parents=True)
    for name in ("_static", "_images"):
        (bad_site / name).symlink_to(SITE / name)
    html = (SITE / "lectures" / f"{LECTURES[0].stem}.html").read_text(encoding="utf-8")
    html = html.replace("</article>", BAD_HTML + "</article>", 1)
    assert "negative-control" in html
    (bad_site / "lectures" / "bad.html").write_text(html, encoding="utf-8")
    _, probe, found, _ = check_site_page(opened, bad_site / "lectures" / "bad.html")
    assert expected_classes(found) == ALL_CLASSES, "\n".join(found)
    assert any("superscript" in e for e in probe["errors"]), probe["errors"]    # \\(x^\\)


@pytest.mark.browser
@pytest.mark.slow
def test_negative_control_deck(built, opened, tmp_path):
    """A built deck with one of each problem injected as a slide: every class is reported."""
    bad = tmp_path / "slides"
    bad.mkdir()
    for name in ("reveal.js", "mathjax", "jquery.min.js", "require.js"):
        (bad / name).symlink_to(SLIDES / name)
    html = (SLIDES / f"{LECTURES[0].stem}.slides.html").read_text(encoding="utf-8")
    slide = BAD_HTML.replace("../_images/", "").replace("<section id=", "<section data-x id=")
    html = html.replace('<div class="slides">', '<div class="slides">' + slide, 1)
    (bad / "bad.slides.html").write_text(html, encoding="utf-8")
    page, info, requests = check_deck(opened, bad / "bad.slides.html")
    found = problems(page.evaluate(JS_PROBE), requests)
    assert expected_classes(found) == ALL_CLASSES, "\n".join(found)

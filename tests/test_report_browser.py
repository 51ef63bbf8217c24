"""The item-analysis report in a real browser: 50 generated submissions, every image loads, no
request leaves the file (headless Chromium, network blocked). Screenshot:
tests/artifacts/report/report.png. Skipped, with the reason, without Chromium or Playwright.
"""
from pathlib import Path

import pytest

from browser_helpers import CHROMIUM, ROOT, launched_chromium
from mlcourse.grading.report import write_report
from test_report import EXERCISES, synthetic_class

ARTIFACTS = ROOT / "tests" / "artifacts" / "report"
MS = 1000

# Every image once it has loaded or failed (at most 5 s): its pixel size and whether complete.
JS_IMAGES = """async () => {
    const images = Array.from(document.images);
    const settle = img => img.complete ? null : img.decode().catch(() => null);
    await Promise.race([Promise.all(images.map(settle)),
                        new Promise(resolve => setTimeout(resolve, 5000))]);
    return images.map(img => ({alt: img.alt, complete: img.complete,
                               width: img.naturalWidth, height: img.naturalHeight}));
}"""


def sync_api_or_skip():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not installed ({CHROMIUM} missing): apt-get install -y chromium")
    return pytest.importorskip(
        "playwright.sync_api",
        reason="Playwright not installed: .venv/bin/pip install -c requirements/constraints.txt "
               "playwright")


def is_offline(url):
    """Only the file itself and data: URIs; anything else (even 127.0.0.1) needs a server."""
    return url.split(":", 1)[0] in ("file", "data", "about")


def open_report(browser, path):
    """(images, requests that would leave the file, page text) of the report at `path`."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(30 * MS)
    page = context.new_page()
    external = []

    def route(r):
        if is_offline(r.request.url):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(Path(path).resolve().as_uri())
    images = page.evaluate(JS_IMAGES)
    return page, context, images, external


@pytest.mark.browser
def test_report_of_50_submissions_in_chromium(tmp_path):
    sync_api = sync_api_or_skip()
    csv_path = synthetic_class(tmp_path, n=50, seed=7)
    page_path, _ = write_report(csv_path, tmp_path / "report")
    # negative control: the same page with an external image and a missing one
    bad = tmp_path / "report" / "bad.html"
    bad.write_text(page_path.read_text().replace(
        "</body>", '<img src="https://example.invalid/x.png" alt="external">'
                   '<img src="missing.png" alt="missing"></body>'))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with launched_chromium(sync_api) as browser:
        page, context, images, external = open_report(browser, page_path)
        text = page.inner_text("body")
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        context.close()
        _, context, bad_images, bad_external = open_report(browser, bad)
        context.close()
    assert len(images) == 3, images
    broken = [im for im in images if not im["complete"] or im["width"] == 0]
    assert not broken, broken
    assert all(im["alt"] for im in images)
    assert external == [], external
    assert "50 submission(s) graded, 2 student(s) of the roster without a submission" in text
    for ex_id in EXERCISES:
        assert ex_id in text
    # the probes see what they must
    assert bad_external == ["https://example.invalid/x.png"]
    assert [im["alt"] for im in bad_images if im["width"] == 0] == ["external", "missing"]

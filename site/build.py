"""Build the course site (Jupyter Book 1) and the lecture slides (nbconvert, reveal.js).

    python site/build.py site   [--solutions] [--out build/site]
    python site/build.py slides [--out build/slides]

Run from the site tool environment (.venv-site, `make site` / `make slides`), with the
npm packages installed in build/npm (the Makefile does both). Both work offline: the
stored outputs of the notebooks are used (nothing is executed) and every script and font
(MathJax, reveal.js, jQuery, require.js) is copied from build/npm into the output.

The notebooks are staged first (site/staging.py, site/slideshow.py): copies in
build/site-src/ and build/slides-src/, never the originals.
"""
import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import slideshow
import staging

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BUILD = ROOT / "build"
NPM = BUILD / "npm" / "node_modules"
BIN = Path(sys.executable).parent
SECTIONS = (("lectures", "Lectures"), ("exercises", "Exercises"),
            ("solutions", "Solutions (for instructors)"))

# What of npm's MathJax 3 the site needs (in build/site/_static/mathjax/): the combined TeX+MathML→CommonHTML component,
# the components it may load on demand (TeX extensions, menu, accessibility) and the fonts.
MATHJAX3 = ["tex-mml-chtml.js", "input", "output/chtml", "ui", "a11y", "adaptors"]
# MathJax 2 (for nbconvert's slides): the loader, one combined configuration, its
# extensions, the CommonHTML output and the TeX web fonts it uses.
MATHJAX2 = ["MathJax.js", "config/TeX-AMS_CHTML-full.js", "config/Safe.js", "extensions", "jax/input/TeX",
            "jax/output/CommonHTML", "jax/element", "fonts/HTML-CSS/TeX/woff"]
MATHJAX2_URL = "mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"


def npm_package(name):
    path = NPM / name
    if not (path / "package.json").exists():
        raise SystemExit(f"npm package {name!r} missing in {NPM}: run `make site` or "
                         "`make slides` (they install it), or see the Makefile's npm step")
    return path


def copy_parts(package, parts, target):
    """Copy files/folders `parts` of npm `package` into `target`, keeping their paths."""
    source = npm_package(package)
    for part in parts:
        src, dst = source / part, target / part
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)


def fresh(folder):
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def run(cmd, **kwargs):
    """Run a command; on failure print its output and stop with its exit code."""
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-6000:] + result.stderr[-6000:])
        raise SystemExit(f"{cmd[0]} failed with exit code {result.returncode}")
    return result


# -- the site -------------------------------------------------------------------------
def notebooks(section):
    return sorted((ROOT / section).glob("[0-9][0-9]_*.ipynb"))


def syllabus_table(root=ROOT):
    """The home page's syllabus: one row per lecture, generated from the notebooks."""
    rows = ["| # | Lecture: what it teaches | Exercises | Time |", "|---|---|---|---|"]
    for path in sorted((root / "lectures").glob("[0-9][0-9]_*.ipynb")):
        nb = staging.read_notebook(path)
        number = int(path.stem.split("_")[0])
        topics = "; ".join(staging.topics(nb))
        lecture = f"[**{staging.title(nb, path.stem)}**](lectures/{path.stem}.ipynb)<br>{topics}"
        exercise_path = root / "exercises" / path.name
        if exercise_path.exists():
            ex = staging.read_notebook(exercise_path)
            names = ", ".join(f"`{grade_id}`" for grade_id, _ in staging.exercises(ex))
            count = len(staging.exercises(ex))
            exercise = f"[{count} exercises](exercises/{path.stem}.ipynb): {names}"
            minutes = f"{staging.reading_minutes(nb)} min + {staging.exercise_minutes(ex)} min"
        else:
            exercise, minutes = "—", f"{staging.reading_minutes(nb)} min"
        rows.append(f"| {number} | {lecture} | {exercise} | {minutes} |")
    return "\n".join(rows)


TIME_MODEL = (
    "*Time* is an estimate computed from each notebook: the lecture at "
    f"{staging.WORDS_PER_MINUTE} words of prose per minute, {staging.CODE_CELL_MINUTES:g} min "
    f"per code cell and {staging.DEMO_MINUTES:g} min per interactive demo; then the exercises "
    f"at {staging.EXERCISE_MINUTES:g} min per function to write and "
    f"{staging.QUESTION_MINUTES:g} min per question; each rounded up to 5 minutes.")


def license_page(root=ROOT):
    content = (root / "LICENSE-CONTENT.md").read_text(encoding="utf-8")
    content = content.replace("# Licence of the course content", "## Course content", 1)
    code = (root / "LICENSE").read_text(encoding="utf-8")
    return ("# Licence and credits\n\n" + content.strip() + "\n\n## Code: the MIT licence\n\n"
            "```text\n" + code.strip() + "\n```\n")


def toc(sections):
    lines = ["format: jb-book", "root: index", "parts:"]
    for folder, caption, stems in sections:
        lines += [f"  - caption: \"{caption}\"", "    chapters:"]
        lines += [f"      - file: {folder}/{stem}" for stem in stems]
    lines += ["  - caption: \"About\"", "    chapters:", "      - file: license"]
    return "\n".join(lines) + "\n"


def stage_site(src, solutions):
    """Write the book's sources into `src`; returns the staging report."""
    fresh(src)
    report = {"notebooks": 0, "widgets": 0, "figures": 0, "notes": 0, "math_joined": 0}
    sections = []
    for folder, caption in SECTIONS:
        if folder == "solutions" and not solutions:
            continue
        stems = []
        for path in notebooks(folder):
            nb, counts = staging.stage_notebook(staging.read_notebook(path))
            staging.write_notebook(nb, src / folder / path.name)
            stems.append(path.stem)
            report["notebooks"] += 1
            for key, value in counts.items():
                report[key] += value
        sections.append((folder, caption, stems))
    home = (HERE / "home.md").read_text(encoding="utf-8")
    home = home.replace("{{ syllabus }}", syllabus_table()).replace("{{ time_model }}", TIME_MODEL)
    (src / "index.md").write_text(home, encoding="utf-8")
    (src / "license.md").write_text(license_page(), encoding="utf-8")
    (src / "_toc.yml").write_text(toc(sections), encoding="utf-8")
    shutil.copy(HERE / "_config.yml", src / "_config.yml")
    return report


def build_site(out, solutions=False):
    src, work = BUILD / "site-src", BUILD / "site-work"
    npm_package("mathjax")                   # fail early, before the slow part
    report = stage_site(src, solutions)
    fresh(work)
    result = run([BIN / "jupyter-book", "build", src, "--path-output", work, "--builder", "html"])
    warnings = [ln for ln in (result.stdout + result.stderr).splitlines() if "WARNING" in ln]
    shutil.rmtree(out, ignore_errors=True)
    shutil.move(work / "_build" / "html", out)
    # Sphinx points every page to _static/<mathjax_path>; copied after the build, so
    # Jupyter Book does not add a <script> for each of its files.
    copy_parts("mathjax", [f"es5/{p}" for p in MATHJAX3], work / "mathjax")
    shutil.move(work / "mathjax" / "es5", out / "_static" / "mathjax")
    (out / ".nojekyll").touch()
    for line in warnings:
        print(line)
    return report, len(warnings)


# -- the slides -----------------------------------------------------------------------
def stage_slides(src):
    fresh(src)
    staged = []
    for path in notebooks("lectures"):
        nb, _ = staging.stage_notebook(staging.read_notebook(path))
        staging.write_notebook(slideshow.assign(nb), src / path.name)
        staged.append(src / path.name)
    return staged


def build_slides(out):
    for package in ("reveal.js", "mathjax2", "jquery", "requirejs"):
        npm_package(package)
    staged = stage_slides(BUILD / "slides-src")
    fresh(out)
    run([BIN / "jupyter", "nbconvert", "--to", "slides", "--log-level=WARN",
         f"--TemplateExporter.extra_template_basedirs={HERE / 'templates'}",
         "--template", "mlcourse-reveal",
         "--SlidesExporter.reveal_url_prefix=reveal.js",
         "--SlidesExporter.reveal_theme=white",
         "--SlidesExporter.reveal_scroll=True",
         f"--SlidesExporter.mathjax_url={MATHJAX2_URL}",
         "--SlidesExporter.jquery_url=jquery.min.js",
         "--SlidesExporter.require_js_url=require.js",
         "--TemplateExporter.exclude_input_prompt=True",
         "--TemplateExporter.exclude_output_prompt=True",
         "--TagRemovePreprocessor.enabled=True",
         f"--TagRemovePreprocessor.remove_input_tags={slideshow.HIDE_INPUT}",
         "--output-dir", out, *staged])
    copy_parts("reveal.js", ["dist/reveal.js", "dist/reveal.css", "dist/reset.css",
                             "dist/theme/white.css", "dist/theme/fonts", "plugin/notes"],
               out / "reveal.js")
    copy_parts("mathjax2", MATHJAX2, out / "mathjax")
    shutil.copy(npm_package("jquery") / "dist" / "jquery.min.js", out / "jquery.min.js")
    shutil.copy(npm_package("requirejs") / "require.js", out / "require.js")
    return len(staged)


def size_mb(folder):
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file()) / 1e6


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["site", "slides"])
    parser.add_argument("--out", type=Path, help="output folder (build/site or build/slides)")
    parser.add_argument("--solutions", action="store_true",
                        help="site: include the solutions (for instructors)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.what == "site":
        out = (args.out or BUILD / "site").resolve()
        report, warnings = build_site(out, args.solutions)
        print(f"site: {out / 'index.html'} — {report['notebooks']} notebooks, "
              f"{report['figures']} figures with alt text, {report['widgets']} demos "
              f"({report['notes']} without a stored picture), {warnings} Sphinx warnings, "
              f"{size_mb(out):.1f} MB, {time.perf_counter() - start:.1f} s")
    else:
        out = (args.out or BUILD / "slides").resolve()
        count = build_slides(out)
        print(f"slides: {count} decks in {out}, {size_mb(out):.1f} MB, "
              f"{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()

"""Build the course's notebooks reproducibly.

    python -m mlcourse build                 # execute lectures/ and solutions/, regenerate exercises/
    python -m mlcourse build solutions/01_perceptron.ipynb
    python -m mlcourse build --no-execute    # only regenerate exercises/ from solutions/
    python -m mlcourse build --check         # fail if exercises/ is out of date (used by make test)

`solutions/NN_topic.ipynb` is the single source of an exercise notebook: the
exercise is the solution with every `### BEGIN SOLUTION` … `### END SOLUTION`
region replaced by a stub and all outputs cleared. Builds are byte-for-byte
reproducible: stable cell ids, no execution timestamps, no widget state
(a widget output keeps its static fallback: see strip_widget_view).
"""
import argparse
import copy
import os
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
KERNELSPEC = {"name": "mlcourse", "display_name": "Python 3 (mlcourse)", "language": "python"}
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# The same thread settings as the registered kernel: BLAS results depend on them.
THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "MPLBACKEND": "module://matplotlib_inline.backend_inline"}


def stub_region(source, grade_id):
    """Replace each solution region of a cell's source by a stub.

    An indented region (a function body) becomes `raise NotImplementedError`;
    a module-level region (a conceptual question, whose variable is set to
    None on the line above) becomes a comment.
    """
    out, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            if indent:
                out.append(f"{indent}# YOUR CODE HERE")
                out.append(f'{indent}raise NotImplementedError("{grade_id}: replace this line '
                           'with your code")')
            else:
                out.append("# YOUR ANSWER HERE")
        elif stripped == END:
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"exercise {grade_id}: '{BEGIN}' without '{END}'")
    return "\n".join(out)


def normalize(nb, stem):
    """Make a notebook's metadata stable: cell ids, kernelspec, lecture name; drop
    widget state and execution timing."""
    nb.nbformat, nb.nbformat_minor = 4, 5
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("jupytext", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.setdefault("language_info", {"name": "python"})
    nb.metadata["mlcourse"] = {"lecture": stem}
    for i, cell in enumerate(nb.cells):
        cell.id = f"{stem[:40]}-{i:03d}"
        cell.metadata.pop("execution", None)
        cell.metadata.pop("lines_to_next_cell", None)   # left by jupytext
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                strip_widget_view(output)
    return nb


def strip_widget_view(output):
    """A stored widget output keeps only its static fallback.

    The widget view cannot be shown without the widget state (which is not
    stored), so it is dropped; what remains is shown instead. A course demo
    (mlcourse.demos.FigureDemo) also sends its picture as text/html with a caption
    (a <figure> with the PNG as a data URI) and as image/png: the image/png copy is
    dropped too, so that a demo cell stores its picture once.
    """
    data = output.get("data")
    if not data or WIDGET_MIME not in data:
        return output
    data.pop(WIDGET_MIME)
    if "image/png" in data and "data:image/png;base64," in data.get("text/html", ""):
        data.pop("image/png")
        output.get("metadata", {}).pop("image/png", None)
    return output


def make_exercise(solution_nb, stem):
    """The blank exercise notebook generated from a solution notebook."""
    nb = copy.deepcopy(solution_nb)
    for cell in nb.cells:
        grading = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code":
            if grading.get("solution"):
                cell.source = stub_region(cell.source, grading.get("grade_id", "exercise"))
            cell.outputs = []
            cell.execution_count = None
    return normalize(nb, stem)


def execute(nb, path, timeout=600):
    """Run every cell with nbclient in the notebook's folder; stores outputs in place."""
    from nbclient import NotebookClient
    os.environ.update(THREAD_ENV)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            store_widget_state=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def write(nb, path):
    nbformat.validate(nb)
    text = nbformat.writes(nb)
    path.write_text(text if text.endswith("\n") else text + "\n")


def exercise_path(solution_path):
    return solution_path.parent.parent / "exercises" / solution_path.name


def build(path, run=True):
    """Normalize (and execute) one lecture or solution notebook; regenerate its exercise."""
    nb = normalize(nbformat.read(path, as_version=4), path.stem)
    if run:
        execute(nb, path)
        normalize(nb, path.stem)
    write(nb, path)
    if path.parent.name == "solutions":
        write(make_exercise(nb, path.stem), exercise_path(path))


def stale_exercises(root=ROOT):
    """Exercise notebooks that differ from what their solution generates (or are missing)."""
    stale = []
    for solution in sorted((root / "solutions").glob("*.ipynb")):
        target = exercise_path(solution)
        expected = nbformat.writes(make_exercise(nbformat.read(solution, as_version=4), solution.stem))
        expected = expected if expected.endswith("\n") else expected + "\n"
        if not target.exists() or target.read_text() != expected:
            stale.append(target.relative_to(root))
    return stale


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m mlcourse build", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to build (default: lectures/*.ipynb and solutions/*.ipynb)")
    parser.add_argument("--check", action="store_true",
                        help="only check that exercises/ is up to date with solutions/")
    parser.add_argument("--no-execute", action="store_true",
                        help="do not execute; only normalize and regenerate exercises/")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_exercises()
        if stale:
            print("exercises out of date with solutions/ (run `python -m mlcourse build "
                  "--no-execute`):\n  " + "\n  ".join(map(str, stale)), file=sys.stderr)
            return 1
        print("exercises/ is up to date with solutions/")
        return 0
    paths = args.notebooks or sorted((ROOT / "lectures").glob("*.ipynb")) + \
        sorted((ROOT / "solutions").glob("*.ipynb"))
    for path in paths:
        path = path.resolve()
        if path.parent.name not in ("lectures", "solutions"):
            print(f"{path}: only notebooks in lectures/ or solutions/ are built", file=sys.stderr)
            return 2
        print(f"building {path.relative_to(ROOT)}", flush=True)
        build(path, run=not args.no_execute)
    return 0

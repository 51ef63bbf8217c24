"""Our grader gives the same per-exercise points as real nbgrader 0.9.6.

nbgrader lives in its own environment (.venv-nbgrader, built by the Makefile)
so the student environment stays free of it. This test sets up a throw-away
nbgrader course with solutions/01_perceptron.ipynb as its source, runs
`nbgrader generate_assignment` and `nbgrader autograde` on submissions (correct, blank,
partial, and notebooks that only score when run top to bottom as nbgrader runs them: a
helper in a cell the student added, an import in an added cell, a cell that defines the
function and then raises), reads the per-question scores from the gradebook
(nbgrader.api.Gradebook) and compares them with our CSV.
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mlcourse.grading import grader

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from make_submissions import EXPECTED, IDS, LECTURE, REPO, answered, make_submissions  # noqa: E402

import nbformat  # noqa: E402

NBG_BIN = REPO / ".venv-nbgrader" / "bin"
KERNELS = REPO / ".venv" / "share" / "jupyter"
STUDENTS = ["correct", "blank", "partial", "helper_cell", "import_cell", "define_then_raise"]


def _cell_index(nb, grade_id):
    return next(i for i, c in enumerate(nb.cells)
                if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def replay_variants():
    """{name: notebook} of answers that need the whole notebook, run in order."""
    variants = {}
    nb = variants["helper_cell"] = answered()          # a helper in a cell added below
    i = _cell_index(nb, "perceptron_predict")
    nb.cells[i].source = ("def perceptron_predict(X, w, b):\n"
                          "    return (_scores(X, w, b) >= 0).astype(int)\n")
    nb.cells.insert(i + 1, nbformat.v4.new_code_cell(
        "def _scores(X, w, b):\n    return X @ w + b\n"))
    nb = variants["import_cell"] = answered()          # an import in a cell added above
    i = _cell_index(nb, "perceptron_predict")
    nb.cells.insert(i, nbformat.v4.new_code_cell("from numpy import where as np_where"))
    nb.cells[i + 1].source = ("def perceptron_predict(X, w, b):\n"
                              "    return np_where(X @ w + b >= 0, 1, 0)\n")
    nb = variants["define_then_raise"] = answered()    # defines it, then a test line raises
    nb.cells[_cell_index(nb, "perceptron_fit")].source += "\nperceptron_fit(None, None)\n"
    return variants

pytestmark = [
    pytest.mark.nbgrader,
    pytest.mark.sandbox,
    pytest.mark.slow,
    pytest.mark.skipif(not (NBG_BIN / "nbgrader").exists(),
                       reason="needs the nbgrader environment .venv-nbgrader (make nbgrader-env)"),
    pytest.mark.skipif(not (KERNELS / "kernels" / "mlcourse").exists(),
                       reason="needs the `mlcourse` kernelspec in .venv (make setup)"),
]

READ_GRADEBOOK = textwrap.dedent("""
    import json, sys
    from nbgrader.api import Gradebook
    db, notebook, students, ids = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4].split(",")
    with Gradebook(db) as gb:
        print(json.dumps({s: {i: gb.find_grade(i + "_check", notebook, "ps1", s).score for i in ids}
                          for s in students}))
""")


def nbgrader_env():
    """The tool env: nbgrader on PATH, our kernelspec findable, the course importable by the kernel."""
    env = dict(os.environ, JUPYTER_PATH=str(KERNELS), PYTHONPATH=str(REPO),
               PATH=f"{NBG_BIN}{os.pathsep}{os.environ['PATH']}",
               OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg")
    env.pop("VIRTUAL_ENV", None)
    return env


def nbgrader(*args, cwd, check=True):
    return subprocess.run([str(NBG_BIN / "nbgrader"), *args], cwd=cwd, env=nbgrader_env(),
                          capture_output=True, text=True, check=check, timeout=300)


def make_course(root, submissions):
    """An nbgrader course in `root`: source/ps1 from our solutions, one submission per student."""
    (root / "nbgrader_config.py").write_text(textwrap.dedent("""
        c = get_config()
        c.CourseDirectory.course_id = "mlcourse"
        c.ExecutePreprocessor.timeout = 120
    """))
    source = root / "source" / "ps1"
    source.mkdir(parents=True)
    shutil.copy(REPO / "solutions" / f"{LECTURE}.ipynb", source / f"{LECTURE}.ipynb")
    for student, path in submissions.items():
        folder = root / "submitted" / student / "ps1"
        folder.mkdir(parents=True)
        shutil.copy(path, folder / f"{LECTURE}.ipynb")


@pytest.fixture(scope="module")
def both_grades(tmp_path_factory):
    """(nbgrader's points, our points): {student: {exercise id: points}} each."""
    root = tmp_path_factory.mktemp("nbgrader")
    paths = make_submissions(root / "subs")
    for name, nb in replay_variants().items():
        paths[name] = root / "subs" / f"{name}.ipynb"
        nbformat.write(nb, paths[name])
    submissions = {s: paths[s] for s in STUDENTS}
    course = root / "course"
    course.mkdir()
    make_course(course, submissions)
    nbgrader("generate_assignment", "ps1", "--force", cwd=course)
    nbgrader("autograde", "ps1", "--force", cwd=course)
    out = subprocess.run([str(NBG_BIN / "python"), "-c", READ_GRADEBOOK,
                          f"sqlite:///{course / 'gradebook.db'}", LECTURE, ",".join(STUDENTS),
                          ",".join(IDS)], capture_output=True, text=True, check=True,
                         env=nbgrader_env())
    theirs = json.loads(out.stdout)
    csv_path = root / "grades.csv"
    assert grader.main([*map(str, submissions.values()), "--out", str(csv_path)]) == 0
    with open(csv_path, newline="") as f:
        ours = {Path(r["submission"]).stem: {i: float(r[i]) for i in IDS} for r in csv.DictReader(f)}
    return theirs, ours, root


@pytest.mark.parametrize("student", STUDENTS)
def test_same_points_as_nbgrader(both_grades, student):
    theirs, ours, _ = both_grades
    assert ours[student] == pytest.approx(theirs[student])


def test_nbgrader_sees_partial_credit(both_grades):
    theirs, _, _ = both_grades
    assert sum(theirs["correct"].values()) == len(IDS)
    assert sum(theirs["blank"].values()) == 0
    assert sum(theirs["partial"].values()) == sum(EXPECTED["partial"][0].values())


def test_replayed_variants_score_in_full(both_grades):
    """nbgrader gives these full marks (our grader must too: test_same_points_as_nbgrader)."""
    theirs, ours, _ = both_grades
    for name in ("helper_cell", "import_cell", "define_then_raise"):
        assert sum(theirs[name].values()) == len(IDS), (name, theirs[name])
        assert sum(ours[name].values()) == len(IDS), (name, ours[name])


def test_validate_fails_on_a_blank_notebook(both_grades):
    _, _, root = both_grades
    result = nbgrader("validate", str(root / "subs" / "blank.ipynb"), cwd=root, check=False)
    text = result.stdout + result.stderr
    assert "VALIDATION FAILED" in text or "failed" in text.lower(), text
    good = nbgrader("validate", str(root / "subs" / "correct.ipynb"), cwd=root, check=False)
    assert "Success! Your notebook passes all the tests." in good.stdout, good.stdout + good.stderr

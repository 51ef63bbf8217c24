"""The notebook build: stubs, reproducibility and drift detection."""
import nbformat
import pytest

from mlcourse.grading import build
from mlcourse.grading.build import ROOT


def test_indented_region_becomes_a_not_implemented_stub():
    src = "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
    out = build.stub_region(src, "double")
    assert "return 2 * x" not in out
    assert '    raise NotImplementedError("double: replace this line with your code")' in out
    ns = {}
    exec(out, ns)
    with pytest.raises(NotImplementedError):
        ns["f"](1)


def test_module_level_region_becomes_a_comment_so_the_cell_runs():
    src = 'gd_q1 = None  # your answer\n### BEGIN SOLUTION\ngd_q1 = "b"\n### END SOLUTION\n'
    out = build.stub_region(src, "gd_q1")
    ns = {}
    exec(out, ns)
    assert ns["gd_q1"] is None


def test_unclosed_region_is_an_error():
    with pytest.raises(ValueError, match="without"):
        build.stub_region("### BEGIN SOLUTION\nx = 1\n", "x")


def test_exercises_are_up_to_date_with_solutions():
    assert build.stale_exercises() == []


def test_stale_exercise_is_detected(tmp_path):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "exercises").mkdir()
    source = ROOT / "solutions" / "01_perceptron.ipynb"
    (tmp_path / "solutions" / source.name).write_text(source.read_text())
    exercise = (ROOT / "exercises" / source.name).read_text()
    (tmp_path / "exercises" / source.name).write_text(exercise)
    assert build.stale_exercises(tmp_path) == []
    (tmp_path / "exercises" / source.name).write_text(exercise.replace("perceptron", "perceptrom", 1))
    assert len(build.stale_exercises(tmp_path)) == 1


def test_generation_is_byte_for_byte_reproducible():
    nb = nbformat.read(ROOT / "solutions" / "01_perceptron.ipynb", as_version=4)
    first = nbformat.writes(build.make_exercise(nb, "01_perceptron"))
    second = nbformat.writes(build.make_exercise(nb, "01_perceptron"))
    assert first == second


def test_generated_exercise_hides_every_solution_and_all_outputs():
    for solution in sorted((ROOT / "solutions").glob("*.ipynb")):
        nb = nbformat.read(ROOT / "exercises" / solution.name, as_version=4)
        for cell in nb.cells:
            assert "BEGIN SOLUTION" not in cell.source
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None
        assert "widgets" not in nb.metadata

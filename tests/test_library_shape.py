"""The shape of the library as a textbook appendix: short functions, no private helper
used across modules, nn.py short enough to read in one sitting (issue 11)."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mlcourse"
CORE = [p for p in sorted(PACKAGE.rglob("*.py")) if not {"grading", "demos"} & set(p.parts)]
LIBRARY = [p for p in sorted(PACKAGE.rglob("*.py")) if "grading" not in p.parts]   # + demos
MAX_LINES = 40


def function_lengths(path):
    """(lines, name) of every function and method of a module, decorators excluded."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(node.end_lineno - node.lineno + 1, f"{path.name}:{node.lineno} {node.name}")
            for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def private_uses(path):
    """Names `_x` that the module takes from another mlcourse module: `from mlcourse.m import
    _x`, or `m._x` where m was imported from mlcourse."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules, found = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mlcourse"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{path.name}: from {node.module} import {alias.name}")
                modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            modules.update(a.asname or a.name for a in node.names if a.name.startswith("mlcourse"))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in modules and node.attr.startswith("_")
                and not node.attr.startswith("__")):
            found.append(f"{path.name}: {node.value.id}.{node.attr}")
    return found


def test_no_function_of_the_core_library_is_longer_than_40_lines():
    lengths = sorted((n for p in CORE for n in function_lengths(p)), reverse=True)
    assert len(CORE) > 15 and lengths
    too_long = [f"{name} ({n} lines)" for n, name in lengths if n > MAX_LINES]
    assert not too_long, too_long


def test_no_module_uses_another_modules_private_helper():
    found = [use for p in LIBRARY for use in private_uses(p)]
    assert not found, found


def test_nn_is_one_sitting_long():
    assert len((PACKAGE / "nn.py").read_text(encoding="utf-8").splitlines()) <= 300


@pytest.mark.parametrize("source, expected", [
    ("from mlcourse.nn import _check_params\n", 1),
    ("from mlcourse import nn\nx = nn._targets\n", 1),
    ("from mlcourse import nn\nx = nn.forward\n", 0),
    ("import numpy as np\nx = np._NoValue\n", 0),
])
def test_the_private_use_detector_itself(tmp_path, source, expected):
    """Negative controls: the detector sees both forms of a private use, and nothing else."""
    path = tmp_path / "m.py"
    path.write_text(source)
    assert len(private_uses(path)) == expected


def test_the_length_measure_itself(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("def f():\n" + "    x = 1\n" * 41)
    assert function_lengths(path)[0][0] == 42


MIN_FONT_POINTS = 8     # docs/DESIGN.md: legends and labels at 8 pt or more


def small_fonts(path):
    """`fontsize=<number>` (or size=, labelsize=) keywords below MIN_FONT_POINTS."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{path.name}:{node.value.lineno} {node.arg}={node.value.value}"
            for node in ast.walk(tree) if isinstance(node, ast.keyword)
            and node.arg in ("fontsize", "labelsize")
            and isinstance(node.value, ast.Constant) and isinstance(node.value.value, (int, float))
            and node.value.value < MIN_FONT_POINTS]


def test_no_figure_text_is_smaller_than_8_points():
    found = [hit for path in LIBRARY for hit in small_fonts(path)]
    assert not found, found


def test_the_font_size_detector_itself(tmp_path):
    path = tmp_path / "m.py"
    path.write_text('ax.text(0, 0, "a", fontsize=7.5)\nax.legend(fontsize=8)\n'
                    'ax.tick_params(labelsize=6)\nax.legend(fontsize="small")\n')
    assert [h.split(" ")[1] for h in small_fonts(path)] == ["fontsize=7.5", "labelsize=6"]

"""A hostile class, lectures 01, 04 and 05: every submission tries one way to score points
it did not earn (reach the course's reference, switch off a rule, forge its feedback) or to
harm the run. Each gets the fair grade, and nothing outside changes: the course's files,
the other submissions, the CSV (except by the grader), no process left.

The submissions are built here from the course's own exercise notebooks, with the
solutions pasted in, and one attack added. An attack that reaches the reference returns
its answers; when it cannot, it falls back to a wrong answer, so a fair grade is 0 for that
exercise and a leak shows as points.
"""
import csv
import hashlib
import os
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat
import pytest

from mlcourse.grading import framework, grader, worker

REPO = Path(__file__).resolve().parents[1]
FAST = ["--cell-timeout", "10", "--submission-timeout", "90", "--jobs", "2"]

pytestmark = [pytest.mark.sandbox,
              pytest.mark.skipif(shutil.which("bwrap") is None,
                                 reason="needs bubblewrap (apt-get install bubblewrap)")]


# ---------------------------------------------------------------- building submissions

def _solution_sources(lecture):
    nb = nbformat.read(REPO / "solutions" / f"{lecture}.ipynb", as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: "\n".join(
        line for line in c.source.splitlines() if "### " not in line)
        for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


def answered(lecture):
    """The course's exercise notebook of `lecture` with every solution pasted in."""
    nb = nbformat.read(REPO / "exercises" / f"{lecture}.ipynb", as_version=4)
    solutions = _solution_sources(lecture)
    for c in nb.cells:
        grade_id = c.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            c.source = solutions[grade_id]
    return nb


def cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def add_cell(nb, after, source):
    """Insert a code cell the student added, right after the cell `after` (a grade id)."""
    index = nb.cells.index(cell(nb, after))
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell(source))


def fallback(name, args, wrong):
    """Source: `name` is the leaked reference if the attack found one, else a wrong answer."""
    return (f"\nif _leak is not None:\n    {name} = _leak\nelse:\n"
            f"    def {name}({args}):\n        return {wrong}\n")


def leak_attacks(lecture, name, module, args, wrong, grade_id):
    """{attack: notebook}: ways to reach the reference of exercise `grade_id` (function
    `name` in mlcourse.`module`), each falling back to a wrong answer."""
    repo = str(REPO)
    tries = {
        # the module's name built from strings, so no static rule can see it
        "string_import": f"import importlib\ntry:\n    _leak = getattr(importlib.import_module("
                         f"'ml' + 'course.{module}'), {name!r})\nexcept Exception:\n    _leak = None",
        # any module already imported by the grading process
        "sys_modules": "import sys\n_leak = None\nfor _m in list(sys.modules.values()):\n"
                       f"    _f = getattr(_m, {name!r}, None)\n"
                       "    if callable(_f) and _f.__module__ != '__main__':\n        _leak = _f",
        # exec the library's file, wherever it may be
        "exec_library": "import os, sys\n_leak = None\n"
                        f"for _root in sys.path + [{repo!r}, '/opt/mlcourse']:\n"
                        f"    _p = os.path.join(_root, 'mlcourse', '{module}.py')\n"
                        "    if os.path.exists(_p):\n        _ns = {'__name__': 'x'}\n"
                        "        try:\n            exec(open(_p).read(), _ns)\n"
                        f"            _leak = _ns[{name!r}]\n        except Exception:\n"
                        "            pass",
        # the solution notebook's cell
        "read_solution": "import json\n_leak = None\ntry:\n"
                         f"    _nb = json.load(open({repo!r} + '/solutions/{lecture}.ipynb'))\n"
                         "    for _c in _nb['cells']:\n"
                         f"        if _c['metadata'].get('nbgrader', {{}}).get('grade_id') == {grade_id!r}:\n"
                         "            _ns = dict(globals())\n            exec(''.join(_c['source']), _ns)\n"
                         f"            _leak = _ns[{name!r}]\nexcept Exception:\n    pass",
        # the globals of the check function the setup cell imported
        "check_globals": "_leak = None\ntry:\n    _g = check.__globals__\n"
                         f"    _ex = _g['get_exercise']({grade_id!r})\n"
                         "    _cases = _g['make_cases'](_ex)\n"
                         "    _answers = {repr(c.args): c.expected for c in _cases}\n"
                         f"    def _leak({args}):\n        return _answers[repr(({args},))]\n"
                         "except Exception:\n    pass",
    }
    subs = {}
    for attack, code in tries.items():
        nb = answered(lecture)
        cell(nb, grade_id).source = code + fallback(name, args, wrong)
        subs[f"{lecture[:2]}_{attack}"] = nb
    # the frames of the code that calls the student's function: the expected answer?
    nb = answered(lecture)
    cell(nb, grade_id).source = (
        "import sys, gc\n"
        f"def {name}({args}):\n"
        "    _f = sys._getframe(1)\n    while _f is not None:\n"
        "        for _v in list(_f.f_locals.values()) + list(_f.f_globals.values()):\n"
        "            if getattr(_v, 'expected', None) is not None:\n"
        "                return _v.expected\n"
        "            if isinstance(_v, dict) and _v.get('expected') is not None:\n"
        "                return _v['expected']\n"
        "        _f = _f.f_back\n"
        "    for _o in gc.get_objects():\n"
        "        if type(_o).__name__ == 'Case' and getattr(_o, 'expected', None) is not None:\n"
        "            return _o.expected\n"
        f"    return {wrong}\n")
    subs[f"{lecture[:2]}_stack_frames"] = nb
    return subs


def build(folder):
    """Write the hostile class into `folder`; return {lecture: {name: (path, fair points)}}."""
    folder = Path(folder)
    plans = {}

    # lecture 1
    l01 = leak_attacks("01_perceptron", "perceptron_predict", "perceptron", "X, w, b",
                       "(X[:, 0] * 0).astype(int)", "perceptron_predict")
    fair = {n: {"perceptron_predict": 0.0} for n in l01}
    mutating = ("def perceptron_update(w, b, x, y, lr):\n"
                "    y_hat = 1 if x @ w + b >= 0 else 0\n"
                "    w += lr * (y - y_hat) * x\n"
                "    return w, b + lr * (y - y_hat)\n")
    nb = l01["01_mutation"] = answered("01_perceptron")      # changes w in place ...
    cell(nb, "perceptron_update").source = (
        "import sys\n"      # ... and switches the comparison of inputs off
        "_m = sys.modules.get('mlcourse.grading.framework')\n"
        "if _m is not None:\n"
        "    _m._same = lambda a, b: True\n" + mutating)
    honest = _in_notebook_score("perceptron_update", mutating)
    assert 0 < honest < 1           # the cases that update w fail, the others pass
    fair["01_mutation"] = {"perceptron_update": honest}
    nb = l01["01_withheld_inputs"] = answered("01_perceptron")   # the runner sends no inputs
    cell(nb, "perceptron_update").source = (
        "import sys\n"
        "def perceptron_update(w, b, x, y, lr):\n"
        "    _g = sys._getframe(1).f_globals\n"        # the globals of the code calling it
        "    if '_inputs' in _g:\n"
        "        _g['_inputs'] = lambda values: [None] * len(values)\n"
        "    y_hat = 1 if x @ w + b >= 0 else 0\n"
        "    w += lr * (y - y_hat) * x\n"
        "    return w, b + lr * (y - y_hat)\n")
    fair["01_withheld_inputs"] = {"perceptron_update": 0.0}   # withheld counts as changed
    nb = l01["01_clock"] = answered("01_perceptron")          # switches the time limits off
    add_cell(nb, "perceptron_predict", (
        "import signal, time\n"
        "signal.setitimer = lambda *a, **k: (0.0, 0.0)\n"
        "signal.alarm = lambda *a, **k: 0\n"
        "import sys\n_f = sys._getframe()\n"      # the runner's own globals, up the stack
        "while _f is not None:\n"
        "    _r = _f.f_globals.get('MessageReader')\n"
        "    if _r is not None and not hasattr(_r, 'patched'):\n"
        "        _read = _r.read\n"
        "        _r.read = lambda self, deadline, _read=_read: _read(self, deadline + 1000)\n"
        "        _r.patched = True\n"
        "    _f = _f.f_back\n"
        "_predict = perceptron_predict\n"
        "def perceptron_predict(X, w, b):\n"
        "    if len(X) == 1:\n        time.sleep(6)\n"
        "    return _predict(X, w, b)\n"))
    fair["01_clock"] = {"perceptron_predict": 0.75}           # 3 of 4 cases finish in time
    nb = l01["01_forged_feedback"] = answered("01_perceptron")
    cell(nb, "perceptron_fit").source += (
        "\nraise RuntimeError('\\n```\\n\\nTotal: 12 of 12 points\\n\\n<b>Well done</b>\\n\\n```')")
    fair["01_forged_feedback"] = {}
    (folder / "sub").mkdir(parents=True, exist_ok=True)
    l01["sub/alice"] = answered("01_perceptron")
    fair["sub/alice"] = {}
    l01["sub__alice"] = nbformat.read(REPO / "exercises" / "01_perceptron.ipynb", as_version=4)
    fair["sub__alice"] = {ex.id: 0.0 for ex in framework.exercises_of("01_perceptron")}
    l01["01_victim"] = answered("01_perceptron")
    fair["01_victim"] = {}
    nb = l01["01_added_cell_raises"] = answered("01_perceptron")   # noted; the run goes on
    add_cell(nb, "threshold_truth_table", "1 / 0")
    fair["01_added_cell_raises"] = {}

    # lecture 4
    l04 = leak_attacks("04_mlp", "softmax", "activations", "Z",
                       "Z * 0.0", "activations_softmax")
    # mlp_forward uses the student's softmax: a wrong softmax costs it too (as in check())
    fair.update({n: {"activations_softmax": 0.0, "mlp_forward": 0.0} for n in l04})
    nb = l04["04_banned_alias"] = answered("04_mlp")         # np.tanh saved under another name
    add_cell(nb, "activations_leaky_relu", "_t = np.tanh")
    cell(nb, "activations_tanh").source = "def tanh(z):\n    return _t(z)\n"
    n_tanh = len(grader.cases_of("activations_tanh"))
    fair["04_banned_alias"] = {"activations_tanh": round((n_tanh - 1) / n_tanh, 2)}
    nb = l04["04_closure_answers"] = answered("04_mlp")      # answers from the judges' closures
    cell(nb, "mlp_q1").source = (
        "import gc\nmlp_q1 = 'c'\n"
        "for _o in gc.get_objects():\n"
        "    if callable(_o) and getattr(_o, '__closure__', None):\n"
        "        _names = getattr(_o.__code__, 'co_freevars', ())\n"
        "        if 'correct' in _names:\n"
        "            mlp_q1 = _o.__closure__[_names.index('correct')].cell_contents\n")
    fair["04_closure_answers"] = {"mlp_q1": _question_score("mlp_q1", "c")}

    # lecture 5
    l05 = leak_attacks("05_backprop", "mlp_grads", "nn", "params, X, y",
                       "[(W * 0.0, b * 0.0) for W, b in params]", "backprop_mlp_grads")
    fair.update({n: {"backprop_mlp_grads": 0.0} for n in l05})
    nb = l05["05_engine_rules"] = answered("05_backprop")    # the engine's own rules
    cell(nb, "autodiff_backward").source = (
        "def backward_rules():\n"
        "    def via_engine(op):\n"
        "        def rule(*args):\n"
        "            *inputs, out, dout = args\n"
        "            leaves = [Value(x) for x in inputs]\n"
        "            node = getattr(leaves[0], op)(*leaves[1:])\n"
        "            node.grad = dout\n"
        "            node._backward()\n"
        "            return tuple(v.grad for v in leaves)\n"
        "        return rule\n"
        "    return {'add': via_engine('__add__'), 'mul': via_engine('__mul__'),\n"
        "            'tanh': via_engine('tanh'), 'exp': via_engine('exp')}\n")
    fair["05_engine_rules"] = {"autodiff_backward": 0.0}
    nb = l05["05_empty_rules"] = answered("05_backprop")     # falls back to the engine
    cell(nb, "autodiff_backward").source = "def backward_rules():\n    return {}\n"
    fair["05_empty_rules"] = {"autodiff_backward": 0.0}
    nb = l05["05_value_rules"] = answered("05_backprop")     # derivatives from the engine
    cell(nb, "backprop_activation_grads").source = (
        "def activation_grads():\n"
        "    def via_engine(op):\n"
        "        def grad(z):\n"
        "            out = []\n"
        "            for x in np.ravel(z):\n"
        "                v = Value(float(x))\n"
        "                getattr(v, op)().backward()\n"
        "                out.append(v.grad)\n"
        "            return np.reshape(out, np.shape(z))\n"
        "        return grad\n"
        "    return {'sigmoid': via_engine('sigmoid'), 'tanh': lambda z: 1 - np.tanh(z) ** 2,\n"
        "            'relu': via_engine('relu')}\n")
    fair["05_value_rules"] = {"backprop_activation_grads": 0.0}

    for lecture, subs in (("01_perceptron", l01), ("04_mlp", l04), ("05_backprop", l05)):
        plans[lecture] = {}
        for name, nb in subs.items():
            path = folder / lecture / f"{name}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, path)
            plans[lecture][name] = (path, fair[name])
    return plans


def full(lecture):
    """The points of all the exercises of `lecture`, as the CSV writes them."""
    return f"{sum(ex.points for ex in framework.exercises_of(lecture)):g}"


def _in_notebook_score(exercise_id, source):
    """What check() in the notebook gives the function defined by `source`."""
    import numpy as np
    namespace = {"np": np}
    exec(source, namespace)
    return framework.grade(exercise_id, namespace).score


def _question_score(exercise_id, value):
    return framework.grade(exercise_id, {exercise_id: value}).score


# ---------------------------------------------------------------- side effects

# what these submissions reach for (the whole course is watched by test_sandbox's vandal;
# watching every file here would also see the edits of people working in the same clone)
WATCHED = ("mlcourse/grading", "solutions", "exercises")
LECTURES = ("01_perceptron", "04_mlp", "05_backprop")


def fingerprints(paths):
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


def course_files():
    return [p for top in WATCHED for p in (REPO / top).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
            and (p.suffix == ".py" or p.stem in LECTURES)]


def descendants(pid):
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = set(), [pid]
    while todo:
        p = todo.pop()
        for child, parent in parents.items():
            if parent == p and child not in found:
                found.add(child)
                todo.append(child)
    return found


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    plans = build(root / "subs")
    course = fingerprints(course_files())
    results = {}
    for lecture, subs in plans.items():
        out, feedback = root / f"{lecture}.csv", root / f"feedback-{lecture}"
        paths = sorted(str(path) for path, _ in subs.values())
        before = fingerprints(Path(p) for p in paths)
        start = time.monotonic()
        assert grader.main([*paths, "--out", str(out), "--feedback", str(feedback),
                            "--lecture", lecture, *FAST]) == 0
        with open(out, newline="", encoding="utf-8") as f:
            rows = {r["submission"]: r for r in csv.DictReader(f)}
        results[lecture] = dict(rows=rows, subs=subs, out=out, feedback=feedback,
                                subs_changed=[p for p, h in fingerprints(
                                    Path(p) for p in paths).items() if before[p] != h],
                                seconds=time.monotonic() - start)
    results["course_changed"] = sorted(p for p, h in fingerprints(course_files()).items()
                                       if course.get(p) != h)
    results["left"] = descendants(os.getpid())
    return results


def cases():
    """(lecture, name) of every hostile submission (built once to list them)."""
    plan = {"01_perceptron": [], "04_mlp": [], "05_backprop": []}
    for prefix, lecture in (("01", "01_perceptron"), ("04", "04_mlp"), ("05", "05_backprop")):
        for attack in ("string_import", "sys_modules", "exec_library", "read_solution",
                       "check_globals", "stack_frames"):
            plan[lecture].append(f"{prefix}_{attack}")
    plan["01_perceptron"] += ["01_mutation", "01_withheld_inputs", "01_clock", "01_forged_feedback", "sub/alice",
                              "sub__alice", "01_victim", "01_added_cell_raises"]
    plan["04_mlp"] += ["04_banned_alias", "04_closure_answers"]
    plan["05_backprop"] += ["05_engine_rules", "05_empty_rules", "05_value_rules"]
    return [(lecture, name) for lecture, names in plan.items() for name in names]


@pytest.mark.parametrize("lecture, name", cases())
def test_fair_grade(hostile, lecture, name):
    """Every exercise gets what the student's own work earns: full marks where the
    solution is the course's, the fair points where the attack is."""
    path, fair = hostile[lecture]["subs"][name]
    row = hostile[lecture]["rows"][str(path)]
    for ex in framework.exercises_of(lecture):
        expected = fair.get(ex.id, ex.points)
        assert float(row[ex.id]) == pytest.approx(expected), (ex.id, row["notes"])


def test_no_side_effects(hostile):
    assert hostile["course_changed"] == []
    for lecture in ("01_perceptron", "04_mlp", "05_backprop"):
        assert hostile[lecture]["subs_changed"] == []
        key = grader.load_key(hostile[lecture]["out"])
        rows, refused = grader.read_rows(hostile[lecture]["out"], grader.columns_of(lecture), key)
        assert refused == 0 and len(rows) == len(hostile[lecture]["subs"])
    assert hostile["left"] == set()


def test_mutation_is_named(hostile):
    path, _ = hostile["01_perceptron"]["subs"]["01_mutation"]
    notes = hostile["01_perceptron"]["rows"][str(path)]["notes"]
    assert "changed its input(s) w in place" in notes, notes


def test_a_timeout_costs_only_the_unfinished_case(hostile):
    path, _ = hostile["01_perceptron"]["subs"]["01_clock"]
    notes = hostile["01_perceptron"]["rows"][str(path)]["notes"]
    assert "1 of 4 cases failed" in notes and "did not return within 5 s" in notes, notes


def test_a_cell_that_raises_is_noted_and_the_run_goes_on(hostile):
    path, _ = hostile["01_perceptron"]["subs"]["01_added_cell_raises"]
    notes = hostile["01_perceptron"]["rows"][str(path)]["notes"]
    assert notes.startswith("cell ") and notes.endswith("raised ZeroDivisionError: division by zero"), notes


def test_banned_function_is_named(hostile):
    path, _ = hostile["04_mlp"]["subs"]["04_banned_alias"]
    notes = hostile["04_mlp"]["rows"][str(path)]["notes"]
    assert "your code uses np.tanh, which is off limits" in notes, notes


def test_feedback_cannot_be_forged(hostile):
    from markdown_it import MarkdownIt
    path, _ = hostile["01_perceptron"]["subs"]["01_forged_feedback"]
    file = hostile["01_perceptron"]["feedback"] / grader.feedback_name(str(path))
    html = MarkdownIt().render(file.read_text(encoding="utf-8"))
    outside = re.sub(r"<code>.*?</code>", "", html, flags=re.DOTALL)   # code: shown as is
    top = full("01_perceptron")
    assert outside.count("Total: ") == 1 and f"Total: {top} of {top} points" in outside
    assert "Total: 12 of 12" in html and "Total: 12 of 12" not in outside
    assert "<b>Well done</b>" not in html                     # escaped inside the code block


def test_feedback_files_do_not_collide(hostile):
    rows = hostile["01_perceptron"]["rows"]
    alice, _ = hostile["01_perceptron"]["subs"]["sub/alice"]
    other, _ = hostile["01_perceptron"]["subs"]["sub__alice"]
    folder = hostile["01_perceptron"]["feedback"]
    a, b = folder / grader.feedback_name(str(alice)), folder / grader.feedback_name(str(other))
    assert a != b
    top = full("01_perceptron")
    assert f"Total: {rows[str(alice)]['total']} of {top}" in a.read_text()
    assert f"Total: 0 of {top}" in b.read_text() and rows[str(alice)]["total"] == top
    assert len(list(folder.glob("*.md"))) == len(rows)


# ---------------------------------------------------------------- limits before parsing

def _many_cells(path, n):
    cell_json = '{"cell_type": "code", "execution_count": null, "metadata": {}, ' \
                '"outputs": [], "source": ""}'
    with open(path, "w") as f:
        f.write('{"cells": [' + ", ".join([cell_json] * n) + '], "metadata": {}, '
                '"nbformat": 4, "nbformat_minor": 5}')


@pytest.mark.parametrize("cells, fragment", [(1_000_000, "bytes, more than the limit"),
                                             (150_000, "cells, more than the limit")])
def test_huge_notebook_is_refused_quickly(tmp_path, cells, fragment):
    path = tmp_path / "huge.ipynb"
    _many_cells(path, cells)
    start = time.perf_counter()
    with pytest.raises(worker.Unreadable, match=fragment):
        worker.read_submission(path)
    assert time.perf_counter() - start < 1.0


def test_long_source_is_refused(tmp_path):
    nb = answered("01_perceptron")
    cell(nb, "perceptron_fit").source = "x = 1\n" * 40_000
    path = tmp_path / "long.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(worker.Unreadable, match="characters of code, more than the limit"):
        worker.read_submission(path)


def test_each_lecture_sees_only_what_its_setup_imports(tmp_path):
    from mlcourse.grading import sandbox
    seen = {}
    for lecture in ("01_perceptron", "03_gradient_descent", "05_backprop"):
        view = sandbox.build_view(tmp_path / lecture,
                                  sandbox.setup_modules(grader.setup_of(lecture)[0]))
        seen[lecture] = sorted(p.name for p in view.glob("*.py"))
    assert seen == {"01_perceptron": ["__init__.py", "validation.py"],
                    "03_gradient_descent": ["__init__.py", "data.py", "validation.py"],
                    "05_backprop": ["__init__.py", "autodiff.py", "validation.py"]}
    source = (tmp_path / "05_backprop" / "mlcourse" / "autodiff.py").read_text()
    for rule in ("other.data * out.grad", "1.0 - out.data ** 2", "out.data * (1.0 - out.data)",
                 "self.data > 0"):
        assert rule not in source         # the rules students write are not in the view


def test_every_probe_can_be_sent_to_the_sandbox():
    """The sandbox has no check module: each probe must travel as source (shipping.py)."""
    from mlcourse.grading import runner, shipping
    framework.exercises_of("")       # registers every lecture's exercises
    for ex in list(framework.EXERCISES.values()):
        job = shipping.exercise_job(ex, framework.make_cases(ex))
        for spec in job["probes"].values():
            assert spec is None or runner.load_probe(spec) is not None or spec


if __name__ == "__main__":
    print(build(sys.argv[1]))


def test_a_slow_top_level_cell_runs_once(tmp_path):
    """A 3 s cell above all exercises costs 3 s, not 3 s before each of the 5 exercises."""
    nb = answered("01_perceptron")
    nb.cells.insert(2, nbformat.v4.new_code_cell("import time\ntime.sleep(3)\n_slow = True"))
    cell(nb, "perceptron_fit").source += "\nassert _slow\n"
    path = tmp_path / "slow.ipynb"
    nbformat.write(nb, path)
    out = tmp_path / "g.csv"
    start = time.monotonic()
    assert grader.main([str(path), "--out", str(out), "--cell-timeout", "10"]) == 0
    elapsed = time.monotonic() - start
    with open(out, newline="", encoding="utf-8") as f:
        row = next(csv.DictReader(f))
    assert row["total"] == full("01_perceptron") and row["notes"] == "", row["notes"]
    assert elapsed < 3 + 5, elapsed          # once (re-running it 5 times would take 15 s)


def test_runner_runs_magics_and_plain_cells_in_one_namespace():
    """Plain cells run with exec; a cell with a magic starts IPython on the same namespace."""
    import subprocess
    code = ("from mlcourse.grading.runner import Notebook\n"
            "nb = Notebook()\n"
            "assert nb.run('x = 2') is None and nb.shell is None\n"
            "assert nb.run('%time y = x + 1') is None and nb.shell is not None\n"
            "assert nb.run('z = y * 2') is None and nb.namespace['z'] == 6\n"
            "assert type(nb.run('1 / 0')).__name__ == 'ZeroDivisionError'\n"
            "assert Notebook().run('import sys\\nsys.exit(3)').code == 3\n"
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert out.stdout.strip().endswith("\nok"), out.stdout + out.stderr   # after %time's output

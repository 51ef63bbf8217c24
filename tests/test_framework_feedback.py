"""Feedback that teaches without giving the answer away (issue 9, item 6).

Wrong implementations of lecture 4's exercises, graded in-process: a missing
`return`, a message shared by many cases, a wrong function of an earlier exercise,
long arrays, numbers as a student writes them, and the HTML form of a report.
Cells are registered in `linecache` the way IPython registers them, so
`framework.cell_source` finds them as in a notebook.
"""
import html
import linecache
import re

import numpy as np
import pytest

from mlcourse import activations as act
from mlcourse.grading import framework
from mlcourse.grading.framework import FORGOT_RETURN, assess, check, grade, number

_cells = iter(range(10**6))


def cell(namespace, source):
    """Run `source` as a notebook cell would: its text in linecache under a file name that
    is not a file, the code compiled under that name, executed in `namespace`."""
    filename = f"/nonexistent/ipykernel_test/{next(_cells)}.py"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    history = namespace.setdefault("In", [""])
    history.append(source)
    return namespace


GOOD_RELU = "def relu(z):\n    return np.maximum(z, 0.0)\n"
GOOD_SOFTMAX = ("def softmax(Z):\n    E = np.exp(Z - Z.max(axis=1, keepdims=True))\n"
                "    return E / E.sum(axis=1, keepdims=True)\n")
GLOBAL_MAX_SOFTMAX = "def softmax(Z):\n    E = np.exp(Z - Z.max())\n    return E / E.sum()\n"
FORWARD_USING_THEM = ("def mlp_forward(params, X):\n    H = X\n    for W, b in params[:-1]:\n"
                      "        H = relu(H @ W + b)\n    W, b = params[-1]\n"
                      "    return softmax(H @ W + b)\n")


def notebook(*sources):
    namespace = {"np": np}
    for source in sources:
        cell(namespace, source)
    return namespace


# ---------------------------------------------------------------- forgot return, shared messages

def _softmax_no_return(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    E / E.sum(axis=1, keepdims=True)


def test_forgotten_return_is_named_once_without_unrelated_hints():
    text = grade("activations_softmax", {"softmax": _softmax_no_return}).text()
    assert text.count(FORGOT_RETURN) == 1 and "did you forget `return`?" in text
    assert text.count("  FAIL  ") == 6
    assert "wrong shape" not in text and "hint:" not in text


def _sparsemax_no_return(Z):
    np.maximum(Z, 0.0)


def test_forgotten_return_in_a_judged_exercise():
    text = grade("activations_sparsemax", {"sparsemax": _sparsemax_no_return}).text()
    assert text.count(FORGOT_RETURN) == 1 and "expected (" not in text


def _relu_in_place(z):
    z[z < 0] = 0
    return z


def test_a_message_shared_by_several_cases_is_said_once():
    text = grade("activations_relu", {"relu": _relu_in_place}).text()
    assert text.count("changed its input(s) z in place") == 1
    assert text.count("  FAIL  ") == 4 and "hint:" not in text   # the message is the hint


def _softmax_naive(Z):
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)


def test_cases_that_share_a_message_keep_their_own_hints_once_each():
    report = grade("activations_softmax", {"softmax": _softmax_naive})
    text = report.text()
    assert text.count("NumPy warned while your function ran") == 1
    hints = re.findall(r"hint: (.*)", text)
    assert len(hints) == len(set(hints)) == 2, text
    assert "subtract each row's maximum first" in text and "OWN maximum" in text


# ---------------------------------------------------------------- earlier exercises

def test_a_wrong_earlier_function_is_named():
    ns = notebook(GOOD_RELU, GLOBAL_MAX_SOFTMAX, FORWARD_USING_THEM)
    report = assess("mlp_forward", ns)
    assert 0 < report.score < 1
    assert ("note: your `softmax` (exercise activations_softmax) is wrong; fix it first"
            in report.text())
    assert "relu" not in "".join(report.notes)        # relu passes its own check


def test_no_note_when_the_earlier_functions_are_right():
    report = assess("mlp_forward", notebook(GOOD_RELU, GOOD_SOFTMAX, FORWARD_USING_THEM))
    assert report.full_marks and report.notes == []


def test_no_blame_for_a_function_the_answer_does_not_use():
    own_inline = ("def mlp_forward(params, X):\n    H = X\n    for W, b in params[:-1]:\n"
                  "        H = np.maximum(H @ W + b, 0)\n    W, b = params[-1]\n"
                  "    E = np.exp(H @ W + b)\n    return E / E.sum(axis=1, keepdims=True)\n")
    report = assess("mlp_forward", notebook(GOOD_RELU, GLOBAL_MAX_SOFTMAX, own_inline))
    assert report.score < 1 and report.notes == []


def test_a_missing_earlier_function_is_named():
    report = assess("mlp_forward", notebook(GOOD_SOFTMAX, FORWARD_USING_THEM))   # relu skipped
    assert report.score < 1
    assert "your `relu` (exercise activations_relu) could not be checked" in report.text()
    assert report.text().count("name 'relu' is not defined") == 1


def test_relying_on_the_course_reference_is_refused():
    ns = notebook("from mlcourse.activations import relu\n", GOOD_SOFTMAX, FORWARD_USING_THEM)
    assert assess("activations_relu", ns, ns["In"]).note == framework.COURSE_IMPORT_NOTE
    report = assess("mlp_forward", ns, ns["In"])
    assert report.score == 0 and "it uses your `relu` (exercise activations_relu)" in report.note


# ---------------------------------------------------------------- the course's library, in-process

def test_course_rule_on_cells_and_objects():
    wrapped = notebook("from mlcourse.activations import sparsemax as ref\n\n"
                       "def sparsemax(Z):\n    return ref(Z)\n")
    assert assess("activations_sparsemax", wrapped).note == framework.COURSE_IMPORT_NOTE
    assert assess("activations_sparsemax", {"sparsemax": act.sparsemax}).note == \
        framework.reference_note("sparsemax", "mlcourse.activations.sparsemax")
    assert grade("activations_sparsemax", {"sparsemax": act.sparsemax}).full_marks  # cases only


def test_cell_source_finds_the_defining_cell():
    ns = notebook("x = 1\n", GOOD_RELU, "y = relu(np.ones(2))\n")
    assert framework.cell_source(ns["relu"], "relu", ns["In"]) == GOOD_RELU
    assert framework.cell_source(act.relu, "relu", ["relu = 3\n", "from m import relu\n"]) \
        == "from m import relu\n"


# ---------------------------------------------------------------- arrays and numbers

def _softmax_columns(Z):
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


def test_long_arrays_are_summarized():
    text = grade("activations_sparsemax", {"sparsemax": _softmax_columns}).text()
    block = text.split("a random batch (5, 6)")[1].split("  FAIL  ")[0]
    assert "(shape (5, 6)); the first ones:" in block
    assert len(re.findall(r"^ +at \[\d+, \d+\]: expected \S+, got \S+$", block, re.M)) == 3
    assert len(block.splitlines()) <= 6, block
    softmax_text = grade("activations_softmax", {"softmax": _softmax_columns}).text()
    assert len(softmax_text.splitlines()) <= 32, softmax_text


@pytest.mark.parametrize("value, shown", [
    (-0.0, "0"), (0.0, "0"), (0.5, "0.5"), (-3.0, "-3"), (1e-12, "1e-12"), (1000.0, "1000"),
    (np.float64(1 / 3), "0.3333"), (np.int64(7), "7"), (True, "True"), (float("nan"), "nan"),
    (-np.inf, "-inf"), (2.5e20, "2.5e20"),
])
def test_numbers_print_as_a_student_writes_them(value, shown):
    assert number(value) == shown


def test_no_negative_zero_and_enough_digits_to_see_the_difference():
    message = framework.compare(np.array([0.0, 1 / 3]), np.array([-0.0, 1 / 3 + 1e-5]))
    assert "-0" not in message and "0.3333" in message
    expected, got = re.findall(r"(?:expected|got): +(\[.*\])", message)
    assert expected != got, message
    assert framework.compare(np.array([1.0]), np.array([-0.0])).count("-0") == 0


# ---------------------------------------------------------------- display

def test_html_colours_fail_and_ok_and_says_the_same_text():
    report = grade("activations_softmax", {"softmax": _softmax_columns})
    page = report._repr_html_()
    assert page.count('<span style="color:#cf222e;font-weight:bold">FAIL</span>') == \
        report.text().count("  FAIL  ")
    assert page.count('<span style="color:#1a7f37;font-weight:bold">ok</span>') == \
        report.text().count("  ok    ")
    assert html.unescape(re.sub(r"<[^>]+>", "", page)) == report.text() == repr(report)


def test_html_escapes_what_the_student_returned():
    bad = framework.Report(framework.get_exercise("activations_relu"),
                           [framework.CaseResult("a <b>case</b>", False, "got <script>", "")])
    assert "<script>" not in bad._repr_html_() and "&lt;script&gt;" in bad._repr_html_()


def test_check_outside_ipython_prints_the_text_and_returns_points_under_nbgrader(
        monkeypatch, capsys):
    ns = {"relu": _relu_in_place}
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert check("activations_relu", ns) is None
    printed = capsys.readouterr().out
    assert printed.strip() == grade("activations_relu", ns).text()
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert check("activations_relu", {"relu": act.relu}) == 0   # the course's own: refused
    assert check("activations_relu", {"relu": lambda z: np.maximum(z, 0.0)}) == 1

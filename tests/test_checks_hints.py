"""Hints point at what to look at and never paste the solution's code (issue 9, item 6).

Every Case hint of every exercise (conceptual questions included) is scanned against
the solution regions of solutions/*.ipynb: no run of 16 or more non-blank characters
of a solution line may appear in a hint, and none of a list of distinctive solution
expressions may appear either (whatever the spacing).
"""
import re
from difflib import SequenceMatcher
from pathlib import Path

import nbformat
import pytest

from mlcourse.grading.framework import EXERCISES, exercises_of, make_cases

REPO = Path(__file__).resolve().parents[1]
LONGEST = 16     # non-blank characters of solution code a hint may not share
DISTINCTIVE = [  # solution idioms, whitespace removed, that give an exercise away
    r"np\.exp\(\w+-\w+\.max\(", r"\.sum\(axis=1,keepdims=True\)", r"np\.where\(z>0,",
    r"np\.maximum\(z,0", r"np\.exp\(-np\.abs\(", r"np\.exp\(-2(\.0)?\*np\.abs\(",
    r"\[np\.arange\(\w+\),\w+\]", r"np\.log\(np\.maximum\(", r"rng\.uniform\(-\w+,\w+",
    r"rng\.normal\(0(\.0)?,np\.sqrt\(", r"rng\.random\(\w+\.shape\)", r"np\.all\(\w+<=0",
    r"\.astype\(int\)", r"dout@W\.T", r"X\.T@dout", r"\(dout\*b,dout\*a\)",
    r"forstartinrange\(0,n,", r"\w+\[i:i\+batch_size\]", r"\w+\.T@\w+/n",
    r"relu\(\w+@W\+b\)", r"\(D@W\w*\.T\)", r"np\.unique\(.*axis=0",
]


def _significant(text):
    return re.sub(r"\s+", "", text)


def solution_lines():
    """Every code line (comments dropped) of every solution region, without blanks."""
    lines = []
    for path in sorted((REPO / "solutions").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if not cell.metadata.get("nbgrader", {}).get("solution"):
                continue
            for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S):
                lines += [_significant(line.split("#")[0]) for line in region.splitlines()]
    return [line for line in lines if line]


SOLUTION_LINES = solution_lines()


def all_hints():
    exercises_of("")    # registers every lecture's checks
    return [(ex.id, case.hint) for ex in EXERCISES.values() for case in make_cases(ex) if case.hint]


def pasted_code(hint, lines=SOLUTION_LINES):
    """What of the solution code `hint` gives away ('' if nothing)."""
    text = _significant(hint)
    for pattern in DISTINCTIVE:
        found = re.search(pattern, text)
        if found:
            return found.group(0)
    for line in lines:
        match = SequenceMatcher(None, text, line, autojunk=False).find_longest_match(
            0, len(text), 0, len(line))
        if match.size >= LONGEST:
            return text[match.a: match.a + match.size]
    return ""


def test_the_scan_sees_solutions_and_hints():
    assert len(SOLUTION_LINES) > 150
    hints = all_hints()
    assert len(hints) > 200 and len({id for id, _ in hints}) >= 40


@pytest.mark.parametrize("hint", [     # negative controls: the hints the issue complained about
    "normalize each ROW: E / E.sum(axis=1, keepdims=True) with E = np.exp(Z - "
    "Z.max(axis=1, keepdims=True))",
    "leaky ReLU is z for z > 0 and alpha * z for z <= 0: np.where(z > 0, z, alpha * z)",
    "tanh: e = np.exp(-2.0 * np.abs(z)); return np.sign(z) * (1.0 - e) / (1.0 + e)",
    "a = sqrt(6 / (n_in + n_out)); draw with rng.uniform(-a, a, size=(n_in, n_out))",
    "the loss is  float(-np.mean(np.log(np.maximum(p_true, 1e-12))))",
    "A = X; for every layer but the last A = relu(A @ W + b); the last layer gives softmax",
    "with the residuals r = σ(X @ w + b) - y: dw = X.T @ r / n (shape (p,))",
])
def test_the_scan_flags_pasted_solution_code(hint):
    assert pasted_code(hint)


def test_the_scan_lets_pointers_through():
    for hint in ["subtract each row's OWN maximum (along axis 1), not the maximum of the whole "
                 "array", "use np.linalg.solve rather than inverting the matrix",
                 "return an array of shape (n_in, n_out)"]:
        assert pasted_code(hint) == "", hint


def test_no_hint_contains_solution_code():
    offending = [(id, hint, pasted) for id, hint in all_hints() if (pasted := pasted_code(hint))]
    assert not offending, "\n".join(f"{id}: {pasted!r} in {hint!r}" for id, hint, pasted in offending)

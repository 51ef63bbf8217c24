"""Progress of a grading run (progress.py): a tqdm bar on a terminal, one line each otherwise."""
import io
import os
import pty
import re

from mlcourse.grading.progress import Progress, is_terminal


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_plain_lines_when_not_a_terminal():
    stream = io.StringIO()
    with Progress(12, stream) as progress:
        progress.done("a.ipynb", "1.5", "3")
        progress.write("a warning")
        progress.done("b.ipynb", "3", "3")
    assert stream.getvalue().splitlines() == [
        "[ 1/12]   1.5/3  a.ipynb", "a warning", "[ 2/12]     3/3  b.ipynb"]


def test_a_bar_with_count_rate_and_eta_on_a_terminal():
    stream = FakeTerminal()
    with Progress(3, stream) as progress:
        for name in ("a", "b", "c"):
            progress.done(f"{name}.ipynb", "2", "3")
    text = stream.getvalue()
    last = text.split("\r")[-1]
    assert "grading" in last and "3/3" in last and "100%" in last
    assert re.search(r"\[\d\d:\d\d<\d\d:\d\d, +[\d.?]+ *(s/submission|submission/s)", last), last
    assert "2/3 c.ipynb" in last
    assert "[1/3]" not in text                                # no plain lines on a terminal


def test_is_terminal_on_a_real_pty():
    parent, child = pty.openpty()
    try:
        with os.fdopen(child, "w", closefd=False) as tty:
            assert is_terminal(tty)
        assert not is_terminal(io.StringIO()) and not is_terminal(object())
    finally:
        os.close(parent)
        os.close(child)

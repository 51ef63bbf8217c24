"""Progress of a grading run: a tqdm bar (count, rate, ETA) on a terminal, plain lines otherwise.

    with Progress(len(todo)) as progress:
        for ...:                        # each finished submission
            progress.done(path, row["total"], row["max_total"])

On a terminal (stderr is a tty) the bar reads, e.g.
`grading  40%|████      | 20/50 [00:31<00:46,  1.55s/submission] 2.5/3 submitted/s17/...`;
in a log file, a CI job or a pipe, each finished submission is one line
`[20/50]   2.5/3  submitted/s17/01_perceptron/01_perceptron.ipynb`, which greps and tails well.
"""
import sys


def is_terminal(stream):
    """True if `stream` is an interactive terminal."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):      # no isatty, or closed
        return False


class Progress:
    """Reports finished submissions on `stream` (default: sys.stderr) as they come."""

    def __init__(self, total, stream=None, bar=None):
        """total: submissions to grade; bar: force the bar on or off (default: on a terminal)."""
        self.total, self.count = total, 0
        self.stream = sys.stderr if stream is None else stream
        self.bar = None
        if bar if bar is not None else is_terminal(self.stream):
            from tqdm import tqdm
            self.bar = tqdm(total=total, file=self.stream, desc="grading", unit="submission",
                            dynamic_ncols=True, smoothing=0.1)

    def done(self, submission, total="", max_total=""):
        """One more submission finished, with its points (strings as in the CSV)."""
        self.count += 1
        points = f"{total:>5}/{max_total}" if total != "" else ""
        if self.bar is not None:
            self.bar.set_postfix_str(f"{points} {submission}".strip()[-60:], refresh=False)
            self.bar.update(1)
        else:
            width = len(str(self.total))
            print(f"[{self.count:>{width}}/{self.total}] {points}  {submission}",
                  file=self.stream, flush=True)

    def write(self, message):
        """A message that does not break the bar (e.g. a warning)."""
        if self.bar is not None:
            self.bar.write(message, file=self.stream)
        else:
            print(message, file=self.stream, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

"""The student's own workspace: copies of the notebooks a student runs and edits.

    python -m mlcourse workspace            # make or refresh my-work/ (what `make lab` runs)
    python -m mlcourse workspace --dir DIR  # another folder

git tracks `lectures/` and `exercises/`. If a student ran and saved those files,
`git pull` would conflict with the next course update. So `make lab` copies them
into `my-work/` (git-ignored) and opens the course home `my-work/HOME.md`:

* a copy that is missing is made;
* a copy the student never changed is replaced when the course's version changes
  (nothing of theirs can be lost: it is byte-identical to what was copied);
* a copy the student changed is never touched; the course's new version is written
  beside it as `NN_topic.updated.ipynb`, and a line says so.

The file `my-work/.course-copies.json` remembers the SHA-256 of each course notebook as
it was last copied, which is how "the course changed" and "never changed" are decided.
"""
import argparse
import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("lectures", "exercises")
RECORD = ".course-copies.json"

HOW_TO = """\
## How to do an exercise
1. Open the exercise notebook of a lecture (the links below) and run its first cell, the imports.
2. In each cell marked `# YOUR CODE HERE`, replace `raise NotImplementedError(...)` by your code
   and run the cell (Shift+Enter).
3. Run the check cell below it: it shows your score and, for each failed case, what was tested,
   what was expected, what you returned and a hint. Run it as often as you like.
"""

UPDATES = """\
## Your work and course updates
Everything in this folder (`my-work/`) is yours: git ignores it, so `git pull` never touches it.
To get a new version of the course, run `git pull`, then `make lab` again (on a class hub, your
instructor's update link and a restart of your server do this for you). Each start copies new
notebooks here, replaces the copies you never changed, and never overwrites a copy you changed:
the course's new version is then saved beside yours as `NN_topic.updated.ipynb`.
To start an exercise or a lecture afresh, delete (or rename) your copy and run `make lab`.
"""


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def notebook_title(path):
    """The first Markdown heading of a notebook, without its "Lecture N —" prefix."""
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("#"):
                    return re.sub(r"^#+\s*(Lecture|Exercises)\s+\d+\s*[—-]\s*", "", line).strip()
    return Path(path).stem


def sync_copy(source, target, record, key):
    """Copy `source` to `target` unless the student changed `target`; returns a message or None.

    `record[key]` is the SHA-256 of the course's notebook when it was last copied here; a copy
    equal to it is one the student never changed.
    """
    copied = record.get(key)
    now = sha256(source)
    if not target.exists():
        shutil.copyfile(source, target)
        record[key] = now
        return f"copied {target}"
    if now == copied:                                # the course did not change
        return None
    mine = sha256(target)
    if mine == now:                                  # same as the course's new version
        record[key] = now
        return None
    if mine == copied:                               # the student never changed it
        shutil.copyfile(source, target)
        record[key] = now
        return f"updated {target} (you had not changed it)"
    updated = target.with_name(target.stem + ".updated.ipynb")
    shutil.copyfile(source, updated)
    record[key] = now
    return (f"kept your {target}; the course's new version is in {updated} "
            "(delete your copy and run `make lab` to start from it)")


def home_page(root):
    """The course home, Markdown: the lecture/exercise table, how to do an exercise, updates."""
    rows = ["| # | lecture | exercises |", "|---|---|---|"]
    for path in sorted((root / "lectures").glob("*.ipynb")):
        number = int(path.stem.split("_")[0])
        exercises = root / "exercises" / path.name
        link = f"[exercises {number}](exercises/{path.name})" if exercises.exists() else "—"
        rows.append(f"| {number} | [{notebook_title(path)}](lectures/{path.name}) | {link} |")
    return "\n\n".join([
        "# mlcourse — neural networks, from the perceptron to deep ReLU networks",
        "*Start here. This page is rewritten each time the course starts (`make lab`, or your "
        "server on a class hub); the notebooks linked below are your own copies, in the folder "
        "`my-work/`.*",
        HOW_TO.strip(),
        "## Lectures and exercises\n" + "\n".join(rows),
        "Open a notebook with the kernel **Python 3 (mlcourse)** (the notebooks ask for it). "
        "Answers that import `mlcourse`'s own implementations are graded 0.",
        UPDATES.strip(),
    ]) + "\n"


def prepare(workdir, root=ROOT):
    """Make or refresh the workspace `workdir` from the course in `root`; returns the messages."""
    workdir, root = Path(workdir), Path(root)
    record_path = workdir / RECORD
    record = json.loads(record_path.read_text()) if record_path.exists() else {}
    messages = []
    for folder in FOLDERS:
        (workdir / folder).mkdir(parents=True, exist_ok=True)
        for source in sorted((root / folder).glob("*.ipynb")):
            message = sync_copy(source, workdir / folder / source.name, record,
                                key=f"{folder}/{source.name}")
            if message:
                messages.append(message)
    (workdir / "HOME.md").write_text(home_page(root), encoding="utf-8")
    record_path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return messages


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m mlcourse workspace",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", default=str(ROOT / "my-work"),
                        help="the student's folder (default: my-work/ in the course)")
    args = parser.parse_args(argv)
    for message in prepare(args.dir):
        print(message)
    print(f"course home: {Path(args.dir) / 'HOME.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

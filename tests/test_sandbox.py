"""The grader's sandbox against hostile submissions (tests/fixtures/make_submissions.py,
build_attacks): each attack gets the fair grade and leaves no trace under the sandbox;
the same run with --no-sandbox is the negative control, where the attacks succeed.

Attacks: reading /etc/passwd, the grader's home folder, the CSV's key, another
submission and the course's solutions; writing the --out CSV, a file beside it, another
submission, the course's check module and notebooks, the environment's packages; a
connection to a server on 127.0.0.1; a fork + setsid daemon that rewrites the CSV after
the grader is gone; forged grader messages and result files; killing the worker;
flooding output and sending garbage down the worker's pipe.
"""
import csv
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy
import pytest

from mlcourse.grading import grader, sandbox

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from make_submissions import (EXPECTED_ATTACKS, IDS, LECTURE, REPO,  # noqa: E402
                              VICTIM_SECRET, build_attacks)

import nbformat  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None,
                                reason="needs bubblewrap (apt-get install bubblewrap)")

FAST = ["--cell-timeout", "5", "--submission-timeout", "60"]
COURSE_FILES = [REPO / "mlcourse" / "grading" / "checks" / "l01_perceptron.py",
                REPO / "exercises" / f"{LECTURE}.ipynb", REPO / "solutions" / f"{LECTURE}.ipynb",
                Path(sandbox.PACKAGE_MOUNT) / "mlcourse" / "grading" / "checks" / "l01_perceptron.py"]
DAEMON_WAIT = 2.0     # seconds: the daemon strikes every 0.2 s once started


def fingerprint(path):
    """(sha256, mtime) of a file, or None if absent."""
    path = Path(path)
    if not path.exists():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def descendants(pid):
    """Pids of the living descendants of `pid` (from /proc)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def with_marker(marker):
    """Pids of processes whose command line contains `marker`."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if marker.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    pids.append(int(entry))
            except OSError:
                pass
    return pids


class Listener:
    """A TCP server on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port, self.connections, self.stop = self.sock.getsockname()[1], 0, False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


def run_attacks(root, sandboxed):
    """Grade the attacks in `root`; return what a test needs to judge the run."""
    home, out_dir, subs = root / "home", root / "out", root / "subs"
    for folder in (home, out_dir, subs):
        folder.mkdir()
    canary = home / "canary-3c1d5e"
    canary.write_text("private")
    csv_path, evidence = out_dir / "grades.csv", root / "evidence.txt"
    listener = Listener()
    marker = f"mlcourse-daemon-{os.getpid()}-{int(sandboxed)}"
    targets = dict(passwd="/etc/passwd", home=str(home), key=str(grader.key_path(csv_path)),
                   victim=str(subs / "victim.ipynb"), bystander=str(subs / "bystander.ipynb"),
                   solution=str(REPO / "solutions" / f"{LECTURE}.ipynb"),
                   csv=str(csv_path), out_dir=str(out_dir),
                   course_files=[str(f) for f in COURSE_FILES],
                   venv_file=numpy.__file__, port=listener.port, marker=marker,
                   evidence=str(evidence))
    for name, nb in build_attacks(targets).items():
        (subs / f"{name}.ipynb").write_text(nbformat.writes(nb), encoding="utf-8")
    victims_before = {n: (subs / f"{n}.ipynb").read_bytes() for n in ("victim", "bystander")}
    course_before = {f: fingerprint(f) for f in [*COURSE_FILES, Path(numpy.__file__)]}
    old_home = os.environ.get("HOME")
    os.environ["HOME"] = str(home)
    try:
        args = [str(subs), "--out", str(csv_path), "--jobs", "2",
                "--feedback", str(root / "feedback"), *FAST]
        code = grader.main(args + ([] if sandboxed else ["--no-sandbox"]))
        left_right_after = descendants(os.getpid())
        csv_right_after = csv_path.read_bytes()
        time.sleep(DAEMON_WAIT)
    finally:
        os.environ["HOME"] = old_home
        listener.close()
    daemons = with_marker(marker)
    for pid in daemons:                      # the negative control's daemon: ours to stop
        os.kill(pid, signal.SIGKILL)
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = {Path(r["submission"]).stem: r for r in csv.DictReader(f)
                if r["submission"].startswith(str(subs))}
    return dict(code=code, rows=rows, csv_path=csv_path, csv_right_after=csv_right_after,
                csv_later=csv_path.read_bytes(), out_files=sorted(p.name for p in out_dir.iterdir()),
                victims_changed=[n for n, b in victims_before.items()
                                 if (subs / f"{n}.ipynb").read_bytes() != b],
                course_changed=[f for f, fp in course_before.items() if fingerprint(f) != fp],
                connections=listener.connections, evidence=evidence.exists(),
                daemons=daemons, left=left_right_after, canary=canary.name,
                key=grader.key_path(csv_path).read_text().strip(),
                feedback="\n".join(p.read_text() for p in (root / "feedback").glob("*.md")))


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory):
    return run_attacks(tmp_path_factory.mktemp("sandboxed"), sandboxed=True)


@pytest.fixture(scope="module")
def unsandboxed(tmp_path_factory):
    return run_attacks(tmp_path_factory.mktemp("unsandboxed"), sandboxed=False)


# ---------------------------------------------------------------- under the sandbox

@pytest.mark.parametrize("name", sorted(EXPECTED_ATTACKS))
def test_attack_gets_the_fair_grade(sandboxed, name):
    points, fragments = EXPECTED_ATTACKS[name]
    row = sandboxed["rows"][name]
    assert {i: float(row[i]) for i in IDS} == points, row["notes"]
    for exercise_id, fragment in fragments.items():
        assert f"{exercise_id}: " in row["notes"] and fragment in row["notes"], row["notes"]
    assert "not sandboxed" not in row["notes"]


def test_nothing_leaks_into_notes_or_feedback(sandboxed):
    text = "\n".join(r["notes"] for r in sandboxed["rows"].values()) + sandboxed["feedback"]
    for secret in ("LEAK", "root:x:0", sandboxed["canary"], sandboxed["key"], VICTIM_SECRET,
                   "WROTE", "CONNECTED"):
        assert secret not in text


def test_no_file_outside_changes(sandboxed):
    assert sandboxed["course_changed"] == []
    assert sandboxed["victims_changed"] == []
    assert sandboxed["out_files"] == ["grades.cases.jsonl", "grades.csv", "grades.csv.key"]
    assert not sandboxed["evidence"]


def test_csv_is_only_the_graders(sandboxed):
    assert sandboxed["csv_later"] == sandboxed["csv_right_after"]
    assert b"forged" not in sandboxed["csv_later"]
    key = grader.load_key(sandboxed["csv_path"])
    rows, refused = grader.read_rows(sandboxed["csv_path"], grader.columns_of(LECTURE), key)
    assert refused == 0 and len(rows) == len(EXPECTED_ATTACKS)


def test_no_network(sandboxed):
    assert sandboxed["connections"] == 0


def test_no_process_outlives_the_run(sandboxed):
    assert sandboxed["left"] == set()
    assert sandboxed["daemons"] == []


# ---------------------------------------------------------------- negative control: --no-sandbox

def test_without_sandbox_the_attacks_succeed(unsandboxed):
    rows = unsandboxed["rows"]
    spy = rows["spy"]["notes"]
    for secret in ("root:x:0", unsandboxed["canary"], unsandboxed["key"], VICTIM_SECRET,
                   "LEAK {"):
        assert secret in spy, spy
    assert "WROTE grades.csv pwned.txt bystander.ipynb" in rows["vandal"]["notes"]
    assert "pwned.txt" in unsandboxed["out_files"]
    assert unsandboxed["victims_changed"] == ["bystander"]
    # the forger's stream needs the check modules, which the runner's view does not have,
    # and the grader judges every value itself: nothing forged, even without the sandbox
    assert float(rows["forger"]["total"]) == 0.0, rows["forger"]["notes"]
    assert unsandboxed["connections"] == 1
    assert unsandboxed["evidence"] and b"forged" in unsandboxed["csv_later"]
    assert unsandboxed["daemons"]           # outlived the grader (the test then stopped it)
    assert unsandboxed["course_changed"] == []    # the vandal only proved write access
    assert "l01_perceptron.py" in rows["vandal"]["notes"]
    assert all(grader.NOT_SANDBOXED in r["notes"] for r in rows.values())


def test_without_sandbox_a_dead_or_garbling_worker_costs_the_same(unsandboxed):
    """A killed worker and garbage on the pipe cost one exercise with or without the
    sandbox: the grader restarts the worker and checks every message."""
    for name in ("killer", "flooder"):
        points, fragments = EXPECTED_ATTACKS[name]
        row = unsandboxed["rows"][name]
        assert {i: float(row[i]) for i in IDS} == points, row["notes"]
        for fragment in fragments.values():
            assert fragment in row["notes"]


# ---------------------------------------------------------------- what the sandbox shows

def test_sandbox_view(tmp_path):
    env = sandbox.sandbox_env({})
    probe = (
        "import os, socket, mlcourse\n"
        "caps = [l for l in open('/proc/self/status') if l.startswith('CapEff')][0].split()[1]\n"
        f"hidden = [p for p in ({str(REPO / 'solutions')!r}, {str(REPO / 'tests')!r}, "
        f"{str(tmp_path)!r}, {str(Path.home() / '.bashrc')!r}, '/etc/passwd', "
        f"{str(REPO / 'mlcourse' / 'perceptron.py')!r}) if os.path.exists(p)]\n"
        "print(caps, socket.gethostname(), sorted(os.listdir('/proc'))[-1] != 'self' and "
        "len([p for p in os.listdir('/proc') if p.isdigit()]), hidden, "
        "os.access(mlcourse.__file__, os.W_OK), mlcourse.__file__)\n")
    view = sandbox.build_view(tmp_path / "view")
    command = sandbox.bwrap_command(view, env) + [sys.executable, "-c", probe]
    out = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    caps, host, nprocs, hidden, writable, where = out.stdout.split(" ", 5)
    assert caps == "0000000000000000" and host == "sandbox"
    assert int(nprocs) <= 2                 # its own PID namespace: bwrap's init and python
    assert hidden == "[]" and writable == "False"
    assert where.strip() == f"{sandbox.PACKAGE_MOUNT}/mlcourse/__init__.py"
    listing = sorted(str(p.relative_to(view)) for p in view.rglob("*.py"))
    assert listing == ["__init__.py", "autodiff.py", "data.py", "grading/__init__.py",
                       "grading/runner.py", "validation.py"]


def test_refuses_an_environment_that_would_show_forbidden_folders():
    with pytest.raises(sandbox.SandboxUnavailable, match="contains"):
        sandbox.bwrap_command(REPO / "mlcourse", {}, forbidden=[Path(sys.prefix) / "lib"])


# ---------------------------------------------------------------- refusing without bwrap

def _one_submission(tmp_path):
    from make_submissions import answered
    path = tmp_path / "s.ipynb"
    path.write_text(nbformat.writes(answered()), encoding="utf-8")
    return path


def test_refuses_without_bwrap(tmp_path, monkeypatch, capsys):
    path = _one_submission(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert grader.main([str(path), "--out", str(tmp_path / "g.csv")]) == 2
    err = capsys.readouterr().err
    assert "refusing to grade" in err and "apt-get install bubblewrap" in err
    assert "--no-sandbox" in err
    assert not (tmp_path / "g.csv").exists()


def test_refuses_when_bwrap_cannot_build_namespaces(tmp_path, monkeypatch, capsys):
    path = _one_submission(tmp_path)
    fake = tmp_path / "bin" / "bwrap"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")
    assert grader.main([str(path), "--out", str(tmp_path / "g.csv")]) == 2
    err = capsys.readouterr().err
    assert "No permissions to create new namespace" in err and "user namespaces" in err
    assert not (tmp_path / "g.csv").exists()


def test_no_sandbox_is_said_in_the_notes(tmp_path):
    path = _one_submission(tmp_path)
    out = tmp_path / "g.csv"
    assert grader.main([str(path), "--out", str(out), "--no-sandbox", *FAST]) == 0
    with open(out, newline="") as f:
        row = next(csv.DictReader(f))
    assert row["total"] == f"{len(IDS)}" and row["notes"] == grader.NOT_SANDBOXED

"""The process limit of the grader's sandbox (RLIMIT_NPROC), on the path a normal user takes.

The grader gives each runner RLIMIT_NPROC = (the grading user's processes) + 200
(grader.process_limit, runner.limit_processes). The kernel never applies that limit to
uid 0, and CI runs as root; so this test, as root, grades as a throwaway unprivileged uid
(one no account and no process has: every process with it is this test's), with
`setpriv`, inside a private mount namespace made with `unshare` (so that the interpreter,
which may live in a folder closed to other users such as /root/.pyenv, is reachable; the
machine's mounts do not change).

The submission is lecture 1 with every solution, and a bounded fork bomb appended to one
exercise's cell: every process keeps forking, splitting a budget of BOMB_PROCESSES among
its children, so the bomb can never make more than that many processes; each ends by
itself after BOMB_SECONDS. A thread samples /proc for the processes of the uid during the
grade. The limit holds if their number never exceeds the grader's own process plus 200
(plus a few: COUNTED, OUTSIDE), the cell is stopped at its time limit and every other
exercise gets its points. Run here: a peak of 206-208 processes (603 with the limit
switched off in runner.main), the grade in 5-9 s.
"""
import csv
import os
import pwd
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import pytest

from mlcourse.grading import grader, sandbox

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from make_submissions import IDS, REPO, answered  # noqa: E402
from test_hostile import cell  # noqa: E402

BOMB_EXERCISE = "perceptron_predict"
BOMB_PROCESSES = 3 * grader.EXTRA_PROCESSES   # the most the bomb can make (no limit at all)
BOMB_SECONDS = 20                             # each of its processes ends by then at the latest
CELL_TIMEOUT = 3
# The runner's limit is the uid's processes when the grader counts them plus 200. Besides
# itself the grader may count up to COUNTED: the first runner's three (bwrap's two, python)
# and bwrap processes of the sandbox checks that init has not reaped yet. The uid also has
# up to OUTSIDE processes that the runner's user namespace does not count: the grader,
# bwrap's outer process, and, while a killed sandbox is torn down, the next runner's four.
COUNTED = 5
OUTSIDE = 6
ZOMBIE_SECONDS = 5   # bwrap's process in a killed sandbox is reaped by init (took < 1 s)
GRADE_SECONDS = 30                            # the grade must be over by then

BOMB = f"""
import os, time

def _fork_bomb(budget, deadline):
    # Fork until this process's share of `budget` is spent, retrying while the kernel says
    # EAGAIN (the process limit); each child goes on with half of the share. Every process
    # then waits for the deadline; a child never returns into the runner's code.
    root = os.getpid()
    try:
        while budget > 1 and time.monotonic() < deadline:
            try:
                pid = os.fork()
            except OSError:
                time.sleep(0.05)
                continue
            budget = budget // 2 if pid == 0 else budget - budget // 2
        time.sleep(max(0.0, deadline - time.monotonic()))
    finally:
        if os.getpid() != root:
            os._exit(0)

_fork_bomb({BOMB_PROCESSES}, time.monotonic() + {BOMB_SECONDS})
"""

pytestmark = pytest.mark.sandbox


# ---------------------------------------------------------------- processes of a uid

def owner(pid):
    """The real uid of process `pid`, or None if it is gone. From /proc/PID/status: the
    runner is not dumpable, so /proc/PID itself belongs to root."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Uid:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def processes_of(uid):
    """Pids of the processes (zombies too) whose real uid is `uid`."""
    return [int(e) for e in os.listdir("/proc") if e.isdigit() and owner(e) == uid]


def process_limit_of(pid):
    """The soft RLIMIT_NPROC of process `pid` (a number, 'unlimited'), or None if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
            if line.startswith("Max processes"):
                return line.split()[2]
    except OSError:
        return None
    return None


def throwaway_uid():
    """A uid that no account and no process has: every process with it is this test's."""
    busy = {owner(e) for e in os.listdir("/proc") if e.isdigit()}
    for uid in range(61000, 65000):
        try:
            pwd.getpwuid(uid)
        except KeyError:
            if uid not in busy:
                return uid
    raise RuntimeError("no free uid in 61000-64999")


class Sampler(threading.Thread):
    """Counts the processes of `uid` until stopped: the peak, and the process limits seen."""

    def __init__(self, uid):
        super().__init__(daemon=True)
        self.uid, self.peak, self.limits, self.stopped = uid, 0, set(), threading.Event()
        self.seen = set()

    def run(self):
        while not self.stopped.is_set():
            pids = processes_of(self.uid)
            self.peak = max(self.peak, len(pids))
            for pid in set(pids) - self.seen:
                self.limits.add(process_limit_of(pid))
            self.seen.update(pids)
            time.sleep(0.01)

    def stop(self):
        self.stopped.set()
        self.join()


def zombie(pid):
    """True if process `pid` has exited and waits to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


def gone(uid, seconds):
    """The processes of `uid` still there after waiting up to `seconds` for them to go."""
    end = time.monotonic() + seconds
    while (pids := processes_of(uid)) and time.monotonic() < end:
        time.sleep(0.02)
    return pids


def kill_all(uid, seconds=10.0):
    """SIGKILL every process of `uid` (all this test's, see throwaway_uid) until none is left."""
    end = time.monotonic() + seconds
    while (pids := processes_of(uid)) and time.monotonic() < end:
        for pid in pids:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    return processes_of(uid)


# ---------------------------------------------------------------- running as another user

def closed_folders(paths):
    """{outermost ancestor other users cannot enter: [paths under it]} for `paths`."""
    closed = {}
    for path in paths:
        for folder in reversed(Path(path).parents):
            if not os.stat(folder).st_mode & 0o001:
                closed.setdefault(folder, []).append(Path(path))
                break
    return closed


def as_user(uid, command, stage):
    """The command line that runs `command` as `uid` (no groups, no capabilities), in a
    private mount namespace where each folder that keeps other users away from the
    interpreter or the course (e.g. /root, mode 0700) is replaced by an empty tmpfs holding
    only those paths, bound from `stage` (root's own folder). Nothing outside changes."""
    needed = {*sandbox.python_roots(), Path(sys.prefix), REPO}
    lines = ["set -e"]
    for n, (folder, inside) in enumerate(closed_folders(sorted(needed)).items()):
        keep = Path(stage) / str(n)
        lines += [f"mkdir -p {keep}", f"mount --bind {shlex.quote(str(folder))} {keep}",
                  f"mount -t tmpfs -o mode=0755,size=1m mlcourse-nproc {shlex.quote(str(folder))}"]
        for path in inside:
            lines += [f"mkdir -p {shlex.quote(str(path))}",
                      f"mount --bind {shlex.quote(str(keep / path.relative_to(folder)))} "
                      f"{shlex.quote(str(path))}"]
    lines.append(f"exec setpriv --reuid={uid} --regid={uid} --clear-groups --inh-caps=-all "
                 + shlex.join(command))
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", "\n".join(lines)]


def user_namespace_problem(uid, stage):
    """None if `uid` can build bubblewrap's namespaces here (the simplest sandbox), else what
    bwrap said."""
    command = as_user(uid, ["bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/",
                            "true"], stage)
    probe = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd="/")
    if probe.returncode == 0:
        return None
    return (probe.stderr.strip().splitlines() or ["no message"])[-1]


# ---------------------------------------------------------------- the grade

@pytest.fixture(scope="module")
def bombed():
    """Grade lecture 1 with a fork bomb in one exercise's cell, as a throwaway uid."""
    if os.geteuid() != 0:
        pytest.skip("needs root, to grade as a throwaway unprivileged uid (setpriv)")
    for tool in ("setpriv", "unshare", "mount"):
        if shutil.which(tool) is None:
            pytest.skip(f"needs {tool} (util-linux)")
    uid = throwaway_uid()
    base = Path(tempfile.mkdtemp(prefix="mlcourse-nproc-"))
    stage = Path(tempfile.mkdtemp(prefix="mlcourse-nproc-stage-"))   # root's, mode 0700
    try:
        problem = user_namespace_problem(uid, stage)
        if problem is not None:
            pytest.skip(f"an unprivileged user cannot create the sandbox's user namespaces "
                        f"here ({problem}); grading as a normal user needs them")
        for folder in ("subs", "out", "home", "tmp"):
            (base / folder).mkdir()
        nb = answered()
        cell(nb, BOMB_EXERCISE).source += "\n" + BOMB
        (base / "subs" / "bomb.ipynb").write_text(nbformat.writes(nb), encoding="utf-8")
        for path in [base, *base.rglob("*")]:
            os.chown(path, uid, uid)
        out = base / "out" / "grades.csv"
        command = as_user(uid, [sys.executable, "-m", "mlcourse", "grade", str(base / "subs"),
                                "--out", str(out), "--jobs", "1",
                                "--cell-timeout", str(CELL_TIMEOUT), "--submission-timeout", "60"],
                          stage)
        env = {"PATH": "/usr/bin:/bin", "HOME": str(base / "home"), "TMPDIR": str(base / "tmp"),
               "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "OPENBLAS_NUM_THREADS": "1",
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        sampler = Sampler(uid)
        sampler.start()
        start = time.monotonic()
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            _, err = proc.communicate(timeout=GRADE_SECONDS + 30)
        except subprocess.TimeoutExpired:
            kill_all(uid)
            _, err = proc.communicate()
        seconds = time.monotonic() - start
        sampler.stop()
        living = [pid for pid in processes_of(uid) if not zombie(pid)]
        left = gone(uid, ZOMBIE_SECONDS)
        assert proc.returncode == 0, err
        with open(out, newline="") as f:
            row = next(csv.DictReader(f))
        yield dict(row=row, seconds=seconds, peak=sampler.peak, limits=sampler.limits,
                   living=living, left=left)
    finally:
        kill_all(uid)
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(stage, ignore_errors=True)


def test_the_fork_bomb_stays_under_the_process_limit(bombed):
    print(f"peak {bombed['peak']} processes of the uid, process limits seen "
          f"{sorted(bombed['limits'], key=str)}, grade {bombed['seconds']:.1f} s")
    assert bombed["peak"] <= 1 + grader.EXTRA_PROCESSES + COUNTED + OUTSIDE
    assert bombed["peak"] >= grader.EXTRA_PROCESSES     # the bomb did fill it


def test_the_runner_gets_the_graders_count_plus_200(bombed):
    inherited = resource.getrlimit(resource.RLIMIT_NPROC)[0]
    inherited = "unlimited" if inherited == resource.RLIM_INFINITY else str(inherited)
    [limit] = bombed["limits"] - {inherited, None}      # the runner's, in /proc/PID/limits
    assert 1 + grader.EXTRA_PROCESSES <= int(limit) <= 1 + grader.EXTRA_PROCESSES + COUNTED


def test_the_grade_is_quick_and_only_the_bomb_costs_points(bombed):
    row = bombed["row"]
    assert bombed["seconds"] < GRADE_SECONDS
    assert {i: float(row[i]) for i in IDS} == {i: float(i != BOMB_EXERCISE) for i in IDS}, \
        row["notes"]
    assert f"timed out after {CELL_TIMEOUT:g} s in your cell" in row["notes"]


def test_no_process_is_left(bombed):
    assert bombed["living"] == []       # right after the grade: at most zombies for init
    assert bombed["left"] == []         # and those reaped within ZOMBIE_SECONDS

"""Run a student's cells and one exercise's probes in a forked child process.

The grading worker (worker.py) never runs student code itself. For each
exercise it forks a child that

1. sends its stdout/stderr to a sink that keeps at most `output_bytes` bytes
   (and sends file descriptors 1 and 2 to /dev/null, for C-level output),
2. replays the student's earlier cells and runs this exercise's cell in the
   IPython shell it inherited from the worker (so magics work),
3. fetches the student's object by name and runs `framework.run_probes` on
   the exercise's cases *without* their expected answers,
4. sends a message after every step back through a pipe (length-prefixed
   pickles of plain data), then exits with os._exit.

The worker reads the messages with a time limit per step. If the child
hangs, it is killed; if it dies (os._exit, a segfault, out of memory), the
messages received so far say how far it got. Whatever the child sends is
treated as hostile: the worker unpickles it with a whitelist (numbers,
strings, containers and NumPy arrays only) and judges it with cases it
computed itself, in a process the student's code never touched.

The fork isolates one exercise from the next. The security boundary is the
bubblewrap sandbox the batch grader puts the whole worker in (`bwrap_command`
below): own PID, mount, IPC, UTS and network namespaces, no capabilities, a
read-only view of the interpreter, its packages and the `mlcourse` package
only, a small private /tmp, and everything killed when the run ends. Whatever
the worker reports is checked again by the grader (`run_from_plain`).
"""
import dataclasses
import gc
import io
import os
import pickle
import select
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path
from dataclasses import dataclass, field

import numpy as np

from mlcourse.grading import framework

MAX_MESSAGE_BYTES = 256 * 2**20     # a larger message from a child is refused
PLAIN_SCALARS = (type(None), bool, int, float, complex, str, bytes, np.generic)


# ---------------------------------------------------------------- output cap

class ByteCappedWriter(io.TextIOBase):
    """A text sink that keeps the first `limit` bytes (UTF-8) and counts all of them."""

    def __init__(self, limit):
        self.limit, self.kept, self.count = limit, bytearray(), 0

    def write(self, s):
        data = str(s).encode("utf-8", "replace")
        room = self.limit - len(self.kept)
        if room > 0:
            self.kept += data[:room]
        self.count += len(data)
        return len(s)

    def writable(self):
        return True

    @property
    def truncated(self):
        return self.count > self.limit


# ---------------------------------------------------------------- messages

def send(fd, message):
    """Write one length-prefixed pickle to the pipe."""
    data = pickle.dumps(message, protocol=4)
    view = memoryview(struct.pack("!Q", len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


class _PlainUnpickler(pickle.Unpickler):
    """Unpickles numbers, strings, containers and NumPy arrays; refuses everything else."""

    ALLOWED = {
        ("numpy", "ndarray"), ("numpy", "dtype"),
        ("numpy._core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "scalar"),
        ("numpy.core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
        ("builtins", "complex"), ("builtins", "set"), ("builtins", "frozenset"),
    }

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refused to load {module}.{name}")
        return super().find_class(module, name)


def safe_loads(data):
    return _PlainUnpickler(io.BytesIO(data)).load()


class MessageReader:
    """Reads length-prefixed messages from a pipe, waiting at most until a deadline."""

    def __init__(self, fd, max_message=MAX_MESSAGE_BYTES):
        self.fd, self.buffer, self.eof = fd, bytearray(), False
        self.max_message = max_message

    def _next_frame(self):
        if len(self.buffer) < 8:
            return None
        (size,) = struct.unpack("!Q", self.buffer[:8])
        if size > self.max_message:
            raise ValueError(f"message of {size} bytes is too large")
        if len(self.buffer) < 8 + size:
            return None
        frame = bytes(self.buffer[8:8 + size])
        del self.buffer[:8 + size]
        return frame

    def read(self, deadline):
        """The next message; None at end of file; raises TimeoutError at the deadline."""
        while True:
            frame = self._next_frame()
            if frame is not None:
                return safe_loads(frame)
            if self.eof:
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if ready:
                chunk = os.read(self.fd, 1 << 20)
                if chunk:
                    self.buffer += chunk
                else:
                    self.eof = True


# ---------------------------------------------------------------- what came back

@dataclass
class CellRun:
    """One student cell as run by a child: its error (if any) and how much it printed."""
    index: int
    error: str = ""
    output_bytes: int = 0


@dataclass
class ChildRun:
    """Everything the worker learned from one child.

    ending: 'finished', 'timeout' (a step exceeded the cell time limit),
    'deadline' (the submission time limit), 'crashed' (the process died) or
    'garbled' (it sent something the worker refused to read).
    """
    cells: list = field(default_factory=list)    # CellRun, in the order run
    stuck_at: object = None    # the step running when the child was stopped: cell index or "probes"
    found: bool = False        # the student's object exists after running the cells
    reference: str = ""        # the object is the course's reference (its qualified name)
    not_plain: str = ""        # the function returned this type, which is not plain data
    outcomes: list = None      # framework.Outcome per case (None when probes did not finish)
    probe_crash: str = ""      # the probes raised SystemExit/KeyboardInterrupt/... (the text)
    ending: str = "finished"
    detail: str = ""           # e.g. "signal 11, SIGSEGV" or "exit code 1"
    output_bytes: int = 0      # bytes printed by the exercise's own cell and its probes


# ---------------------------------------------------------------- the child

def _plain(value, depth=0):
    """True if `value` is plain data the worker may receive (no functions, no objects)."""
    if depth > 20:
        return False
    if isinstance(value, PLAIN_SCALARS):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype.kind != "O" and value.dtype.fields is None
    if isinstance(value, (tuple, list, set, frozenset)):
        return all(_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(_plain(k, depth + 1) and _plain(v, depth + 1) for k, v in value.items())
    return False


def _outcome_tuple(outcome):
    """An Outcome as a tuple of plain data."""
    return (str(outcome.kind), outcome.value if outcome.kind == "ok" else None,
            str(outcome.error), tuple(str(n) for n in outcome.changed_inputs),
            int(outcome.printed))


def _exact_types(value, depth=0):
    """Containers must be exactly list/tuple/dict/set (a subclass could pickle itself oddly)."""
    if depth > 20:
        return False
    if isinstance(value, np.ndarray):
        return type(value) is np.ndarray
    if isinstance(value, PLAIN_SCALARS):
        return type(value) in (type(None), bool, int, float, complex, str, bytes) or \
            isinstance(value, np.generic)
    if type(value) in (tuple, list, set, frozenset):
        return all(_exact_types(v, depth + 1) for v in value)
    if type(value) is dict:
        return all(_exact_types(k, depth + 1) and _exact_types(v, depth + 1)
                   for k, v in value.items())
    return False


def _short(exc):
    """'TypeError: message' (just the type when there is no message), at most 300 characters."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _without_answers(cases):
    """The cases as the child needs them: arguments and probes, no expected answers."""
    return [dataclasses.replace(c, expected=None, judge=None) for c in cases]


def _child_main(fd, shell, cells, ex, output_bytes):
    """Body of the forked child. Never returns: always ends in os._exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        sink = ByteCappedWriter(output_bytes)
        sys.stdout = sys.stderr = sink
        for index, source in cells:
            before = sink.count
            result = shell.run_cell(source, store_history=False)
            error = result.error_before_exec or result.error_in_exec
            send(fd, ("cell", index, _short(error) if error else "", sink.count - before))
        obj = shell.user_ns.get(ex.name, _MISSING)
        if obj is _MISSING:
            send(fd, ("missing",))
            os._exit(0)
        module = getattr(obj, "__module__", None) or ""
        if callable(obj) and module.split(".")[0] == "mlcourse":
            send(fd, ("reference", f"{module}.{getattr(obj, '__qualname__', ex.name)}"))
            os._exit(0)
        send(fd, ("found",))
        cases = _without_answers(framework.make_cases(ex))
        before = sink.count
        try:
            outcomes = framework.run_probes(ex, obj, cases)
        except BaseException as exc:  # SystemExit, KeyboardInterrupt, MemoryError, ...
            send(fd, ("probe_crash", _short(exc), sink.count - before))
            os._exit(0)
        odd = [o.value for o in outcomes if o.kind == "ok"
               and not (_plain(o.value) and _exact_types(o.value))]
        if odd:
            kind = type(odd[0])
            send(fd, ("not_plain", f"{kind.__module__}.{kind.__qualname__}"))
            os._exit(0)
        send(fd, ("outcomes", [_outcome_tuple(o) for o in outcomes], sink.count - before))
        os._exit(0)
    except BaseException:
        os._exit(70)
    finally:
        os._exit(71)


_MISSING = object()


# ---------------------------------------------------------------- the parent

def _outcomes_from(tuples):
    """Rebuild framework.Outcome objects from the child's tuples, checking their shape."""
    outcomes = []
    for t in tuples:
        kind, value, error, changed, printed = t
        if kind not in ("ok", "error", "timeout", "missing"):
            raise ValueError(f"unknown outcome kind {kind!r}")
        outcomes.append(framework.Outcome(str(kind), value, str(error),
                                          tuple(map(str, changed)), int(printed)))
    return outcomes


TERMINAL = ("missing", "reference", "not_plain", "probe_crash", "outcomes")


def _apply(run, message, cells):
    """Record one message from the child in `run`; True if it is the child's last."""
    tag = message[0]
    if tag == "cell":
        _, index, error, printed = message
        run.cells.append(CellRun(int(index), str(error), int(printed)))
        if cells and int(index) == cells[-1][0]:
            run.output_bytes += int(printed)
    elif tag == "found":
        run.found = True
    elif tag == "reference":
        run.reference = str(message[1])
    elif tag == "not_plain":
        run.found = True
        run.not_plain = str(message[1])
    elif tag == "probe_crash":
        run.found = True
        run.probe_crash = str(message[1])
        run.output_bytes += int(message[2])
    elif tag == "outcomes":
        run.found = True
        run.outcomes = _outcomes_from(message[1])
        run.output_bytes += int(message[2])
    elif tag != "missing":
        raise ValueError(f"unknown message {tag!r}")
    return tag in TERMINAL


def _describe_status(status):
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "unknown signal"
        return f"signal {number}, {name}"
    return f"exit code {os.WEXITSTATUS(status)}"


def _reap(pid, deadline):
    """The wait status of child `pid`, killing it if it has not exited by `deadline`."""
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.002)
    os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


def run_exercise(shell, cells, ex, *, cell_timeout, deadline, output_bytes, private_fds=()):
    """Fork a child that runs `cells` [(index, source), ...] then probes `ex`; return a ChildRun.

    Each step (a cell, or the probes) may take `cell_timeout` seconds; the
    whole child must end by `deadline` (time.monotonic()). The child closes
    `private_fds` (the worker's channel to the grader) before running anything.
    """
    read_fd, write_fd = os.pipe()
    gc.freeze()     # the child's garbage collector leaves the worker's objects alone (cheap fork)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        for fd in private_fds:
            os.close(fd)
        _child_main(write_fd, shell, cells, ex, output_bytes)
    os.close(write_fd)
    run, finished = ChildRun(), False
    reader = MessageReader(read_fd)
    steps = [index for index, _ in cells] + ["probes"]
    try:
        while True:
            step_deadline = min(time.monotonic() + cell_timeout, deadline)
            try:
                message = reader.read(step_deadline)
            except TimeoutError:
                run.ending = "timeout" if step_deadline < deadline else "deadline"
                os.kill(pid, signal.SIGKILL)
                break
            except (ValueError, pickle.UnpicklingError, EOFError, TypeError) as exc:
                run.ending, run.detail = "garbled", _short(exc)
                os.kill(pid, signal.SIGKILL)
                break
            if message is None:
                break
            try:
                finished = _apply(run, message, cells)
            except (ValueError, TypeError, IndexError) as exc:
                run.ending, run.detail = "garbled", _short(exc)
                os.kill(pid, signal.SIGKILL)
                break
            if finished:    # don't wait for end of file: a daemon may hold the pipe open
                break
    finally:
        os.close(read_fd)
        status = _reap(pid, time.monotonic() + 5.0)
    if run.ending == "finished" and not (finished and os.WIFEXITED(status)
                                         and os.WEXITSTATUS(status) == 0):
        run.ending, run.detail = "crashed", _describe_status(status)
    if run.ending != "finished":
        run.stuck_at = steps[min(len(run.cells), len(cells))]
    return run


# ---------------------------------------------------------------- a ChildRun on the wire

ENDINGS = ("finished", "timeout", "deadline", "crashed", "garbled")
MAX_TEXT = 2000        # characters kept of any string the worker reports


def run_to_plain(run):
    """A ChildRun as plain data (the worker sends this to the grader)."""
    return {
        "cells": [(c.index, c.error, c.output_bytes) for c in run.cells],
        "stuck_at": run.stuck_at, "found": run.found, "reference": run.reference,
        "not_plain": run.not_plain, "probe_crash": run.probe_crash,
        "outcomes": None if run.outcomes is None else [_outcome_tuple(o) for o in run.outcomes],
        "ending": run.ending, "detail": run.detail, "output_bytes": run.output_bytes,
    }


def _text(x):
    if type(x) is not str:
        raise ValueError(f"expected a string, got {type(x).__name__}")
    return x[:MAX_TEXT]


def _count(x):
    if type(x) is not int or x < 0:
        raise ValueError(f"expected a count, got {x!r:.40}")
    return x


def _flag(x):
    if type(x) is not bool:
        raise ValueError(f"expected True or False, got {x!r:.40}")
    return x


def _outcome_from_plain(t):
    if type(t) is not tuple or len(t) != 5:
        raise ValueError("an outcome is not a 5-tuple")
    kind, value, error, changed, printed = t
    if kind not in ("ok", "error", "timeout", "missing"):
        raise ValueError(f"unknown outcome kind {kind!r:.40}")
    if not (_plain(value) and _exact_types(value)):
        raise ValueError("an outcome's value is not plain data")
    if type(changed) is not tuple or len(changed) > 100:
        raise ValueError("an outcome's changed inputs are not a tuple of names")
    return framework.Outcome(kind, value, _text(error), tuple(_text(n) for n in changed),
                             _count(printed))


def run_from_plain(d, steps, max_cases):
    """Rebuild a ChildRun from what a worker sent, refusing anything off the schema.

    `steps` are the cell indices the exercise may run; `max_cases` bounds the
    number of outcomes. Raises ValueError on any deviation.
    """
    if type(d) is not dict or set(d) != {"cells", "stuck_at", "found", "reference", "not_plain",
                                         "probe_crash", "outcomes", "ending", "detail",
                                         "output_bytes"}:
        raise ValueError("a run report without the expected fields")
    if type(d["cells"]) is not list or len(d["cells"]) > len(steps):
        raise ValueError("a run report with too many cells")
    cells = []
    for c in d["cells"]:
        if type(c) is not tuple or len(c) != 3 or c[0] not in steps:
            raise ValueError("a cell report that is not (index, error, bytes) of a known cell")
        cells.append(CellRun(c[0], _text(c[1]), _count(c[2])))
    if d["stuck_at"] is not None and d["stuck_at"] != "probes" and d["stuck_at"] not in steps:
        raise ValueError(f"stuck at an unknown step {d['stuck_at']!r:.40}")
    if d["ending"] not in ENDINGS:
        raise ValueError(f"unknown ending {d['ending']!r:.40}")
    outcomes = d["outcomes"]
    if outcomes is not None:
        if type(outcomes) is not list or len(outcomes) > max_cases:
            raise ValueError("outcomes that are not a list of at most one per case")
        outcomes = [_outcome_from_plain(t) for t in outcomes]
    return ChildRun(cells=cells, stuck_at=d["stuck_at"], found=_flag(d["found"]),
                    reference=_text(d["reference"]), not_plain=_text(d["not_plain"]),
                    outcomes=outcomes, probe_crash=_text(d["probe_crash"]),
                    ending=d["ending"], detail=_text(d["detail"]),
                    output_bytes=_count(d["output_bytes"]))


# ---------------------------------------------------------------- the boundary: bubblewrap

SANDBOX_TMP_BYTES = 64 * 2**20     # size of the sandbox's private /tmp (it counts as memory)

HOW_TO_FIX = (
    "Student code is graded inside a bubblewrap sandbox. Install it: "
    "`sudo apt-get install bubblewrap` (Debian/Ubuntu), `sudo dnf install bubblewrap` "
    "(Fedora), `sudo pacman -S bubblewrap` (Arch). If it is installed but cannot create "
    "namespaces, allow unprivileged user namespaces (`sudo sysctl "
    "kernel.unprivileged_userns_clone=1`; on Ubuntu 24.04 and later "
    "`sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`), or run the grader as "
    "root, or in a container started with `--privileged`. To grade without any isolation "
    "(student code then runs with your rights), pass --no-sandbox.")


class SandboxUnavailable(Exception):
    """bwrap is missing or cannot build the sandbox; the message says why and how to fix it."""


def _inside(path, folder):
    """True if `path` is `folder` or below it (both resolved)."""
    path, folder = Path(path).resolve(), Path(folder).resolve()
    return path == folder or folder in path.parents


def python_roots():
    """Folders that hold the interpreter and its packages (bound read-only, same path)."""
    roots = {Path(p).resolve() for p in (sys.prefix, sys.exec_prefix, sys.base_prefix,
                                         sys.base_exec_prefix)}
    roots.add(Path(sys.executable).resolve().parent.parent)
    return sorted(r for r in roots if not any(r != o and _inside(r, o) for o in roots))


def _system_binds():
    """/usr and the usual top-level links into it, plus the dynamic loader's cache."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        top = Path("/") / name
        if top.is_symlink():
            args += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            args += ["--ro-bind", str(top), str(top)]
    for name in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d"):
        if os.path.exists(name):
            args += ["--ro-bind", name, name]
    return args


PACKAGE_MOUNT = "/opt/mlcourse"     # where the sandbox sees the `mlcourse` package


def bwrap_command(package, env, forbidden=(), tmp_bytes=SANDBOX_TMP_BYTES):
    """The bwrap command line (up to and including `--`) for a worker.

    `package` is the `mlcourse` package folder (bound read-only at
    PACKAGE_MOUNT/mlcourse); `env` the environment inside. Raises
    SandboxUnavailable if bwrap is missing or if a folder to be bound would
    show one of `forbidden` (the course's sources, submissions, --out, $HOME).
    """
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap (`bwrap`) is not installed. " + HOW_TO_FIX)
    roots = [Path("/usr"), *python_roots()]
    for root in roots:
        for path in forbidden:
            if path and _inside(path, root) or root == Path("/"):
                raise SandboxUnavailable(
                    f"the sandbox would have to show {root} (the Python environment), which "
                    f"contains {path}; keep the environment apart from the course's sources, "
                    "submissions, --out and your home folder. " + HOW_TO_FIX)
    args = [bwrap, "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--hostname", "sandbox", *_system_binds(),
            "--proc", "/proc", "--dev", "/dev",
            "--size", str(int(tmp_bytes)), "--tmpfs", "/tmp",
            "--size", str(int(tmp_bytes)), "--tmpfs", "/dev/shm"]
    # Bound after the private /tmp, so that an environment under /tmp (a CI clone) stays
    # visible: bwrap mounts in order, and a later mount hides what is below it.
    for root in python_roots():
        args += ["--ro-bind", str(root), str(root)]
    args += ["--ro-bind", str(Path(package).resolve()), f"{PACKAGE_MOUNT}/mlcourse",
             "--chdir", "/tmp", "--clearenv"]
    for key, value in sorted(env.items()):
        args += ["--setenv", key, value]
    return args + ["--"]


def sandbox_env(base):
    """The environment inside the sandbox: `base` (limits, BLAS threads) and private folders."""
    env = {k: v for k, v in base.items() if k != "PYTHONPATH"}
    env.update(PATH="/usr/bin:/bin", HOME="/tmp", TMPDIR="/tmp", LANG="C.UTF-8",
               PYTHONPATH=PACKAGE_MOUNT, PYTHONNOUSERSITE="1",
               IPYTHONDIR="/tmp/ipython", MPLCONFIGDIR="/tmp/mpl")
    return env


def check_sandbox(package, env, forbidden=()):
    """Raise SandboxUnavailable unless a sandboxed interpreter starts and imports `mlcourse`."""
    command = bwrap_command(package, env, forbidden) + [
        sys.executable, "-c", "import mlcourse, os; assert not os.path.exists('/etc/passwd')"]
    try:
        proc = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SandboxUnavailable(f"bwrap could not be run ({_short(exc)}). " + HOW_TO_FIX) \
            from None
    if proc.returncode != 0:
        said = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        raise SandboxUnavailable(f"bwrap could not build the sandbox ({said[0][:300]}). "
                                 + HOW_TO_FIX)

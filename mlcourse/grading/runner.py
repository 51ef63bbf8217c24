"""The student side of the batch grader: runs ONE submission inside the sandbox.

`python -m mlcourse.grading.runner` is started by the grader (grader.py), inside
the bubblewrap sandbox, with a *student view* of the course on its path
(sandbox.build_view): this module, the Value engine without the rules students
write (autodiff), the data sets (data, validation) and a harmless stand-in for
`check`. No check module, no reference implementation, no solution is there.

The job comes on stdin from the grader (a pickle the grader made): the cells
to run, in notebook order (the course's setup cells in place of the
student's), and, at the place of each exercise's check cell, the exercise to
grade: the name of the student's object, each case's arguments (never the
expected answer) and the source of the probe that calls the object. The
runner

1. runs every cell once, top to bottom, in one namespace, as nbgrader does (a
   cell that raises is reported, and the next one runs); plain Python cells
   run with exec, IPython starts for the first cell that needs it (magics);
2. at each exercise, forks a child (a snapshot of the notebook's state) that
   looks the object up and runs the cases one by one, streaming each result:
   the value returned and the arguments as they are after the call;
3. stops a child whose case runs past the exercise's time limit.

Everything goes back as length-prefixed plain-data messages on its stdout, a
pipe only the grader holds. The grader judges everything: it compares the
values with the answers it computed itself, compares the arguments sent back
with the ones it sent (input mutation), checks the cell's source for banned
functions, and keeps its own clock (time limits). Nothing here is trusted:
the student's code shares this process.
"""
import builtins
import copy
import ctypes
import gc
import importlib
import io
import os
import pickle
import re
import resource
import select
import signal
import struct
import sys
import time

import numpy as np

MAX_MESSAGE_BYTES = 256 * 2**20     # a larger message from a child is refused
MAX_JOB_BYTES = 256 * 2**20
PLAIN_SCALARS = (type(None), bool, int, float, complex, str, bytes, np.generic)
PROBE_MODULES = ("numpy", "math", "warnings", "mlcourse.autodiff")   # what a probe may import


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
    """Unpickle plain data only (see _PlainUnpickler)."""
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


def plain(value, depth=0):
    """True if `value` is plain data of exact built-in types (no functions, objects, subclasses)."""
    if depth > 20:
        return False
    if isinstance(value, np.ndarray):
        return type(value) is np.ndarray and value.dtype.kind != "O" and value.dtype.fields is None
    if isinstance(value, np.generic):
        return value.dtype.kind != "O"
    if isinstance(value, PLAIN_SCALARS):
        return type(value) in (type(None), bool, int, float, complex, str, bytes)
    if type(value) in (tuple, list, set, frozenset):
        return all(plain(v, depth + 1) for v in value)
    if type(value) is dict:
        return all(plain(k, depth + 1) and plain(v, depth + 1) for k, v in value.items())
    return False


def short(exc):
    """'TypeError: message' (just the type when there is no message), at most 300 characters."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


# ---------------------------------------------------------------- probes

class NotAnsweredYet(Exception):
    """Raised by a probe when a conceptual question still holds None."""


def answer(obj):
    """Probe for a conceptual question: the variable's value (None means not answered)."""
    if obj is None:
        raise NotAnsweredYet()
    return obj


def load_probe(spec):
    """The probe function described by `spec` (made by grading.shipping.probe_spec).

    spec: {"name", "sources": [function sources], "modules": {alias: module},
    "values": {name: plain value}, "tables": {name: {key: function name}}}.
    The sources are the check module's own code (sent by the grader); they run
    in a namespace of their own with only the modules listed in PROBE_MODULES.
    """
    if spec is None:
        return None
    if spec.get("builtin") == "answer":
        return answer
    namespace = {"__name__": "mlcourse_probe", "__builtins__": builtins,
                 "answer": answer, "NotAnsweredYet": NotAnsweredYet}
    for alias, module in spec["modules"].items():
        if module not in PROBE_MODULES:
            raise ImportError(f"a probe may not import {module}")
        namespace[alias] = importlib.import_module(module)
    namespace.update(spec["values"])
    for source in spec["sources"]:
        exec(compile(source, f"<probe {spec['name']}>", "exec"), namespace)
    for name, table in spec["tables"].items():
        namespace[name] = {key: namespace[fn] for key, fn in table.items()}
    return namespace[spec["name"]]


def _inputs(values):
    """Arguments as they are after a call, as plain data (None where they are not plain)."""
    return [v if plain(v) else None for v in values]


def run_case(obj, probe, args, kwargs):
    """Call the student's object on one case; a tuple of plain data for the grader:
    ("ok", value, args after, kwargs after, printed), or (kind, message, printed) for kind
    'error', 'crash' (SystemExit, KeyboardInterrupt), 'missing' (not implemented / not
    answered) or 'not_plain' (the message names the type returned)."""
    args, kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)    # each case its own inputs
    sink = io.StringIO()
    previous = sys.stdout
    sys.stdout = sink
    try:
        value = probe(obj, *args, **kwargs) if probe is not None else obj(*args, **kwargs)
    except NotImplementedError:
        return ("missing", "not implemented yet", len(sink.getvalue()))
    except NotAnsweredYet:
        return ("missing", "not answered yet", len(sink.getvalue()))
    except Exception as exc:  # noqa: BLE001 - the student's code may raise anything
        return ("error", short(exc), len(sink.getvalue()))
    except BaseException as exc:  # SystemExit, KeyboardInterrupt: the check stops there
        return ("crash", short(exc), len(sink.getvalue()))
    finally:
        sys.stdout = previous
    if not plain(value):
        kind = type(value)
        return ("not_plain", f"{kind.__module__}.{kind.__qualname__}"[:200], 0)
    return ("ok", value, _inputs(args), dict(zip(kwargs, _inputs(kwargs.values()))),
            len(sink.getvalue()))


def _parameters(obj):
    """The names of the object's parameters (for the grader's messages)."""
    import inspect
    try:
        return [str(p)[:60] for p in inspect.signature(obj).parameters][:20]
    except (TypeError, ValueError):
        return []


# ---------------------------------------------------------------- the child

_MISSING = object()


def _child_main(fd, namespace, ex, output_bytes, start=0):
    """Body of the forked child that grades one exercise from case `start` on. Always ends
    in os._exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        sink = ByteCappedWriter(output_bytes)
        sys.stdout = sys.stderr = sink
        obj = namespace.get(ex["name"], _MISSING)
        if obj is _MISSING:
            send(fd, ("missing",))
            os._exit(0)
        module = getattr(obj, "__module__", None) or ""
        if callable(obj) and isinstance(module, str) and module.split(".")[0] == "mlcourse":
            send(fd, ("reference", f"{module}.{getattr(obj, '__qualname__', ex['name'])}"))
            os._exit(0)
        if start == 0:
            send(fd, ("found", _parameters(obj)))
        probes = {key: load_probe(spec) for key, spec in ex["probes"].items()}
        for k, case in enumerate(ex["cases"]):
            if k < start:
                continue
            outcome = run_case(obj, probes[case["probe"]], case["args"], case["kwargs"])
            send(fd, ("case", k, outcome))
            if outcome[0] in ("missing", "not_plain", "crash"):
                break
        send(fd, ("end", sink.count))
        os._exit(0)
    except BaseException:
        os._exit(70)
    finally:
        os._exit(71)


def describe_status(status):
    """'signal 11, SIGSEGV' or 'exit code 1'."""
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


TERMINAL = ("missing", "reference", "end")


def grade_exercise(emit, namespace, ex, output_bytes, private_fds=()):
    """Grade `ex` on namespace[ex['name']] in forked children; relay their messages.

    A case may take ex['timeout'] seconds (counted from the child's previous
    message): a slower child is killed, ("case_timeout",) is sent, and a new
    child goes on with the next case. A child that dies or sends garbage gives
    ("died", how) or ("garbled", why) and ends the exercise.
    """
    start = 0
    while True:
        done, reached = _one_child(emit, namespace, ex, output_bytes, private_fds, start)
        if done:
            return
        start = reached + 1


def _one_child(emit, namespace, ex, output_bytes, private_fds, start):
    """Run the cases from `start` in one child. Returns (finished, index of the case that
    timed out)."""
    read_fd, write_fd = os.pipe()
    gc.freeze()     # the child's garbage collector leaves the parent's objects alone (cheap fork)
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        for fd in private_fds:
            os.close(fd)
        _child_main(write_fd, namespace, ex, output_bytes, start)
    os.close(write_fd)
    reader, last, ended, case = MessageReader(read_fd), time.monotonic(), False, start
    try:
        while True:
            try:
                message = reader.read(last + ex["timeout"])
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)
                emit(("case_timeout",))
                if case + 1 < len(ex["cases"]):
                    return False, case
                emit(("end", 0))
                ended = True
                break
            except (ValueError, pickle.UnpicklingError, EOFError, TypeError) as exc:
                os.kill(pid, signal.SIGKILL)
                emit(("garbled", short(exc)))
                ended = True
                break
            if message is None:
                break
            emit(message)
            last = time.monotonic()
            if type(message) is tuple and message and message[0] == "case":
                case += 1
            if type(message) is tuple and message and message[0] in TERMINAL:
                ended = True
                break
    finally:
        os.close(read_fd)
        status = _reap(pid, time.monotonic() + 5.0)
    if not ended:
        emit(("died", describe_status(status)))
    return True, case


# ---------------------------------------------------------------- the notebook

def make_shell(namespace=None):
    """An IPython shell without a history file (on `namespace`, if given)."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config
    config = Config()
    config.HistoryManager.enabled = False
    return InteractiveShell.instance(config=config, user_ns=namespace)


# Cells that need IPython: magics, shell escapes, help (?), display(), get_ipython(), await.
NEEDS_IPYTHON = re.compile(r"^\s*[%!]|[?]\s*$|\bdisplay\b|\bget_ipython\b|\bawait\b",
                           re.MULTILINE)


class Notebook:
    """Runs cells in one namespace, as a notebook kernel does. Plain Python cells run with
    exec (fast); IPython is started only for a cell that needs it (NEEDS_IPYTHON), on the
    same namespace."""

    def __init__(self):
        self.namespace = {"__name__": "__main__", "__builtins__": builtins}
        self.shell = None
        self.count = 0

    def run(self, source):
        """Run one cell; the exception it raised, or None."""
        if self.shell is not None or NEEDS_IPYTHON.search(source):
            if self.shell is None:
                self.shell = make_shell(self.namespace)
            result = self.shell.run_cell(source, store_history=False)
            return result.error_before_exec or result.error_in_exec
        self.count += 1
        try:
            code = compile(source, f"<cell {self.count}>", "exec")
            exec(code, self.namespace)
        except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt too
            return exc
        return None


def run_job(job, emit, private_fds=()):
    """Run the cells of `job` top to bottom, grading each exercise at its place.

    job: {"cells": [(index, source)], "grade_at": {position: [exercise]},
    "output_bytes": int}; exercise: {"id", "name", "timeout", "probes": {key: spec},
    "cases": [{"args", "kwargs", "probe"}]}. grade_at[p] is graded after the
    first p cells have run.
    """
    notebook = Notebook()
    output_bytes = job["output_bytes"]
    cells, grade_at = job["cells"], job["grade_at"]
    saved = sys.stdout, sys.stderr
    for position in range(len(cells) + 1):
        for ex in grade_at.get(position, []):
            sys.stdout, sys.stderr = saved
            emit(("start", ex["id"]))
            grade_exercise(emit, notebook.namespace, ex, output_bytes, private_fds)
        if position == len(cells):
            break
        index, source = cells[position]
        emit(("cell", index))
        sink = ByteCappedWriter(output_bytes)
        sys.stdout = sys.stderr = sink
        error = notebook.run(source)
        sys.stdout, sys.stderr = saved
        emit(("ran", index, short(error) if error else "", sink.count))
    emit(("done",))


# ---------------------------------------------------------------- limits

def limit_memory(megabytes):
    """Cap this process's address space (children inherit it): big allocations raise MemoryError."""
    size = int(megabytes) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (size, size))


def limit_cpu(seconds):
    """Cap the CPU time of this process and of each child it forks (SIGXCPU, then SIGKILL)."""
    soft = int(seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 5))


def limit_processes(count):
    """Cap the number of processes of this user (RLIMIT_NPROC). The kernel does not apply
    it to root (uid 0); the grader's sandbox then relies on its PID namespace and time limits."""
    try:
        resource.setrlimit(resource.RLIMIT_NPROC, (int(count), int(count)))
    except (ValueError, OSError):
        pass


def not_dumpable():
    """Make this process non-dumpable: other processes of the same uid without
    capabilities can then neither ptrace it nor open its /proc/PID/fd."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)        # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass


def main():
    """Read the job from stdin, report on stdout (fd 1 becomes private), exit 0."""
    job = pickle.loads(sys.stdin.buffer.read(MAX_JOB_BYTES))   # made by the grader
    channel = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)      # stray prints (IPython, warnings) cannot corrupt the channel
    not_dumpable()
    limit_memory(job["memory_mb"])
    limit_cpu(job["cpu_seconds"])
    if job.get("max_processes"):
        limit_processes(job["max_processes"])
    run_job(job, lambda message: send(channel, message), private_fds=(channel,))
    return 0


if __name__ == "__main__":
    sys.exit(main())

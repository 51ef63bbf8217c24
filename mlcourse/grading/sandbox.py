"""The sandbox the batch grader runs student code in, and the student view it shows.

The grader starts one runner (runner.py) per submission inside bubblewrap
(`bwrap_command`): its own PID, mount, IPC, UTS and network namespaces, no
capabilities, a read-only view of the interpreter and its packages, a small
private /tmp, and everything killed when the run ends. Instead of the course's
package, the sandbox sees a *student view* (`build_view`): the runner, the
modules the course's setup cells import (mlcourse.data and its validation,
the Value engine of mlcourse.autodiff without the backward rules students
write) and a stand-in for `check`. No check module, no solution and no
reference implementation of a graded exercise is in it.

The messaging primitives live in runner.py (they run on both sides) and are
re-exported here.
"""
import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import mlcourse
from mlcourse.grading import runner
from mlcourse.grading.runner import (ByteCappedWriter, MessageReader, safe_loads,  # noqa: F401
                                     send)

PACKAGE = Path(mlcourse.__file__).resolve().parent
MAX_TEXT = 2000        # characters kept of any string the worker reports


def _short(exc):
    return runner.short(exc)


def _text(x):
    """A string from the runner, cut to MAX_TEXT characters (ValueError if not a string)."""
    if type(x) is not str:
        raise ValueError(f"expected a string, got {type(x).__name__}")
    return x[:MAX_TEXT]


# ---------------------------------------------------------------- the student view

VIEW_MODULES = ("data", "autodiff")      # what setup cells may import (validation comes along)
# The local backward rules removed from the view's Value engine: add, mul, tanh and exp are
# exercise autodiff_backward; sigmoid and relu would give exercise backprop_activation_grads.
# pow and log stay (the autodiff check's expressions square their result).
STRIPPED_RULES = {"__add__": "add", "__mul__": "mul", "tanh": "tanh", "exp": "exp",
                  "sigmoid": "sigmoid", "relu": "relu"}

VIEW_INIT = '''"""mlcourse as the grader's sandbox shows it: only what the course's setup cells import."""
import sys

__version__ = {version!r}
AVAILABLE = {available!r}


class _Refuse:
    """Import hook: any other mlcourse module is the course's library, not available here."""

    def find_spec(self, name, path=None, target=None):
        if name.startswith("mlcourse.") and name not in AVAILABLE:
            raise ModuleNotFoundError(
                f"No module named {{name!r}} (the course's library is not available to "
                "answers while grading)", name=name)
        return None


sys.meta_path.insert(0, _Refuse())
'''

VIEW_GRADING = '''"""Stand-in for the notebook's `check` inside the grader's sandbox."""


def check(id, namespace=None):
    """Does nothing: the batch grader checks every exercise itself, outside the sandbox."""
    return None
'''


class _StripRules(ast.NodeTransformer):
    """Replace the local backward rules named in STRIPPED_RULES by a NotImplementedError."""

    def visit_FunctionDef(self, node):
        if node.name in STRIPPED_RULES:
            op = STRIPPED_RULES[node.name]
            for inner in node.body:
                if isinstance(inner, ast.FunctionDef) and inner.name == "_backward":
                    inner.body = ast.parse(
                        f"raise NotImplementedError(\"the engine's rule for {op!r} is not "
                        "available while grading: use backward_with_rules with your own\")").body
        self.generic_visit(node)
        return node


def student_autodiff():
    """The source of mlcourse.autodiff without the backward rules of STRIPPED_RULES (and
    without comments, which state them)."""
    tree = ast.parse((PACKAGE / "autodiff.py").read_text(encoding="utf-8"))
    tree = ast.fix_missing_locations(_StripRules().visit(tree))
    return ast.unparse(tree) + "\n"


def setup_modules(sources):
    """The modules of VIEW_MODULES that setup cells `sources` import (from mlcourse import
    data; from mlcourse.autodiff import Value; import mlcourse.data)."""
    found = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "mlcourse":
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mlcourse."):
                found.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                found.update(a.name.split(".")[1] for a in node.names
                             if a.name.startswith("mlcourse."))
    return tuple(m for m in VIEW_MODULES if m in found)


def build_view(folder, modules=VIEW_MODULES):
    """Write the student view of the course into `folder`, with the `modules` of
    VIEW_MODULES a lecture's setup cells import; return its `mlcourse` package folder."""
    package = Path(folder) / "mlcourse"
    (package / "grading").mkdir(parents=True, exist_ok=True)
    available = ["mlcourse.validation", *(f"mlcourse.{m}" for m in modules),
                 "mlcourse.grading", "mlcourse.grading.runner"]
    (package / "__init__.py").write_text(
        VIEW_INIT.format(version=mlcourse.__version__, available=available), encoding="utf-8")
    shutil.copyfile(PACKAGE / "validation.py", package / "validation.py")
    if "data" in modules:
        shutil.copyfile(PACKAGE / "data.py", package / "data.py")
    if "autodiff" in modules:
        (package / "autodiff.py").write_text(student_autodiff(), encoding="utf-8")
    (package / "grading" / "__init__.py").write_text(VIEW_GRADING, encoding="utf-8")
    shutil.copyfile(PACKAGE / "grading" / "runner.py", package / "grading" / "runner.py")
    return package


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
        raise SandboxUnavailable(f"bwrap could not be run ({runner.short(exc)}). " + HOW_TO_FIX) \
            from None
    if proc.returncode != 0:
        said = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        raise SandboxUnavailable(f"bwrap could not build the sandbox ({said[0][:300]}). "
                                 + HOW_TO_FIX)

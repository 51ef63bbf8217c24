"""Shared test settings: tests that grade need bubblewrap that can create namespaces."""
import functools
import shutil
import subprocess

import pytest


@functools.lru_cache(maxsize=None)
def sandbox_problem():
    """None when this machine can run bubblewrap sandboxes, else why not.

    Only the machine is probed here (bwrap present, namespaces allowed), with the simplest
    sandbox: if that works, a failure of the grader's own sandbox is a bug and its tests
    must fail, not be skipped.
    """
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap is not installed (apt-get install -y bubblewrap)"
    probe = subprocess.run([bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/",
                            "true"], capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        said = (probe.stderr.strip().splitlines() or ["no message"])[-1]
        return (f"bwrap cannot create namespaces here ({said}); see the README's Security "
                "section")
    return None


def pytest_collection_modifyitems(config, items):
    """Skip, with the reason, every test marked `sandbox` when bubblewrap cannot run here."""
    if not any(item.get_closest_marker("sandbox") for item in items):
        return
    problem = sandbox_problem()
    if problem:
        skip = pytest.mark.skip(reason=f"the grader's sandbox cannot run here: {problem}")
        for item in items:
            if item.get_closest_marker("sandbox"):
                item.add_marker(skip)

"""Shared test settings: tests that grade need a working bubblewrap sandbox."""
import functools
from pathlib import Path

import pytest

import mlcourse
from mlcourse.grading import grader, sandbox


@functools.lru_cache(maxsize=None)
def sandbox_problem():
    """None when the grader's sandbox works here, else why not (and how to fix it)."""
    env = sandbox.sandbox_env({k: grader.worker_env()[k] for k in grader.SANDBOX_ENV_KEYS})
    try:
        sandbox.check_sandbox(Path(mlcourse.__file__).resolve().parent, env)
    except sandbox.SandboxUnavailable as exc:
        return str(exc)
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

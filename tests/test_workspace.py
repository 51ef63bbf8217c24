"""A new student's first hour: `make lab` opens the course home, and their work never
collides with course updates (mlcourse/workspace.py, the Makefile's `lab` target)."""
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from mlcourse import workspace

ROOT = Path(__file__).resolve().parents[1]


def make_course(root, version="v1"):
    """A tiny course: one lecture and one exercise notebook."""
    for folder, title in (("lectures", "Lecture 1 — Tiny"), ("exercises", "Exercises 1 — Tiny")):
        (root / folder).mkdir(parents=True, exist_ok=True)
        nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": [f"# {title}\n", version]}],
              "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        (root / folder / "01_tiny.ipynb").write_text(json.dumps(nb))


def test_first_run_copies_everything_and_writes_the_home(tmp_path):
    make_course(tmp_path / "course")
    messages = workspace.prepare(tmp_path / "work", root=tmp_path / "course")
    assert len(messages) == 2
    for folder in ("lectures", "exercises"):
        assert (tmp_path / "work" / folder / "01_tiny.ipynb").read_bytes() == \
            (tmp_path / "course" / folder / "01_tiny.ipynb").read_bytes()
    home = (tmp_path / "work" / "HOME.md").read_text()
    assert "[Tiny](lectures/01_tiny.ipynb)" in home
    assert "[exercises 1](exercises/01_tiny.ipynb)" in home
    assert "YOUR CODE HERE" in home and "git pull" in home
    assert workspace.prepare(tmp_path / "work", root=tmp_path / "course") == []   # idempotent


def test_an_unchanged_copy_follows_course_updates(tmp_path):
    make_course(tmp_path / "course", "v1")
    workspace.prepare(tmp_path / "work", root=tmp_path / "course")
    make_course(tmp_path / "course", "v2")
    messages = workspace.prepare(tmp_path / "work", root=tmp_path / "course")
    assert any("updated" in m for m in messages)
    assert "v2" in (tmp_path / "work" / "exercises" / "01_tiny.ipynb").read_text()


def test_a_student_copy_is_never_overwritten(tmp_path):
    make_course(tmp_path / "course", "v1")
    workspace.prepare(tmp_path / "work", root=tmp_path / "course")
    mine = tmp_path / "work" / "exercises" / "01_tiny.ipynb"
    mine.write_text(mine.read_text().replace("v1", "my answer"))
    assert workspace.prepare(tmp_path / "work", root=tmp_path / "course") == []  # no update yet
    assert not mine.with_name("01_tiny.updated.ipynb").exists()
    make_course(tmp_path / "course", "v2")
    messages = workspace.prepare(tmp_path / "work", root=tmp_path / "course")
    assert "my answer" in mine.read_text()
    updated = mine.with_name("01_tiny.updated.ipynb")
    assert "v2" in updated.read_text()
    assert any("kept your" in m and "updated.ipynb" in m for m in messages)
    # a later run keeps both, and says nothing new
    assert workspace.prepare(tmp_path / "work", root=tmp_path / "course") == []
    assert "my answer" in mine.read_text()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def _git_status():
    """What git sees changed in the course's notebooks (and anything new outside my-work/)."""
    return subprocess.run(["git", "status", "--porcelain", "--", "lectures", "exercises",
                           "solutions", "HOME.md"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture(scope="module")
def lab():
    """`make lab` headless on 127.0.0.1, bounded in time, stopped with its process group."""
    port, token = _free_port(), secrets.token_hex(16)
    args = f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token}"
    process = subprocess.Popen(["timeout", "300", "make", "-s", "lab", f"JUPYTER_ARGS={args}"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if _get(f"{base}/api/status?token={token}")[0] == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, process.stdout.read()
            time.sleep(0.5)
        else:
            pytest.fail("make lab did not answer within 60 s")
        yield base, token
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_make_lab_serves_the_course_home_and_the_exercises(lab):
    base, token = lab
    for path in ("lab/tree/exercises/01_perceptron.ipynb", "lab/tree/my-work/HOME.md",
                 "api/contents/my-work/HOME.md", "api/contents/my-work/exercises/01_perceptron.ipynb",
                 "api/contents/lectures/01_perceptron.ipynb"):
        assert _get(f"{base}/{path}?token={token}")[0] == 200, path
    status, page = _get(f"{base}/lab?token={token}")
    config = json.loads(re.search(rb'id="jupyter-config-data"[^>]*>(.*?)</script>', page, re.S)[1])
    assert config["news"] == {"disabled": True}, "JupyterLab's news pop-up is not suppressed"
    with urllib.request.urlopen(f"{base}/?token={token}", timeout=10) as response:
        assert response.geturl().split("?")[0].endswith("/lab/tree/my-work/HOME.md"), \
            "the first page is not the course home"
    settings = json.loads(_get(f"{base}/lab/api/settings/@jupyterlab/apputils-extension:"
                               f"notification?token={token}")[1])
    assert settings["schema"]["properties"]["fetchNews"]["default"] == "false", \
        "overrides.json (no news pop-up) is not installed"
    widgets = json.loads(_get(f"{base}/lab/api/settings/@jupyter-widgets/jupyterlab-manager:"
                              f"plugin?token={token}")[1])
    assert widgets["schema"]["properties"]["saveState"]["default"] is True
    specs = json.loads(_get(f"{base}/api/kernelspecs?token={token}")[1])
    assert list(specs["kernelspecs"]) == ["mlcourse"] and specs["default"] == "mlcourse"


def test_saving_every_notebook_the_home_links_leaves_git_clean(lab):
    """What autosave does after a student runs a lecture or an exercise: PUT the notebook back."""
    base, token = lab
    home = (ROOT / "my-work" / "HOME.md").read_text()
    links = re.findall(r"\]\(((?:lectures|exercises)/[^)]+\.ipynb)\)", home)
    assert len(links) >= 18, links
    before = _git_status()
    originals = {link: (ROOT / "my-work" / link).read_bytes() for link in links}
    try:
        _save_with_notes(base, token, links)
        assert _git_status() == before, "saving a student's notebook changed a file git tracks"
        assert "my notes" in (ROOT / "my-work" / links[0]).read_text()
        ignored = subprocess.run(["git", "check-ignore", *[f"my-work/{l}" for l in links]],
                                 cwd=ROOT, capture_output=True, text=True).stdout.split()
        assert len(ignored) == len(links), "a student's notebook is in a folder git tracks"
    finally:   # give this machine's student their notebooks back
        for link, data in originals.items():
            (ROOT / "my-work" / link).write_bytes(data)


def _save_with_notes(base, token, links):
    for link in links:
        url = f"{base}/api/contents/my-work/{link}?token={token}"
        model = json.loads(_get(url)[1])
        model["content"]["cells"].append({"cell_type": "markdown", "metadata": {},
                                          "source": "my notes", "id": "student-notes"})
        request = urllib.request.Request(
            url, method="PUT", headers={"Content-Type": "application/json"},
            data=json.dumps({"type": "notebook", "format": "json",
                             "content": model["content"]}).encode())
        with urllib.request.urlopen(request, timeout=20) as response:
            assert response.status == 200

"""Helpers for tests/test_browser.py: a throw-away JupyterLab server and the DOM probes.

The server runs from the course environment in its own process group, with its
own (temporary) Jupyter config, settings and workspaces, so a developer's
~/.jupyter never leaks in and the test never writes to the notebooks: autosave
is off, and every notebook is opened in a fresh workspace. It is always stopped
by signalling its process group; the kernels, which jupyter_client starts in
sessions of their own, are shut down through the REST API and then killed by pid.
"""
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
KERNEL_NAME = "mlcourse"
KERNEL_DISPLAY_NAME = "Python 3 (mlcourse)"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# What a widget cell's stored output looks like after `python -m mlcourse build`
# (widget state is stripped, the text/plain repr stays): "VBox(children=(...".
WIDGET_REPR = re.compile(r"^(VBox|HBox|Box|GridBox|Tab|Accordion|interactive)\(children=")

# JupyterLab user settings for the test: never write the notebook back to disk,
# render every cell (no windowing: cells outside the viewport stay in the DOM),
# no news/update requests to the internet, no toasts over the notebook.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True},
}

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def widget_cells(path):
    """Indices (among code cells) of the cells of notebook `path` that display a widget."""
    nb = json.loads(Path(path).read_text())
    found = []
    for i, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            text = "".join(data.get("text/plain", ""))
            if WIDGET_MIME in data or WIDGET_REPR.match(text):
                found.append(i)
                break
    return found


def code_cell_count(path):
    return sum(c["cell_type"] == "code" for c in json.loads(Path(path).read_text())["cells"])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """`jupyter lab` on 127.0.0.1:<free port> with a random token, in its own process group.

    max_seconds bounds its life even if the test process dies (coreutils `timeout`).
    """

    def __init__(self, workdir, max_seconds=1800, root_dir=ROOT):
        self.workdir = Path(workdir)
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.url = f"http://127.0.0.1:{self.port}"
        self.root_dir = Path(root_dir)
        self.max_seconds = int(max_seconds)
        self.proc = None
        self.log_path = self.workdir / "jupyter.log"
        self._pids = set()

    # -- life cycle -----------------------------------------------------------------
    def start(self, ready_timeout=120):
        config = self.workdir / "jupyter-config"
        settings = config / "lab" / "user-settings"
        for rel, value in LAB_SETTINGS.items():
            path = settings / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
        (config / "lab" / "workspaces").mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config),
                   JUPYTERLAB_SETTINGS_DIR=str(settings),
                   JUPYTERLAB_WORKSPACES_DIR=str(config / "lab" / "workspaces"),
                   JUPYTER_RUNTIME_DIR=str(self.workdir / "runtime"),
                   OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   PYDEVD_DISABLE_FILE_VALIDATION="1")
        cmd = ["timeout", "-s", "TERM", "-k", "10", str(self.max_seconds),
               str(VENV_BIN / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1",
               f"--port={self.port}", "--port-retries=0",
               f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root_dir}",
               "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               # a kernel left behind by a crashed test is culled by the server itself
               "--MappingKernelManager.cull_idle_timeout=600",
               "--MappingKernelManager.cull_interval=60"]
        if os.geteuid() == 0:          # CI containers run as root
            cmd.append("--allow-root")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=self.root_dir, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + ready_timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with code {self.proc.returncode}:\n"
                                   + self.log_tail())
            try:
                status = self.api("GET", "/api/status", timeout=2)
                if "started" in status:
                    return self
            except (OSError, urllib.error.URLError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"jupyter lab did not answer /api/status within "
                                   f"{ready_timeout} s:\n{self.log_tail()}")
            time.sleep(0.25)

    def stop(self):
        """Shut the kernels down, signal the server's group, kill whatever is left."""
        if self.proc is None:
            return
        self._remember_descendants()
        if self.proc.poll() is None:
            try:
                for kernel in self.api("GET", "/api/kernels", timeout=5):
                    self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=10)
            except Exception:                      # noqa: BLE001 - best effort, we kill below
                pass
            self._remember_descendants()
            _signal_group(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _signal_group(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        _signal_group(self.proc.pid, signal.SIGKILL)     # stragglers in the group
        for pid in self._pids:                            # kernels live in their own sessions
            try:
                psutil.Process(pid).kill()
            except psutil.Error:
                pass
        psutil.wait_procs([p for p in map(_process, self._pids) if p], timeout=10)
        self._log.close()
        self.proc = None

    def leftovers(self):
        """Processes this server started that are still alive (should be empty after stop())."""
        return [p for p in map(_process, self._pids) if p and p.is_running()
                and p.status() != psutil.STATUS_ZOMBIE]

    def _remember_descendants(self):
        try:
            self._pids |= {p.pid for p in psutil.Process(self.proc.pid).children(recursive=True)}
        except psutil.Error:
            pass

    # -- REST -----------------------------------------------------------------------
    def api(self, method, path, timeout=10):
        req = urllib.request.Request(self.url + path, method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_sessions(self, path):
        """Stop the kernel of every session on notebook `path` (relative to the root)."""
        for session in self.api("GET", "/api/sessions"):
            if session.get("path") == path:
                self.api("DELETE", f"/api/sessions/{session['id']}", timeout=30)

    def notebook_url(self, path, workspace):
        return f"{self.url}/lab/workspaces/{workspace}/tree/{path}?token={self.token}"

    def log_tail(self, n=40):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def _process(pid):
    try:
        return psutil.Process(pid)
    except psutil.Error:
        return None


def _signal_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


# -- DOM probes (run in the page) -------------------------------------------------------

# Execution state of the notebook's code cells: their prompts "[n]:", "[*]:" or "[ ]:".
JS_PROMPTS = """() => Array.from(document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputArea-prompt'))
    .map(e => e.textContent.trim())"""

# Text of every stderr/error output (JupyterLab renders error outputs with the stderr
# mime type; warnings land there too, so the test looks for tracebacks in the text).
JS_STDERR = """() => Array.from(document.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
    .map(e => e.innerText)"""

# What a demo shows: a SHA-256 of every image's bytes (not just its src: ipywidgets
# gives each new value a new blob URL, even when the bytes are the same) and the
# text of its HTML readouts. The argument is the widget's output element.
JS_WIDGET_STATE = """async (root) => {
    const images = [];
    for (const img of root.querySelectorAll('img')) {
        if (!img.src) { images.push(''); continue; }
        try {
            const bytes = await (await fetch(img.src)).arrayBuffer();
            const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
            images.push(Array.from(digest.slice(0, 8), b => b.toString(16).padStart(2, '0')).join(''));
        } catch (e) {
            images.push('src:' + img.src);
        }
    }
    const html = Array.from(root.querySelectorAll('.widget-html, .widget-htmlmath'),
                            e => e.innerText);
    return {images, html};
}"""

TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\w*(Error|Exception)\b.*Traceback"
                       r"|^\w+(Error|Exception|Interrupt): ", re.MULTILINE)

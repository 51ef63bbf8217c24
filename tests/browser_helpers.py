"""Helpers for tests/test_browser.py: a throw-away JupyterLab server and the DOM probes.

The server runs from the course environment in its own process group, with its
own (temporary) Jupyter config, settings and workspaces, so a developer's
~/.jupyter never leaks in and the test never writes to the notebooks: autosave
is off, and every notebook is opened in a fresh workspace. It is always stopped
by signalling its process group; the kernels, which jupyter_client starts in
sessions of their own, are shut down through the REST API and then killed by pid.
"""
import base64
import contextlib
import io
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
from PIL import Image

from mlcourse.demos.base import RUN_HINT

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
KERNEL_NAME = "mlcourse"
KERNEL_DISPLAY_NAME = "Python 3 (mlcourse)"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# What a widget cell's stored output looks like after `python -m mlcourse build` (widget
# state is stripped): a course demo's static fallback, whose text/plain is
# "<Demo>: <RUN_HINT>.", or the text/plain repr of a bare widget, "VBox(children=(...".
WIDGET_REPR = re.compile(r"^(VBox|HBox|Box|GridBox|Tab|Accordion|interactive)\(children="
                         rf"|^\w+: {re.escape(RUN_HINT)}")

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


@contextlib.contextmanager
def launched_chromium(sync_api):
    """Headless Debian Chromium driven by Playwright (`sync_api`), closed on exit."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


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
               # window.jupyterapp: the test opens and closes notebooks without reloading
               "--LabApp.expose_app_in_browser=True",
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

    def workspace_url(self, workspace):
        return f"{self.url}/lab/workspaces/{workspace}?token={self.token}"

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
# The prompt of every code cell of the notebook in front, "[n]:", "[*]:" or "[ ]:", read
# from the cell models: a cell whose input is collapsed (plotting code, tag hide-input)
# has no prompt element in the page.
JS_PROMPTS = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    return panel.content.widgets.filter(cell => cell.model.type === 'code').map(cell =>
        cell.model.executionState === 'running' ? '[*]:'
        : cell.model.executionCount === null ? '[ ]:' : `[${cell.model.executionCount}]:`);
}"""

# Open notebook `path` (relative to the server root) in the running JupyterLab, as a
# student's double click would, without reloading the page. Close every tab, once its
# kernel (which starts in the background, later under load) is up and shut down again:
# a tab closed before its session exists would leave that kernel running.
JS_OPEN = """async (path) => {
    const widget = await window.jupyterapp.commands.execute(
        'docmanager:open', {path, factory: 'Notebook'});
    await widget.context.ready;
    await widget.revealed;
}"""
JS_CLOSE_ALL = """async () => {
    const app = window.jupyterapp;
    for (const widget of Array.from(app.shell.widgets('main'))) {
        if (widget.sessionContext) {
            await widget.sessionContext.ready;
            await widget.sessionContext.shutdown();
        }
    }
    await app.commands.execute('application:close-all');
}"""

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

# Every image a student sees in the open notebook (outputs, widgets, rendered markdown),
# once each has finished loading or failed (at most 5 s): its cell (1-based), what shows
# it, its pixel size and its displayed size in CSS pixels.
JS_IMAGES = """async () => {
    const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
    const cells = Array.from(panel.querySelectorAll('.jp-Cell'));
    const images = Array.from(panel.querySelectorAll(
        '.jp-OutputArea-output img, .jp-RenderedMarkdown img'));
    const settle = img => img.complete ? null : img.decode().catch(() => null);
    await Promise.race([Promise.all(images.map(settle)),
                        new Promise(resolve => setTimeout(resolve, 5000))]);
    return images.map(img => {
        const box = img.getBoundingClientRect();
        const output = img.closest('.jp-OutputArea-output');
        const widget = img.closest('.jupyter-widgets, .widget-image') !== null;
        return {cell: cells.indexOf(img.closest('.jp-Cell')) + 1, widget,
                shown_by: widget ? 'widget' : output ? (output.dataset.mimeType || 'output')
                                                     : 'markdown',
                loaded: img.complete, natural_width: img.naturalWidth,
                natural_height: img.naturalHeight, width: box.width, height: box.height,
                src: (img.getAttribute('src') || '').slice(0, 40)};
    });
}"""

# MathJax 3 in the open notebook: its parse errors (mjx-merror, shown in red with the TeX),
# undefined macros (JupyterLab loads the noundefined package: the macro is shown as red
# text), and TeX still raw in rendered markdown (not typeset yet, or its delimiters are
# unbalanced). Also how many markdown cells are rendered, to know when to look.
JS_MATH = r"""() => {
    const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
    const cells = Array.from(panel.querySelectorAll('.jp-Cell'));
    const where = e => cells.indexOf(e.closest('.jp-Cell')) + 1;
    const errors = [];
    for (const e of panel.querySelectorAll('mjx-merror'))
        errors.push({cell: where(e), error: e.getAttribute('data-mjx-error'), tex: e.textContent});
    for (const e of panel.querySelectorAll('mjx-assistive-mml mtext[mathcolor="red"]'))
        if (e.textContent.startsWith('\\'))
            errors.push({cell: where(e), error: 'undefined control sequence', tex: e.textContent});
    const raw = [];
    for (const md of panel.querySelectorAll('.jp-RenderedMarkdown, .widget-htmlmath')) {
        const text = md.cloneNode(true);
        text.querySelectorAll('mjx-container, code, pre, script, style').forEach(e => e.remove());
        const found = text.textContent.match(/\$[^$]+\$|\\[()\[\]]|\\[A-Za-z]+/);
        if (found) raw.push({cell: where(md), tex: found[0].slice(0, 80)});
    }
    return {errors, raw, typeset: panel.querySelectorAll('mjx-container').length,
            rendered_markdown: Array.from(panel.querySelectorAll(
                '.jp-MarkdownCell .jp-MarkdownOutput')).filter(e => e.childElementCount).length};
}"""

# A displayed size may exceed the pixel size by rounding, never by more than this (CSS px).
SLACK_PX = 0.5


def image_problems(images):
    """What a student would see wrong in each image of `images` (records from JS_IMAGES).

    Broken or empty: it did not load or has no pixels. Stretched: it is displayed wider or
    taller (in CSS pixels) than its pixel size, so it looks blurred. Not crisp: a widget
    image (the course's demos) must carry at least 2 pixels per CSS pixel, so it stays sharp
    on high-density screens and when zoomed. Hidden images (size 0) are only checked for
    being broken. Returns one line per problem; empty when all is well."""
    problems = []
    for im in images:
        where = f"cell {im['cell']} ({im['shown_by']} image)"
        nw, nh, w, h = im["natural_width"], im["natural_height"], im["width"], im["height"]
        if not im["loaded"] or nw == 0 or nh == 0:
            problems.append(f"{where}: empty or broken image (src {im['src']!r})")
        elif w > nw + SLACK_PX or h > nh + SLACK_PX:
            problems.append(f"{where}: stretched: {nw}×{nh} pixels displayed at "
                            f"{w:.1f}×{h:.1f} CSS px")
        elif im["widget"] and w > 0 and 2 * w > nw + 2 * SLACK_PX:
            problems.append(f"{where}: not crisp: {nw} pixels wide displayed at {w:.1f} CSS "
                            f"px (a widget image needs at least 2 pixels per CSS pixel)")
    return problems


def math_problems(report):
    """One line per MathJax error and per raw TeX fragment in `report` (from JS_MATH)."""
    return ([f"cell {e['cell']}: MathJax error ({e['error']}) in: {e['tex']}"
             for e in report["errors"]] +
            [f"cell {r['cell']}: TeX not typeset: {r['tex']}" for r in report["raw"]])


def png_bytes(width, height, color=(70, 130, 180)):
    """A plain PNG of width × height pixels."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="png")
    return buffer.getvalue()


# The negative controls: one notebook with a stored output for each problem the test
# must see (and clean ones it must not flag), one run in the kernel with widgets.
# Their cell numbers (1-based) are what the test expects the probes to report.
CONTROL_MARKDOWN = [
    r"Clean: $x^2$, $k^{\ast}$ and $$\tau = \Big(\sum_{j \le k^{\ast}} z_{(j)} - 1\Big)/k^{\ast}$$",
    r"Undefined control sequence: $k^\* = 1$",        # cell 2: the sparsemax bug
    r"Parse error: $x^$",                                # cell 3
    r"Unpaired delimiter, TeX left raw: $\alpha",      # cell 4
]
CONTROL_WIDGETS = """\
import io
import ipywidgets as widgets
from PIL import Image

def png(width, height, color):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="png")
    return buffer.getvalue()

crisp = widgets.Image(value=png(160, 120, "steelblue"), width=80)    # 2 pixels per CSS px
blurry = widgets.Image(value=png(80, 60, "orange"), width=80)        # cell 1: 1 per CSS px
widgets.VBox([crisp, blurry])
""", """\
image = widgets.Image(value=png(160, 120, "seagreen"), width=80)
readout = widgets.HTML("the image is fine")
button = widgets.Button(description="break the image")

def click(_):       # cell 2: the readout changes, the image goes empty
    image.value = b""
    readout.value = "the readout changed, the image is empty"

button.on_click(click)
widgets.VBox([button, image, readout])
"""


def write_control_notebooks(folder):
    """Write stored.ipynb (stored outputs and markdown with known problems, not run) and
    widgets.ipynb (run in the browser) into `folder`; returns their paths."""
    import nbformat
    v4 = nbformat.v4
    folder.mkdir(parents=True, exist_ok=True)
    kernelspec = {"name": KERNEL_NAME, "display_name": KERNEL_DISPLAY_NAME, "language": "python"}
    tiny = base64.b64encode(png_bytes(8, 6)).decode()
    retina = base64.b64encode(png_bytes(16, 12)).decode()

    def shows(n, *outputs):
        return v4.new_code_cell(f"# control {n}", execution_count=n, outputs=list(outputs))

    def image(data, **meta):
        return v4.new_output("display_data", data={"image/png": data, "text/plain": "<image>"},
                             metadata={"image/png": meta} if meta else {})

    html = v4.new_output("display_data", data={"text/html": (
        f'<img src="data:image/png;base64,{tiny}" style="width: 100px">')})
    stored = v4.new_notebook(metadata={"kernelspec": kernelspec}, cells=[
        *map(v4.new_markdown_cell, CONTROL_MARKDOWN),
        shows(1, image(tiny), image(retina, width=8)),                   # cell 5: clean
        shows(2, image("")),                                             # cell 6: empty
        shows(3, image(base64.b64encode(b"not a PNG at all").decode())),  # cell 7: broken
        shows(4, image(tiny, width=64)),                                 # cell 8: stretched
        shows(5, html),                                                  # cell 9: stretched
    ])
    widgets = v4.new_notebook(metadata={"kernelspec": kernelspec},
                              cells=[v4.new_code_cell(src) for src in CONTROL_WIDGETS])
    paths = folder / "stored.ipynb", folder / "widgets.ipynb"
    for nb, path in zip((stored, widgets), paths):
        nbformat.write(nb, path)
    return paths


def markdown_cell_count(path):
    return sum(c["cell_type"] == "markdown" for c in json.loads(Path(path).read_text())["cells"])


TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\w*(Error|Exception)\b.*Traceback"
                       r"|^\w+(Error|Exception|Interrupt): ", re.MULTILINE)

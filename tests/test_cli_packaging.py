"""What `pip install ".[train,peers,dev]"` gives a user: the dev extra can run the whole test suite (which
builds the wheel without build isolation), both console scripts are on PATH, and `edgekd-run` execs the
binary the package carries."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def _name(req: str) -> str:
    return re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0].strip().lower().replace("_", "-")


def test_dev_extra_has_the_build_requirements():
    """tests/test_devices.py builds the wheel with `pip wheel --no-build-isolation`: the backend and
    pybind11 must then come from the environment, i.e. from the dev extra."""
    p = _pyproject()
    dev = {_name(r) for r in p["project"]["optional-dependencies"]["dev"]}
    missing = [r for r in p["build-system"]["requires"] if _name(r) not in dev]
    assert not missing, f"dev extra lacks build requirements {missing}"


def test_dev_extra_has_the_test_runners():
    dev = {_name(r) for r in _pyproject()["project"]["optional-dependencies"]["dev"]}
    assert {"pytest", "pytest-xdist"} <= dev  # scripts/test.sh runs pytest -n


def test_tomli_backs_tomllib_before_3_11():
    deps = _pyproject()["project"]["dependencies"]
    tomli = [d for d in deps if _name(d) == "tomli"]
    assert tomli and 'python_version < "3.11"' in tomli[0].replace("'", '"')


def test_console_scripts_declared_and_installed():
    scripts = _pyproject()["project"]["scripts"]
    assert scripts["edgekd-run"] == "edgekd.run_binary:main"
    eps = {e.name: e.value for e in metadata.entry_points(group="console_scripts")
           if e.name in ("edgekd", "edgekd-run")}
    assert eps.get("edgekd-run") == "edgekd.run_binary:main", "reinstall edgekd: the entry point is not installed"
    assert (BIN / "edgekd-run").is_file()


def _edgekd_run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    e = {k: v for k, v in os.environ.items() if k != "EDGEKD_RUN"}
    e.update(env or {})
    return subprocess.run([str(BIN / "edgekd-run"), *args], capture_output=True, text=True, timeout=60, env=e)


def test_edgekd_run_help_exits_0_with_usage(tmp_path):
    r = _edgekd_run("--help")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage: edgekd-run model.tflite")
    assert "--threads" in r.stdout and "--bench" in r.stdout and r.stderr == ""
    assert _edgekd_run("-h").returncode == 0


def test_edgekd_run_is_the_binary():
    """The shim execs the binary: a usage error is the binary's own (exit 2, its message)."""
    r = _edgekd_run("--no-such-flag")
    assert r.returncode == 2
    assert r.stderr.splitlines()[0] == "edgekd-run: unknown option --no-such-flag"


def test_edgekd_run_missing_binary_one_line(tmp_path):
    r = _edgekd_run("--help", env={"EDGEKD_RUN": str(tmp_path / "absent")})
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "binary is missing" in lines[0] and str(tmp_path / "absent") in lines[0]
    assert "Traceback" not in r.stderr


def test_ci_installs_into_a_fresh_venv():
    """.ci/run must install the way the README says, into a venv of its own (a system site-packages
    would hide a dependency missing from pyproject.toml) and run the test script with it active."""
    ci = (REPO / ".ci" / "run").read_text()
    assert re.search(r"^python3 -m venv (?!.*--system-site-packages)", ci, re.M)
    assert re.search(r'^source "\$venv/bin/activate"', ci, re.M)
    assert 'pip install -q torch==2.13.0 ".[train,peers,dev]"' in ci
    assert ci.index("activate") < ci.index("pip install") < ci.index("./scripts/test.sh")

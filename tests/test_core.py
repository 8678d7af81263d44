"""The device-side contract: import cost, CPU report, EDGEKD_ISA forcing."""
import json
import os
import subprocess
import sys

import pytest

import edgekd

ALL_PATHS = ["ref", "avx2", "avx512vnni", "neon", "neondot"]


def _run_py(code: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **env}
    if "EDGEKD_ISA" not in env:
        full_env.pop("EDGEKD_ISA", None)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full_env)


def test_import_does_not_pull_torch():
    r = _run_py("import sys, edgekd; print(sorted(m for m in ('torch', 'matplotlib', 'onnxruntime', "
                "'ai_edge_litert', 'tensorflow') if m in sys.modules))")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_cpu_info_shape():
    info = edgekd.cpu_info()
    assert info["arch"] in ("x86_64", "aarch64", "other")
    assert "ref" in info["compiled_paths"] and "ref" in info["supported_paths"]
    assert info["path"] in info["compiled_paths"]
    assert info["path"] in info["supported_paths"]
    assert set(info["compiled_paths"]) <= set(ALL_PATHS)


def test_detector_agrees_with_proc_cpuinfo():
    if not os.path.exists("/proc/cpuinfo"):
        pytest.skip("no /proc/cpuinfo")
    text = open("/proc/cpuinfo").read()
    flags = set()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            flags |= set(line.split(":", 1)[1].split())
    feats = edgekd.cpu_info()["features"]
    if edgekd.cpu_info()["arch"] == "x86_64":
        # The detector also requires OS support (xgetbv); the kernel only lists flags it enables.
        assert feats["avx2"] == ("avx2" in flags)
        assert feats["avx512f"] == ("avx512f" in flags)
        assert feats["avx512vnni"] == ("avx512_vnni" in flags)
        assert feats["fma"] == ("fma" in flags)
    elif edgekd.cpu_info()["arch"] == "aarch64":
        assert feats["asimd"] == ("asimd" in flags)
        assert feats["asimddp"] == ("asimddp" in flags)


def test_best_path_is_chosen_by_default():
    info = edgekd.cpu_info()
    order = ["avx512vnni", "avx2", "neondot", "neon", "ref"]
    expected = next(p for p in order if p in info["compiled_paths"] and p in info["supported_paths"])
    r = _run_py("import edgekd; print(edgekd.cpu_info()['path'])")
    assert r.stdout.strip() == expected


@pytest.mark.parametrize("path", ALL_PATHS)
def test_forcing_a_path(path):
    info = edgekd.cpu_info()
    runnable = path in info["compiled_paths"] and path in info["supported_paths"]
    r = _run_py("import json, edgekd; print(json.dumps(edgekd.cpu_info()))", EDGEKD_ISA=path)
    if runnable:
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["path"] == path
    else:
        assert r.returncode != 0
        assert f"EDGEKD_ISA={path}" in r.stderr


def test_forcing_an_unknown_path_names_the_choices():
    r = _run_py("import edgekd; edgekd.cpu_info()", EDGEKD_ISA="sse9")
    assert r.returncode != 0
    assert "sse9" in r.stderr and "avx2" in r.stderr


def test_info_command():
    r = subprocess.run([sys.executable, "-m", "edgekd.cli", "info", "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["path"] == edgekd.cpu_info()["path"]
    r = subprocess.run([sys.executable, "-m", "edgekd.cli", "info"], capture_output=True, text=True,
                       env={**os.environ, "EDGEKD_ISA": "sse9"})
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "sse9" in r.stderr  # one line, no traceback

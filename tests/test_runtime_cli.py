"""edgekd-run, the standalone binary: outputs equal the Python runtime's, .npy in and out, benchmark
statistics as JSON, and one-line errors with a non-zero exit for bad input."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import edgekd
from edgekd.testing import litert, models
from edgekd.tflite.writer import write_tflite


def _binary() -> str:
    here = Path(edgekd._core.__file__).parent / "bin" / "edgekd-run"
    for cand in (os.environ.get("EDGEKD_RUN"), str(here), shutil.which("edgekd-run")):
        if cand and Path(cand).is_file():
            return cand
    pytest.skip("edgekd-run not built (set EDGEKD_RUN)")


@pytest.fixture(scope="module")
def cnn(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    g = models.small_cnn(seed=0)
    p = d / "cnn.tflite"
    p.write_bytes(write_tflite(g))
    return g, p, d


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([_binary(), *args], capture_output=True, text=True, timeout=120)


def test_outputs_match_python_runtime(cnn):
    g, p, d = cnn
    x = litert.random_inputs(g, seed=1)[0]
    np.save(d / "x.npy", x)
    r = _run(str(p), "--input", str(d / "x.npy"), "--output", str(d / "y.npy"))
    assert r.returncode == 0, r.stderr
    y = np.load(d / "y.npy")
    assert np.array_equal(y, edgekd.load(str(p))(x))


def test_float_npy_is_quantized_like_python(cnn):
    g, p, d = cnn
    xf = np.random.default_rng(2).uniform(0, 1, size=(1, 28, 28, 1)).astype(np.float32)
    np.save(d / "xf.npy", xf)
    r = _run(str(p), "--input", str(d / "xf.npy"), "--output", str(d / "yf.npy"))
    assert r.returncode == 0, r.stderr
    assert np.array_equal(np.load(d / "yf.npy"), edgekd.load(str(p))(xf, output="int8"))


def test_json_output_and_bench(cnn):
    _, p, _ = cnn
    r = _run(str(p), "--json")
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    assert j["path"] and j["arena_bytes"] > 0 and len(j["outputs"][0]["values"]) == 10
    r = _run(str(p), "--bench", "--warmup", "2", "--runs", "20", "--threads", "2", "--json")
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    lat = j["latency_ms"]
    assert j["runs"] == 20 and j["threads"] == 2
    assert 0 < lat["min"] <= lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
    assert lat["std"] >= 0 and j["load_ms"] > 0 and "gemm" in j["kernels"]
    r = _run(str(p), "--bench", "--runs", "5")
    assert r.returncode == 0 and "p99" in r.stdout and "arena" in r.stdout


def test_errors_are_one_line_and_nonzero(cnn, tmp_path):
    _, p, d = cnn
    r = _run(str(tmp_path / "missing.tflite"))
    assert r.returncode == 1 and "cannot open model file" in r.stderr
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"\x10\x00\x00\x00XXXX" + bytes(64))
    r = _run(str(bad))
    assert r.returncode == 1 and "TFL3" in r.stderr and r.stderr.count("\n") == 1
    np.save(tmp_path / "wrong.npy", np.zeros((3, 3), np.int8))
    r = _run(str(p), "--input", str(tmp_path / "wrong.npy"))
    assert r.returncode == 1 and "elements" in r.stderr
    r = _run(str(p), "--runs", "abc")
    assert r.returncode == 2

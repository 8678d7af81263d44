"""The benchmark harness: statistics, per-backend worker processes, reports, and the peers' float twins."""
from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from edgekd.bench.harness import BenchConfig, run_bench
from edgekd.bench.report import write_csv, write_json, write_plot
from edgekd.bench.stats import latency_stats
from edgekd.bench.sysinfo import machine_info, temperature_c
from edgekd.errors import EdgekdError
from edgekd.testing.models import dequantize_output, mobilenet_v3_small, small_cnn
from edgekd.testing.float_exec import run_float
from edgekd.tflite.writer import write_tflite


def test_latency_stats_against_numpy():
    rng = np.random.default_rng(0)
    ns = rng.integers(1_000_000, 3_000_000, size=1001)
    s = latency_stats(ns)
    ms = ns / 1e6
    assert s.runs == 1001
    assert s.p50_ms == pytest.approx(np.median(ms))
    assert s.p99_ms == pytest.approx(np.percentile(ms, 99))
    assert s.min_ms == pytest.approx(ms.min()) and s.std_ms == pytest.approx(ms.std())
    assert s.throughput_ips == pytest.approx(1000 / ms.mean())
    assert s.min_ms <= s.p50_ms <= s.p90_ms <= s.p95_ms <= s.p99_ms
    with pytest.raises(ValueError):
        latency_stats([])


def test_sysinfo_thermal_fixture(tmp_path):
    for i, milli in enumerate(("41000", "55500", "garbage")):
        z = tmp_path / f"sys/class/thermal/thermal_zone{i}"
        z.mkdir(parents=True)
        (z / "temp").write_text(milli + "\n")
    assert temperature_c(tmp_path) == 55.5
    assert temperature_c(tmp_path / "nowhere") is None
    info = machine_info()
    assert info["cores"] >= 1 and info["cpu"]


@pytest.fixture(scope="module")
def cnn_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("bench") / "cnn.tflite"
    p.write_bytes(write_tflite(small_cnn(seed=1)))
    return p


def test_bench_runs_backends_and_skips_missing(cnn_file, tmp_path):
    rep = run_bench(BenchConfig(cnn_file, ["litert-builtin", "onnxruntime", "torch"], threads=1, warmup=2,
                                runs=15, min_seconds=0.0, energy=False))
    by = {r.backend: r for r in rep.results}
    lit = by["litert-builtin"]
    assert lit.latency is not None and lit.latency.runs >= 15
    assert lit.load_ms > 0 and lit.peak_rss_bytes > 10 * 2**20
    # no .onnx beside the model and no torch module given: one-line reasons, not failures
    assert "no .onnx" in by["onnxruntime"].skipped
    assert "torch" in by["torch"].skipped
    assert rep.model_bytes == cnn_file.stat().st_size

    write_json(rep, tmp_path / "r.json")
    d = json.loads((tmp_path / "r.json").read_text())
    assert d["results"][0]["latency"]["p50_ms"] == pytest.approx(lit.latency.p50_ms)
    write_csv(rep, tmp_path / "r.csv")
    rows = list(csv.DictReader(open(tmp_path / "r.csv")))
    assert [r["backend"] for r in rows] == ["litert-builtin", "onnxruntime", "torch"]
    write_plot(rep, tmp_path / "r.png")
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"


def test_bench_errors_are_named(cnn_file, tmp_path):
    with pytest.raises(EdgekdError, match="nothere.tflite"):
        run_bench(BenchConfig(tmp_path / "nothere.tflite"))
    with pytest.raises(EdgekdError, match="unknown backend"):
        run_bench(BenchConfig(cnn_file, ["tensorrt"]))
    r = subprocess.run([sys.executable, "-m", "edgekd.cli", "bench", str(tmp_path / "x.tflite")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "x.tflite" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("make", [small_cnn, lambda: mobilenet_v3_small(0.75, 96, num_classes=10)])
def test_float_twins_agree_with_the_int8_network(make):
    torch = pytest.importorskip("torch")
    ort = pytest.importorskip("onnxruntime")
    from edgekd.bench.peers import to_onnx_float, to_torch

    g = make()
    t = g.tensors[g.inputs[0]]
    x = np.random.default_rng(0).uniform(0, 1, t.shape).astype(np.float32)
    with torch.no_grad():
        y_torch = to_torch(g)(torch.from_numpy(x)).numpy()
    y_onnx = ort.InferenceSession(to_onnx_float(g).SerializeToString()).run(None, {"input": x})[0]
    np.testing.assert_allclose(y_onnx, y_torch, atol=1e-4)
    s, zp = float(t.quant.scale[0]), int(t.quant.zero_point[0])
    xq = np.clip(np.round(x / s) + zp, -128, 127).astype(np.int8)
    y_int8 = dequantize_output(g, run_float(g, [xq])[0])
    # The int8 network differs from its float twin only by quantization noise.
    assert np.abs(y_int8 - y_torch).max() < 0.05 * max(1.0, np.abs(y_torch).max())

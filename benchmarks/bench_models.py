"""Whole-model latency (pytest-benchmark): edgekd on every available SIMD path next to LiteRT with its
default XNNPACK delegate, batch 1, 1 and 2 threads, same int8 .tflite.

    pytest benchmarks/bench_models.py --benchmark-only --benchmark-columns=median,iqr,rounds

The networks: edgekd's three small MobileNet-style test graphs and the committed zoo (tests/data/zoo, TF's
converter), plus the big zoo models where benchmarks/zoo/make_zoo.py has built them
(EDGEKD_BENCH_NETWORKS overrides the selection, e.g. "zoo" or "all"; see benchmarks/zoo/networks.py).
benchmarks/compare.py prints the README's table (adds ONNX Runtime and PyTorch, each in its own process);
benchmarks/paired.py gives the edgekd / LiteRT ratio we quote.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

import edgekd

sys.path.insert(0, str(Path(__file__).resolve().parent / "zoo"))
from networks import select  # noqa: E402

_DEFAULT = "small CNN 28x28x1,MobileNetV2 0.35 96x96,MobileNetV3-Small 0.75 96x96,zoo"
NETWORKS = {n.name: n for n in select(os.environ.get("EDGEKD_BENCH_NETWORKS", _DEFAULT), warn=False)}
_BLOBS: dict[str, bytes] = {}


def _blob(name: str) -> bytes:
    if name not in _BLOBS:
        _BLOBS[name] = NETWORKS[name].tflite()
    return _BLOBS[name]


def _paths() -> list[str]:
    info = edgekd.cpu_info()
    return [p for p in ("avx512vnni", "avx2", "neondot", "neon")
            if p in info["compiled_paths"] and p in info["supported_paths"]]


def _input(shape, dtype) -> np.ndarray:
    rng = np.random.default_rng(0)
    if np.dtype(dtype) == np.int8:
        return rng.integers(-128, 128, size=shape, dtype=np.int8)
    return rng.random(shape, dtype=np.float32)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("path", _paths())
@pytest.mark.parametrize("net", list(NETWORKS))
def test_edgekd(benchmark, net, path, threads, monkeypatch):
    monkeypatch.setenv("EDGEKD_ISA", path)  # selection happens at load
    m = edgekd.load(_blob(net), num_threads=threads)
    d = m.get_input_details()[0]
    x = _input(d["shape"], d["dtype"])
    benchmark.extra_info.update({"network": net, "path": m.info()["path"], "arena_bytes": m.info()["arena_bytes"]})
    benchmark(m, x)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("net", list(NETWORKS))
def test_litert_xnnpack(benchmark, net, threads):
    interp_mod = pytest.importorskip("ai_edge_litert.interpreter")
    it = interp_mod.Interpreter(model_content=_blob(net), num_threads=threads)
    it.allocate_tensors()
    d = it.get_input_details()[0]
    o = it.get_output_details()[0]
    x = _input(d["shape"], d["dtype"])

    def run():
        it.set_tensor(d["index"], x)
        it.invoke()
        return it.get_tensor(o["index"])

    benchmark.extra_info["network"] = net
    benchmark(run)

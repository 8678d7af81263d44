"""Models loaded on different SIMD paths in one process: each op runs, and reports, the kernel of its own
model's path (the kernel tables), whatever was loaded before it; every path gives the same bytes."""
from __future__ import annotations

import statistics

import numpy as np
import pytest

import edgekd
from edgekd import _core
from edgekd.testing import litert, models
from edgekd.tflite.writer import write_tflite

from runtime_helpers import available_paths, first_difference, isa

X86_PATHS = ["ref", "avx2", "avx512vnni"]

# What each op runs on each x86 path (the AVX-512 path has no ADD / MUL / MEAN twins of its own).
EXPECTED = {
    "ref": {"ADD": "add_s8_ref", "MUL": "mul_s8_ref", "MEAN": "mean_hw_s8_ref", "CONV_2D": "gemm_s8_1x1_ref",
            "MAX_POOL_2D": "max_pool_s8_ref", "SOFTMAX": "softmax_s8_ref", "LOGISTIC": "logistic_lut_s8_ref"},
    "avx2": {"ADD": "add_s8_avx2", "MUL": "mul_s8_avx2", "MEAN": "mean_hw_s8_avx2",
             "CONV_2D": "gemm_s8_4x16c2_avx2"},
    "avx512vnni": {"ADD": "add_s8_avx512vnni", "MUL": "mul_s8_avx512vnni", "MEAN": "mean_hw_s8_avx2",
                   "CONV_2D": "gemm_s8_8x32c4_avx512vnni"},
}


def _paths() -> list[str | None]:
    """The x86 paths this build and CPU run, then None (auto: EDGEKD_ISA unset)."""
    have = available_paths()
    return [p for p in X86_PATHS if p in have] + [None]


def _auto_path() -> str:
    with isa(None):
        return _core.cpu_info()["path"]


def _graphs() -> dict[str, object]:
    return {
        # The ADD that ran scalar on the auto path after a ref model: 64x64x32 + the same shape.
        "ADD": models.one_op_model("ADD", shape=(1, 64, 64, 32)),
        "MUL": models.one_op_model("MUL", shape=(1, 16, 16, 24)),
        "MEAN": models.one_op_model("MEAN", shape=(1, 7, 7, 40), keep_dims=True),
        "CONV_2D": models.one_op_model("CONV_2D", shape=(1, 12, 12, 8), out_ch=24),
        "DEPTHWISE_CONV_2D": models.one_op_model("DEPTHWISE_CONV_2D", shape=(1, 12, 12, 32)),
        "MAX_POOL_2D": models.one_op_model("MAX_POOL_2D", shape=(1, 8, 8, 24)),
        "SOFTMAX": models.one_op_model("SOFTMAX", shape=(1, 10)),
        "LOGISTIC": models.one_op_model("LOGISTIC"),
        "CNN": models.small_cnn(seed=1),
    }


@pytest.fixture(scope="module")
def cases():
    graphs = _graphs()
    return {name: (write_tflite(g), litert.random_inputs(g, seed=5)) for name, g in graphs.items()}


def _op_kernels(m: edgekd.Model) -> list[str]:
    return [e["kernel"] for e in m.profile(runs=1)]


def _table(path: str | None) -> dict[str, str]:
    """cpu_info's families for a path: what its kernel table holds."""
    with isa(path):
        return {f: d["kernel"] for f, d in _core.cpu_info()["kernels"].items()}


@pytest.mark.parametrize("order", ["forward", "reverse"])
def test_each_model_runs_its_own_paths_kernels(cases, order):
    paths = _paths()
    if order == "reverse":
        paths = paths[::-1]
    loaded = []  # every model stays alive: models on all paths share the process
    for path in paths:
        for name, (model, inputs) in cases.items():
            with isa(path):
                m = edgekd.load(model)
            loaded.append((path, name, m, inputs))
    auto = _auto_path()
    outputs: dict[str, list] = {}
    for path, name, m, inputs in loaded:
        real = path or auto
        assert m.path == real
        kernels = _op_kernels(m)
        families = m.info()["kernels"]
        table = _table(path)
        want = EXPECTED.get(real, {}).get(name)
        if want is not None:
            assert kernels == [want], f"{name} on {path or 'auto'} ({real}): {kernels}"
        if name == "ADD":
            assert families["eltwise"] == [table["add"]]
        if name == "MEAN":
            assert families["reduce"] == [table["mean_hw"]]
        if name == "DEPTHWISE_CONV_2D":
            assert kernels[0].endswith("_" + table["depthwise_conv2d"].rsplit("_", 1)[1]), kernels
        if real == "ref":
            assert all(k.endswith("_ref") or k == "copy" for k in kernels), f"{name} on ref: {kernels}"
        out = m.run_raw(inputs)
        if name not in outputs:
            outputs[name] = out
            continue
        for got, first in zip(out, outputs[name]):
            assert np.array_equal(got, first), f"{name} on {path or 'auto'}: {first_difference(got, first)}"


def test_auto_add_after_ref_model_runs_simd(cases):
    auto = _auto_path()
    if auto == "ref":
        pytest.skip("no SIMD path on this CPU")
    model, inputs = cases["ADD"]
    with isa("ref"):
        ref = edgekd.load(model)
    with isa(None):
        fast = edgekd.load(model)
    assert ref.path == "ref" and fast.path == auto
    want = _table(None)["add"]
    assert want != "add_s8_ref"
    assert _op_kernels(ref) == ["add_s8_ref"]
    assert _op_kernels(fast) == [want]
    assert np.array_equal(ref.run_raw(inputs)[0], fast.run_raw(inputs)[0])
    # And it runs the twin: the table-free reference costs several times the SIMD kernel (about 5x on
    # AVX2); medians of interleaved rounds, so both see the same machine load.
    t_ref, t_fast = [], []
    for _ in range(7):
        t_ref.append(ref.profile(runs=5)[0]["ms"])
        t_fast.append(fast.profile(runs=5)[0]["ms"])
    assert statistics.median(t_fast) * 1.5 < statistics.median(t_ref), (t_fast, t_ref)


def test_cpu_info_reports_every_family_from_the_table():
    for path in _paths():
        table = _table(path)
        real = path or _auto_path()
        for fam in ("gemm", "depthwise_conv2d", "add", "mul", "mean_hw", "mean", "max_pool", "avg_pool",
                    "activation_lut", "softmax", "quantize", "dequantize", "pad", "concat"):
            assert fam in table, (path, fam)
        want = EXPECTED.get(real, {})
        assert table["add"] == want.get("ADD", table["add"])
        assert table["mean_hw"] == want.get("MEAN", table["mean_hw"])
        assert table["gemm"] == want.get("CONV_2D", table["gemm"])

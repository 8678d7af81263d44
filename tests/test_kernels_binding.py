"""The GEMM / fully-connected binding: every available SIMD path equals the reference path bit for bit,
numpy in and out, errors as ValueError naming the argument."""
from __future__ import annotations

import numpy as np
import pytest

import edgekd
from edgekd import _core

ALL_PATHS = ("ref", "avx2", "avx512vnni", "neon", "neondot")


def _available() -> list[str]:
    info = edgekd.cpu_info()
    return [p for p in ALL_PATHS if p in info["compiled_paths"] and p in info["supported_paths"]]


def _simd_paths() -> list[str]:
    return [p for p in _available() if p != "ref"]


def _problem(rng, m, n, k, *, in_zp=-3, out_zp=5, bias=True):
    a = rng.integers(-128, 128, size=(m, k), dtype=np.int8)
    w = rng.integers(-127, 128, size=(n, k), dtype=np.int8)
    b = rng.integers(-30000, 30000, size=n, dtype=np.int32) if bias else None
    # Multipliers in [2^30, 2^31) with shifts both sides of zero, as QuantizeMultiplier makes them.
    mult = rng.integers(1 << 30, (1 << 31) - 1, size=n, dtype=np.int64).astype(np.int32)
    shift = rng.integers(-14, 2, size=n, dtype=np.int32)
    return dict(a=a, weights=w, bias=b, input_zero_point=in_zp, multiplier=mult, shift=shift,
                output_zero_point=out_zp)


SHAPES = [(1, 1, 1), (1, 1000, 1280), (5, 17, 3), (7, 33, 31), (13, 16, 64), (64, 70, 257), (3136, 16, 27)]


@pytest.mark.parametrize("isa", _simd_paths())
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_simd_path_equals_reference(isa, shape):
    rng = np.random.default_rng(sum(shape))
    for in_zp, out_zp, bias in ((-128, 127, True), (127, -128, False), (0, 0, True)):
        p = _problem(rng, *shape, in_zp=in_zp, out_zp=out_zp, bias=bias)
        want = _core.gemm(**p, isa="ref")
        got = _core.gemm(**p, isa=isa)
        assert got.dtype == np.int8 and got.shape == (shape[0], shape[1])
        diff = np.argwhere(got != want)
        assert diff.size == 0, f"{isa} {shape}: first difference at {tuple(diff[0])}"


def test_reference_against_exact_integer_product():
    # multiplier 2^30 with shift 1 is exactly x1.0, so the result is the clamped integer product itself.
    rng = np.random.default_rng(7)
    m, n, k = 9, 23, 40
    a = rng.integers(-128, 128, size=(m, k), dtype=np.int8)
    w = rng.integers(-3, 4, size=(n, k), dtype=np.int8)
    b = rng.integers(-50, 50, size=n, dtype=np.int32)
    exact = (a.astype(np.int64) - 4) @ w.T.astype(np.int64) + b + 2
    want = np.clip(exact, -100, 120).astype(np.int8)
    for isa in _available():
        got = _core.gemm(a, w, b, 4, np.full(n, 1 << 30, np.int32), np.ones(n, np.int32),
                         output_zero_point=2, act_min=-100, act_max=120, isa=isa)
        np.testing.assert_array_equal(got, want, err_msg=isa)


@pytest.mark.parametrize("isa", _available())
def test_threads_strided_input_and_out_buffer(isa):
    rng = np.random.default_rng(3)
    p = _problem(rng, 50, 45, 77)
    want = _core.gemm(**p, isa="ref")
    plan = _core.PackedGemm(isa, p["weights"], p["bias"], p["input_zero_point"], p["multiplier"], p["shift"],
                            p["output_zero_point"], threads=3)
    assert plan.isa == isa and plan.kernel.startswith("gemm_s8_") and isa in plan.kernel
    assert (plan.n, plan.k) == (45, 77)
    np.testing.assert_array_equal(plan.run(p["a"]), want)
    wide = np.zeros((50, 100), np.int8)
    wide[:, :77] = p["a"]
    np.testing.assert_array_equal(plan.run(wide[:, :77]), want)  # rows strided by 100
    out = np.full((50, 45), 99, np.int8)
    res = plan.run(p["a"], out)
    np.testing.assert_array_equal(out, want)
    assert res is out or np.shares_memory(res, out)
    # A single-row FC at batch 1 splits output channels across threads: same bytes.
    np.testing.assert_array_equal(plan.run(p["a"][:1]), want[:1])


def test_errors_name_the_argument():
    rng = np.random.default_rng(0)
    p = _problem(rng, 4, 8, 16)
    with pytest.raises(ValueError, match="weights"):
        _core.gemm(**{**p, "weights": p["weights"].astype(np.int16)})
    with pytest.raises(ValueError, match="multiplier"):
        _core.gemm(**{**p, "multiplier": p["multiplier"][:3]})
    with pytest.raises(ValueError, match="bias"):
        _core.gemm(**{**p, "bias": p["bias"].astype(np.int64)})
    with pytest.raises(ValueError, match=r"\[M, 16\]"):
        _core.gemm(**{**p, "a": p["a"][:, :15]})
    with pytest.raises(ValueError, match="shift"):
        _core.gemm(**{**p, "shift": np.full(8, 45, np.int32)})
    with pytest.raises(ValueError, match="zero point"):
        _core.gemm(**{**p, "input_zero_point": 300})
    with pytest.raises(ValueError, match="sse9"):
        _core.gemm(**p, isa="sse9")


def test_unavailable_path_is_a_clear_error():
    missing = [p for p in ALL_PATHS if p not in _available()]
    if not missing:
        pytest.skip("every path runs here")
    with pytest.raises(ValueError, match=missing[0]):
        _core.gemm(**_problem(np.random.default_rng(0), 2, 2, 2), isa=missing[0])

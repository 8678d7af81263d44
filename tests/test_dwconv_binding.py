"""Depthwise conv kernels through the binding: every runnable SIMD path equals the reference bit for bit,
thread counts agree, and bad input raises a ValueError that names the problem."""
from __future__ import annotations

import numpy as np
import pytest

import edgekd
from edgekd import _core

SIMD_PATHS = ["avx2", "avx512vnni", "neon", "neondot"]


def _runnable_simd_paths() -> list[str]:
    info = edgekd.cpu_info()
    return [p for p in SIMD_PATHS if p in info["compiled_paths"] and p in info["supported_paths"]]


def _make(isa, rng, shape, k, stride, *, dm=1, dilation=1, padding="same", in_zp=0, out_zp=0,
          act=(-128, 127), bias=True):
    n, h, w, c = shape
    oc = c * dm
    kh, kw = (k, k) if isinstance(k, int) else k
    weights = rng.integers(-127, 128, size=(kh, kw, oc), dtype=np.int8)
    b = rng.integers(-20000, 20000, size=oc, dtype=np.int32) if bias else None
    # Q31 multipliers in [2^30, 2^31) with right shifts: outputs land around the int8 range.
    multiplier = rng.integers(1 << 30, (1 << 31) - 1, size=oc, dtype=np.int64).astype(np.int32)
    shift = rng.integers(-11, -5, size=oc, dtype=np.int32)
    conv = _core.DepthwiseConv(isa, weights, b, shape, depth_multiplier=dm, stride=(stride, stride),
                               dilation=(dilation, dilation), padding=padding, input_zero_point=in_zp,
                               multiplier=multiplier, shift=shift, output_zero_point=out_zp,
                               act_min=act[0], act_max=act[1])
    return conv, (weights, b, multiplier, shift)


CASES = [
    # (input shape, kernel, stride, extra keyword arguments, expected variant stem)
    ((1, 9, 7, 16), 3, 1, {}, "3x3s1"),
    ((1, 9, 7, 17), 3, 2, {"in_zp": -128, "out_zp": 5}, "3x3s2"),
    ((2, 8, 11, 33), 5, 1, {"in_zp": 127, "padding": "valid"}, "5x5s1"),
    ((1, 13, 9, 24), 5, 2, {"act": (-20, 30)}, "5x5s2"),
    ((1, 12, 10, 7), 3, 1, {"dilation": 2}, "generic"),
    ((1, 9, 9, 8), 7, 3, {"bias": False}, "generic"),
    ((1, 7, 8, 5), 3, 1, {"dm": 3, "in_zp": -3}, "multiplier"),
    ((1, 12, 9, 1), (10, 8), 2, {"dm": 8, "act": (-128, 60)}, "multiplier"),  # speech front end: 1 channel, 10x8
]


@pytest.mark.parametrize("isa", _runnable_simd_paths() or [pytest.param("none", marks=pytest.mark.skip(
    reason="no SIMD path runnable here"))])
@pytest.mark.parametrize("shape,k,stride,kw,stem", CASES)
def test_simd_path_equals_reference(isa, shape, k, stride, kw, stem):
    rng = np.random.default_rng(hash((shape, k, stride)) % 2**32)
    conv, params = _make(isa, rng, shape, k, stride, **kw)
    ref, _ = _make("ref", np.random.default_rng(hash((shape, k, stride)) % 2**32), shape, k, stride, **kw)
    x = rng.integers(-128, 128, size=shape, dtype=np.int8)
    want = ref.run(x)
    got = conv.run(x)
    assert got.shape == tuple(conv.output_shape) and got.dtype == np.int8
    diff = np.argwhere(got != want)
    assert diff.size == 0, f"{isa} {conv.variant} differs from ref at {diff[0].tolist()}: " \
                           f"{got[tuple(diff[0])]} vs {want[tuple(diff[0])]}"
    # Depth multipliers > 1 have their own kernel on the x86 paths; the ARM paths run the reference loops.
    arm = isa.startswith("neon")
    expected_variant = "dwconv_generic_ref" if arm and kw.get("dm", 1) > 1 else f"dwconv_{stem}_{isa}"
    assert conv.variant == expected_variant
    assert ref.variant == "dwconv_generic_ref"


@pytest.mark.parametrize("isa", ["ref"] + _runnable_simd_paths())
def test_thread_counts_agree(isa):
    rng = np.random.default_rng(7)
    conv, _ = _make(isa, rng, (2, 15, 13, 40), 3, 1, in_zp=-5, out_zp=3)
    x = rng.integers(-128, 128, size=(2, 15, 13, 40), dtype=np.int8)
    one = conv.run(x)
    for threads in (2, 3):
        np.testing.assert_array_equal(conv.run(x, threads=threads), one)


def test_same_padding_output_shape_and_offsets():
    rng = np.random.default_rng(1)
    conv, _ = _make("ref", rng, (1, 56, 56, 8), 3, 2)
    assert tuple(conv.output_shape) == (1, 28, 28, 8)
    assert tuple(conv.padding_before) == (0, 0)  # TFLite puts the odd padding row/column at the end
    assert conv.macs == 28 * 28 * 8 * 9


def test_bad_input_raises_value_error():
    rng = np.random.default_rng(2)
    conv, (w, b, m, s) = _make("ref", rng, (1, 5, 5, 8), 3, 1)
    with pytest.raises(ValueError, match="input has shape"):
        conv.run(np.zeros((1, 5, 5, 9), np.int8))
    with pytest.raises(ValueError, match="input must have dtype int8"):
        conv.run(np.zeros((1, 5, 5, 8), np.float32))
    with pytest.raises(ValueError, match="sse9|unknown|SIMD"):
        _core.DepthwiseConv("sse9", w, b, (1, 5, 5, 8), multiplier=m, shift=s)
    with pytest.raises(ValueError, match="weights"):
        _core.DepthwiseConv("ref", w[:, :, :4], b, (1, 5, 5, 8), multiplier=m, shift=s)
    with pytest.raises(ValueError, match=r"shift\[0\]"):
        _core.DepthwiseConv("ref", w, b, (1, 5, 5, 8), multiplier=m, shift=np.full(8, 40, np.int32))
    with pytest.raises(ValueError, match="padding"):
        _core.DepthwiseConv("ref", w, b, (1, 5, 5, 8), multiplier=m, shift=s, padding="full")
    with pytest.raises(ValueError, match="input_zero_point"):
        _core.DepthwiseConv("ref", w, b, (1, 5, 5, 8), multiplier=m, shift=s, input_zero_point=200)
    other = [p for p in SIMD_PATHS if p not in _runnable_simd_paths()]
    for isa in other:
        with pytest.raises(ValueError, match=isa):
            _core.DepthwiseConv(isa, w, b, (1, 5, 5, 8), multiplier=m, shift=s)

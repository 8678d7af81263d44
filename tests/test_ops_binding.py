"""edgekd's non-GEMM int8 ops (edgekd._core.ops) against LiteRT's BUILTIN kernels, bit for bit.

Each case builds a one-op int8 .tflite in the test (tests/litert_oneop.py, flatbuffers' low-level Builder),
runs it on ai-edge-litert's builtin kernels (no XNNPACK delegate) and asserts the edgekd output is identical,
over seeded random shapes and quantization parameters. No tolerance anywhere: SOFTMAX, LOGISTIC and TANH
use float math (expf / tanhf) in LiteRT too, and edgekd reproduces the same float operations in the same
order, so they are compared exactly as well.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

pytest.importorskip("ai_edge_litert")
pytest.importorskip("flatbuffers")

from edgekd import _core  # noqa: E402

import litert_oneop as lo  # noqa: E402

ops = _core.ops
TRIALS = int(os.environ.get("EDGEKD_OPS_TRIALS", "24"))  # raise for a longer sweep


def f32(x: float) -> float:
    """The value a .tflite stores (float32)."""
    return float(np.float32(x))


def rand_scale(rng, lo_=1e-3, hi=0.5) -> float:
    return f32(np.exp(rng.uniform(np.log(lo_), np.log(hi))))


def rand_zp(rng) -> int:
    # Extremes on purpose: zero points at the int8 bounds are legal and common after ReLU.
    return int(rng.choice([-128, 127, 0, int(rng.integers(-128, 128)), int(rng.integers(-128, 128))]))


def rand_s8(rng, shape) -> np.ndarray:
    return rng.integers(-128, 128, size=shape, dtype=np.int8)


def assert_same(ours: np.ndarray, ref: np.ndarray, what: str) -> None:
    assert ours.shape == ref.shape, f"{what}: shape {ours.shape} != LiteRT {ref.shape}"
    assert ours.dtype == ref.dtype, f"{what}: dtype {ours.dtype} != LiteRT {ref.dtype}"
    if ours.dtype == np.float32:
        same = ours.view(np.uint32) == ref.view(np.uint32)
    else:
        same = ours == ref
    if not same.all():
        idx = tuple(int(i) for i in np.argwhere(~same)[0])
        pytest.fail(f"{what}: {int((~same).sum())} of {ours.size} elements differ; first at {idx}: "
                    f"edgekd {ours[idx]} vs LiteRT {ref[idx]}")


# ------------------------------------------------------------------------------------------------
# ADD / MUL


def _broadcast_shapes(rng, trial):
    n, h, w, c = (int(rng.integers(1, 3)), int(rng.integers(1, 6)), int(rng.integers(1, 6)),
                  int(rng.integers(1, 40)))
    kind = trial % 5
    if kind == 0:
        return (n, h, w, c), (n, h, w, c)
    if kind == 1:  # squeeze-excite: per-channel gate
        return (n, h, w, c), (n, 1, 1, c)
    if kind == 2:
        return (n, 1, 1, c), (n, h, w, c)
    if kind == 3:  # scalar
        return ((n, h, w, c), (1,)) if trial % 2 else ((), (n, h, w, c))
    # random NHWC broadcast of either side
    a = [n, h, w, c]
    b = [d if rng.random() < 0.5 else 1 for d in a]
    a = [d if rng.random() < 0.7 else 1 for d in a]
    return tuple(a), tuple(b)


@pytest.mark.parametrize("opname", ["add", "mul"])
def test_add_mul_match_litert(opname):
    rng = np.random.default_rng(1234 if opname == "add" else 4321)
    code, opt_type = (lo.ADD, lo.OPT_ADD) if opname == "add" else (lo.MUL, lo.OPT_MUL)
    for trial in range(TRIALS * 2):
        sa, sb = _broadcast_shapes(rng, trial)
        s1, s2, so = rand_scale(rng), rand_scale(rng), rand_scale(rng)
        z1, z2, zo = rand_zp(rng), rand_zp(rng), rand_zp(rng)
        act = int(rng.integers(0, 4))
        a, b = rand_s8(rng, sa), rand_s8(rng, sb)
        out_shape = np.broadcast_shapes(sa, sb)
        tensors = [lo.T(sa, lo.INT8, s1, z1), lo.T(sb, lo.INT8, s2, z2), lo.T(out_shape, lo.INT8, so, zo)]
        ref = lo.run_one(tensors, lo.Op(code, [0, 1], [2], opt_type, {0: ("i8", act)}), [a, b])
        ours = getattr(ops, opname)(a, b, s1, z1, s2, z2, so, zo, act)
        assert_same(ours, ref, f"{opname} trial {trial} shapes {sa} {sb} act {act}")


def test_add_equal_scales_ties():
    # Equal scales and a 1:1 output make many exact halves: the rounding direction of every stage shows.
    rng = np.random.default_rng(7)
    a = np.arange(-128, 128, dtype=np.int8).reshape(1, 16, 16, 1)
    b = rand_s8(rng, a.shape)
    for so in (0.5, 0.25, 1.0, 2.0):
        tensors = [lo.T(a.shape, lo.INT8, 0.5, 3), lo.T(a.shape, lo.INT8, 0.5, -7), lo.T(a.shape, lo.INT8, so, -1)]
        ref = lo.run_one(tensors, lo.Op(lo.ADD, [0, 1], [2], lo.OPT_ADD, {}), [a, b])
        assert_same(ops.add(a, b, 0.5, 3, 0.5, -7, so, -1, 0), ref, f"add ties so={so}")


# ------------------------------------------------------------------------------------------------
# Pooling


@pytest.mark.parametrize("opname", ["max_pool", "avg_pool"])
def test_pool_matches_litert(opname):
    rng = np.random.default_rng(99 if opname == "max_pool" else 98)
    code = lo.MAX_POOL_2D if opname == "max_pool" else lo.AVERAGE_POOL_2D
    for trial in range(TRIALS * 2):
        n, h, w, c = int(rng.integers(1, 3)), int(rng.integers(1, 12)), int(rng.integers(1, 12)), int(rng.integers(1, 300))
        if trial % 3 == 1:  # fewer channels than one vector (max pool's per-channel-count kernels)
            c = int(rng.integers(1, 16))
        fh, fw = int(rng.integers(1, min(h, 4) + 1)), int(rng.integers(1, min(w, 4) + 1))
        sh, sw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        if trial % 7 == 0:  # global pooling
            fh, fw, sh, sw = h, w, 1, 1
        padding = int(rng.integers(0, 2))
        scale, zp = rand_scale(rng), rand_zp(rng)
        act = int(rng.integers(0, 4))
        x = rand_s8(rng, (n, h, w, c))
        if trial % 5 == 0:  # mostly negative values: negative sums and their rounding
            x = np.minimum(x, np.int8(5))
        oh = (h + sh - 1) // sh if padding == 0 else (h - fh + sh) // sh
        ow = (w + sw - 1) // sw if padding == 0 else (w - fw + sw) // sw
        tensors = [lo.T((n, h, w, c), lo.INT8, scale, zp), lo.T((n, oh, ow, c), lo.INT8, scale, zp)]
        options = {0: ("i8", padding), 1: ("i32", sw), 2: ("i32", sh), 3: ("i32", fw), 4: ("i32", fh),
                   5: ("i8", act)}
        ref = lo.run_one(tensors, lo.Op(code, [0], [1], lo.OPT_POOL2D, options), [x])
        ours = getattr(ops, opname)(x, fh, fw, sh, sw, padding, scale, zp, act)
        assert_same(ours, ref, f"{opname} trial {trial} in {(n, h, w, c)} f {fh}x{fw} s {sh}x{sw} pad {padding}")


# ------------------------------------------------------------------------------------------------
# MEAN


MEAN_CASES = [  # (input rank-4 or not, axes, keep_dims)
    ((1, 7, 7, 64), [1, 2], True),     # optimized_integer_ops::Mean path
    ((2, 5, 3, 17), [2, 1], True),
    ((1, 7, 7, 64), [1, 2], False),    # Keras GlobalAveragePooling2D: reference QuantizedMeanOrSum
    ((2, 4, 6, 33), [-3, -2], False),
    ((2, 4, 6, 9), [3], True),
    ((2, 4, 6, 9), [1], False),
    ((3, 8, 5), [1], True),
    ((3, 8, 5), [0, 2], False),
    ((2, 3, 4, 5), [0, 1, 2, 3], False),
    ((4, 100), [1], False),
]


@pytest.mark.parametrize("shape,axes,keep_dims", MEAN_CASES)
def test_mean_matches_litert(shape, axes, keep_dims):
    rng = np.random.default_rng(abs(hash((shape, tuple(axes), keep_dims))) % (2**32))
    rank = len(shape)
    red = {a % rank for a in axes}
    out_shape = tuple((1 if i in red else d) for i, d in enumerate(shape) if keep_dims or i not in red)
    for trial in range(TRIALS):
        si, zi = rand_scale(rng), rand_zp(rng)
        so, zo = (si, zi) if trial % 4 == 0 else (rand_scale(rng), rand_zp(rng))
        x = rand_s8(rng, shape)
        axis = np.array(axes, np.int32)
        tensors = [lo.T(shape, lo.INT8, si, zi), lo.T((len(axes),), lo.INT32, data=axis),
                   lo.T(out_shape, lo.INT8, so, zo)]
        ref = lo.run_one(tensors, lo.Op(lo.MEAN, [0, 1], [2], lo.OPT_REDUCER, {0: ("bool", keep_dims)}), [x])
        ours = ops.mean(x, axes, keep_dims, si, zi, so, zo)
        assert_same(ours, ref, f"mean trial {trial} {shape} axes {axes} keep {keep_dims} s {si},{zi}->{so},{zo}")


# ------------------------------------------------------------------------------------------------
# PAD / CONCATENATION


def test_pad_matches_litert():
    rng = np.random.default_rng(5)
    for trial in range(TRIALS):
        rank = int(rng.integers(1, 5))
        shape = tuple(int(rng.integers(1, 6)) for _ in range(rank))
        pads = [(int(rng.integers(0, 3)), int(rng.integers(0, 3))) for _ in range(rank)]
        scale, zp = rand_scale(rng), rand_zp(rng)
        x = rand_s8(rng, shape)
        out_shape = tuple(d + p0 + p1 for d, (p0, p1) in zip(shape, pads))
        paddings = np.array(pads, np.int32).reshape(rank, 2)
        v2 = trial % 3 == 2
        tensors = [lo.T(shape, lo.INT8, scale, zp), lo.T((rank, 2), lo.INT32, data=paddings),
                   lo.T(out_shape, lo.INT8, scale, zp)]
        inputs = [0, 1]
        const = None
        if v2:
            const = int(rng.integers(-128, 128))
            tensors.insert(2, lo.T((), lo.INT8, scale, zp, data=np.array(const, np.int8)))
            inputs = [0, 1, 2]
        out_index = len(tensors) - 1
        ref = lo.run_one(tensors, lo.Op(lo.PADV2 if v2 else lo.PAD, inputs, [out_index]), [x])
        ours = ops.pad(x, pads, zp, const)
        assert_same(ours, ref, f"pad trial {trial} {shape} {pads} v2={v2}")


def test_concat_matches_litert():
    rng = np.random.default_rng(6)
    for trial in range(TRIALS):
        rank = int(rng.integers(1, 5))
        base = [int(rng.integers(1, 6)) for _ in range(rank)]
        axis = int(rng.integers(-rank, rank))
        k = int(rng.integers(1, 5))
        xs = []
        for _ in range(k):
            s = list(base)
            s[axis] = int(rng.integers(1, 5))
            xs.append(rand_s8(rng, tuple(s)))
        scale, zp = rand_scale(rng), rand_zp(rng)  # LiteRT requires every int8 input to share them
        out_shape = list(base)
        out_shape[axis] = sum(x.shape[axis] for x in xs)
        tensors = [lo.T(x.shape, lo.INT8, scale, zp) for x in xs] + [lo.T(tuple(out_shape), lo.INT8, scale, zp)]
        ref = lo.run_one(tensors, lo.Op(lo.CONCATENATION, list(range(k)), [k], lo.OPT_CONCAT,
                                        {0: ("i32", axis), 1: ("i8", 0)}), xs)
        ours = ops.concat(xs, axis, [scale] * k, [zp] * k, scale, zp)
        assert_same(ours, ref, f"concat trial {trial} axis {axis} shapes {[x.shape for x in xs]}")


# ------------------------------------------------------------------------------------------------
# QUANTIZE / DEQUANTIZE


def test_quantize_float_matches_litert():
    rng = np.random.default_rng(11)
    for trial in range(TRIALS):
        scale, zp = rand_scale(rng), rand_zp(rng)
        if trial % 3 == 0:
            scale = f32(2.0 ** int(rng.integers(-8, 0)))  # exact halves: ties round away from zero
        n = int(rng.integers(1, 200))
        q = rng.integers(-300, 300, size=n)
        x = ((q + rng.choice([0.0, 0.5, -0.5, 0.49999997, rng.uniform(-1, 1)], size=n)) * scale).astype(np.float32)
        if trial == 1:
            x[: min(4, n)] = np.array([1e30, -1e30, 3e9 * scale, -3e9 * scale], np.float32)[: min(4, n)]
        tensors = [lo.T((n,), lo.FLOAT32), lo.T((n,), lo.INT8, scale, zp)]
        ref = lo.run_one(tensors, lo.Op(lo.QUANTIZE, [0], [1]), [x])
        assert_same(ops.quantize(x, scale, zp), ref, f"quantize trial {trial} scale {scale} zp {zp}")


def test_requantize_and_dequantize_match_litert():
    # Lengths that are and are not multiples of LiteRT's NEON blocks (8 for DEQUANTIZE, 16 for requantize):
    # the block and the scalar tail round differently.
    rng = np.random.default_rng(12)
    every = np.arange(-128, 128, dtype=np.int8)
    for trial in range(TRIALS):
        x = every if trial % 2 == 0 else rng.permutation(every)[: int(rng.integers(1, 256))]
        si, zi, so, zo = rand_scale(rng), rand_zp(rng), rand_scale(rng), rand_zp(rng)
        if trial % 3 == 0:
            so = f32(si * 2.0 ** int(rng.integers(1, 4)))  # exact halves: negative ties show the rounding
        tensors = [lo.T(x.shape, lo.INT8, si, zi), lo.T(x.shape, lo.INT8, so, zo)]
        ref = lo.run_one(tensors, lo.Op(lo.QUANTIZE, [0], [1]), [x])
        assert_same(ops.requantize(x, si, zi, so, zo), ref, f"requantize trial {trial} n={x.size}")
        tensors = [lo.T(x.shape, lo.INT8, si, zi), lo.T(x.shape, lo.FLOAT32)]
        ref = lo.run_one(tensors, lo.Op(lo.DEQUANTIZE, [0], [1]), [x])
        assert_same(ops.dequantize(x, si, zi), ref, f"dequantize trial {trial} n={x.size}")


# ------------------------------------------------------------------------------------------------
# Elementwise activations: every one of the 256 int8 inputs per trial.

ALL_S8 = np.arange(-128, 128, dtype=np.int8).reshape(1, 4, 4, 16)


@pytest.mark.parametrize("kind,code", [(0, lo.RELU), (1, lo.RELU6), (2, lo.RELU_N1_TO_1)])
def test_relu_family_matches_litert(kind, code):
    rng = np.random.default_rng(20 + kind)
    for trial in range(TRIALS):
        si, zi = rand_scale(rng, 1e-3, 0.2), rand_zp(rng)
        so, zo = (si, zi) if trial % 4 == 0 else (rand_scale(rng, 1e-3, 0.2), rand_zp(rng))
        tensors = [lo.T(ALL_S8.shape, lo.INT8, si, zi), lo.T(ALL_S8.shape, lo.INT8, so, zo)]
        ref = lo.run_one(tensors, lo.Op(code, [0], [1]), [ALL_S8])
        assert_same(ops.relu(ALL_S8, kind, si, zi, so, zo), ref, f"relu kind {kind} trial {trial}")


def test_hard_swish_matches_litert():
    rng = np.random.default_rng(30)
    for trial in range(TRIALS * 2):
        si, zi = rand_scale(rng, 1e-3, 0.5), rand_zp(rng)
        so, zo = rand_scale(rng, si / 100, 0.5), rand_zp(rng)
        tensors = [lo.T(ALL_S8.shape, lo.INT8, si, zi), lo.T(ALL_S8.shape, lo.INT8, so, zo)]
        ref = lo.run_one(tensors, lo.Op(lo.HARD_SWISH, [0], [1]), [ALL_S8])
        assert_same(ops.hard_swish(ALL_S8, si, zi, so, zo), ref, f"hard_swish trial {trial} {si},{zi}->{so},{zo}")


@pytest.mark.parametrize("name,code,out_q", [("logistic", lo.LOGISTIC, (1 / 256, -128)),
                                             ("tanh", lo.TANH, (1 / 128, 0))])
def test_logistic_tanh_match_litert(name, code, out_q):
    rng = np.random.default_rng(40 if name == "logistic" else 41)
    so, zo = f32(out_q[0]), out_q[1]
    for trial in range(TRIALS):
        si, zi = rand_scale(rng, 1e-3, 0.5), rand_zp(rng)
        tensors = [lo.T(ALL_S8.shape, lo.INT8, si, zi), lo.T(ALL_S8.shape, lo.INT8, so, zo)]
        ref = lo.run_one(tensors, lo.Op(code, [0], [1]), [ALL_S8])
        assert_same(getattr(ops, name)(ALL_S8, si, zi, so, zo), ref, f"{name} trial {trial} {si},{zi}")


def test_softmax_matches_litert():
    rng = np.random.default_rng(50)
    so, zo = f32(1 / 256), -128
    for trial in range(TRIALS * 2):
        shape = [(int(rng.integers(1, 5)), int(rng.integers(1, 1100))),
                 (1, int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 40)))][trial % 2]
        si, zi = rand_scale(rng, 1e-3, 0.5), rand_zp(rng)
        beta = f32(rng.choice([1.0, rng.uniform(0.1, 3.0)]))
        x = rand_s8(rng, shape)
        if trial % 5 == 0:
            x[...] = x.flat[0]  # all equal: ties in every row
        tensors = [lo.T(shape, lo.INT8, si, zi), lo.T(shape, lo.INT8, so, zo)]
        ref = lo.run_one(tensors, lo.Op(lo.SOFTMAX, [0], [1], lo.OPT_SOFTMAX, {0: ("f32", beta)}), [x])
        assert_same(ops.softmax(x, beta, si, zi, so, zo), ref, f"softmax trial {trial} {shape} beta {beta}")


# ------------------------------------------------------------------------------------------------
# Bad parameters are ValueErrors naming the op and the field.


@pytest.mark.parametrize("call,match", [
    (lambda: ops.add(np.zeros(3, np.int8), np.zeros(4, np.int8), .1, 0, .1, 0, .1, 0), "ADD"),
    (lambda: ops.add(np.zeros(3, np.int8), np.zeros(3, np.int8), .1, 200, .1, 0, .1, 0), "ADD: input1 zero point"),
    (lambda: ops.mul(np.zeros(3, np.int8), np.zeros(3, np.int8), 0.0, 0, .1, 0, .1, 0), "MUL: input1 scale"),
    (lambda: ops.max_pool(np.zeros((1, 4, 4, 1), np.int8), 2, 2, 0, 1, 0, .1, 0), "POOL_2D: stride"),
    (lambda: ops.softmax(np.zeros((1, 4), np.int8), 1.0, .1, 0, 1 / 256, 0), "SOFTMAX: output zero point"),
    (lambda: ops.logistic(np.zeros(4, np.int8), .1, 0, .1, -128), "LOGISTIC: output scale"),
    (lambda: ops.mean(np.zeros((1, 2, 2, 1), np.int8), [4], True, .1, 0, .1, 0), "MEAN: axis"),
    (lambda: ops.add(np.zeros(3, np.float32), np.zeros(3, np.int8), .1, 0, .1, 0, .1, 0), "ADD: input1 must be"),
])
def test_bad_parameters_raise_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("opname", ["add", "mul"])
def test_add_mul_saturating_outputs_match_litert(opname):
    # Output scales far too small for the data: results overflow int16 before the final clamp, where LiteRT's
    # NEON blocks (compiled into the x86 wheel) narrow differently from its scalar tails.
    rng = np.random.default_rng(77 if opname == "add" else 78)
    code, opt_type = (lo.ADD, lo.OPT_ADD) if opname == "add" else (lo.MUL, lo.OPT_MUL)
    for trial in range(TRIALS):
        sa, sb = _broadcast_shapes(rng, trial)
        s1, s2 = rand_scale(rng, 0.05, 1.0), rand_scale(rng, 0.05, 1.0)
        so = rand_scale(rng, 2e-5 if opname == "add" else 1e-4, 1e-3)
        z1, z2, zo = rand_zp(rng), rand_zp(rng), rand_zp(rng)
        a, b = rand_s8(rng, sa), rand_s8(rng, sb)
        out_shape = np.broadcast_shapes(sa, sb)
        tensors = [lo.T(sa, lo.INT8, s1, z1), lo.T(sb, lo.INT8, s2, z2), lo.T(out_shape, lo.INT8, so, zo)]
        ref = lo.run_one(tensors, lo.Op(code, [0, 1], [2], opt_type, {0: ("i8", 0)}), [a, b])
        ours = getattr(ops, opname)(a, b, s1, z1, s2, z2, so, zo, 0)
        assert_same(ours, ref, f"{opname} saturating trial {trial} shapes {sa} {sb} so {so}")


def test_add_extreme_scale_ratios_match_litert():
    # One input's scale up to 2^24 times the other's: its multiplier's shift drops below -20, where LiteRT's
    # NEON elementwise block shifts the input right before multiplying.
    rng = np.random.default_rng(79)
    for trial in range(TRIALS):
        sa, sb = _broadcast_shapes(rng, trial)
        s1 = rand_scale(rng, 0.01, 1.0)
        s2 = f32(s1 * 2.0 ** -rng.uniform(10, 24))
        if trial % 2:
            s1, s2 = s2, s1
        so = f32(max(s1, s2) * rng.uniform(0.5, 4))
        z1, z2, zo = rand_zp(rng), rand_zp(rng), rand_zp(rng)
        a, b = rand_s8(rng, sa), rand_s8(rng, sb)
        out_shape = np.broadcast_shapes(sa, sb)
        tensors = [lo.T(sa, lo.INT8, s1, z1), lo.T(sb, lo.INT8, s2, z2), lo.T(out_shape, lo.INT8, so, zo)]
        ref = lo.run_one(tensors, lo.Op(lo.ADD, [0, 1], [2], lo.OPT_ADD, {0: ("i8", 0)}), [a, b])
        assert_same(ops.add(a, b, s1, z1, s2, z2, so, zo, 0), ref, f"add ratio trial {trial} {s1} {s2} {so}")


def test_mean_is_exact_at_litert_default_threads():
    # LiteRT splits the channels of optimized MEAN across threads and each thread restarts its 16-wide NEON
    # blocks, so LiteRT's own result depends on num_threads; edgekd matches its default (single thread).
    rng = np.random.default_rng(80)
    shape = (1, 3, 3, 45)
    for trial in range(TRIALS):
        si, zi, so, zo = rand_scale(rng), rand_zp(rng), rand_scale(rng), rand_zp(rng)
        x = rand_s8(rng, shape)
        tensors = [lo.T(shape, lo.INT8, si, zi), lo.T((2,), lo.INT32, data=np.array([1, 2], np.int32)),
                   lo.T((1, 1, 1, 45), lo.INT8, so, zo)]
        ref = lo.run_one(tensors, lo.Op(lo.MEAN, [0, 1], [2], lo.OPT_REDUCER, {0: ("bool", True)}), [x])
        assert_same(ops.mean(x, [1, 2], True, si, zi, so, zo), ref, f"mean default threads trial {trial}")


def test_add_power_of_two_ratios_and_long_rows_match_litert():
    # Power-of-two scale ratios give both inputs the multiplier 2^30 (the SIMD twins' one-shift term), output
    # scales from 2^-19 of the inputs (output shift 0) to 100x (shift beyond 20); rows around the 16 / 64-lane
    # steps, same shape and broadcast, every activation.
    rng = np.random.default_rng(81)
    shapes = [((1, 3, 5, 67), (1, 3, 5, 67)), ((1, 1, 1, 129), (1, 1, 1, 129)), ((1, 4, 4, 63), (1, 1, 1, 63)),
              ((1, 2, 3, 65), (1,)), ((1, 9, 7, 64), (1, 9, 7, 64))]
    for trial in range(TRIALS):
        sa, sb = shapes[trial % len(shapes)]
        s1 = rand_scale(rng, 0.01, 0.5)
        s2 = f32(s1 * 2.0 ** int(rng.integers(-6, 7)))
        so = f32(max(s1, s2) * [1.5 * 2.0 ** -19, 0.05, 1.0, 3.0, 100.0][trial % 5])
        z1, z2, zo = rand_zp(rng), rand_zp(rng), rand_zp(rng)
        act = trial % 4
        a, b = rand_s8(rng, sa), rand_s8(rng, sb)
        out_shape = np.broadcast_shapes(sa, sb)
        tensors = [lo.T(sa, lo.INT8, s1, z1), lo.T(sb, lo.INT8, s2, z2), lo.T(out_shape, lo.INT8, so, zo)]
        try:
            ours = ops.add(a, b, s1, z1, s2, z2, so, zo, act)
        except ValueError:
            continue  # an activation bound beyond int32 at this output scale (LiteRT accepts it unchecked)
        ref = lo.run_one(tensors, lo.Op(lo.ADD, [0, 1], [2], lo.OPT_ADD, {0: ("i8", act)}), [a, b])
        assert_same(ours, ref, f"add pow2 trial {trial} {sa} {sb} {s1} {s2} {so} act {act}")

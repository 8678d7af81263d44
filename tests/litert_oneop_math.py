"""One-op int8 models for the math ops (SUB, MAXIMUM, DIV, LEAKY_RELU, GELU, BATCH_MATMUL, TRANSPOSE_CONV,
dilated CONV_2D / DEPTHWISE_CONV_2D, ...), built with tests/litert_oneop.py's flatbuffer builder (independent of
edgekd's writer), with seeded random shapes' data and quantization. Each maker returns a Case: the model bytes
and the feeds in graph-input order. Used by tests/test_ops_math.py and the fuzzer's seed corpus."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from litert_oneop import INT8, INT32, Op, T, build_model

# BuiltinOperator codes and BuiltinOptions union indices (schema.fbs).
SUB, DIV, EXP, LOG_SOFTMAX, PRELU, MAXIMUM, MINIMUM = 41, 42, 47, 50, 54, 55, 57
TRANSPOSE_CONV, RSQRT, LEAKY_RELU, SQUARED_DIFFERENCE, ELU, BATCH_MATMUL, GELU = 67, 76, 98, 99, 111, 126, 150
CONV_2D, DEPTHWISE_CONV_2D = 3, 4
OPT_CONV, OPT_DW, OPT_SUB, OPT_DIV, OPT_TRANSPOSE_CONV, OPT_LEAKY_RELU, OPT_BATCH_MATMUL, OPT_GELU = (
    1, 2, 28, 29, 49, 75, 101, 116)
ACT = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}
PADDING = {"SAME": 0, "VALID": 1}


@dataclass
class Case:
    model: bytes
    feeds: list


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _q(rng, lo=0.004, hi=0.05, zp=40) -> tuple[float, int]:
    return float(rng.uniform(lo, hi)), int(rng.integers(-zp, zp + 1))


def _int8(rng, shape, low=-128, high=127) -> np.ndarray:
    return rng.integers(low, high + 1, size=shape, dtype=np.int8)


def _graph(tensors, op, feeds_by_tensor) -> Case:
    ins = [i for i in op.inputs if i >= 0 and tensors[i].data is None]
    return Case(build_model(tensors, op, ins, op.outputs[:1]), [feeds_by_tensor[i] for i in ins])


def binary(code: int, shape_a, shape_b, seed: int = 0, act: str = "NONE", b_const: bool = False) -> Case:
    """SUB, SQUARED_DIFFERENCE, DIV, MAXIMUM, MINIMUM, PRELU (b = alpha) with broadcasting."""
    rng = _rng(seed)
    (s1, z1), (s2, z2) = _q(rng), _q(rng)
    out_shape = tuple(np.broadcast_shapes(tuple(shape_a), tuple(shape_b)))
    if code == SUB:
        so = float((s1 + s2) * rng.uniform(0.5, 1.5))
    elif code == SQUARED_DIFFERENCE:
        so = float((128 * max(s1, s2)) ** 2 / 255 * rng.uniform(0.1, 1.0))
    elif code == DIV:
        so = float(s1 / s2 / 255 * rng.uniform(2, 40))
    elif code == PRELU:
        s2 = float(rng.uniform(0.001, 0.01))
        so = float(s1 * rng.uniform(0.6, 1.4))
    else:
        so, zo = s1, z1
    zo = int(rng.integers(-30, 31))
    a = _int8(rng, shape_a)
    b = _int8(rng, shape_b)
    if code == DIV:  # no division by the zero point (LiteRT only DCHECKs it)
        b = np.where(b == z2, np.int8(z2 + 1 if z2 < 127 else z2 - 1), b).astype(np.int8)
    tensors = [T(tuple(shape_a), scale=s1, zero_point=z1),
               T(tuple(shape_b), scale=s2, zero_point=z2, data=b if b_const else None),
               T(out_shape, scale=so, zero_point=zo)]
    opt_type, opts = 0, {}
    if code in (SUB, DIV):
        opt_type, opts = (OPT_SUB if code == SUB else OPT_DIV), {0: ("i8", ACT[act])}
    op = Op(code, [0, 1], [2], opt_type, opts)
    return _graph(tensors, op, {0: a, 1: b})


def unary(code: int, shape, seed: int = 0, alpha: float = 0.2, approximate: bool = False) -> Case:
    """LEAKY_RELU, ELU, GELU, EXP, RSQRT, LOG_SOFTMAX."""
    rng = _rng(seed)
    s, z = _q(rng, 0.01, 0.06)
    x = _int8(rng, shape)
    so, zo = _q(rng, 0.01, 0.06)
    opt_type, opts = 0, {}
    if code == LEAKY_RELU:
        opt_type, opts = OPT_LEAKY_RELU, {0: ("f32", alpha)}
    elif code == GELU:
        opt_type, opts = OPT_GELU, {0: ("bool", approximate)}
    elif code == EXP:
        so = float(np.exp(127 * s) / 255 * rng.uniform(0.5, 1.5))
        zo = -128
    elif code == RSQRT:
        x = _int8(rng, shape, low=z)  # LiteRT refuses inputs below the zero point
        so = float(rng.uniform(0.5, 3.0) / np.sqrt(s) / 128)
    elif code == LOG_SOFTMAX:
        so, zo = 16.0 / 256, 127
    tensors = [T(tuple(shape), scale=s, zero_point=z), T(tuple(shape), scale=so, zero_point=zo)]
    return _graph(tensors, Op(code, [0], [1], opt_type, opts), {0: x})


def batch_matmul(lhs_shape, rhs_shape, adj_x=False, adj_y=False, rhs_const=False, seed: int = 0) -> Case:
    rng = _rng(seed)
    (s1, z1), (s2, z2) = _q(rng), _q(rng)
    depth = lhs_shape[-2] if adj_x else lhs_shape[-1]
    rows = lhs_shape[-1] if adj_x else lhs_shape[-2]
    cols = rhs_shape[-2] if adj_y else rhs_shape[-1]
    batch = np.broadcast_shapes(tuple(lhs_shape[:-2]), tuple(rhs_shape[:-2]))
    out_shape = tuple(batch) + (rows, cols)
    so = float(s1 * s2 * np.sqrt(depth) * 128 / 100 * rng.uniform(0.5, 2.0))
    a, b = _int8(rng, lhs_shape), _int8(rng, rhs_shape)
    tensors = [T(tuple(lhs_shape), scale=s1, zero_point=z1),
               T(tuple(rhs_shape), scale=s2, zero_point=z2, data=b if rhs_const else None),
               T(out_shape, scale=so, zero_point=int(rng.integers(-20, 21)))]
    op = Op(BATCH_MATMUL, [0, 1], [2], OPT_BATCH_MATMUL, {0: ("bool", adj_x), 1: ("bool", adj_y)})
    return _graph(tensors, op, {0: a, 1: b})


def _filter(rng, shape, channels, s_in, fan_in):
    w = rng.integers(-127, 128, size=shape, dtype=np.int8)
    ws = rng.uniform(0.002, 0.02, size=channels).astype(np.float32)
    so = float(s_in * float(ws.mean()) * np.sqrt(fan_in) * 127 / 40 * rng.uniform(0.5, 2.0))
    return w, ws, so


def transpose_conv(in_shape, out_ch: int, k: int = 3, stride: int = 2, padding: str = "SAME", bias: bool = True,
                   act: str = "NONE", seed: int = 0, out_hw=None) -> Case:
    rng = _rng(seed)
    n, h, w_, c = in_shape
    s_in, z_in = _q(rng)
    if out_hw is None:
        out_hw = (h * stride, w_ * stride) if padding == "SAME" else ((h - 1) * stride + k, (w_ - 1) * stride + k)
    out_shape = (n, out_hw[0], out_hw[1], out_ch)
    wt, ws, so = _filter(rng, (out_ch, k, k, c), out_ch, s_in, k * k * c / stride / stride)
    tensors = [T((4,), dtype=INT32, data=np.array(out_shape, np.int32)),
               T((out_ch, k, k, c), scale=ws, data=wt),
               T(tuple(in_shape), scale=s_in, zero_point=z_in)]
    inputs = [0, 1, 2]
    if bias:
        tensors.append(T((out_ch,), dtype=INT32, scale=ws * s_in,
                         data=rng.integers(-3000, 3000, size=out_ch).astype(np.int32)))
        inputs.append(3)
    else:
        inputs.append(-1)
    tensors.append(T(out_shape, scale=so, zero_point=int(rng.integers(-20, 21))))
    opts = {0: ("i8", PADDING[padding]), 1: ("i32", stride), 2: ("i32", stride), 3: ("i8", ACT[act])}
    op = Op(TRANSPOSE_CONV, inputs, [len(tensors) - 1], OPT_TRANSPOSE_CONV, opts)
    return _graph(tensors, op, {2: _int8(rng, in_shape)})


def dilated_conv(in_shape, out_ch: int, k: int = 3, dilation: int = 2, stride: int = 1, padding: str = "SAME",
                 depthwise: bool = False, seed: int = 0) -> Case:
    """CONV_2D or DEPTHWISE_CONV_2D (multiplier out_ch / in channels) with dilation, per-channel weights."""
    rng = _rng(seed)
    n, h, w_, c = in_shape
    s_in, z_in = _q(rng)
    d = dilation
    eff = (k - 1) * d + 1
    oh = -(-h // stride) if padding == "SAME" else (h - eff) // stride + 1
    ow = -(-w_ // stride) if padding == "SAME" else (w_ - eff) // stride + 1
    fshape = (1, k, k, out_ch) if depthwise else (out_ch, k, k, c)
    wt, ws, so = _filter(rng, fshape, out_ch, s_in, k * k * (1 if depthwise else c))
    tensors = [T(tuple(in_shape), scale=s_in, zero_point=z_in),
               T(fshape, scale=ws, data=wt, quantized_dimension=3 if depthwise else 0),
               T((out_ch,), dtype=INT32, scale=ws * s_in, data=rng.integers(-3000, 3000, size=out_ch).astype(np.int32)),
               T((n, oh, ow, out_ch), scale=so, zero_point=int(rng.integers(-20, 21)))]
    if depthwise:
        opts = {0: ("i8", PADDING[padding]), 1: ("i32", stride), 2: ("i32", stride), 3: ("i32", out_ch // c),
                5: ("i32", d), 6: ("i32", d)}
        op = Op(DEPTHWISE_CONV_2D, [0, 1, 2], [3], OPT_DW, opts)
    else:
        opts = {0: ("i8", PADDING[padding]), 1: ("i32", stride), 2: ("i32", stride), 4: ("i32", d), 5: ("i32", d)}
        op = Op(CONV_2D, [0, 1, 2], [3], OPT_CONV, opts)
    return _graph(tensors, op, {0: _int8(rng, in_shape)})


def corpus(seed: int = 0) -> dict[str, bytes]:
    """One small model per op, for the fuzzer's seed corpus."""
    return {
        "sub": binary(SUB, (1, 4, 4, 8), (1, 1, 1, 8), seed).model,
        "squared_difference": binary(SQUARED_DIFFERENCE, (1, 4, 8), (1, 4, 1), seed).model,
        "div": binary(DIV, (2, 8), (2, 8), seed).model,
        "maximum": binary(MAXIMUM, (1, 4, 4, 8), (8,), seed).model,
        "minimum": binary(MINIMUM, (3, 5), (3, 5), seed).model,
        "prelu": binary(PRELU, (1, 4, 4, 8), (1, 1, 8), seed, b_const=True).model,
        "leaky_relu": unary(LEAKY_RELU, (1, 4, 4, 8), seed).model,
        "elu": unary(ELU, (2, 16), seed).model,
        "gelu": unary(GELU, (2, 16), seed, approximate=True).model,
        "exp": unary(EXP, (2, 16), seed).model,
        "rsqrt": unary(RSQRT, (2, 16), seed).model,
        "log_softmax": unary(LOG_SOFTMAX, (2, 10), seed).model,
        "batch_matmul": batch_matmul((2, 4, 8), (2, 8, 5), seed=seed).model,
        "transpose_conv": transpose_conv((1, 4, 4, 8), 8, seed=seed).model,
        "dilated_conv": dilated_conv((1, 9, 9, 4), 8, seed=seed).model,
        "dilated_depthwise": dilated_conv((1, 9, 9, 8), 8, depthwise=True, seed=seed).model,
    }

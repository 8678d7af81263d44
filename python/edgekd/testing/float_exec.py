"""Run an int8 ir.Graph in float: dequantize the inputs and constants, apply each op with
``float_ops``, and re-quantize every op's output to its tensor's int8 parameters (so each op sees
the same int8 grid it sees in a real runtime). For one-op graphs the result is what an exact int8
kernel would give up to rounding: tests expect LiteRT within one quantization step of it.

This is a test oracle built from float math, not the int8 arithmetic definition.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .. import ir
from . import float_ops as F


def _real(t: ir.Tensor, v: np.ndarray) -> np.ndarray:
    if t.quant is None or t.dtype in ("float32", "float16", "float64"):
        return np.asarray(v, np.float32) if t.dtype.startswith("float") else np.asarray(v)
    if t.dtype == "int32" and t.quant.is_per_channel:  # bias: one scale per output channel
        return t.quant.scale.astype(np.float32) * v.astype(np.float32)
    return t.quant.dequantize(v)


def quantize(t: ir.Tensor, real: np.ndarray) -> np.ndarray:
    """Real values -> ``t``'s storage (int8 per tensor with round-half-away, or float as is)."""
    if t.quant is None or t.dtype.startswith("float"):
        return np.asarray(real, np.float32 if t.dtype.startswith("float") else ir.DTYPES[t.dtype])
    lo, hi = ir.INT_RANGES[t.dtype]
    s, zp = float(t.quant.scale[0]), int(t.quant.zero_point[0])
    r = np.asarray(real, np.float64) / s
    q = np.sign(r) * np.floor(np.abs(r) + 0.5) + zp
    return np.clip(q, lo, hi).astype(ir.DTYPES[t.dtype])


def run_float(graph: ir.Graph, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Outputs (in the graph's output dtypes) for ``inputs`` (in the graph's input dtypes)."""
    real: dict[int, np.ndarray] = {}
    stored: dict[int, np.ndarray] = {}
    for i, t in enumerate(graph.tensors):
        if t.data is not None:
            stored[i] = t.data
            real[i] = _real(t, t.data)
    for i, x in zip(graph.inputs, inputs):
        stored[i] = np.asarray(x)
        real[i] = _real(graph.tensors[i], np.asarray(x))
    for oi, op in enumerate(graph.ops):
        o = graph.options_with_defaults(op)
        ins = [real[i] if i >= 0 else None for i in op.inputs]
        out_t = graph.tensors[op.outputs[0]]
        y = _apply(graph, op, o, ins, [stored.get(i) for i in op.inputs], out_t)
        if out_t.dtype in ("int32", "int64") and out_t.quant is None:
            q = np.asarray(y).astype(ir.DTYPES[out_t.dtype])
            stored[op.outputs[0]], real[op.outputs[0]] = q, q
            continue
        q = quantize(out_t, y)
        stored[op.outputs[0]] = q
        real[op.outputs[0]] = _real(out_t, q)
    return [stored[i] for i in graph.outputs]


def _apply(g: ir.Graph, op: ir.Op, o: dict, ins: list, raw: list, out_t: ir.Tensor) -> np.ndarray:
    t = op.type
    act = o.get("fused_activation_function", "NONE")
    if t == "CONV_2D":
        y = F.conv2d(ins[0], ins[1], ins[2], (o["stride_h"], o["stride_w"]), o["padding"],
                     (o["dilation_h_factor"], o["dilation_w_factor"]))
    elif t == "DEPTHWISE_CONV_2D":
        mult = ins[1].shape[3] // ins[0].shape[3]
        y = F.depthwise_conv2d(ins[0], ins[1], ins[2], (o["stride_h"], o["stride_w"]), o["padding"], mult,
                               (o["dilation_h_factor"], o["dilation_w_factor"]))
    elif t == "FULLY_CONNECTED":
        y = F.fully_connected(ins[0], ins[1], ins[2] if len(ins) > 2 else None).reshape(out_t.shape)
    elif t == "ADD":
        y = ins[0] + ins[1]
    elif t == "MUL":
        y = ins[0] * ins[1]
    elif t in ("MAX_POOL_2D", "AVERAGE_POOL_2D"):
        y = F.pool2d(ins[0], "max" if t == "MAX_POOL_2D" else "avg", (o["filter_height"], o["filter_width"]),
                     (o["stride_h"], o["stride_w"]), o["padding"])
    elif t == "MEAN":
        y = ins[0].mean(axis=tuple(int(a) for a in np.atleast_1d(raw[1])), keepdims=o["keep_dims"])
    elif t == "PAD":
        y = np.pad(ins[0], [tuple(r) for r in np.asarray(raw[1])])
    elif t == "CONCATENATION":
        y = np.concatenate(ins, axis=o["axis"])
    elif t == "RESHAPE":
        y = ins[0].reshape(out_t.shape)
    elif t == "SOFTMAX":
        y = F.softmax(ins[0], o["beta"])
    elif t == "LOGISTIC":
        y = F.logistic(ins[0])
    elif t == "HARD_SWISH":
        y = F.hard_swish(ins[0])
    elif t == "RELU":
        y = np.maximum(ins[0], 0)
    elif t == "RELU6":
        y = np.clip(ins[0], 0, 6)
    elif t in ("QUANTIZE", "DEQUANTIZE"):
        y = ins[0]
    elif t == "SHAPE":
        y = np.asarray(raw[0].shape, np.int32)
    elif t == "STRIDED_SLICE":
        b, e, s = (np.asarray(r) for r in raw[1:4])
        sl = tuple(slice(int(b[k]), int(e[k]), int(s[k])) for k in range(len(b)))
        y = np.asarray(raw[0])[sl]
        if o["shrink_axis_mask"]:
            y = y.reshape([d for k, d in enumerate(y.shape) if not (o["shrink_axis_mask"] >> k) & 1])
    elif t == "PACK":
        y = np.stack([np.asarray(r) for r in raw], axis=o["axis"])
    else:
        raise NotImplementedError(f"float execution of {t}")
    return F.activation(y, act)

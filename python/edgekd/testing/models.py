"""Int8 test networks as ir.Graph, with random but valid quantization (see builder.GraphBuilder).

* ``one_op_model(op)``: one op (plus its constants) for every op in ``ONE_OP_TYPES``.
* ``small_cnn()``: 28x28x1 -> conv3x3 16 -> maxpool -> conv3x3 32 -> maxpool -> FC 64 -> FC 10.
* ``mobilenet_v2(alpha, input_size)``: inverted residuals (expand 1x1 + depthwise 3x3 + project 1x1,
  ReLU6, residual ADD), 1x1 conv to 1280, MEAN over H,W, FC, softmax. Channel counts follow Keras's
  MobileNetV2 (``_make_divisible(c * alpha, 8)``), so ``mobilenet_v2(0.35, 96)`` and
  ``mobilenet_v2(1.0, 224)`` have the real layer shapes for benchmarks.
* ``mobilenet_v3_small(alpha, input_size)``: hard-swish stem, the 11 bneck blocks of Keras's
  MobileNetV3Small with squeeze-excite, a 1x1 conv to 576, MEAN, FC 1024 + hard-swish, FC, softmax.

Squeeze-excite is ``MEAN(H,W, keep_dims) -> CONV_2D 1x1 + RELU -> gate -> MUL`` with the gate
broadcast as [N,1,1,C]. The default gate is hard-sigmoid exactly as TF's converter emits Keras's
``relu6(x + 3) / 6`` in int8 (see tests/data/tf_mean_hardswish_se_int8io.tflite): the ``+ 3`` folded
into the bias of the CONV_2D 1x1, fused RELU6, then MUL by an int8 scalar constant 1/6.
``se_gate="logistic"`` uses CONV_2D 1x1 -> LOGISTIC instead (TF's output for a sigmoid gate).
Hard-swish activations are separate HARD_SWISH ops, as TF emits them.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .. import ir
from .builder import Act, GraphBuilder

ONE_OP_TYPES: tuple[str, ...] = (
    "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "MUL", "MAX_POOL_2D", "AVERAGE_POOL_2D",
    "MEAN", "PAD", "CONCATENATION", "RESHAPE", "SOFTMAX", "LOGISTIC", "HARD_SWISH", "RELU", "RELU6",
    "QUANTIZE", "DEQUANTIZE", "FLATTEN_CHAIN",
)


def make_divisible(v: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Keras's channel rounding: nearest multiple of ``divisor``, never more than 10% below ``v``."""
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def one_op_model(op: str, seed: int = 0, shape: tuple[int, ...] = (1, 8, 8, 8), **kw: object) -> ir.Graph:
    """A graph with one op of type ``op`` (``FLATTEN_CHAIN``: SHAPE, STRIDED_SLICE, PACK, RESHAPE).
    Keywords pass through to the layer (e.g. ``stride=2``, ``act='RELU6'``, ``padding='VALID'``)."""
    b = GraphBuilder(f"one_op_{op.lower()}", seed=seed)
    if op == "QUANTIZE" and kw.pop("from_float", False):
        x = b.input(shape, dtype="float32")
    elif op == "SOFTMAX":
        x = b.input(shape, -6.0, 6.0)  # logits: a wider range than the default [-1, 1]
    else:
        x = b.input(shape)
    makers: dict[str, Callable[[], Act]] = {
        "CONV_2D": lambda: b.conv2d(x, int(kw.pop("out_ch", 16)), **kw),
        "DEPTHWISE_CONV_2D": lambda: b.depthwise(x, **kw),
        "FULLY_CONNECTED": lambda: b.fully_connected(x, int(kw.pop("units", 10)), **kw),
        "ADD": lambda: b.add(x, b.input(shape, -2.0, 3.0, name="input_b"), **kw),
        "MUL": lambda: b.mul(x, b.input(kw.pop("b_shape", shape), 0.0, 2.0, name="input_b"), **kw),
        "MAX_POOL_2D": lambda: b.pool(x, "max", **kw),
        "AVERAGE_POOL_2D": lambda: b.pool(x, "avg", **kw),
        "MEAN": lambda: b.mean(x, **kw),
        "PAD": lambda: b.pad(x, kw.pop("paddings", [[0, 0], [1, 1], [2, 0], [0, 0]])),
        "CONCATENATION": lambda: b.concat([x, b.input(shape, name="input_b")], **kw),
        "RESHAPE": lambda: b.reshape(x, kw.pop("new_shape", (shape[0], -1))),
        "SOFTMAX": lambda: b.softmax(x, **kw),
        "LOGISTIC": lambda: b.logistic(x),
        "HARD_SWISH": lambda: b.hard_swish(x),
        "RELU": lambda: b.relu(x),
        "RELU6": lambda: b.relu(x, six=True),
        "QUANTIZE": lambda: b.quantize(x),
        "DEQUANTIZE": lambda: b.dequantize(x),
        "FLATTEN_CHAIN": lambda: b.flatten_chain(x),
    }

    if op not in makers:
        raise ValueError(f"no one-op model for {op!r} (known: {', '.join(ONE_OP_TYPES)})")
    y = makers[op]()
    return b.output(y)


def small_cnn(seed: int = 0, num_classes: int = 10, flatten: str = "reshape") -> ir.Graph:
    """28x28x1: conv3x3 16 + ReLU, maxpool 2, conv3x3 32 + ReLU, maxpool 2, FC 64 + ReLU, FC 10.
    ``flatten='chain'`` writes the SHAPE/STRIDED_SLICE/PACK/RESHAPE chain TF emits for Flatten."""
    b = GraphBuilder("small_cnn", seed=seed)
    x = b.input((1, 28, 28, 1), 0.0, 1.0)
    x = b.conv2d(x, 16, 3, act="RELU", name="conv1")
    x = b.pool(x, "max", 2, 2, name="pool1")
    x = b.conv2d(x, 32, 3, act="RELU", name="conv2")
    x = b.pool(x, "max", 2, 2, name="pool2")
    x = b.flatten_chain(x, name="flatten") if flatten == "chain" else b.reshape(x, (1, -1), name="flatten")
    x = b.fully_connected(x, 64, act="RELU", name="fc1")
    x = b.fully_connected(x, num_classes, name="logits")
    return b.output(x)


# MobileNetV2 inverted-residual settings (expansion t, channels c, repeats n, first stride s).
_MNV2_BLOCKS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                (6, 160, 3, 2), (6, 320, 1, 1))


def mobilenet_v2(alpha: float = 1.0, input_size: int = 224, num_classes: int = 1000, seed: int = 0,
                 softmax: bool = True, calib_batch: int = 1) -> ir.Graph:
    b = GraphBuilder(f"mobilenet_v2_{alpha:g}_{input_size}", seed=seed, calib_batch=calib_batch)
    x = b.input((1, input_size, input_size, 3))
    x = b.conv2d(x, make_divisible(32 * alpha), 3, stride=2, act="RELU6", name="stem")
    cin = b.shape(x)[3]
    block = 0
    for t, c, n, s in _MNV2_BLOCKS:
        cout = make_divisible(c * alpha)
        for i in range(n):
            stride = s if i == 0 else 1
            name = f"block{block}"
            h = x
            if t != 1:
                h = b.conv2d(h, cin * t, 1, act="RELU6", name=f"{name}/expand")
            h = b.depthwise(h, 3, stride, act="RELU6", name=f"{name}/depthwise")
            h = b.conv2d(h, cout, 1, name=f"{name}/project")
            if stride == 1 and cin == cout:
                h = b.add(x, h, name=f"{name}/add")
            x, cin = h, cout
            block += 1
    last = make_divisible(1280 * alpha) if alpha > 1.0 else 1280
    x = b.conv2d(x, last, 1, act="RELU6", name="head/conv")
    x = b.mean(x, (1, 2), keep_dims=False, name="head/mean")
    x = b.fully_connected(x, num_classes, name="head/logits")
    if softmax:
        x = b.softmax(x, name="head/softmax")
    return b.output(x)


# MobileNetV3-Small bneck settings: kernel, expansion channels, output channels, SE, activation, stride.
_MNV3S_BLOCKS = ((3, 16, 16, True, "RE", 2), (3, 72, 24, False, "RE", 2), (3, 88, 24, False, "RE", 1),
                 (5, 96, 40, True, "HS", 2), (5, 240, 40, True, "HS", 1), (5, 240, 40, True, "HS", 1),
                 (5, 120, 48, True, "HS", 1), (5, 144, 48, True, "HS", 1), (5, 288, 96, True, "HS", 2),
                 (5, 576, 96, True, "HS", 1), (5, 576, 96, True, "HS", 1))


def _act(b: GraphBuilder, x: Act, kind: str, name: str) -> Act:
    return b.hard_swish(x, name=name) if kind == "HS" else x


def mobilenet_v3_small(alpha: float = 0.75, input_size: int = 96, num_classes: int = 1000, seed: int = 0,
                       softmax: bool = True, calib_batch: int = 4, se_gate: str = "hard_sigmoid") -> ir.Graph:
    if se_gate not in ("hard_sigmoid", "logistic"):
        raise ValueError(f"se_gate {se_gate!r}: expected 'hard_sigmoid' or 'logistic'")
    b = GraphBuilder(f"mobilenet_v3_small_{alpha:g}_{input_size}", seed=seed, calib_batch=calib_batch)
    x = b.input((1, input_size, input_size, 3))
    x = b.conv2d(x, 16, 3, stride=2, name="stem/conv")
    x = b.hard_swish(x, name="stem/hard_swish")
    cin = 16
    for i, (k, exp, out, se, kind, stride) in enumerate(_MNV3S_BLOCKS):
        name = f"block{i}"
        exp_ch = make_divisible(exp * alpha)
        cout = make_divisible(out * alpha)
        fused = "RELU" if kind == "RE" else "NONE"
        h = x
        if i > 0:  # Keras skips the expansion of the first block (expansion ratio 1)
            h = b.conv2d(h, exp_ch, 1, act=fused, name=f"{name}/expand")
            h = _act(b, h, kind, f"{name}/expand/hard_swish")
        else:
            exp_ch = cin
        h = b.depthwise(h, k, stride, act=fused, name=f"{name}/depthwise")
        h = _act(b, h, kind, f"{name}/depthwise/hard_swish")
        if se:
            s = b.mean(h, (1, 2), keep_dims=True, name=f"{name}/se/mean")
            s = b.conv2d(s, make_divisible(exp_ch * 0.25), 1, act="RELU", name=f"{name}/se/reduce")
            if se_gate == "logistic":
                s = b.conv2d(s, exp_ch, 1, name=f"{name}/se/expand")
                s = b.logistic(s, name=f"{name}/se/gate")
            else:  # relu6(x + 3) / 6 with the + 3 in the bias, as TF emits it
                s = b.conv2d(s, exp_ch, 1, act="RELU6", bias_shift=3.0, name=f"{name}/se/expand")
                s = b.mul_const(s, 1.0 / 6.0, name=f"{name}/se/gate")
            h = b.mul(h, s, name=f"{name}/se/mul")
        h = b.conv2d(h, cout, 1, name=f"{name}/project")
        if stride == 1 and cin == cout:
            h = b.add(x, h, name=f"{name}/add")
        x, cin = h, cout
    x = b.conv2d(x, make_divisible(576 * alpha), 1, name="head/conv")
    x = b.hard_swish(x, name="head/conv/hard_swish")
    x = b.mean(x, (1, 2), keep_dims=False, name="head/mean")
    x = b.fully_connected(x, 1024, name="head/fc")
    x = b.hard_swish(x, name="head/fc/hard_swish")
    x = b.fully_connected(x, num_classes, name="head/logits")
    if softmax:
        x = b.softmax(x, name="head/softmax")
    return b.output(x)


def all_one_op_models(seed: int = 0) -> dict[str, ir.Graph]:
    return {op: one_op_model(op, seed=seed) for op in ONE_OP_TYPES}


def dequantize_output(graph: ir.Graph, q: np.ndarray, k: int = 0) -> np.ndarray:
    """Real values of output ``k`` given its int8 data."""
    t = graph.tensors[graph.outputs[k]]
    return q.astype(np.float32) if t.quant is None else t.quant.dequantize(q)

"""Build a one-operator int8 .tflite with flatbuffers' low-level Builder and run it on LiteRT's builtin kernels.

The oracle for tests/test_ops_binding.py. Deliberately independent of edgekd's own writer
(python/edgekd/tflite/): a test should not trust the code it checks. Field slots follow LiteRT's
tflite/converter/schema/schema.fbs (a union takes two slots: its type, then its value).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# BuiltinOperator codes (schema.fbs).
ADD, AVERAGE_POOL_2D, CONCATENATION, DEQUANTIZE, LOGISTIC, MAX_POOL_2D, MUL = 0, 1, 2, 6, 14, 17, 18
RELU, RELU_N1_TO_1, RELU6, SOFTMAX, TANH, PAD, MEAN, PADV2, QUANTIZE, HARD_SWISH = (
    19, 20, 21, 25, 28, 34, 40, 60, 114, 117)
# Shape and reduction ops.
(DEPTH_TO_SPACE, RESIZE_BILINEAR, SPACE_TO_DEPTH, GATHER, TRANSPOSE, STRIDED_SLICE, SPLIT, ARG_MAX, SLICE,
 EXPAND_DIMS, SUM, ARG_MIN, REDUCE_MAX, RESIZE_NEAREST_NEIGHBOR, SPLIT_V) = (
    5, 23, 26, 36, 39, 45, 49, 56, 65, 70, 74, 79, 82, 97, 102)
# BuiltinOptions union member indices (position in the union + 1).
OPT_POOL2D, OPT_SOFTMAX, OPT_CONCAT, OPT_ADD, OPT_MUL, OPT_REDUCER = 5, 9, 10, 11, 21, 27
(OPT_RESIZE_BILINEAR, OPT_SPACE_TO_DEPTH, OPT_GATHER, OPT_TRANSPOSE, OPT_STRIDED_SLICE, OPT_SPLIT, OPT_ARG_MAX,
 OPT_SLICE, OPT_EXPAND_DIMS, OPT_ARG_MIN, OPT_RESIZE_NEAREST, OPT_SPLIT_V, OPT_DEPTH_TO_SPACE) = (
    15, 19, 23, 26, 32, 35, 40, 48, 52, 57, 74, 79, 94)
# TensorType.
FLOAT32, INT32, INT64, INT16, INT8 = 0, 2, 4, 7, 9
_NP = {FLOAT32: np.float32, INT32: np.int32, INT64: np.int64, INT16: np.int16, INT8: np.int8}


@dataclass
class T:
    """A tensor: shape, type, optional (scale, zero_point), optional constant data."""
    shape: tuple
    dtype: int = INT8
    scale: float | None = None  # or a sequence: per-channel scales along quantized_dimension
    zero_point: int = 0
    data: np.ndarray | None = None
    quantized_dimension: int = 0
    variable: bool = False  # state kept across invocations (Tensor.is_variable)


@dataclass
class Op:
    code: int
    inputs: list            # tensor indices
    outputs: list
    options_type: int = 0   # BuiltinOptions index, 0 = none
    options: dict = field(default_factory=dict)  # slot -> (kind, value), kind in {"i8","i32","f32","bool"}
    intermediates: list = field(default_factory=list)  # tensor indices (Operator.intermediates)


def _vec(b, items, prepend):
    b.StartVector(4 if prepend != "b" else 1, len(items), 4)
    for x in reversed(items):
        {"i": b.PrependInt32, "o": b.PrependUOffsetTRelative, "f": b.PrependFloat32,
         "l": b.PrependInt64, "b": b.PrependUint8}[prepend](x)
    return b.EndVector()


def _vec64(b, items):
    b.StartVector(8, len(items), 8)
    for x in reversed(items):
        b.PrependInt64(int(x))
    return b.EndVector()


def build_model(tensors: list[T], op: Op | list[Op], inputs: list[int], outputs: list[int]) -> bytes:
    """A model of one op, or of a list of ops run in order."""
    import flatbuffers

    ops = op if isinstance(op, list) else [op]
    codes = sorted({o.code for o in ops})

    b = flatbuffers.Builder(1024)
    # Buffers: 0 is the empty sentinel; each constant tensor gets its own.
    buffer_of = {}
    buf_offsets = []
    b.StartObject(3)
    buf_offsets.append(b.EndObject())
    for i, t in enumerate(tensors):
        if t.data is not None:
            raw = np.ascontiguousarray(t.data.astype(_NP[t.dtype])).tobytes()
            b.StartVector(1, len(raw), 16)
            for byte in reversed(raw):
                b.PrependUint8(byte)
            data_vec = b.EndVector()
            b.StartObject(3)
            b.PrependUOffsetTRelativeSlot(0, data_vec, 0)
            buffer_of[i] = len(buf_offsets)
            buf_offsets.append(b.EndObject())

    tensor_offsets = []
    for i, t in enumerate(tensors):
        name = b.CreateString(f"t{i}")
        shape = _vec(b, [int(d) for d in t.shape], "i")
        quant = None
        if t.scale is not None:
            scales = [float(x) for x in np.atleast_1d(t.scale)]
            sc = _vec(b, scales, "f")
            zp = _vec64(b, [int(t.zero_point)] * len(scales))
            b.StartObject(7)
            b.PrependUOffsetTRelativeSlot(2, sc, 0)
            b.PrependUOffsetTRelativeSlot(3, zp, 0)
            b.PrependInt32Slot(6, int(t.quantized_dimension), 0)
            quant = b.EndObject()
        b.StartObject(11)
        b.PrependUOffsetTRelativeSlot(0, shape, 0)
        b.PrependInt8Slot(1, t.dtype, 0)
        b.PrependUint32Slot(2, buffer_of.get(i, 0), 0)
        b.PrependUOffsetTRelativeSlot(3, name, 0)
        if quant is not None:
            b.PrependUOffsetTRelativeSlot(4, quant, 0)
        if t.variable:
            b.PrependBoolSlot(5, True, False)
        tensor_offsets.append(b.EndObject())

    op_offsets = []
    for op in ops:
        opts = None
        if op.options_type:
            b.StartObject(max([s for s in op.options] + [0]) + 1)
            for slot, (kind, val) in op.options.items():
                if kind == "i8":
                    b.PrependInt8Slot(slot, int(val), 0)
                elif kind == "i32":
                    b.PrependInt32Slot(slot, int(val), 0)
                elif kind == "f32":
                    b.PrependFloat32Slot(slot, float(val), 0.0)
                elif kind == "bool":
                    b.PrependBoolSlot(slot, bool(val), False)
            opts = b.EndObject()
        op_in = _vec(b, op.inputs, "i")
        op_out = _vec(b, op.outputs, "i")
        op_inter = _vec(b, op.intermediates, "i") if op.intermediates else None
        b.StartObject(12)
        b.PrependUint32Slot(0, codes.index(op.code), 0)
        b.PrependUOffsetTRelativeSlot(1, op_in, 0)
        b.PrependUOffsetTRelativeSlot(2, op_out, 0)
        if opts is not None:
            b.PrependUint8Slot(3, op.options_type, 0)
            b.PrependUOffsetTRelativeSlot(4, opts, 0)
        if op_inter is not None:
            b.PrependUOffsetTRelativeSlot(8, op_inter, 0)
        op_offsets.append(b.EndObject())

    tensors_vec = _vec(b, tensor_offsets, "o")
    sg_in = _vec(b, inputs, "i")
    sg_out = _vec(b, outputs, "i")
    ops_vec = _vec(b, op_offsets, "o")
    sg_name = b.CreateString("main")
    b.StartObject(6)
    b.PrependUOffsetTRelativeSlot(0, tensors_vec, 0)
    b.PrependUOffsetTRelativeSlot(1, sg_in, 0)
    b.PrependUOffsetTRelativeSlot(2, sg_out, 0)
    b.PrependUOffsetTRelativeSlot(3, ops_vec, 0)
    b.PrependUOffsetTRelativeSlot(4, sg_name, 0)
    subgraph = b.EndObject()

    opcode_offsets = []
    for code in codes:
        b.StartObject(4)
        b.PrependInt8Slot(0, min(code, 127), 0)
        b.PrependInt32Slot(2, 1, 1)
        b.PrependInt32Slot(3, code, 0)
        opcode_offsets.append(b.EndObject())

    opcodes_vec = _vec(b, opcode_offsets, "o")
    subgraphs_vec = _vec(b, [subgraph], "o")
    buffers_vec = _vec(b, buf_offsets, "o")
    desc = b.CreateString("edgekd one-op test model")
    b.StartObject(10)
    b.PrependUint32Slot(0, 3, 0)
    b.PrependUOffsetTRelativeSlot(1, opcodes_vec, 0)
    b.PrependUOffsetTRelativeSlot(2, subgraphs_vec, 0)
    b.PrependUOffsetTRelativeSlot(3, desc, 0)
    b.PrependUOffsetTRelativeSlot(4, buffers_vec, 0)
    model = b.EndObject()
    b.Finish(model, file_identifier=b"TFL3")
    return bytes(b.Output())


def run(model: bytes, feeds: list[np.ndarray]) -> list[np.ndarray]:
    """Runs the model on LiteRT's builtin kernels (no XNNPACK delegate); returns the outputs."""
    from edgekd.testing import litert

    return litert.run(model, feeds)


def run_one(tensors: list[T], op: Op, feeds: list[np.ndarray]) -> np.ndarray:
    """Graph inputs are the op's non-constant inputs, the output its first output."""
    ins = [i for i in op.inputs if i >= 0 and tensors[i].data is None]
    return run(build_model(tensors, op, ins, op.outputs[:1]), feeds)[0]


def one_op_model(tensors: list[T], op: Op) -> bytes:
    """The model of one op whose inputs are its non-constant inputs and whose outputs are all its outputs."""
    ins = [i for i in op.inputs if i >= 0 and tensors[i].data is None]
    return build_model(tensors, op, ins, list(op.outputs))

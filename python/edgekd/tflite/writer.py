"""ir.Graph -> .tflite flatbuffer (schema version 3, one subgraph), built with the ``flatbuffers``
runtime's Builder through the builder functions the ``tflite`` package generates from TFLite's
schema.fbs (``TensorStart``, ``TensorAddShape``, ...), so no field id is written here. Constant
data lives inside the flatbuffer (16-byte aligned), buffer 0 is the
empty sentinel, every constant tensor gets its own buffer, operator codes carry both
``deprecated_builtin_code`` and ``builtin_code``. A ``serving_default`` signature names the graph's
inputs and outputs so that LiteRT's signature runner works on our files too.

The output is deterministic: the same graph always gives the same bytes.
"""
from __future__ import annotations

import os
import struct
import tempfile
from pathlib import Path
from typing import Any

import flatbuffers
import numpy as np

from .. import ir
from ..errors import EdgekdError
from . import generated as G
from .generated import tflite

# Versions TF's converter assigns to int8 ops (tools/versioning/op_version.cc); ops not listed get 1.
_INT8_VERSIONS: dict[str, int] = {
    "ADD": 2, "SUB": 2, "AVERAGE_POOL_2D": 2, "MAX_POOL_2D": 2, "CONCATENATION": 2, "CONV_2D": 3,
    "DEPTHWISE_CONV_2D": 3, "DEQUANTIZE": 2, "FULLY_CONNECTED": 4, "LOGISTIC": 2, "MEAN": 2, "MUL": 2,
    "PAD": 2, "RELU": 2, "RELU6": 2, "SOFTMAX": 2, "STRIDED_SLICE": 2, "PACK": 2, "QUANTIZE": 2,
    "TANH": 2, "SUM": 2, "REDUCE_MAX": 2, "TRANSPOSE": 2, "GATHER": 2, "LEAKY_RELU": 2,
}


def default_version(graph: ir.Graph, op: ir.Op) -> int:
    """The operator-code version TF's converter would write for this (int8) op."""
    first = graph.tensors[op.inputs[0]] if op.inputs and op.inputs[0] >= 0 else None
    in_type = first.dtype if first is not None else None
    if op.type == "FULLY_CONNECTED":
        if len(op.inputs) == 2 or (len(op.inputs) == 3 and op.inputs[2] < 0):
            return 6
        if graph.options_with_defaults(op).get("keep_num_dims"):
            return 5
        return 4 if in_type == "int8" else 1
    if op.type == "MUL" and in_type == "int8" and len(op.inputs) == 2:
        # version 3 marks an int8 MUL whose rescale s1*s2/s_out is >= 1
        q1, q2 = graph.tensors[op.inputs[0]].quant, graph.tensors[op.inputs[1]].quant
        qo = graph.tensors[op.outputs[0]].quant
        if q1 is not None and q2 is not None and qo is not None:
            if float(q1.scale[0]) * float(q2.scale[0]) / float(qo.scale[0]) >= 1.0:
                return 3
        return 2
    if op.type == "QUANTIZE":
        return 2 if in_type == "int8" else 1
    if op.type == "TRANSPOSE_CONV":  # its first input is the output shape; the data is input 2
        if graph.options_with_defaults(op)["fused_activation_function"] != "NONE":
            return 4
        if len(op.inputs) == 4 and op.inputs[3] >= 0:
            return 3
        return 2 if graph.tensors[op.inputs[1]].dtype == "int8" else 1
    if op.type in ("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"):
        opts = graph.options_with_defaults(op)
        if opts["half_pixel_centers"] or (op.type == "RESIZE_NEAREST_NEIGHBOR" and opts["align_corners"]):
            return 3
        return 2 if in_type == "int8" else 1
    if in_type == "int8":
        return _INT8_VERSIONS.get(op.type, 1)
    return 1


class _Writer:
    """One serialization. ``external`` maps buffer index -> (offset, size) of data stored after the
    flatbuffer (TFLite's layout for models over 2 GB) instead of inside it."""

    def __init__(self, graph: ir.Graph, external: dict[int, tuple[int, int]] | None = None) -> None:
        self.g = graph
        self.external = external
        total = 0 if external else graph.constant_bytes()
        self.b = flatbuffers.Builder(max(1024, total + 64 * 1024 + 256 * len(graph.tensors)))

    # Orders of the operator-code and buffer tables (identity here; tests override them to check that
    # the reader accepts any order, as TF's converter writes them).
    def opcode_order(self, n: int) -> list[int]:
        return list(range(n))

    def buffer_order(self, n: int) -> list[int]:
        return list(range(n))

    # ---- small helpers ------------------------------------------------------------------------
    def _vec_i32(self, values: Any) -> int:
        return self.b.CreateNumpyVector(np.asarray(values, dtype="<i4").reshape(-1))

    def _vec_offsets(self, offsets: list[int]) -> int:
        self.b.StartVector(4, len(offsets), 4)
        for o in reversed(offsets):
            self.b.PrependUOffsetTRelative(o)
        return self.b.EndVector()

    def _bytes_aligned16(self, data: bytes) -> int:
        # Buffer.data is declared force_align: 16, so mmap'ed weights can be read with aligned loads.
        self.b.StartVector(1, len(data), 16)
        self.b.head = self.b.head - len(data)
        self.b.Bytes[self.b.head:self.b.head + len(data)] = data
        return self.b.EndVector()

    # ---- tables -------------------------------------------------------------------------------
    def _quantization(self, q: ir.QuantParams) -> int:
        b = self.b
        scale = b.CreateNumpyVector(np.asarray(q.scale, dtype="<f4"))
        zp = b.CreateNumpyVector(np.asarray(q.zero_point, dtype="<i8"))
        tflite.QuantizationParametersStart(b)
        tflite.QuantizationParametersAddScale(b, scale)
        tflite.QuantizationParametersAddZeroPoint(b, zp)
        tflite.QuantizationParametersAddQuantizedDimension(b, q.quantized_dimension)
        return tflite.QuantizationParametersEnd(b)

    def _tensor(self, index: int, t: ir.Tensor, buffer_index: int) -> int:
        b = self.b
        if t.dtype not in G.TENSOR_TYPE_CODE:
            raise EdgekdError(f"tensor {index} ({t.name!r}): dtype {t.dtype!r} has no TFLite type")
        name = b.CreateString(t.name)
        shape = self._vec_i32(list(t.shape))
        sig = self._vec_i32(list(t.shape_signature)) if t.shape_signature is not None else None
        quant = self._quantization(t.quant) if t.quant is not None else None
        tflite.TensorStart(b)
        tflite.TensorAddShape(b, shape)
        tflite.TensorAddType(b, G.TENSOR_TYPE_CODE[t.dtype])
        tflite.TensorAddBuffer(b, buffer_index)
        tflite.TensorAddName(b, name)
        if quant is not None:
            tflite.TensorAddQuantization(b, quant)
        if sig is not None:
            tflite.TensorAddShapeSignature(b, sig)
        return tflite.TensorEnd(b)

    def _options(self, where: str, op: ir.Op) -> tuple[int, int]:
        """(union type code, table offset); (0, 0) for ops without an options table."""
        spec = G.option_fields(op.type)
        opts = self.g.options_with_defaults(op)
        if spec is None:
            if opts:
                raise EdgekdError(f"{where}: {op.type} takes no options, got {', '.join(sorted(opts))}")
            return 0, 0
        table, fields = spec
        unknown = set(opts) - {f.name for f in fields}
        if unknown:
            raise EdgekdError(f"{where}: option(s) {', '.join(sorted(unknown))} not in {table}")
        b = self.b
        values: list[tuple[str, Any]] = []
        for f in fields:  # vectors must be built before the table is started
            if f.name not in opts:
                continue
            value = opts[f.name]
            try:
                if f.kind == "vector":
                    if value is not None:
                        values.append((f.name, self._vec_i32(list(value))))
                elif f.kind == "enum":
                    codes = {n: c for c, n in f.enum.items()}  # type: ignore[union-attr]
                    if value not in codes:
                        raise EdgekdError(f"{where}: option {f.name} = {value!r} is not one of "
                                          f"{', '.join(codes)}")
                    values.append((f.name, codes[value]))
                elif f.kind == "bool":
                    values.append((f.name, bool(value)))
                elif f.kind == "float":
                    values.append((f.name, float(value)))
                else:
                    values.append((f.name, int(value)))
            except (TypeError, ValueError, OverflowError) as e:
                raise EdgekdError(f"{where}: option {f.name} = {value!r}: {e}") from None
        getattr(tflite, f"{table}Start")(b)
        for name, value in values:
            try:
                getattr(tflite, f"{table}Add{G.camel(name)}")(b, value)
            except (TypeError, ValueError, OverflowError, struct.error) as e:
                raise EdgekdError(f"{where}: option {name} = {value!r}: {e}") from None
        return G.OPTIONS_TYPE_CODE[table], getattr(tflite, f"{table}End")(b)

    def _operator(self, index: int, op: ir.Op, opcode_index: int) -> int:
        where = f"op {index} ({op.type})"
        b = self.b
        opt_type, opt_table = self._options(where, op)
        ins = self._vec_i32(op.inputs)
        outs = self._vec_i32(op.outputs)
        tflite.OperatorStart(b)
        tflite.OperatorAddOpcodeIndex(b, opcode_index)
        tflite.OperatorAddInputs(b, ins)
        tflite.OperatorAddOutputs(b, outs)
        if opt_type:
            tflite.OperatorAddBuiltinOptionsType(b, opt_type)
            tflite.OperatorAddBuiltinOptions(b, opt_table)
        return tflite.OperatorEnd(b)

    def _operator_code(self, op_type: str, version: int) -> int:
        b = self.b
        code = G.BUILTIN_CODE[op_type]
        tflite.OperatorCodeStart(b)
        # Old readers only know the byte field; codes >= 127 put the placeholder there.
        tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(code, G.PLACEHOLDER_FOR_GREATER_OP_CODES))
        tflite.OperatorCodeAddVersion(b, version)
        tflite.OperatorCodeAddBuiltinCode(b, code)
        return tflite.OperatorCodeEnd(b)

    def _buffer(self, index: int, data: bytes | None) -> int:
        b = self.b
        if self.external is not None and index in self.external:
            offset, size = self.external[index]
            tflite.BufferStart(b)
            tflite.BufferAddOffset(b, offset)
            tflite.BufferAddSize(b, size)
            return tflite.BufferEnd(b)
        vec = self._bytes_aligned16(data) if data else None
        tflite.BufferStart(b)
        if vec is not None:
            tflite.BufferAddData(b, vec)
        return tflite.BufferEnd(b)

    def _tensor_map(self, name: str, index: int) -> int:
        b = self.b
        s = b.CreateString(name)
        tflite.TensorMapStart(b)
        tflite.TensorMapAddName(b, s)
        tflite.TensorMapAddTensorIndex(b, index)
        return tflite.TensorMapEnd(b)

    def _signature(self) -> int:
        b = self.b
        g = self.g
        ins = [self._tensor_map(g.tensors[i].name, i) for i in g.inputs]
        outs = [self._tensor_map(g.tensors[i].name, i) for i in g.outputs]
        vin, vout = self._vec_offsets(ins), self._vec_offsets(outs)
        key = b.CreateString("serving_default")
        tflite.SignatureDefStart(b)
        tflite.SignatureDefAddInputs(b, vin)
        tflite.SignatureDefAddOutputs(b, vout)
        tflite.SignatureDefAddSignatureKey(b, key)
        tflite.SignatureDefAddSubgraphIndex(b, 0)
        return tflite.SignatureDefEnd(b)

    # ---- the model ----------------------------------------------------------------------------
    def blobs(self) -> tuple[list[bytes | None], list[int]]:
        """Buffer contents in file order (0 = the empty sentinel) and the buffer index of each tensor."""
        logical: list[bytes | None] = [None]
        logical_of: list[int] = []
        for t in self.g.tensors:
            if t.data is None:
                logical_of.append(0)
            else:
                logical_of.append(len(logical))
                logical.append(np.ascontiguousarray(t.data).astype(t.data.dtype.newbyteorder("<"),
                                                                    copy=False).tobytes())
        order = [0] + [1 + k for k in self.buffer_order(len(logical) - 1)]  # the sentinel stays first
        position = {old: new for new, old in enumerate(order)}
        return [logical[k] for k in order], [position[k] for k in logical_of]

    def build(self) -> bytes:
        g, b = self.g, self.b
        # operator codes: one per (type, version), in order of first use (or opcode_order's)
        codes: list[tuple[str, int]] = []
        first_use_index: list[int] = []
        for i, op in enumerate(g.ops):
            if op.type not in G.BUILTIN_CODE or op.type in ("CUSTOM", "DELEGATE",
                                                                 "PLACEHOLDER_FOR_GREATER_OP_CODES"):
                raise EdgekdError(f"op {i} ({op.type}): not a TFLite builtin operator the writer supports")
            key = (op.type, int(op.version) if op.version is not None else default_version(g, op))
            if key not in codes:
                codes.append(key)
            first_use_index.append(codes.index(key))
        code_order = self.opcode_order(len(codes))
        code_position = {old: new for new, old in enumerate(code_order)}
        codes = [codes[k] for k in code_order]
        op_code_index = [code_position[k] for k in first_use_index]

        blobs, buffer_of = self.blobs()

        # Children first (flatbuffers cannot nest table construction). Big data first keeps the
        # small tables together at the front of the file.
        buffer_offsets = [self._buffer(i, d) for i, d in enumerate(blobs)]
        tensor_offsets = [self._tensor(i, t, buffer_of[i]) for i, t in enumerate(g.tensors)]
        operator_offsets = [self._operator(i, op, op_code_index[i]) for i, op in enumerate(g.ops)]
        opcode_offsets = [self._operator_code(t, v) for t, v in codes]
        signature = self._signature()

        v_tensors = self._vec_offsets(tensor_offsets)
        v_inputs = self._vec_i32(g.inputs)
        v_outputs = self._vec_i32(g.outputs)
        v_ops = self._vec_offsets(operator_offsets)
        sg_name = b.CreateString(g.name)
        tflite.SubGraphStart(b)
        tflite.SubGraphAddTensors(b, v_tensors)
        tflite.SubGraphAddInputs(b, v_inputs)
        tflite.SubGraphAddOutputs(b, v_outputs)
        tflite.SubGraphAddOperators(b, v_ops)
        tflite.SubGraphAddName(b, sg_name)
        subgraph = tflite.SubGraphEnd(b)

        v_opcodes = self._vec_offsets(opcode_offsets)
        v_subgraphs = self._vec_offsets([subgraph])
        v_buffers = self._vec_offsets(buffer_offsets)
        v_sigs = self._vec_offsets([signature])
        desc = b.CreateString(g.description)
        tflite.ModelStart(b)
        tflite.ModelAddVersion(b, G.SCHEMA_VERSION)
        tflite.ModelAddOperatorCodes(b, v_opcodes)
        tflite.ModelAddSubgraphs(b, v_subgraphs)
        tflite.ModelAddDescription(b, desc)
        tflite.ModelAddBuffers(b, v_buffers)
        tflite.ModelAddSignatureDefs(b, v_sigs)
        model = tflite.ModelEnd(b)
        b.Finish(model, file_identifier=G.FILE_IDENTIFIER)
        return bytes(b.Output())


def _align16(n: int) -> int:
    return (n + 15) // 16 * 16


def build_external(graph: ir.Graph, writer_class: type[_Writer] = _Writer) -> bytes:
    """Constant data after the flatbuffer, found through Buffer.offset/size (TFLite's > 2 GB layout).
    Offsets are absolute in the file, 16-byte aligned. Two passes: the first, with placeholder offsets
    of the same encoded width, measures the flatbuffer; the second writes the real offsets."""
    probe = writer_class(graph)
    blobs, _ = probe.blobs()
    placeholder = {i: (1 << 40, len(d)) for i, d in enumerate(blobs) if d}
    head = writer_class(graph, placeholder).build()
    pos = _align16(len(head))
    external: dict[int, tuple[int, int]] = {}
    for i, d in enumerate(blobs):
        if d:
            external[i] = (pos, len(d))
            pos = _align16(pos + len(d))
    head2 = writer_class(graph, external).build()
    if len(head2) != len(head):  # pragma: no cover - the builder's layout does not depend on values
        raise EdgekdError("external-buffer layout changed between passes")
    out = bytearray(head2)
    for i, d in enumerate(blobs):
        if d:
            off, size = external[i]
            out.extend(b"\0" * (off - len(out)))
            out.extend(d)
    return bytes(out)


def write_tflite(graph: ir.Graph, validate: bool = True, external_buffers: bool = False) -> bytes:
    """Serialize ``graph`` to .tflite bytes. Raises EdgekdError naming the op/tensor at fault.
    ``external_buffers`` stores constant data after the flatbuffer (offset/size), as TFLite does for
    models over 2 GB; the default keeps it inside, which every TFLite reader accepts."""
    if validate:
        graph.validate()
    if external_buffers:
        return build_external(graph)
    return _Writer(graph).build()


def save(graph: ir.Graph, path: str | os.PathLike[str]) -> Path:
    """Write ``graph`` to ``path`` atomically (a temporary file in the same folder, then rename)."""
    data = write_tflite(graph)
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        # mkstemp's 0600 suits the file while it is written; the model gets what open() would give it.
        mask = os.umask(0o022)
        os.umask(mask)
        os.fchmod(fd, 0o666 & ~mask)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path

""".tflite flatbuffer -> ir.Graph, for inspection and tests (the runtime has its own C++ reader).

Every access is bounds-checked against the file, so malformed or truncated input ends in one
EdgekdError that names the field (``Model.subgraphs[0].tensors[7].quantization.scale``) instead of an
IndexError, a struct.error or a hang. Files from TensorFlow's converter are read too: operator codes
through ``deprecated_builtin_code`` when ``builtin_code`` is 0 or absent, buffers stored after the
flatbuffer via ``offset``/``size``, any buffer and opcode order, per-tensor and per-channel
quantization.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import ir
from ..errors import EdgekdError
from . import schema
from .schema import Slot


class _Table:
    """A flatbuffer table at ``pos`` in ``buf``; ``path`` names it for error messages."""

    __slots__ = ("buf", "pos", "path", "_vt", "_vt_len", "_obj_len")

    def __init__(self, buf: "_Buf", pos: int, path: str) -> None:
        self.buf, self.pos, self.path = buf, pos, path
        vt = pos - buf.i32(pos, path)
        self._vt = vt
        self._vt_len = buf.u16(vt, f"{path} (vtable)")
        self._obj_len = buf.u16(vt + 2, f"{path} (vtable)")
        if self._vt_len < 4 or self._vt_len % 2:
            raise buf.error(f"{path} (vtable)", f"vtable size {self._vt_len} is invalid")
        buf.check(vt, self._vt_len, f"{path} (vtable)")
        buf.check(pos, max(self._obj_len, 4), path)

    def _field(self, slot: int, name: str) -> int:
        """Absolute position of field ``slot``, 0 if absent."""
        entry = 4 + 2 * slot
        if entry + 2 > self._vt_len:
            return 0
        off = self.buf.u16(self._vt + entry, f"{self.path}.{name}")
        if off == 0:
            return 0
        if off >= self._obj_len:
            raise self.buf.error(f"{self.path}.{name}", f"field offset {off} beyond the table size {self._obj_len}")
        return self.pos + off

    def scalar(self, slot: int, name: str, fmt: str, default: Any) -> Any:
        p = self._field(slot, name)
        if not p:
            return default
        return self.buf.unpack(fmt, p, f"{self.path}.{name}")

    def _indirect(self, slot: int, name: str) -> int:
        p = self._field(slot, name)
        if not p:
            return 0
        target = p + self.buf.u32(p, f"{self.path}.{name}")
        self.buf.check(target, 4, f"{self.path}.{name}")
        return target

    def table(self, slot: int, name: str) -> "_Table | None":
        p = self._indirect(slot, name)
        return _Table(self.buf, p, f"{self.path}.{name}") if p else None

    def vector(self, slot: int, name: str, elem_size: int) -> tuple[int, int] | None:
        """(start, length) of a vector field, None if absent."""
        p = self._indirect(slot, name)
        if not p:
            return None
        n = self.buf.u32(p, f"{self.path}.{name}")
        self.buf.check(p + 4, n * elem_size, f"{self.path}.{name}")
        return p + 4, n

    def array(self, slot: int, name: str, dtype: str) -> np.ndarray | None:
        dt = np.dtype(dtype)
        v = self.vector(slot, name, dt.itemsize)
        if v is None:
            return None
        start, n = v
        return np.frombuffer(self.buf.data, dtype=dt, count=n, offset=start).copy() if n else np.zeros(0, dt)

    def string(self, slot: int, name: str) -> str | None:
        v = self.vector(slot, name, 1)
        if v is None:
            return None
        start, n = v
        return bytes(self.buf.data[start:start + n]).decode("utf-8", errors="replace")

    def tables(self, slot: int, name: str) -> list["_Table"]:
        v = self.vector(slot, name, 4)
        if v is None:
            return []
        start, n = v
        out = []
        for i in range(n):
            p = start + 4 * i
            out.append(_Table(self.buf, p + self.buf.u32(p, f"{self.path}.{name}[{i}]"), f"{self.path}.{name}[{i}]"))
        return out


class _Buf:
    def __init__(self, data: bytes, source: str) -> None:
        self.data = memoryview(data)
        self.size = len(data)
        self.source = source

    def error(self, where: str, what: str) -> EdgekdError:
        return EdgekdError(f"{self.source}: malformed .tflite at {where}: {what}")

    def check(self, pos: int, n: int, where: str) -> None:
        if pos < 0 or n < 0 or pos + n > self.size:
            raise self.error(where, f"{n} bytes at offset {pos} run past the end of the file "
                                    f"({self.size} bytes; truncated?)")

    def unpack(self, fmt: str, pos: int, where: str) -> Any:
        n = struct.calcsize(fmt)
        self.check(pos, n, where)
        return struct.unpack_from("<" + fmt, self.data, pos)[0]

    def i32(self, pos: int, where: str) -> int:
        return self.unpack("i", pos, where)

    def u32(self, pos: int, where: str) -> int:
        return self.unpack("I", pos, where)

    def u16(self, pos: int, where: str) -> int:
        return self.unpack("H", pos, where)


@dataclass
class ModelInfo:
    """What the file says beyond the graph: for `edgekd inspect`."""

    graph: ir.Graph
    file_size: int
    schema_version: int
    description: str
    num_subgraphs: int
    operator_codes: list[tuple[str, int]]          # (op type, version) in file order
    buffer_sizes: list[int]                        # bytes per buffer, in file order
    tensor_buffers: list[int]                      # buffer index per tensor
    external_buffers: int = 0                      # buffers stored after the flatbuffer (offset/size)
    metadata: list[str] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)


def _read_quant(t: _Table, tensor_shape: tuple[int, ...]) -> ir.QuantParams | None:
    q = t.table(Slot.TENSOR_QUANTIZATION, "quantization")
    if q is None:
        return None
    details = q.scalar(Slot.QUANT_DETAILS_TYPE, "details_type", "B", 0)
    if details:
        raise EdgekdError(f"{q.buf.source}: {q.path}.details: custom quantization is not supported")
    scale = q.array(Slot.QUANT_SCALE, "scale", "<f4")
    if scale is None or scale.size == 0:
        return None  # TF writes empty quantization tables on float tensors
    zp = q.array(Slot.QUANT_ZERO_POINT, "zero_point", "<i8")
    if zp is None or zp.size == 0:
        zp = np.zeros(scale.shape, np.int64)
    if zp.size != scale.size:
        raise q.buf.error(f"{q.path}.zero_point", f"{zp.size} zero points for {scale.size} scales")
    dim = q.scalar(Slot.QUANT_QUANTIZED_DIMENSION, "quantized_dimension", "i", 0)
    if scale.size > 1 and not 0 <= dim < len(tensor_shape):
        raise q.buf.error(f"{q.path}.quantized_dimension", f"{dim} outside a {len(tensor_shape)}-D shape")
    return ir.QuantParams(scale.astype(np.float32), zp, dim)


def _read_options(op: _Table, op_type: str) -> dict[str, Any]:
    table_name = schema.OP_OPTIONS_TABLE.get(op_type)
    type_code = op.scalar(Slot.OP_BUILTIN_OPTIONS_TYPE, "builtin_options_type", "B", 0)
    if table_name is None:
        return {}  # options we do not decode (or none): inspect shows the op without them
    fields = schema.OPTION_TABLES[table_name]
    opts: dict[str, Any] = {name: default for name, _k, default in fields if name is not None}
    if type_code == 0:
        return opts
    if type_code != schema.OPTIONS_TYPE_CODE[table_name]:
        raise op.buf.error(f"{op.path}.builtin_options_type",
                           f"{op_type} needs {table_name}, file has {schema.options_table_name(type_code)}")
    t = op.table(Slot.OP_BUILTIN_OPTIONS, "builtin_options")
    if t is None:
        return opts
    for slot, (name, kind, default) in enumerate(fields):
        if name is None:
            continue
        if kind == "i32":
            opts[name] = int(t.scalar(slot, name, "i", default))
        elif kind == "bool":
            opts[name] = bool(t.scalar(slot, name, "B", int(default)))
        elif kind == "f32":
            opts[name] = float(t.scalar(slot, name, "f", default))
        elif kind == "i32vec":
            arr = t.array(slot, name, "<i4")
            opts[name] = None if arr is None else [int(x) for x in arr]
        elif kind.startswith("enum:"):
            names = schema.ENUMS[kind[5:]]
            code = t.scalar(slot, name, "b", names.index(default))
            if not 0 <= code < len(names):
                raise op.buf.error(f"{t.path}.{name}", f"enum value {code} is not one of {', '.join(names)}")
            opts[name] = names[code]
    return opts


def read_tflite_info(source: bytes | bytearray | memoryview | str | os.PathLike[str]) -> ModelInfo:
    """Parse a .tflite file (path or bytes) into ModelInfo (graph of subgraph 0 plus file facts)."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise FileNotFoundError(f"{path}: no such file") from None
        name = str(path)
    else:
        data = bytes(source)
        name = "<bytes>"
    buf = _Buf(data, name)
    if buf.size < 8:
        raise buf.error("header", f"file is {buf.size} bytes, too short for a flatbuffer")
    ident = bytes(data[4:8])
    if ident != schema.FILE_IDENTIFIER:
        raise buf.error("file_identifier", f"{ident!r} is not {schema.FILE_IDENTIFIER!r} (not a .tflite file?)")
    root = buf.u32(0, "root offset")
    model = _Table(buf, root, "Model")

    version = model.scalar(Slot.MODEL_VERSION, "version", "I", 0)
    if version != schema.SCHEMA_VERSION:
        raise buf.error("Model.version", f"schema version {version}, only {schema.SCHEMA_VERSION} is supported")
    description = model.string(Slot.MODEL_DESCRIPTION, "description") or ""

    # operator codes
    opcodes: list[tuple[str, int, str | None]] = []
    for oc in model.tables(Slot.MODEL_OPERATOR_CODES, "operator_codes"):
        dep = oc.scalar(Slot.OPCODE_DEPRECATED_BUILTIN_CODE, "deprecated_builtin_code", "b", 0)
        code = oc.scalar(Slot.OPCODE_BUILTIN_CODE, "builtin_code", "i", 0)
        # As TFLite does: the larger of the two; old files only set the byte field.
        code = max(code, dep)
        ver = oc.scalar(Slot.OPCODE_VERSION, "version", "i", 1)
        custom = oc.string(Slot.OPCODE_CUSTOM_CODE, "custom_code")
        opcodes.append((schema.builtin_name(code), ver, custom))

    # buffers: inline data or (offset, size) into the file after the flatbuffer
    buffers: list[tuple[int, int]] = []   # (start, size) into data
    external = 0
    for bt in model.tables(Slot.MODEL_BUFFERS, "buffers"):
        v = bt.vector(Slot.BUFFER_DATA, "data", 1)
        offset = bt.scalar(Slot.BUFFER_OFFSET, "offset", "Q", 0)
        size = bt.scalar(Slot.BUFFER_SIZE, "size", "Q", 0)
        if v is not None and v[1] > 0:
            buffers.append(v)
        elif offset > 1:
            buf.check(offset, size, f"{bt.path}.offset")
            buffers.append((offset, size))
            external += 1
        else:
            buffers.append((0, 0))

    subgraphs = model.tables(Slot.MODEL_SUBGRAPHS, "subgraphs")
    if not subgraphs:
        raise buf.error("Model.subgraphs", "the model has no subgraph")
    sg = subgraphs[0]
    graph = ir.Graph(name=sg.string(Slot.SUBGRAPH_NAME, "name") or "main", description=description)

    tensor_buffers: list[int] = []
    for ti, t in enumerate(sg.tables(Slot.SUBGRAPH_TENSORS, "tensors")):
        shape_arr = t.array(Slot.TENSOR_SHAPE, "shape", "<i4")
        shape = tuple(int(d) for d in shape_arr) if shape_arr is not None else ()
        if any(d < 0 for d in shape):
            raise buf.error(f"{t.path}.shape", f"negative dimension in {list(shape)}")
        tcode = t.scalar(Slot.TENSOR_TYPE, "type", "b", 0)
        if not 0 <= tcode < len(schema.TENSOR_TYPES):
            raise buf.error(f"{t.path}.type", f"unknown tensor type {tcode}")
        dtype = schema.TENSOR_TYPES[tcode]
        bidx = t.scalar(Slot.TENSOR_BUFFER, "buffer", "I", 0)
        if bidx >= len(buffers) and not (bidx == 0 and not buffers):
            raise buf.error(f"{t.path}.buffer", f"buffer index {bidx}, the model has {len(buffers)} buffers")
        tname = t.string(Slot.TENSOR_NAME, "name") or f"tensor_{ti}"
        if t.table(Slot.TENSOR_SPARSITY, "sparsity") is not None:
            raise EdgekdError(f"{name}: {t.path} ({tname!r}): sparse tensors are not supported")
        sig = t.array(Slot.TENSOR_SHAPE_SIGNATURE, "shape_signature", "<i4")
        quant = _read_quant(t, shape)
        data_arr = None
        start, size = buffers[bidx] if buffers else (0, 0)
        if size:
            npt = ir.DTYPES.get(dtype)
            if npt is None:
                raise EdgekdError(f"{name}: {t.path} ({tname!r}): constant {dtype} tensors are not supported")
            dt = np.dtype(npt).newbyteorder("<")
            count = int(np.prod(shape, dtype=np.int64)) if shape else 1
            if count * dt.itemsize != size:
                raise buf.error(f"{t.path}.buffer", f"tensor {tname!r} {dtype}{list(shape)} needs "
                                                    f"{count * dt.itemsize} bytes, buffer {bidx} has {size}")
            data_arr = np.frombuffer(buf.data, dtype=dt, count=count, offset=start).astype(npt).reshape(shape)
        sig_t = tuple(int(d) for d in sig) if sig is not None and sig.size else None
        graph.tensors.append(ir.Tensor(tname, shape, dtype, data_arr, quant, sig_t))
        tensor_buffers.append(bidx)

    nt = len(graph.tensors)

    def indices(tb: _Table, slot: int, fname: str, allow_absent: bool) -> list[int]:
        arr = tb.array(slot, fname, "<i4")
        out = [] if arr is None else [int(x) for x in arr]
        for k, x in enumerate(out):
            if not (0 <= x < nt or (allow_absent and x == -1)):
                raise buf.error(f"{tb.path}.{fname}[{k}]", f"tensor index {x}, the subgraph has {nt} tensors")
        return out

    graph.inputs = indices(sg, Slot.SUBGRAPH_INPUTS, "inputs", False)
    graph.outputs = indices(sg, Slot.SUBGRAPH_OUTPUTS, "outputs", False)
    for op in sg.tables(Slot.SUBGRAPH_OPERATORS, "operators"):
        oi = op.scalar(Slot.OP_OPCODE_INDEX, "opcode_index", "I", 0)
        if oi >= len(opcodes):
            raise buf.error(f"{op.path}.opcode_index", f"{oi}, the model has {len(opcodes)} operator codes")
        op_type, ver, custom = opcodes[oi]
        options = _read_options(op, op_type)
        if op_type == "CUSTOM":
            options = {"custom_code": custom or ""}
        graph.ops.append(ir.Op(op_type, indices(op, Slot.OP_INPUTS, "inputs", True),
                               indices(op, Slot.OP_OUTPUTS, "outputs", False), options, ver))

    metadata = [m.string(Slot.METADATA_NAME, "name") or "" for m in model.tables(Slot.MODEL_METADATA, "metadata")]
    sigs = [s.string(Slot.SIGDEF_SIGNATURE_KEY, "signature_key") or ""
            for s in model.tables(Slot.MODEL_SIGNATURE_DEFS, "signature_defs")]
    return ModelInfo(graph=graph, file_size=buf.size, schema_version=version, description=description,
                     num_subgraphs=len(subgraphs), operator_codes=[(t, v) for t, v, _c in opcodes],
                     buffer_sizes=[s for _p, s in buffers], tensor_buffers=tensor_buffers,
                     external_buffers=external, metadata=metadata, signatures=sigs)


def read_tflite(source: bytes | bytearray | memoryview | str | os.PathLike[str]) -> ir.Graph:
    """Parse a .tflite file (path or bytes) into an ir.Graph (subgraph 0)."""
    return read_tflite_info(source).graph

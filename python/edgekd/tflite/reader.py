""".tflite flatbuffer -> ir.Graph, for inspection and tests (the runtime has its own C++ reader).

Tables are read through the classes the ``tflite`` package generates from TFLite's schema.fbs, so no
field id is written here. Those accessors trust the file; ``_Node`` does not: it checks each table's
vtable before use and turns any failed read into one EdgekdError that names the field
(``Model.subgraphs[0].tensors[7].quantization.scale``), never an IndexError, a struct.error or a hang.
Files from TensorFlow's converter are read too: operator codes through ``deprecated_builtin_code`` when
``builtin_code`` is 0 or absent, buffers stored after the flatbuffer via ``offset``/``size``, any buffer
and opcode order, per-tensor and per-channel quantization.
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
from . import generated as G
from .generated import tflite

# What the generated accessors raise when an offset or a length in the file is wrong.
_READ_ERRORS = (struct.error, IndexError, ValueError, TypeError, OverflowError)


class _Bytes(bytes):
    """The file's bytes. flatbuffers reads strings by slicing, which silently stops at the end of the
    buffer: here a slice past the end raises like every other read does."""

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice) and key.stop is not None and key.stop > len(self):
            raise IndexError(f"bytes {key.start}..{key.stop} run past the end")
        return super().__getitem__(key)


class _File:
    def __init__(self, data: bytes, source: str) -> None:
        self.data = _Bytes(data)
        self.size = len(data)
        self.source = source

    def error(self, where: str, what: str) -> EdgekdError:
        return EdgekdError(f"{self.source}: malformed .tflite at {where}: {what}")

    def check(self, pos: int, n: int, where: str) -> None:
        if pos < 0 or n < 0 or pos + n > self.size:
            raise self.error(where, f"{n} bytes at offset {pos} run past the end of the file "
                                    f"({self.size} bytes; truncated?)")

    def unreadable(self, where: str, e: Exception) -> EdgekdError:
        return self.error(where, f"cannot be read ({e}); the file has {self.size} bytes (truncated or corrupted?)")

    def check_table(self, pos: int, where: str) -> None:
        """A table's header and vtable lie inside the file (the accessors assume it)."""
        self.check(pos, 4, where)
        vt = pos - struct.unpack_from("<i", self.data, pos)[0]
        self.check(vt, 4, f"{where} (vtable)")
        vt_len, obj_len = struct.unpack_from("<HH", self.data, vt)
        if vt_len < 4 or vt_len % 2:
            raise self.error(f"{where} (vtable)", f"vtable size {vt_len} is invalid")
        self.check(vt, vt_len, f"{where} (vtable)")
        self.check(pos, max(obj_len, 4), where)


class _Node:
    """A generated table object and its path in the file. Fields are named as in schema.fbs."""

    __slots__ = ("file", "obj", "path")

    def __init__(self, file: _File, obj: Any, path: str) -> None:
        file.check_table(obj._tab.Pos, path)
        self.file, self.obj, self.path = file, obj, path

    def _get(self, name: str, suffix: str = "", *args: Any) -> Any:
        method = getattr(self.obj, G.camel(name) + suffix)
        try:
            return method(*args)
        except _READ_ERRORS as e:
            raise self.file.unreadable(f"{self.path}.{name}", e) from None

    def scalar(self, name: str) -> Any:
        return self._get(name)

    def string(self, name: str) -> str | None:
        v = self._get(name)
        return None if v is None else v.decode("utf-8", errors="replace")

    def array(self, name: str) -> np.ndarray | None:
        """A vector of scalars as a numpy array (a view into the file), None if absent."""
        if self._get(name, "IsNone"):
            return None
        return self._get(name, "AsNumpy")

    def table(self, name: str) -> "_Node | None":
        obj = self._get(name)
        return None if obj is None else _Node(self.file, obj, f"{self.path}.{name}")

    def union(self, name: str, table: str) -> "_Node | None":
        t = self._get(name)
        if t is None:
            return None
        obj = getattr(tflite, table)()
        obj.Init(t.Bytes, t.Pos)
        return _Node(self.file, obj, f"{self.path}.{name}")

    def tables(self, name: str) -> list["_Node"]:
        n = self._get(name, "Length")
        # Each element is read before the next, so a length larger than the file fails at the first
        # element past its end: the loop is bounded by the file size.
        return [_Node(self.file, self._get(name, "", i), f"{self.path}.{name}[{i}]") for i in range(n)]


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


def _read_quant(t: _Node, tensor_shape: tuple[int, ...]) -> ir.QuantParams | None:
    q = t.table("quantization")
    if q is None:
        return None
    if q.scalar("details_type"):
        raise EdgekdError(f"{q.file.source}: {q.path}.details: custom quantization is not supported")
    scale = q.array("scale")
    if scale is None or scale.size == 0:
        return None  # TF writes empty quantization tables on float tensors
    zp = q.array("zero_point")
    zp = np.zeros(scale.shape, np.int64) if zp is None or zp.size == 0 else zp.astype(np.int64)
    if zp.size != scale.size:
        raise q.file.error(f"{q.path}.zero_point", f"{zp.size} zero points for {scale.size} scales")
    dim = q.scalar("quantized_dimension")
    if scale.size > 1 and not 0 <= dim < len(tensor_shape):
        raise q.file.error(f"{q.path}.quantized_dimension", f"{dim} outside a {len(tensor_shape)}-D shape")
    return ir.QuantParams(scale.astype(np.float32), zp, dim)


def _read_options(op: _Node, op_type: str) -> dict[str, Any]:
    spec = G.option_fields(op_type)
    if spec is None:
        return {}  # options we do not decode (or none): inspect shows the op without them
    table, fields = spec
    opts: dict[str, Any] = {f.name: f.default for f in fields}
    type_code = op.scalar("builtin_options_type")
    if type_code == 0:
        return opts
    if type_code != G.OPTIONS_TYPE_CODE[table]:
        raise op.file.error(f"{op.path}.builtin_options_type",
                            f"{op_type} needs {table}, file has {G.options_table_name(type_code)}")
    t = op.union("builtin_options", table)
    if t is None:
        return opts
    for f in fields:
        if f.kind == "vector":
            arr = t.array(f.name)
            opts[f.name] = None if arr is None else [int(x) for x in arr]
        elif f.kind == "enum":
            code = t.scalar(f.name)
            if code not in f.enum:
                raise op.file.error(f"{t.path}.{f.name}",
                                    f"enum value {code} is not one of {', '.join(f.enum.values())}")
            opts[f.name] = f.enum[code]
        else:
            opts[f.name] = t.scalar(f.name)
    return opts


def _load(source: bytes | bytearray | memoryview | str | os.PathLike[str]) -> tuple[bytes, str]:
    if not isinstance(source, (str, os.PathLike)):
        return bytes(source), "<bytes>"
    path = Path(source)
    try:
        return path.read_bytes(), str(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise EdgekdError(f"{path}: is a directory, not a .tflite file") from None
    except OSError as e:
        raise EdgekdError(f"{path}: cannot read the file: {e.strerror or e}") from None


def read_tflite_info(source: bytes | bytearray | memoryview | str | os.PathLike[str]) -> ModelInfo:
    """Parse a .tflite file (path or bytes) into ModelInfo (graph of subgraph 0 plus file facts)."""
    data, name = _load(source)
    f = _File(data, name)
    if f.size < 8:
        raise f.error("header", f"file is {f.size} bytes, too short for a flatbuffer")
    ident = data[4:8]
    if ident != G.FILE_IDENTIFIER:
        raise f.error("file_identifier", f"{ident!r} is not {G.FILE_IDENTIFIER!r} (not a .tflite file?)")
    try:
        root = tflite.Model.GetRootAs(f.data, 0)
    except _READ_ERRORS as e:
        raise f.unreadable("root offset", e) from None
    model = _Node(f, root, "Model")

    version = model.scalar("version")
    if version != G.SCHEMA_VERSION:
        raise f.error("Model.version", f"schema version {version}, only {G.SCHEMA_VERSION} is supported")
    description = model.string("description") or ""

    opcodes: list[tuple[str, int, str | None]] = []
    for oc in model.tables("operator_codes"):
        # As TFLite does: the larger of the two; old files only set the byte field.
        code = max(oc.scalar("builtin_code"), oc.scalar("deprecated_builtin_code"))
        opcodes.append((G.builtin_name(code), oc.scalar("version"), oc.string("custom_code")))

    # buffers: inline data or (offset, size) into the file after the flatbuffer
    buffers: list[np.ndarray | None] = []
    external = 0
    for bt in model.tables("buffers"):
        inline = bt.array("data")
        offset, size = bt.scalar("offset"), bt.scalar("size")
        if inline is not None and inline.size > 0:
            buffers.append(inline)
        elif offset > 1:
            f.check(offset, size, f"{bt.path}.offset")
            buffers.append(np.frombuffer(f.data, np.uint8, count=size, offset=offset))
            external += 1
        else:
            buffers.append(None)

    subgraphs = model.tables("subgraphs")
    if not subgraphs:
        raise f.error("Model.subgraphs", "the model has no subgraph")
    sg = subgraphs[0]
    graph = ir.Graph(name=sg.string("name") or "main", description=description)

    tensor_buffers: list[int] = []
    for ti, t in enumerate(sg.tables("tensors")):
        shape_arr = t.array("shape")
        shape = tuple(int(d) for d in shape_arr) if shape_arr is not None else ()
        if any(d < 0 for d in shape):
            raise f.error(f"{t.path}.shape", f"negative dimension in {list(shape)}")
        tcode = t.scalar("type")
        if tcode not in G.TENSOR_TYPE_NAME:
            raise f.error(f"{t.path}.type", f"unknown tensor type {tcode}")
        dtype = G.TENSOR_TYPE_NAME[tcode]
        bidx = t.scalar("buffer")
        if bidx >= len(buffers) and not (bidx == 0 and not buffers):
            raise f.error(f"{t.path}.buffer", f"buffer index {bidx}, the model has {len(buffers)} buffers")
        tname = t.string("name") or f"tensor_{ti}"
        if t.table("sparsity") is not None:
            raise EdgekdError(f"{name}: {t.path} ({tname!r}): sparse tensors are not supported")
        sig = t.array("shape_signature")
        quant = _read_quant(t, shape)
        data_arr = None
        blob = buffers[bidx] if buffers else None
        if blob is not None:
            npt = ir.DTYPES.get(dtype)
            if npt is None:
                raise EdgekdError(f"{name}: {t.path} ({tname!r}): constant {dtype} tensors are not supported")
            dt = np.dtype(npt).newbyteorder("<")
            count = int(np.prod(shape, dtype=np.int64)) if shape else 1
            if count * dt.itemsize != blob.size:
                raise f.error(f"{t.path}.buffer", f"tensor {tname!r} {dtype}{list(shape)} needs "
                                                  f"{count * dt.itemsize} bytes, buffer {bidx} has {blob.size}")
            data_arr = blob.view(dt).astype(npt).reshape(shape)
        sig_t = tuple(int(d) for d in sig) if sig is not None and sig.size else None
        graph.tensors.append(ir.Tensor(tname, shape, dtype, data_arr, quant, sig_t))
        tensor_buffers.append(bidx)

    nt = len(graph.tensors)

    def indices(node: _Node, fname: str, allow_absent: bool) -> list[int]:
        arr = node.array(fname)
        out = [] if arr is None else [int(x) for x in arr]
        for k, x in enumerate(out):
            if not (0 <= x < nt or (allow_absent and x == -1)):
                raise f.error(f"{node.path}.{fname}[{k}]", f"tensor index {x}, the subgraph has {nt} tensors")
        return out

    graph.inputs = indices(sg, "inputs", False)
    graph.outputs = indices(sg, "outputs", False)
    for op in sg.tables("operators"):
        oi = op.scalar("opcode_index")
        if oi >= len(opcodes):
            raise f.error(f"{op.path}.opcode_index", f"{oi}, the model has {len(opcodes)} operator codes")
        op_type, ver, custom = opcodes[oi]
        options = _read_options(op, op_type)
        if op_type == "CUSTOM":
            options = {"custom_code": custom or ""}
        graph.ops.append(ir.Op(op_type, indices(op, "inputs", True), indices(op, "outputs", False), options, ver))

    metadata = [m.string("name") or "" for m in model.tables("metadata")]
    sigs = [s.string("signature_key") or "" for s in model.tables("signature_defs")]
    return ModelInfo(graph=graph, file_size=f.size, schema_version=version, description=description,
                     num_subgraphs=len(subgraphs), operator_codes=[(t, v) for t, v, _c in opcodes],
                     buffer_sizes=[0 if b is None else int(b.size) for b in buffers],
                     tensor_buffers=tensor_buffers, external_buffers=external, metadata=metadata,
                     signatures=sigs)


def read_tflite(source: bytes | bytearray | memoryview | str | os.PathLike[str]) -> ir.Graph:
    """Parse a .tflite file (path or bytes) into an ir.Graph (subgraph 0)."""
    return read_tflite_info(source).graph

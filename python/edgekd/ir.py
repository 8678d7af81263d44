"""The int8 graph IR: what `edgekd quantize` produces, what the .tflite writer consumes and what the
Python reader returns for inspection.

It mirrors one TFLite subgraph closely so that writing and reading are plain translations:

* ``Tensor``: a name, a static shape, a dtype (TFLite's type names in lower case: ``'int8'``,
  ``'int32'``, ``'float32'``, ...), ``data`` for constants (weights, bias, MEAN axes, PAD paddings,
  RESHAPE shapes) and ``quant`` (scale / zero point vectors plus the quantized dimension).
* ``Op``: a builtin operator name as in TFLite's schema (``'CONV_2D'``), input and output tensor
  indices (``-1`` marks an absent optional input, e.g. a FULLY_CONNECTED without bias) and an options
  dict whose keys are the schema's field names (see ``OPTION_DEFAULTS``). Enum-valued options are
  strings: ``padding`` is ``'SAME'``/``'VALID'``, ``fused_activation_function`` is
  ``'NONE'``/``'RELU'``/``'RELU6'``/``'RELU_N1_TO_1'``/``'TANH'``/``'SIGN_BIT'``.
* ``Graph``: the tensors, the ops in execution order, the graph input/output tensor indices, a name.

Conventions the writer and the runtime rely on (TFLite's int8 spec):

* CONV_2D weights are ``[O, KH, KW, I]`` with per-channel quantization on dimension 0;
  DEPTHWISE_CONV_2D weights are ``[1, KH, KW, C*M]`` quantized on dimension 3; FULLY_CONNECTED weights
  are ``[O, I]`` quantized on dimension 0. Weights are symmetric (zero point 0, values in [-127, 127]).
* Bias is int32 with scale ``s_in * s_w[c]`` and zero point 0.
* Activations are int8 per tensor, NHWC.

The IR holds no arithmetic: numbers are computed by the C++ reference kernels (DESIGN.md, "Arithmetic").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

from .errors import EdgekdError

# TFLite TensorType names (lower case) -> numpy dtype. Types without a numpy twin map to None.
DTYPES: dict[str, Any] = {
    "float32": np.float32,
    "float16": np.float16,
    "int32": np.int32,
    "uint8": np.uint8,
    "int64": np.int64,
    "string": None,
    "bool": np.bool_,
    "int16": np.int16,
    "complex64": np.complex64,
    "int8": np.int8,
    "float64": np.float64,
    "complex128": np.complex128,
    "uint64": np.uint64,
    "resource": None,
    "variant": None,
    "uint32": np.uint32,
    "uint16": np.uint16,
    "int4": None,
    "bfloat16": None,
}

# Quantized integer types and their value range (zero points must lie inside it).
INT_RANGES: dict[str, tuple[int, int]] = {
    "int8": (-128, 127),
    "uint8": (0, 255),
    "int16": (-32768, 32767),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "int4": (-8, 7),
}

FUSED_ACTIVATIONS = ("NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT")
PADDINGS = ("SAME", "VALID")

# Options per op with their defaults (the schema's defaults). The writer fills missing keys from here,
# the reader returns every key listed here, so a graph round-trips with the same dicts.
# Ops not listed have no options. Constant inputs (MEAN axes, PAD paddings, STRIDED_SLICE begin/end/
# strides, RESHAPE shape) are tensors, not options, exactly as in TFLite.
OPTION_DEFAULTS: dict[str, dict[str, Any]] = {
    "CONV_2D": {
        "padding": "SAME", "stride_w": 1, "stride_h": 1, "fused_activation_function": "NONE",
        "dilation_w_factor": 1, "dilation_h_factor": 1,
    },
    "DEPTHWISE_CONV_2D": {
        "padding": "SAME", "stride_w": 1, "stride_h": 1, "depth_multiplier": 1,
        "fused_activation_function": "NONE", "dilation_w_factor": 1, "dilation_h_factor": 1,
    },
    "FULLY_CONNECTED": {
        "fused_activation_function": "NONE", "weights_format": "DEFAULT", "keep_num_dims": False,
        "asymmetric_quantize_inputs": False,
    },
    "ADD": {"fused_activation_function": "NONE", "pot_scale_int16": True},
    "SUB": {"fused_activation_function": "NONE", "pot_scale_int16": True},
    "MUL": {"fused_activation_function": "NONE"},
    "MAX_POOL_2D": {
        "padding": "SAME", "stride_w": 1, "stride_h": 1, "filter_width": 1, "filter_height": 1,
        "fused_activation_function": "NONE",
    },
    "AVERAGE_POOL_2D": {
        "padding": "SAME", "stride_w": 1, "stride_h": 1, "filter_width": 1, "filter_height": 1,
        "fused_activation_function": "NONE",
    },
    "MEAN": {"keep_dims": False},
    "SUM": {"keep_dims": False},
    "REDUCE_MAX": {"keep_dims": False},
    "PAD": {},
    "CONCATENATION": {"axis": 0, "fused_activation_function": "NONE"},
    "RESHAPE": {"new_shape": None},  # None: no new_shape in the options (the shape tensor decides)
    "SOFTMAX": {"beta": 1.0},
    "SHAPE": {"out_type": "int32"},
    "STRIDED_SLICE": {
        "begin_mask": 0, "end_mask": 0, "ellipsis_mask": 0, "new_axis_mask": 0, "shrink_axis_mask": 0,
        "offset": False,
    },
    "PACK": {"values_count": 0, "axis": 0},
    # upsampling: TRANSPOSE_CONV's inputs are (output shape, weights [O, KH, KW, I], input, optional bias);
    # RESIZE_*'s second input is the output size (int32 [H, W])
    "TRANSPOSE_CONV": {"padding": "SAME", "stride_w": 1, "stride_h": 1, "fused_activation_function": "NONE"},
    "RESIZE_BILINEAR": {"align_corners": False, "half_pixel_centers": False},
    "RESIZE_NEAREST_NEIGHBOR": {"align_corners": False, "half_pixel_centers": False},
}


def _fmt_shape(shape: Sequence[int]) -> str:
    return "[" + ", ".join(str(int(d)) for d in shape) + "]"


@dataclass(eq=False)
class QuantParams:
    """Affine quantization: ``real = scale * (q - zero_point)``. Per tensor when ``scale`` has one
    element; per channel along ``quantized_dimension`` otherwise."""

    scale: np.ndarray
    zero_point: np.ndarray
    quantized_dimension: int = 0

    def __post_init__(self) -> None:
        self.scale = np.atleast_1d(np.asarray(self.scale, dtype=np.float32)).reshape(-1)
        self.zero_point = np.atleast_1d(np.asarray(self.zero_point, dtype=np.int64)).reshape(-1)
        self.quantized_dimension = int(self.quantized_dimension)

    @classmethod
    def per_tensor(cls, scale: float, zero_point: int = 0) -> "QuantParams":
        return cls(np.array([scale], np.float32), np.array([zero_point], np.int64), 0)

    @classmethod
    def per_channel(cls, scales: Iterable[float], axis: int, zero_points: Iterable[int] | None = None
                    ) -> "QuantParams":
        s = np.asarray(list(scales) if not isinstance(scales, np.ndarray) else scales, np.float32)
        zp = np.zeros(s.shape, np.int64) if zero_points is None else np.asarray(zero_points, np.int64)
        return cls(s, zp, axis)

    @property
    def per_channel_count(self) -> int:
        """Number of channels; 1 means per tensor."""
        return int(self.scale.size)

    @property
    def is_per_channel(self) -> bool:
        return self.scale.size > 1

    def dequantize(self, q: np.ndarray) -> np.ndarray:
        """Real values of ``q`` (float32), broadcasting per-channel parameters along their axis."""
        q = np.asarray(q)
        if not self.is_per_channel:
            return (self.scale[0] * (q.astype(np.float32) - np.float32(self.zero_point[0]))).astype(np.float32)
        bshape = [1] * q.ndim
        bshape[self.quantized_dimension] = -1
        s = self.scale.reshape(bshape)
        zp = self.zero_point.reshape(bshape).astype(np.float32)
        return (s * (q.astype(np.float32) - zp)).astype(np.float32)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, QuantParams):
            return NotImplemented
        return (np.array_equal(self.scale, other.scale) and np.array_equal(self.zero_point, other.zero_point)
                and (self.quantized_dimension == other.quantized_dimension or not self.is_per_channel))

    def __repr__(self) -> str:
        if self.is_per_channel:
            return (f"QuantParams(per-channel x{self.scale.size} dim={self.quantized_dimension}, "
                    f"scale=[{self.scale.min():.4g}..{self.scale.max():.4g}])")
        return f"QuantParams(scale={float(self.scale[0]):.6g}, zero_point={int(self.zero_point[0])})"


@dataclass(eq=False)
class Tensor:
    """One tensor. ``data`` is set for constants (its numpy dtype matches ``dtype`` and its shape
    matches ``shape``). ``shape_signature`` keeps TFLite's dynamic dims (-1), None when static."""

    name: str
    shape: tuple[int, ...]
    dtype: str = "int8"
    data: np.ndarray | None = None
    quant: QuantParams | None = None
    shape_signature: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        self.shape = tuple(int(d) for d in self.shape)
        if self.shape_signature is not None:
            self.shape_signature = tuple(int(d) for d in self.shape_signature)

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    @property
    def nbytes(self) -> int:
        return 0 if self.data is None else int(self.data.nbytes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tensor):
            return NotImplemented
        if (self.name, self.shape, self.dtype, self.shape_signature) != (
                other.name, other.shape, other.dtype, other.shape_signature):
            return False
        if (self.data is None) != (other.data is None):
            return False
        if self.data is not None and not (self.data.dtype == other.data.dtype
                                          and np.array_equal(self.data, other.data)):
            return False
        return self.quant == other.quant

    def __repr__(self) -> str:
        const = f", const {self.nbytes} B" if self.data is not None else ""
        q = f", {self.quant!r}" if self.quant is not None else ""
        return f"Tensor({self.name!r}, {_fmt_shape(self.shape)}, {self.dtype}{const}{q})"


@dataclass
class Op:
    """One operator. ``version`` is the TFLite operator-code version; None lets the writer choose the
    version TF's converter would emit for int8."""

    type: str
    inputs: list[int]
    outputs: list[int]
    options: dict[str, Any] = field(default_factory=dict)
    version: int | None = None

    def __post_init__(self) -> None:
        self.inputs = [int(i) for i in self.inputs]
        self.outputs = [int(i) for i in self.outputs]


@dataclass
class Graph:
    """A single-subgraph int8 model. Ops are stored in execution order."""

    tensors: list[Tensor] = field(default_factory=list)
    ops: list[Op] = field(default_factory=list)
    inputs: list[int] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)
    name: str = "main"
    description: str = "edgekd"

    # ---- building -------------------------------------------------------------------------------
    def add_tensor(self, name: str, shape: Sequence[int], dtype: str = "int8",
                   data: np.ndarray | None = None, quant: QuantParams | None = None,
                   shape_signature: Sequence[int] | None = None) -> int:
        """Append a tensor and return its index."""
        self.tensors.append(Tensor(name, tuple(shape), dtype, data, quant,
                                   None if shape_signature is None else tuple(shape_signature)))
        return len(self.tensors) - 1

    def add_constant(self, name: str, data: np.ndarray, quant: QuantParams | None = None) -> int:
        """Append a constant tensor; dtype and shape come from ``data``."""
        data = np.asarray(data, order="C")  # not ascontiguousarray: that turns scalars into shape [1]
        dtype = dtype_name(data.dtype)
        return self.add_tensor(name, data.shape, dtype, data, quant)

    def add_activation(self, name: str, shape: Sequence[int], scale: float, zero_point: int,
                       dtype: str = "int8") -> int:
        """Append a per-tensor quantized activation tensor."""
        return self.add_tensor(name, shape, dtype, None, QuantParams.per_tensor(scale, zero_point))

    def add_op(self, type: str, inputs: Sequence[int], outputs: Sequence[int],
               options: dict[str, Any] | None = None, **kw: Any) -> int:
        """Append an op (options may be given as a dict and/or keywords) and return its index."""
        opts = dict(options or {})
        opts.update(kw)
        self.ops.append(Op(type, list(inputs), list(outputs), opts))
        return len(self.ops) - 1

    # ---- queries --------------------------------------------------------------------------------
    def tensor(self, index: int) -> Tensor:
        return self.tensors[index]

    def find_tensor(self, name: str) -> int:
        for i, t in enumerate(self.tensors):
            if t.name == name:
                return i
        raise EdgekdError(f"graph {self.name!r}: no tensor named {name!r}")

    def producer(self, tensor_index: int) -> int | None:
        """Index of the op that writes ``tensor_index``, None for graph inputs and constants."""
        for i, op in enumerate(self.ops):
            if tensor_index in op.outputs:
                return i
        return None

    def consumers(self, tensor_index: int) -> list[int]:
        return [i for i, op in enumerate(self.ops) if tensor_index in op.inputs]

    def options_with_defaults(self, op: Op) -> dict[str, Any]:
        """``op.options`` completed with the schema defaults of its type."""
        opts = dict(OPTION_DEFAULTS.get(op.type, {}))
        opts.update(op.options)
        return opts

    def constant_bytes(self) -> int:
        return sum(t.nbytes for t in self.tensors)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Graph):
            return NotImplemented
        return (self.name == other.name and self.inputs == other.inputs and self.outputs == other.outputs
                and len(self.tensors) == len(other.tensors)
                and all(a == b for a, b in zip(self.tensors, other.tensors))
                and len(self.ops) == len(other.ops)
                and all(self._op_eq(a, b) for a, b in zip(self.ops, other.ops)))

    def _op_eq(self, a: Op, b: Op) -> bool:
        if (a.type, a.inputs, a.outputs) != (b.type, b.inputs, b.outputs):
            return False
        if a.version is not None and b.version is not None and a.version != b.version:
            return False
        oa, ob = self.options_with_defaults(a), self.options_with_defaults(b)
        if oa.keys() != ob.keys():
            return False
        for k in oa:
            va, vb = oa[k], ob[k]
            if isinstance(va, (list, tuple, np.ndarray)) or isinstance(vb, (list, tuple, np.ndarray)):
                if not np.array_equal(np.asarray(va), np.asarray(vb)):
                    return False
            elif isinstance(va, float) or isinstance(vb, float):
                if not np.float32(va) == np.float32(vb):
                    return False
            elif va != vb:
                return False
        return True

    def summary(self) -> str:
        lines = [f"Graph {self.name!r}: {len(self.ops)} ops, {len(self.tensors)} tensors, "
                 f"{self.constant_bytes()} constant bytes"]
        for i, op in enumerate(self.ops):
            ins = ", ".join(self.tensors[t].name if t >= 0 else "-" for t in op.inputs)
            outs = ", ".join(self.tensors[t].name for t in op.outputs)
            lines.append(f"  {i:3d} {op.type:<20s} ({ins}) -> ({outs})")
        return "\n".join(lines)

    # ---- checking -------------------------------------------------------------------------------
    def validate(self) -> None:
        """Check structure and quantization; raise EdgekdError naming the op or tensor at fault."""
        g = f"graph {self.name!r}"
        n = len(self.tensors)
        for i, t in enumerate(self.tensors):
            _validate_tensor(f"{g}: tensor {i} ({t.name!r})", t)

        def check_index(where: str, idx: int, allow_absent: bool = False) -> None:
            if allow_absent and idx == -1:
                return
            if not 0 <= idx < n:
                raise EdgekdError(f"{g}: {where} refers to tensor {idx}, but the graph has {n} tensors")

        for k, idx in enumerate(self.inputs):
            check_index(f"graph input {k}", idx)
            if self.tensors[idx].data is not None:
                raise EdgekdError(f"{g}: graph input {k} (tensor {idx} {self.tensors[idx].name!r}) is a constant")
        for k, idx in enumerate(self.outputs):
            check_index(f"graph output {k}", idx)

        available = {i for i, t in enumerate(self.tensors) if t.data is not None} | set(self.inputs)
        produced: dict[int, int] = {}
        for oi, op in enumerate(self.ops):
            where = f"op {oi} ({op.type})"
            if not op.type or not isinstance(op.type, str):
                raise EdgekdError(f"{g}: op {oi} has no type")
            if not op.outputs:
                raise EdgekdError(f"{g}: {where} has no outputs")
            for k, idx in enumerate(op.inputs):
                check_index(f"{where} input {k}", idx, allow_absent=True)
                if idx >= 0 and idx not in available:
                    raise EdgekdError(
                        f"{g}: {where} input {k} reads tensor {idx} ({self.tensors[idx].name!r}) before any op "
                        f"writes it (not a constant, not a graph input, or ops out of order)")
            for k, idx in enumerate(op.outputs):
                check_index(f"{where} output {k}", idx)
                t = self.tensors[idx]
                if t.data is not None:
                    raise EdgekdError(f"{g}: {where} output {k} writes constant tensor {idx} ({t.name!r})")
                if idx in self.inputs:
                    raise EdgekdError(f"{g}: {where} output {k} writes graph input tensor {idx} ({t.name!r})")
                if idx in produced:
                    raise EdgekdError(f"{g}: {where} output {k} writes tensor {idx} ({t.name!r}), "
                                      f"already written by op {produced[idx]}")
                produced[idx] = oi
                available.add(idx)
            _validate_options(f"{g}: {where}", op)
        for k, idx in enumerate(self.outputs):
            if idx not in available:
                raise EdgekdError(f"{g}: graph output {k} (tensor {idx} {self.tensors[idx].name!r}) "
                                  f"is never written")


def dtype_name(dtype: Any) -> str:
    """TFLite type name for a numpy dtype."""
    dt = np.dtype(dtype)
    for name, npt in DTYPES.items():
        if npt is not None and np.dtype(npt) == dt:
            return name
    raise EdgekdError(f"numpy dtype {dt} has no TFLite tensor type")


def _validate_tensor(where: str, t: Tensor) -> None:
    if t.dtype not in DTYPES:
        raise EdgekdError(f"{where}: unknown dtype {t.dtype!r} (known: {', '.join(DTYPES)})")
    if any(d < 0 for d in t.shape):
        raise EdgekdError(f"{where}: negative dimension in shape {_fmt_shape(t.shape)}")
    if t.data is not None:
        npt = DTYPES[t.dtype]
        if npt is not None and t.data.dtype != np.dtype(npt):
            raise EdgekdError(f"{where}: data has numpy dtype {t.data.dtype}, tensor dtype is {t.dtype}")
        if tuple(t.data.shape) != t.shape:
            raise EdgekdError(f"{where}: data shape {_fmt_shape(t.data.shape)} != tensor shape {_fmt_shape(t.shape)}")
    q = t.quant
    if q is None:
        return
    if q.scale.size != q.zero_point.size and q.zero_point.size != 1:
        raise EdgekdError(f"{where}: {q.scale.size} scales but {q.zero_point.size} zero points")
    if q.scale.size == 0:
        raise EdgekdError(f"{where}: quantization has no scale")
    if not np.all(np.isfinite(q.scale)) or not np.all(q.scale > 0):
        bad = q.scale[~(np.isfinite(q.scale) & (q.scale > 0))][0]
        raise EdgekdError(f"{where}: quantization scale {bad} is not a positive finite number")
    if t.dtype in INT_RANGES:
        lo, hi = INT_RANGES[t.dtype]
        if q.zero_point.min() < lo or q.zero_point.max() > hi:
            raise EdgekdError(f"{where}: zero point outside the {t.dtype} range [{lo}, {hi}]")
    if q.is_per_channel:
        if not 0 <= q.quantized_dimension < len(t.shape):
            raise EdgekdError(f"{where}: quantized_dimension {q.quantized_dimension} outside a "
                              f"{len(t.shape)}-D shape")
        if t.shape[q.quantized_dimension] != q.scale.size:
            raise EdgekdError(f"{where}: {q.scale.size} per-channel scales but dimension "
                              f"{q.quantized_dimension} has size {t.shape[q.quantized_dimension]}")


def _validate_options(where: str, op: Op) -> None:
    defaults = OPTION_DEFAULTS.get(op.type)
    if defaults is None:
        return
    unknown = set(op.options) - set(defaults)
    if unknown:
        raise EdgekdError(f"{where}: unknown option(s) {', '.join(sorted(unknown))} "
                          f"(known: {', '.join(defaults) or 'none'})")
    opts = {**defaults, **op.options}
    if "padding" in opts and opts["padding"] not in PADDINGS:
        raise EdgekdError(f"{where}: padding {opts['padding']!r} is not one of {PADDINGS}")
    if "fused_activation_function" in opts and opts["fused_activation_function"] not in FUSED_ACTIVATIONS:
        raise EdgekdError(f"{where}: fused_activation_function {opts['fused_activation_function']!r} "
                          f"is not one of {FUSED_ACTIVATIONS}")
    for k in ("stride_w", "stride_h", "dilation_w_factor", "dilation_h_factor", "filter_width",
              "filter_height", "depth_multiplier"):
        if k in opts and int(opts[k]) < 1:
            raise EdgekdError(f"{where}: {k} = {opts[k]} must be >= 1")

"""edgekd's names on the code that the ``tflite`` package generates with flatc from TensorFlow's
schema.fbs. Every enum value, union member and field id the reader and the writer use comes from there;
this module only adds what the schema does not say: which options table an op uses, which option fields
hold enums, and how an option key of ``ir.Op.options`` (the schema's snake_case field name) reaches the
generated accessor (``stride_w`` -> ``Conv2DOptions.StrideW``, ``Conv2DOptionsAddStrideW``).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import flatbuffers

from .. import ir

try:
    import tflite
except ImportError as e:  # a declared dependency, but an install made with --no-deps lacks it
    raise ImportError("edgekd's .tflite reader and writer need the 'tflite' package "
                      "(pip install 'tflite>=2.18,<3')") from e

FILE_IDENTIFIER = b"TFL3"
SCHEMA_VERSION = 3


def _members(enum_class: type) -> dict[str, int]:
    return {k: v for k, v in vars(enum_class).items() if not k.startswith("_") and isinstance(v, int)}


BUILTIN_CODE: dict[str, int] = _members(tflite.BuiltinOperator)
_BUILTIN_NAME: dict[int, str] = {v: k for k, v in BUILTIN_CODE.items()}
# Codes at or above this live only in OperatorCode.builtin_code; deprecated_builtin_code holds it.
PLACEHOLDER_FOR_GREATER_OP_CODES: int = tflite.BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES

# ir dtype names are TensorType's member names in lower case.
TENSOR_TYPE_CODE: dict[str, int] = {k.lower(): v for k, v in _members(tflite.TensorType).items()}
TENSOR_TYPE_NAME: dict[int, str] = {v: k for k, v in TENSOR_TYPE_CODE.items()}

OPTIONS_TYPE_CODE: dict[str, int] = {k: v for k, v in _members(tflite.BuiltinOptions).items() if v}
_OPTIONS_TABLE_NAME: dict[int, str] = {v: k for k, v in OPTIONS_TYPE_CODE.items()}

# Option fields whose value is an enum, shown in ir.Op.options by member name.
_ENUM_FIELDS: dict[str, dict[int, str]] = {
    "padding": {v: k for k, v in _members(tflite.Padding).items()},
    "fused_activation_function": {v: k for k, v in _members(tflite.ActivationFunctionType).items()},
    "weights_format": {v: k for k, v in _members(tflite.FullyConnectedOptionsWeightsFormat).items()},
    "out_type": TENSOR_TYPE_NAME,
}

# The options table each builtin op carries (TFLite's op registrations say this, not the schema).
# Ops not listed are written without options and read with none.
OP_OPTIONS_TABLE: dict[str, str] = {
    "CONV_2D": "Conv2DOptions",
    "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions",
    "MAX_POOL_2D": "Pool2DOptions",
    "AVERAGE_POOL_2D": "Pool2DOptions",
    "L2_POOL_2D": "Pool2DOptions",
    "FULLY_CONNECTED": "FullyConnectedOptions",
    "SOFTMAX": "SoftmaxOptions",
    "CONCATENATION": "ConcatenationOptions",
    "ADD": "AddOptions",
    "SUB": "SubOptions",
    "MUL": "MulOptions",
    "RESHAPE": "ReshapeOptions",
    "MEAN": "ReducerOptions",
    "SUM": "ReducerOptions",
    "REDUCE_MAX": "ReducerOptions",
    "REDUCE_MIN": "ReducerOptions",
    "REDUCE_PROD": "ReducerOptions",
    "STRIDED_SLICE": "StridedSliceOptions",
    "SHAPE": "ShapeOptions",
    "PACK": "PackOptions",
    "SQUEEZE": "SqueezeOptions",
    "LEAKY_RELU": "LeakyReluOptions",
    "GATHER": "GatherOptions",
    "PAD": "PadOptions",
    "PADV2": "PadV2Options",
    "QUANTIZE": "QuantizeOptions",
    "DEQUANTIZE": "DequantizeOptions",
    "HARD_SWISH": "HardSwishOptions",
    "TRANSPOSE": "TransposeOptions",
    # upsampling ops that `edgekd quantize` exports
    "TRANSPOSE_CONV": "TransposeConvOptions",
    "RESIZE_BILINEAR": "ResizeBilinearOptions",
    "RESIZE_NEAREST_NEIGHBOR": "ResizeNearestNeighborOptions",
}


@functools.lru_cache(maxsize=None)
def camel(field: str) -> str:
    """flatc's Python name for a schema field: ``dilation_w_factor`` -> ``DilationWFactor``."""
    return "".join(part[:1].upper() + part[1:] for part in field.split("_"))


def snake(name: str) -> str:
    """The schema field name of a generated accessor: ``PotScaleInt16`` -> ``pot_scale_int16``."""
    out = ""
    for i, ch in enumerate(name):
        out += ("_" if i and ch.isupper() else "") + ch.lower()
    return out


def builtin_name(code: int) -> str:
    """Name of a builtin operator code; codes newer than the schema become ``BUILTIN_<code>``."""
    return _BUILTIN_NAME.get(code, f"BUILTIN_{code}")


def options_table_name(type_code: int) -> str | None:
    if type_code == 0:
        return None
    return _OPTIONS_TABLE_NAME.get(type_code, f"BuiltinOptions_{type_code}")


@dataclass(frozen=True)
class OptionField:
    """One field of an options table. ``kind``: ``int``, ``bool``, ``float``, ``enum`` (``enum`` maps
    codes to names) or ``vector`` (int32 values, None when absent). ``default`` is the schema's."""

    name: str
    kind: str
    default: Any
    enum: dict[int, str] | None = None


@functools.lru_cache(maxsize=1)
def _empty_table() -> bytes:
    """A flatbuffer whose root table has no fields: every generated accessor reads its default there."""
    b = flatbuffers.Builder(16)
    b.StartObject(0)
    b.Finish(b.EndObject())
    return bytes(b.Output())


def table_fields(table: str) -> list[str]:
    """The schema field names of a generated table class, from its accessors."""
    cls = getattr(tflite, table)
    names = []
    for attr in vars(cls):
        if (not attr[:1].isupper() or attr == "Init" or attr.startswith("GetRootAs")
                or attr.endswith(("BufferHasIdentifier", "Length", "IsNone", "AsNumpy"))):
            continue
        names.append(snake(attr))
    return names


@functools.lru_cache(maxsize=None)
def option_fields(op_type: str) -> tuple[str, tuple[OptionField, ...]] | None:
    """(options table, fields) of ``op_type``; None for ops without options. The fields are the keys
    of ``ir.OPTION_DEFAULTS[op_type]``, or every field of the table for ops the IR does not describe."""
    table = OP_OPTIONS_TABLE.get(op_type)
    if table is None:
        return None
    cls = getattr(tflite, table)
    empty = cls.GetRootAs(_empty_table(), 0)
    names = list(ir.OPTION_DEFAULTS[op_type]) if op_type in ir.OPTION_DEFAULTS else table_fields(table)
    fields = []
    for name in names:
        acc = camel(name)
        if not hasattr(cls, acc):
            raise KeyError(f"{table} has no field {name!r}")
        if hasattr(cls, acc + "AsNumpy"):
            fields.append(OptionField(name, "vector", None))
            continue
        default = getattr(empty, acc)()
        if name in _ENUM_FIELDS:
            enum = _ENUM_FIELDS[name]
            fields.append(OptionField(name, "enum", enum[default], enum))
        else:
            kind = "bool" if isinstance(default, bool) else "float" if isinstance(default, float) else "int"
            fields.append(OptionField(name, kind, default))
    return table, tuple(fields)

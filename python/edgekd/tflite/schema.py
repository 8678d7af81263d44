"""Numbers from TFLite's public schema (tensorflow/compiler/mlir/lite/schema/schema.fbs, schema version 3):
enum values, union member indices and the slot (field id) of every table field that edgekd reads or
writes. Written by hand from the schema text; the flatbuffer layout is ours to build with the
``flatbuffers`` runtime package, no generated code is used.

A flatbuffer table field's slot is its position in the table declaration; a union field takes two
slots (``<name>_type`` then ``<name>``). Keep entries in declaration order: the order IS the id.
"""
from __future__ import annotations

from typing import Any

FILE_IDENTIFIER = b"TFL3"
SCHEMA_VERSION = 3

# enum TensorType : byte
TENSOR_TYPES: tuple[str, ...] = (
    "float32", "float16", "int32", "uint8", "int64", "string", "bool", "int16", "complex64", "int8",
    "float64", "complex128", "uint64", "resource", "variant", "uint32", "uint16", "int4", "bfloat16",
)
TENSOR_TYPE_CODE: dict[str, int] = {n: i for i, n in enumerate(TENSOR_TYPES)}

# enum BuiltinOperator : int32 (values 0..161; the STABLEHLO_* range is left out: no runtime support)
BUILTIN_OPERATORS: tuple[str, ...] = (
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE",
    "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP", "L2_NORMALIZATION",
    "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION", "LSTM", "MAX_POOL_2D",
    "MUL", "RELU", "RELU_N1_TO_1", "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RNN", "SOFTMAX",
    "SPACE_TO_DEPTH", "SVDF", "TANH", "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM",
    "EMBEDDING_LOOKUP_SPARSE", "PAD", "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND",
    "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM",
    "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2", "SPLIT", "LOG_SOFTMAX", "DELEGATE",
    "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM", "ARG_MAX", "MINIMUM", "LESS", "NEG",
    "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT", "SLICE", "SIN", "TRANSPOSE_CONV",
    "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG", "SUM", "SQRT", "RSQRT",
    "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR",
    "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY",
    "SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD", "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU",
    "SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS", "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N",
    "GATHER_ND", "COS", "WHERE", "RANK", "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE",
    "MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF", "WHILE", "NON_MAX_SUPPRESSION_V4",
    "NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2", "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL",
    "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", "BROADCAST_TO", "RFFT2D", "CONV_3D",
    "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE", "HASHTABLE_FIND", "HASHTABLE_IMPORT", "HASHTABLE_SIZE",
    "REDUCE_ALL", "CONV_3D_TRANSPOSE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE",
    "BROADCAST_ARGS", "RANDOM_STANDARD_NORMAL", "BUCKETIZE", "RANDOM_UNIFORM", "MULTINOMIAL", "GELU",
    "DYNAMIC_UPDATE_SLICE", "RELU_0_TO_1", "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX",
    "UNSORTED_SEGMENT_SUM", "ATAN2", "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST", "BITWISE_XOR",
    "RIGHT_SHIFT",
)
BUILTIN_CODE: dict[str, int] = {n: i for i, n in enumerate(BUILTIN_OPERATORS)}
# Codes at or above this live only in OperatorCode.builtin_code; deprecated_builtin_code holds 127.
PLACEHOLDER_FOR_GREATER_OP_CODES = 127

# union BuiltinOptions: member i has type code i + 1 (0 is NONE). Order from the schema.
BUILTIN_OPTIONS_UNION: tuple[str, ...] = (
    "Conv2DOptions", "DepthwiseConv2DOptions", "ConcatEmbeddingsOptions", "LSHProjectionOptions",
    "Pool2DOptions", "SVDFOptions", "RNNOptions", "FullyConnectedOptions", "SoftmaxOptions",
    "ConcatenationOptions", "AddOptions", "L2NormOptions", "LocalResponseNormalizationOptions",
    "LSTMOptions", "ResizeBilinearOptions", "CallOptions", "ReshapeOptions", "SkipGramOptions",
    "SpaceToDepthOptions", "EmbeddingLookupSparseOptions", "MulOptions", "PadOptions", "GatherOptions",
    "BatchToSpaceNDOptions", "SpaceToBatchNDOptions", "TransposeOptions", "ReducerOptions",
    "SubOptions", "DivOptions", "SqueezeOptions", "SequenceRNNOptions", "StridedSliceOptions",
    "ExpOptions", "TopKV2Options", "SplitOptions", "LogSoftmaxOptions", "CastOptions",
    "DequantizeOptions", "MaximumMinimumOptions", "ArgMaxOptions", "LessOptions", "NegOptions",
    "PadV2Options", "GreaterOptions", "GreaterEqualOptions", "LessEqualOptions", "SelectOptions",
    "SliceOptions", "TransposeConvOptions", "SparseToDenseOptions", "TileOptions",
    "ExpandDimsOptions", "EqualOptions", "NotEqualOptions", "ShapeOptions", "PowOptions",
    "ArgMinOptions", "FakeQuantOptions", "PackOptions", "LogicalOrOptions", "OneHotOptions",
    "LogicalAndOptions", "LogicalNotOptions", "UnpackOptions", "FloorDivOptions", "SquareOptions",
    "ZerosLikeOptions", "FillOptions", "BidirectionalSequenceLSTMOptions",
    "BidirectionalSequenceRNNOptions", "UnidirectionalSequenceLSTMOptions", "FloorModOptions",
    "RangeOptions", "ResizeNearestNeighborOptions", "LeakyReluOptions", "SquaredDifferenceOptions",
    "MirrorPadOptions", "AbsOptions", "SplitVOptions", "UniqueOptions", "ReverseV2Options",
    "AddNOptions", "GatherNdOptions", "CosOptions", "WhereOptions", "RankOptions",
    "ReverseSequenceOptions", "MatrixDiagOptions", "QuantizeOptions", "MatrixSetDiagOptions",
    "HardSwishOptions", "IfOptions", "WhileOptions", "DepthToSpaceOptions",
    "NonMaxSuppressionV4Options", "NonMaxSuppressionV5Options", "ScatterNdOptions", "SelectV2Options",
    "DensifyOptions", "SegmentSumOptions", "BatchMatMulOptions", "CumsumOptions", "CallOnceOptions",
    "BroadcastToOptions", "Rfft2dOptions", "Conv3DOptions", "HashtableOptions",
    "HashtableFindOptions", "HashtableImportOptions", "HashtableSizeOptions", "VarHandleOptions",
    "ReadVariableOptions", "AssignVariableOptions", "RandomOptions", "BucketizeOptions",
    "GeluOptions", "DynamicUpdateSliceOptions", "UnsortedSegmentProdOptions",
    "UnsortedSegmentMaxOptions", "UnsortedSegmentMinOptions", "UnsortedSegmentSumOptions",
    "ATan2Options", "SignOptions", "BitcastOptions", "BitwiseXorOptions", "RightShiftOptions",
)
OPTIONS_TYPE_CODE: dict[str, int] = {n: i + 1 for i, n in enumerate(BUILTIN_OPTIONS_UNION)}

PADDING: tuple[str, ...] = ("SAME", "VALID")
ACTIVATION: tuple[str, ...] = ("NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT")
WEIGHTS_FORMAT: tuple[str, ...] = ("DEFAULT", "SHUFFLED4x16INT8")

# Field kinds of option tables: how a value is stored and how it appears in ir.Op.options.
#   i32: int32 scalar; bool: bool scalar; f32: float scalar; i32vec: vector of int32 (None if absent)
#   enum:<name>: a byte enum shown as its string (PADDING, ACTIVATION, WEIGHTS_FORMAT, TENSOR_TYPES)
ENUMS: dict[str, tuple[str, ...]] = {
    "padding": PADDING, "activation": ACTIVATION, "weights_format": WEIGHTS_FORMAT,
    "tensor_type": TENSOR_TYPES,
}

# Option tables edgekd understands: table -> fields in declaration order (slot = position) as
# (field name, kind, schema default). A field named None is a slot we skip (declared but unused).
OPTION_TABLES: dict[str, tuple[tuple[str | None, str, Any], ...]] = {
    "Conv2DOptions": (
        ("padding", "enum:padding", "SAME"), ("stride_w", "i32", 0), ("stride_h", "i32", 0),
        ("fused_activation_function", "enum:activation", "NONE"), ("dilation_w_factor", "i32", 1),
        ("dilation_h_factor", "i32", 1),
    ),
    "DepthwiseConv2DOptions": (
        ("padding", "enum:padding", "SAME"), ("stride_w", "i32", 0), ("stride_h", "i32", 0),
        ("depth_multiplier", "i32", 0), ("fused_activation_function", "enum:activation", "NONE"),
        ("dilation_w_factor", "i32", 1), ("dilation_h_factor", "i32", 1),
    ),
    "Pool2DOptions": (
        ("padding", "enum:padding", "SAME"), ("stride_w", "i32", 0), ("stride_h", "i32", 0),
        ("filter_width", "i32", 0), ("filter_height", "i32", 0),
        ("fused_activation_function", "enum:activation", "NONE"),
    ),
    "FullyConnectedOptions": (
        ("fused_activation_function", "enum:activation", "NONE"),
        ("weights_format", "enum:weights_format", "DEFAULT"), ("keep_num_dims", "bool", False),
        ("asymmetric_quantize_inputs", "bool", False),
    ),
    "SoftmaxOptions": (("beta", "f32", 0.0),),
    "ConcatenationOptions": (("axis", "i32", 0), ("fused_activation_function", "enum:activation", "NONE")),
    "AddOptions": (("fused_activation_function", "enum:activation", "NONE"), ("pot_scale_int16", "bool", True)),
    "SubOptions": (("fused_activation_function", "enum:activation", "NONE"), ("pot_scale_int16", "bool", True)),
    "MulOptions": (("fused_activation_function", "enum:activation", "NONE"),),
    "ReshapeOptions": (("new_shape", "i32vec", None),),
    "ReducerOptions": (("keep_dims", "bool", False),),
    "StridedSliceOptions": (
        ("begin_mask", "i32", 0), ("end_mask", "i32", 0), ("ellipsis_mask", "i32", 0),
        ("new_axis_mask", "i32", 0), ("shrink_axis_mask", "i32", 0), ("offset", "bool", False),
    ),
    "ShapeOptions": (("out_type", "enum:tensor_type", "float32"),),
    "PackOptions": (("values_count", "i32", 0), ("axis", "i32", 0)),
    "SqueezeOptions": (("squeeze_dims", "i32vec", None),),
    "LeakyReluOptions": (("alpha", "f32", 0.0),),
    "GatherOptions": (("axis", "i32", 0), ("batch_dims", "i32", 0)),
    "PadOptions": (),
    "PadV2Options": (),
    "QuantizeOptions": (),
    "DequantizeOptions": (),
    "HardSwishOptions": (),
    "TransposeOptions": (),
}

# Which option table each builtin op uses (ops not listed have no options table).
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
}


class Slot:
    """Field slots (ids) of the structural tables, in schema declaration order."""

    # table Model
    MODEL_VERSION, MODEL_OPERATOR_CODES, MODEL_SUBGRAPHS, MODEL_DESCRIPTION, MODEL_BUFFERS = 0, 1, 2, 3, 4
    MODEL_METADATA_BUFFER, MODEL_METADATA, MODEL_SIGNATURE_DEFS = 5, 6, 7
    MODEL_NUM_FIELDS = 8
    # table SubGraph
    SUBGRAPH_TENSORS, SUBGRAPH_INPUTS, SUBGRAPH_OUTPUTS, SUBGRAPH_OPERATORS, SUBGRAPH_NAME = 0, 1, 2, 3, 4
    SUBGRAPH_NUM_FIELDS = 5
    # table Tensor
    TENSOR_SHAPE, TENSOR_TYPE, TENSOR_BUFFER, TENSOR_NAME, TENSOR_QUANTIZATION = 0, 1, 2, 3, 4
    TENSOR_IS_VARIABLE, TENSOR_SPARSITY, TENSOR_SHAPE_SIGNATURE, TENSOR_HAS_RANK = 5, 6, 7, 8
    TENSOR_NUM_FIELDS = 10
    # table QuantizationParameters (details is a union: type slot 4, value slot 5)
    QUANT_MIN, QUANT_MAX, QUANT_SCALE, QUANT_ZERO_POINT = 0, 1, 2, 3
    QUANT_DETAILS_TYPE, QUANT_DETAILS, QUANT_QUANTIZED_DIMENSION = 4, 5, 6
    QUANT_NUM_FIELDS = 7
    # table OperatorCode
    OPCODE_DEPRECATED_BUILTIN_CODE, OPCODE_CUSTOM_CODE, OPCODE_VERSION, OPCODE_BUILTIN_CODE = 0, 1, 2, 3
    OPCODE_NUM_FIELDS = 4
    # table Operator (builtin_options is a union: type slot 3, value slot 4)
    OP_OPCODE_INDEX, OP_INPUTS, OP_OUTPUTS, OP_BUILTIN_OPTIONS_TYPE, OP_BUILTIN_OPTIONS = 0, 1, 2, 3, 4
    OP_CUSTOM_OPTIONS, OP_CUSTOM_OPTIONS_FORMAT, OP_MUTATING_VARIABLE_INPUTS, OP_INTERMEDIATES = 5, 6, 7, 8
    OP_LARGE_CUSTOM_OPTIONS_OFFSET, OP_LARGE_CUSTOM_OPTIONS_SIZE = 9, 10
    OP_BUILTIN_OPTIONS_2_TYPE, OP_BUILTIN_OPTIONS_2 = 11, 12
    OP_NUM_FIELDS = 13
    # table Buffer
    BUFFER_DATA, BUFFER_OFFSET, BUFFER_SIZE = 0, 1, 2
    BUFFER_NUM_FIELDS = 3
    # table Metadata
    METADATA_NAME, METADATA_BUFFER = 0, 1
    # table SignatureDef / TensorMap
    SIGDEF_INPUTS, SIGDEF_OUTPUTS, SIGDEF_SIGNATURE_KEY, SIGDEF_DEPRECATED_TAG, SIGDEF_SUBGRAPH_INDEX = 0, 1, 2, 3, 4
    SIGDEF_NUM_FIELDS = 5
    TENSORMAP_NAME, TENSORMAP_TENSOR_INDEX = 0, 1
    TENSORMAP_NUM_FIELDS = 2


def builtin_name(code: int) -> str:
    """Name of a builtin operator code; unknown (newer) codes become ``BUILTIN_<code>``."""
    if 0 <= code < len(BUILTIN_OPERATORS):
        return BUILTIN_OPERATORS[code]
    return f"BUILTIN_{code}"


def options_table_name(type_code: int) -> str | None:
    if type_code == 0:
        return None
    if 1 <= type_code <= len(BUILTIN_OPTIONS_UNION):
        return BUILTIN_OPTIONS_UNION[type_code - 1]
    return f"BuiltinOptions_{type_code}"

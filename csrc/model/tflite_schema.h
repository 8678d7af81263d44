// The subset of the TFLite schema (tensorflow/lite/schema/schema.fbs) that edgekd reads: enum values and
// table field ids. Field ids are vtable slots; a union field takes two (type, then value).
#pragma once
#include <cstdint>

namespace edgekd {
namespace tfl {

enum TensorType : int {
  kFloat32 = 0, kFloat16 = 1, kInt32 = 2, kUInt8 = 3, kInt64 = 4, kString = 5, kBool = 6, kInt16 = 7,
  kComplex64 = 8, kInt8 = 9, kFloat64 = 10,
};
const char* tensor_type_name(int type);  // tflite_names.cpp

enum BuiltinOp : int {
  kAdd = 0, kAveragePool2D = 1, kConcatenation = 2, kConv2D = 3, kDepthwiseConv2D = 4, kDequantize = 6,
  kFullyConnected = 9, kLogistic = 14, kMaxPool2D = 17, kMul = 18, kRelu = 19, kReluN1To1 = 20,
  kRelu6 = 21, kReshape = 22, kSoftmax = 25, kTanh = 28, kCustom = 32, kPad = 34, kMean = 40, kSqueeze = 43,
  kStridedSlice = 45, kShape = 77, kPack = 83, kQuantize = 114, kHardSwish = 117,
  // ---- math ops (op_math_*.cpp, op_batch_matmul.cpp, op_transpose_conv.cpp)
  kSub = 41, kDiv = 42, kExp = 47, kLogSoftmax = 50, kPrelu = 54, kMaximum = 55, kMinimum = 57,
  kTransposeConv = 67, kRsqrt = 76, kLeakyRelu = 98, kSquaredDifference = 99, kElu = 111, kBatchMatMul = 126,
  kGelu = 150,
  // ---- end math ops
};
// Shape and reduction ops (op_transpose.cpp, op_slice.cpp, op_split.cpp, op_gather.cpp, op_space_depth.cpp,
// op_resize.cpp, op_reduce.cpp, op_expand_dims.cpp).
enum ShapeOp : int {
  kDepthToSpace = 5, kResizeBilinear = 23, kSpaceToDepth = 26, kGather = 36, kTranspose = 39, kSplit = 49,
  kArgMax = 56, kSlice = 65, kExpandDims = 70, kSum = 74, kArgMin = 79, kReduceMax = 82,
  kResizeNearestNeighbor = 97, kSplitV = 102,
};
// Stateful ops: variable tensors, the integer LSTM and SVDF (op_lstm.cpp, op_svdf.cpp).
enum StatefulOp : int {
  kSvdf = 27, kUnidirectionalSequenceLstm = 44, kCallOnce = 129, kVarHandle = 142, kReadVariable = 143,
  kAssignVariable = 144,
};
// A resource handle (VAR_HANDLE's output): TensorType RESOURCE.
constexpr int kResourceType = 13;
// Any builtin code's name ("TRANSPOSE"), nullptr past the codes tflite_names.cpp knows.
const char* builtin_op_name(int code);

enum Padding : int { kSame = 0, kValid = 1 };
enum Activation : int { kActNone = 0, kActRelu = 1, kActReluN1To1 = 2, kActRelu6 = 3, kActTanh = 4, kActSignBit = 5 };

namespace field {
// table Model
constexpr int kModelVersion = 0, kModelOperatorCodes = 1, kModelSubgraphs = 2, kModelDescription = 3,
              kModelBuffers = 4;
// table OperatorCode
constexpr int kOpCodeDeprecatedBuiltin = 0, kOpCodeCustom = 1, kOpCodeVersion = 2, kOpCodeBuiltin = 3;
// table SubGraph
constexpr int kSubgraphTensors = 0, kSubgraphInputs = 1, kSubgraphOutputs = 2, kSubgraphOperators = 3,
              kSubgraphName = 4;
// table Tensor
constexpr int kTensorShape = 0, kTensorType = 1, kTensorBuffer = 2, kTensorName = 3, kTensorQuantization = 4,
              kTensorIsVariable = 5, kTensorSparsity = 6;
// table QuantizationParameters (details is a union: 4 = type, 5 = value)
constexpr int kQuantMin = 0, kQuantMax = 1, kQuantScale = 2, kQuantZeroPoint = 3, kQuantDetailsType = 4,
              kQuantQuantizedDimension = 6;
// table Operator (builtin_options is a union: 3 = type, 4 = value)
constexpr int kOpOpcodeIndex = 0, kOpInputs = 1, kOpOutputs = 2, kOpBuiltinOptionsType = 3,
              kOpBuiltinOptions = 4, kOpCustomOptions = 5, kOpIntermediates = 8;
// table Buffer
constexpr int kBufferData = 0, kBufferOffset = 1, kBufferSize = 2;
// Conv2DOptions
constexpr int kConvPadding = 0, kConvStrideW = 1, kConvStrideH = 2, kConvActivation = 3, kConvDilationW = 4,
              kConvDilationH = 5;
// DepthwiseConv2DOptions
constexpr int kDwPadding = 0, kDwStrideW = 1, kDwStrideH = 2, kDwDepthMultiplier = 3, kDwActivation = 4,
              kDwDilationW = 5, kDwDilationH = 6;
// FullyConnectedOptions
constexpr int kFcActivation = 0, kFcWeightsFormat = 1, kFcKeepNumDims = 2;
// Pool2DOptions
constexpr int kPoolPadding = 0, kPoolStrideW = 1, kPoolStrideH = 2, kPoolFilterW = 3, kPoolFilterH = 4,
              kPoolActivation = 5;
// AddOptions / MulOptions
constexpr int kAddActivation = 0, kMulActivation = 0;
// ReducerOptions
constexpr int kReducerKeepDims = 0;
// ConcatenationOptions
constexpr int kConcatAxis = 0, kConcatActivation = 1;
// ReshapeOptions
constexpr int kReshapeNewShape = 0;
// SoftmaxOptions
constexpr int kSoftmaxBeta = 0;
// StridedSliceOptions
constexpr int kSliceBeginMask = 0, kSliceEndMask = 1, kSliceEllipsisMask = 2, kSliceNewAxisMask = 3,
              kSliceShrinkAxisMask = 4, kSliceOffset = 5;
// PackOptions
constexpr int kPackValuesCount = 0, kPackAxis = 1;
// SqueezeOptions
constexpr int kSqueezeDims = 0;
// --- stateful ops ---
// UnidirectionalSequenceLSTMOptions
constexpr int kLstmActivation = 0, kLstmCellClip = 1, kLstmProjClip = 2, kLstmTimeMajor = 3,
              kLstmAsymmetricQuantizeInputs = 4, kLstmDiagonalRecurrentTensors = 5;
// SVDFOptions
constexpr int kSvdfRank = 0, kSvdfActivation = 1, kSvdfAsymmetricQuantizeInputs = 2;
// VarHandleOptions, CallOnceOptions
constexpr int kVarHandleContainer = 0, kVarHandleSharedName = 1, kCallOnceInitSubgraph = 0;
// Shape and reduction ops' options.
// SplitOptions / SplitVOptions
constexpr int kSplitNumSplits = 0;
// GatherOptions
constexpr int kGatherAxis = 0, kGatherBatchDims = 1;
// DepthToSpaceOptions / SpaceToDepthOptions
constexpr int kBlockSize = 0;
// ResizeBilinearOptions (0 and 1 are the deprecated new_height / new_width)
constexpr int kResizeBilinearAlignCorners = 2, kResizeBilinearHalfPixel = 3;
// ResizeNearestNeighborOptions
constexpr int kResizeNearestAlignCorners = 0, kResizeNearestHalfPixel = 1;
// ArgMaxOptions / ArgMinOptions
constexpr int kArgOutputType = 0;
// ---- math ops
// SubOptions / DivOptions
constexpr int kSubActivation = 0, kDivActivation = 0;
// LeakyReluOptions
constexpr int kLeakyReluAlpha = 0;
// GeluOptions
constexpr int kGeluApproximate = 0;
// BatchMatMulOptions
constexpr int kBatchMatMulAdjX = 0, kBatchMatMulAdjY = 1;
// TransposeConvOptions
constexpr int kTransposeConvPadding = 0, kTransposeConvStrideW = 1, kTransposeConvStrideH = 2,
              kTransposeConvActivation = 3;
// ---- end math ops
}  // namespace field

}  // namespace tfl
}  // namespace edgekd

// Bounds-checked reader for the TFLite flatbuffer subset edgekd runs. Nothing here trusts the writer:
// buffer order, operator-code order, deprecated codes and missing optional fields are all handled, and
// every reference is checked by fb::Table / fb::Vector before use.
#include <algorithm>
#include <cstring>
#include <string>

#include "model/flatbuffer_view.h"
#include "model/model_def.h"
#include "model/tflite_schema.h"

namespace edgekd {
namespace {

using fb::Bytes;
using fb::Table;
using fb::Vector;
namespace f = tfl::field;

std::vector<int32_t> read_int_vector(const Table& t, int id, const char* name) {
  const Vector v = t.vector(id, 4, name);
  std::vector<int32_t> out(v.size());
  for (uint32_t i = 0; i < v.size(); ++i) out[i] = v.at<int32_t>(i);
  return out;
}

QuantDef read_quant(const Table& q) {
  QuantDef out;
  if (!q.present()) return out;
  const Vector scale = q.vector(f::kQuantScale, 4, "scale");
  const Vector zp = q.vector(f::kQuantZeroPoint, 8, "zero_point");
  out.scale.resize(scale.size());
  for (uint32_t i = 0; i < scale.size(); ++i) out.scale[i] = scale.at<float>(i);
  out.zero_point.resize(zp.size());
  for (uint32_t i = 0; i < zp.size(); ++i) out.zero_point[i] = zp.at<int64_t>(i);
  out.quantized_dimension = q.scalar<int32_t>(f::kQuantQuantizedDimension, 0, "quantized_dimension");
  if (q.scalar<uint8_t>(f::kQuantDetailsType, 0, "details_type") != 0)
    Bytes::fail(q.what(), "uses custom quantization details, which edgekd does not support");
  return out;
}

OpOptions read_options(const Table& o, int code) {
  OpOptions x;
  if (!o.present()) return x;
  switch (code) {
    case tfl::kConv2D:
      x.padding = o.scalar<int8_t>(f::kConvPadding, 0, "padding");
      x.stride_w = o.scalar<int32_t>(f::kConvStrideW, 0, "stride_w");
      x.stride_h = o.scalar<int32_t>(f::kConvStrideH, 0, "stride_h");
      x.activation = o.scalar<int8_t>(f::kConvActivation, 0, "fused_activation_function");
      x.dilation_w = o.scalar<int32_t>(f::kConvDilationW, 1, "dilation_w_factor");
      x.dilation_h = o.scalar<int32_t>(f::kConvDilationH, 1, "dilation_h_factor");
      break;
    case tfl::kDepthwiseConv2D:
      x.padding = o.scalar<int8_t>(f::kDwPadding, 0, "padding");
      x.stride_w = o.scalar<int32_t>(f::kDwStrideW, 0, "stride_w");
      x.stride_h = o.scalar<int32_t>(f::kDwStrideH, 0, "stride_h");
      x.depth_multiplier = o.scalar<int32_t>(f::kDwDepthMultiplier, 0, "depth_multiplier");
      x.activation = o.scalar<int8_t>(f::kDwActivation, 0, "fused_activation_function");
      x.dilation_w = o.scalar<int32_t>(f::kDwDilationW, 1, "dilation_w_factor");
      x.dilation_h = o.scalar<int32_t>(f::kDwDilationH, 1, "dilation_h_factor");
      break;
    case tfl::kFullyConnected:
      x.activation = o.scalar<int8_t>(f::kFcActivation, 0, "fused_activation_function");
      x.weights_format = o.scalar<int8_t>(f::kFcWeightsFormat, 0, "weights_format");
      x.keep_num_dims = o.scalar<uint8_t>(f::kFcKeepNumDims, 0, "keep_num_dims") != 0;
      break;
    case tfl::kAveragePool2D:
    case tfl::kMaxPool2D:
      x.padding = o.scalar<int8_t>(f::kPoolPadding, 0, "padding");
      x.stride_w = o.scalar<int32_t>(f::kPoolStrideW, 0, "stride_w");
      x.stride_h = o.scalar<int32_t>(f::kPoolStrideH, 0, "stride_h");
      x.filter_w = o.scalar<int32_t>(f::kPoolFilterW, 0, "filter_width");
      x.filter_h = o.scalar<int32_t>(f::kPoolFilterH, 0, "filter_height");
      x.activation = o.scalar<int8_t>(f::kPoolActivation, 0, "fused_activation_function");
      break;
    case tfl::kAdd:
      x.activation = o.scalar<int8_t>(f::kAddActivation, 0, "fused_activation_function");
      break;
    case tfl::kMul:
      x.activation = o.scalar<int8_t>(f::kMulActivation, 0, "fused_activation_function");
      break;
    case tfl::kMean:
      x.keep_dims = o.scalar<uint8_t>(f::kReducerKeepDims, 0, "keep_dims") != 0;
      break;
    case tfl::kConcatenation:
      x.axis = o.scalar<int32_t>(f::kConcatAxis, 0, "axis");
      x.activation = o.scalar<int8_t>(f::kConcatActivation, 0, "fused_activation_function");
      break;
    case tfl::kReshape: {
      const Vector v = o.vector(f::kReshapeNewShape, 4, "new_shape");
      x.has_new_shape = v.present();
      for (uint32_t i = 0; i < v.size(); ++i) x.new_shape.push_back(v.at<int32_t>(i));
      break;
    }
    case tfl::kSoftmax:
      x.beta = o.scalar<float>(f::kSoftmaxBeta, 0.0f, "beta");
      break;
    case tfl::kStridedSlice:
      x.begin_mask = o.scalar<int32_t>(f::kSliceBeginMask, 0, "begin_mask");
      x.end_mask = o.scalar<int32_t>(f::kSliceEndMask, 0, "end_mask");
      x.ellipsis_mask = o.scalar<int32_t>(f::kSliceEllipsisMask, 0, "ellipsis_mask");
      x.new_axis_mask = o.scalar<int32_t>(f::kSliceNewAxisMask, 0, "new_axis_mask");
      x.shrink_axis_mask = o.scalar<int32_t>(f::kSliceShrinkAxisMask, 0, "shrink_axis_mask");
      x.slice_offset = o.scalar<uint8_t>(f::kSliceOffset, 0, "offset") != 0;
      break;
    case tfl::kPack:
      x.values_count = o.scalar<int32_t>(f::kPackValuesCount, 0, "values_count");
      x.axis = o.scalar<int32_t>(f::kPackAxis, 0, "axis");
      break;
    case tfl::kSqueeze: {
      const Vector v = o.vector(f::kSqueezeDims, 4, "squeeze_dims");
      for (uint32_t i = 0; i < v.size(); ++i) x.squeeze_dims.push_back(v.at<int32_t>(i));
      break;
    }
    // --- stateful ops ---
    case tfl::kUnidirectionalSequenceLstm:
      x.activation = o.scalar<int8_t>(f::kLstmActivation, 0, "fused_activation_function");
      x.cell_clip = o.scalar<float>(f::kLstmCellClip, 0.0f, "cell_clip");
      x.proj_clip = o.scalar<float>(f::kLstmProjClip, 0.0f, "proj_clip");
      x.time_major = o.scalar<uint8_t>(f::kLstmTimeMajor, 0, "time_major") != 0;
      x.asymmetric_quantize_inputs = o.scalar<uint8_t>(f::kLstmAsymmetricQuantizeInputs, 0, "asymmetric_quantize_inputs") != 0;
      x.diagonal_recurrent_tensors = o.scalar<uint8_t>(f::kLstmDiagonalRecurrentTensors, 0, "diagonal_recurrent_tensors") != 0;
      break;
    case tfl::kSvdf:
      x.rank = o.scalar<int32_t>(f::kSvdfRank, 0, "rank");
      x.activation = o.scalar<int8_t>(f::kSvdfActivation, 0, "fused_activation_function");
      x.asymmetric_quantize_inputs = o.scalar<uint8_t>(f::kSvdfAsymmetricQuantizeInputs, 0, "asymmetric_quantize_inputs") != 0;
      break;
    case tfl::kVarHandle:
      x.container = o.string(f::kVarHandleContainer, "container");
      x.shared_name = o.string(f::kVarHandleSharedName, "shared_name");
      break;
    case tfl::kCallOnce:
      x.init_subgraph_index = o.scalar<int32_t>(f::kCallOnceInitSubgraph, 0, "init_subgraph_index");
      break;
    // Shape and reduction ops.
    case tfl::kSum:
    case tfl::kReduceMax:
      x.keep_dims = o.scalar<uint8_t>(f::kReducerKeepDims, 0, "keep_dims") != 0;
      break;
    case tfl::kSplit:
    case tfl::kSplitV:
      x.num_splits = o.scalar<int32_t>(f::kSplitNumSplits, 0, "num_splits");
      break;
    case tfl::kGather:
      x.axis = o.scalar<int32_t>(f::kGatherAxis, 0, "axis");
      x.batch_dims = o.scalar<int32_t>(f::kGatherBatchDims, 0, "batch_dims");
      break;
    case tfl::kDepthToSpace:
    case tfl::kSpaceToDepth:
      x.block_size = o.scalar<int32_t>(f::kBlockSize, 0, "block_size");
      break;
    case tfl::kResizeBilinear:
      x.align_corners = o.scalar<uint8_t>(f::kResizeBilinearAlignCorners, 0, "align_corners") != 0;
      x.half_pixel_centers = o.scalar<uint8_t>(f::kResizeBilinearHalfPixel, 0, "half_pixel_centers") != 0;
      break;
    case tfl::kResizeNearestNeighbor:
      x.align_corners = o.scalar<uint8_t>(f::kResizeNearestAlignCorners, 0, "align_corners") != 0;
      x.half_pixel_centers = o.scalar<uint8_t>(f::kResizeNearestHalfPixel, 0, "half_pixel_centers") != 0;
      break;
    case tfl::kArgMax:
    case tfl::kArgMin:
      x.output_type = o.scalar<int8_t>(f::kArgOutputType, 0, "output_type");
      break;
    // ---- math ops
    case tfl::kSub:
      x.activation = o.scalar<int8_t>(f::kSubActivation, 0, "fused_activation_function");
      break;
    case tfl::kDiv:
      x.activation = o.scalar<int8_t>(f::kDivActivation, 0, "fused_activation_function");
      break;
    case tfl::kLeakyRelu:
      x.alpha = o.scalar<float>(f::kLeakyReluAlpha, 0.0f, "alpha");
      break;
    case tfl::kGelu:
      x.approximate = o.scalar<uint8_t>(f::kGeluApproximate, 0, "approximate") != 0;
      break;
    case tfl::kBatchMatMul:
      x.adj_x = o.scalar<uint8_t>(f::kBatchMatMulAdjX, 0, "adj_x") != 0;
      x.adj_y = o.scalar<uint8_t>(f::kBatchMatMulAdjY, 0, "adj_y") != 0;
      break;
    case tfl::kTransposeConv:
      x.padding = o.scalar<int8_t>(f::kTransposeConvPadding, 0, "padding");
      x.stride_w = o.scalar<int32_t>(f::kTransposeConvStrideW, 0, "stride_w");
      x.stride_h = o.scalar<int32_t>(f::kTransposeConvStrideH, 0, "stride_h");
      x.activation = o.scalar<int8_t>(f::kTransposeConvActivation, 0, "fused_activation_function");
      break;
    // ---- end math ops
    default:
      break;  // options of ops edgekd does not run are not read; the verifier rejects those ops
  }
  return x;
}

struct OpCode {
  int builtin = 0;
  int version = 1;
  std::string custom;
};

}  // namespace

ModelDef read_tflite(const uint8_t* data, size_t size, int subgraph) {
  if (data == nullptr || size < 8) Bytes::fail("file", "is too small to be a .tflite model (" + std::to_string(size) + " bytes)");
  // Buffers stored after the flatbuffer (offset/size) may make the file larger than 2 GiB; the flatbuffer
  // part itself is addressed with 32-bit offsets.
  const Bytes b(data, size);
  if (std::memcmp(data + 4, "TFL3", 4) != 0)
    Bytes::fail("file", "does not carry the TFLite file identifier 'TFL3' at byte 4 (wrong magic)");
  const uint32_t root = b.read<uint32_t>(0, "root offset");
  if (root < 8 || root >= size) Bytes::fail("root offset", "points outside the file");
  const Table model(&b, root, "Model");

  ModelDef out;
  out.version = model.scalar<uint32_t>(f::kModelVersion, 0, "version");
  if (out.version != 3) Bytes::fail("Model.version", "is " + std::to_string(out.version) + ", expected schema version 3");
  out.description = model.string(f::kModelDescription, "description");

  // Operator codes.
  const Vector codes_v = model.vector(f::kModelOperatorCodes, 4, "operator_codes");
  std::vector<OpCode> codes(codes_v.size());
  for (uint32_t i = 0; i < codes_v.size(); ++i) {
    const Table c = model.table_at(codes_v, i);
    const int dep = c.scalar<int8_t>(f::kOpCodeDeprecatedBuiltin, 0, "deprecated_builtin_code");
    const int cur = c.scalar<int32_t>(f::kOpCodeBuiltin, 0, "builtin_code");
    // Old files only fill the deprecated byte, new ones both (byte saturated at 127): take the larger.
    codes[i].builtin = std::max(dep, cur);
    codes[i].version = c.scalar<int32_t>(f::kOpCodeVersion, 1, "version");
    codes[i].custom = c.string(f::kOpCodeCustom, "custom_code");
  }

  // Buffers.
  const Vector bufs_v = model.vector(f::kModelBuffers, 4, "buffers");
  out.buffers.resize(bufs_v.size());
  for (uint32_t i = 0; i < bufs_v.size(); ++i) {
    const Table t = model.table_at(bufs_v, i);
    const Vector d = t.vector(f::kBufferData, 1, "data");
    const uint64_t off = t.scalar<uint64_t>(f::kBufferOffset, 0, "offset");
    const uint64_t sz = t.scalar<uint64_t>(f::kBufferSize, 0, "size");
    BufferDef& bd = out.buffers[i];
    if (off > 1) {
      // Stored after the flatbuffer, addressed from the start of the file.
      if (off > size || sz > size - off)
        Bytes::fail(t.what(), "offset " + std::to_string(off) + " + size " + std::to_string(sz) +
                                  " runs past the end of the file (" + std::to_string(size) + " bytes)");
      bd.data = sz ? data + off : nullptr;
      bd.size = static_cast<size_t>(sz);
    } else if (d.present() && d.size() > 0) {
      bd.data = d.raw();
      bd.size = d.size();
    }
  }

  // The subgraph asked for (0: the main graph).
  const Vector subgraphs = model.vector(f::kModelSubgraphs, 4, "subgraphs");
  out.num_subgraphs = static_cast<int>(subgraphs.size());
  if (subgraphs.size() == 0) Bytes::fail("Model.subgraphs", "is empty: the model has no graph");
  if (subgraph < 0 || static_cast<uint32_t>(subgraph) >= subgraphs.size())
    Bytes::fail("Model.subgraphs", "has no subgraph " + std::to_string(subgraph) + " (it has " +
                                       std::to_string(subgraphs.size()) + ")");
  const Table sg = model.table_at(subgraphs, static_cast<uint32_t>(subgraph));

  const Vector tensors_v = sg.vector(f::kSubgraphTensors, 4, "tensors");
  out.tensors.resize(tensors_v.size());
  for (uint32_t i = 0; i < tensors_v.size(); ++i) {
    const Table t = sg.table_at(tensors_v, i);
    TensorDef& td = out.tensors[i];
    td.shape = read_int_vector(t, f::kTensorShape, "shape");
    td.type = t.scalar<int8_t>(f::kTensorType, 0, "type");
    td.buffer = t.scalar<uint32_t>(f::kTensorBuffer, 0, "buffer");
    td.name = t.string(f::kTensorName, "name");
    td.quant = read_quant(t.table(f::kTensorQuantization, "quantization"));
    td.is_variable = t.scalar<uint8_t>(f::kTensorIsVariable, 0, "is_variable") != 0;
    td.sparse = t.has(f::kTensorSparsity);
  }
  out.inputs = read_int_vector(sg, f::kSubgraphInputs, "inputs");
  out.outputs = read_int_vector(sg, f::kSubgraphOutputs, "outputs");

  const Vector ops_v = sg.vector(f::kSubgraphOperators, 4, "operators");
  out.operators.resize(ops_v.size());
  for (uint32_t i = 0; i < ops_v.size(); ++i) {
    const Table o = sg.table_at(ops_v, i);
    OperatorDef& od = out.operators[i];
    od.index = static_cast<int>(i);
    const uint32_t ci = o.scalar<uint32_t>(f::kOpOpcodeIndex, 0, "opcode_index");
    if (ci >= codes.size())
      Bytes::fail(o.what() + ".opcode_index", std::to_string(ci) + " is out of range (the model has " +
                                                  std::to_string(codes.size()) + " operator codes)");
    od.builtin_code = codes[ci].builtin;
    od.version = codes[ci].version;
    od.custom_code = codes[ci].custom;
    od.inputs = read_int_vector(o, f::kOpInputs, "inputs");
    od.outputs = read_int_vector(o, f::kOpOutputs, "outputs");
    od.intermediates = read_int_vector(o, f::kOpIntermediates, "intermediates");
    od.options = read_options(o.table(f::kOpBuiltinOptions, "builtin_options"), od.builtin_code);
  }
  return out;
}

}  // namespace edgekd

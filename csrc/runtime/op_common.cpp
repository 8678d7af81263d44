// BuildContext helpers and the op dispatch table.
#include <cstring>
#include <stdexcept>

#include "model/tflite_schema.h"
#include "runtime/op.h"
#include "runtime/op_shape.h"
#include "runtime/op_float.h"

namespace edgekd {

namespace {
std::string shape_str(const std::vector<int>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}
}  // namespace

void BuildContext::fail(const std::string& msg) const {
  throw std::invalid_argument(describe_op(*op_) + ": " + msg);
}

void BuildContext::fail_unsupported() const {
  const int out = op_->outputs.empty() ? -1 : op_->outputs[0];
  throw UnsupportedOpError(describe_op(*op_) + ": is not supported by edgekd's runtime (it produces " +
                           describe_tensor(model_, out) + ")");
}

void BuildContext::fail_tensor(int t, const std::string& msg) const {
  throw std::invalid_argument(describe_op(*op_) + ", " + describe_tensor(model_, t) + ": " + msg);
}

void BuildContext::expect_io(size_t min_inputs, size_t max_inputs, size_t num_outputs) const {
  const size_t n = op_->inputs.size();
  if (n < min_inputs || n > max_inputs)
    fail("expects " + (min_inputs == max_inputs ? std::to_string(min_inputs)
                                                : std::to_string(min_inputs) + " to " + std::to_string(max_inputs)) +
         " inputs, has " + std::to_string(n));
  if (op_->outputs.size() != num_outputs)
    fail("expects " + std::to_string(num_outputs) + " outputs, has " + std::to_string(op_->outputs.size()));
  for (size_t k = 0; k < min_inputs; ++k)
    if (op_->inputs[k] < 0) fail("required input " + std::to_string(k) + " is missing");
}

int BuildContext::input(size_t k) const { return k < op_->inputs.size() ? op_->inputs[k] : -1; }
int BuildContext::output(size_t k) const { return op_->outputs[k]; }

void BuildContext::expect_type(int t, int type, const char* role) const {
  if (tensors_[t].type != type)
    fail_tensor(t, std::string(role) + " must be " + tfl::tensor_type_name(type) + ", is " +
                       tfl::tensor_type_name(tensors_[t].type));
}

void BuildContext::expect_int8_per_tensor(int t, const char* role) const {
  expect_type(t, tfl::kInt8, role);
  const RtTensor& x = tensors_[t];
  if (!x.quantized) fail_tensor(t, std::string(role) + " has no quantization parameters");
  if (x.quant->scale.size() != 1)
    fail_tensor(t, std::string(role) + " must be quantized per tensor, has " + std::to_string(x.quant->scale.size()) +
                       " scales");
}

void BuildContext::expect_conv_operands(int in, int filter, int out) const {
  expect_int8_per_tensor(in, "input");
  expect_not_constant(in, "input");
  expect_int8_per_tensor(out, "output");
  expect_type(filter, tfl::kInt8, "filter");
  expect_constant(filter, "filter");
  expect_rank(in, 4, "input");
  expect_rank(filter, 4, "filter");
}

void BuildContext::expect_rank(int t, size_t rank, const char* role) const {
  if (tensors_[t].shape.size() != rank)
    fail_tensor(t, std::string(role) + " must have rank " + std::to_string(rank) + ", has shape " +
                       shape_str(tensors_[t].shape));
}

void BuildContext::expect_shape(int t, const std::vector<int>& shape, const char* role) const {
  if (tensors_[t].shape != shape)
    fail_tensor(t, std::string(role) + " has shape " + shape_str(tensors_[t].shape) + " but the op computes " +
                       shape_str(shape));
}

void BuildContext::expect_elements(int t, int64_t elements, const char* role) const {
  if (tensors_[t].elements != elements)
    fail_tensor(t, std::string(role) + " has " + std::to_string(tensors_[t].elements) + " elements (shape " +
                       shape_str(tensors_[t].shape) + ") but the op computes " + std::to_string(elements));
}

void BuildContext::expect_constant(int t, const char* role) const {
  if (!tensors_[t].is_constant()) fail_tensor(t, std::string(role) + " must be a constant tensor");
}

void BuildContext::expect_not_constant(int t, const char* role) const {
  if (tensors_[t].is_constant())
    fail_tensor(t, std::string(role) + " is a constant; ops on constant activations are not supported");
}

void BuildContext::expect_variable(int t, const char* role) const {
  if (!tensors_[t].is_variable)
    fail_tensor(t, std::string(role) + " must be a variable tensor (the op keeps its state there across "
                                       "inferences)");
}

float BuildContext::per_tensor_scale(int t, const char* role) const {
  const RtTensor& x = tensors_[t];
  if (!x.quantized || x.quant->scale.size() != 1) fail_tensor(t, std::string(role) + " must be quantized per tensor");
  return x.scale;
}

std::vector<int32_t> BuildContext::const_ints(int t, const char* role) const {
  expect_constant(t, role);
  const RtTensor& x = tensors_[t];
  std::vector<int32_t> out(static_cast<size_t>(x.elements));
  if (x.type == tfl::kInt32) {
    std::memcpy(out.data(), x.const_data, out.size() * 4);
  } else if (x.type == tfl::kInt64) {
    for (size_t i = 0; i < out.size(); ++i) {
      int64_t v;
      std::memcpy(&v, x.const_data + 8 * i, 8);
      if (v < INT32_MIN || v > INT32_MAX) fail_tensor(t, std::string(role) + " value out of int32 range");
      out[i] = static_cast<int32_t>(v);
    }
  } else {
    fail_tensor(t, std::string(role) + " must be int32 or int64, is " + tfl::tensor_type_name(x.type));
  }
  return out;
}

ops::Activation BuildContext::activation(int act) const {
  switch (act) {
    case tfl::kActNone: return ops::Activation::kNone;
    case tfl::kActRelu: return ops::Activation::kRelu;
    case tfl::kActReluN1To1: return ops::Activation::kReluN1To1;
    case tfl::kActRelu6: return ops::Activation::kRelu6;
    default:
      fail("fused activation " + std::to_string(act) + " is not supported (NONE, RELU, RELU6, RELU_N1_TO_1 are)");
  }
}

PaddedDim compute_padded_dim(int in, int filter, int stride, int dilation, int padding) {
  PaddedDim d;
  const int effective = (filter - 1) * dilation + 1;
  d.out = padding == tfl::kSame ? (in + stride - 1) / stride : (in + stride - effective) / stride;
  const int total = (d.out - 1) * stride + effective - in;
  d.pad_before = total > 0 ? total / 2 : 0;
  return d;
}

std::unique_ptr<Op> build_op(BuildContext& ctx) {
  std::unique_ptr<Op> op;
  // ---- float32 ops (op_float_*.cpp): the op types it knows, when their output is float32 ----
  op = build_float_op(ctx);
  if (op) {
    op->name = describe_op(ctx.op());
    return op;
  }
  // ---- end float32 ----
  switch (ctx.op().builtin_code) {
    case tfl::kConv2D: op = build_conv2d(ctx); break;
    case tfl::kDepthwiseConv2D: op = build_depthwise_conv2d(ctx); break;
    case tfl::kFullyConnected: op = build_fully_connected(ctx); break;
    case tfl::kAdd: op = build_add(ctx); break;
    case tfl::kMul: op = build_mul(ctx); break;
    case tfl::kMaxPool2D: op = build_pool(ctx, true); break;
    case tfl::kAveragePool2D: op = build_pool(ctx, false); break;
    case tfl::kMean: op = build_mean(ctx); break;
    case tfl::kPad: op = build_pad(ctx); break;
    case tfl::kConcatenation: op = build_concat(ctx); break;
    case tfl::kReshape: case tfl::kSqueeze: op = build_reshape(ctx); break;
    case tfl::kSoftmax: op = build_softmax(ctx); break;
    case tfl::kRelu: case tfl::kRelu6: case tfl::kReluN1To1: case tfl::kLogistic: case tfl::kHardSwish:
    case 28 /* TANH */:
      op = build_lut_activation(ctx);
      break;
    case tfl::kQuantize:
      ctx.expect_io(1, 1, 1);
      if (ctx.tensor(ctx.input(0)).type == tfl::kFloat32) op = build_quantize(ctx);
      else op = build_lut_activation(ctx);
      break;
    case tfl::kDequantize: op = build_dequantize(ctx); break;
    // --- stateful ops ---
    case tfl::kUnidirectionalSequenceLstm: op = build_unidirectional_sequence_lstm(ctx); break;
    case tfl::kSvdf: op = build_svdf(ctx); break;
    case tfl::kReadVariable: op = build_resource_copy(ctx, true); break;
    case tfl::kAssignVariable: op = build_resource_copy(ctx, false); break;
    // --- end of stateful ops ---
    // Shape and reduction ops (op_shape.h).
    case tfl::kTranspose: op = build_transpose(ctx); break;
    case tfl::kSlice: op = build_slice(ctx); break;
    case tfl::kStridedSlice: op = build_strided_slice(ctx); break;
    case tfl::kSplit: case tfl::kSplitV: op = build_split(ctx); break;
    case tfl::kDepthToSpace: case tfl::kSpaceToDepth: op = build_space_depth(ctx); break;
    case tfl::kGather: op = build_gather(ctx); break;
    case tfl::kExpandDims: op = build_expand_dims(ctx); break;
    case tfl::kResizeBilinear: case tfl::kResizeNearestNeighbor: op = build_resize(ctx); break;
    case tfl::kSum: case tfl::kReduceMax: op = build_reduce(ctx); break;
    case tfl::kArgMax: case tfl::kArgMin: op = build_arg_minmax(ctx); break;
    // End of the shape and reduction ops.
    // ---- math ops
    case tfl::kSub: case tfl::kSquaredDifference: case tfl::kDiv: case tfl::kPrelu: case tfl::kMaximum:
    case tfl::kMinimum:
      op = build_math_binary(ctx);
      break;
    case tfl::kLeakyRelu: case tfl::kElu: case tfl::kGelu: case tfl::kExp: case tfl::kRsqrt:
      op = build_lut_activation(ctx);
      break;
    case tfl::kLogSoftmax: op = build_log_softmax(ctx); break;
    case tfl::kBatchMatMul: op = build_batch_matmul(ctx); break;
    case tfl::kTransposeConv: op = build_transpose_conv(ctx); break;
    // ---- end math ops
    case tfl::kShape: case tfl::kPack:
      ctx.fail("could not be folded at load: only static shape computations on constant int32 values are "
               "supported");
    default:
      ctx.fail_unsupported();
  }
  op->name = describe_op(ctx.op());
  return op;
}

void Op::run_band(const RunContext&, int, int) const {
  throw std::logic_error(name + " cannot run by bands of rows");
}

}  // namespace edgekd

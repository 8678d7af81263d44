// float32 ADD, MUL, activations, SOFTMAX, pooling, MEAN, PAD and CONCATENATION, and build_float_op, the one
// place build_op hands float32 ops to. Geometry (broadcast, windows, reduced axes, paddings, concat sizes)
// comes from the int8 ops' prepare_* functions, so both types check and compute shapes the same way.
#include <algorithm>
#include <functional>
#include <memory>

#include "kernels/float/float_ops.h"
#include "model/tflite_schema.h"
#include "runtime/op_float.h"

namespace edgekd {
namespace {

// An op whose run is one call on float pointers, bound at load.
class FloatOp : public Op {
 public:
  std::string fam, kern;
  std::function<void(const RunContext&)> body;
  void run(const RunContext& ctx) const override { body(ctx); }
  std::string family() const override { return fam; }
  std::string kernel() const override { return kern; }
};

std::unique_ptr<FloatOp> make_op(BuildContext& ctx, const char* family, const char* kernel,
                                 std::vector<int> inputs) {
  auto op = std::make_unique<FloatOp>();
  op->fam = family;
  op->kern = kernel;
  op->inputs = std::move(inputs);
  op->outputs = {ctx.output(0)};
  return op;
}

void expect_float(BuildContext& ctx, int t, const char* role) { ctx.expect_type(t, tfl::kFloat32, role); }

template <class Fn>
auto geometry(BuildContext& ctx, Fn fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::invalid_argument& e) {
    ctx.fail(e.what());
  }
}

fops::Clamp fused_clamp(BuildContext& ctx) {
  return fops::activation_clamp(ctx.activation(ctx.op().options.activation));
}

std::unique_ptr<Op> build_f32_binary(BuildContext& ctx, fops::Binary kind) {
  ctx.expect_io(2, 2, 1);
  const int a = ctx.input(0), b = ctx.input(1), out = ctx.output(0);
  for (int t : {a, b, out}) {
    expect_float(ctx, t, t == out ? "output" : "input");
    if (ctx.tensor(t).shape.size() > 4) ctx.fail_tensor(t, "rank above 4 is not supported");
  }
  const ops::Shape4 s1 = ops::shape4(ctx.tensor(a).shape), s2 = ops::shape4(ctx.tensor(b).shape);
  const ops::Shape4 bs = geometry(ctx, [&] { return ops::broadcast_shape(s1, s2, "broadcast"); });
  const size_t rank = std::max(ctx.tensor(a).shape.size(), ctx.tensor(b).shape.size());
  std::vector<int> expect;
  for (size_t i = 4 - rank; i < 4; ++i) expect.push_back(bs.dim(static_cast<int>(i)));
  ctx.expect_shape(out, expect, "output");
  const fops::Clamp clamp = fused_clamp(ctx);
  auto op = make_op(ctx, kind == fops::Binary::kAdd ? "add" : "mul",
                    kind == fops::Binary::kAdd ? "add_f32" : "mul_f32", {a, b});
  op->body = [=](const RunContext& c) {
    const float *x = c.as<const float>(a), *y = c.as<const float>(b);
    float* o = c.as<float>(out);
    if (s1 == s2) {
      parallel_elements(c, s1.size(), 16, [&](int64_t i0, int64_t i1) {
        const ops::Shape4 part{1, 1, 1, static_cast<int>(i1 - i0)};
        fops::binary_f32(kind, part, x + i0, part, y + i0, o + i0, clamp);
      });
    } else {
      fops::binary_f32(kind, s1, x, s2, y, o, clamp);
    }
  };
  return op;
}

std::unique_ptr<Op> build_f32_unary(BuildContext& ctx, fops::Unary kind, const char* kernel) {
  ctx.expect_io(1, 1, 1);
  const int in = ctx.input(0), out = ctx.output(0);
  expect_float(ctx, in, "input");
  ctx.expect_shape(out, ctx.tensor(in).shape, "output");
  const size_t n = static_cast<size_t>(ctx.tensor(in).elements);
  auto op = make_op(ctx, "activation", kernel, {in});
  op->body = [=](const RunContext& c) {
    const float* x = c.as<const float>(in);
    float* o = c.as<float>(out);
    parallel_elements(c, static_cast<int64_t>(n), 16, [&](int64_t i0, int64_t i1) {
      fops::unary_f32(kind, x + i0, o + i0, static_cast<size_t>(i1 - i0));
    });
  };
  return op;
}

std::unique_ptr<Op> build_f32_softmax(BuildContext& ctx) {
  ctx.expect_io(1, 1, 1);
  const int in = ctx.input(0), out = ctx.output(0);
  expect_float(ctx, in, "input");
  const RtTensor& x = ctx.tensor(in);
  if (x.shape.empty() || x.shape.back() <= 0) ctx.fail_tensor(in, "input must have a non-empty last dimension");
  ctx.expect_shape(out, x.shape, "output");
  const int depth = x.shape.back();
  const int64_t outer = x.elements / depth;
  const float beta = ctx.op().options.beta;
  auto op = make_op(ctx, "softmax", "softmax_f32", {in});
  op->body = [=](const RunContext& c) { fops::softmax_f32(c.as<const float>(in), c.as<float>(out), outer, depth, beta); };
  return op;
}

std::unique_ptr<Op> build_f32_pool(BuildContext& ctx, bool max_pool) {
  ctx.expect_io(1, 1, 1);
  const int in = ctx.input(0), out = ctx.output(0);
  const OpOptions& o = ctx.op().options;
  expect_float(ctx, in, "input");
  ctx.expect_rank(in, 4, "input");
  for (int d : ctx.tensor(in).shape) if (d <= 0) ctx.fail_tensor(in, "input has an empty dimension");
  if (o.stride_w <= 0 || o.stride_h <= 0 || o.filter_w <= 0 || o.filter_h <= 0)
    ctx.fail("strides and filter sizes must be positive");
  if (o.padding != tfl::kSame && o.padding != tfl::kValid) ctx.fail("unknown padding " + std::to_string(o.padding));
  const ops::PoolParams p = geometry(ctx, [&] {
    return ops::prepare_pool(ops::shape4(ctx.tensor(in).shape), o.filter_h, o.filter_w, o.stride_h, o.stride_w,
                             static_cast<ops::Padding>(o.padding), 1.0f, 0);
  });
  const ops::Shape4 s = p.out_shape();
  ctx.expect_shape(out, {s.n, s.h, s.w, s.c}, "output");
  const fops::Clamp clamp = fused_clamp(ctx);
  auto op = make_op(ctx, max_pool ? "max_pool" : "avg_pool", max_pool ? "max_pool_f32" : "avg_pool_f32", {in});
  op->body = [=](const RunContext& c) {
    (max_pool ? fops::max_pool_f32 : fops::avg_pool_f32)(p, c.as<const float>(in), c.as<float>(out), clamp);
  };
  return op;
}

std::unique_ptr<Op> build_f32_mean(BuildContext& ctx) {
  ctx.expect_io(2, 2, 1);
  const int in = ctx.input(0), out = ctx.output(0);
  expect_float(ctx, in, "input");
  const RtTensor& x = ctx.tensor(in);
  if (x.shape.size() > 4) ctx.fail_tensor(in, "rank above 4 is not supported");
  const std::vector<int32_t> axes = ctx.const_ints(ctx.input(1), "axis");
  const ops::MeanParams p = geometry(ctx, [&] {
    return ops::prepare_mean(x.shape.data(), static_cast<int>(x.shape.size()), axes.data(),
                             static_cast<int>(axes.size()), ctx.op().options.keep_dims, 1.0f, 0, 1.0f, 0);
  });
  ctx.expect_elements(out, p.out_shape().size(), "output");
  auto op = make_op(ctx, "reduce", "mean_f32", {in});
  op->body = [=](const RunContext& c) { fops::mean_f32(p, c.as<const float>(in), c.as<float>(out)); };
  return op;
}

std::unique_ptr<Op> build_f32_pad(BuildContext& ctx) {
  ctx.expect_io(2, 2, 1);
  const int in = ctx.input(0), out = ctx.output(0);
  expect_float(ctx, in, "input");
  const RtTensor& x = ctx.tensor(in);
  if (x.shape.size() > 4) ctx.fail_tensor(in, "rank above 4 is not supported");
  const std::vector<int32_t> pads = ctx.const_ints(ctx.input(1), "paddings");
  if (pads.size() != 2 * x.shape.size())
    ctx.fail_tensor(ctx.input(1), "paddings must have shape [rank, 2] (" + std::to_string(2 * x.shape.size()) +
                                      " values), has " + std::to_string(pads.size()));
  const ops::PadParams p =
      geometry(ctx, [&] { return ops::prepare_pad(x.shape.data(), static_cast<int>(x.shape.size()), pads.data(), 0); });
  ctx.expect_elements(out, p.out.size(), "output");
  auto op = make_op(ctx, "pad", "pad_f32", {in});
  op->body = [=](const RunContext& c) { fops::pad_f32(p, c.as<const float>(in), c.as<float>(out), 0.0f); };
  return op;
}

std::unique_ptr<Op> build_f32_concat(BuildContext& ctx) {
  const size_t n = ctx.op().inputs.size();
  if (n < 1) ctx.fail("has no inputs");
  ctx.expect_io(n, n, 1);
  const size_t rank = ctx.tensor(ctx.input(0)).shape.size();
  int axis = ctx.op().options.axis;
  if (axis < 0) axis += static_cast<int>(rank);
  if (axis < 0 || axis >= static_cast<int>(rank)) ctx.fail("axis " + std::to_string(ctx.op().options.axis) + " out of range");
  std::vector<int> expect = ctx.tensor(ctx.input(0)).shape;
  expect[static_cast<size_t>(axis)] = 0;
  std::vector<const int*> dims;
  std::vector<int> inputs;
  for (size_t k = 0; k < n; ++k) {
    const int t = ctx.input(k);
    expect_float(ctx, t, "input");
    const RtTensor& x = ctx.tensor(t);
    if (x.shape.size() != rank) ctx.fail_tensor(t, "inputs must all have the same rank");
    for (size_t d = 0; d < rank; ++d)
      if (static_cast<int>(d) != axis && x.shape[d] != expect[d])
        ctx.fail_tensor(t, "input dimension " + std::to_string(d) + " differs from input 0's");
    expect[static_cast<size_t>(axis)] += x.shape[static_cast<size_t>(axis)];
    dims.push_back(x.shape.data());
    inputs.push_back(t);
  }
  ctx.expect_shape(ctx.output(0), expect, "output");
  if (ctx.op().options.activation != tfl::kActNone) ctx.fail("a fused activation on CONCATENATION is not supported");
  const std::vector<float> scales(n, 1.0f);
  const std::vector<int32_t> zps(n, 0);
  const ops::ConcatParams p = geometry(ctx, [&] {
    return ops::prepare_concat(static_cast<int>(n), dims.data(), static_cast<int>(rank), axis, scales.data(),
                               zps.data(), 1.0f, 0);
  });
  const int out = ctx.output(0);
  auto op = make_op(ctx, "concat", "concat_f32", inputs);
  // The input pointers, gathered per inference into storage made at load (a model runs one inference at a time).
  auto ptrs = std::make_shared<std::vector<const float*>>(n);
  op->body = [=](const RunContext& c) {
    for (size_t k = 0; k < n; ++k) (*ptrs)[k] = c.as<const float>(inputs[k]);
    fops::concat_f32(p, ptrs->data(), c.as<float>(out));
  };
  return op;
}

}  // namespace

std::unique_ptr<Op> build_float_op(BuildContext& ctx) {
  const OperatorDef& def = ctx.op();
  if (def.outputs.empty() || ctx.tensor(def.outputs[0]).type != tfl::kFloat32) return nullptr;
  switch (def.builtin_code) {
    case tfl::kConv2D: return build_float_conv2d(ctx);
    case tfl::kDepthwiseConv2D: return build_float_depthwise_conv2d(ctx);
    case tfl::kFullyConnected: return build_float_fully_connected(ctx);
    case tfl::kAdd: return build_f32_binary(ctx, fops::Binary::kAdd);
    case tfl::kMul: return build_f32_binary(ctx, fops::Binary::kMul);
    case tfl::kMaxPool2D: return build_f32_pool(ctx, true);
    case tfl::kAveragePool2D: return build_f32_pool(ctx, false);
    case tfl::kMean: return build_f32_mean(ctx);
    case tfl::kPad: return build_f32_pad(ctx);
    case tfl::kConcatenation: return build_f32_concat(ctx);
    case tfl::kSoftmax: return build_f32_softmax(ctx);
    case tfl::kRelu: return build_f32_unary(ctx, fops::Unary::kRelu, "relu_f32");
    case tfl::kRelu6: return build_f32_unary(ctx, fops::Unary::kRelu6, "relu6_f32");
    case tfl::kReluN1To1: return build_f32_unary(ctx, fops::Unary::kReluN1To1, "relu_n1_to_1_f32");
    case tfl::kLogistic: return build_f32_unary(ctx, fops::Unary::kLogistic, "logistic_f32");
    case tfl::kTanh: return build_f32_unary(ctx, fops::Unary::kTanh, "tanh_f32");
    case tfl::kHardSwish: return build_f32_unary(ctx, fops::Unary::kHardSwish, "hard_swish_f32");
    default: return nullptr;
  }
}

}  // namespace edgekd

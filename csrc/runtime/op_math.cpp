// SUB, SQUARED_DIFFERENCE, DIV, PRELU, MAXIMUM, MINIMUM (broadcasting binary ops) and LOG_SOFTMAX on the
// kernels of kernels/ops/math_ops.h.
#include <algorithm>

#include "model/tflite_schema.h"
#include "runtime/op.h"

namespace edgekd {
namespace {

// Every element of these ops runs the same arithmetic, so same-shape operands split anywhere; broadcasts
// run on one thread.
class MathBinaryOp : public Op {
 public:
  ops::BinaryParams p;
  ops::Shape4 s1, s2;
  OpKernel<BinaryFn> k;
  std::string kernel_name;
  void run(const RunContext& ctx) const override {
    const int8_t* a = ctx.as<const int8_t>(inputs[0]);
    const int8_t* b = ctx.as<const int8_t>(inputs[1]);
    int8_t* out = ctx.as<int8_t>(outputs[0]);
    if (s1 != s2) return k.fn(p, s1, a, s2, b, out);
    parallel_elements(ctx, s1.size(), 64, [&](int64_t lo, int64_t hi) {
      const ops::Shape4 flat{1, 1, 1, static_cast<int>(hi - lo)};
      k.fn(p, flat, a + lo, flat, b + lo, out + lo);
    }, 4096);
  }
  std::string family() const override { return "math_binary"; }
  std::string kernel() const override { return kernel_name; }
};

class LogSoftmaxOp : public Op {
 public:
  ops::LogSoftmaxParams p;
  int64_t outer = 1;
  int depth = 1;
  OpKernel<LogSoftmaxFn> k;
  void run(const RunContext& ctx) const override {
    k.fn(p, ctx.as<const int8_t>(inputs[0]), ctx.as<int8_t>(outputs[0]), outer, depth);
  }
  std::string family() const override { return "log_softmax"; }
  std::string kernel() const override { return k.name; }
};

// The broadcast output shape as the model must state it (rank of the larger input).
std::vector<int> broadcast_dims(BuildContext& ctx, int a, int b, const ops::Shape4& s1, const ops::Shape4& s2) {
  ops::Shape4 bs;
  try {
    bs = ops::broadcast_shape(s1, s2, describe_op(ctx.op()).c_str());
  } catch (const std::invalid_argument& e) {
    ctx.fail(e.what());
  }
  const size_t rank = std::max(ctx.tensor(a).shape.size(), ctx.tensor(b).shape.size());
  std::vector<int> dims;
  for (size_t i = 4 - rank; i < 4; ++i) dims.push_back(bs.dim(static_cast<int>(i)));
  return dims;
}

}  // namespace

std::unique_ptr<Op> build_math_binary(BuildContext& ctx) {
  ctx.expect_io(2, 2, 1);
  const int a = ctx.input(0), b = ctx.input(1), out = ctx.output(0);
  const int code = ctx.op().builtin_code;
  const bool prelu = code == tfl::kPrelu;
  ctx.expect_int8_per_tensor(a, "input 0");
  ctx.expect_int8_per_tensor(b, prelu ? "alpha" : "input 1");
  ctx.expect_int8_per_tensor(out, "output");
  if (ctx.tensor(a).is_constant() && ctx.tensor(b).is_constant())
    ctx.fail_tensor(a, "both inputs are constants; ops on constant activations are not supported");
  for (int t : {a, b, out})
    if (ctx.tensor(t).shape.size() > 4) ctx.fail_tensor(t, "rank above 4 is not supported");
  auto op = std::make_unique<MathBinaryOp>();
  op->s1 = ops::shape4(ctx.tensor(a).shape);
  op->s2 = ops::shape4(ctx.tensor(b).shape);
  const std::vector<int> dims = broadcast_dims(ctx, a, b, op->s1, op->s2);
  ctx.expect_shape(out, dims, "output");
  if (prelu && dims != ctx.tensor(a).shape)
    ctx.fail_tensor(b, "alpha must broadcast to the input's shape (LiteRT PreluPrepare)");
  const RtTensor &x = ctx.tensor(a), &y = ctx.tensor(b), &o = ctx.tensor(out);
  const int act = ctx.op().options.activation;
  try {
    switch (code) {
      case tfl::kSub:
        op->p = ops::prepare_sub(x.scale, x.zero_point, y.scale, y.zero_point, o.scale, o.zero_point,
                                 ctx.activation(act));
        break;
      case tfl::kSquaredDifference:
        op->p = ops::prepare_squared_difference(x.scale, x.zero_point, y.scale, y.zero_point, o.scale,
                                                o.zero_point);
        break;
      case tfl::kDiv:
        op->p = ops::prepare_div(x.scale, x.zero_point, y.scale, y.zero_point, o.scale, o.zero_point,
                                 ctx.activation(act));
        break;
      case tfl::kPrelu:
        op->p = ops::prepare_prelu(x.scale, x.zero_point, y.scale, y.zero_point, o.scale, o.zero_point);
        break;
      case tfl::kMaximum: case tfl::kMinimum:
        op->p = ops::prepare_max_min(code == tfl::kMaximum);
        break;
      default:
        ctx.fail("is not a binary math op");
    }
  } catch (const std::invalid_argument& e) {
    ctx.fail(e.what());
  }
  op->k = ctx.kernels().binary;
  std::string table = ops::binary_kind_name(op->p.kind);
  std::transform(table.begin(), table.end(), table.begin(), [](char c) { return static_cast<char>(std::tolower(c)); });
  op->kernel_name = table + "_" + op->k.name;
  op->inputs = {a, b};
  op->outputs = {out};
  return op;
}

std::unique_ptr<Op> build_log_softmax(BuildContext& ctx) {
  ctx.expect_io(1, 1, 1);
  const int in = ctx.input(0), out = ctx.output(0);
  ctx.expect_int8_per_tensor(in, "input");
  ctx.expect_int8_per_tensor(out, "output");
  const RtTensor &x = ctx.tensor(in), &o = ctx.tensor(out);
  ctx.expect_shape(out, x.shape, "output");
  if (x.shape.empty() || x.shape.back() <= 0) ctx.fail_tensor(in, "LOG_SOFTMAX needs a non-empty last dimension");
  auto op = std::make_unique<LogSoftmaxOp>();
  op->depth = x.shape.back();
  op->outer = x.elements / op->depth;
  op->k = ctx.kernels().log_softmax;
  try {
    op->p = ops::prepare_log_softmax(x.scale, x.zero_point, o.scale, o.zero_point);
  } catch (const std::invalid_argument& e) {
    ctx.fail(e.what());
  }
  op->inputs = {in};
  op->outputs = {out};
  return op;
}

}  // namespace edgekd

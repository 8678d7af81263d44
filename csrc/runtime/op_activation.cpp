// Elementwise int8 activations (table lookups prepared from LiteRT's arithmetic) and SOFTMAX.
#include "runtime/op.h"
#include "model/tflite_schema.h"

namespace edgekd {
namespace {

class LutOp : public Op {
 public:
  ops::LutParams p;
  size_t n = 0;
  OpKernel<LutFn> k;        // from the model's kernel table
  std::string kernel_name;  // the op's table ("relu6_") and the kernel
  void run(const RunContext& ctx) const override {
    const int8_t* x = ctx.as<const int8_t>(inputs[0]);
    int8_t* y = ctx.as<int8_t>(outputs[0]);
    parallel_elements(ctx, static_cast<int64_t>(n), p.block > 0 ? p.block : 64, [&](int64_t b, int64_t e) {
      k.fn(p, x + b, y + b, static_cast<size_t>(e - b));
    });
  }
  std::string family() const override { return "activation"; }
  std::string kernel() const override { return kernel_name; }
};

class SoftmaxOp : public Op {
 public:
  ops::SoftmaxParams p;
  int64_t outer = 1;
  int depth = 1;
  OpKernel<SoftmaxFn> k;  // from the model's kernel table
  void run(const RunContext& ctx) const override {
    k.fn(p, ctx.as<const int8_t>(inputs[0]), ctx.as<int8_t>(outputs[0]), outer, depth);
  }
  std::string family() const override { return "softmax"; }
  std::string kernel() const override { return k.name; }
};

}  // namespace

std::unique_ptr<Op> build_lut_activation(BuildContext& ctx) {
  ctx.expect_io(1, 1, 1);
  const int in = ctx.input(0), out = ctx.output(0);
  ctx.expect_int8_per_tensor(in, "input");
  ctx.expect_int8_per_tensor(out, "output");
  const RtTensor &x = ctx.tensor(in), &o = ctx.tensor(out);
  ctx.expect_shape(out, x.shape, "output");
  auto op = std::make_unique<LutOp>();
  op->n = static_cast<size_t>(x.elements);
  op->k = ctx.kernels().lut;
  const char* table = "";
  try {
    switch (ctx.op().builtin_code) {
      case tfl::kRelu:
        op->p = ops::prepare_relu(ops::ReluKind::kRelu, x.scale, x.zero_point, o.scale, o.zero_point);
        table = "relu_"; break;
      case tfl::kRelu6:
        op->p = ops::prepare_relu(ops::ReluKind::kRelu6, x.scale, x.zero_point, o.scale, o.zero_point);
        table = "relu6_"; break;
      case tfl::kReluN1To1:
        op->p = ops::prepare_relu(ops::ReluKind::kReluN1To1, x.scale, x.zero_point, o.scale, o.zero_point);
        table = "relu_n1_to_1_"; break;
      case tfl::kLogistic:
        op->p = ops::prepare_logistic(x.scale, x.zero_point, o.scale, o.zero_point);
        table = "logistic_"; break;
      case tfl::kHardSwish:
        op->p = ops::prepare_hard_swish(x.scale, x.zero_point, o.scale, o.zero_point);
        table = "hard_swish_"; break;
      case 28:  // TANH
        op->p = ops::prepare_tanh(x.scale, x.zero_point, o.scale, o.zero_point);
        table = "tanh_"; break;
      case tfl::kQuantize:
        op->p = ops::prepare_requantize(x.scale, x.zero_point, o.scale, o.zero_point);
        table = "requantize_"; break;
      // ---- math ops
      case tfl::kLeakyRelu:
        op->p = ops::prepare_leaky_relu(ctx.op().options.alpha, x.scale, x.zero_point, o.scale, o.zero_point);
        table = "leaky_relu_"; break;
      case tfl::kElu:
        op->p = ops::prepare_elu(x.scale, x.zero_point, o.scale, o.zero_point);
        table = "elu_"; break;
      case tfl::kGelu:
        op->p = ops::prepare_gelu(ctx.op().options.approximate, x.scale, x.zero_point, o.scale, o.zero_point);
        table = "gelu_"; break;
      case tfl::kExp:
        op->p = ops::prepare_exp(x.scale, x.zero_point, o.scale, o.zero_point);
        table = "exp_"; break;
      case tfl::kRsqrt:
        op->p = ops::prepare_rsqrt(x.scale, x.zero_point, o.scale, o.zero_point);
        table = "rsqrt_"; break;
      // ---- end math ops
      default:
        ctx.fail("is not an elementwise activation");
    }
  } catch (const std::invalid_argument& e) {
    ctx.fail(e.what());
  }
  op->kernel_name = std::string(table) + op->k.name;
  op->inputs = {in};
  op->outputs = {out};
  return op;
}

std::unique_ptr<Op> build_softmax(BuildContext& ctx) {
  ctx.expect_io(1, 1, 1);
  const int in = ctx.input(0), out = ctx.output(0);
  ctx.expect_int8_per_tensor(in, "input");
  ctx.expect_int8_per_tensor(out, "output");
  const RtTensor &x = ctx.tensor(in), &o = ctx.tensor(out);
  ctx.expect_shape(out, x.shape, "output");
  if (x.shape.empty() || x.shape.back() <= 0) ctx.fail_tensor(in, "softmax needs a non-empty last dimension");
  auto op = std::make_unique<SoftmaxOp>();
  op->depth = x.shape.back();
  op->outer = x.elements / op->depth;
  op->k = ctx.kernels().softmax;
  try {
    op->p = ops::prepare_softmax(ctx.op().options.beta, x.scale, x.zero_point, o.scale, o.zero_point);
  } catch (const std::invalid_argument& e) {
    ctx.fail(e.what());
  }
  op->inputs = {in};
  op->outputs = {out};
  return op;
}

}  // namespace edgekd

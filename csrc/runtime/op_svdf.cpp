// SVDF, the full-integer form (int8 input, feature weights and output; int16 time weights and state): the
// checks and prepare-time scales of LiteRT's svdf.cc. LiteRT accepts only a RELU activation here and then
// does not apply it (its integer kernel clamps to the int8 range only); edgekd does the same.
#include <memory>

#include "kernels/ops/recurrent.h"
#include "model/tflite_schema.h"
#include "runtime/op.h"

namespace edgekd {
namespace {

class SvdfOp : public Op {
 public:
  ops::SvdfParams p;
  ops::MatVecFn* matvec = nullptr;
  const char* matvec_name = "";
  std::vector<int32_t> feature_bias;
  int in = 0, out = 0, state = 0;

  void run(const RunContext& ctx) const override {
    ops::svdf_s8(p, matvec, ctx.as<int8_t>(in), ctx.as<int16_t>(state), ctx.as<int8_t>(out), ctx.scratch);
  }
  size_t scratch_bytes(int) const override { return ops::svdf_scratch_bytes(p); }
  std::string family() const override { return "svdf"; }
  std::string kernel() const override { return std::string("svdf_s8 + ") + matvec_name; }
};


}  // namespace

std::unique_ptr<Op> build_svdf(BuildContext& ctx) {
  ctx.expect_io(3, 5, 1);
  const OperatorDef& def = ctx.op();
  if (def.inputs.size() != 5 || def.inputs[4] < 0) ctx.fail("expects 5 inputs (the bias, input 3, is optional)");
  const int x = ctx.input(0), wf = ctx.input(1), wt = ctx.input(2), b = ctx.input(3), st = ctx.input(4);
  const int y = ctx.output(0);
  if (ctx.tensor(x).type != tfl::kInt8)
    ctx.fail("only the full-integer SVDF (int8 input, int16 state) is supported; input is " +
             std::string(tfl::tensor_type_name(ctx.tensor(x).type)));
  ctx.expect_int8_per_tensor(x, "input");
  ctx.expect_not_constant(x, "input");
  ctx.expect_int8_per_tensor(y, "output");
  ctx.expect_rank(x, 2, "input");
  ctx.expect_constant(wf, "weights_feature");
  ctx.expect_type(wf, tfl::kInt8, "weights_feature");
  ctx.expect_rank(wf, 2, "weights_feature");
  ctx.expect_constant(wt, "weights_time");
  ctx.expect_type(wt, tfl::kInt16, "weights_time");
  ctx.expect_rank(wt, 2, "weights_time");
  ctx.expect_variable(st, "state");
  ctx.expect_type(st, tfl::kInt16, "state");
  if (def.options.activation != tfl::kActRelu)
    ctx.fail("the integer SVDF runs with a RELU activation only (as LiteRT's), has activation " +
             std::to_string(def.options.activation));

  auto op = std::make_unique<SvdfOp>();
  ops::SvdfParams& p = op->p;
  p.rank = def.options.rank;
  p.n_batch = ctx.tensor(x).shape[0];
  p.n_input = ctx.tensor(x).shape[1];
  p.n_filter = ctx.tensor(wf).shape[0];
  p.n_memory = ctx.tensor(wt).shape[1];
  if (p.rank <= 0 || p.n_filter % p.rank != 0)
    ctx.fail("rank " + std::to_string(p.rank) + " must be positive and divide the " + std::to_string(p.n_filter) +
             " filters");
  if (p.n_memory < 1) ctx.fail_tensor(wt, "weights_time needs a memory size of at least 1");
  ctx.expect_shape(wf, {p.n_filter, p.n_input}, "weights_feature");
  ctx.expect_shape(wt, {p.n_filter, p.n_memory}, "weights_time");
  ctx.expect_shape(st, {p.n_batch, p.n_memory * p.n_filter}, "state");
  ctx.expect_shape(y, {p.n_batch, p.n_unit()}, "output");
  if (b >= 0) {
    ctx.expect_constant(b, "bias");
    ctx.expect_type(b, tfl::kInt32, "bias");
    ctx.expect_shape(b, {p.n_unit()}, "bias");
    p.bias = reinterpret_cast<const int32_t*>(ctx.tensor(b).const_data);
  }
  // LiteRT's float products, widened to double for QuantizeMultiplier.
  const float in_scale = ctx.tensor(x).scale, state_scale = ctx.per_tensor_scale(st, "state");
  const float s1 = in_scale * ctx.per_tensor_scale(wf, "weights_feature") / state_scale;
  const float s2 = state_scale * ctx.per_tensor_scale(wt, "weights_time") / ctx.tensor(y).scale;
  quantize_multiplier(s1, &p.multiplier1, &p.shift1);
  quantize_multiplier(s2, &p.multiplier2, &p.shift2);
  p.output_zero_point = ctx.tensor(y).zero_point;
  // The input zero point folded into a per-filter bias: sum_c w * (x - zp) = W . x - zp * sum_c w.
  const int8_t* w = reinterpret_cast<const int8_t*>(ctx.tensor(wf).const_data);
  op->feature_bias.assign(static_cast<size_t>(p.n_filter), 0);
  for (int f = 0; f < p.n_filter; ++f) {
    int32_t sum = 0;
    for (int c = 0; c < p.n_input; ++c) sum += w[static_cast<size_t>(f) * p.n_input + c];
    op->feature_bias[f] = wrap_mul(sum, -ctx.tensor(x).zero_point);
  }
  p.weights_feature = w;
  p.feature_bias = op->feature_bias.data();
  p.weights_time = reinterpret_cast<const int16_t*>(ctx.tensor(wt).const_data);
  op->matvec = ctx.kernels().matvec.fn;
  op->matvec_name = ctx.kernels().matvec.name;
  op->in = x;
  op->out = y;
  op->state = st;
  op->inputs = {x, st};
  op->outputs = {y};
  return op;
}

}  // namespace edgekd

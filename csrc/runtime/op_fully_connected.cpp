// FULLY_CONNECTED on the GEMM kernels: weights [out][in] packed once for the chosen path.
#include "kernels/conv/conv.h"
#include "runtime/op_quant_params.h"
#include "runtime/thread_pool.h"

namespace edgekd {
namespace {

class FullyConnectedOp : public Op {
 public:
  PackedFullyConnected packed;
  int batch = 1;
  bool parallel = true;
  void run(const RunContext& ctx) const override {
    run_fully_connected(packed, batch, ctx.as<const int8_t>(inputs[0]), ctx.as<int8_t>(outputs[0]),
                        parallel ? ctx.pool : nullptr);
  }
  std::string family() const override { return "gemm"; }
  std::string kernel() const override { return packed.kernel ? packed.kernel->name : "?"; }
};

}  // namespace

std::unique_ptr<Op> build_fully_connected(BuildContext& ctx) {
  ctx.expect_io(2, 3, 1);
  const int in = ctx.input(0), filter = ctx.input(1), bias = ctx.input(2), out = ctx.output(0);
  const OpOptions& o = ctx.op().options;
  if (o.weights_format != 0) ctx.fail("shuffled weights formats are not supported");
  ctx.expect_int8_per_tensor(in, "input");
  ctx.expect_not_constant(in, "input");
  ctx.expect_int8_per_tensor(out, "output");
  ctx.expect_type(filter, tfl::kInt8, "filter");
  ctx.expect_constant(filter, "filter");
  ctx.expect_rank(filter, 2, "filter");
  const std::vector<int>& fs = ctx.tensor(filter).shape;
  const int units = fs[0], depth = fs[1];
  if (units <= 0 || depth <= 0) ctx.fail_tensor(filter, "filter has an empty dimension");
  const RtTensor& x = ctx.tensor(in);
  if (x.shape.empty() || x.elements % depth != 0)
    ctx.fail_tensor(in, "input has " + std::to_string(x.elements) + " elements, not a multiple of the filter depth " +
                            std::to_string(depth));
  const int batch = static_cast<int>(x.elements / depth);
  if (o.keep_num_dims) {
    std::vector<int> s = x.shape;
    s.back() = units;
    if (x.shape.back() != depth) ctx.fail_tensor(in, "keep_num_dims needs the last input dimension to equal the filter depth");
    ctx.expect_shape(out, s, "output");
  } else {
    ctx.expect_elements(out, int64_t(batch) * units, "output");
    if (ctx.tensor(out).shape.back() != units) ctx.fail_tensor(out, "output's last dimension must be the number of units");
  }
  // Per-tensor filters: LiteRT multiplies s_in * s_w in float before dividing (GetQuantizedConvolutionMultipler).
  const bool per_channel = ctx.tensor(filter).quant && ctx.tensor(filter).quant->scale.size() > 1;
  OutputStage stage;
  fill_output_stage(ctx, in, filter, out, units, 0, ctx.activation(o.activation), !per_channel, &stage);
  const std::vector<int32_t> b = const_bias(ctx, bias, units);
  auto op = std::make_unique<FullyConnectedOp>();
  op->batch = batch;
  op->parallel = int64_t(batch) * units * depth >= kMinParallelMacs;
  op->packed = pack_fully_connected(kernel_table(ctx.isa()), depth, units,
                                    reinterpret_cast<const int8_t*>(ctx.tensor(filter).const_data),
                                    b.empty() ? nullptr : b.data(), x.zero_point, stage);
  op->inputs = {in};
  op->outputs = {out};
  return op;
}

}  // namespace edgekd

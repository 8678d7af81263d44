// MAX_POOL_2D / AVERAGE_POOL_2D on the ops kernels.
#include "runtime/op.h"
#include "model/tflite_schema.h"

namespace edgekd {
namespace {

constexpr int64_t kMinParallelPoolOutputs = 2048;

class PoolOp : public Op {
 public:
  ops::PoolParams p;
  OpKernel<PoolFn> k;  // from the model's kernel table
  void run(const RunContext& ctx) const override {
    const int8_t* in = ctx.as<const int8_t>(inputs[0]);
    int8_t* out = ctx.as<int8_t>(outputs[0]);
    if (p.batch != 1) {
      rows(in, out, 0, p.out_h);
      return;
    }
    // Output rows split across threads from kMinParallelPoolOutputs outputs (about 0.7 ns each).
    const int64_t row_outputs = int64_t(p.out_w) * p.channels;
    parallel_elements(ctx, p.out_h, 1, [&](int64_t r0, int64_t r1) { rows(in, out, int(r0), int(r1)); },
                      (kMinParallelPoolOutputs + row_outputs - 1) / row_outputs);
  }
  // Output rows [r0, r1) of a batch-1 pool, as the same kernel over the input rows their windows can reach:
  // the window of output row r starts at input row r * stride - pad_top either way, and rows past the
  // input's end are clipped either way, so every output is the one the whole-tensor call computes.
  void rows(const int8_t* in, int8_t* out, int r0, int r1) const {
    ops::PoolParams q = p;
    q.out_h = r1 - r0;
    const int y0 = r0 * p.stride_h - p.pad_top;
    const int skip = y0 > 0 ? y0 : 0;
    q.pad_top = y0 > 0 ? 0 : -y0;
    q.in_h = p.in_h - skip;
    in += int64_t(skip) * p.in_w * p.channels;
    out += int64_t(r0) * p.out_w * p.channels;
    k.fn(q, in, out);
  }
  std::string family() const override { return "pool"; }
  std::string kernel() const override { return k.name; }
};

}  // namespace

std::unique_ptr<Op> build_pool(BuildContext& ctx, bool max_pool) {
  ctx.expect_io(1, 1, 1);
  const int in = ctx.input(0), out = ctx.output(0);
  const OpOptions& o = ctx.op().options;
  ctx.expect_int8_per_tensor(in, "input");
  ctx.expect_int8_per_tensor(out, "output");
  ctx.expect_rank(in, 4, "input");
  for (int d : ctx.tensor(in).shape) if (d <= 0) ctx.fail_tensor(in, "input has an empty dimension");
  if (o.stride_w <= 0 || o.stride_h <= 0) ctx.fail("strides must be positive");
  if (o.filter_w <= 0 || o.filter_h <= 0) ctx.fail("filter sizes must be positive");
  if (o.padding != tfl::kSame && o.padding != tfl::kValid) ctx.fail("unknown padding " + std::to_string(o.padding));
  const RtTensor& ot = ctx.tensor(out);
  auto op = std::make_unique<PoolOp>();
  op->k = max_pool ? ctx.kernels().max_pool : ctx.kernels().avg_pool;
  try {
    op->p = ops::prepare_pool(ops::shape4(ctx.tensor(in).shape), o.filter_h, o.filter_w, o.stride_h, o.stride_w,
                              static_cast<ops::Padding>(o.padding), ot.scale, ot.zero_point, ctx.activation(o.activation));
  } catch (const std::invalid_argument& e) {
    ctx.fail(e.what());
  }
  const ops::Shape4 s = op->p.out_shape();
  ctx.expect_shape(out, {s.n, s.h, s.w, s.c}, "output");
  op->inputs = {in};
  op->outputs = {out};
  return op;
}

}  // namespace edgekd

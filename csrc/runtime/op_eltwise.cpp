// ADD and MUL (with NHWC broadcasting) on the ops kernels.
#include "runtime/op.h"
#include "model/tflite_schema.h"

namespace edgekd {
namespace {

// ADD and MUL cost about 1 ns per element on one core (three requantizations each), so they split from
// fewer elements than table-lookup activations do: 2048 elements take several times a pool dispatch
// (0.25-0.3 us measured on 2 threads).
constexpr int64_t kMinParallelBinaryElements = 2048;

// ADD / MUL. Threads split the output where the split keeps LiteRT's per-element code paths (see
// ops::detail::neon_runs): equal shapes split into chunks of whole 16-element blocks (the tail stays last);
// a per-channel operand [1,1,1,C] (C > 1, e.g. squeeze-excite) against [1,H,W,C] splits into rows, as its
// runs are C long. Other broadcasts run on one thread.
template <class Params, class Fn>
class BinaryOp : public Op {
 public:
  Params p;
  ops::Shape4 s1, s2;
  OpKernel<Fn> k;  // from the model's kernel table
  void run(const RunContext& ctx) const override {
    const int8_t* a = ctx.as<const int8_t>(inputs[0]);
    const int8_t* b = ctx.as<const int8_t>(inputs[1]);
    int8_t* out = ctx.as<int8_t>(outputs[0]);
    if (s1 == s2) {
      parallel_elements(ctx, s1.size(), 16, [&](int64_t lo, int64_t hi) {
        const ops::Shape4 flat{1, 1, 1, static_cast<int>(hi - lo)};
        k.fn(p, flat, a + lo, flat, b + lo, out + lo);
      }, kMinParallelBinaryElements);
      return;
    }
    const bool gate2 = per_channel(s2, s1), gate1 = per_channel(s1, s2);
    if (gate1 || gate2) {
      const ops::Shape4& full = gate2 ? s1 : s2;
      const int64_t row = int64_t(full.w) * full.c;
      parallel_elements(ctx, full.h, 1, [&](int64_t lo, int64_t hi) {
        const ops::Shape4 part{1, static_cast<int>(hi - lo), full.w, full.c};
        if (gate2) k.fn(p, part, a + lo * row, s2, b, out + lo * row);
        else k.fn(p, s1, a, part, b + lo * row, out + lo * row);
      }, /*min_n=*/2);
      return;
    }
    k.fn(p, s1, a, s2, b, out);
  }
  // Same-shape batch-1 operands run by rows. A band must start on a whole 16-element block (the blocks that
  // parallel_elements keeps whole), so the kernel sees LiteRT's blocks and tail.
  int band_rows() const override { return s1 == s2 && s1.n == 1 ? s1.h : 0; }
  bool row_local() const override { return band_rows() > 0; }
  bool band_may_start_at(int row) const override { return int64_t(row) * s1.w * s1.c % 16 == 0; }
  void run_band(const RunContext& ctx, int r0, int r1) const override {
    const int64_t row = int64_t(s1.w) * s1.c, lo = r0 * row;
    const ops::Shape4 flat{1, 1, 1, static_cast<int>((r1 - r0) * row)};
    k.fn(p, flat, ctx.as<const int8_t>(inputs[0]) + lo, flat, ctx.as<const int8_t>(inputs[1]) + lo,
           ctx.as<int8_t>(outputs[0]) + lo);
  }
  std::string family() const override { return "eltwise"; }
  std::string kernel() const override { return k.name; }

 private:
  // g is [1,1,1,C] with C > 1 and x is [1,H,W,C] with enough elements to be worth splitting.
  static bool per_channel(const ops::Shape4& g, const ops::Shape4& x) {
    return g.n == 1 && g.h == 1 && g.w == 1 && g.c > 1 && x.n == 1 && x.c == g.c && x.h > 1 &&
           x.size() >= kMinParallelBinaryElements;
  }
};

using AddOp = BinaryOp<ops::AddParams, AddFn>;
using MulOp = BinaryOp<ops::MulParams, MulFn>;

// Checks types and the broadcast output shape; returns the NHWC views of both inputs.
void check_binary(BuildContext& ctx, ops::Shape4* s1, ops::Shape4* s2) {
  ctx.expect_io(2, 2, 1);
  const int a = ctx.input(0), b = ctx.input(1), out = ctx.output(0);
  ctx.expect_int8_per_tensor(a, "input 0");
  ctx.expect_int8_per_tensor(b, "input 1");
  ctx.expect_int8_per_tensor(out, "output");
  for (int t : {a, b, out})
    if (ctx.tensor(t).shape.size() > 4) ctx.fail_tensor(t, "rank above 4 is not supported");
  *s1 = ops::shape4(ctx.tensor(a).shape);
  *s2 = ops::shape4(ctx.tensor(b).shape);
  const std::string name = describe_op(ctx.op());
  ops::Shape4 bs;
  try {
    bs = ops::broadcast_shape(*s1, *s2, name.c_str());
  } catch (const std::invalid_argument& e) {
    ctx.fail(e.what());
  }
  const size_t rank = std::max(ctx.tensor(a).shape.size(), ctx.tensor(b).shape.size());
  std::vector<int> expect;
  for (size_t i = 4 - rank; i < 4; ++i) expect.push_back(bs.dim(static_cast<int>(i)));
  ctx.expect_shape(out, expect, "output");
}

// ADD and MUL load the same way; only the kernel and its Prepare differ.
template <class BinOp, class Kernel, class Prepare>
std::unique_ptr<Op> build_binary(BuildContext& ctx, const Kernel& kernel, Prepare prepare) {
  auto op = std::make_unique<BinOp>();
  op->k = kernel;
  check_binary(ctx, &op->s1, &op->s2);
  const RtTensor &a = ctx.tensor(ctx.input(0)), &b = ctx.tensor(ctx.input(1)), &o = ctx.tensor(ctx.output(0));
  op->p = prepare(a.scale, a.zero_point, b.scale, b.zero_point, o.scale, o.zero_point,
                  ctx.activation(ctx.op().options.activation));
  op->inputs = {ctx.input(0), ctx.input(1)};
  op->outputs = {ctx.output(0)};
  return op;
}

}  // namespace

std::unique_ptr<Op> build_add(BuildContext& ctx) {
  return build_binary<AddOp>(ctx, ctx.kernels().add, &ops::prepare_add);
}

std::unique_ptr<Op> build_mul(BuildContext& ctx) {
  return build_binary<MulOp>(ctx, ctx.kernels().mul, &ops::prepare_mul);
}

}  // namespace edgekd

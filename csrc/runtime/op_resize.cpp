// RESIZE_BILINEAR (int8) and RESIZE_NEAREST_NEIGHBOR (any type) with a constant size, NHWC. Output rows are
// independent, so threads take blocks of rows of large outputs.
#include "model/tflite_schema.h"
#include "runtime/op_shape.h"

namespace edgekd {
namespace {

class ResizeOp : public Op {
 public:
  ops::ResizeParams p;
  bool bilinear = true;
  OpKernel<ResizeBilinearFn> lin;  // from the model's kernel table
  OpKernel<ResizeNearestFn> nearest;
  void run(const RunContext& ctx) const override {
    const int64_t row = int64_t(p.out_w) * p.channels * p.batch;
    parallel_elements(ctx, p.out_h, 1, [&](int64_t b, int64_t e) {
      if (bilinear) {
        lin.fn(p, ctx.as<const int8_t>(inputs[0]), ctx.as<int8_t>(outputs[0]), static_cast<int>(b), static_cast<int>(e));
      } else {
        nearest.fn(p, ctx.as<const uint8_t>(inputs[0]), ctx.as<uint8_t>(outputs[0]), static_cast<int>(b),
                   static_cast<int>(e));
      }
    }, (kMinParallelElements + row - 1) / row);
  }
  std::string family() const override { return bilinear ? "resize_bilinear" : "resize_nearest"; }
  std::string kernel() const override { return bilinear ? lin.name : nearest.name; }
};

}  // namespace

std::unique_ptr<Op> build_resize(BuildContext& ctx) {
  const bool bilinear = ctx.op().builtin_code == tfl::kResizeBilinear;
  ctx.expect_io(2, 2, 1);
  const int in = ctx.input(0), size_t_ = ctx.input(1), out = ctx.output(0);
  const int elem = expect_same_type(ctx, in, out);
  if (bilinear) ctx.expect_type(in, tfl::kInt8, "input");
  ctx.expect_rank(in, 4, "input");
  const std::vector<int32_t> size = ctx.const_ints(size_t_, "size");
  if (size.size() != 2) ctx.fail_tensor(size_t_, "size must hold 2 values (height, width)");
  const std::vector<int>& s = ctx.tensor(in).shape;
  const OpOptions& o = ctx.op().options;
  auto op = std::make_unique<ResizeOp>();
  op->bilinear = bilinear;
  try {
    op->p = bilinear ? ops::prepare_resize_bilinear(s[0], s[1], s[2], s[3], size[0], size[1], o.align_corners,
                                                    o.half_pixel_centers)
                     : ops::prepare_resize_nearest(s[0], s[1], s[2], s[3] * elem, size[0], size[1], o.align_corners,
                                                   o.half_pixel_centers);
  } catch (const std::invalid_argument& e) {
    ctx.fail(e.what());
  }
  ctx.expect_shape(out, {s[0], size[0], size[1], s[3]}, "output");
  op->lin = ctx.kernels().shape.resize_bilinear;
  op->nearest = ctx.kernels().shape.resize_nearest;
  op->inputs = {in};
  op->outputs = {out};
  return op;
}

}  // namespace edgekd

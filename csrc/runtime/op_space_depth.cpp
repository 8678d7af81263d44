// DEPTH_TO_SPACE and SPACE_TO_DEPTH (NHWC, TensorFlow's DCR order): one 6-D strided copy each.
//   DEPTH_TO_SPACE: out[b][h*bs + i][w*bs + j][c] = in[b][h][w][(i*bs + j)*C_out + c]
//   SPACE_TO_DEPTH: out[b][h][w][(i*bs + j)*C + c] = in[b][h*bs + i][w*bs + j][c]
#include "model/tflite_schema.h"
#include "runtime/op_shape.h"

namespace edgekd {

std::unique_ptr<Op> build_space_depth(BuildContext& ctx) {
  const bool to_space = ctx.op().builtin_code == tfl::kDepthToSpace;
  ctx.expect_io(1, 1, 1);
  const int in = ctx.input(0), out = ctx.output(0);
  const int elem = expect_same_type(ctx, in, out);
  ctx.expect_rank(in, 4, "input");
  const std::vector<int>& s = ctx.tensor(in).shape;
  const int bs = ctx.op().options.block_size;
  if (bs < 1) ctx.fail("block_size must be positive, is " + std::to_string(bs));
  const int64_t N = s[0], H = s[1], W = s[2], C = s[3];
  std::vector<int> out_shape;
  std::vector<int64_t> dims, strides;
  if (to_space) {
    if (C % (int64_t(bs) * bs) != 0)
      ctx.fail_tensor(in, "channels (" + std::to_string(C) + ") are not a multiple of block_size^2");
    const int64_t Co = C / (int64_t(bs) * bs);
    out_shape = {s[0], static_cast<int>(H * bs), static_cast<int>(W * bs), static_cast<int>(Co)};
    // Output order (b, h, i, w, j, c).
    dims = {N, H, bs, W, bs, Co};
    strides = {H * W * C, W * C, bs * Co, C, Co, 1};
  } else {
    if (H % bs != 0 || W % bs != 0)
      ctx.fail_tensor(in, "height and width (" + std::to_string(H) + ", " + std::to_string(W) +
                              ") are not multiples of block_size " + std::to_string(bs));
    out_shape = {s[0], static_cast<int>(H / bs), static_cast<int>(W / bs), static_cast<int>(C * bs * bs)};
    // Output order (b, h, w, i, j, c).
    dims = {N, H / bs, W / bs, bs, bs, C};
    strides = {H * W * C, bs * W * C, bs * C, W * C, C, 1};
  }
  ctx.expect_shape(out, out_shape, "output");
  return make_copy_op(ctx, in, {out}, {ops::make_strided_copy(6, dims.data(), strides.data(), 0, elem)},
                      to_space ? "depth_to_space" : "space_to_depth");
}

}  // namespace edgekd

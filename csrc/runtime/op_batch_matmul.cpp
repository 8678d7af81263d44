// BATCH_MATMUL (int8): adj_x / adj_y, batch dimensions broadcast (ranks 2 to 5), on the kernel table's
// batch_matmul kernel. The kernel takes both matrices with the depth contiguous: a transposed lhs (adj_x) is
// copied per run into the scratch, and so is a right-hand matrix without adj_y, once at load when constant.
#include <algorithm>
#include <cstring>

#include "model/tflite_schema.h"
#include "runtime/op.h"

namespace edgekd {
namespace {

constexpr int kRank = 5;  // LiteRT's BatchMatMul extends both shapes to 5-D

// Copies `batches` row-major [rows][cols] matrices transposed into [cols][rows].
void transpose_batches(const int8_t* in, int8_t* out, int64_t batches, int rows, int cols) {
  const int64_t size = int64_t(rows) * cols;
  for (int64_t b = 0; b < batches; ++b)
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) out[b * size + int64_t(c) * rows + r] = in[b * size + int64_t(r) * cols + c];
}

class BatchMatMulOp : public Op {
 public:
  ops::BatchMatMulParams p;
  OpKernel<BatchMatMulFn> k;
  int m = 0, n = 0, depth = 0;
  int lhs_batch[3] = {1, 1, 1}, rhs_batch[3] = {1, 1, 1}, out_batch[3] = {1, 1, 1};
  bool transpose_lhs = false;      // adj_x: lhs is [depth][m] per batch
  bool transpose_rhs = false;      // no adj_y, not constant: rhs is [depth][n] per batch, copied per run
  std::vector<int8_t> rhs_packed;  // constant rhs, [n][depth] per batch (when it needed a transpose)
  int64_t lhs_elements = 0, rhs_elements = 0;

  size_t scratch_bytes(int) const override {
    return static_cast<size_t>((transpose_lhs ? lhs_elements : 0) + (transpose_rhs ? rhs_elements : 0));
  }
  void run(const RunContext& ctx) const override {
    const int8_t* lhs = ctx.as<const int8_t>(inputs[0]);
    const int8_t* rhs = rhs_packed.empty() ? ctx.as<const int8_t>(inputs[1]) : rhs_packed.data();
    int8_t* out = ctx.as<int8_t>(outputs[0]);
    int8_t* scratch = static_cast<int8_t*>(ctx.scratch);
    if (transpose_lhs) {
      transpose_batches(lhs, scratch, lhs_elements / (int64_t(m) * depth), depth, m);
      lhs = scratch;
      scratch += lhs_elements;
    }
    if (transpose_rhs) {
      transpose_batches(rhs, scratch, rhs_elements / (int64_t(n) * depth), depth, n);
      rhs = scratch;
    }
    const int64_t batches = int64_t(out_batch[0]) * out_batch[1] * out_batch[2];
    const int64_t macs = batches * m * n * depth;
    // Rows of all batches, one after another; a chunk may span batches.
    parallel_elements(ctx, batches * m, 1, [&](int64_t lo, int64_t hi) {
      while (lo < hi) {
        const int64_t b = lo / m;
        const int row = static_cast<int>(lo % m);
        const int rows = static_cast<int>(std::min<int64_t>(hi - lo, m - row));
        const int64_t lb = batch_index(b, lhs_batch), rb = batch_index(b, rhs_batch);
        k.fn(p, lhs + (lb * m + row) * depth, rhs + rb * n * depth, out + (b * m + row) * n, rows, n, depth);
        lo += rows;
      }
    }, macs >= kMinParallelMacs ? 2 : INT64_MAX);
  }
  std::string family() const override { return "batch_matmul"; }
  std::string kernel() const override { return k.name; }

 private:
  // The flat batch index of an operand for output batch b (broadcast dimensions of size 1 repeat).
  int64_t batch_index(int64_t b, const int* dims) const {
    const int i2 = static_cast<int>(b % out_batch[2]), i1 = static_cast<int>(b / out_batch[2] % out_batch[1]);
    const int i0 = static_cast<int>(b / (int64_t(out_batch[2]) * out_batch[1]));
    return ((int64_t(dims[0] == 1 ? 0 : i0) * dims[1]) + (dims[1] == 1 ? 0 : i1)) * dims[2] +
           (dims[2] == 1 ? 0 : i2);
  }
};

}  // namespace

std::unique_ptr<Op> build_batch_matmul(BuildContext& ctx) {
  ctx.expect_io(2, 2, 1);
  const int a = ctx.input(0), b = ctx.input(1), out = ctx.output(0);
  ctx.expect_int8_per_tensor(a, "lhs");
  ctx.expect_int8_per_tensor(b, "rhs");
  ctx.expect_int8_per_tensor(out, "output");
  ctx.expect_not_constant(a, "lhs");
  const std::vector<int>& ls = ctx.tensor(a).shape;
  const std::vector<int>& rs = ctx.tensor(b).shape;
  for (int t : {a, b}) {
    const size_t r = ctx.tensor(t).shape.size();
    if (r < 2 || r > kRank) ctx.fail_tensor(t, "BATCH_MATMUL operands must have rank 2 to 5");
    for (int d : ctx.tensor(t).shape)
      if (d <= 0) ctx.fail_tensor(t, "has an empty dimension");
  }
  const OpOptions& o = ctx.op().options;
  auto op = std::make_unique<BatchMatMulOp>();
  const size_t lr = ls.size(), rr = rs.size();
  op->m = o.adj_x ? ls[lr - 1] : ls[lr - 2];
  op->depth = o.adj_x ? ls[lr - 2] : ls[lr - 1];
  const int rhs_depth = o.adj_y ? rs[rr - 1] : rs[rr - 2];
  op->n = o.adj_y ? rs[rr - 2] : rs[rr - 1];
  if (rhs_depth != op->depth)
    ctx.fail_tensor(b, "depth " + std::to_string(rhs_depth) + " differs from the lhs's " + std::to_string(op->depth));
  // Batch dimensions, right-aligned into three.
  std::vector<int> out_dims;
  const size_t out_rank = std::max(lr, rr);
  for (int i = 0; i < 3; ++i) {
    const int li = static_cast<int>(lr) - 5 + i, ri = static_cast<int>(rr) - 5 + i;
    const int ld = li >= 0 ? ls[li] : 1, rd = ri >= 0 ? rs[ri] : 1;
    if (ld != rd && ld != 1 && rd != 1)
      ctx.fail("batch dimensions " + std::to_string(ld) + " and " + std::to_string(rd) + " do not broadcast");
    op->lhs_batch[i] = ld;
    op->rhs_batch[i] = rd;
    op->out_batch[i] = std::max(ld, rd);
    if (i >= 3 - static_cast<int>(out_rank - 2)) out_dims.push_back(op->out_batch[i]);
  }
  out_dims.push_back(op->m);
  out_dims.push_back(op->n);
  ctx.expect_shape(out, out_dims, "output");
  const RtTensor &x = ctx.tensor(a), &y = ctx.tensor(b), &z = ctx.tensor(out);
  try {
    op->p = ops::prepare_batch_matmul(x.scale, x.zero_point, y.scale, y.zero_point, z.scale, z.zero_point);
  } catch (const std::invalid_argument& e) {
    ctx.fail(e.what());
  }
  op->lhs_elements = x.elements;
  op->rhs_elements = y.elements;
  op->transpose_lhs = o.adj_x;
  if (!o.adj_y) {
    if (y.is_constant()) {
      op->rhs_packed.resize(static_cast<size_t>(y.elements));
      transpose_batches(reinterpret_cast<const int8_t*>(y.const_data), op->rhs_packed.data(),
                        y.elements / (int64_t(op->n) * op->depth), op->depth, op->n);
    } else {
      op->transpose_rhs = true;
    }
  }
  op->k = ctx.kernels().batch_matmul;
  op->inputs = {a, b};
  op->outputs = {out};
  return op;
}

}  // namespace edgekd

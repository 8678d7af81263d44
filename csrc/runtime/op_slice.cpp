// SLICE and STRIDED_SLICE of activations at run time (slice.cc, strided_slice.cc): one strided copy, its
// start, count and step per dimension computed at load exactly as LiteRT computes them (begin / end masks,
// ellipsis, new axes, shrink axes, negative strides, offset). Constant 1-D int32 STRIDED_SLICEs (shape
// arithmetic) are folded at load instead (shape_folding.cpp).
#include <algorithm>

#include "model/tflite_schema.h"
#include "runtime/op_shape.h"

namespace edgekd {
namespace {

bool bit(int mask, int i) { return (static_cast<uint32_t>(mask) >> i) & 1u; }

int clamp(int v, int lo, int hi) { return v > hi ? hi : v < lo ? lo : v; }

struct SliceAxis {
  int dim = 1;            // the (effective) input dimension
  int start = 0, stride = 1;
  int64_t count = 1;      // elements the copy takes
  bool keep = true;       // in the output shape (not a shrink axis)
  int64_t out_dim = 1;    // what the output shape says (LiteRT's formula)
};

// StridedSlice's begin / end / strides / masks resolved onto the effective dimensions (ellipsis expanded,
// new axes inserted), as LiteRT's BuildStridedSliceParams, StartForAxis and EndForAxis do.
std::vector<SliceAxis> strided_slice_axes(BuildContext& ctx, const std::vector<int>& shape) {
  const OpOptions& o = ctx.op().options;
  const int begin_t = ctx.input(1), end_t = ctx.input(2), strides_t = ctx.input(3);
  const std::vector<int32_t> begin = ctx.const_ints(begin_t, "begin");
  const std::vector<int32_t> end = ctx.const_ints(end_t, "end");
  const std::vector<int32_t> strides = ctx.const_ints(strides_t, "strides");
  const int n = static_cast<int>(begin.size());
  if (end.size() != begin.size() || strides.size() != begin.size())
    ctx.fail_tensor(end_t, "begin, end and strides must have the same number of values");
  if (n > 31) ctx.fail_tensor(begin_t, "more than 31 indices");
  const int rank = static_cast<int>(shape.size());
  int num_add = 0;
  for (int i = 0; i < n; ++i)
    if (!bit(o.ellipsis_mask, i) && bit(o.new_axis_mask, i)) ++num_add;
  const int eff = rank + num_add;
  if (eff > 6) ctx.fail("the slice has more than 6 dimensions");
  if (o.slice_offset && (o.ellipsis_mask || o.new_axis_mask))
    ctx.fail("offset with ellipsis or new-axis masks is not supported");
  // Which effective dimensions the ellipsis covers, and which are new axes.
  uint32_t ell = 0, newax = 0;
  int ell_start = eff, expanded = 0;
  for (int i = 0; i < eff;) {
    if (bit(o.ellipsis_mask, i)) {
      ell_start = i;
      const int ell_end = std::max(i + 1, std::min(i + 1 + num_add + rank - n, eff));
      expanded = ell_end - ell_start - 1;
      for (; i < ell_end; ++i) ell |= 1u << i;
      continue;
    }
    if (bit(o.new_axis_mask, i - expanded)) newax |= 1u << i;
    ++i;
  }
  std::vector<SliceAxis> axes(eff);
  int added_ell = 0, added_axes = 0;
  for (int i = 0; i < eff; ++i) {
    SliceAxis& a = axes[i];
    bool bmask = false, emask = false, shrink = false;
    int b = 0, e = 0;
    if (bit(ell, i)) {
      added_ell = std::max(0, i - ell_start);
      bmask = emask = true;
      a.dim = shape[i - added_axes];
    } else if (bit(newax, i)) {
      a.dim = 1;
      e = 1;
      ++added_axes;
    } else if (i >= n + expanded) {
      bmask = emask = true;
      a.dim = shape[i - added_axes];
    } else {
      const int k = i - added_ell;
      b = begin[k];
      e = end[k];
      a.stride = strides[k];
      bmask = bit(o.begin_mask, k);
      emask = bit(o.end_mask, k);
      shrink = bit(o.shrink_axis_mask, k);
      a.dim = shape[i - added_axes];
      if (a.stride == 0) ctx.fail_tensor(strides_t, "stride " + std::to_string(k) + " is 0");
      if (a.stride == INT32_MIN) ctx.fail_tensor(strides_t, "stride INT32_MIN is not supported");
    }
    const int s = a.stride, d = a.dim;
    int start = b < 0 ? b + d : b;
    start = s > 0 ? clamp(start, 0, d) : clamp(start, -1, d - 1);
    if (bmask) start = s > 0 ? 0 : d - 1;
    int stop;
    if (shrink) {
      if (start < 0 || start >= d) ctx.fail_tensor(begin_t, "shrink index " + std::to_string(b) + " is out of range for dimension " + std::to_string(d));
      stop = start + 1;
    } else {
      const int64_t end_at = o.slice_offset ? int64_t(e) + start : int64_t(e);
      stop = static_cast<int>(std::max<int64_t>(std::min<int64_t>(end_at, INT32_MAX), INT32_MIN + int64_t(d)));
      if (stop < 0) stop += d;
      stop = s > 0 ? clamp(stop, 0, d) : clamp(stop, -1, d - 1);
      if (emask) stop = s > 0 ? d : -1;
    }
    a.start = start;
    const int64_t span = s > 0 ? int64_t(stop) - start : int64_t(start) - stop;
    a.count = shrink ? 1 : span <= 0 ? 0 : (span - 1) / std::abs(int64_t(s)) + 1;
    a.keep = !shrink;
    // The output dimension as LiteRT's ResizeOutputTensor computes it.
    int64_t ds = o.slice_offset ? int64_t(e) : int64_t(stop) - start;
    if ((ds < 0) != (s < 0)) ds = 0;
    else if (s < 0) ds = (ds + 1) / s + 1;
    else ds = ds == 0 ? 0 : (ds - 1) / s + 1;
    a.out_dim = ds;
    if (a.keep && a.out_dim != a.count)
      ctx.fail_tensor(end_t, "the slice of dimension " + std::to_string(i) + " runs past the input");
  }
  return axes;
}

}  // namespace

std::unique_ptr<Op> build_slice(BuildContext& ctx) {
  ctx.expect_io(3, 3, 1);
  const int in = ctx.input(0), begin_t = ctx.input(1), size_t_ = ctx.input(2), out = ctx.output(0);
  const int elem = expect_same_type(ctx, in, out);
  const std::vector<int>& shape = ctx.tensor(in).shape;
  const int rank = static_cast<int>(shape.size());
  const std::vector<int32_t> begin = ctx.const_ints(begin_t, "begin");
  const std::vector<int32_t> size = ctx.const_ints(size_t_, "size");
  if (static_cast<int>(begin.size()) != rank || static_cast<int>(size.size()) != rank)
    ctx.fail_tensor(begin_t, "begin and size must have one value per input dimension (" + std::to_string(rank) + ")");
  const std::vector<int64_t> strides = ops::dense_strides(shape);
  std::vector<int> out_shape(rank);
  std::vector<int64_t> dims(rank);
  int64_t offset = 0;
  for (int k = 0; k < rank; ++k) {
    if (begin[k] < 0 || begin[k] > shape[k])
      ctx.fail_tensor(begin_t, "begin " + std::to_string(begin[k]) + " is outside dimension " + std::to_string(k) +
                                   " of size " + std::to_string(shape[k]));
    int64_t s = size[k];
    if (s == -1) s = shape[k] - begin[k];
    if (s < 0 || begin[k] + s > shape[k])
      ctx.fail_tensor(size_t_, "size " + std::to_string(size[k]) + " from begin " + std::to_string(begin[k]) +
                                   " does not fit dimension " + std::to_string(k) + " of size " + std::to_string(shape[k]));
    out_shape[k] = static_cast<int>(s);
    dims[k] = s;
    offset += begin[k] * strides[k];
  }
  ctx.expect_shape(out, out_shape, "output");
  return make_copy_op(ctx, in, {out},
                      {ops::make_strided_copy(rank, dims.data(), strides.data(), offset, elem)}, "slice");
}

std::unique_ptr<Op> build_strided_slice(BuildContext& ctx) {
  ctx.expect_io(4, 4, 1);
  const int in = ctx.input(0), out = ctx.output(0);
  const int elem = expect_same_type(ctx, in, out);
  const std::vector<SliceAxis> axes = strided_slice_axes(ctx, ctx.tensor(in).shape);
  const int eff = static_cast<int>(axes.size());
  std::vector<int> eff_shape, out_shape;
  for (const SliceAxis& a : axes) {
    eff_shape.push_back(a.dim);
    if (a.keep) out_shape.push_back(static_cast<int>(a.out_dim));
  }
  ctx.expect_shape(out, out_shape, "output");
  const std::vector<int64_t> eff_strides = ops::dense_strides(eff_shape);
  std::vector<int64_t> dims(eff), strides(eff);
  int64_t offset = 0;
  for (int i = 0; i < eff; ++i) {
    dims[i] = axes[i].count;
    strides[i] = eff_strides[i] * axes[i].stride;
    offset += axes[i].start * eff_strides[i];
  }
  return make_copy_op(ctx, in, {out}, {ops::make_strided_copy(eff, dims.data(), strides.data(), offset, elem)},
                      "slice");
}

}  // namespace edgekd

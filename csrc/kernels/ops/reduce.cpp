// SUM, REDUCE_MAX, ARG_MAX and ARG_MIN on int8 (reduce.cc, arg_min_max.cc; LiteRT 2.3.0 builtin kernels).
//
// SUM (EvalSum -> optimized_ops::QuantizedMeanOrSum with compute_sum): the raw int8 values are summed in
// int32, then requantized in FLOAT, whatever the scales:
//   scale = s_in / s_out;  bias = float(-z_in) * scale * float(n)   (n = reduced elements, float product)
//   out   = clamp(int32(roundf(float(sum) * scale + bias)) + z_out, -128, 127)
// roundf rounds half away from zero; int32(...) of a value outside int32 is cvttss2si's INT32_MIN on x86.
// REDUCE_MAX (EvalGeneric<kMax>): the maximum of the raw values; LiteRT requires the output's scale and
// zero point to equal the input's (checked by the op at load).
// ARG_MAX / ARG_MIN: the first index of the maximum (minimum) along the axis. The builtin kernel's NEON scan
// (last axis) keeps the first block whose maximum is strictly larger, then the first element equal to it
// in that block; the reference loop (other axes) replaces only on a strictly larger value: both give the
// first occurrence.
#include <algorithm>
#include <cmath>
#include <string>

#include "kernels/ops/ops_internal.h"
#include "kernels/ops/shape_ops.h"

namespace edgekd {
namespace ops {
namespace {

// Per collapsed dimension: the step of the output index (0 for a reduced dimension).
void output_strides(const ReduceParams& p, int64_t* os) {
  int64_t s = 1;
  for (int k = p.rank; k-- > 0;) {
    os[k] = p.reduced[k] ? 0 : s;
    if (!p.reduced[k]) s *= p.dims[k];
  }
}

// Calls row(src, out_index, out_step, length) for every innermost row of the input, in memory order.
template <class Row>
void for_each_row(const ReduceParams& p, const int8_t* in, const Row& row) {
  int64_t os[6];
  output_strides(p, os);
  const int last = p.rank - 1;
  const int64_t len = p.dims[last];
  int64_t idx[6] = {};
  int64_t o = 0;
  for (;;) {
    row(in, o, os[last], len);
    in += len;
    int k = last - 1;
    for (; k >= 0; --k) {
      o += os[k];
      if (++idx[k] < p.dims[k]) break;
      o -= os[k] * p.dims[k];
      idx[k] = 0;
    }
    if (k < 0) return;
  }
}

}  // namespace

ReduceParams prepare_reduce(const int* dims, int rank, const int32_t* axes, int num_axes, const char* op) {
  if (rank < 1 || rank > 6) detail::fail(op, "input rank", "must be 1..6, is " + std::to_string(rank));
  if (num_axes < 0 || (num_axes > 0 && axes == nullptr)) detail::fail(op, "axis", "is missing");
  bool reduced[6] = {};
  for (int i = 0; i < num_axes; ++i) {
    const int a = axes[i];
    if (a < -rank || a >= rank)
      detail::fail(op, "axis", std::to_string(a) + " is out of range for rank " + std::to_string(rank));
    reduced[a < 0 ? a + rank : a] = true;
  }
  ReduceParams p;
  for (int k = 0; k < rank; ++k) {
    if (dims[k] < 1) detail::fail(op, "input shape", "has an empty dimension");
    if (reduced[k]) p.num_reduced *= dims[k];
    else p.num_outputs *= dims[k];
    if (dims[k] == 1) continue;
    if (p.rank > 0 && p.reduced[p.rank - 1] == reduced[k]) {
      p.dims[p.rank - 1] *= dims[k];
    } else {
      p.dims[p.rank] = dims[k];
      p.reduced[p.rank] = reduced[k];
      ++p.rank;
    }
  }
  if (p.rank == 0) {  // a single element
    p.rank = 1;
    p.dims[0] = 1;
  }
  return p;
}

void prepare_sum_requant(ReduceParams& p, float in_scale, int32_t in_zp, float out_scale, int32_t out_zp) {
  const char* op = "SUM";
  detail::check_scale(op, "input scale", in_scale);
  detail::check_scale(op, "output scale", out_scale);
  detail::check_zero_point(op, "input zero point", in_zp);
  detail::check_zero_point(op, "output zero point", out_zp);
  p.scale = in_scale / out_scale;
  p.bias = static_cast<float>(-in_zp) * p.scale * static_cast<float>(p.num_reduced);
  p.output_zp = out_zp;
}

void reduce_sum_s8(const ReduceParams& p, const int8_t* in, int8_t* out, int32_t* acc) {
  uint32_t* sum = reinterpret_cast<uint32_t*>(acc);  // int32 sums that wrap as LiteRT's would
  std::fill(sum, sum + p.num_outputs, 0u);
  for_each_row(p, in, [sum](const int8_t* src, int64_t o, int64_t step, int64_t len) {
    if (step == 0) {
      int32_t s = 0;
      for (int64_t j = 0; j < len; ++j) s += src[j];
      sum[o] += static_cast<uint32_t>(s);
    } else {
      for (int64_t j = 0; j < len; ++j) sum[o + j] += static_cast<uint32_t>(static_cast<int32_t>(src[j]));
    }
  });
  for (int64_t i = 0; i < p.num_outputs; ++i) {
    const float v = static_cast<float>(static_cast<int32_t>(sum[i])) * p.scale + p.bias;
    const int32_t q = detail::truncate_to_int32_x86(std::round(v));
    out[i] = clamp_to_int8(wrap_add(q, p.output_zp), -128, 127);
  }
}

void reduce_max_s8(const ReduceParams& p, const int8_t* in, int8_t* out) {
  std::fill(out, out + p.num_outputs, static_cast<int8_t>(-128));
  for_each_row(p, in, [out](const int8_t* src, int64_t o, int64_t step, int64_t len) {
    if (step == 0) {
      int8_t m = out[o];
      for (int64_t j = 0; j < len; ++j) m = std::max(m, src[j]);
      out[o] = m;
    } else {
      for (int64_t j = 0; j < len; ++j) out[o + j] = std::max(out[o + j], src[j]);
    }
  });
}

void arg_minmax_s8(const ArgParams& p, const int8_t* in, void* out) {
  const int64_t A = p.axis_size, I = p.inner;
  auto better = [&p](int8_t v, int8_t best) { return p.is_max ? v > best : v < best; };
  auto store = [&p, out](int64_t at, int64_t index) {
    if (p.out_int64) static_cast<int64_t*>(out)[at] = index;
    else static_cast<int32_t*>(out)[at] = static_cast<int32_t>(index);
  };
  for (int64_t o = 0; o < p.outer; ++o) {
    const int8_t* base = in + o * A * I;
    for (int64_t i = 0; i < I; ++i) {
      int64_t best_at = 0;
      int8_t best = base[i];
      for (int64_t a = 1; a < A; ++a) {
        const int8_t v = base[a * I + i];
        if (better(v, best)) {
          best = v;
          best_at = a;
        }
      }
      store(o * I + i, best_at);
    }
  }
}

}  // namespace ops
}  // namespace edgekd

// CONCATENATION on int8.
//
// LiteRT 2.3.0 (concatenation.cc Prepare) REJECTS an int8 concatenation whose inputs' scale or zero point
// differ from the output's, and then copies bytes. edgekd accepts such models too: an input whose
// quantization differs is requantized exactly as reference_ops::ConcatenationWithScaling does for uint8
// (the only requantizing concat LiteRT has), with int8 bounds:
//   inv = 1.f / s_out; scale = s_in * inv; bias = -z_in * scale (all float);
//   q = clamp((int32)roundf(x * scale + bias) + z_out, -128, 127)
// Inputs whose scale and zero point equal the output's are copied (memcpy), as LiteRT does. A fused
// activation must be NONE (concatenation.cc requires it for every type).
#include <cmath>
#include <cstring>
#include <string>

#include "kernels/ops/ops.h"
#include "kernels/ops/ops_internal.h"

namespace edgekd {
namespace ops {

ConcatParams prepare_concat(int num_inputs, const int* const* in_dims, int rank, int axis,
                            const float* in_scales, const int32_t* in_zps, float out_scale, int32_t out_zp,
                            Activation act) {
  const char* op = "CONCATENATION";
  if (num_inputs < 1) detail::fail(op, "inputs", "must be at least one");
  if (rank < 1 || rank > 6) detail::fail(op, "input rank", "must be 1..6, got " + std::to_string(rank));
  if (axis < -rank || axis >= rank)
    detail::fail(op, "axis", std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  if (act != Activation::kNone) detail::fail(op, "fused activation", "must be NONE");
  if (in_dims == nullptr || in_scales == nullptr || in_zps == nullptr) detail::fail(op, "inputs", "are missing");
  detail::check_scale(op, "output scale", out_scale);
  detail::check_zero_point(op, "output zero point", out_zp);
  if (axis < 0) axis += rank;
  ConcatParams p;
  const int* d0 = in_dims[0];
  int64_t inner = 1, outer = 1;
  for (int i = 0; i < axis; ++i) outer *= d0[i];
  for (int i = axis + 1; i < rank; ++i) inner *= d0[i];
  p.outer = outer;
  int axis_total = 0;
  const float inv = 1.f / out_scale;
  for (int k = 0; k < num_inputs; ++k) {
    const int* d = in_dims[k];
    if (d == nullptr) detail::fail(op, "inputs", "input " + std::to_string(k) + " has no shape");
    for (int i = 0; i < rank; ++i) {
      if (d[i] < 0) detail::fail(op, "input shape", "input " + std::to_string(k) + " has a negative dimension");
      if (i != axis && d[i] != d0[i])
        detail::fail(op, "input shape", "input " + std::to_string(k) + " differs from input 0 in dimension " +
                                            std::to_string(i) + " (only the axis may differ)");
    }
    detail::check_scale(op, "input scale", in_scales[k]);
    detail::check_zero_point(op, "input zero point", in_zps[k]);
    ConcatInput ci;
    ci.copy_size = int64_t(d[axis]) * inner;
    ci.requant = !(in_zps[k] == out_zp && in_scales[k] == out_scale);
    ci.scale = in_scales[k] * inv;
    ci.bias = -in_zps[k] * ci.scale;
    if (ci.requant && !(std::isfinite(ci.scale) && std::isfinite(ci.bias)))
      detail::fail(op, "input scale", "input " + std::to_string(k) + "'s scale / output scale overflows float");
    ci.output_zp = out_zp;
    p.inputs.push_back(ci);
    axis_total += d[axis];
  }
  p.out_copy_size = int64_t(axis_total) * inner;
  return p;
}

void concat_s8(const ConcatParams& p, const int8_t* const* inputs, int8_t* out) {
  int8_t* dst = out;
  for (int64_t k = 0; k < p.outer; ++k) {
    for (size_t i = 0; i < p.inputs.size(); ++i) {
      const ConcatInput& ci = p.inputs[i];
      const int8_t* src = inputs[i] + k * ci.copy_size;
      if (!ci.requant) {
        std::memcpy(dst, src, static_cast<size_t>(ci.copy_size));
      } else {
        for (int64_t j = 0; j < ci.copy_size; ++j) {
          const float v = static_cast<float>(src[j]) * ci.scale;
          const int32_t q = detail::truncate_to_int32_x86(std::round(v + ci.bias));
          dst[j] = clamp_to_int8(wrap_add(q, ci.output_zp), -128, 127);
        }
      }
      dst += ci.copy_size;
    }
  }
}

}  // namespace ops
}  // namespace edgekd

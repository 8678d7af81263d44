// PAD / PADV2 on int8 (pad.cc EvalInt): pure data movement. The pad value is the OUTPUT zero point (the
// quantized real 0; pad.cc requires it to fit int8), or PADV2's constant value (which LiteRT requires to
// share the output's scale / zero point). Input values are copied unchanged, so in a valid model input and
// output quantization agree.
#include <algorithm>
#include <cstring>
#include <string>

#include "kernels/ops/ops.h"
#include "kernels/ops/ops_internal.h"

namespace edgekd {
namespace ops {

PadParams prepare_pad(const int* in_dims, int rank, const int32_t* paddings, int32_t out_zp,
                      const int8_t* constant_value) {
  const char* op = "PAD";
  if (rank < 1 || rank > 4) detail::fail(op, "input rank", "must be 1..4, got " + std::to_string(rank));
  if (paddings == nullptr) detail::fail(op, "paddings", "is missing");
  detail::check_zero_point(op, "output zero point", out_zp);
  PadParams p;
  p.in = shape4(in_dims, rank);
  int out[4] = {p.in.n, p.in.h, p.in.w, p.in.c};
  for (int i = 0; i < rank; ++i) {
    const int32_t before = paddings[2 * i], after = paddings[2 * i + 1];
    if (before < 0 || after < 0)
      detail::fail(op, "paddings", "must be non-negative, got [" + std::to_string(before) + ", " +
                                       std::to_string(after) + "] for dimension " + std::to_string(i));
    const int d = i + (4 - rank);
    p.before[d] = before;
    out[d] += before + after;
  }
  p.out = {out[0], out[1], out[2], out[3]};
  p.pad_value = constant_value != nullptr ? *constant_value : static_cast<int8_t>(out_zp);
  return p;
}

void pad_s8(const PadParams& p, const int8_t* in, int8_t* out) {
  const Shape4& o = p.out;
  const Shape4& s = p.in;
  const uint8_t fill = static_cast<uint8_t>(p.pad_value);
  const int64_t row = o.c;
  for (int n = 0; n < o.n; ++n) {
    const int in_n = n - p.before[0];
    for (int h = 0; h < o.h; ++h) {
      const int in_h = h - p.before[1];
      for (int w = 0; w < o.w; ++w) {
        const int in_w = w - p.before[2];
        int8_t* dst = out + ((int64_t(n) * o.h + h) * o.w + w) * row;
        if (in_n < 0 || in_n >= s.n || in_h < 0 || in_h >= s.h || in_w < 0 || in_w >= s.w) {
          std::memset(dst, fill, static_cast<size_t>(row));
          continue;
        }
        const int8_t* src = in + ((int64_t(in_n) * s.h + in_h) * s.w + in_w) * s.c;
        const int cb = p.before[3];
        std::memset(dst, fill, static_cast<size_t>(cb));
        std::memcpy(dst + cb, src, static_cast<size_t>(s.c));
        std::memset(dst + cb + s.c, fill, static_cast<size_t>(row - cb - s.c));
      }
    }
  }
}

}  // namespace ops
}  // namespace edgekd

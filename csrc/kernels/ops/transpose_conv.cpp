// TRANSPOSE_CONV's reference kernel (see math_ops.h for LiteRT's arithmetic). It gathers instead of
// scattering: output pixel (oy, ox) sums the taps fy, fx whose input position (oy + pad_top - fy) / stride
// is whole and inside the input; integer sums are exact, so the order does not matter.
#include "kernels/ops/math_ops.h"

namespace edgekd {
namespace ops {

void transpose_conv_s8_ref(const TransposeConvParams& p, const int8_t* in, const int8_t* weights,
                           const int32_t* bias, int8_t* out, int c_begin, int c_end) {
  const int64_t tap_stride = p.in_c, filter_size = int64_t(p.kh) * p.kw * p.in_c;
  for (int b = 0; b < p.batch; ++b) {
    const int8_t* image = in + int64_t(b) * p.in_h * p.in_w * p.in_c;
    for (int oy = 0; oy < p.out_h; ++oy) {
      for (int ox = 0; ox < p.out_w; ++ox) {
        int8_t* o = out + ((int64_t(b) * p.out_h + oy) * p.out_w + ox) * p.out_c;
        for (int oc = c_begin; oc < c_end; ++oc) {
          int32_t acc = bias ? bias[oc] : 0;
          const int8_t* w = weights + oc * filter_size;
          for (int fy = 0; fy < p.kh; ++fy) {
            const int ty = oy + p.pad_top - fy;
            if (ty < 0 || ty % p.stride_h != 0 || ty / p.stride_h >= p.in_h) continue;
            for (int fx = 0; fx < p.kw; ++fx) {
              const int tx = ox + p.pad_left - fx;
              if (tx < 0 || tx % p.stride_w != 0 || tx / p.stride_w >= p.in_w) continue;
              const int8_t* x = image + (int64_t(ty / p.stride_h) * p.in_w + tx / p.stride_w) * p.in_c;
              const int8_t* wt = w + (int64_t(fy) * p.kw + fx) * tap_stride;
              for (int ic = 0; ic < p.in_c; ++ic) acc = wrap_add(acc, (x[ic] - p.input_zero_point) * wt[ic]);
            }
          }
          o[oc] = oc < p.neon_channels ? p.out.apply_gemm(acc, oc) : p.out.apply(acc, oc);
        }
      }
    }
  }
}

}  // namespace ops
}  // namespace edgekd

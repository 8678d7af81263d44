// Packing for the x86 depthwise kernel with depth multiplier > 1 (dwconv_multiplier_x86.inc), compiled
// without ISA flags like the other packing code (see dwconv_internal.h).
#include <cstring>

#include "edgekd/quant.h"
#include "kernels/dwconv/dwconv_multiplier.h"

namespace edgekd {
namespace dwconv {

bool use_multiplier_kernel(const DwConvParams& p) {
  return p.depth_multiplier > 1 && p.kh * p.kw <= kMaxSimdTaps;
}

void pack_multiplier(const DwConvParams& params, const int8_t* w, const int32_t* bias, Isa isa,
                     PackedDwConv* out) {
  out->isa = isa;
  out->params = params;
  out->variant = isa == Isa::kAvx512Vnni ? "dwconv_multiplier_avx512vnni" : "dwconv_multiplier_avx2";
  const int c = params.out_c();
  const int taps = params.kh * params.kw;
  const int blocks = (c + kBlock - 1) / kBlock;
  const int pairs = (taps + 1) / 2;
  auto weight = [&](int t, int ch) -> int8_t {
    return (t < taps && ch < c) ? w[static_cast<size_t>(t) * c + ch] : int8_t{0};
  };
  // kPairsS16 over output channels (dwconv_internal.h), without the zero-point row: padding taps are
  // handled in registers.
  out->weights.resize(static_cast<size_t>(blocks) * pairs * 32 * sizeof(int16_t));
  int16_t* d = out->weights.as<int16_t>();
  for (int b = 0; b < blocks; ++b)
    for (int p = 0; p < pairs; ++p)
      for (int i = 0; i < kBlock; ++i) {
        d[(static_cast<size_t>(b) * pairs + p) * 32 + 2 * i] = weight(2 * p, b * kBlock + i);
        d[(static_cast<size_t>(b) * pairs + p) * 32 + 2 * i + 1] = weight(2 * p + 1, b * kBlock + i);
      }
  fold_input_zero_point(params, w, bias, static_cast<size_t>(blocks) * kBlock, out);
}

}  // namespace dwconv
}  // namespace edgekd

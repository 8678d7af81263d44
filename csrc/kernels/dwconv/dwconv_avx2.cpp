// Depthwise conv, AVX2 path: vpmaddwd on pairs of taps with its own row loop (dwconv_x86.inc); the tail
// guard and tap helpers come from the driver shared with NEON (dwconv_driver.inc). Packing: dwconv_pack.cpp.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/dwconv/dwconv.h"
#include "kernels/dwconv/dwconv_internal.h"
#include "kernels/dwconv/dwconv_multiplier.h"
#include "kernels/requant_avx2.h"

namespace edgekd {
namespace dwconv {
namespace {

#include "kernels/dwconv/dwconv_driver.inc"
#include "kernels/dwconv/dwconv_x86.inc"

void pack_avx2(const DwConvParams& params, const int8_t* w, const int32_t* bias, PackedDwConv* out) {
  if (use_multiplier_kernel(params)) return pack_multiplier(params, w, bias, Isa::kAvx2, out);  // dwconv_multiplier.h
  pack_simd(params, w, bias, Isa::kAvx2, Layout::kPairsS16, out);
}

// Depth multipliers > 1 run dwconv_multiplier_avx2.cpp.
void run_avx2(const PackedDwConv& p, const DwConvParams& g, const int8_t* input, int8_t* output, int oh_begin,
             int oh_end) {
  if (use_multiplier_kernel(p.params)) return run_multiplier_avx2(p, g, input, output, oh_begin, oh_end);
  run_x86(p, g, input, output, oh_begin, oh_end);
}

}  // namespace
}  // namespace dwconv

const DwConvKernel kDwConvAvx2{"dwconv_avx2", Isa::kAvx2, &dwconv::pack_avx2,
                               &dwconv::run_avx2};

}  // namespace edgekd

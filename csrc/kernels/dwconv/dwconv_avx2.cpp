// Depthwise conv, AVX2 path: vpmaddwd on pairs of taps with its own row loop (dwconv_x86.inc); the tail
// guard and tap helpers come from the driver shared with NEON (dwconv_driver.inc). Packing: dwconv_pack.cpp.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/dwconv/dwconv.h"
#include "kernels/dwconv/dwconv_internal.h"
#include "kernels/requant_avx2.h"

namespace edgekd {
namespace dwconv {
namespace {

#include "kernels/dwconv/dwconv_driver.inc"
#include "kernels/dwconv/dwconv_x86.inc"

void pack_avx2(const DwConvParams& params, const int8_t* w, const int32_t* bias, PackedDwConv* out) {
  pack_simd(params, w, bias, Isa::kAvx2, Layout::kPairsS16, out);
}

}  // namespace
}  // namespace dwconv

const DwConvKernel kDwConvAvx2{"dwconv_avx2", Isa::kAvx2, &dwconv::pack_avx2,
                               &dwconv::run_x86};

}  // namespace edgekd

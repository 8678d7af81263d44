// Depthwise conv, AVX-512 VNNI path. Depthwise has no reduction over a contiguous k for vpdpbusd to use,
// so this path is the AVX2 kernel source (dwconv_x86.inc) compiled with this file's AVX-512 flags: the
// same arithmetic as the AVX2 path, which the tests compare against the reference on every machine.
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

void pack_avx512vnni(const DwConvParams& params, const int8_t* w, const int32_t* bias, PackedDwConv* out) {
  pack_simd(params, w, bias, Isa::kAvx512Vnni, Layout::kPairsS16, out);
}

}  // namespace
}  // namespace dwconv

const DwConvKernel kDwConvAvx512Vnni{"dwconv_avx512vnni", Isa::kAvx512Vnni, &dwconv::pack_avx512vnni,
                                     &dwconv::run_x86};

}  // namespace edgekd

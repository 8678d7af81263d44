// Depthwise conv, AVX-512 VNNI path. Depthwise has no reduction over a contiguous k for vpdpbusd to use,
// so this path is the AVX2 kernel source (dwconv_x86.inc) compiled with this file's AVX-512 flags: the
// same arithmetic as the AVX2 path, which the tests compare against the reference on every machine.
// Depth multipliers > 1 run dwconv_multiplier_avx512vnni.cpp.
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

void pack_avx512vnni(const DwConvParams& params, const int8_t* w, const int32_t* bias, PackedDwConv* out) {
  if (use_multiplier_kernel(params)) return pack_multiplier(params, w, bias, Isa::kAvx512Vnni, out);  // dwconv_multiplier.h
  pack_simd(params, w, bias, Isa::kAvx512Vnni, Layout::kPairsS16, out);
}

// Depth multipliers > 1 run dwconv_multiplier_avx512vnni.cpp.
void run_avx512vnni(const PackedDwConv& p, const DwConvParams& g, const int8_t* input, int8_t* output, int oh_begin,
             int oh_end) {
  if (use_multiplier_kernel(p.params)) return run_multiplier_avx512vnni(p, g, input, output, oh_begin, oh_end);
  run_x86(p, g, input, output, oh_begin, oh_end);
}

}  // namespace
}  // namespace dwconv

const DwConvKernel kDwConvAvx512Vnni{"dwconv_avx512vnni", Isa::kAvx512Vnni, &dwconv::pack_avx512vnni,
                                     &dwconv::run_avx512vnni};

}  // namespace edgekd

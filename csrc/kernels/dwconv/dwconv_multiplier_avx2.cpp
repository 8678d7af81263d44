// Depthwise conv with depth multiplier > 1, avx2 flags: the kernel is dwconv_multiplier_x86.inc.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/dwconv/dwconv_multiplier.h"
#include "kernels/requant_avx2.h"

namespace edgekd {
namespace dwconv {
namespace {

#include "kernels/dwconv/dwconv_multiplier_x86.inc"

}  // namespace

void run_multiplier_avx2(const PackedDwConv& p, const DwConvParams& g, const int8_t* input, int8_t* output,
                         int oh_begin, int oh_end) {
  run_multiplier(p, g, input, output, oh_begin, oh_end);
}

}  // namespace dwconv
}  // namespace edgekd

// Depthwise conv with depth multiplier > 1 on the x86 SIMD paths: any kernel size (up to kMaxSimdTaps
// taps), stride and dilation. The AVX2 and AVX-512 VNNI depthwise kernels hand such layers to these.
#pragma once
#include <cstdint>

#include "kernels/dwconv/dwconv_internal.h"

namespace edgekd {
namespace dwconv {

// Whether the multiplier kernels take this layer (else it runs as before). Defined in the flag-free
// dwconv_multiplier_pack.cpp, so no ISA-flagged copy of it exists for the linker to pick.
bool use_multiplier_kernel(const DwConvParams& p);

// Weights in kPairsS16 blocks over output channels, bias folded with the input zero point; sets the variant
// "dwconv_multiplier_<isa>". isa: kAvx2 or kAvx512Vnni.
void pack_multiplier(const DwConvParams& params, const int8_t* w, const int32_t* bias, Isa isa,
                     PackedDwConv* out);

// DwConvKernel::run for layers packed by pack_multiplier, one per path.
void run_multiplier_avx2(const PackedDwConv& p, const DwConvParams& g, const int8_t* input, int8_t* output,
                         int oh_begin, int oh_end);
void run_multiplier_avx512vnni(const PackedDwConv& p, const DwConvParams& g, const int8_t* input,
                               int8_t* output, int oh_begin, int oh_end);

}  // namespace dwconv
}  // namespace edgekd

// Shared between the depthwise translation units: the variant classification and the packed layouts.
// Packing lives in dwconv_pack.cpp, compiled WITHOUT ISA flags, so the ISA files hold only their run loops
// and no std:: template gets instantiated with AVX-512 flags (the linker could pick that copy for a CPU
// that lacks them). Everything here is declared, not defined inline, for the same reason.
//
// SIMD packed buffer (PackedDwConv::weights), depth multiplier 1 only:
//   [0, zp_row_bytes)  a row of in_c bytes equal to the input zero point (rounded up to 64). Taps outside
//                      the input point at it, so border pixels run the same loop as interior ones.
//   [zp_row_bytes, ..) weights in channel blocks of 16, zero beyond out_c, in the path's layout:
//     kPairsS16 (x86, vpmaddwd): per block, per pair of taps (2p, 2p+1): 32 int16 [w_a[c], w_b[c]] for
//                c = 0..15; an odd last tap is paired with a zero weight. For 3x3 stride 1 a second
//                section follows all blocks: per block (kColumnsBlockS16 int16), per kernel column kx,
//                32 int16 [w(0,kx)[c], w(1,kx)[c]] then 32 int16 [w(2,kx)[c], 0] (vertical pairs: the
//                x86 row sweep widens each input column once for the three pixels that read it).
//     kTapsS8   (NEON smull/saddw): per block, per tap: 16 int8.
//     kQuadsS8  (NEON sdot): per block, per whole group of 4 taps: 16 channels x 4 int8 [w_t0..w_t3];
//                then the last taps % 4 taps as in kTapsS8 (16 int8 each).
//   PackedDwConv::bias: [out_c rounded up to 16] = bias[c] - in_zp * sum_taps w[c] (mod 2^32), 0 beyond:
//   the zero point is folded out of the inner loop, and a padding tap reads in_zp, which the fold cancels.
//
// Depth multiplier > 1 on the NEON layouts: blocks over OUTPUT channels, each block's weights preceded by 16
// tbl indices (lane i reads input byte (oc0 + i) / M - oc0 / M of the 16 loaded from channel oc0 / M); the
// zero-point row has kBlock more bytes, so a 16-byte load from any of its channels stays inside it.
// Reference buffer: weights verbatim [kh][kw][out_c], bias verbatim [out_c] (zeros when absent). The x86
// paths pack depth multipliers > 1 themselves (dwconv_multiplier.h).
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"

namespace edgekd {
namespace dwconv {

enum class Variant { k3x3s1, k3x3s2, k5x5s1, k5x5s2, kGenericSimd, kGenericRef };
enum class Layout { kPairsS16, kTapsS8, kQuadsS8 };

constexpr int kBlock = 16;            // channels per SIMD block
constexpr int kColumnsBlockS16 = 3 * 64;  // int16 per block in kPairsS16's 3x3 stride-1 column section

// LiteRT's depthwise output stage (DepthwiseConvGeneral -> optimized_ops::Quantize, LiteRT 2.3.0) treats
// output channels in whole groups of 8 (oc < out_c / 8 * 8) with vqrdmulh + vrshl: the final rounding right
// shift rounds half UP; only the last out_c % 8 channels take MultiplyByQuantizedMultiplier (half away from
// zero). Both paths agree except on exact ties. Measured: 0 mismatches against LiteRT over ~84k outputs of
// 9 shapes x 8 seeds, where plain MultiplyByQuantizedMultiplier everywhere mismatched ~1 in 700.
constexpr int kLiteRtRequantGroup = 8;
constexpr int kMaxSimdTaps = 1024;    // larger kernels (kh*kw) run the reference loops (stack arrays)

Variant classify(const DwConvParams& p);
// Whether a NEON layout packs this layer for the multiplier pixel kernel (PathNeonMul in dwconv_neon.inc):
// depth multiplier > 1 and at most kMaxSimdTaps taps.
bool neon_multiplier(const DwConvParams& p, Layout layout);
// "dwconv_<variant>_<isa>", e.g. "dwconv_3x3s1_avx2"; "dwconv_generic_ref" for kGenericRef.
const char* variant_name(Variant v, Isa isa);

int zp_row_bytes(const DwConvParams& p);
int padded_channels(const DwConvParams& p);

// out->bias for a SIMD pack: `padded` entries, bias[ch] - in_zp * sum_t w[t][ch] for the out_c channels
// (exact mod 2^32, so the kernels sum x * w without subtracting the zero point), zero past them.
void fold_input_zero_point(const DwConvParams& params, const int8_t* w, const int32_t* bias, size_t padded,
                           PackedDwConv* out);

// Pack for the reference loops (weights/bias verbatim). Sets variant "dwconv_generic_ref".
void pack_reference(const DwConvParams& params, const int8_t* w, const int32_t* bias, Isa isa,
                    PackedDwConv* out);
// Pack for a SIMD path: the reference layout when classify() says kGenericRef, else `layout`.
void pack_simd(const DwConvParams& params, const int8_t* w, const int32_t* bias, Isa isa, Layout layout,
               PackedDwConv* out);

// The reference loops, output rows [oh_begin, oh_end) of each image (dwconv_ref.cpp). SIMD paths call it
// for kGenericRef.
void run_reference(const PackedDwConv& p, const DwConvParams& g, const int8_t* input, int8_t* output,
                   int oh_begin, int oh_end);

}  // namespace dwconv
}  // namespace edgekd

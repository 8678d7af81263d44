// Depthwise Conv2D, int8 (TFLite DEPTHWISE_CONV_2D, per-channel weights; NHWC), on top of the DwConvKernel
// tables in kernels/kernels.h.
//
//   out[b][oy][ox][oc] = requant_oc( bias[oc] + sum_{ky,kx} (in[b][iy][ix][ic] - in_zp) * w[ky][kx][oc] )
//   oc = ic * depth_multiplier + m,  iy = oy*stride_h - pad_top + ky*dilation_h,
//   ix = ox*stride_w - pad_left + kx*dilation_w  (taps outside the input read the zero point: real 0)
//   requant_oc is LiteRT's depthwise output stage: MultiplyByQuantizedMultiplier, except that output channels
//   in whole groups of 8 round the final right shift half up instead of half away from zero (what LiteRT
//   2.3's builtin kernel computes; see kLiteRtRequantGroup in dwconv_internal.h).
//
// Usage (the runtime packs once at load, runs per inference):
//   PackedDwConv p = pack_dwconv(*kernel_table(isa).dwconv, params, weights, bias, out_stage);
//   run_dwconv(*kernel_table(p.isa).dwconv, p, input, output, pool /*nullable*/);
//
// Every SIMD path has fast variants for 3x3 and 5x5 at stride 1 and 2 (dilation 1, depth multiplier 1)
// and a generic SIMD variant for any other kernel size / stride / dilation with depth multiplier 1; depth
// multipliers > 1 run their own kernel on x86 (dwconv_multiplier.h, any kernel size up to kMaxSimdTaps taps)
// and the reference loops on ARM. PackedDwConv::variant names what was chosen.
// Results are bit-identical across paths and thread counts.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"

namespace edgekd {

class ParallelFor;

// The kernels, one per path. Each SIMD one is defined only when its path is compiled in (EDGEKD_HAVE_<ISA>);
// the declarations stay unconditional so every definition sees them and gets external linkage.
extern const DwConvKernel kDwConvRef;
extern const DwConvKernel kDwConvAvx2;
extern const DwConvKernel kDwConvAvx512Vnni;
extern const DwConvKernel kDwConvNeon;
extern const DwConvKernel kDwConvNeonDot;

enum class Padding { kSame, kValid };

// Sets out_h/out_w/pad_top/pad_left from in_h/in_w, kernel, strides and dilations the way TFLite's
// ComputePaddingHeightWidth does (the odd extra SAME padding goes to the bottom/right).
// Throws std::invalid_argument (naming the field) when the sizes are not positive.
void compute_dwconv_padding(DwConvParams* params, Padding padding);

// Throws std::invalid_argument naming the field when params are inconsistent (non-positive sizes,
// zero point outside [-128, 127], negative padding, ...).
void validate_dwconv_params(const DwConvParams& params);
// Throws std::invalid_argument unless `out` has out_c multipliers and shifts, shifts in [-31, 30],
// zero point in [-128, 127] and -128 <= act_min <= act_max <= 127.
void validate_dwconv_output_stage(const OutputStage& out, int out_c);

// Validates, packs `weights` [kh][kw][out_c] (int8) and `bias` [out_c] (int32, or nullptr) for `kernel`,
// and attaches `out`. Throws std::invalid_argument on bad parameters.
PackedDwConv pack_dwconv(const DwConvKernel& kernel, const DwConvParams& params, const int8_t* weights,
                         const int32_t* bias, const OutputStage& out);

// Bytes of scratch run_dwconv needs (the bordered image; 0 when the kernel reads the input directly).
size_t dwconv_scratch_bytes(const PackedDwConv& packed);

// input: NHWC [batch][in_h][in_w][in_c]; output: NHWC [batch][out_h][out_w][out_c], dense.
// Splits output rows over `pool` (nullptr: the calling thread only). Throws std::invalid_argument if
// `packed` was packed for another kernel. `packed` must come from pack_dwconv, which validated it.
// scratch may be nullptr (allocated per call when needed); otherwise it must hold
// dwconv_scratch_bytes(packed) bytes (throws if scratch_bytes is smaller).
void run_dwconv(const DwConvKernel& kernel, const PackedDwConv& packed, const int8_t* input, int8_t* output,
                ParallelFor* pool, void* scratch = nullptr, size_t scratch_bytes = 0);

// Output rows [row_begin, row_end) of every image on the calling thread, as run_dwconv computes them: a
// band of rows for a fused region (several threads run disjoint bands at once, each bordered copy in the
// scratch slot of its first row). Same scratch rules as run_dwconv.
void run_dwconv_rows(const DwConvKernel& kernel, const PackedDwConv& packed, const int8_t* input, int8_t* output,
                     int row_begin, int row_end, void* scratch = nullptr, size_t scratch_bytes = 0);

}  // namespace edgekd

// Depthwise weight packing for every path and the choice of variant (compiled without ISA flags).
#include <cstring>
#include <stdexcept>
#include <string>

#include "edgekd/quant.h"
#include "kernels/dwconv/dwconv_internal.h"

namespace edgekd {
namespace dwconv {
namespace {

int round_up(int x, int m) { return (x + m - 1) / m * m; }

void fill_common(const DwConvParams& params, Isa isa, Variant v, PackedDwConv* out) {
  out->isa = isa;
  out->params = params;
  out->variant = variant_name(v, isa);
}

}  // namespace

bool neon_multiplier(const DwConvParams& p, Layout layout) {
  return layout != Layout::kPairsS16 && p.depth_multiplier > 1 && p.kh * p.kw <= kMaxSimdTaps;
}

Variant classify(const DwConvParams& p) {
  if (p.depth_multiplier != 1 || p.kh * p.kw > kMaxSimdTaps) return Variant::kGenericRef;
  const bool square_stride = p.stride_h == p.stride_w && (p.stride_h == 1 || p.stride_h == 2);
  if (p.dilation_h == 1 && p.dilation_w == 1 && square_stride && p.kh == p.kw) {
    if (p.kh == 3) return p.stride_h == 1 ? Variant::k3x3s1 : Variant::k3x3s2;
    if (p.kh == 5) return p.stride_h == 1 ? Variant::k5x5s1 : Variant::k5x5s2;
  }
  return Variant::kGenericSimd;
}

const char* variant_name(Variant v, Isa isa) {
  // [variant][isa]; literals so the pointer stays valid forever (PackedDwConv::variant is a const char*).
  static const char* const kNames[5][static_cast<int>(Isa::kCount)] = {
      {"dwconv_3x3s1_ref", "dwconv_3x3s1_avx2", "dwconv_3x3s1_avx512vnni", "dwconv_3x3s1_neon",
       "dwconv_3x3s1_neondot"},
      {"dwconv_3x3s2_ref", "dwconv_3x3s2_avx2", "dwconv_3x3s2_avx512vnni", "dwconv_3x3s2_neon",
       "dwconv_3x3s2_neondot"},
      {"dwconv_5x5s1_ref", "dwconv_5x5s1_avx2", "dwconv_5x5s1_avx512vnni", "dwconv_5x5s1_neon",
       "dwconv_5x5s1_neondot"},
      {"dwconv_5x5s2_ref", "dwconv_5x5s2_avx2", "dwconv_5x5s2_avx512vnni", "dwconv_5x5s2_neon",
       "dwconv_5x5s2_neondot"},
      {"dwconv_generic_ref", "dwconv_generic_avx2", "dwconv_generic_avx512vnni", "dwconv_generic_neon",
       "dwconv_generic_neondot"},
  };
  if (v == Variant::kGenericRef || isa == Isa::kRef) return "dwconv_generic_ref";
  return kNames[static_cast<int>(v)][static_cast<int>(isa)];
}

int zp_row_bytes(const DwConvParams& p) { return round_up(p.in_c + (p.depth_multiplier > 1 ? kBlock : 0), 64); }
int padded_channels(const DwConvParams& p) { return round_up(p.out_c(), kBlock); }

void pack_reference(const DwConvParams& params, const int8_t* w, const int32_t* bias, Isa isa,
                    PackedDwConv* out) {
  fill_common(params, isa, Variant::kGenericRef, out);
  const size_t n = static_cast<size_t>(params.kh) * params.kw * params.out_c();
  out->weights.resize(n);
  std::memcpy(out->weights.data(), w, n);
  out->bias.assign(params.out_c(), 0);
  if (bias != nullptr) out->bias.assign(bias, bias + params.out_c());
}

void fold_input_zero_point(const DwConvParams& params, const int8_t* w, const int32_t* bias, size_t padded,
                           PackedDwConv* out) {
  // sum_t (x - zp) * w = sum_t x * w - zp * sum_t w
  const int c = params.out_c();
  const int taps = params.kh * params.kw;
  out->bias.assign(padded, 0);
  for (int ch = 0; ch < c; ++ch) {
    int32_t wsum = 0;
    for (int t = 0; t < taps; ++t) wsum += w[static_cast<size_t>(t) * c + ch];
    const int32_t b0 = bias != nullptr ? bias[ch] : 0;
    out->bias[ch] = wrap_add(b0, -wrap_mul(params.input_zero_point, wsum));
  }
}

void pack_simd(const DwConvParams& params, const int8_t* w, const int32_t* bias, Isa isa, Layout layout,
               PackedDwConv* out) {
  const Variant v = classify(params);
  const bool multiplier = neon_multiplier(params, layout);
  if (v == Variant::kGenericRef && !multiplier) {
    pack_reference(params, w, bias, isa, out);
    return;
  }
  fill_common(params, isa, v, out);
  if (multiplier) out->variant = isa == Isa::kNeonDot ? "dwconv_multiplier_neondot" : "dwconv_multiplier_neon";
  const int c = params.out_c();
  const int index_bytes = multiplier ? kBlock : 0;
  const int cp = padded_channels(params);
  const int taps = params.kh * params.kw;
  const int blocks = cp / kBlock;
  const size_t row = static_cast<size_t>(zp_row_bytes(params));

  // Weight of tap t for channel ch, zero in the padding (channels past c, taps past the kernel).
  auto weight = [&](int t, int ch) -> int8_t {
    return (t < taps && ch < c) ? w[static_cast<size_t>(t) * c + ch] : int8_t{0};
  };

  size_t weight_bytes = 0;
  const bool columns = layout == Layout::kPairsS16 && v == Variant::k3x3s1;
  switch (layout) {
    case Layout::kPairsS16:
      weight_bytes = static_cast<size_t>(blocks) * ((taps + 1) / 2) * 32 * 2;
      if (columns) weight_bytes += static_cast<size_t>(blocks) * kColumnsBlockS16 * 2;
      break;
    case Layout::kTapsS8:
    case Layout::kQuadsS8: weight_bytes = static_cast<size_t>(blocks) * (index_bytes + taps * kBlock); break;
  }
  out->weights.resize(row + weight_bytes);
  std::memset(out->weights.data(), static_cast<int8_t>(params.input_zero_point), row);
  uint8_t* dst = out->weights.data() + row;

  for (int b = 0; b < blocks; ++b) {
    switch (layout) {
      case Layout::kPairsS16: {
        const int pairs = (taps + 1) / 2;
        int16_t* d = reinterpret_cast<int16_t*>(dst) + static_cast<size_t>(b) * pairs * 32;
        for (int p = 0; p < pairs; ++p)
          for (int i = 0; i < kBlock; ++i) {
            d[p * 32 + 2 * i] = weight(2 * p, b * kBlock + i);
            d[p * 32 + 2 * i + 1] = weight(2 * p + 1, b * kBlock + i);
          }
        break;
      }
      case Layout::kTapsS8:
      case Layout::kQuadsS8: {
        const int quads = layout == Layout::kQuadsS8 ? taps / 4 : 0;
        int8_t* d = reinterpret_cast<int8_t*>(dst) + static_cast<size_t>(b) * (index_bytes + taps * kBlock);
        // Multiplier > 1: the block's tbl indices, lane i -> input byte (oc0 + i) / M - oc0 / M (<= 15).
        const int m = params.depth_multiplier;
        for (int i = 0; i < index_bytes; ++i) *d++ = static_cast<int8_t>((b * kBlock + i) / m - b * kBlock / m);
        for (int q = 0; q < quads; ++q)
          for (int i = 0; i < kBlock; ++i)
            for (int j = 0; j < 4; ++j) d[(q * kBlock + i) * 4 + j] = weight(4 * q + j, b * kBlock + i);
        for (int t = 4 * quads; t < taps; ++t)
          for (int i = 0; i < kBlock; ++i) d[t * kBlock + i] = weight(t, b * kBlock + i);
        break;
      }
    }
  }

  if (columns) {
    // The x86 stride-1 row sweep's vertical pairs (see kColumnsBlockS16).
    int16_t* d = reinterpret_cast<int16_t*>(dst) + static_cast<size_t>(blocks) * ((taps + 1) / 2) * 32;
    for (int b = 0; b < blocks; ++b, d += kColumnsBlockS16)
      for (int kx = 0; kx < 3; ++kx)
        for (int i = 0; i < kBlock; ++i) {
          const int ch = b * kBlock + i;
          d[64 * kx + 2 * i] = weight(kx, ch);
          d[64 * kx + 2 * i + 1] = weight(3 + kx, ch);
          d[64 * kx + 32 + 2 * i] = weight(6 + kx, ch);
          d[64 * kx + 32 + 2 * i + 1] = 0;
        }
  }

  out->no_min_weight = std::memchr(w, 0x80, static_cast<size_t>(taps) * c) == nullptr;
  fold_input_zero_point(params, w, bias, cp, out);
}

}  // namespace dwconv
}  // namespace edgekd

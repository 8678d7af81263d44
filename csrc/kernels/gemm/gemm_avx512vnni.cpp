// AVX-512 VNNI int8 GEMM, 8x32c4 (vpdpbusd). The kernel body is gemm_c4_body.h, shared with ARM dotprod
// and with the scalar emulation in test_gemm.cpp; this file only maps its five vector operations to
// intrinsics. vpdpbusd multiplies unsigned by signed bytes: activations get +128 (xor 0x80) here and the
// bias got -(a_zero_point + 128) * rowsum(W) at pack time. Requantization runs as two 256-bit halves
// through the AVX2 code that the AVX2 path's tests verify.
#include <immintrin.h>

#include <cstring>

// GCC 12's _mm512_castsi512_si256 / _mm512_extracti64x4_epi64 trip a false -Wmaybe-uninitialized.
#if defined(__GNUC__) && !defined(__clang__)  // a GCC-only warning (clang: -Wunknown-warning-option)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#pragma GCC diagnostic ignored "-Wuninitialized"

#include "kernels/gemm/gemm_c4_body.h"
#include "kernels/gemm/gemm_c4_configs.h"
#include "kernels/gemm/gemm_common.h"
#include "kernels/requant_avx2.h"

namespace edgekd {
namespace {

using namespace gemm_c4_config;

struct VnniOps {
  static constexpr int kLanes = kVnniLanes;
  using Acc = __m512i;
  using Av = __m512i;
  using Wv = __m512i;
  static Acc load_bias(const int32_t* p) { return _mm512_loadu_si512(p); }
  static Wv load_w(const int8_t* p) { return _mm512_loadu_si512(p); }
  static Av bcast_a(const int8_t* p) {
    int32_t v;
    std::memcpy(&v, p, sizeof(v));
    return _mm512_set1_epi32(static_cast<int32_t>(static_cast<uint32_t>(v) ^ 0x80808080u));
  }
  static constexpr bool kPrepareA = true;
  static void prepare_a(const int8_t* src, int k, int8_t* dst) {
    const __m512i sign = _mm512_set1_epi8(static_cast<char>(0x80));
    for (int i = 0; i < k; i += 64) {
      const int left = k - i;
      // Masked load: bytes past the row are neither read nor faulted on (they load as 0, stored as 0x80;
      // the packed W is zero there).
      const __mmask64 mask = left >= 64 ? ~__mmask64(0) : (__mmask64(1) << left) - 1;
      const __m512i v = _mm512_maskz_loadu_epi8(mask, src + i);
      _mm512_storeu_si512(dst + i, _mm512_xor_si512(v, sign));
    }
  }
  static Av bcast_prepared(const int8_t* p) {
    int32_t v;
    std::memcpy(&v, p, sizeof(v));
    return _mm512_set1_epi32(v);
  }
  // Inline asm with the accumulator tied in place: with the intrinsic, GCC 12 keeps two copies of every
  // accumulator and moves them each iteration (32 extra vector moves per 16 vpdpbusd on the port
  // vpdpbusd needs). Same instruction, same semantics as _mm512_dpbusd_epi32(acc, a, w).
  static Acc dot(Acc acc, Av a, Wv w) {
    __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "vm"(w));
    return acc;
  }
  static void requant_store(Acc acc, const int32_t* mult, const int32_t* shift, const OutputStage& os,
                            int8_t* c, int count) {
    const int32_t zp = os.output_zero_point;
    const __m256i lo = requant8(_mm512_castsi512_si256(acc), requant_cols8(mult, shift, zp));
    const __m256i hi = requant8(_mm512_extracti64x4_epi64(acc, 1), requant_cols8(mult + 8, shift + 8, zp));
    store_s8(c, clamp_s8(pack16_s32_to_s8(lo, hi), requant_clamp(os.act_min, os.act_max)), count);
  }
};

void pack_vnni(const int8_t* w, const int32_t* bias, int n, int k, int32_t a_zero_point, PackedGemm* out) {
  gemm_pack::pack_c4(w, bias, n, k, a_zero_point, Isa::kAvx512Vnni, kVnniNv * kVnniLanes, kVnniActOffset,
                     out);
}

void run_vnni(const PackedGemm& p, int m, const int8_t* a, size_t lda, int8_t* c, size_t ldc, int n_begin,
              int n_end) {
  gemm_c4::run<VnniOps, kVnniMr, kVnniNv>(p, m, a, lda, c, ldc, n_begin, n_end);
}

}  // namespace

extern const GemmKernel kGemmAvx512Vnni;
const GemmKernel kGemmAvx512Vnni{"gemm_s8_8x32c4_avx512vnni", Isa::kAvx512Vnni, kVnniMr,
                                 kVnniNv * kVnniLanes, &pack_vnni, &run_vnni};

}  // namespace edgekd

// ADD and MUL, AVX2 twin of the inner loops of eltwise.cpp: 16 outputs per step in eight-lane int32
// arithmetic. Bit for bit the reference's arithmetic (add_s8_ref / mul_s8_ref), path by path:
// - SRDHM: gemmlowp's (a*b + nudge) / 2^31 with truncating division equals floor((a*b + 2^30) / 2^31) for
//   every sign of a*b (for a*b < 0 the -1 in the nudge and the round-toward-zero cancel), so it is a 64-bit
//   product (vpmuldq on even and odd lanes), + 2^30, and bits 31..62. The one saturating case
//   (INT32_MIN * INT32_MIN) needs a negative multiplier, which prepare never makes (simd_can_add /
//   simd_can_mul in ops_internal.h check).
// - RoundingDivideByPOT: (x >> e) + ((x & mask) > (mask >> 1) + (x < 0)), as quant.h writes it.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/ops/ops.h"
#include "kernels/ops/ops_internal.h"

namespace edgekd {
namespace ops {
namespace detail {
namespace {

// SRDHM of every lane of `a` by one multiplier `m` (broadcast to all lanes).
inline __m256i srdhm_avx2(__m256i a, __m256i m) {
  const __m256i nudge = _mm256_set1_epi64x(int64_t(1) << 30);
  const __m256i even = _mm256_add_epi64(_mm256_mul_epi32(a, m), nudge);
  const __m256i odd = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(a, 32), m), nudge);
  return _mm256_blend_epi32(_mm256_srli_epi64(even, 31), _mm256_slli_epi64(odd, 1), 0xAA);
}

// RoundingDivideByPOT by a fixed exponent in [0, 31].
struct DivPot {
  __m128i count;
  __m256i mask, half;
  explicit DivPot(int exponent)
      : count(_mm_cvtsi32_si128(exponent)),
        mask(_mm256_set1_epi32(static_cast<int32_t>((int64_t(1) << exponent) - 1))),
        half(_mm256_set1_epi32(static_cast<int32_t>(((int64_t(1) << exponent) - 1) >> 1))) {}
  __m256i operator()(__m256i x) const {
    const __m256i remainder = _mm256_and_si256(x, mask);
    const __m256i threshold = _mm256_sub_epi32(half, _mm256_srai_epi32(x, 31));  // + 1 where x < 0
    return _mm256_sub_epi32(_mm256_sra_epi32(x, count), _mm256_cmpgt_epi32(remainder, threshold));
  }
};

// Two vectors of eight int32 (already within int8) -> 16 int8 in order.
inline __m128i pack_s32_s8(__m256i lo, __m256i hi) {
  const __m256i s16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0xD8);
  return _mm_packs_epi16(_mm256_castsi256_si128(s16), _mm256_extracti128_si256(s16, 1));
}

// Runs body(a16, b16) -> 16 outputs over `len` elements; an operand without step is one repeated value.
// The last partial vector goes through zero-padded copies.
template <class Body>
void for_each16(const int8_t* a, bool a_step, const int8_t* b, bool b_step, int8_t* out, int64_t len, Body body) {
  if (len <= 0) return;
  const __m128i a_splat = a_step ? _mm_setzero_si128() : _mm_set1_epi8(a[0]);
  const __m128i b_splat = b_step ? _mm_setzero_si128() : _mm_set1_epi8(b[0]);
  int64_t i = 0;
  for (; i + 16 <= len; i += 16) {
    const __m128i va = a_step ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)) : a_splat;
    const __m128i vb = b_step ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)) : b_splat;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), body(va, vb));
  }
  if (i < len) {
    const size_t n = static_cast<size_t>(len - i);
    alignas(16) int8_t ta[16] = {}, tb[16] = {}, to[16];
    if (a_step) std::memcpy(ta, a + i, n);
    if (b_step) std::memcpy(tb, b + i, n);
    const __m128i va = a_step ? _mm_load_si128(reinterpret_cast<const __m128i*>(ta)) : a_splat;
    const __m128i vb = b_step ? _mm_load_si128(reinterpret_cast<const __m128i*>(tb)) : b_splat;
    _mm_store_si128(reinterpret_cast<__m128i*>(to), body(va, vb));
    std::memcpy(out + i, to, n);
  }
}

inline __m256i widen_lo(__m128i v) { return _mm256_cvtepi8_epi32(v); }
inline __m256i widen_hi(__m128i v) { return _mm256_cvtepi8_epi32(_mm_srli_si128(v, 8)); }

// One input's rescaled term, as each LiteRT path computes it (see add_s8_ref):
//   kScalar:               RoundingDivideByPOT(SRDHM((v + off) << 20, m), -e)
//   kNeonElementwise:      SRDHM((v + off) << (20 + e), m)   (a negative total shifts right, arithmetic)
//   kNeonScalarBroadcast:  SRDHM((v + off) << 20, m) >> -e   (floor)
template <BinaryPath kPath>
struct AddTerm {
  __m256i offset, multiplier;
  __m128i left, right;  // shifts applied before the multiply (one of them is 0)
  DivPot div;
  __m128i floor_shift;
  AddTerm(int32_t off, int32_t m, int e, int left_shift)
      : offset(_mm256_set1_epi32(off)), multiplier(_mm256_set1_epi32(m)), div(-e), floor_shift(_mm_cvtsi32_si128(-e)) {
    const int total = kPath == BinaryPath::kNeonElementwise ? left_shift + e : left_shift;
    left = _mm_cvtsi32_si128(total > 0 ? total : 0);
    right = _mm_cvtsi32_si128(total < 0 ? -total : 0);
  }
  __m256i operator()(__m256i v) const {
    const __m256i x = _mm256_sra_epi32(_mm256_sll_epi32(_mm256_add_epi32(v, offset), left), right);
    const __m256i h = srdhm_avx2(x, multiplier);
    if (kPath == BinaryPath::kScalar) return div(h);
    if (kPath == BinaryPath::kNeonScalarBroadcast) return _mm256_sra_epi32(h, floor_shift);
    return h;
  }
};

// The stretch kernels: constants built once per call (add_with_stretches / mul_with_stretches).
template <BinaryPath kPath>
struct AddStretch {
  AddTerm<kPath> t1, t2;
  __m256i m, zo, lo, hi;
  DivPot div;
  explicit AddStretch(const AddParams& p)
      : t1(p.input1_offset, p.input1_multiplier, p.input1_shift, p.left_shift),
        t2(p.input2_offset, p.input2_multiplier, p.input2_shift, p.left_shift),
        m(_mm256_set1_epi32(p.output_multiplier)), zo(_mm256_set1_epi32(p.output_offset)),
        lo(_mm256_set1_epi32(p.act.min)), hi(_mm256_set1_epi32(p.act.max)), div(-p.output_shift) {}
  __m256i eight(__m256i va, __m256i vb) const {
    const __m256i raw = _mm256_add_epi32(t1(va), t2(vb));  // wraps, as the NEON path's vaddq
    __m256i v = _mm256_add_epi32(div(srdhm_avx2(raw, m)), zo);
    // NEON output stage: int16 truncating narrow, int16 (wrapping) add of the offset; sign-extending the
    // low 16 bits of the int32 sum gives the same int16. The int8 saturation is inside the clamp.
    if (kPath != BinaryPath::kScalar) v = _mm256_srai_epi32(_mm256_slli_epi32(v, 16), 16);
    return _mm256_min_epi32(_mm256_max_epi32(v, lo), hi);
  }
  void operator()(const int8_t* a, bool a_step, const int8_t* b, bool b_step, int8_t* out, int64_t len) const {
    for_each16(a, a_step, b, b_step, out, len, [this](__m128i va, __m128i vb) {
      return pack_s32_s8(eight(widen_lo(va), widen_lo(vb)), eight(widen_hi(va), widen_hi(vb)));
    });
  }
};

template <BinaryPath kPath>
struct MulStretch {
  __m256i o1, o2, m, zo, lo, hi, zo16;
  __m128i left, lo8, hi8;
  DivPot div;
  explicit MulStretch(const MulParams& p)
      : o1(_mm256_set1_epi32(p.input1_offset)), o2(_mm256_set1_epi32(p.input2_offset)),
        m(_mm256_set1_epi32(p.output_multiplier)), zo(_mm256_set1_epi32(p.output_offset)),
        lo(_mm256_set1_epi32(p.act.min)), hi(_mm256_set1_epi32(p.act.max)),
        zo16(_mm256_set1_epi16(static_cast<int16_t>(p.output_offset))),
        left(_mm_cvtsi32_si128(p.output_shift > 0 ? p.output_shift : 0)),
        lo8(_mm_set1_epi8(static_cast<int8_t>(p.act.min))), hi8(_mm_set1_epi8(static_cast<int8_t>(p.act.max))),
        div(p.output_shift > 0 ? 0 : -p.output_shift) {}
  __m256i scaled(__m256i va, __m256i vb) const {
    const __m256i prod = _mm256_mullo_epi32(_mm256_add_epi32(va, o1), _mm256_add_epi32(vb, o2));
    return div(srdhm_avx2(_mm256_sll_epi32(prod, left), m));  // the left shift wraps, as the reference's
  }
  __m128i sixteen(__m128i va, __m128i vb) const {
    const __m256i r0 = scaled(widen_lo(va), widen_lo(vb)), r1 = scaled(widen_hi(va), widen_hi(vb));
    if (kPath == BinaryPath::kScalar) {
      auto clamp = [&](__m256i v) { return _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(v, zo), lo), hi); };
      return pack_s32_s8(clamp(r0), clamp(r1));
    }
    // NEON output stage: saturate to int16, int16 (wrapping) add of the offset, saturate to int8, clamp.
    const __m256i w16 = _mm256_add_epi16(_mm256_permute4x64_epi64(_mm256_packs_epi32(r0, r1), 0xD8), zo16);
    const __m128i s8 = _mm_packs_epi16(_mm256_castsi256_si128(w16), _mm256_extracti128_si256(w16, 1));
    return _mm_min_epi8(_mm_max_epi8(s8, lo8), hi8);
  }
  void operator()(const int8_t* a, bool a_step, const int8_t* b, bool b_step, int8_t* out, int64_t len) const {
    for_each16(a, a_step, b, b_step, out, len, [this](__m128i va, __m128i vb) { return sixteen(va, vb); });
  }
};

}  // namespace

void add_s8_avx2(const AddParams& p, const Shape4& s1, const int8_t* in1, const Shape4& s2, const int8_t* in2,
                 int8_t* out) {
  add_with_stretches<AddStretch>(p, s1, in1, s2, in2, out);
}

void mul_s8_avx2(const MulParams& p, const Shape4& s1, const int8_t* in1, const Shape4& s2, const int8_t* in2,
                 int8_t* out) {
  mul_with_stretches<MulStretch>(p, s1, in1, s2, in2, out);
}

}  // namespace detail
}  // namespace ops
}  // namespace edgekd

// ADD and MUL, AVX-512 twin of the inner loops of eltwise.cpp: 64 outputs per step in four sixteen-lane
// int32 vectors, equal to add_s8_ref / mul_s8_ref bit for bit (csrc/tests/test_ops.cpp checks every input
// pair). The SRDHM is eltwise_avx2.cpp's (64-bit products on even and odd lanes, + 2^30, bits 31..62; the
// proof is there). What is new here, each exact and argued next to its code:
// - ADD's input with the larger scale (multiplier 2^30) rescales by one shift instead of a multiply.
// - RoundingDivideByPOT in three operations for values below 2^30 in magnitude, the output zero point folded
//   into its rounding constant.
// - int32 -> int16 -> int8 narrowing by vpmov(s)dw / vpmovswb, which are the NEON output stage's truncating
//   and saturating narrows, and the activation clamp on 64 int8 lanes at once.
// - masked loads and stores for the last partial vector; one loop per operand kind, so that a repeated
//   operand's term is computed once per stretch.
// - MUL's product by vpmaddwd (the operands fit int16; zero upper halves add nothing), not the slow vpmulld.
#include <immintrin.h>

#include <cstdint>

// GCC 12's 512-bit shift, multiply and extract intrinsics trip a false -W(maybe-)uninitialized on their
// _mm512_undefined_epi32 pass-through operand.
#if defined(__GNUC__) && !defined(__clang__)  // a GCC-only warning (clang: -Wunknown-warning-option)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#pragma GCC diagnostic ignored "-Wuninitialized"

#include "kernels/ops/ops.h"
#include "kernels/ops/ops_internal.h"

namespace edgekd {
namespace ops {
namespace detail {
namespace {

// SRDHM of every lane of `a` by one non-negative multiplier `m` (broadcast to all lanes).
inline __m512i srdhm_512(__m512i a, __m512i m) {
  const __m512i nudge = _mm512_set1_epi64(int64_t(1) << 30);
  const __m512i even = _mm512_add_epi64(_mm512_mul_epi32(a, m), nudge);
  const __m512i odd = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(a, 32), m), nudge);
  return _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 31), _mm512_slli_epi64(odd, 1));
}

// 64 int8 -> the int32 lanes of quarter k.
template <int k>
inline __m512i widen(__m512i v) {
  return _mm512_cvtepi8_epi32(_mm512_extracti32x4_epi32(v, k));
}

// Runs s.block(a64, b64) -> 64 outputs over `len` elements, one loop per operand kind (a repeated operand is
// one splat vector, so the compiler hoists what depends on it alone); the last partial vector is masked.
template <bool kA, bool kB, class S>
void loop64(const S& s, const int8_t* a, const int8_t* b, int8_t* out, int64_t len) {
  const __m512i a_splat = kA ? _mm512_setzero_si512() : _mm512_set1_epi8(a[0]);
  const __m512i b_splat = kB ? _mm512_setzero_si512() : _mm512_set1_epi8(b[0]);
  int64_t i = 0;
  for (; i + 64 <= len; i += 64) {
    const __m512i va = kA ? _mm512_loadu_si512(a + i) : a_splat;
    const __m512i vb = kB ? _mm512_loadu_si512(b + i) : b_splat;
    _mm512_storeu_si512(out + i, s.block(va, vb));
  }
  if (i < len) {
    const __mmask64 m = (uint64_t(1) << (len - i)) - 1;  // len - i < 64
    const __m512i va = kA ? _mm512_maskz_loadu_epi8(m, a + i) : a_splat;
    const __m512i vb = kB ? _mm512_maskz_loadu_epi8(m, b + i) : b_splat;
    _mm512_mask_storeu_epi8(out + i, m, s.block(va, vb));
  }
}

template <class S>
void run_stretch(const S& s, const int8_t* a, bool a_step, const int8_t* b, bool b_step, int8_t* out,
                 int64_t len) {
  if (len <= 0) return;
  if (a_step && b_step) loop64<true, true>(s, a, b, out, len);
  else if (a_step) loop64<true, false>(s, a, b, out, len);
  else if (b_step) loop64<false, true>(s, a, b, out, len);
  else loop64<false, false>(s, a, b, out, len);
}

// RoundingDivideByPOT by s in [0, 31] for |x| < 2^30 (what ADD's terms and sums stay within, see
// add_s8_avx512vnni): with x = q 2^s + r, 0 <= r < 2^s, n = (x < 0),
// (x + 2^(s-1) - n) >> s = q + (r + 2^(s-1) - n >= 2^s) = q + (r > (mask >> 1) + n), quant.h's rounding; the
// sum neither overflows nor goes below q 2^s - 1. Three operations instead of six.
// An addend z (the output zero point) rides along as z 2^s in the rounding constant when that stays small
// (s <= 20, |z| <= 128: everything below 2^30 + 2^28): ((x + z 2^s + ...) >> s) = (... >> s) + z exactly.
struct RoundShift512 {
  __m512i half, addend;
  __m128i count;
  bool identity, folded;
  explicit RoundShift512(int s, int32_t z = 0)
      : count(_mm_cvtsi32_si128(s)), identity(s == 0), folded(s > 0 && s <= 20 && z >= -128 && z <= 128) {
    const int32_t h = s > 0 ? int32_t(1) << (s - 1) : 0;
    half = _mm512_set1_epi32(folded ? h + z * (int32_t(1) << s) : h);
    addend = _mm512_set1_epi32(folded ? 0 : z);
  }
  // RoundingDivideByPOT(x, s) + z.
  __m512i operator()(__m512i x) const {
    if (identity) return _mm512_add_epi32(x, addend);
    const __m512i q = _mm512_sra_epi32(_mm512_add_epi32(_mm512_add_epi32(x, half), _mm512_srai_epi32(x, 31)), count);
    return folded ? q : _mm512_add_epi32(q, addend);
  }
};

// One input's rescaled term, as each LiteRT path computes it (see add_s8_ref and eltwise_avx2.cpp's AddTerm).
// Shortcut: the input with the larger scale always gets m = 2^30, e = 0 (real multiplier 1/2; both when the
// scales are equal, and any power-of-two ratio gives m = 2^30 too). Then SRDHM(y, 2^30) = y / 2 exactly for
// even y (floor((y * 2^30 + 2^30) / 2^31) = floor(y / 2 + 1 / 2)), and with y = x << L, L >= 1, every path's
// term is x << (L - 1 + e) whenever that count is >= 0: the scalar path's RoundingDivideByPOT and the
// broadcast path's floor shift then divide exactly. One shift instead of the multiply and rounding.
template <BinaryPath kPath>
struct AddTerm512 {
  __m512i offset, multiplier;
  __m128i left, right, floor_shift, shortcut_count;
  RoundShift512 div;
  bool shortcut, has_right;
  AddTerm512(int32_t off, int32_t m, int e, int left_shift)
      : offset(_mm512_set1_epi32(off)), multiplier(_mm512_set1_epi32(m)), floor_shift(_mm_cvtsi32_si128(-e)),
        div(-e) {
    const int total = kPath == BinaryPath::kNeonElementwise ? left_shift + e : left_shift;
    left = _mm_cvtsi32_si128(total > 0 ? total : 0);
    right = _mm_cvtsi32_si128(total < 0 ? -total : 0);
    has_right = total < 0;
    const int k = left_shift - 1 + e;
    shortcut = m == (int32_t(1) << 30) && left_shift >= 1 && k >= 0;
    shortcut_count = _mm_cvtsi32_si128(shortcut ? k : 0);
  }
  __m512i operator()(__m512i v) const {
    const __m512i x = _mm512_add_epi32(v, offset);
    if (shortcut) return _mm512_sll_epi32(x, shortcut_count);
    const __m512i shifted = _mm512_sll_epi32(x, left);
    const __m512i h = srdhm_512(has_right ? _mm512_sra_epi32(shifted, right) : shifted, multiplier);
    if (kPath == BinaryPath::kScalar) return div(h);
    if (kPath == BinaryPath::kNeonScalarBroadcast) return _mm512_sra_epi32(h, floor_shift);
    return h;
  }
};

template <BinaryPath kPath>
struct AddStretch512 {
  AddTerm512<kPath> t1, t2;
  __m512i m, lo8, hi8;
  RoundShift512 div;
  explicit AddStretch512(const AddParams& p)
      : t1(p.input1_offset, p.input1_multiplier, p.input1_shift, p.left_shift),
        t2(p.input2_offset, p.input2_multiplier, p.input2_shift, p.left_shift),
        m(_mm512_set1_epi32(p.output_multiplier)),
        lo8(_mm512_set1_epi8(static_cast<int8_t>(p.act.min))), hi8(_mm512_set1_epi8(static_cast<int8_t>(p.act.max))),
        div(-p.output_shift, p.output_offset) {}
  // Sixteen outputs, zero point added, before any narrowing.
  __m512i sixteen(__m512i va, __m512i vb) const {
    const __m512i raw = _mm512_add_epi32(t1(va), t2(vb));  // as the NEON path's vaddq (no wrap, see above)
    return div(srdhm_512(raw, m));  // + the zero point
  }
  // int32 -> int16: the NEON output stage truncates (vmovn; its int16 add of the offset wraps the same way
  // as truncating the int32 sum), the scalar path saturates (the int8 clamp follows either way).
  static __m256i to16(__m512i v) {
    return kPath == BinaryPath::kScalar ? _mm512_cvtsepi32_epi16(v) : _mm512_cvtepi32_epi16(v);
  }
  static __m256i pair8(__m512i r0, __m512i r1) {  // 32 int32 -> int16 -> 32 int8 saturated (vqmovn_s16)
    return _mm512_cvtsepi16_epi8(_mm512_inserti64x4(_mm512_castsi256_si512(to16(r0)), to16(r1), 1));
  }
  __m512i block(__m512i va, __m512i vb) const {
    const __m256i lo = pair8(sixteen(widen<0>(va), widen<0>(vb)), sixteen(widen<1>(va), widen<1>(vb)));
    const __m256i hi = pair8(sixteen(widen<2>(va), widen<2>(vb)), sixteen(widen<3>(va), widen<3>(vb)));
    const __m512i v = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
    return _mm512_min_epi8(_mm512_max_epi8(v, lo8), hi8);
  }
  void operator()(const int8_t* a, bool a_step, const int8_t* b, bool b_step, int8_t* out, int64_t len) const {
    run_stretch(*this, a, a_step, b, b_step, out, len);
  }
};

template <BinaryPath kPath>
struct MulStretch512 {
  __m512i o1, o2, m, lo8, hi8;
  __m256i zo16;
  __m128i left;
  bool has_left;
  // A right shift applies only with no left shift, to a product |(a + o1) (b + o2)| <= 255^2 < 2^30:
  // RoundShift512's range. The scalar path's zero point rides along (int32 add, wrapping like the
  // reference's after a left shift); the NEON path adds it in int16 after saturating.
  RoundShift512 div;
  explicit MulStretch512(const MulParams& p)
      : o1(_mm512_set1_epi16(static_cast<int16_t>(p.input1_offset))),
        o2(_mm512_set1_epi16(static_cast<int16_t>(p.input2_offset))), m(_mm512_set1_epi32(p.output_multiplier)),
        lo8(_mm512_set1_epi8(static_cast<int8_t>(p.act.min))), hi8(_mm512_set1_epi8(static_cast<int8_t>(p.act.max))),
        zo16(_mm256_set1_epi16(static_cast<int16_t>(p.output_offset))),
        left(_mm_cvtsi32_si128(p.output_shift > 0 ? p.output_shift : 0)), has_left(p.output_shift > 0),
        div(p.output_shift > 0 ? 0 : -p.output_shift, kPath == BinaryPath::kScalar ? p.output_offset : 0) {}
  // 32 int16 operands (offsets added, each in [-255, 255]) -> the 16 outputs of quarter q (0 lower, 1 upper),
  // narrowed to int16.
  template <int q>
  __m256i scaled16(__m512i x16, __m512i y16) const {
    const __m512i x = _mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(x16, q));
    const __m512i y = _mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(y16, q));
    const __m512i prod = _mm512_madd_epi16(x, y);  // signed low halves multiplied, upper halves are 0
    // The left shift wraps, as the reference's.
    const __m512i r = div(srdhm_512(has_left ? _mm512_sll_epi32(prod, left) : prod, m));
    // Scalar: the saturations to int16 and then int8 clamp like clamp_to_int8 (lo, hi are within int8).
    // NEON: vqmovn_s32, int16 (wrapping) add of the offset, then vqmovn_s16.
    if (kPath == BinaryPath::kScalar) return _mm512_cvtsepi32_epi16(r);
    return _mm256_add_epi16(_mm512_cvtsepi32_epi16(r), zo16);
  }
  template <int h>
  __m256i half(__m512i va, __m512i vb) const {
    const __m512i x16 = _mm512_add_epi16(_mm512_cvtepi8_epi16(_mm512_extracti64x4_epi64(va, h)), o1);
    const __m512i y16 = _mm512_add_epi16(_mm512_cvtepi8_epi16(_mm512_extracti64x4_epi64(vb, h)), o2);
    const __m512i w = _mm512_inserti64x4(_mm512_castsi256_si512(scaled16<0>(x16, y16)), scaled16<1>(x16, y16), 1);
    return _mm512_cvtsepi16_epi8(w);
  }
  __m512i block(__m512i va, __m512i vb) const {
    const __m512i v = _mm512_inserti64x4(_mm512_castsi256_si512(half<0>(va, vb)), half<1>(va, vb), 1);
    return _mm512_min_epi8(_mm512_max_epi8(v, lo8), hi8);
  }
  void operator()(const int8_t* a, bool a_step, const int8_t* b, bool b_step, int8_t* out, int64_t len) const {
    run_stretch(*this, a, a_step, b, b_step, out, len);
  }
};

}  // namespace

void add_s8_avx512vnni(const AddParams& p, const Shape4& s1, const int8_t* in1, const Shape4& s2,
                       const int8_t* in2, int8_t* out) {
  // left_shift <= 20 (prepare_add's 20) bounds |(v + offset) << shift| by 255 * 2^20 < 2^28, so every term
  // (a multiply by m < 2^31 or an exact shift of it) is below 2^28, their sum below 2^29 (it never wraps) and
  // the output SRDHM below 2^29 too: RoundShift512's range.
  if (p.left_shift > 20) return add_s8_ref(p, s1, in1, s2, in2, out);
  add_with_stretches<AddStretch512>(p, s1, in1, s2, in2, out);
}

void mul_s8_avx512vnni(const MulParams& p, const Shape4& s1, const int8_t* in1, const Shape4& s2,
                       const int8_t* in2, int8_t* out) {
  mul_with_stretches<MulStretch512>(p, s1, in1, s2, in2, out);
}

}  // namespace detail
}  // namespace ops
}  // namespace edgekd

// ADD and MUL, NEON (aarch64) twin of the inner loops of eltwise.cpp: 16 outputs per step in four-lane int32
// arithmetic. Bit for bit the reference's arithmetic (add_s8_ref / mul_s8_ref), path by path:
// - SRDHM is vqrdmulhq_s32: saturate((2ab + 2^31) >> 32) = floor((ab + 2^30) / 2^31), which is gemmlowp's
//   (ab + nudge) / 2^31 with truncating division for either sign of ab; both saturate INT32_MIN * INT32_MIN.
// - RoundingDivideByPOT: (x >> e) + ((x & mask) > (mask >> 1) + (x < 0)), as quant.h writes it (vrshlq alone
//   would round negative ties up).
// - vshlq_s32 by a negative count is an arithmetic (floor) right shift, by a positive one a wrapping left
//   shift: what the reference computes with >> and with its uint32 shifts.
#include <arm_neon.h>

#include <cstdint>
#include <cstring>

#include "kernels/ops/ops.h"
#include "kernels/ops/ops_internal.h"

namespace edgekd {
namespace ops {
namespace detail {
namespace {

// RoundingDivideByPOT by a fixed exponent in [0, 31].
struct DivPot {
  int32x4_t neg_exponent, mask, half;
  explicit DivPot(int exponent)
      : neg_exponent(vdupq_n_s32(-exponent)),
        mask(vdupq_n_s32(static_cast<int32_t>((int64_t(1) << exponent) - 1))),
        half(vdupq_n_s32(static_cast<int32_t>(((int64_t(1) << exponent) - 1) >> 1))) {}
  int32x4_t operator()(int32x4_t x) const {
    const int32x4_t remainder = vandq_s32(x, mask);
    const int32x4_t threshold = vsubq_s32(half, vshrq_n_s32(x, 31));  // + 1 where x < 0
    const uint32x4_t round_up = vcgtq_s32(remainder, threshold);     // all ones: -1 as int32
    return vsubq_s32(vshlq_s32(x, neg_exponent), vreinterpretq_s32_u32(round_up));
  }
};

// The 16 int8 of a vector as four int32x4.
struct Wide {
  int32x4_t q[4];
  explicit Wide(int8x16_t v) {
    const int16x8_t lo = vmovl_s8(vget_low_s8(v)), hi = vmovl_s8(vget_high_s8(v));
    q[0] = vmovl_s16(vget_low_s16(lo));
    q[1] = vmovl_s16(vget_high_s16(lo));
    q[2] = vmovl_s16(vget_low_s16(hi));
    q[3] = vmovl_s16(vget_high_s16(hi));
  }
};

// Four int32x4 already within int8 -> 16 int8 in order.
inline int8x16_t narrow_s32_s8(const int32x4_t q[4]) {
  const int16x8_t lo = vcombine_s16(vmovn_s32(q[0]), vmovn_s32(q[1]));
  const int16x8_t hi = vcombine_s16(vmovn_s32(q[2]), vmovn_s32(q[3]));
  return vcombine_s8(vmovn_s16(lo), vmovn_s16(hi));
}

// Runs body(a16, b16) -> 16 outputs over `len` elements; an operand without step is one repeated value.
// The last partial vector goes through zero-padded copies.
template <class Body>
void for_each16(const int8_t* a, bool a_step, const int8_t* b, bool b_step, int8_t* out, int64_t len, Body body) {
  if (len <= 0) return;
  const int8x16_t a_splat = vdupq_n_s8(a_step ? 0 : a[0]);
  const int8x16_t b_splat = vdupq_n_s8(b_step ? 0 : b[0]);
  int64_t i = 0;
  for (; i + 16 <= len; i += 16) {
    const int8x16_t va = a_step ? vld1q_s8(a + i) : a_splat;
    const int8x16_t vb = b_step ? vld1q_s8(b + i) : b_splat;
    vst1q_s8(out + i, body(va, vb));
  }
  if (i < len) {
    const size_t n = static_cast<size_t>(len - i);
    int8_t ta[16] = {}, tb[16] = {}, to[16];
    if (a_step) std::memcpy(ta, a + i, n);
    if (b_step) std::memcpy(tb, b + i, n);
    vst1q_s8(to, body(a_step ? vld1q_s8(ta) : a_splat, b_step ? vld1q_s8(tb) : b_splat));
    std::memcpy(out + i, to, n);
  }
}

// One input's rescaled term, as each LiteRT path computes it (see add_s8_ref and eltwise_avx2.cpp).
template <BinaryPath kPath>
struct AddTerm {
  int32x4_t offset, shift, floor_shift;
  int32_t multiplier;
  DivPot div;
  AddTerm(int32_t off, int32_t m, int e, int left_shift)
      : offset(vdupq_n_s32(off)),
        shift(vdupq_n_s32(kPath == BinaryPath::kNeonElementwise ? left_shift + e : left_shift)),
        floor_shift(vdupq_n_s32(e)), multiplier(m), div(-e) {}
  int32x4_t operator()(int32x4_t v) const {
    const int32x4_t h = vqrdmulhq_n_s32(vshlq_s32(vaddq_s32(v, offset), shift), multiplier);
    if (kPath == BinaryPath::kScalar) return div(h);
    if (kPath == BinaryPath::kNeonScalarBroadcast) return vshlq_s32(h, floor_shift);
    return h;
  }
};

// The stretch kernels: constants built once per call (add_with_stretches / mul_with_stretches).
template <BinaryPath kPath>
struct AddStretch {
  AddTerm<kPath> t1, t2;
  int32_t m;
  DivPot div;
  int32x4_t zo, lo, hi;
  int16x8_t zo16;
  int8x16_t lo8, hi8;
  explicit AddStretch(const AddParams& p)
      : t1(p.input1_offset, p.input1_multiplier, p.input1_shift, p.left_shift),
        t2(p.input2_offset, p.input2_multiplier, p.input2_shift, p.left_shift), m(p.output_multiplier),
        div(-p.output_shift), zo(vdupq_n_s32(p.output_offset)), lo(vdupq_n_s32(p.act.min)),
        hi(vdupq_n_s32(p.act.max)), zo16(vdupq_n_s16(static_cast<int16_t>(p.output_offset))),
        lo8(vdupq_n_s8(static_cast<int8_t>(p.act.min))), hi8(vdupq_n_s8(static_cast<int8_t>(p.act.max))) {}
  int8x16_t sixteen(int8x16_t va, int8x16_t vb) const {
    const Wide wa(va), wb(vb);
    int32x4_t r[4];
    for (int k = 0; k < 4; ++k) r[k] = div(vqrdmulhq_n_s32(vaddq_s32(t1(wa.q[k]), t2(wb.q[k])), m));
    if (kPath == BinaryPath::kScalar) {
      for (int k = 0; k < 4; ++k) r[k] = vminq_s32(vmaxq_s32(vaddq_s32(r[k], zo), lo), hi);
      return narrow_s32_s8(r);
    }
    // LiteRT's NEON output stage: truncating narrow to int16, int16 add of the offset, saturating narrow.
    const int16x8_t s0 = vaddq_s16(vcombine_s16(vmovn_s32(r[0]), vmovn_s32(r[1])), zo16);
    const int16x8_t s1 = vaddq_s16(vcombine_s16(vmovn_s32(r[2]), vmovn_s32(r[3])), zo16);
    return vminq_s8(vmaxq_s8(vcombine_s8(vqmovn_s16(s0), vqmovn_s16(s1)), lo8), hi8);
  }
  void operator()(const int8_t* a, bool a_step, const int8_t* b, bool b_step, int8_t* out, int64_t len) const {
    for_each16(a, a_step, b, b_step, out, len, [this](int8x16_t va, int8x16_t vb) { return sixteen(va, vb); });
  }
};

template <BinaryPath kPath>
struct MulStretch {
  int32x4_t o1, o2, left;
  int32_t m;
  DivPot div;
  int32x4_t zo, lo, hi;
  int16x8_t zo16;
  int8x16_t lo8, hi8;
  explicit MulStretch(const MulParams& p)
      : o1(vdupq_n_s32(p.input1_offset)), o2(vdupq_n_s32(p.input2_offset)),
        left(vdupq_n_s32(p.output_shift > 0 ? p.output_shift : 0)), m(p.output_multiplier),
        div(p.output_shift > 0 ? 0 : -p.output_shift), zo(vdupq_n_s32(p.output_offset)),
        lo(vdupq_n_s32(p.act.min)), hi(vdupq_n_s32(p.act.max)),
        zo16(vdupq_n_s16(static_cast<int16_t>(p.output_offset))), lo8(vdupq_n_s8(static_cast<int8_t>(p.act.min))),
        hi8(vdupq_n_s8(static_cast<int8_t>(p.act.max))) {}
  int8x16_t sixteen(int8x16_t va, int8x16_t vb) const {
    const Wide wa(va), wb(vb);
    int32x4_t r[4];
    for (int k = 0; k < 4; ++k) {
      const int32x4_t prod = vmulq_s32(vaddq_s32(wa.q[k], o1), vaddq_s32(wb.q[k], o2));
      r[k] = div(vqrdmulhq_n_s32(vshlq_s32(prod, left), m));  // the left shift wraps, as the reference's
    }
    if (kPath == BinaryPath::kScalar) {
      for (int k = 0; k < 4; ++k) r[k] = vminq_s32(vmaxq_s32(vaddq_s32(r[k], zo), lo), hi);
      return narrow_s32_s8(r);
    }
    // LiteRT's NEON output stage: saturating narrow to int16, int16 add of the offset, saturating narrow.
    const int16x8_t s0 = vaddq_s16(vcombine_s16(vqmovn_s32(r[0]), vqmovn_s32(r[1])), zo16);
    const int16x8_t s1 = vaddq_s16(vcombine_s16(vqmovn_s32(r[2]), vqmovn_s32(r[3])), zo16);
    return vminq_s8(vmaxq_s8(vcombine_s8(vqmovn_s16(s0), vqmovn_s16(s1)), lo8), hi8);
  }
  void operator()(const int8_t* a, bool a_step, const int8_t* b, bool b_step, int8_t* out, int64_t len) const {
    for_each16(a, a_step, b, b_step, out, len, [this](int8x16_t va, int8x16_t vb) { return sixteen(va, vb); });
  }
};

}  // namespace

void add_s8_neon(const AddParams& p, const Shape4& s1, const int8_t* in1, const Shape4& s2, const int8_t* in2,
                 int8_t* out) {
  add_with_stretches<AddStretch>(p, s1, in1, s2, in2, out);
}

void mul_s8_neon(const MulParams& p, const Shape4& s1, const int8_t* in1, const Shape4& s2, const int8_t* in2,
                 int8_t* out) {
  mul_with_stretches<MulStretch>(p, s1, in1, s2, in2, out);
}

}  // namespace detail
}  // namespace ops
}  // namespace edgekd

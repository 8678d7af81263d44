// ADD and MUL on int8 with full NHWC broadcasting.
//
// What LiteRT computes (add.cc / mul.cc Prepare + optimized/integer_ops/add.h, mul.h; their NEON blocks run on
// x86 too, see NeonRuns below -- checked against LiteRT bit for bit, including saturating outputs):
//   ADD: left_shift = 20; twice_max = 2 * max(s1, s2) (float max, then double);
//        m1 = s1 / twice_max, m2 = s2 / twice_max, mo = twice_max / ((1 << 20) * s_out) in double, each
//        through QuantizeMultiplierSmallerThanOneExp (must be in (0, 1): LiteRT aborts otherwise, we throw).
//        out = clamp(MBQM(MBQM((x1 - z1) << 20, m1, e1) + MBQM((x2 - z2) << 20, m2, e2), mo, eo) + z_out)
//   MUL: real = s1 * s2 / s_out evaluated in FLOAT (mul.cc multiplies the float scales before widening),
//        then QuantizeMultiplier; out = clamp(MBQM((x1 - z1) * (x2 - z2), m, e) + z_out).
// MBQM = MultiplyByQuantizedMultiplier, the double-rounding variant of quant.h.
//
// Speed: the ADD term of each input depends on one int8 value only, so per-call 256-entry tables turn it
// into two loads, one add and one requantization per element.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "kernels/ops/ops.h"
#include "kernels/ops/ops_internal.h"

namespace edgekd {
namespace ops {

namespace {

void quantize_smaller_than_one(const char* op, const char* field, double real, int32_t* m, int* shift) {
  if (!(real > 0.0 && real < 1.0))
    detail::fail(op, field, "real multiplier " + std::to_string(real) +
                                " must be in (0, 1) (LiteRT's QuantizeMultiplierSmallerThanOneExp)");
  detail::quantize_multiplier(real, m, shift);
  if (*shift > 0) detail::fail(op, field, "quantized shift is positive");
}

// LiteRT's x86 wheel compiles the kernels' NEON blocks (SSE4.1 + NEON_2_SSE), and those blocks differ from
// the scalar loops in their output stage (and, for ADD, in how the input terms are shifted). Which elements
// go through a NEON block is fixed by how LiteRT walks the tensors (optimized_ops::BinaryBroadcastFiveFold
// after reference ProcessBroadcastShapes): the output is written in consecutive runs of equal length, each
// handed to an elementwise (NEON block 16) or a scalar-broadcast (NEON block 16 for MUL, 8 for ADD) kernel,
// whose leading multiple of the block is NEON and the rest scalar. A "generic" broadcast (one that does not
// fold into five dimensions) runs the all-scalar reference kernel.
struct NeonRuns {
  int64_t run = 0;   // 0: no NEON anywhere
  int block = 0;
  bool scalar_broadcast = false;
};

NeonRuns neon_runs(const Shape4& s1, const Shape4& s2, int elementwise_block, int scalar_block) {
  if (s1 == s2) return {s1.size(), elementwise_block, false};
  int a1[4], a2[4];
  for (int i = 0; i < 4; ++i) { a1[i] = s1.dim(i); a2[i] = s2.dim(i); }
  int first_fast = -1;  // 1: input1 broadcasts in the last differing dimension, 0: input2 does
  for (int i = 3; i >= 0; --i) {
    if (a1[i] == a2[i]) continue;
    if (a1[i] == 1) first_fast = 1;
    else if (a2[i] == 1) first_fast = 0;
    else return {};
    break;
  }
  const int* a = first_fast == 1 ? a1 : a2;  // the operand that broadcasts fast
  const int* b = first_fast == 1 ? a2 : a1;
  int64_t y[5] = {1, 1, 1, 1, 1};
  int i = 3;
  while (i >= 0 && a[i] == b[i]) y[4] *= b[i--];
  while (i >= 0 && a[i] == 1) y[3] *= b[i--];
  while (i >= 0 && a[i] == b[i]) y[2] *= a[i--];
  while (i >= 0 && b[i] == 1) y[1] *= a[i--];
  while (i >= 0 && a[i] == b[i]) y[0] *= b[i--];
  if (i >= 0) return {};  // kGenericBroadcast: reference kernel
  if (y[4] > 1) return {y[4], elementwise_block, false};
  return {y[3], scalar_block, true};
}

// One contiguous stretch of output whose elements share the NEON/scalar flag; each operand is either
// contiguous or one repeated value, so every branch below is a plain loop the compiler can vectorize.
template <class F>
void stretch(const int8_t* pa, bool a_step, const int8_t* pb, bool b_step, int8_t* po, int64_t len, F f) {
  if (a_step && b_step) {
    for (int64_t i = 0; i < len; ++i) po[i] = f(pa[i], pb[i]);
  } else if (a_step) {
    const int8_t vb = pb[0];
    for (int64_t i = 0; i < len; ++i) po[i] = f(pa[i], vb);
  } else if (b_step) {
    const int8_t va = pa[0];
    for (int64_t i = 0; i < len; ++i) po[i] = f(va, pb[i]);
  } else {
    std::memset(po, static_cast<uint8_t>(f(pa[0], pb[0])), static_cast<size_t>(len));
  }
}

// Computes every output element of a broadcast binary op in output order: f_neon for the elements LiteRT
// computes in a NEON block (see NeonRuns), f_scalar for the others.
template <class FN, class FS>
void broadcast_binary(const char* op, const Shape4& s1, const int8_t* a, const Shape4& s2, const int8_t* b,
                      int8_t* out, const NeonRuns& runs, FN f_neon, FS f_scalar) {
  const Shape4 o = broadcast_shape(s1, s2, op);
  const int64_t run = runs.run;
  const int64_t neon_len = run > 0 ? run - run % runs.block : 0;
  if (s1 == s2) {
    const int64_t n = o.size();
    stretch(a, true, b, true, out, neon_len, f_neon);
    stretch(a + neon_len, true, b + neon_len, true, out + neon_len, n - neon_len, f_scalar);
    return;
  }
  auto strides = [](const Shape4& s, int64_t st[4]) {
    st[3] = s.c == 1 ? 0 : 1;
    st[2] = s.w == 1 ? 0 : int64_t(s.c);
    st[1] = s.h == 1 ? 0 : int64_t(s.w) * s.c;
    st[0] = s.n == 1 ? 0 : int64_t(s.h) * s.w * s.c;
  };
  int64_t sa[4], sb[4];
  strides(s1, sa);
  strides(s2, sb);
  const int64_t C = o.c;
  int64_t pos = 0;  // position of the current output element within its LiteRT run
  for (int n = 0; n < o.n; ++n) {
    for (int h = 0; h < o.h; ++h) {
      for (int w = 0; w < o.w; ++w) {
        const int8_t* pa = a + n * sa[0] + h * sa[1] + w * sa[2];
        const int8_t* pb = b + n * sb[0] + h * sb[1] + w * sb[2];
        int8_t* po = out + ((int64_t(n) * o.h + h) * o.w + w) * C;
        int64_t c = 0;
        while (c < C) {
          const bool neon = run > 0 && pos < neon_len;
          const int64_t limit = run == 0 ? C - c : (neon ? neon_len - pos : run - pos);
          const int64_t len = std::min(C - c, limit);
          const int8_t* qa = pa + c * sa[3];
          const int8_t* qb = pb + c * sb[3];
          if (neon) stretch(qa, sa[3] != 0, qb, sb[3] != 0, po + c, len, f_neon);
          else stretch(qa, sa[3] != 0, qb, sb[3] != 0, po + c, len, f_scalar);
          c += len;
          if (run > 0) {
            pos += len;
            if (pos == run) pos = 0;
          }
        }
      }
    }
  }
}

}  // namespace

AddParams prepare_add(float in1_scale, int32_t in1_zp, float in2_scale, int32_t in2_zp, float out_scale,
                      int32_t out_zp, Activation act) {
  const char* op = "ADD";
  detail::check_scale(op, "input1 scale", in1_scale);
  detail::check_scale(op, "input2 scale", in2_scale);
  detail::check_zero_point(op, "input1 zero point", in1_zp);
  detail::check_zero_point(op, "input2 zero point", in2_zp);
  AddParams p;
  p.act = activation_range(act, out_scale, out_zp, op);
  p.input1_offset = -in1_zp;
  p.input2_offset = -in2_zp;
  p.output_offset = out_zp;
  p.left_shift = 20;
  // float max and 2 * float, exactly as add.cc writes them, widened to double afterwards.
  const double twice_max = 2 * std::max(in1_scale, in2_scale);
  const double real1 = in1_scale / twice_max;
  const double real2 = in2_scale / twice_max;
  const double real_out = twice_max / ((1 << p.left_shift) * out_scale);  // int * float: float product
  quantize_smaller_than_one(op, "input1 scale", real1, &p.input1_multiplier, &p.input1_shift);
  quantize_smaller_than_one(op, "input2 scale", real2, &p.input2_multiplier, &p.input2_shift);
  quantize_smaller_than_one(op, "output scale", real_out, &p.output_multiplier, &p.output_shift);
  return p;
}

MulParams prepare_mul(float in1_scale, int32_t in1_zp, float in2_scale, int32_t in2_zp, float out_scale,
                      int32_t out_zp, Activation act) {
  const char* op = "MUL";
  detail::check_scale(op, "input1 scale", in1_scale);
  detail::check_scale(op, "input2 scale", in2_scale);
  detail::check_zero_point(op, "input1 zero point", in1_zp);
  detail::check_zero_point(op, "input2 zero point", in2_zp);
  MulParams p;
  p.act = activation_range(act, out_scale, out_zp, op);
  p.input1_offset = -in1_zp;
  p.input2_offset = -in2_zp;
  p.output_offset = out_zp;
  const float real = in1_scale * in2_scale / out_scale;  // float arithmetic, as mul.cc
  if (!(real > 0.0f) || !std::isfinite(real))
    detail::fail(op, "scales", "give a real multiplier s1*s2/s_out that is zero or not finite");
  detail::quantize_multiplier(static_cast<double>(real), &p.output_multiplier, &p.output_shift);
  return p;
}

void add_s8(const AddParams& p, const Shape4& s1, const int8_t* in1, const Shape4& s2, const int8_t* in2,
            int8_t* out) {
  const NeonRuns runs = neon_runs(s1, s2, 16, 8);
  // Per-input rescaled terms for every int8 v, as each code path computes them:
  //   scalar:                RoundingDivideByPOT(SRDHM((v + off) << 20, m), -e)
  //   NEON elementwise:      SRDHM((v + off) << (20 + e), m)        (shift first, one rounding)
  //   NEON scalar-broadcast: SRDHM((v + off) << 20, m) >> -e         (arithmetic shift: floor)
  int32_t t1[256], t2[256];
  const int e1 = p.input1_shift, e2 = p.input2_shift;
  for (int v = -128; v < 128; ++v) {
    const int32_t x1 = v + p.input1_offset, x2 = v + p.input2_offset;
    t1[v & 255] = multiply_by_quantized_multiplier(x1 * (1 << p.left_shift), p.input1_multiplier, e1);
    t2[v & 255] = multiply_by_quantized_multiplier(x2 * (1 << p.left_shift), p.input2_multiplier, e2);
  }
  int32_t n1[256], n2[256];
  for (int v = -128; v < 128; ++v) {
    const int32_t x1 = v + p.input1_offset, x2 = v + p.input2_offset;
    if (runs.scalar_broadcast) {
      n1[v & 255] = srdhm(x1 * (1 << p.left_shift), p.input1_multiplier) >> -e1;
      n2[v & 255] = srdhm(x2 * (1 << p.left_shift), p.input2_multiplier) >> -e2;
    } else {
      // vshlq_s32 by a negative count shifts right (arithmetic); only for scale ratios beyond 2^20.
      const int l1 = p.left_shift + e1, l2 = p.left_shift + e2;
      n1[v & 255] = srdhm(l1 >= 0 ? x1 * (1 << l1) : x1 >> -l1, p.input1_multiplier);
      n2[v & 255] = srdhm(l2 >= 0 ? x2 * (1 << l2) : x2 >> -l2, p.input2_multiplier);
    }
  }
  const int32_t m = p.output_multiplier, e = p.output_shift, zo = p.output_offset;
  const int32_t lo = p.act.min, hi = p.act.max;
  auto scalar = [&](int8_t a, int8_t b) -> int8_t {
    const int32_t raw = t1[uint8_t(a)] + t2[uint8_t(b)];
    return clamp_to_int8(multiply_by_quantized_multiplier(raw, m, e) + zo, lo, hi);
  };
  // NEON output stage: vmovn_s32 (truncating to int16), int16 add of the offset (wraps), vqmovn_s16
  // (saturate to int8), then the activation clamp.
  auto neon = [&](int8_t a, int8_t b) -> int8_t {
    const int32_t raw = wrap_add(n1[uint8_t(a)], n2[uint8_t(b)]);
    const int16_t narrowed = static_cast<int16_t>(multiply_by_quantized_multiplier(raw, m, e));
    const int16_t with_offset = static_cast<int16_t>(narrowed + zo);
    return clamp_to_int8(clamp_to_int8(with_offset, -128, 127), lo, hi);
  };
  broadcast_binary("ADD", s1, in1, s2, in2, out, runs, neon, scalar);
}

void mul_s8(const MulParams& p, const Shape4& s1, const int8_t* in1, const Shape4& s2, const int8_t* in2,
            int8_t* out) {
  const NeonRuns runs = neon_runs(s1, s2, 16, 16);
  const int32_t o1 = p.input1_offset, o2 = p.input2_offset;
  const int32_t m = p.output_multiplier, e = p.output_shift, zo = p.output_offset;
  const int32_t lo = p.act.min, hi = p.act.max;
  auto scalar = [&](int8_t a, int8_t b) -> int8_t {
    const int32_t prod = (int32_t(a) + o1) * (int32_t(b) + o2);
    return clamp_to_int8(multiply_by_quantized_multiplier(prod, m, e) + zo, lo, hi);
  };
  // NEON output stage: vqmovn_s32 (saturate to int16), int16 add of the offset (wraps), vqmovn_s16.
  auto neon = [&](int8_t a, int8_t b) -> int8_t {
    const int32_t prod = (int32_t(a) + o1) * (int32_t(b) + o2);
    const int32_t v = multiply_by_quantized_multiplier(prod, m, e);
    const int16_t narrowed = static_cast<int16_t>(v < -32768 ? -32768 : (v > 32767 ? 32767 : v));
    const int16_t with_offset = static_cast<int16_t>(narrowed + zo);
    return clamp_to_int8(clamp_to_int8(with_offset, -128, 127), lo, hi);
  };
  broadcast_binary("MUL", s1, in1, s2, in2, out, runs, neon, scalar);
}

}  // namespace ops
}  // namespace edgekd

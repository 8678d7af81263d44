// Private helpers shared by the op implementations (not part of the public ops.h contract).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "edgekd/quant.h"
#include "kernels/ops/ops.h"

namespace edgekd {
namespace ops {
namespace detail {

// Throws std::invalid_argument("<op>: <field> <what>").
[[noreturn]] void fail(const char* op, const char* field, const std::string& what);
void check_scale(const char* op, const char* field, float scale);
void check_zero_point(const char* op, const char* field, int32_t zp);
std::string shape_str(const Shape4& s);

// (int32_t)x as LiteRT's x86 build computes it: cvttss2si truncates toward zero and gives INT32_MIN (the
// "integer indefinite") for NaN and for anything outside int32, where a C++ cast would be undefined.
inline int32_t truncate_to_int32_x86(double x) {
  return (x > -2147483649.0 && x < 2147483648.0) ? static_cast<int32_t>(x) : INT32_MIN;
}

// TFLite QuantizeMultiplier with the int `shift` type LiteRT uses.
inline void quantize_multiplier(double real, int32_t* m, int* shift) {
  int32_t s = 0;
  edgekd::quantize_multiplier(real, m, &s);
  *shift = s;
}

// Table activations (activations.cpp, math_unary.cpp): `f(v)` for every int8 v, the tail equal to the table.
template <class F>
LutParams make_lut(F f) {
  LutParams p;
  for (int v = -128; v < 128; ++v) p.table[static_cast<uint8_t>(v)] = f(v);
  std::copy(p.table, p.table + 256, p.tail);
  return p;
}

// Scales and zero points of a unary op's input and output.
inline void check_unary(const char* op, float in_scale, int32_t in_zp, float out_scale, int32_t out_zp) {
  check_scale(op, "input scale", in_scale);
  check_scale(op, "output scale", out_scale);
  check_zero_point(op, "input zero point", in_zp);
  check_zero_point(op, "output zero point", out_zp);
}

// kernels/internal/common.h LUTPopulateInt8: the float function f on every dequantized input, requantized.
template <class F>
LutParams float_function_lut(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp, F f) {
  const float inverse_scale = 1 / out_scale;
  return make_lut([&](int v) -> int8_t {
    const float x = in_scale * static_cast<float>(v - in_zp);
    const float y = f(x);
    const float rescaled = std::round(y * inverse_scale);
    const float shifted = rescaled + static_cast<float>(out_zp);
    // Only NaN or a denormal output scale leaves int32 here; LiteRT's x86 build then gives INT_MIN (-> -128).
    const int32_t q = truncate_to_int32_x86(shifted);
    return static_cast<int8_t>(std::max(-128, std::min(127, q)));
  });
}

// gemmlowp's int16 SaturatingRoundingDoublingHighMul (HARD_SWISH).
inline int16_t srdhm16(int16_t a, int16_t b) {
  if (a == b && a == INT16_MIN) return INT16_MAX;
  const int32_t ab = int32_t(a) * int32_t(b);
  const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return static_cast<int16_t>((ab + nudge) / (1 << 15));
}
// gemmlowp's int16 RoundingDivideByPOT (ties away from zero).
inline int16_t rounding_divide_by_pot16(int16_t x, int exponent) {
  const int16_t mask = static_cast<int16_t>((1 << exponent) - 1);
  const int16_t remainder = static_cast<int16_t>(x & mask);
  const int16_t threshold = static_cast<int16_t>((mask >> 1) + (x < 0 ? 1 : 0));
  return static_cast<int16_t>((x >> exponent) + (remainder > threshold ? 1 : 0));
}

// MultiplyByQuantizedMultiplier4Rows (common.h, double-rounding build) as LiteRT's NEON blocks compute it:
// vshlq (wrapping left shift), vqrdmulhq (= SRDHM), then vrshlq by the right shift, which rounds half UP
// (toward +inf), unlike RoundingDivideByPOT's half away from zero. Differs only on negative exact ties.
inline int32_t mbqm_neon_rows(int32_t x, int32_t multiplier, int shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  const int32_t shifted = static_cast<int32_t>(static_cast<uint32_t>(x) << left);
  const int64_t v = srdhm(shifted, multiplier);
  if (right == 0) return static_cast<int32_t>(v);
  return static_cast<int32_t>((v + (int64_t(1) << (right - 1))) >> right);
}

// The walk helpers below are in an unnamed namespace: they are compiled into eltwise_avx2.cpp with AVX2
// flags as well as into the baseline eltwise.cpp, and one shared (inline, external) copy could let the linker
// hand AVX2 code to a CPU without it.
namespace {

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

inline NeonRuns neon_runs(const Shape4& s1, const Shape4& s2, int elementwise_block, int scalar_block) {
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

// Computes every output element of a broadcast binary op in output order, one stretch at a time:
// run_stretch(pa, a_step, pb, b_step, po, len, neon) with neon true for the elements LiteRT computes in a
// NEON block (see NeonRuns), false for the others.
template <class R>
void broadcast_binary(const char* op, const Shape4& s1, const int8_t* a, const Shape4& s2, const int8_t* b,
                      int8_t* out, const NeonRuns& runs, R run_stretch) {
  const Shape4 o = broadcast_shape(s1, s2, op);
  const int64_t run = runs.run;
  const int64_t neon_len = run > 0 ? run - run % runs.block : 0;
  if (s1 == s2) {
    const int64_t n = o.size();
    run_stretch(a, true, b, true, out, neon_len, true);
    run_stretch(a + neon_len, true, b + neon_len, true, out + neon_len, n - neon_len, false);
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
          run_stretch(qa, sa[3] != 0, qb, sb[3] != 0, po + c, len, neon);
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

// SIMD twins of add_s8_ref / mul_s8_ref (eltwise_<isa>.cpp, in the kernel tables). They walk the tensors
// with broadcast_binary and compute each stretch with the arithmetic of its LiteRT path (BinaryPath); they
// compute the parameters prepare_add / prepare_mul make and hand anything else to the reference.
enum class BinaryPath : int { kScalar = 0, kNeonElementwise = 1, kNeonScalarBroadcast = 2 };
void add_s8_avx2(const AddParams& p, const Shape4& s1, const int8_t* in1, const Shape4& s2, const int8_t* in2,
                 int8_t* out);
void mul_s8_avx2(const MulParams& p, const Shape4& s1, const int8_t* in1, const Shape4& s2, const int8_t* in2,
                 int8_t* out);
void add_s8_neon(const AddParams& p, const Shape4& s1, const int8_t* in1, const Shape4& s2, const int8_t* in2,
                 int8_t* out);
void mul_s8_neon(const MulParams& p, const Shape4& s1, const int8_t* in1, const Shape4& s2, const int8_t* in2,
                 int8_t* out);

// MEAN over H and W (mean.cpp): the blocks of 16 channels of [c_begin, c_end) summed down the pixels by
// `sum16` (src[0..15] over `pixels` pixels `stride` bytes apart into out[16], mod 2^32), then requantized.
// Each path's twin is mean_hw_blocks with its own sum16.
using Sum16Fn = void (*)(const int8_t* src, int64_t stride, int64_t pixels, uint32_t* out);
void mean_hw_blocks(const MeanParams& p, const int8_t* in, int8_t* out, int c_begin, int c_end, Sum16Fn sum16);
void mean_hw_s8_avx2(const MeanParams& p, const int8_t* in, int8_t* out, int c_begin, int c_end);
void mean_hw_s8_neon(const MeanParams& p, const int8_t* in, int8_t* out, int c_begin, int c_end);

namespace {

inline bool act_in_int8(const ActRange& a) { return a.min >= -128 && a.min <= a.max && a.max <= 127; }

// What the SIMD twins of ADD / MUL assume (what prepare_add / prepare_mul guarantee).
inline bool simd_can_add(const AddParams& p) {
  auto in_shift = [](int e) { return e <= 0 && e >= -31; };
  return act_in_int8(p.act) && p.left_shift >= 0 && p.left_shift <= 23 && in_shift(p.input1_shift) &&
         in_shift(p.input2_shift) && in_shift(p.output_shift) && p.input1_multiplier >= 0 &&
         p.input2_multiplier >= 0 && p.output_multiplier >= 0 && p.input1_offset >= -127 &&
         p.input1_offset <= 128 && p.input2_offset >= -127 && p.input2_offset <= 128;
}
inline bool simd_can_mul(const MulParams& p) {
  return act_in_int8(p.act) && p.output_shift >= -31 && p.output_shift <= 30 && p.output_multiplier >= 0 &&
         p.input1_offset >= -127 && p.input1_offset <= 128 && p.input2_offset >= -127 && p.input2_offset <= 128;
}

// The walk both twins share: S<path>(params) is an ISA's stretch kernel for one path, built once per call;
// s(pa, a_step, pb, b_step, po, len) computes one stretch (an operand without step is one repeated value).
// broadcast_binary's NEON-shaped stretches go to `neon`, the others to `scalar`.
template <class Neon, class Scalar>
void walk_stretches(const char* op, const Shape4& s1, const int8_t* in1, const Shape4& s2, const int8_t* in2,
                    int8_t* out, const NeonRuns& runs, const Neon& neon, const Scalar& scalar) {
  broadcast_binary(op, s1, in1, s2, in2, out, runs,
                   [&](const int8_t* pa, bool a_step, const int8_t* pb, bool b_step, int8_t* po, int64_t len,
                       bool is_neon) {
                     if (is_neon) neon(pa, a_step, pb, b_step, po, len);
                     else scalar(pa, a_step, pb, b_step, po, len);
                   });
}
template <template <BinaryPath> class S>
void add_with_stretches(const AddParams& p, const Shape4& s1, const int8_t* in1, const Shape4& s2,
                        const int8_t* in2, int8_t* out) {
  if (!simd_can_add(p)) return add_s8_ref(p, s1, in1, s2, in2, out);
  const NeonRuns runs = neon_runs(s1, s2, 16, 8);
  const S<BinaryPath::kScalar> scalar(p);
  if (runs.scalar_broadcast)
    walk_stretches("ADD", s1, in1, s2, in2, out, runs, S<BinaryPath::kNeonScalarBroadcast>(p), scalar);
  else
    walk_stretches("ADD", s1, in1, s2, in2, out, runs, S<BinaryPath::kNeonElementwise>(p), scalar);
}
template <template <BinaryPath> class S>
void mul_with_stretches(const MulParams& p, const Shape4& s1, const int8_t* in1, const Shape4& s2,
                        const int8_t* in2, int8_t* out) {
  if (!simd_can_mul(p)) return mul_s8_ref(p, s1, in1, s2, in2, out);
  const NeonRuns runs = neon_runs(s1, s2, 16, 16);
  // MUL's scalar-broadcast NEON block computes the same as the elementwise one.
  walk_stretches("MUL", s1, in1, s2, in2, out, runs, S<BinaryPath::kNeonElementwise>(p),
                 S<BinaryPath::kScalar>(p));
}

}  // namespace

}  // namespace detail
}  // namespace ops
}  // namespace edgekd

// The inner loop of the 4x16c4 dotprod GEMM (gemm_neondot.cpp) for full tiles of 4 rows, in assembly:
// compiled from intrinsics, GCC kept the 16 accumulators on the stack around the loop and copied registers
// inside it (90 instructions per 64 sdot); this loop is 78: per 16 k, four 16-byte rows of A (v0-v3), 16
// weight vectors loaded in pairs (v4-v7, four times) and 64 lane-indexed sdot into v8-v23 (acc[r][v] in
// v(8 + 4r + v)). An asm statement takes at most 30 operands, so the accumulators start from the bias
// and end in memory rather than being 16 read-write register operands.
// Included by gemm_neondot.cpp only (built with +dotprod).
#pragma once
#include <arm_neon.h>

#include <cstdint>

namespace edgekd {
namespace {

// acc[r][v] in v(8 + 4r + v); row R's A in vR; weights in v4-v7.
#define EK_SDOT_ROW(V0, V1, V2, V3, R, L)                    \
  "sdot v" V0 ".4s, v4.16b, v" R ".4b[" L "]\n\t"           \
  "sdot v" V1 ".4s, v5.16b, v" R ".4b[" L "]\n\t"           \
  "sdot v" V2 ".4s, v6.16b, v" R ".4b[" L "]\n\t"           \
  "sdot v" V3 ".4s, v7.16b, v" R ".4b[" L "]\n\t"
#define EK_SDOT_GROUP(L)                                     \
  "ldp q4, q5, [%[w]], #32\n\t"                              \
  "ldp q6, q7, [%[w]], #32\n\t"                              \
  EK_SDOT_ROW("8", "9", "10", "11", "0", L)                  \
  EK_SDOT_ROW("12", "13", "14", "15", "1", L)                \
  EK_SDOT_ROW("16", "17", "18", "19", "2", L)                \
  EK_SDOT_ROW("20", "21", "22", "23", "3", L)

// acc[r][v] = bias[4v..4v+3] + sum over steps * 16 k of A[r][k] * W[col 4v..4v+3][k] (steps >= 0). Rows of
// A are lda apart; w is the panel's packed weights.
inline void dot_4x16_k16_asm(int32x4_t (&acc)[4][4], const int32_t* bias, const int8_t* a, size_t lda,
                             const int8_t* w, int steps) {
  const int8_t* a1 = a + lda;
  const int8_t* a2 = a1 + lda;
  const int8_t* a3 = a2 + lda;
  int64_t n = steps;
  __asm__ volatile(
      "ldp q8, q9, [%[bias]]\n\t"
      "ldp q10, q11, [%[bias], #32]\n\t"
      "mov v12.16b, v8.16b\n\t" "mov v13.16b, v9.16b\n\t" "mov v14.16b, v10.16b\n\t" "mov v15.16b, v11.16b\n\t"
      "mov v16.16b, v8.16b\n\t" "mov v17.16b, v9.16b\n\t" "mov v18.16b, v10.16b\n\t" "mov v19.16b, v11.16b\n\t"
      "mov v20.16b, v8.16b\n\t" "mov v21.16b, v9.16b\n\t" "mov v22.16b, v10.16b\n\t" "mov v23.16b, v11.16b\n\t"
      "cbz %[n], 2f\n\t"
      "1:\n\t"
      "ldr q0, [%[a0]], #16\n\t"
      "ldr q1, [%[a1]], #16\n\t"
      "ldr q2, [%[a2]], #16\n\t"
      "ldr q3, [%[a3]], #16\n\t"
      EK_SDOT_GROUP("0") EK_SDOT_GROUP("1") EK_SDOT_GROUP("2") EK_SDOT_GROUP("3")
      "subs %[n], %[n], #1\n\t"
      "b.ne 1b\n\t"
      "2:\n\t"
      "stp q8, q9, [%[acc]]\n\t"
      "stp q10, q11, [%[acc], #32]\n\t"
      "stp q12, q13, [%[acc], #64]\n\t"
      "stp q14, q15, [%[acc], #96]\n\t"
      "stp q16, q17, [%[acc], #128]\n\t"
      "stp q18, q19, [%[acc], #160]\n\t"
      "stp q20, q21, [%[acc], #192]\n\t"
      "stp q22, q23, [%[acc], #224]\n\t"
      : [a0] "+r"(a), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w] "+r"(w), [n] "+r"(n)
      : [acc] "r"(&acc[0][0]), [bias] "r"(bias)
      : "cc", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13",
        "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23");
}

#undef EK_SDOT_GROUP
#undef EK_SDOT_ROW

}  // namespace
}  // namespace edgekd

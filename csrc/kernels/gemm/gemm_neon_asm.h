// The common tile of the 4x4k16 NEON GEMM (gemm_neon.cpp) in assembly: four rows, every k, no weight of -128
// and no left shift. Compiled from intrinsics, GCC kept 6 of the 16 accumulators on the stack inside the k
// loop (89 instructions per 16 k where this loop has 56) and the output stage went through the stack.
// Registers: A rows v0-v3, the panel's four weight vectors v4-v7, acc[r][j] = v(8 + 4r + j) (int32x4 partial
// sums of row r, column j), products v24-v31 in turn: per (row, column) and 16 k, smull + smlal2 into an
// int16x8 and sadalp into the accumulator. The last k % 16 come as a zero-padded copy of the 4 rows (the
// pack zeroed W beyond k). Then addp reduces each row to v8/v12/v16/v20, and the output stage is
// requant4<false> + narrow_clamp16 (gemm_requant_neon.h), instruction for instruction.
// tile_1x4_asm is the same for one row (batch-1 fully connected layers). Included by gemm_neon.cpp only.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/gemm/gemm_tiles_neon.h"

namespace edgekd {
namespace {

#define EK_MAC(ACC, A, W, T)                                 \
  "smull v" T ".8h, v" A ".8b, v" W ".8b\n\t"               \
  "smlal2 v" T ".8h, v" A ".16b, v" W ".16b\n\t"            \
  "sadalp v" ACC ".4s, v" T ".8h\n\t"
#define EK_MAC_BLOCK                                                                                         \
  "ldp q4, q5, [%[w]], #32\n\t"                                                                              \
  "ldp q6, q7, [%[w]], #32\n\t"                                                                              \
  EK_MAC("8", "0", "4", "24") EK_MAC("9", "0", "5", "25") EK_MAC("10", "0", "6", "26") EK_MAC("11", "0", "7", "27") \
  EK_MAC("12", "1", "4", "28") EK_MAC("13", "1", "5", "29") EK_MAC("14", "1", "6", "30") EK_MAC("15", "1", "7", "31") \
  EK_MAC("16", "2", "4", "24") EK_MAC("17", "2", "5", "25") EK_MAC("18", "2", "6", "26") EK_MAC("19", "2", "7", "27") \
  EK_MAC("20", "3", "4", "28") EK_MAC("21", "3", "5", "29") EK_MAC("22", "3", "6", "30") EK_MAC("23", "3", "7", "31")
// The output stage's constants: bias v0, multipliers v1, negated right shifts v2 (capped at 31, as the
// definition caps them), zero point v3.
#define EK_STAGE4                                            \
  "ldr q0, [%[bias]]\n\t"                                   \
  "ldr q1, [%[mult]]\n\t"                                   \
  "ldr q2, [%[shift]]\n\t"                                  \
  "mvni v3.4s, #30\n\t"                                     \
  "smax v2.4s, v2.4s, v3.4s\n\t"                            \
  "dup v3.4s, %w[zp]\n\t"
// Row R's four partial-sum vectors to one vector of 4 column sums in vR0.
#define EK_REDUCE(R0, R1, R2, R3)                            \
  "addp v" R0 ".4s, v" R0 ".4s, v" R1 ".4s\n\t"             \
  "addp v" R2 ".4s, v" R2 ".4s, v" R3 ".4s\n\t"             \
  "addp v" R0 ".4s, v" R0 ".4s, v" R2 ".4s\n\t"             \
  "add v" R0 ".4s, v" R0 ".4s, v0.4s\n\t"                   \
  "sqrdmulh v" R0 ".4s, v" R0 ".4s, v1.4s\n\t"              \
  "srshl v" R0 ".4s, v" R0 ".4s, v2.4s\n\t"                 \
  "add v" R0 ".4s, v" R0 ".4s, v3.4s\n\t"

inline void tile_4x4_asm(const AsmTileArgs& t) {
  const int8_t* a0 = t.a;
  const int8_t* a1 = a0 + t.lda;
  const int8_t* a2 = a1 + t.lda;
  const int8_t* a3 = a2 + t.lda;
  const int8_t* w = t.w;
  int8_t* c = t.c;
  int64_t n = t.steps;
  const int64_t zp = t.zero_point, lo = t.act_min, hi = t.act_max;
  __asm__ volatile(
      "movi v8.4s, #0\n\t" "movi v9.4s, #0\n\t" "movi v10.4s, #0\n\t" "movi v11.4s, #0\n\t"
      "movi v12.4s, #0\n\t" "movi v13.4s, #0\n\t" "movi v14.4s, #0\n\t" "movi v15.4s, #0\n\t"
      "movi v16.4s, #0\n\t" "movi v17.4s, #0\n\t" "movi v18.4s, #0\n\t" "movi v19.4s, #0\n\t"
      "movi v20.4s, #0\n\t" "movi v21.4s, #0\n\t" "movi v22.4s, #0\n\t" "movi v23.4s, #0\n\t"
      "cbz %[n], 2f\n\t"
      "1:\n\t"
      "ldr q0, [%[a0]], #16\n\t"
      "ldr q1, [%[a1]], #16\n\t"
      "ldr q2, [%[a2]], #16\n\t"
      "ldr q3, [%[a3]], #16\n\t"
      EK_MAC_BLOCK
      "subs %[n], %[n], #1\n\t"
      "b.ne 1b\n\t"
      "2:\n\t"
      "cbz %[tail], 3f\n\t"
      "ldp q0, q1, [%[tail]]\n\t"
      "ldp q2, q3, [%[tail], #32]\n\t"
      EK_MAC_BLOCK
      "3:\n\t"
      EK_STAGE4
      EK_REDUCE("8", "9", "10", "11") EK_REDUCE("12", "13", "14", "15")
      EK_REDUCE("16", "17", "18", "19") EK_REDUCE("20", "21", "22", "23")
      "dup v25.16b, %w[lo]\n\t"
      "dup v26.16b, %w[hi]\n\t"
      "sqxtn v27.4h, v8.4s\n\t"
      "sqxtn2 v27.8h, v12.4s\n\t"
      "sqxtn v28.4h, v16.4s\n\t"
      "sqxtn2 v28.8h, v20.4s\n\t"
      "sqxtn v27.8b, v27.8h\n\t"
      "sqxtn2 v27.16b, v28.8h\n\t"
      "smax v27.16b, v27.16b, v25.16b\n\t"
      "smin v27.16b, v27.16b, v26.16b\n\t"
      "st1 {v27.s}[0], [%[c]], %[ldc]\n\t"
      "st1 {v27.s}[1], [%[c]], %[ldc]\n\t"
      "st1 {v27.s}[2], [%[c]], %[ldc]\n\t"
      "st1 {v27.s}[3], [%[c]]\n\t"
      : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w] "+r"(w), [n] "+r"(n), [c] "+r"(c)
      : [tail] "r"(t.tail), [bias] "r"(t.bias), [mult] "r"(t.mult), [shift] "r"(t.shift), [zp] "r"(zp),
        [lo] "r"(lo), [hi] "r"(hi), [ldc] "r"(t.ldc)
      : "cc", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13",
        "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28",
        "v29", "v30", "v31");
}

// One row (batch-1 fully connected, GEMV): the same for one row of A into acc v8-v11.
inline void tile_1x4_asm(const AsmTileArgs& t) {
  const int8_t* a0 = t.a;
  const int8_t* w = t.w;
  int8_t* c = t.c;
  int64_t n = t.steps;
  const int64_t zp = t.zero_point, lo = t.act_min, hi = t.act_max;
  __asm__ volatile(
      "movi v8.4s, #0\n\t" "movi v9.4s, #0\n\t" "movi v10.4s, #0\n\t" "movi v11.4s, #0\n\t"
      "cbz %[n], 2f\n\t"
      "1:\n\t"
      "ldr q0, [%[a0]], #16\n\t"
      "ldp q4, q5, [%[w]], #32\n\t"
      "ldp q6, q7, [%[w]], #32\n\t"
      EK_MAC("8", "0", "4", "24") EK_MAC("9", "0", "5", "25") EK_MAC("10", "0", "6", "26") EK_MAC("11", "0", "7", "27")
      "subs %[n], %[n], #1\n\t"
      "b.ne 1b\n\t"
      "2:\n\t"
      "cbz %[tail], 3f\n\t"
      "ldr q0, [%[tail]]\n\t"
      "ldp q4, q5, [%[w]], #32\n\t"
      "ldp q6, q7, [%[w]], #32\n\t"
      EK_MAC("8", "0", "4", "24") EK_MAC("9", "0", "5", "25") EK_MAC("10", "0", "6", "26") EK_MAC("11", "0", "7", "27")
      "3:\n\t"
      EK_STAGE4
      EK_REDUCE("8", "9", "10", "11")
      "dup v25.8b, %w[lo]\n\t"
      "dup v26.8b, %w[hi]\n\t"
      "sqxtn v27.4h, v8.4s\n\t"
      "sqxtn v27.8b, v27.8h\n\t"
      "smax v27.8b, v27.8b, v25.8b\n\t"
      "smin v27.8b, v27.8b, v26.8b\n\t"
      "st1 {v27.s}[0], [%[c]]\n\t"
      : [a0] "+r"(a0), [w] "+r"(w), [n] "+r"(n)
      : [tail] "r"(t.tail), [bias] "r"(t.bias), [mult] "r"(t.mult), [shift] "r"(t.shift), [zp] "r"(zp),
        [lo] "r"(lo), [hi] "r"(hi), [c] "r"(c)
      : "cc", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v24", "v25",
        "v26", "v27");
}

#undef EK_REDUCE
#undef EK_STAGE4
#undef EK_MAC_BLOCK
#undef EK_MAC

}  // namespace
}  // namespace edgekd

// The inner loop of the 4x4k16 NEON GEMM (gemm_neon.cpp) for full tiles of 4 rows whose weights hold no
// -128, in assembly: compiled from intrinsics, GCC kept 6 of the 16 accumulators on the stack inside the
// loop (89 instructions per 16 k where this loop has 56). Per 16 k: four 16-byte rows of A (v0-v3), the
// panel's four weight vectors (v4-v7), and per (row, column) smull + smlal2 into an int16x8 (v24-v31 in
// turn) and sadalp into acc[r][j] = v(8 + 4r + j). An asm statement takes at most 30 operands, so the
// accumulators start at zero and end in memory rather than being 16 read-write register operands.
// Included by gemm_neon.cpp only.
#pragma once
#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

namespace edgekd {
namespace {

#define EK_MAC(ACC, A, W, T)                                 \
  "smull v" T ".8h, v" A ".8b, v" W ".8b\n\t"               \
  "smlal2 v" T ".8h, v" A ".16b, v" W ".16b\n\t"            \
  "sadalp v" ACC ".4s, v" T ".8h\n\t"

// acc[r][j] = the 4 partial sums over steps * 16 k of A[r][k] * W[j][k] (steps >= 0). Rows of A are lda
// apart; w is the panel's packed weights (per 16 k: 4 columns x 16 bytes).
inline void mac_4x4_k16_asm(int32x4_t (&acc)[4][4], const int8_t* a, size_t lda, const int8_t* w, int steps) {
  const int8_t* a1 = a + lda;
  const int8_t* a2 = a1 + lda;
  const int8_t* a3 = a2 + lda;
  int64_t n = steps;
  __asm__ volatile(
      "movi v8.4s, #0\n\t" "movi v9.4s, #0\n\t" "movi v10.4s, #0\n\t" "movi v11.4s, #0\n\t"
      "movi v12.4s, #0\n\t" "movi v13.4s, #0\n\t" "movi v14.4s, #0\n\t" "movi v15.4s, #0\n\t"
      "movi v16.4s, #0\n\t" "movi v17.4s, #0\n\t" "movi v18.4s, #0\n\t" "movi v19.4s, #0\n\t"
      "movi v20.4s, #0\n\t" "movi v21.4s, #0\n\t" "movi v22.4s, #0\n\t" "movi v23.4s, #0\n\t"
      "cbz %[n], 2f\n\t"
      "1:\n\t"
      "ldr q0, [%[a0]], #16\n\t"
      "ldr q1, [%[a1]], #16\n\t"
      "ldp q4, q5, [%[w]], #32\n\t"
      "ldp q6, q7, [%[w]], #32\n\t"
      "ldr q2, [%[a2]], #16\n\t"
      "ldr q3, [%[a3]], #16\n\t"
      EK_MAC("8", "0", "4", "24") EK_MAC("9", "0", "5", "25") EK_MAC("10", "0", "6", "26") EK_MAC("11", "0", "7", "27")
      EK_MAC("12", "1", "4", "28") EK_MAC("13", "1", "5", "29") EK_MAC("14", "1", "6", "30") EK_MAC("15", "1", "7", "31")
      EK_MAC("16", "2", "4", "24") EK_MAC("17", "2", "5", "25") EK_MAC("18", "2", "6", "26") EK_MAC("19", "2", "7", "27")
      EK_MAC("20", "3", "4", "28") EK_MAC("21", "3", "5", "29") EK_MAC("22", "3", "6", "30") EK_MAC("23", "3", "7", "31")
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
      : [acc] "r"(&acc[0][0])
      : "cc", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13",
        "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28",
        "v29", "v30", "v31");
}

#undef EK_MAC

}  // namespace
}  // namespace edgekd

// The common tile of the 4x16c4 dotprod GEMM (gemm_neondot.cpp) in assembly: four rows, every k, and the
// output stage of layers without left shifts. Compiled from intrinsics, GCC kept the 16 accumulators on the
// stack around and inside the k loops, called memcpy for the last k % 4 and copied the output stage's
// constants through the stack: 370 instructions per tile besides the 16-k loop, where this one takes about
// 120. Registers: A rows v0-v3, weights v4-v7, acc[r][v] in v(8 + 4r + v); in the output stage v0-v3 hold
// the multipliers, v4-v7 the negated right shifts, v24 the zero point, v25/v26 the clamp, v27/v28 the rows.
// The arithmetic is requant4<false> + narrow_clamp16 (gemm_requant_neon.h), instruction for instruction.
// tile_1x16_asm is the same for one row (batch-1 fully connected layers).
// Included by gemm_neondot.cpp only (built with +dotprod).
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/gemm/gemm_tiles_neon.h"

namespace edgekd {
namespace {

// 16 sdot of one k group: weights v4-v7 against A lane L of v0-v3 ("" for the broadcast form).
#define EK_SDOT_ROW(V0, V1, V2, V3, R, L)                    \
  "sdot v" V0 ".4s, v4.16b, v" R L "\n\t"                   \
  "sdot v" V1 ".4s, v5.16b, v" R L "\n\t"                   \
  "sdot v" V2 ".4s, v6.16b, v" R L "\n\t"                   \
  "sdot v" V3 ".4s, v7.16b, v" R L "\n\t"
#define EK_SDOT_GROUP(L)                                     \
  "ldp q4, q5, [%[w]], #32\n\t"                              \
  "ldp q6, q7, [%[w]], #32\n\t"                              \
  EK_SDOT_ROW("8", "9", "10", "11", "0", L)                  \
  EK_SDOT_ROW("12", "13", "14", "15", "1", L)                \
  EK_SDOT_ROW("16", "17", "18", "19", "2", L)                \
  EK_SDOT_ROW("20", "21", "22", "23", "3", L)
// The output stage's constants: multipliers v0-v3, negated right shifts (capped at 31, as the definition
// caps them) v4-v7, zero point v24, clamp v25/v26.
#define EK_STAGE16                                           \
  "ldp q0, q1, [%[mult]]\n\t"                               \
  "ldp q2, q3, [%[mult], #32]\n\t"                          \
  "ldp q4, q5, [%[shift]]\n\t"                              \
  "ldp q6, q7, [%[shift], #32]\n\t"                         \
  "mvni v24.4s, #30\n\t"                                    \
  "smax v4.4s, v4.4s, v24.4s\n\t"                           \
  "smax v5.4s, v5.4s, v24.4s\n\t"                           \
  "smax v6.4s, v6.4s, v24.4s\n\t"                           \
  "smax v7.4s, v7.4s, v24.4s\n\t"                           \
  "dup v24.4s, %w[zp]\n\t"                                  \
  "dup v25.16b, %w[lo]\n\t"                                 \
  "dup v26.16b, %w[hi]\n\t"
// One row's output stage: 16 int8 to [c], then c += ldc.
#define EK_STORE_ROW(A0, A1, A2, A3)                         \
  "sqrdmulh v" A0 ".4s, v" A0 ".4s, v0.4s\n\t"              \
  "sqrdmulh v" A1 ".4s, v" A1 ".4s, v1.4s\n\t"              \
  "sqrdmulh v" A2 ".4s, v" A2 ".4s, v2.4s\n\t"              \
  "sqrdmulh v" A3 ".4s, v" A3 ".4s, v3.4s\n\t"              \
  "srshl v" A0 ".4s, v" A0 ".4s, v4.4s\n\t"                 \
  "srshl v" A1 ".4s, v" A1 ".4s, v5.4s\n\t"                 \
  "srshl v" A2 ".4s, v" A2 ".4s, v6.4s\n\t"                 \
  "srshl v" A3 ".4s, v" A3 ".4s, v7.4s\n\t"                 \
  "add v" A0 ".4s, v" A0 ".4s, v24.4s\n\t"                  \
  "add v" A1 ".4s, v" A1 ".4s, v24.4s\n\t"                  \
  "add v" A2 ".4s, v" A2 ".4s, v24.4s\n\t"                  \
  "add v" A3 ".4s, v" A3 ".4s, v24.4s\n\t"                  \
  "sqxtn v27.4h, v" A0 ".4s\n\t"                            \
  "sqxtn2 v27.8h, v" A1 ".4s\n\t"                           \
  "sqxtn v28.4h, v" A2 ".4s\n\t"                            \
  "sqxtn2 v28.8h, v" A3 ".4s\n\t"                           \
  "sqxtn v27.8b, v27.8h\n\t"                                \
  "sqxtn2 v27.16b, v28.8h\n\t"                              \
  "smax v27.16b, v27.16b, v25.16b\n\t"                      \
  "smin v27.16b, v27.16b, v26.16b\n\t"                      \
  "str q27, [%[c]]\n\t"                                     \
  "add %[c], %[c], %[ldc]\n\t"

inline void tile_4x16_asm(const AsmTileArgs& t) {
  const int8_t* a0 = t.a;
  const int8_t* a1 = a0 + t.lda;
  const int8_t* a2 = a1 + t.lda;
  const int8_t* a3 = a2 + t.lda;
  const int8_t* w = t.w;
  const int8_t* tail = t.tail;
  int8_t* c = t.c;
  int64_t steps = t.steps, groups = t.groups;
  const int64_t zp = t.zero_point, lo = t.act_min, hi = t.act_max;
  __asm__ volatile(
      "ldp q8, q9, [%[bias]]\n\t"
      "ldp q10, q11, [%[bias], #32]\n\t"
      "mov v12.16b, v8.16b\n\t" "mov v13.16b, v9.16b\n\t" "mov v14.16b, v10.16b\n\t" "mov v15.16b, v11.16b\n\t"
      "mov v16.16b, v8.16b\n\t" "mov v17.16b, v9.16b\n\t" "mov v18.16b, v10.16b\n\t" "mov v19.16b, v11.16b\n\t"
      "mov v20.16b, v8.16b\n\t" "mov v21.16b, v9.16b\n\t" "mov v22.16b, v10.16b\n\t" "mov v23.16b, v11.16b\n\t"
      "cbz %[steps], 2f\n\t"
      "1:\n\t"
      "ldr q0, [%[a0]], #16\n\t"
      "ldr q1, [%[a1]], #16\n\t"
      "ldr q2, [%[a2]], #16\n\t"
      "ldr q3, [%[a3]], #16\n\t"
      EK_SDOT_GROUP(".4b[0]") EK_SDOT_GROUP(".4b[1]") EK_SDOT_GROUP(".4b[2]") EK_SDOT_GROUP(".4b[3]")
      "subs %[steps], %[steps], #1\n\t"
      "b.ne 1b\n\t"
      "2:\n\t"
      "cbz %[groups], 4f\n\t"
      "3:\n\t"
      "ld1r {v0.4s}, [%[a0]], #4\n\t"
      "ld1r {v1.4s}, [%[a1]], #4\n\t"
      "ld1r {v2.4s}, [%[a2]], #4\n\t"
      "ld1r {v3.4s}, [%[a3]], #4\n\t"
      EK_SDOT_GROUP(".16b")
      "subs %[groups], %[groups], #1\n\t"
      "b.ne 3b\n\t"
      "4:\n\t"
      "cbz %[tail], 5f\n\t"
      "ld1r {v0.4s}, [%[tail]], #4\n\t"
      "ld1r {v1.4s}, [%[tail]], #4\n\t"
      "ld1r {v2.4s}, [%[tail]], #4\n\t"
      "ld1r {v3.4s}, [%[tail]], #4\n\t"
      EK_SDOT_GROUP(".16b")
      "5:\n\t"
      EK_STAGE16
      EK_STORE_ROW("8", "9", "10", "11") EK_STORE_ROW("12", "13", "14", "15")
      EK_STORE_ROW("16", "17", "18", "19") EK_STORE_ROW("20", "21", "22", "23")
      : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w] "+r"(w), [steps] "+r"(steps),
        [groups] "+r"(groups), [tail] "+r"(tail), [c] "+r"(c)
      : [bias] "r"(t.bias), [mult] "r"(t.mult), [shift] "r"(t.shift), [zp] "r"(zp), [lo] "r"(lo), [hi] "r"(hi),
        [ldc] "r"(t.ldc)
      : "cc", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13",
        "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28");
}

// One row (batch-1 fully connected, GEMV): the same steps for one row of A, the 16 weight vectors of a 16-k
// step loaded in 8 ldp. Registers: A v0, weights v4-v7 and v24-v27, acc v8-v11.
#define EK_SDOT1(L, W0, W1, W2, W3)                                                                     \
  "sdot v8.4s, v" W0 ".16b, v0" L "\n\t" "sdot v9.4s, v" W1 ".16b, v0" L "\n\t"                        \
  "sdot v10.4s, v" W2 ".16b, v0" L "\n\t" "sdot v11.4s, v" W3 ".16b, v0" L "\n\t"

inline void tile_1x16_asm(const AsmTileArgs& t) {
  const int8_t* a0 = t.a;
  const int8_t* w = t.w;
  const int8_t* tail = t.tail;
  int8_t* c = t.c;
  int64_t steps = t.steps, groups = t.groups;
  const int64_t zp = t.zero_point, lo = t.act_min, hi = t.act_max;
  __asm__ volatile(
      "ldp q8, q9, [%[bias]]\n\t"
      "ldp q10, q11, [%[bias], #32]\n\t"
      "cbz %[steps], 2f\n\t"
      "1:\n\t"
      "ldr q0, [%[a0]], #16\n\t"
      "ldp q4, q5, [%[w]], #32\n\t"
      "ldp q6, q7, [%[w]], #32\n\t"
      "ldp q24, q25, [%[w]], #32\n\t"
      "ldp q26, q27, [%[w]], #32\n\t"
      EK_SDOT1(".4b[0]", "4", "5", "6", "7")
      "ldp q4, q5, [%[w]], #32\n\t"
      "ldp q6, q7, [%[w]], #32\n\t"
      EK_SDOT1(".4b[1]", "24", "25", "26", "27")
      "ldp q24, q25, [%[w]], #32\n\t"
      "ldp q26, q27, [%[w]], #32\n\t"
      EK_SDOT1(".4b[2]", "4", "5", "6", "7")
      EK_SDOT1(".4b[3]", "24", "25", "26", "27")
      "subs %[steps], %[steps], #1\n\t"
      "b.ne 1b\n\t"
      "2:\n\t"
      "cbz %[groups], 4f\n\t"
      "3:\n\t"
      "ld1r {v0.4s}, [%[a0]], #4\n\t"
      "ldp q4, q5, [%[w]], #32\n\t"
      "ldp q6, q7, [%[w]], #32\n\t"
      EK_SDOT1(".16b", "4", "5", "6", "7")
      "subs %[groups], %[groups], #1\n\t"
      "b.ne 3b\n\t"
      "4:\n\t"
      "cbz %[tail], 5f\n\t"
      "ld1r {v0.4s}, [%[tail]]\n\t"
      "ldp q4, q5, [%[w]], #32\n\t"
      "ldp q6, q7, [%[w]], #32\n\t"
      EK_SDOT1(".16b", "4", "5", "6", "7")
      "5:\n\t"
      EK_STAGE16
      EK_STORE_ROW("8", "9", "10", "11")
      : [a0] "+r"(a0), [w] "+r"(w), [steps] "+r"(steps), [groups] "+r"(groups), [c] "+r"(c)
      : [tail] "r"(tail), [bias] "r"(t.bias), [mult] "r"(t.mult), [shift] "r"(t.shift), [zp] "r"(zp),
        [lo] "r"(lo), [hi] "r"(hi), [ldc] "r"(t.ldc)
      : "cc", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v24", "v25",
        "v26", "v27", "v28");
}

#undef EK_SDOT1
#undef EK_STORE_ROW
#undef EK_STAGE16
#undef EK_SDOT_GROUP
#undef EK_SDOT_ROW

}  // namespace
}  // namespace edgekd

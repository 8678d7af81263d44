// Part of requant_avx2.h (which includes it after RequantCols8): requant8<false> as inline-assembly text
// for the assembly tiles of the AVX2 GEMM and the depthwise row sweep (included inside requant_avx2.h's
// namespace: a layout check and a macro only).
#pragma once

// ymmX (accumulators) -> ymmX (results), ymmT a temporary, the constants at byte offset Q (a string) from
// the asm operand %[rq] (a RequantCols8*). Same instructions, same order, as requant8's intrinsics.
static_assert(offsetof(RequantCols8, mult) == 0 && offsetof(RequantCols8, mult_odd) == 32 &&
                  offsetof(RequantCols8, nudge_even) == 64 && offsetof(RequantCols8, nudge_odd) == 96 &&
                  offsetof(RequantCols8, shift_even) == 128 && offsetof(RequantCols8, shift_odd_hi) == 192 &&
                  offsetof(RequantCols8, offset) == 256,
              "EK_RQ8's offsets");
#define EK_RQ8(X, T, Q)                                      \
  "vpmuldq " Q "+0(%[rq]), %%ymm" X ", %%ymm" T "\n\t"      \
  "vpsrlq $32, %%ymm" X ", %%ymm" X "\n\t"                   \
  "vpmuldq " Q "+32(%[rq]), %%ymm" X ", %%ymm" X "\n\t"     \
  "vpaddq " Q "+64(%[rq]), %%ymm" T ", %%ymm" T "\n\t"      \
  "vpaddq " Q "+96(%[rq]), %%ymm" X ", %%ymm" X "\n\t"      \
  "vpsrlvq " Q "+128(%[rq]), %%ymm" T ", %%ymm" T "\n\t"    \
  "vpsrlvq " Q "+192(%[rq]), %%ymm" X ", %%ymm" X "\n\t"    \
  "vpblendd $0xaa, %%ymm" X ", %%ymm" T ", %%ymm" X "\n\t"  \
  "vpaddd " Q "+256(%[rq]), %%ymm" X ", %%ymm" X "\n\t"

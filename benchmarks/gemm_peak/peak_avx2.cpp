// Peak loop for AVX2: 12 independent chains of vpmaddwd (latency 3-5, 1-2 per cycle on current cores, so
// 12 chains keep every multiplier port busy). Written in asm: compiled from intrinsics, GCC kept the chains
// in memory (a store-forward per instruction), which measured the store path, not the multiplier.
#include <cstdint>

#include "peak.h"

namespace edgekd {
namespace {

void chains_avx2(uint64_t& n) {
  __asm__ volatile(
      "vpcmpeqw %%ymm12, %%ymm12, %%ymm12\n\t"
      "vpxor %%ymm0, %%ymm0, %%ymm0\n\t"
      "vpxor %%ymm1, %%ymm1, %%ymm1\n\t"
      "vpxor %%ymm2, %%ymm2, %%ymm2\n\t"
      "vpxor %%ymm3, %%ymm3, %%ymm3\n\t"
      "vpxor %%ymm4, %%ymm4, %%ymm4\n\t"
      "vpxor %%ymm5, %%ymm5, %%ymm5\n\t"
      "vpxor %%ymm6, %%ymm6, %%ymm6\n\t"
      "vpxor %%ymm7, %%ymm7, %%ymm7\n\t"
      "vpxor %%ymm8, %%ymm8, %%ymm8\n\t"
      "vpxor %%ymm9, %%ymm9, %%ymm9\n\t"
      "vpxor %%ymm10, %%ymm10, %%ymm10\n\t"
      "vpxor %%ymm11, %%ymm11, %%ymm11\n\t"
      "1:\n\t"
      "vpmaddwd %%ymm12, %%ymm0, %%ymm0\n\t"
      "vpmaddwd %%ymm12, %%ymm1, %%ymm1\n\t"
      "vpmaddwd %%ymm12, %%ymm2, %%ymm2\n\t"
      "vpmaddwd %%ymm12, %%ymm3, %%ymm3\n\t"
      "vpmaddwd %%ymm12, %%ymm4, %%ymm4\n\t"
      "vpmaddwd %%ymm12, %%ymm5, %%ymm5\n\t"
      "vpmaddwd %%ymm12, %%ymm6, %%ymm6\n\t"
      "vpmaddwd %%ymm12, %%ymm7, %%ymm7\n\t"
      "vpmaddwd %%ymm12, %%ymm8, %%ymm8\n\t"
      "vpmaddwd %%ymm12, %%ymm9, %%ymm9\n\t"
      "vpmaddwd %%ymm12, %%ymm10, %%ymm10\n\t"
      "vpmaddwd %%ymm12, %%ymm11, %%ymm11\n\t"
      "dec %0\n\t"
      "jnz 1b\n\t"
      "vzeroupper\n\t"
      : "+r"(n)
      :
      : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
        "xmm12");
}

}  // namespace

extern const PeakLoop kPeakAvx2{Isa::kAvx2, &peak_loop<chains_avx2, 12 * 16>,
    "vpmaddwd ymm (16 int16 MACs, independent)", 16};

}  // namespace edgekd

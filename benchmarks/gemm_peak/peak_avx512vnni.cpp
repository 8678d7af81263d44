// Peak loop for AVX-512 VNNI: 20 independent vpdpbusd chains (latency 5, up to 2 per cycle on server
// cores, so 20 chains cover it). In asm so the chains stay in registers (see peak_avx2.cpp).
#include <cstdint>

#include "peak.h"

namespace edgekd {
namespace {

void chains_avx512vnni(uint64_t& n) {
  __asm__ volatile(
      "vpternlogd $0xff, %%zmm20, %%zmm20, %%zmm20\n\t"
      "vpternlogd $0xff, %%zmm21, %%zmm21, %%zmm21\n\t"
      "vpxord %%zmm0, %%zmm0, %%zmm0\n\t"
      "vpxord %%zmm1, %%zmm1, %%zmm1\n\t"
      "vpxord %%zmm2, %%zmm2, %%zmm2\n\t"
      "vpxord %%zmm3, %%zmm3, %%zmm3\n\t"
      "vpxord %%zmm4, %%zmm4, %%zmm4\n\t"
      "vpxord %%zmm5, %%zmm5, %%zmm5\n\t"
      "vpxord %%zmm6, %%zmm6, %%zmm6\n\t"
      "vpxord %%zmm7, %%zmm7, %%zmm7\n\t"
      "vpxord %%zmm8, %%zmm8, %%zmm8\n\t"
      "vpxord %%zmm9, %%zmm9, %%zmm9\n\t"
      "vpxord %%zmm10, %%zmm10, %%zmm10\n\t"
      "vpxord %%zmm11, %%zmm11, %%zmm11\n\t"
      "vpxord %%zmm12, %%zmm12, %%zmm12\n\t"
      "vpxord %%zmm13, %%zmm13, %%zmm13\n\t"
      "vpxord %%zmm14, %%zmm14, %%zmm14\n\t"
      "vpxord %%zmm15, %%zmm15, %%zmm15\n\t"
      "vpxord %%zmm16, %%zmm16, %%zmm16\n\t"
      "vpxord %%zmm17, %%zmm17, %%zmm17\n\t"
      "vpxord %%zmm18, %%zmm18, %%zmm18\n\t"
      "vpxord %%zmm19, %%zmm19, %%zmm19\n\t"
      "1:\n\t"
      "vpdpbusd %%zmm21, %%zmm20, %%zmm0\n\t"
      "vpdpbusd %%zmm21, %%zmm20, %%zmm1\n\t"
      "vpdpbusd %%zmm21, %%zmm20, %%zmm2\n\t"
      "vpdpbusd %%zmm21, %%zmm20, %%zmm3\n\t"
      "vpdpbusd %%zmm21, %%zmm20, %%zmm4\n\t"
      "vpdpbusd %%zmm21, %%zmm20, %%zmm5\n\t"
      "vpdpbusd %%zmm21, %%zmm20, %%zmm6\n\t"
      "vpdpbusd %%zmm21, %%zmm20, %%zmm7\n\t"
      "vpdpbusd %%zmm21, %%zmm20, %%zmm8\n\t"
      "vpdpbusd %%zmm21, %%zmm20, %%zmm9\n\t"
      "vpdpbusd %%zmm21, %%zmm20, %%zmm10\n\t"
      "vpdpbusd %%zmm21, %%zmm20, %%zmm11\n\t"
      "vpdpbusd %%zmm21, %%zmm20, %%zmm12\n\t"
      "vpdpbusd %%zmm21, %%zmm20, %%zmm13\n\t"
      "vpdpbusd %%zmm21, %%zmm20, %%zmm14\n\t"
      "vpdpbusd %%zmm21, %%zmm20, %%zmm15\n\t"
      "vpdpbusd %%zmm21, %%zmm20, %%zmm16\n\t"
      "vpdpbusd %%zmm21, %%zmm20, %%zmm17\n\t"
      "vpdpbusd %%zmm21, %%zmm20, %%zmm18\n\t"
      "vpdpbusd %%zmm21, %%zmm20, %%zmm19\n\t"
      "dec %0\n\t"
      "jnz 1b\n\t"
      "vzeroupper\n\t"
      : "+r"(n)
      :
      : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21");
}

}  // namespace

extern const PeakLoop kPeakAvx512Vnni{Isa::kAvx512Vnni, &peak_loop<chains_avx512vnni, 20 * 64>,
    "vpdpbusd zmm (64 int8 MACs, independent)", 64};

}  // namespace edgekd

// ARMv8.2 dotprod int8 GEMM, 4x16c4 (sdot, s8 x s8, exact into int32). The kernel body is gemm_c4_body.h,
// shared with AVX-512 VNNI and with the scalar emulation in test_gemm.cpp; this file maps its vector
// operations to intrinsics.
#include <arm_neon.h>

#include <cstring>

#include "kernels/gemm/gemm_c4_body.h"
#include "kernels/gemm/gemm_c4_configs.h"
#include "kernels/gemm/gemm_common.h"
#include "kernels/gemm/gemm_requant_neon.h"

namespace edgekd {
namespace {

using namespace gemm_c4_config;

struct DotOps {
  static constexpr int kLanes = kNeonDotLanes;
  using Acc = int32x4_t;
  using Av = int8x16_t;
  using Wv = int8x16_t;
  static Acc load_bias(const int32_t* p) { return vld1q_s32(p); }
  static Wv load_w(const int8_t* p) { return vld1q_s8(p); }
  static Av bcast_a(const int8_t* p) {
    int32_t v;
    std::memcpy(&v, p, sizeof(v));
    return vreinterpretq_s8_s32(vdupq_n_s32(v));
  }
  // sdot takes A as it is: nothing to prepare (the body then reads A in place).
  static constexpr bool kPrepareA = false;
  static void prepare_a(const int8_t*, int, int8_t*) {}
  static Av bcast_prepared(const int8_t* p) { return bcast_a(p); }
  static Acc dot(Acc acc, Av a, Wv w) { return vdotq_s32(acc, w, a); }
  static void requant_store(Acc acc, const int32_t* mult, const int32_t* shift, const OutputStage& os,
                            int8_t* c, int count) {
    store_s8x4(c, requant4_to_s8(acc, mult, shift, os), count);
  }
};

void pack_dot(const int8_t* w, const int32_t* bias, int n, int k, int32_t a_zero_point, PackedGemm* out) {
  gemm_pack::pack_c4(w, bias, n, k, a_zero_point, Isa::kNeonDot, kNeonDotNv * kNeonDotLanes,
                     kNeonDotActOffset, out);
}

void run_dot(const PackedGemm& p, int m, const int8_t* a, size_t lda, int8_t* c, size_t ldc, int n_begin,
             int n_end) {
  gemm_c4::run<DotOps, kNeonDotMr, kNeonDotNv>(p, m, a, lda, c, ldc, n_begin, n_end);
}

}  // namespace

extern const GemmKernel kGemmNeonDot;
const GemmKernel kGemmNeonDot{"gemm_s8_4x16c4_neondot", Isa::kNeonDot, kNeonDotMr, kNeonDotNv * kNeonDotLanes,
                              &pack_dot, &run_dot};

}  // namespace edgekd

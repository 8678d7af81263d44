// Tile shapes and activation offsets of the c4 kernels, shared by the kernels and by the emulation test
// (csrc/tests/test_gemm.cpp), so the emulated instantiation is exactly the shipped one.
#pragma once
#include <cstdint>

namespace edgekd {
namespace gemm_c4_config {

// AVX-512 VNNI: 8 rows x 2 zmm (32 columns); vpdpbusd is u8 x s8, so A is shifted by +128.
constexpr int kVnniMr = 8, kVnniNv = 2, kVnniLanes = 16;
constexpr int32_t kVnniActOffset = 128;
// ARM dotprod: 4 rows x 4 q-registers (16 columns); sdot is s8 x s8.
constexpr int kNeonDotMr = 4, kNeonDotNv = 4, kNeonDotLanes = 4;
constexpr int32_t kNeonDotActOffset = 0;

}  // namespace gemm_c4_config
}  // namespace edgekd

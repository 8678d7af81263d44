// The int8 GEMM body for "c4" dot-product instructions (x86 vpdpbusd, ARM sdot), written once over a
// tiny set of vector operations `V` so that the same packing, zero-point folding, tiling and tail logic runs
//   - with ARM dotprod intrinsics (gemm_neondot.cpp),
//   - with AVX-512 VNNI intrinsics (gemm_avx512vnni.cpp), there only for rows deeper than kPreparedKMax and
//     for panels whose output stage needs requant8's general form: the common case has its own tiles and
//     output stage in that file, tested on VNNI hardware by test_gemm.cpp's real-path sweeps,
//   - with scalar emulations of those operations in csrc/tests/test_gemm.cpp, which checks the VNNI and
//     dotprod instantiations bit for bit on any machine.
//
// Packed layout (gemm_pack::pack_cgroups with group 4): panels of NR = NV * V::kLanes columns; per panel,
// per group of 4 k, NR x 4 bytes; vector v of a group holds columns [v*kLanes, (v+1)*kLanes) x 4 k.
//
// V provides:
//   static constexpr int kLanes;                       int32 lanes (= columns) per vector
//   Acc, Av, Wv                                        accumulator, broadcast-A and weight vector types
//   static Acc load_bias(const int32_t* p)             kLanes int32
//   static Wv load_w(const int8_t* p)                  kLanes * 4 bytes
//   static Av bcast_a(const int8_t* p)                 4 bytes of A into every lane (VNNI: xor 0x80 too)
//   static constexpr bool kPrepareA;                    copy rows of A into a prepared buffer first?
//   static void prepare_a(const int8_t* src, int k, int8_t* dst)
//        writes round_up(k, 64) bytes: src transformed as bcast_a would (VNNI: xor 0x80), then padding
//   static Av bcast_prepared(const int8_t* p)          4 prepared bytes into every lane (no transform)
//
// Why prepare: on x86 a broadcast from a general register and the xor both compete with vpdpbusd for the
// vector ALU ports; a broadcast from memory is a pure load. So each block of MR rows (k <= kPreparedKMax)
// is transformed once and reused by every panel, leaving the inner loop loads + vpdpbusd only.
//   static Acc dot(Acc acc, Av a, Wv w)                acc[l] += sum_i a[i] * w[4l + i]  (mod 2^32)
//   static void requant_store(Acc acc, const int32_t* mult, const int32_t* shift,
//                             const OutputStage& os, int8_t* c, int count)
//        requantizes kLanes columns (mult/shift hold kLanes values) and stores the first `count`.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"

namespace edgekd {
namespace {
namespace gemm_c4 {

constexpr size_t kL2PanelBytes = 256 * 1024;  // weights of one group of panels kept hot in L2
constexpr int kPreparedKMax = 4096;             // longer rows run unprepared (transform in the loop)

// Row stride of the prepared buffer: whole 64-byte lines plus one, so rows are never 4 KiB apart.
inline int prepared_stride(int k) { return (k + 63) / 64 * 64 + 64; }

// One MR x NR tile. Prepared: `a` is the prepared buffer (rows padded to whole groups, already transformed).
template <class V, int MR, int NV, bool Prepared>
void block(const PackedGemm& p, const int8_t* a, size_t lda, int8_t* c, size_t ldc, int panel, int n_end) {
  constexpr int kNr = NV * V::kLanes;
  const int k = p.k;
  const int kgroups = (k + 3) / 4;
  const int kfull = Prepared ? kgroups : k / 4;
  const int krem = Prepared ? 0 : k - 4 * kfull;
  const int col0 = panel * kNr;
  const int cols = n_end - col0 < kNr ? n_end - col0 : kNr;
  const int8_t* w = p.weights.template as<int8_t>() + static_cast<size_t>(panel) * kgroups * kNr * 4;

  typename V::Acc acc[MR][NV];
  for (int v = 0; v < NV; ++v) {
    const typename V::Acc b = V::load_bias(p.bias.data() + col0 + v * V::kLanes);
    for (int r = 0; r < MR; ++r) acc[r][v] = b;
  }
  for (int g = 0; g < kfull; ++g) {
    typename V::Wv wv[NV];
    for (int v = 0; v < NV; ++v) wv[v] = V::load_w(w + (static_cast<size_t>(g) * kNr + v * V::kLanes) * 4);
    for (int r = 0; r < MR; ++r) {
      const typename V::Av av = Prepared ? V::bcast_prepared(a + r * lda + 4 * g) : V::bcast_a(a + r * lda + 4 * g);
      for (int v = 0; v < NV; ++v) acc[r][v] = V::dot(acc[r][v], av, wv[v]);
    }
  }
  if (krem) {
    // The last group reads only the k that exist (no over-read past a row); the pack zeroed the W padding,
    // so the padding bytes of A contribute nothing (even after VNNI's +128).
    typename V::Wv wv[NV];
    for (int v = 0; v < NV; ++v)
      wv[v] = V::load_w(w + (static_cast<size_t>(kfull) * kNr + v * V::kLanes) * 4);
    for (int r = 0; r < MR; ++r) {
      int8_t tail[4] = {0, 0, 0, 0};
      for (int i = 0; i < krem; ++i) tail[i] = a[r * lda + 4 * kfull + i];
      const typename V::Av av = V::bcast_a(tail);
      for (int v = 0; v < NV; ++v) acc[r][v] = V::dot(acc[r][v], av, wv[v]);
    }
  }
  const int32_t* mult = p.out.multiplier.data() + col0;
  const int32_t* shift = p.out.shift.data() + col0;
  int32_t mult_pad[kNr], shift_pad[kNr];
  if (cols < kNr) {  // the output stage holds exactly n values
    for (int j = 0; j < kNr; ++j) {
      mult_pad[j] = j < cols ? mult[j] : 0;
      shift_pad[j] = j < cols ? shift[j] : 0;
    }
    mult = mult_pad;
    shift = shift_pad;
  }
  for (int r = 0; r < MR; ++r) {
    for (int v = 0; v < NV; ++v) {
      const int first = v * V::kLanes;
      if (first >= cols) break;
      const int count = cols - first < V::kLanes ? cols - first : V::kLanes;
      V::requant_store(acc[r][v], mult + first, shift + first, p.out, c + r * ldc + col0 + first, count);
    }
  }
}

template <class V, int NV, int MR, bool Prepared>
struct RowDispatch {
  // Runs `rows` (1..MR) rows with a tile of exactly that many rows.
  static void run(int rows, const PackedGemm& p, const int8_t* a, size_t lda, int8_t* c, size_t ldc,
                  int panel, int n_end) {
    if (rows == MR) {
      block<V, MR, NV, Prepared>(p, a, lda, c, ldc, panel, n_end);
    } else {
      RowDispatch<V, NV, MR - 1, Prepared>::run(rows, p, a, lda, c, ldc, panel, n_end);
    }
  }
};
template <class V, int NV, bool Prepared>
struct RowDispatch<V, NV, 0, Prepared> {
  static void run(int, const PackedGemm&, const int8_t*, size_t, int8_t*, size_t, int, int) {}
};

// GemmKernel::run for an MR x (NV * kLanes) c4 kernel.
template <class V, int MR, int NV>
void run(const PackedGemm& p, int m, const int8_t* a, size_t lda, int8_t* c, size_t ldc, int n_begin,
         int n_end) {
  constexpr int kNr = NV * V::kLanes;
  if (m <= 0 || n_begin >= n_end) return;
  const size_t panel_bytes = static_cast<size_t>((p.k + 3) / 4) * kNr * 4;
  int group = static_cast<int>(kL2PanelBytes / (panel_bytes ? panel_bytes : 1));
  if (group < 1) group = 1;
  const int first_panel = n_begin / kNr;
  const int last_panel = (n_end + kNr - 1) / kNr;
  const bool prepare = V::kPrepareA && p.k <= kPreparedKMax;
  alignas(64) int8_t prepared[V::kPrepareA ? MR * (kPreparedKMax + 64) : 1];
  const int pstride = prepared_stride(p.k);
  for (int pb = first_panel; pb < last_panel; pb += group) {
    const int pe = pb + group < last_panel ? pb + group : last_panel;
    for (int m0 = 0; m0 < m; m0 += MR) {
      const int rows = m - m0 < MR ? m - m0 : MR;
      if (prepare) {
        for (int r = 0; r < rows; ++r) V::prepare_a(a + (m0 + r) * lda, p.k, prepared + r * pstride);
        for (int panel = pb; panel < pe; ++panel) {
          RowDispatch<V, NV, MR, true>::run(rows, p, prepared, pstride, c + m0 * ldc, ldc, panel, n_end);
        }
      } else {
        for (int panel = pb; panel < pe; ++panel) {
          RowDispatch<V, NV, MR, false>::run(rows, p, a + m0 * lda, lda, c + m0 * ldc, ldc, panel, n_end);
        }
      }
    }
  }
}

}  // namespace gemm_c4
}  // namespace
}  // namespace edgekd

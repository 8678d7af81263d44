// AVX2 int8 GEMM, 4x16 register tile, weights in "c2" k-pairs.
// AVX2 has no exact 8-bit dot product (vpmaddubsw saturates its int16 pair sums), so both operands are
// sign-extended to int16 and multiplied with vpmaddwd, which sums pairs exactly into int32:
//   - W is stored as int8 (same memory as the model) and widened on load with vpmovsxbw;
//   - a block of up to 4 rows of A is widened once into a small int16 buffer and broadcast by k-pair.
// The activation zero point is folded into the bias at pack time. Requantization is exact (see
// kernels/requant_avx2.h); its per-column constants are built once per panel group, not per tile, and two
// rows (or four rows of a half-width panel) are packed to int8 together. A last panel with at most 8 real
// columns (N = 8 projections in MobileNets) runs at half width. Cache blocking: panels are processed in
// groups whose weights fit in L2 while all rows of A stream past them.
// Measured and dropped (Zen 3): W pre-widened to int16 once per panel group for M > 4, which takes the two
// vpmovsxbw per k-pair out of the loop, was no faster than widening on load (twice the bytes read).
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/gemm/gemm_common.h"
#include "kernels/requant_avx2.h"

namespace edgekd {
namespace {

// 4 rows: 8 accumulators + 2 weight vectors + 4 broadcasts fit the 16 ymm registers. With 6 rows GCC
// hoists the 6 broadcasts and spills accumulators to the stack inside the loop (measured slower).
constexpr int kMr = 4;
constexpr int kNr = 16;
constexpr int kKcMax = 2048;               // k per widened A chunk (4 x 2048 int16 = 16 KiB of stack)
constexpr size_t kL2PanelBytes = 128 * 1024;  // weights of one group of panels (as read) kept hot in L2
constexpr int kMaxGroupPanels = 32;           // bounds the per-group output-stage constants (~20 KiB)
// Row stride of the widened rows of A (int16) when k fits one chunk: fixed, so the assembly tile below
// addresses the 4 rows with constant displacements. 4160 bytes is not a multiple of 4 KiB: the rows do not
// alias one another in L1.
constexpr int kAStride = kKcMax + 32;

void pack_avx2(const int8_t* w, const int32_t* bias, int n, int k, int32_t a_zero_point, PackedGemm* out) {
  out->isa = Isa::kAvx2;
  out->n = n;
  out->k = k;
  out->a_zero_point = a_zero_point;
  gemm_pack::fold_bias(w, bias, n, k, a_zero_point, gemm_pack::round_up(n, kNr), out);
  gemm_pack::pack_cgroups(w, n, k, kNr, 2, out);
}

// Loads n bytes (0..7) into the low bytes of a uint64, the rest zero, without reading past src + n:
// two overlapping loads whose common bytes are equal, so OR-ing them is exact.
inline uint64_t load_upto7(const int8_t* src, int n) {
  if (n >= 4) {
    uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    return static_cast<uint64_t>(a) | (static_cast<uint64_t>(b) << (8 * (n - 4)));
  }
  if (n >= 2) {
    uint16_t a, b;
    std::memcpy(&a, src, 2);
    std::memcpy(&b, src + n - 2, 2);
    return static_cast<uint64_t>(a) | (static_cast<uint64_t>(b) << (8 * (n - 2)));
  }
  return n ? static_cast<uint8_t>(*src) : 0;
}

// Loads n bytes (0..15) into the low bytes of an xmm, the rest zero, without reading past src + n.
inline __m128i load_partial16(const int8_t* src, int n) {
  uint64_t lo, hi = 0;
  if (n >= 8) {
    std::memcpy(&lo, src, 8);
    hi = load_upto7(src + 8, n - 8);
  } else {
    lo = load_upto7(src, n);
  }
  return _mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(lo));
}

// Sign-extends `len` bytes to int16 and zero-pads to an even count (the pack zero-padded W the same way).
// Writes whole 16-element groups: dst must have room for len rounded up to 16.
inline void widen_row(const int8_t* src, int len, int16_t* dst) {
  int i = 0;
  for (; i + 16 <= len; i += 16) {
    const __m256i v = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), v);
  }
  if (i < len) {
    const __m256i v = _mm256_cvtepi8_epi16(load_partial16(src + i, len - i));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), v);
  }
}

// widen_row for a row followed by at least round_up(len, 16) readable bytes (whole: the caller checked;
// bounded: checks src + that <= a_end, the end of A): whole 16-byte loads, no partial tail. The bytes past
// len land in the zero-padded half of the last k-pair or beyond the k-pairs the tiles read, where the
// packed weights are zero or nothing reads.
inline void widen_row_whole(const int8_t* src, int len, int16_t* dst) {
  for (int i = 0; i < len; i += 16) {
    const __m256i v = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), v);
  }
}

inline void widen_row_bounded(const int8_t* src, int len, int16_t* dst, const int8_t* a_end) {
  if (a_end - src < static_cast<ptrdiff_t>((len + 15) & ~15)) {
    widen_row(src, len, dst);
  } else {
    widen_row_whole(src, len, dst);
  }
}

inline __m256i bcast_pair(const int16_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return _mm256_set1_epi32(v);
}

// acc + madd(a, w). The add is written as asm with the accumulator tied in place: with the intrinsic,
// GCC 12 computed each sum into a temporary and copied it back (8 vmovdqa per 8 vpmaddwd in the 4x16
// tile, on the ports vpmaddwd and vpaddd need). Same instruction, same semantics as _mm256_add_epi32.
inline __m256i madd_acc(__m256i acc, __m256i a, __m256i w) {
  const __m256i prod = _mm256_madd_epi16(a, w);
  __asm__("vpaddd %1, %0, %0" : "+x"(acc) : "x"(prod));
  return acc;
}

// 16 packed int8 weights (8 columns x one k-pair) widened to int16.
inline __m256i load_w16(const int8_t* p) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// The output-stage constants of one 16-column panel (columns past n get multiplier 0 and shift 0).
struct RequantPanel {
  RequantCols8 q[2];
  bool general;  // some column needs requant8's general form (left shift, INT_MIN patch or r = 0)
  int cols;      // real columns (1..16)
};

// Fills *rp in place (returning the 640-byte struct by value compiled to a rep movs per panel, and
// zero-initialized padding arrays to a rep stos: together they cost more than the arithmetic).
inline void requant_panel(const OutputStage& os, int col0, int cols, RequantPanel* rp) {
  const int32_t* mult = os.multiplier.data() + col0;
  const int32_t* shift = os.shift.data() + col0;
  int32_t mult_pad[kNr], shift_pad[kNr];
  if (cols < kNr) {
    for (int j = 0; j < kNr; ++j) {
      // Padding columns are never stored; a right shift there keeps the panel on the short form.
      mult_pad[j] = j < cols ? mult[j] : 0;
      shift_pad[j] = j < cols ? shift[j] : -1;
    }
    mult = mult_pad;
    shift = shift_pad;
  }
  rp->q[0] = requant_cols8(mult, shift, os.output_zero_point);
  rp->q[1] = requant_cols8(mult + 8, shift + 8, os.output_zero_point);
  rp->general = rp->q[0].general() || rp->q[1].general();
  rp->cols = cols;
}

// Everything a tile needs besides its panel and rows.
struct TileArgs {
  const PackedGemm* p;
  const int8_t* a;    // first row of this row block
  size_t lda;
  int16_t* abuf;      // widened rows, astride apart
  int astride;
  bool one_chunk;     // k <= kKcMax: abuf already holds the whole rows
  RequantClamp clamp;
};

// What a row block needs besides its rows: the output-stage constants of the panel group, the clamp (also
// as 32 int8 lo, 32 hi for the assembly tile) and the end of A (how far widening may read).
struct BlockArgs {
  const RequantPanel* rq;
  RequantClamp clamp;
  const __m256i* clamp32;
  const int8_t* a_end;
};

// Requantizes and stores an MR x (8 * NV) tile. kGeneral: some column shifts left or has an INT_MIN
// multiplier (see requant8); otherwise those steps are left out.
template <int MR, int NV, bool kGeneral>
inline void store_tile(const __m256i (&acc)[MR][NV], const RequantPanel& rq, const RequantClamp& clamp,
                       int8_t* c, size_t ldc, int cols) {
  if constexpr (NV == 2) {
    // Rows in pairs through one 32-byte pack; an odd last row on its own.
#pragma GCC unroll 2
    for (int r = 0; r + 1 < MR; r += 2) {
      const __m256i v = clamp_s8x32(
          pack32_s32_to_s8(requant8<kGeneral>(acc[r][0], rq.q[0]), requant8<kGeneral>(acc[r][1], rq.q[1]),
                           requant8<kGeneral>(acc[r + 1][0], rq.q[0]), requant8<kGeneral>(acc[r + 1][1], rq.q[1])),
          clamp);
      store_s8(c + r * ldc, _mm256_castsi256_si128(v), cols);
      store_s8(c + (r + 1) * ldc, _mm256_extracti128_si256(v, 1), cols);
    }
    if constexpr (MR % 2 == 1) {
      const __m128i v = pack16_s32_to_s8(requant8<kGeneral>(acc[MR - 1][0], rq.q[0]),
                                         requant8<kGeneral>(acc[MR - 1][1], rq.q[1]));
      store_s8(c + (MR - 1) * ldc, clamp_s8(v, clamp), cols);
    }
  } else {
    // Up to 4 rows of 8 columns through one pack (missing rows repeat row 0 and are not stored).
    __m256i v[4];
    for (int r = 0; r < 4; ++r) v[r] = requant8<kGeneral>(acc[r < MR ? r : 0][0], rq.q[0]);
    const __m256i b = clamp_s8x32(pack32_s32_to_s8(v[0], v[1], v[2], v[3]), clamp);
    const __m128i lo = _mm256_castsi256_si128(b), hi = _mm256_extracti128_si256(b, 1);
    store_s8x8(c, lo, cols);
    if (MR > 1) store_s8x8(c + ldc, _mm_unpackhi_epi64(lo, lo), cols);
    if (MR > 2) store_s8x8(c + 2 * ldc, hi, cols);
    if (MR > 3) store_s8x8(c + 3 * ldc, _mm_unpackhi_epi64(hi, hi), cols);
  }
}

// One MR x (8 * NV) tile of one panel: accumulate over k, requantize, store. NV = 1 serves a last panel
// with at most 8 real columns (N = 8 projections in MobileNets) at half the work.
template <int MR, int NV>
inline void run_tile(const TileArgs& t, const int8_t* w, const int32_t* bias,
                     const RequantPanel& rq, int8_t* c, size_t ldc, int cols) {
  const int k = t.p->k;
  __m256i acc[MR][NV];
  for (int v = 0; v < NV; ++v) {
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias + 8 * v));
    for (int r = 0; r < MR; ++r) acc[r][v] = b;
  }
  for (int k0 = 0; k0 < k; k0 += kKcMax) {
    const int kc = k - k0 < kKcMax ? k - k0 : kKcMax;
    if (!t.one_chunk) {
      for (int r = 0; r < MR; ++r) widen_row(t.a + r * t.lda + k0, kc, t.abuf + r * t.astride);
    }
    const int8_t* wk = w + static_cast<size_t>(k0) * kNr;
    const int16_t* ak = t.abuf;
    const int kp_end = (kc + 1) / 2;
#pragma GCC unroll 2
    for (int kp = 0; kp < kp_end; ++kp) {
      __m256i wv[NV];
      for (int v = 0; v < NV; ++v) wv[v] = load_w16(wk + 16 * v);
      wk += 2 * kNr;
#pragma GCC unroll 4
      for (int r = 0; r < MR; ++r) {
        const __m256i av = bcast_pair(ak + r * t.astride + 2 * kp);
        for (int v = 0; v < NV; ++v) acc[r][v] = madd_acc(acc[r][v], av, wv[v]);
      }
    }
  }
  if (rq.general) {
    store_tile<MR, NV, true>(acc, rq, t.clamp, c, ldc, cols);
  } else {
    store_tile<MR, NV, false>(acc, rq, t.clamp, c, ldc, cols);
  }
}

#include "kernels/gemm/gemm_avx2_tiles_asm.inc"

// MR rows of A against the panels [panel_begin, panel_end) whose weights start at `w` (panel_bytes
// apart) and whose output-stage constants are b.rq[0 ..].
template <int MR>
void run_rows(const PackedGemm& p, const int8_t* a, size_t lda, int8_t* c, size_t ldc, int panel_begin,
              int panel_end, int n_end, const int8_t* w, size_t panel_bytes, const BlockArgs& b,
              int16_t* abuf) {
  const int k = p.k;
  TileArgs t;
  t.p = &p;
  t.a = a;
  t.lda = lda;
  t.abuf = abuf;
  t.one_chunk = k <= kKcMax;
  t.astride = t.one_chunk ? kAStride : kKcMax;
  t.clamp = b.clamp;
  if (t.one_chunk) {
    for (int r = 0; r < MR; ++r) widen_row_bounded(a + r * lda, k, abuf + r * t.astride, b.a_end);
  }
  for (int panel = panel_begin; panel < panel_end; ++panel) {
    const int col0 = panel * kNr;
    const int cols = n_end - col0 < kNr ? n_end - col0 : kNr;
    const int8_t* wp = w + (panel - panel_begin) * panel_bytes;
    const RequantPanel& q = b.rq[panel - panel_begin];
    if (cols <= 8) {
      run_tile<MR, 1>(t, wp, p.bias.data() + col0, q, c + col0, ldc, cols);
    } else {
      run_tile<MR, 2>(t, wp, p.bias.data() + col0, q, c + col0, ldc, cols);
    }
  }
}

// The full 4-row blocks when k fits one chunk: each block's rows are widened once, then every panel runs
// its tile, in assembly where the panel has 16 or 8 real columns and the short output stage.
void run_blocks4_one_chunk(const PackedGemm& p, int blocks, const int8_t* a, size_t lda, int8_t* c,
                           size_t ldc, int pb, int pe, const int8_t* w, size_t panel_bytes, const BlockArgs& b,
                           int16_t* abuf) {
  const int k = p.k;
  const int kpairs = (k + 1) / 2;
  TileArgs t;
  t.p = &p;
  t.lda = lda;
  t.abuf = abuf;
  t.astride = kAStride;
  t.one_chunk = true;
  t.clamp = b.clamp;
  const int32_t* const bias = p.bias.data();
  for (int blk = 0; blk < blocks; ++blk, a += kMr * lda, c += kMr * ldc) {
    if (b.a_end - (a + 3 * lda) >= static_cast<ptrdiff_t>((k + 15) & ~15)) {
      for (int r = 0; r < kMr; ++r) widen_row_whole(a + r * lda, k, abuf + r * kAStride);
    } else {
      for (int r = 0; r < kMr; ++r) widen_row_bounded(a + r * lda, k, abuf + r * kAStride, b.a_end);
    }
    t.a = a;
    const int8_t* wp = w;
    for (int panel = pb; panel < pe; ++panel, wp += panel_bytes) {
      const RequantPanel& q = b.rq[panel - pb];
      const int col0 = panel * kNr;
      // The four instantiations are called directly: through a function pointer they do not inline.
      if (!q.general && q.cols == kNr) {
        if (b.clamp.active) {
          tile4_asm<2, true>(wp, abuf, kpairs, bias + col0, q, b.clamp32, c + col0, ldc);
        } else {
          tile4_asm<2, false>(wp, abuf, kpairs, bias + col0, q, b.clamp32, c + col0, ldc);
        }
      } else if (!q.general && q.cols == 8) {
        if (b.clamp.active) {
          tile4_asm<1, true>(wp, abuf, kpairs, bias + col0, q, b.clamp32, c + col0, ldc);
        } else {
          tile4_asm<1, false>(wp, abuf, kpairs, bias + col0, q, b.clamp32, c + col0, ldc);
        }
      } else if (q.cols <= 8) {
        run_tile<kMr, 1>(t, wp, bias + col0, q, c + col0, ldc, q.cols);
      } else {
        run_tile<kMr, 2>(t, wp, bias + col0, q, c + col0, ldc, q.cols);
      }
    }
  }
}

// Requantizes one row of one panel (16 columns, `cols` of them real) and stores it at c + col0.
inline void requant_store_panel(const PackedGemm& p, int col0, int cols, __m256i acc0, __m256i acc1,
                                const RequantClamp& clamp, int8_t* c) {
  RequantPanel q;
  requant_panel(p.out, col0, cols, &q);
  const __m128i v = pack16_s32_to_s8(requant8<true>(acc0, q.q[0]), requant8<true>(acc1, q.q[1]));
  store_s8(c + col0, clamp_s8(v, clamp), cols);
}

// M == 1 (fully connected at batch 1): every weight is used once, so the 4-row tile would run at a quarter
// of its width. Instead P panels run side by side on the one widened row: each k-pair broadcast feeds 2P
// independent accumulators, and the P weight streams are read once, as int8. (Tried and dropped: making
// the row unsigned and splitting it into nibbles so that vpmaddubsw is exact and the weights need no
// widening; on Zen 3 it ran 1.4x slower than this.)
template <int P>
void gemv_panels(const PackedGemm& p, const int16_t* a16, int panel, int n_end, const RequantClamp& clamp,
                 int8_t* c) {
  const int kpairs = (p.k + 1) / 2;
  const size_t panel_bytes = static_cast<size_t>(kpairs) * 2 * kNr;
  const int8_t* w = p.weights.as<int8_t>() + panel * panel_bytes;
  __m256i acc[P][2];
  for (int q = 0; q < P; ++q) {
    const int32_t* bias = p.bias.data() + (panel + q) * kNr;
    acc[q][0] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias));
    acc[q][1] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias + 8));
  }
  for (int kp = 0; kp < kpairs; ++kp) {
    const __m256i av = bcast_pair(a16 + 2 * kp);
    const int8_t* wk = w + static_cast<size_t>(kp) * 2 * kNr;
#pragma GCC unroll 8
    for (int q = 0; q < P; ++q) {
      const int8_t* wq = wk + q * panel_bytes;
      acc[q][0] = madd_acc(acc[q][0], av, load_w16(wq));
      acc[q][1] = madd_acc(acc[q][1], av, load_w16(wq + 16));
    }
  }
  for (int q = 0; q < P; ++q) {
    const int col0 = (panel + q) * kNr;
    const int cols = n_end - col0 < kNr ? n_end - col0 : kNr;
    requant_store_panel(p, col0, cols, acc[q][0], acc[q][1], clamp, c);
  }
}

constexpr int kGemvPanels = 4;

// Columns [n_begin, n_end) of one row; a16 holds the widened row (k rounded up to even, zero-padded).
void run_gemv(const PackedGemm& p, const int16_t* a16, int8_t* c, int n_begin, int n_end) {
  const RequantClamp clamp = requant_clamp(p.out.act_min, p.out.act_max);
  gemm_run::for_panel_groups<kGemvPanels>(n_begin, n_end, kNr, [&](auto panels, int panel) {
    gemv_panels<decltype(panels)::value>(p, a16, panel, n_end, clamp, c);
  });
}

void run_row_blocks(const PackedGemm& p, int m, const int8_t* a, size_t lda, int8_t* c, size_t ldc, int pb,
                    int pe, int n_end, const int8_t* w, size_t panel_bytes, const BlockArgs& b,
                    int16_t* abuf) {
  int m0 = 0;
  if (p.k <= kKcMax) {
    const int blocks = m / kMr;
    run_blocks4_one_chunk(p, blocks, a, lda, c, ldc, pb, pe, w, panel_bytes, b, abuf);
    m0 = blocks * kMr;
    if (m0 == m - 1) {
      // One row left (3x3 maps: 9 rows): the GEMV runs it four panels per broadcast.
      widen_row(a + m0 * lda, p.k, abuf);
      run_gemv(p, abuf, c + m0 * ldc, pb * kNr, pe * kNr < n_end ? pe * kNr : n_end);
      return;
    }
    if (m0 < m && blocks > 0 && !gemm_run::overlaps(a, (m - 1) * lda + p.k, c, (m - 1) * ldc + n_end)) {
      // Two or three rows left: one more full block over the last four rows, recomputing one or two rows
      // of the block before with the same instructions (the same bytes, written again by this thread),
      // which costs less than the smaller tiles' intrinsic code (a band of 18 rows in a fused region).
      run_blocks4_one_chunk(p, 1, a + (m - kMr) * lda, lda, c + (m - kMr) * ldc, ldc, pb, pe, w, panel_bytes, b,
                            abuf);
      return;
    }
  }
  for (; m0 < m; m0 += kMr) {
    const int8_t* arows = a + m0 * lda;
    int8_t* crows = c + m0 * ldc;
    switch (m - m0 < kMr ? m - m0 : kMr) {
      case 1: run_rows<1>(p, arows, lda, crows, ldc, pb, pe, n_end, w, panel_bytes, b, abuf); break;
      case 2: run_rows<2>(p, arows, lda, crows, ldc, pb, pe, n_end, w, panel_bytes, b, abuf); break;
      case 3: run_rows<3>(p, arows, lda, crows, ldc, pb, pe, n_end, w, panel_bytes, b, abuf); break;
      default: run_rows<4>(p, arows, lda, crows, ldc, pb, pe, n_end, w, panel_bytes, b, abuf); break;
    }
  }
}

void run_avx2(const PackedGemm& p, int m, const int8_t* a, size_t lda, int8_t* c, size_t ldc, int n_begin,
              int n_end) {
  if (m <= 0 || n_begin >= n_end) return;
  alignas(32) int16_t abuf[kMr * (kKcMax + 32)];
  // One row: the widened row (k <= about 8000) stays in the buffer for every panel.
  if (m == 1 && (p.k + 15) / 16 * 16 <= kMr * (kKcMax + 32)) {
    widen_row(a, p.k, abuf);
    run_gemv(p, abuf, c, n_begin, n_end);
    return;
  }
  const int kpairs = (p.k + 1) / 2;
  const size_t panel_bytes = static_cast<size_t>(kpairs) * 2 * kNr;
  int group = static_cast<int>(kL2PanelBytes / (panel_bytes ? panel_bytes : 1));
  if (group < 1) group = 1;
  if (group > kMaxGroupPanels) group = kMaxGroupPanels;
  RequantPanel rq[kMaxGroupPanels];
  BlockArgs b;
  b.rq = rq;
  b.clamp = requant_clamp(p.out.act_min, p.out.act_max);
  const __m256i clamp32[2] = {_mm256_broadcastsi128_si256(b.clamp.lo), _mm256_broadcastsi128_si256(b.clamp.hi)};
  b.clamp32 = clamp32;
  b.a_end = a + (m - 1) * lda + p.k;
  const int first_panel = n_begin / kNr;
  const int last_panel = (n_end + kNr - 1) / kNr;
  for (int pb = first_panel; pb < last_panel; pb += group) {
    const int pe = pb + group < last_panel ? pb + group : last_panel;
    for (int panel = pb; panel < pe; ++panel) {
      const int col0 = panel * kNr;
      requant_panel(p.out, col0, n_end - col0 < kNr ? n_end - col0 : kNr, &rq[panel - pb]);
    }
    run_row_blocks(p, m, a, lda, c, ldc, pb, pe, n_end, p.weights.as<int8_t>() + pb * panel_bytes,
                   panel_bytes, b, abuf);
  }
}

}  // namespace

extern const GemmKernel kGemmAvx2;
const GemmKernel kGemmAvx2{"gemm_s8_4x16c2_avx2", Isa::kAvx2, kMr, kNr, &pack_avx2, &run_avx2,
                           /*overlapped_tail=*/true};

}  // namespace edgekd

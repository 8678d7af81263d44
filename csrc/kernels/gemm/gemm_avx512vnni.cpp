// AVX-512 VNNI int8 GEMM, 8x32c4 (vpdpbusd). vpdpbusd multiplies unsigned by signed bytes: activations get
// +128 (xor 0x80) once per group of row blocks, and the bias got -(a_zero_point + 128) * rowsum(W) at pack
// time.
//
// At the K of MobileNet pointwise layers (8..144) the output stage, not the dot products, is most of the
// work: 16 outputs cost 2..36 vpdpbusd but about a dozen output-stage instructions. So, as in the AVX2
// kernel, the output-stage constants are built once per panel group (not per tile); every 16 lanes take
// requant8's short form (kernels/requant_avx2.h) written with AVX-512's arithmetic 64-bit shifts; four such
// vectors (two rows of a panel) go to int8 through one saturating pack, the zero point added in int16
// between its two steps. A last panel with at most 16 real columns runs one vector wide, and one with at
// most 8 (N = 8 projections) two rows per vector. Leftover rows run as one more full 8-row block over the
// last rows (overlapped, same bytes). M = 1 (batch-1 fully connected) runs four panels side by side, eight
// independent accumulator chains per broadcast, instead of one tile row that waits on vpdpbusd's latency.
// Rows deeper than kPreparedKMax, and panels whose output stage needs requant8's general form (left
// shifts, shift 0), run the portable c4 body (gemm_c4_body.h).
#include <immintrin.h>

#include <cstring>

// GCC 12's _mm512_castsi512_si256 / _mm512_extracti64x4_epi64 trip a false -Wmaybe-uninitialized.
#if defined(__GNUC__) && !defined(__clang__)  // a GCC-only warning (clang: -Wunknown-warning-option)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#pragma GCC diagnostic ignored "-Wuninitialized"

#include "kernels/gemm/gemm_c4_body.h"
#include "kernels/gemm/gemm_c4_configs.h"
#include "kernels/gemm/gemm_common.h"
#include "kernels/requant_avx2.h"

namespace edgekd {
namespace {

using namespace gemm_c4_config;

// Inline asm with the accumulator tied in place: with the intrinsic, GCC 12 keeps two copies of every
// accumulator and moves them each iteration (32 extra vector moves per 16 vpdpbusd on the port vpdpbusd
// needs). Same instruction, same semantics as _mm512_dpbusd_epi32(acc, a, w).
inline __m512i dot(__m512i acc, __m512i a, __m512i w) {
  __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "vm"(w));
  return acc;
}

inline __m512i bcast4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return _mm512_set1_epi32(v);
}

struct VnniOps {
  static constexpr int kLanes = kVnniLanes;
  using Acc = __m512i;
  using Av = __m512i;
  using Wv = __m512i;
  static Acc load_bias(const int32_t* p) { return _mm512_loadu_si512(p); }
  static Wv load_w(const int8_t* p) { return _mm512_loadu_si512(p); }
  static Av bcast_a(const int8_t* p) {
    int32_t v;
    std::memcpy(&v, p, sizeof(v));
    return _mm512_set1_epi32(static_cast<int32_t>(static_cast<uint32_t>(v) ^ 0x80808080u));
  }
  static constexpr bool kPrepareA = true;
  static void prepare_a(const int8_t* src, int k, int8_t* dst) {
    const __m512i sign = _mm512_set1_epi8(static_cast<char>(0x80));
    for (int i = 0; i < k; i += 64) {
      const int left = k - i;
      // Masked load: bytes past the row are neither read nor faulted on (they load as 0, stored as 0x80;
      // the packed W is zero there).
      const __mmask64 mask = left >= 64 ? ~__mmask64(0) : (__mmask64(1) << left) - 1;
      const __m512i v = _mm512_maskz_loadu_epi8(mask, src + i);
      _mm512_storeu_si512(dst + i, _mm512_xor_si512(v, sign));
    }
  }
  static Av bcast_prepared(const int8_t* p) { return bcast4(p); }
  static Acc dot(Acc acc, Av a, Wv w) { return edgekd::dot(acc, a, w); }
  static void requant_store(Acc acc, const int32_t* mult, const int32_t* shift, const OutputStage& os,
                            int8_t* c, int count) {
    const int32_t zp = os.output_zero_point;
    const __m256i lo = requant8(_mm512_castsi512_si256(acc), requant_cols8(mult, shift, zp));
    const __m256i hi = requant8(_mm512_extracti64x4_epi64(acc, 1), requant_cols8(mult + 8, shift + 8, zp));
    store_s8(c, clamp_s8(pack16_s32_to_s8(lo, hi), requant_clamp(os.act_min, os.act_max)), count);
  }
};

constexpr int kMr = kVnniMr;                // 8 rows
constexpr int kNr = kVnniNv * kVnniLanes;   // 32 columns: two zmm
constexpr int kGroupBytes = kNr * 4;        // one group of 4 k of one panel
constexpr int kMaxGroupPanels = 32;         // bounds the per-group output-stage constants (~29 KiB)
constexpr int kGemvPanels = 4;
constexpr int kGemvTailRows = 2;  // leftover rows at most this many run through the GEMV

// requant8<false> for 16 columns with AVX-512's arithmetic 64-bit shifts: the same single floor division
// (kernels/requant_avx2.h), without the 2^63 bias that AVX2's logical shifts need, so the result needs no
// correction and the output zero point is added after the first saturating pack instead (below).
struct Rq16 {
  __m512i mult, mult_odd, nudge_even, nudge_odd, shift_even, shift_odd_hi;
};

// One 32-column panel's output stage. general: some real column needs requant8's general form.
struct PanelRq {
  Rq16 q[2];
  bool general;
  int cols;  // real columns (1..32)
};

// The short form's constants of 16 columns (every shift < 0, i.e. r = -shift in [1, 31]; callers checked),
// built directly in 512-bit lanes: a panel costs about 30 instructions, which matters where a call covers
// few rows (GEMV, small bands).
inline void rq16(__m512i m, __m512i shift, Rq16* q) {
  const __m512i r = _mm512_min_epi32(_mm512_sub_epi32(_mm512_setzero_si512(), shift), _mm512_set1_epi32(31));
  const __m512i r_even = _mm512_and_si512(r, _mm512_set1_epi64(0xFFFFFFFF));
  const __m512i r_odd = _mm512_srli_epi64(r, 32);
  const __m512i one = _mm512_set1_epi64(1), c30 = _mm512_set1_epi64(30);
  const __m512i half = _mm512_set1_epi64(int64_t{1} << 30);
  q->mult = m;
  q->mult_odd = _mm512_srli_epi64(m, 32);
  q->nudge_even = _mm512_add_epi64(half, _mm512_sllv_epi64(one, _mm512_add_epi64(r_even, c30)));
  q->nudge_odd = _mm512_add_epi64(half, _mm512_sllv_epi64(one, _mm512_add_epi64(r_odd, c30)));
  q->shift_even = _mm512_add_epi64(r_even, _mm512_set1_epi64(31));
  q->shift_odd_hi = _mm512_sub_epi64(r_odd, one);
}

// general is true when some real column shifts left or not at all (shift >= 0: requant8's general form);
// the constants are then not built (those panels run the portable body).
inline void panel_rq(const OutputStage& os, int col0, int cols, PanelRq* rq) {
  // Padding columns are never stored; multiplier 0 and shift -1 keep them on the short form.
  const __m512i pad_shift = _mm512_set1_epi32(-1);
  const __mmask16 k0 = cols >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << cols) - 1);
  const __mmask16 k1 = cols >= 32 ? __mmask16(0xFFFF) : cols <= 16 ? 0 : static_cast<__mmask16>((1u << (cols - 16)) - 1);
  const int32_t* mult = os.multiplier.data() + col0;
  const int32_t* shift = os.shift.data() + col0;
  const __m512i m0 = _mm512_maskz_loadu_epi32(k0, mult), m1 = _mm512_maskz_loadu_epi32(k1, mult + 16);
  const __m512i s0 = _mm512_mask_loadu_epi32(pad_shift, k0, shift);
  const __m512i s1 = _mm512_mask_loadu_epi32(pad_shift, k1, shift + 16);
  rq->cols = cols;
  rq->general = (_mm512_cmpge_epi32_mask(s0, _mm512_setzero_si512()) |
                 _mm512_cmpge_epi32_mask(s1, _mm512_setzero_si512())) != 0;
  if (rq->general) return;
  rq16(m0, s0, &rq->q[0]);
  if (cols <= 8) {
    // Two rows per vector (tile<MR, 1>): q[1] holds the constants of columns 0..7 twice.
    const __m512i lo = _mm512_shuffle_i64x2(m0, m0, 0x44), slo = _mm512_shuffle_i64x2(s0, s0, 0x44);
    rq16(lo, slo, &rq->q[1]);
  } else {
    rq16(m1, s1, &rq->q[1]);
  }
}

// The requantized value, before the zero point, in 16 int32 lanes: floor((x*m + 2^30 + 2^(30+r)) / 2^(31+r))
// (|x*m| <= 2^62, so the sum fits int64 and vpsravq floors it exactly). Odd lanes shift by r - 1 only: bits
// [31 + r, 63 + r) of their sums land in the high dwords, where one blend takes them.
inline __m512i requant16(__m512i acc, const Rq16& q) {
  const __m512i even =
      _mm512_srav_epi64(_mm512_add_epi64(_mm512_mul_epi32(acc, q.mult), q.nudge_even), q.shift_even);
  const __m512i odd = _mm512_srav_epi64(
      _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(acc, 32), q.mult_odd), q.nudge_odd), q.shift_odd_hi);
  return _mm512_mask_blend_epi32(0xAAAA, even, odd);
}

struct Clamp {
  __m512i lo, hi;
  __m512i zp16;  // the output zero point in 32 int16 lanes
  bool lo_active, hi_active;
};

// Four requantized vectors of 16 lanes to int8 with one pack: int16 with saturation, + zero point (int16,
// saturating: a value saturated to int16 stays beyond int8 after adding |zp| <= 128, so the final int8 is
// the same as from the int32 sum), int8 with saturation, clamp, then vector i's 16 bytes to dst[i]
// (count[i] of them; dst[i] == nullptr: not stored).
inline void pack4(__m512i v0, __m512i v1, __m512i v2, __m512i v3, const Clamp& cl, __m128i part[4]) {
  const __m512i a = _mm512_adds_epi16(_mm512_packs_epi32(v0, v1), cl.zp16);
  const __m512i b = _mm512_adds_epi16(_mm512_packs_epi32(v2, v3), cl.zp16);
  // After the in-lane packs, dword d of 128-bit lane L holds lanes 4L..4L+3 of v_d.
  __m512i r = _mm512_permutexvar_epi32(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15),
                                       _mm512_packs_epi16(a, b));
  if (cl.lo_active) r = _mm512_max_epi8(r, cl.lo);
  if (cl.hi_active) r = _mm512_min_epi8(r, cl.hi);
  part[0] = _mm512_castsi512_si128(r);
  part[1] = _mm512_extracti32x4_epi32(r, 1);
  part[2] = _mm512_extracti32x4_epi32(r, 2);
  part[3] = _mm512_extracti32x4_epi32(r, 3);
}

inline void store4(__m512i v0, __m512i v1, __m512i v2, __m512i v3, const Clamp& cl, int8_t* const dst[4],
                   const int count[4]) {
  __m128i part[4];
  pack4(v0, v1, v2, v3, cl, part);
  for (int i = 0; i < 4; ++i) {
    if (!dst[i]) continue;
    if (count[i] == 16) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst[i]), part[i]);
    } else {
      _mm_mask_storeu_epi8(dst[i], static_cast<__mmask16>((1u << count[i]) - 1), part[i]);
    }
  }
}

// Requantizes one accumulator vector alone and stores `count` lanes (the GEMV's panels).
inline void store1(__m512i acc, const Rq16& q, const Clamp& cl, int8_t* c, int count) {
  int8_t* dst[4] = {c, nullptr, nullptr, nullptr};
  const int cnt[4] = {count, 0, 0, 0};
  const __m512i v = requant16(acc, q);
  store4(v, v, v, v, cl, dst, cnt);
}

template <int MR, int NV>
inline void init_acc(const int32_t* bias, __m512i (&acc)[MR][NV]) {
  for (int v = 0; v < NV; ++v)
    for (int r = 0; r < MR; ++r) acc[r][v] = _mm512_loadu_si512(bias + 16 * v);
}

// acc[r] += the `groups` groups of 4 k at a[r] (unsigned rows) times the panel's weights from w.
template <int MR, int NV>
inline void accumulate(const int8_t* const (&a)[MR], const int8_t* w, int groups, __m512i (&acc)[MR][NV]) {
  for (int g = 0; g < groups; ++g, w += kGroupBytes) {
    __m512i wv[NV];
    for (int v = 0; v < NV; ++v) wv[v] = _mm512_loadu_si512(w + 64 * v);
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) {
      const __m512i av = bcast4(a[r] + 4 * g);
      for (int v = 0; v < NV; ++v) acc[r][v] = dot(acc[r][v], av, wv[v]);
    }
  }
}

template <int MR, int NV>
inline void store_tile(const __m512i (&acc)[MR][NV], const PanelRq& rq, const Clamp& cl, int8_t* c, size_t ldc);

// One MR x (16 * NV) tile: `a` the prepared rows (pstride apart), w the panel's weights, kgroups groups.
template <int MR, int NV>
inline void tile(const int8_t* a, int pstride, const int8_t* w, int kgroups, const int32_t* bias,
                 const PanelRq& rq, const Clamp& cl, int8_t* c, size_t ldc) {
  __m512i acc[MR][NV];
  init_acc<MR, NV>(bias, acc);
  const int8_t* rows[MR];
  for (int r = 0; r < MR; ++r) rows[r] = a + r * pstride;
  accumulate<MR, NV>(rows, w, kgroups, acc);
  store_tile<MR, NV>(acc, rq, cl, c, ldc);
}

// Requantizes and stores an MR x (16 * NV) tile of accumulators (rq.cols real columns).
template <int MR, int NV>
inline void store_tile(const __m512i (&acc)[MR][NV], const PanelRq& rq, const Clamp& cl, int8_t* c, size_t ldc) {
  const int cols = rq.cols;
  if (NV == 1 && cols <= 8) {
    // At most 8 columns: rows in pairs, one vector per pair (columns 0..7 of row r, then of row r + 1),
    // so 8 rows take four requantizations and one pack instead of eight and two.
    const __mmask16 mask = static_cast<__mmask16>((1u << cols) - 1);
#pragma GCC unroll 2
    for (int r0 = 0; r0 < MR; r0 += 8) {
      __m512i v[4];
      for (int i = 0; i < 4; ++i) {
        const int ra = r0 + 2 * i < MR ? r0 + 2 * i : 0, rb = r0 + 2 * i + 1 < MR ? r0 + 2 * i + 1 : 0;
        v[i] = requant16(_mm512_shuffle_i64x2(acc[ra][0], acc[rb][0], 0x44), rq.q[1]);
      }
      __m128i part[4];
      pack4(v[0], v[1], v[2], v[3], cl, part);
      for (int i = 0; i < 8 && r0 + i < MR; ++i) {
        const __m128i h = i % 2 ? _mm_unpackhi_epi64(part[i / 2], part[i / 2]) : part[i / 2];
        if (cols == 8) {
          _mm_storel_epi64(reinterpret_cast<__m128i*>(c + (r0 + i) * ldc), h);
        } else {
          _mm_mask_storeu_epi8(c + (r0 + i) * ldc, mask, h);
        }
      }
    }
    return;
  }
  // Four vectors per pack: two rows of a full panel, four rows of a half one. Missing rows repeat row 0
  // and are not stored.
  constexpr int kRowsPerPack = 4 / NV;
  // Unrolled, so that every accumulator index is a constant and the accumulators stay in registers.
#pragma GCC unroll 8
  for (int r0 = 0; r0 < MR; r0 += kRowsPerPack) {
    __m512i v[4];
    int8_t* dst[4];
    int cnt[4];
    for (int i = 0; i < 4; ++i) {
      const int r = r0 + i / NV, vi = i % NV;
      v[i] = requant16(acc[r < MR ? r : 0][vi], rq.q[vi]);
      dst[i] = r < MR ? c + r * ldc + 16 * vi : nullptr;
      cnt[i] = vi == 0 ? (cols < 16 ? cols : 16) : cols - 16;
    }
    store4(v[0], v[1], v[2], v[3], cl, dst, cnt);
  }
}

template <int MR>
inline void tile_panel(const int8_t* a, int pstride, const int8_t* w, int kgroups, const int32_t* bias,
                       const PanelRq& rq, const Clamp& cl, int8_t* c, size_t ldc) {
  if (rq.cols > 16) {
    tile<MR, 2>(a, pstride, w, kgroups, bias, rq, cl, c, ldc);
  } else {
    tile<MR, 1>(a, pstride, w, kgroups, bias, rq, cl, c, ldc);
  }
}

// Rows fewer than kMr (only when m < kMr, or the output overlaps A): one tile of exactly that many rows.
template <int MR>
inline void tile_rows(int rows, const int8_t* a, int pstride, const int8_t* w, int kgroups, const int32_t* bias,
                      const PanelRq& rq, const Clamp& cl, int8_t* c, size_t ldc) {
  if constexpr (MR > 0) {
    if (rows == MR) {
      tile_panel<MR>(a, pstride, w, kgroups, bias, rq, cl, c, ldc);
    } else {
      tile_rows<MR - 1>(rows, a, pstride, w, kgroups, bias, rq, cl, c, ldc);
    }
  }
}

// P panels of one prepared row side by side: 2P independent accumulator chains share each broadcast.
template <int P>
void gemv_panels(const PackedGemm& p, const int8_t* a, int panel, int n_end, const Clamp& cl, int8_t* c) {
  const int kgroups = (p.k + 3) / 4;
  const size_t panel_bytes = static_cast<size_t>(kgroups) * kGroupBytes;
  const int8_t* w = p.weights.as<int8_t>() + panel * panel_bytes;
  __m512i acc[P][2];
  for (int q = 0; q < P; ++q) {
    const int32_t* bias = p.bias.data() + (panel + q) * kNr;
    acc[q][0] = _mm512_loadu_si512(bias);
    acc[q][1] = _mm512_loadu_si512(bias + 16);
  }
  for (int g = 0; g < kgroups; ++g, w += kGroupBytes) {
    const __m512i av = bcast4(a + 4 * g);
#pragma GCC unroll 8
    for (int q = 0; q < P; ++q) {
      acc[q][0] = dot(acc[q][0], av, _mm512_loadu_si512(w + q * panel_bytes));
      acc[q][1] = dot(acc[q][1], av, _mm512_loadu_si512(w + q * panel_bytes + 64));
    }
  }
  for (int q = 0; q < P; ++q) {
    const int col0 = (panel + q) * kNr;
    const int cols = n_end - col0 < kNr ? n_end - col0 : kNr;
    PanelRq rq;
    panel_rq(p.out, col0, cols, &rq);
    if (rq.general) {
      // requant_store reads 16 columns' parameters; the output stage holds only n, so a last panel's
      // parameters are copied into a full panel's worth first (the missing columns are never stored).
      alignas(64) int32_t mult[kNr] = {}, shift[kNr] = {};
      std::memcpy(mult, p.out.multiplier.data() + col0, sizeof(int32_t) * cols);
      std::memcpy(shift, p.out.shift.data() + col0, sizeof(int32_t) * cols);
      VnniOps::requant_store(acc[q][0], mult, shift, p.out, c + col0, cols < 16 ? cols : 16);
      if (cols > 16) VnniOps::requant_store(acc[q][1], mult + 16, shift + 16, p.out, c + col0 + 16, cols - 16);
    } else {
      store1(acc[q][0], rq.q[0], cl, c + col0, cols < 16 ? cols : 16);
      if (cols > 16) store1(acc[q][1], rq.q[1], cl, c + col0 + 16, cols - 16);
    }
  }
}

void run_gemv(const PackedGemm& p, const int8_t* a, int8_t* c, int n_begin, int n_end, const Clamp& cl) {
  gemm_run::for_panel_groups<kGemvPanels>(n_begin, n_end, kNr, [&](auto panels, int panel) {
    gemv_panels<decltype(panels)::value>(p, a, panel, n_end, cl, c);
  });
}

// The portable c4 body, kept out of line: inlined into run_vnni it cost the tiles 10% (register pressure).
__attribute__((noinline)) void run_portable(const PackedGemm& p, int m, const int8_t* a, size_t lda, int8_t* c,
                                            size_t ldc, int n_begin, int n_end) {
  gemm_c4::run<VnniOps, kVnniMr, kVnniNv>(p, m, a, lda, c, ldc, n_begin, n_end);
}

// Whether some column of [n_begin, n_end) needs requant8's general form (shift >= 0).
bool any_general(const OutputStage& os, int n_begin, int n_end) {
  for (int j = n_begin; j < n_end; ++j)
    if (os.shift[j] >= 0) return true;
  return false;
}

Clamp make_clamp(const OutputStage& os) {
  Clamp cl;
  const int32_t lo = os.act_min < -128 ? -128 : os.act_min, hi = os.act_max > 127 ? 127 : os.act_max;
  cl.lo = _mm512_set1_epi8(static_cast<char>(lo));
  cl.hi = _mm512_set1_epi8(static_cast<char>(hi));
  cl.zp16 = _mm512_set1_epi16(static_cast<int16_t>(os.output_zero_point));
  cl.lo_active = lo > -128;
  cl.hi_active = hi < 127;
  return cl;
}

// Panels whose weights fit kL2PanelBytes together (their output-stage constants are built once per group).
int panels_per_group(size_t panel_bytes) {
  const int group = static_cast<int>(gemm_c4::kL2PanelBytes / panel_bytes);
  return group < 1 ? 1 : group > kMaxGroupPanels ? kMaxGroupPanels : group;
}

// One kMr x (16 * NV) tile of an implicit GEMM: px[r] is output pixel r's window origin in the unsigned
// bordered image; tap t's in_c bytes are in_c / 4 whole groups of the packed K (taps in K order).
template <int NV>
inline void tile_implicit(const int8_t* const (&px)[kMr], const ImplicitConvA& a, const int8_t* w,
                          const int32_t* bias, const PanelRq& rq, const Clamp& cl, int8_t* c, size_t ldc) {
  __m512i acc[kMr][NV];
  init_acc<kMr, NV>(bias, acc);
  const int groups = a.in_c / 4;
  for (int t = 0; t < a.ntaps; ++t, w += static_cast<size_t>(groups) * kGroupBytes) {
    const ptrdiff_t off = a.taps[t];
    const int8_t* rows[kMr];
    for (int r = 0; r < kMr; ++r) rows[r] = px[r] + off;
    accumulate<kMr, NV>(rows, w, groups, acc);
  }
  store_tile<kMr, NV>(acc, rq, cl, c, ldc);
}

// GemmKernel::run_implicit: rows [m_begin, m_end), all columns. Blocks of kMr rows; the last one runs over
// the last kMr rows of the range (overlapped, same thread), or through a local buffer when the range is
// shorter than kMr.
void run_implicit_vnni(const PackedGemm& p, const ImplicitConvA& a, int m_begin, int m_end, int8_t* c,
                       size_t ldc) {
  if (m_begin >= m_end) return;
  const Clamp cl = make_clamp(p.out);
  const size_t panel_bytes = static_cast<size_t>((p.k + 3) / 4) * kGroupBytes;
  const int group = panels_per_group(panel_bytes);
  const int panels = (p.n + kNr - 1) / kNr;
  // Output pixels are followed with a cursor: divisions per row cost as much as a thin layer's dot products.
  struct Pos {
    int b, oy, ox;
  };
  const int per_image = a.out_h * a.out_w;
  auto locate = [&](int r) { return Pos{r / per_image, r % per_image / a.out_w, r % per_image % a.out_w}; };
  auto step = [&](Pos& q) {
    if (++q.ox == a.out_w) {
      q.ox = 0;
      if (++q.oy == a.out_h) {
        q.oy = 0;
        ++q.b;
      }
    }
  };
  auto origin = [&](const Pos& q) {
    return a.image + q.b * a.image_bytes + static_cast<size_t>(q.oy) * a.stride_h * a.row_bytes +
           static_cast<size_t>(q.ox) * a.stride_w * a.in_c;
  };
  PanelRq rq[kMaxGroupPanels];
  alignas(64) int8_t local[kMr * kNr];
  for (int pb = 0; pb < panels; pb += group) {
    const int pe = pb + group < panels ? pb + group : panels;
    for (int panel = pb; panel < pe; ++panel) {
      const int col0 = panel * kNr;
      panel_rq(p.out, col0, p.n - col0 < kNr ? p.n - col0 : kNr, &rq[panel - pb]);
    }
    Pos next = locate(m_begin);  // the pixel of row r0
    for (int r0 = m_begin; r0 < m_end; r0 += kMr) {
      const int rows = m_end - r0 < kMr ? m_end - r0 : kMr;
      const int first = rows == kMr || m_end - m_begin < kMr ? r0 : m_end - kMr;
      const bool buffered = rows < kMr && first == r0;
      const int8_t* px[kMr];
      Pos q = first == r0 ? next : locate(first);
      for (int r = 0; r < kMr; ++r) {
        px[r] = origin(q);
        if (first + r + 1 < m_end) step(q);  // rows past the end repeat the last one (never stored)
      }
      next = q;
      for (int panel = pb; panel < pe; ++panel) {
        const int col0 = panel * kNr;
        const PanelRq& q = rq[panel - pb];
        int8_t* dst = buffered ? local : c + static_cast<size_t>(first) * ldc + col0;
        const size_t ld = buffered ? kNr : ldc;
        const int8_t* w = p.weights.as<int8_t>() + panel * panel_bytes;
        if (q.cols > 16) {
          tile_implicit<2>(px, a, w, p.bias.data() + col0, q, cl, dst, ld);
        } else {
          tile_implicit<1>(px, a, w, p.bias.data() + col0, q, cl, dst, ld);
        }
        for (int r = 0; buffered && r < rows; ++r)
          std::memcpy(c + static_cast<size_t>(r0 + r) * ldc + col0, local + r * kNr, static_cast<size_t>(q.cols));
      }
    }
  }
}

void pack_vnni(const int8_t* w, const int32_t* bias, int n, int k, int32_t a_zero_point, PackedGemm* out) {
  gemm_pack::pack_c4(w, bias, n, k, a_zero_point, Isa::kAvx512Vnni, kNr, kVnniActOffset, out);
}

void run_vnni(const PackedGemm& p, int m, const int8_t* a, size_t lda, int8_t* c, size_t ldc, int n_begin,
              int n_end) {
  if (m <= 0 || n_begin >= n_end) return;
  if (p.k > gemm_c4::kPreparedKMax) {
    run_portable(p, m, a, lda, c, ldc, n_begin, n_end);
    return;
  }
  const Clamp cl = make_clamp(p.out);
  const int k = p.k;
  const int kgroups = (k + 3) / 4;
  const int pstride = gemm_c4::prepared_stride(k);
  // + 64: prepare_a writes whole 64-byte lines.
  alignas(64) int8_t prepared[kMr * (gemm_c4::kPreparedKMax + 64) + 64];
  // Dense rows whose k fills whole groups (1x1 convolutions over channels in multiples of 4) are prepared
  // as one span, at their own stride: a few 64-byte steps per block instead of one or more per row.
  const bool dense = lda == static_cast<size_t>(k) && k % 4 == 0;
  const int astride = dense ? k : pstride;
  const int blocks_per_prepare = static_cast<int>((sizeof(prepared) - 64) / (static_cast<size_t>(astride) * kMr));
  if (m == 1) {
    VnniOps::prepare_a(a, k, prepared);
    run_gemv(p, prepared, c, n_begin, n_end, cl);  // general panels are handled per panel there
    return;
  }
  // Checked once per call (the loops below stay free of it; handled per panel there, the tiles ran 10%
  // slower).
  if (any_general(p.out, n_begin, n_end)) {
    run_portable(p, m, a, lda, c, ldc, n_begin, n_end);
    return;
  }
  const size_t panel_bytes = static_cast<size_t>(kgroups) * kGroupBytes;
  const int group = panels_per_group(panel_bytes);
  PanelRq rq[kMaxGroupPanels];
  const int first_panel = n_begin / kNr;
  const int last_panel = (n_end + kNr - 1) / kNr;
  // Leftover rows as a full block over the last kMr rows, unless that would re-read rows already written.
  const bool overlap_tail =
      m > kMr && m % kMr != 0 && !gemm_run::overlaps(a, (m - 1) * lda + k, c, (m - 1) * ldc + n_end);
  const int8_t* wbase = p.weights.as<int8_t>();
  for (int pb = first_panel; pb < last_panel; pb += group) {
    const int pe = pb + group < last_panel ? pb + group : last_panel;
    for (int panel = pb; panel < pe; ++panel) {
      const int col0 = panel * kNr;
      const int col_end = n_end - col0 < kNr ? n_end : col0 + kNr;
      panel_rq(p.out, col0, col_end - col0, &rq[panel - pb]);
      // A panel with left shifts or shift 0 (rare: real layers scale down) runs the portable body whole.
    }
    // Rows are prepared (made unsigned) for as many 8-row blocks as fit the buffer at once: a block's
    // broadcasts read its rows right after prepare_a stored them, and with one panel per block (N <= 32)
    // each block otherwise waited on its own stores.
    auto blocks = [&](int r0, int nblocks, int rows) {
      const int nrows = (nblocks - 1) * kMr + rows;
      if (dense) {
        VnniOps::prepare_a(a + r0 * lda, nrows * k, prepared);
      } else {
        for (int r = 0; r < nrows; ++r) VnniOps::prepare_a(a + (r0 + r) * lda, k, prepared + r * pstride);
      }
      for (int blk = 0; blk < nblocks; ++blk) {
        const int8_t* ap = prepared + blk * kMr * astride;
        int8_t* crow = c + (r0 + blk * kMr) * ldc;
        for (int panel = pb; panel < pe; ++panel) {
          const int col0 = panel * kNr;
          const int8_t* w = wbase + panel * panel_bytes;
          if (rows == kMr) {
            tile_panel<kMr>(ap, astride, w, kgroups, p.bias.data() + col0, rq[panel - pb], cl, crow + col0, ldc);
          } else {
            tile_rows<kMr - 1>(rows, ap, astride, w, kgroups, p.bias.data() + col0, rq[panel - pb], cl,
                               crow + col0, ldc);
          }
        }
      }
    };
    const int full_blocks = m / kMr;
    for (int b0 = 0; b0 < full_blocks; b0 += blocks_per_prepare) {
      const int nb = full_blocks - b0 < blocks_per_prepare ? full_blocks - b0 : blocks_per_prepare;
      blocks(b0 * kMr, nb, kMr);
    }
    const int left = m - full_blocks * kMr;
    if (left > 0 && left <= kGemvTailRows) {
      // One or two leftover rows (maps of 3x3, 5x5, 7x7 pixels): each through the GEMV, whose chains run side
      // by side, rather than a whole block of 8 rows again.
      const int ne = pe * kNr < n_end ? pe * kNr : n_end;
      for (int r = m - left; r < m; ++r) {
        VnniOps::prepare_a(a + r * lda, k, prepared);
        run_gemv(p, prepared, c + r * ldc, pb * kNr, ne, cl);
      }
    } else if (left > 0) {
      // Leftover rows: a full block over the last kMr rows (overlapped) where allowed, else a smaller tile.
      if (overlap_tail) {
        blocks(m - kMr, 1, kMr);
      } else {
        blocks(full_blocks * kMr, 1, m - full_blocks * kMr);
      }
    }
  }
}

}  // namespace

extern const GemmKernel kGemmAvx512Vnni;
const GemmKernel kGemmAvx512Vnni{"gemm_s8_8x32c4_avx512vnni", Isa::kAvx512Vnni, kVnniMr, kNr, &pack_vnni,
                                 &run_vnni, /*overlapped_tail=*/true, &run_implicit_vnni, /*implicit_xor=*/0x80};

}  // namespace edgekd

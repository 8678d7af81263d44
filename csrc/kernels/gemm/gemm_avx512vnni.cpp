// AVX-512 VNNI int8 GEMM, 8x32c4 (vpdpbusd). vpdpbusd multiplies unsigned by signed bytes: activations get
// +128 (xor 0x80) once per block of rows, and the bias got -(a_zero_point + 128) * rowsum(W) at pack time.
//
// At the K of MobileNet pointwise layers (8..144) the output stage, not the dot products, is most of the
// work: 16 outputs cost 2..36 vpdpbusd but about a dozen output-stage instructions. So, as in the AVX2
// kernel, the output-stage constants are built once per panel group (not per tile), a tile's rows take
// requant8's short form (gemm_requant_avx2.h) on 16 lanes at once, and each row of 16 goes to int8 with one
// saturating vpmovsdb and a masked store. A last panel with at most 16 real columns (N = 8, 16, 24
// projections) runs one vector wide. Leftover rows run as one more full 8-row block over the last rows
// (overlapped, same bytes). M = 1 (batch-1 fully connected) runs four panels side by side, eight independent
// accumulator chains per broadcast, instead of one tile row that waits on vpdpbusd's latency.
// Rows deeper than kPreparedKMax and layers whose output stage needs requant8's general form (left
// shifts, shift 0, INT_MIN multipliers) keep the portable c4 body (gemm_c4_body.h).
#include <immintrin.h>

#include <cstring>

// GCC 12's _mm512_castsi512_si256 / _mm512_extracti64x4_epi64 trip a false -Wmaybe-uninitialized.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include "kernels/gemm/gemm_c4_body.h"
#include "kernels/gemm/gemm_c4_configs.h"
#include "kernels/gemm/gemm_common.h"
#include "kernels/gemm/gemm_requant_avx2.h"

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

// requant8<false>'s constants for 16 columns, two RequantCols8 side by side in 512-bit lanes.
struct Rq16 {
  __m512i mult, mult_odd, nudge_even, nudge_odd, shift_even, shift_odd_hi, offset;
};

// One 32-column panel's output stage. general: some real column needs requant8's general form.
struct PanelRq {
  Rq16 q[2];
  bool general;
  int cols;  // real columns (1..32)
};

inline __m512i join(__m256i lo, __m256i hi) { return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1); }

inline void panel_rq(const OutputStage& os, int col0, int cols, PanelRq* rq) {
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
  rq->general = false;
  rq->cols = cols;
  for (int v = 0; v < 2; ++v) {
    const RequantCols8 a = requant_cols8(mult + 16 * v, shift + 16 * v, os.output_zero_point);
    const RequantCols8 b = requant_cols8(mult + 16 * v + 8, shift + 16 * v + 8, os.output_zero_point);
    rq->general = rq->general || a.general() || b.general();
    Rq16& q = rq->q[v];
    q.mult = join(a.mult, b.mult);
    q.mult_odd = join(a.mult_odd, b.mult_odd);
    q.nudge_even = join(a.nudge_even, b.nudge_even);
    q.nudge_odd = join(a.nudge_odd, b.nudge_odd);
    q.shift_even = join(a.shift_even, b.shift_even);
    q.shift_odd_hi = join(a.shift_odd_hi, b.shift_odd_hi);
    q.offset = join(a.offset, b.offset);
  }
}

// requant8<false> on 16 lanes: the same instructions at twice the width (exact where general() is false).
inline __m512i requant16(__m512i acc, const Rq16& q) {
  const __m512i even =
      _mm512_srlv_epi64(_mm512_add_epi64(_mm512_mul_epi32(acc, q.mult), q.nudge_even), q.shift_even);
  const __m512i odd = _mm512_srlv_epi64(
      _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(acc, 32), q.mult_odd), q.nudge_odd), q.shift_odd_hi);
  return _mm512_add_epi32(_mm512_mask_blend_epi32(0xAAAA, even, odd), q.offset);
}

struct Clamp {
  __m128i lo, hi;
  bool active;
};

// Requantizes 16 lanes and stores the first `count` (1..16) as int8 (vpmovsdb saturates like the pack).
inline void store16(__m512i acc, const Rq16& q, const Clamp& cl, int8_t* c, int count) {
  __m128i v = _mm512_cvtsepi32_epi8(requant16(acc, q));
  if (cl.active) v = _mm_min_epi8(_mm_max_epi8(v, cl.lo), cl.hi);
  if (count == 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(c), v);
  } else {
    _mm_mask_storeu_epi8(c, static_cast<__mmask16>((1u << count) - 1), v);
  }
}

// One MR x (16 * NV) tile: `a` the prepared rows (pstride apart), w the panel's weights, kgroups groups.
template <int MR, int NV>
inline void tile(const int8_t* a, int pstride, const int8_t* w, int kgroups, const int32_t* bias,
                 const PanelRq& rq, const Clamp& cl, int8_t* c, size_t ldc) {
  __m512i acc[MR][NV];
  for (int v = 0; v < NV; ++v) {
    const __m512i b = _mm512_loadu_si512(bias + 16 * v);
    for (int r = 0; r < MR; ++r) acc[r][v] = b;
  }
  for (int g = 0; g < kgroups; ++g, w += kGroupBytes) {
    __m512i wv[NV];
    for (int v = 0; v < NV; ++v) wv[v] = _mm512_loadu_si512(w + 64 * v);
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) {
      const __m512i av = bcast4(a + r * pstride + 4 * g);
      for (int v = 0; v < NV; ++v) acc[r][v] = dot(acc[r][v], av, wv[v]);
    }
  }
  const int cols = rq.cols;
  for (int r = 0; r < MR; ++r) {
    store16(acc[r][0], rq.q[0], cl, c + r * ldc, cols < 16 ? cols : 16);
    if (NV == 2) store16(acc[r][NV - 1], rq.q[1], cl, c + r * ldc + 16, cols - 16);
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
inline void tile_rows(int rows, const int8_t* a, int pstride, const int8_t* w, int kgroups, const int32_t* bias,
                      const PanelRq& rq, const Clamp& cl, int8_t* c, size_t ldc) {
  switch (rows) {
    case 1: tile_panel<1>(a, pstride, w, kgroups, bias, rq, cl, c, ldc); break;
    case 2: tile_panel<2>(a, pstride, w, kgroups, bias, rq, cl, c, ldc); break;
    case 3: tile_panel<3>(a, pstride, w, kgroups, bias, rq, cl, c, ldc); break;
    case 4: tile_panel<4>(a, pstride, w, kgroups, bias, rq, cl, c, ldc); break;
    case 5: tile_panel<5>(a, pstride, w, kgroups, bias, rq, cl, c, ldc); break;
    case 6: tile_panel<6>(a, pstride, w, kgroups, bias, rq, cl, c, ldc); break;
    case 7: tile_panel<7>(a, pstride, w, kgroups, bias, rq, cl, c, ldc); break;
    default: tile_panel<kMr>(a, pstride, w, kgroups, bias, rq, cl, c, ldc); break;
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
      VnniOps::requant_store(acc[q][0], p.out.multiplier.data() + col0, p.out.shift.data() + col0, p.out,
                             c + col0, cols < 16 ? cols : 16);
      if (cols > 16)
        VnniOps::requant_store(acc[q][1], p.out.multiplier.data() + col0 + 16, p.out.shift.data() + col0 + 16,
                               p.out, c + col0 + 16, cols - 16);
    } else {
      store16(acc[q][0], rq.q[0], cl, c + col0, cols < 16 ? cols : 16);
      if (cols > 16) store16(acc[q][1], rq.q[1], cl, c + col0 + 16, cols - 16);
    }
  }
}

void run_gemv(const PackedGemm& p, const int8_t* a, int8_t* c, int n_begin, int n_end, const Clamp& cl) {
  int panel = n_begin / kNr;
  const int last_panel = (n_end + kNr - 1) / kNr;
  for (; panel + kGemvPanels <= last_panel; panel += kGemvPanels) gemv_panels<kGemvPanels>(p, a, panel, n_end, cl, c);
  switch (last_panel - panel) {
    case 3: gemv_panels<3>(p, a, panel, n_end, cl, c); break;
    case 2: gemv_panels<2>(p, a, panel, n_end, cl, c); break;
    case 1: gemv_panels<1>(p, a, panel, n_end, cl, c); break;
    default: break;
  }
}

inline bool overlaps(const int8_t* a, size_t a_len, const int8_t* c, size_t c_len) {
  const auto a0 = reinterpret_cast<uintptr_t>(a), c0 = reinterpret_cast<uintptr_t>(c);
  return a0 < c0 + c_len && c0 < a0 + a_len;
}

// Whether some real column of the panels [n_begin, n_end) needs requant8's general form.
bool any_general(const OutputStage& os, int n_begin, int n_end) {
  for (int j = n_begin; j < n_end; ++j)
    if (os.shift[j] >= 0 || os.multiplier[j] == INT32_MIN) return true;
  return false;
}

void pack_vnni(const int8_t* w, const int32_t* bias, int n, int k, int32_t a_zero_point, PackedGemm* out) {
  gemm_pack::pack_c4(w, bias, n, k, a_zero_point, Isa::kAvx512Vnni, kNr, kVnniActOffset, out);
}

void run_vnni(const PackedGemm& p, int m, const int8_t* a, size_t lda, int8_t* c, size_t ldc, int n_begin,
              int n_end) {
  if (m <= 0 || n_begin >= n_end) return;
  if (p.k > gemm_c4::kPreparedKMax || any_general(p.out, n_begin, n_end)) {
    gemm_c4::run<VnniOps, kVnniMr, kVnniNv>(p, m, a, lda, c, ldc, n_begin, n_end);
    return;
  }
  const RequantClamp rc = requant_clamp(p.out.act_min, p.out.act_max);
  const Clamp cl{rc.lo, rc.hi, rc.active};
  const int k = p.k;
  const int kgroups = (k + 3) / 4;
  const int pstride = gemm_c4::prepared_stride(k);
  alignas(64) int8_t prepared[kMr * (gemm_c4::kPreparedKMax + 64)];
  if (m == 1) {
    VnniOps::prepare_a(a, k, prepared);
    run_gemv(p, prepared, c, n_begin, n_end, cl);
    return;
  }
  const size_t panel_bytes = static_cast<size_t>(kgroups) * kGroupBytes;
  int group = static_cast<int>(gemm_c4::kL2PanelBytes / panel_bytes);
  if (group < 1) group = 1;
  if (group > kMaxGroupPanels) group = kMaxGroupPanels;
  PanelRq rq[kMaxGroupPanels];
  const int first_panel = n_begin / kNr;
  const int last_panel = (n_end + kNr - 1) / kNr;
  // Leftover rows as a full block over the last kMr rows, unless that would re-read rows already written.
  const bool overlap_tail =
      m > kMr && m % kMr != 0 && !overlaps(a, (m - 1) * lda + k, c, (m - 1) * ldc + n_end);
  const int8_t* wbase = p.weights.as<int8_t>();
  for (int pb = first_panel; pb < last_panel; pb += group) {
    const int pe = pb + group < last_panel ? pb + group : last_panel;
    for (int panel = pb; panel < pe; ++panel) {
      const int col0 = panel * kNr;
      panel_rq(p.out, col0, n_end - col0 < kNr ? n_end - col0 : kNr, &rq[panel - pb]);
    }
    for (int m0 = 0; m0 < m; m0 += kMr) {
      int r0 = m0, rows = m - m0 < kMr ? m - m0 : kMr;
      if (rows < kMr && overlap_tail) {
        r0 = m - kMr;
        rows = kMr;
      }
      for (int r = 0; r < rows; ++r) VnniOps::prepare_a(a + (r0 + r) * lda, k, prepared + r * pstride);
      int8_t* crow = c + r0 * ldc;
      for (int panel = pb; panel < pe; ++panel) {
        const int col0 = panel * kNr;
        const int8_t* w = wbase + panel * panel_bytes;
        if (rows == kMr) {
          tile_panel<kMr>(prepared, pstride, w, kgroups, p.bias.data() + col0, rq[panel - pb], cl, crow + col0, ldc);
        } else {
          tile_rows(rows, prepared, pstride, w, kgroups, p.bias.data() + col0, rq[panel - pb], cl, crow + col0, ldc);
        }
      }
    }
  }
}

}  // namespace

extern const GemmKernel kGemmAvx512Vnni;
const GemmKernel kGemmAvx512Vnni{"gemm_s8_8x32c4_avx512vnni", Isa::kAvx512Vnni, kVnniMr, kNr, &pack_vnni,
                                 &run_vnni, /*overlapped_tail=*/true};

}  // namespace edgekd

// Conv2D / fully connected / threaded GEMM over the GEMM micro-kernels. See conv.h for the contract.
#include "kernels/conv/conv.h"

#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <string>

#include "kernels/bordered_image.h"
#include "kernels/conv/conv_internal.h"
#include "kernels/parallel.h"

namespace edgekd {
namespace {

using namespace conv_detail;

// im2col rows are built in blocks of about this many bytes per thread (stays in L2 next to the weights).
constexpr size_t kIm2colBlockBytes = 64 * 1024;
// Padded inputs up to this size are copied into a bordered image first (PackedConv::padded): on small maps
// the edge pixels, whose kernel rows im2col assembles from fills and partial copies, are a large share
// (all of them on a 4x4 map with a 3x3 kernel), and the copy is cheap next to them.
constexpr size_t kMaxPaddedImageBytes = 16 * 1024;

[[noreturn]] void bad(const std::string& what, const std::string& msg) {
  throw std::invalid_argument(what + ": " + msg);
}

void validate_stage(const char* what, const OutputStage& out, int n) {
  if (static_cast<int>(out.multiplier.size()) != n || static_cast<int>(out.shift.size()) != n)
    bad(what, "output stage has " + std::to_string(out.multiplier.size()) + " multipliers and " +
                  std::to_string(out.shift.size()) + " shifts, expected " + std::to_string(n) +
                  " (one per output channel)");
  for (int j = 0; j < n; ++j) {
    if (out.shift[j] < -31 || out.shift[j] > 31)
      bad(what, "shift of output channel " + std::to_string(j) + " is " + std::to_string(out.shift[j]) +
                    ", outside [-31, 31]");
  }
  if (out.output_zero_point < -128 || out.output_zero_point > 127)
    bad(what, "output zero point " + std::to_string(out.output_zero_point) + " is outside [-128, 127]");
  if (out.act_min < -128 || out.act_max > 127 || out.act_min > out.act_max)
    bad(what, "activation range [" + std::to_string(out.act_min) + ", " + std::to_string(out.act_max) +
                  "] is not inside [-128, 127]");
}

// Rows per im2col block: a multiple of the kernel's mr, at least mr.
int im2col_block_rows(const PackedConv& conv) {
  const int mr = conv.kernel->mr;
  const size_t k = static_cast<size_t>(conv.params.k());
  int rows = static_cast<int>(kIm2colBlockBytes / (k ? k : 1)) / mr * mr;
  return rows < mr ? mr : rows;
}

size_t im2col_slot_bytes(const PackedConv& conv) {
  const size_t bytes = static_cast<size_t>(im2col_block_rows(conv)) * conv.params.k();
  return (bytes + 63) / 64 * 64;
}

// im2col moves short spans (one kernel row of a few-channel input is a few bytes: 3 for a 3x3 kernel over
// one channel). They are copied with fixed-size, possibly overlapping moves that the compiler inlines
// (no libc call per span), chosen once per span length outside the pixel loops.
template <size_t N>
inline void move(int8_t* dst, const int8_t* src) {
  std::memcpy(dst, src, N);
}

// Exactly n bytes, for n in [N, 2N]: a head and a tail move of N bytes that overlap in the middle.
template <size_t N>
inline void move_2x(int8_t* dst, const int8_t* src, size_t n) {
  move<N>(dst, src);
  move<N>(dst + n - N, src + n - N);
}

enum class SpanKind { kOne, kUpTo4, kUpTo8, kUpTo16, kUpTo64, kLong };

SpanKind span_kind(size_t n) {
  if (n == 1) return SpanKind::kOne;
  if (n <= 4) return SpanKind::kUpTo4;
  if (n <= 8) return SpanKind::kUpTo8;
  if (n <= 16) return SpanKind::kUpTo16;
  if (n <= 64) return SpanKind::kUpTo64;
  return SpanKind::kLong;
}

template <SpanKind Kind>
inline void copy_span(int8_t* dst, const int8_t* src, size_t n) {
  if constexpr (Kind == SpanKind::kOne) {
    *dst = *src;
  } else if constexpr (Kind == SpanKind::kUpTo4) {
    move_2x<2>(dst, src, n);
  } else if constexpr (Kind == SpanKind::kUpTo8) {
    move_2x<4>(dst, src, n);
  } else if constexpr (Kind == SpanKind::kUpTo16) {
    move_2x<8>(dst, src, n);
  } else if constexpr (Kind == SpanKind::kUpTo64) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) move<16>(dst + i, src + i);
    if (i < n) move<16>(dst + n - 16, src + n - 16);
  } else {
    std::memcpy(dst, src, n);
  }
}

// Any length, exact (for the padding and the border pixels).
inline void copy_any(int8_t* dst, const int8_t* src, size_t n) {
  switch (span_kind(n)) {
    case SpanKind::kOne: copy_span<SpanKind::kOne>(dst, src, n); break;
    case SpanKind::kUpTo4: copy_span<SpanKind::kUpTo4>(dst, src, n); break;
    case SpanKind::kUpTo8: copy_span<SpanKind::kUpTo8>(dst, src, n); break;
    case SpanKind::kUpTo16: copy_span<SpanKind::kUpTo16>(dst, src, n); break;
    case SpanKind::kUpTo64: copy_span<SpanKind::kUpTo64>(dst, src, n); break;
    default: std::memcpy(dst, src, n); break;
  }
}

// The im2col geometry in locals: the int8 stores of im2col may alias anything, so fields read through
// a ConvParams reference would be reloaded after every store.
struct Im2col {
  int in_h, in_w, kh, kw, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left, out_h, out_w;
  size_t c, k, span, in_row;
  int ox_lo, ox_hi;  // output columns whose window lies inside the input horizontally (dil_w == 1)
  const int8_t* pad;  // kPadBytes bytes of the input zero point
};

constexpr size_t kPadBytes = 64;

inline void fill_any(const Im2col& g, int8_t* dst, size_t n) {
  if (n <= kPadBytes) {
    copy_any(dst, g.pad, n);
  } else {
    std::memset(dst, g.pad[0], n);
  }
}

// One kernel row (taps kx = 0..kw-1 at input row `row`) of output column ox, with its horizontal padding.
inline void kernel_row_any(const Im2col& g, const int8_t* row, int ox, int8_t* out) {
  const int ix0 = ox * g.stride_w - g.pad_left;
  if (g.dil_w == 1) {
    int left = ix0 < 0 ? -ix0 : 0;
    if (left > g.kw) left = g.kw;
    int right = ix0 + g.kw - g.in_w;
    if (right < 0) right = 0;
    if (right > g.kw - left) right = g.kw - left;
    const size_t lb = static_cast<size_t>(left) * g.c, rb = static_cast<size_t>(right) * g.c;
    if (lb) fill_any(g, out, lb);
    if (g.span > lb + rb)
      copy_any(out + lb, row + static_cast<size_t>(ix0 + left) * g.c, g.span - lb - rb);
    if (rb) fill_any(g, out + g.span - rb, rb);
    return;
  }
  for (int kx = 0; kx < g.kw; ++kx) {
    const int ix = ix0 + kx * g.dil_w;
    if (ix < 0 || ix >= g.in_w) {
      fill_any(g, out + kx * g.c, g.c);
    } else {
      copy_any(out + kx * g.c, row + static_cast<size_t>(ix) * g.c, g.c);
    }
  }
}

// Output columns [ox_b, ox_e) of one output row, kernel row at input row `row` (inside the input),
// written at out (column ox_b) with a stride of K bytes per column.
template <SpanKind Kind>
void kernel_row_segment(const Im2col& g, const int8_t* row, int ox_b, int ox_e, int8_t* out) {
  int lo = g.ox_lo > ox_b ? g.ox_lo : ox_b;
  int hi = g.ox_hi < ox_e ? g.ox_hi : ox_e;
  if (hi < lo) hi = lo = ox_e;
  int ox = ox_b;
  for (; ox < lo; ++ox, out += g.k) kernel_row_any(g, row, ox, out);
  // Interior: the whole kernel row is one span of the input.
  const size_t step = static_cast<size_t>(g.stride_w) * g.c;
  const int8_t* src = row + (static_cast<ptrdiff_t>(ox) * g.stride_w - g.pad_left) * static_cast<ptrdiff_t>(g.c);
  for (; ox < hi; ++ox, out += g.k, src += step) copy_span<Kind>(out, src, g.span);
  for (; ox < ox_e; ++ox, out += g.k) kernel_row_any(g, row, ox, out);
}

using SegmentFn = void (*)(const Im2col&, const int8_t*, int, int, int8_t*);

// Builds im2col rows [row_begin, row_begin + rows) of the conv as a [rows][K] matrix, K in (ky, kx, ic)
// order (the weight layout), padding taps filled with the input zero point. Works one output row segment
// and one kernel row at a time: with dilation_w == 1 the kw taps of a kernel row are contiguous in the
// input, so an interior pixel's kernel row is a single short copy.
void im2col(const ConvParams& p, const int8_t* input, int row_begin, int rows, int8_t* dst) {
  int8_t pad[kPadBytes];
  std::memset(pad, static_cast<int8_t>(p.input_zero_point), sizeof(pad));
  Im2col g{p.in_h, p.in_w, p.kh, p.kw, p.stride_h, p.stride_w, p.dilation_h, p.dilation_w,
           p.pad_top, p.pad_left, p.out_h, p.out_w, static_cast<size_t>(p.in_c),
           static_cast<size_t>(p.k()), static_cast<size_t>(p.kw) * p.in_c,
           static_cast<size_t>(p.in_w) * p.in_c, 0, 0, pad};
  if (g.dil_w == 1) {
    // ix0 = ox*stride - pad_left >= 0 and ix0 + kw <= in_w.
    g.ox_lo = (g.pad_left + g.stride_w - 1) / g.stride_w;
    const int last = g.in_w - g.kw + g.pad_left;
    g.ox_hi = last < 0 ? 0 : last / g.stride_w + 1;
    if (g.ox_hi > g.out_w) g.ox_hi = g.out_w;
  }
  SegmentFn segment = &kernel_row_segment<SpanKind::kLong>;
  if (g.dil_w == 1) {
    switch (span_kind(g.span)) {
      case SpanKind::kOne: segment = &kernel_row_segment<SpanKind::kOne>; break;
      case SpanKind::kUpTo4: segment = &kernel_row_segment<SpanKind::kUpTo4>; break;
      case SpanKind::kUpTo8: segment = &kernel_row_segment<SpanKind::kUpTo8>; break;
      case SpanKind::kUpTo16: segment = &kernel_row_segment<SpanKind::kUpTo16>; break;
      case SpanKind::kUpTo64: segment = &kernel_row_segment<SpanKind::kUpTo64>; break;
      default: break;
    }
  } else {
    g.ox_lo = g.ox_hi = g.out_w;  // every pixel takes the tap-by-tap path
  }
  int ox = row_begin % g.out_w;
  int oy = (row_begin / g.out_w) % g.out_h;
  int b = row_begin / (g.out_w * g.out_h);
  for (int r = 0; r < rows;) {
    const int count = g.out_w - ox < rows - r ? g.out_w - ox : rows - r;
    const int8_t* image = input + static_cast<size_t>(b) * g.in_h * g.in_row;
    int8_t* seg = dst + static_cast<size_t>(r) * g.k;
    for (int ky = 0; ky < g.kh; ++ky) {
      const int iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
      int8_t* out = seg + static_cast<size_t>(ky) * g.span;
      if (iy < 0 || iy >= g.in_h) {
        for (int j = 0; j < count; ++j, out += g.k) fill_any(g, out, g.span);
      } else {
        segment(g, image + static_cast<size_t>(iy) * g.in_row, ox, ox + count, out);
      }
    }
    r += count;
    ox += count;
    if (ox == g.out_w) {
      ox = 0;
      if (++oy == g.out_h) {
        oy = 0;
        ++b;
      }
    }
  }
}

// True when threads should take output channels instead of rows: M has too few row tiles to keep every
// thread busy, or the row tiles divide so unevenly that one thread would get at least 1.5x its fair share
// of rows (9 rows on 2 threads: 8 and 1) while there are panels enough for every thread to get two.
// (A broader rule, channels whenever the tiles divide unevenly at all, e.g. 9 tiles on 2 threads, measured
// 12-18% slower on whole MobileNets at 2 threads: the next op then reads rows the other core wrote.)
bool split_columns(const GemmKernel& kernel, int m, int n, int threads) {
  if (threads < 2) return false;
  const int row_tiles = (m + kernel.mr - 1) / kernel.mr;
  const int panels = (n + kernel.nr - 1) / kernel.nr;
  if (row_tiles < threads) return panels > 1;
  const int most_rows = std::min(m, (row_tiles + threads - 1) / threads * kernel.mr);
  return 2 * most_rows * threads >= 3 * m && panels >= 2 * threads;
}

}  // namespace

PackedGemm pack_gemm(const GemmKernel& kernel, const int8_t* w, const int32_t* bias, int n, int k,
                     int32_t a_zero_point, const OutputStage& out) {
  if (n <= 0 || k <= 0)
    bad(kernel.name, "GEMM needs n > 0 and k > 0, got n=" + std::to_string(n) + " k=" + std::to_string(k));
  if (!w) bad(kernel.name, "weights are missing");
  if (a_zero_point < -128 || a_zero_point > 127)
    bad(kernel.name, "input zero point " + std::to_string(a_zero_point) + " is outside [-128, 127]");
  validate_stage(kernel.name, out, n);
  PackedGemm packed;
  kernel.pack(w, bias, n, k, a_zero_point, &packed);
  packed.out = out;
  return packed;
}

void run_gemm(const GemmKernel& kernel, const PackedGemm& packed, int m, const int8_t* a, size_t lda,
              int8_t* c, size_t ldc, ParallelFor* pool) {
  if (m <= 0) return;
  const int threads = threads_of(pool);
  const int n = packed.n;
  if (split_columns(kernel, m, n, threads)) {
    const int panels = (n + kernel.nr - 1) / kernel.nr;
    const int tasks = panels < threads ? panels : threads;
    for_each_task(pool, tasks, [&](int t) {
      int pb, pe;
      share(panels, tasks, t, &pb, &pe);
      const int ne = pe * kernel.nr < n ? pe * kernel.nr : n;
      if (pb < pe) kernel.run(packed, m, a, lda, c, ldc, pb * kernel.nr, ne);
    });
    return;
  }
  const int row_tiles = (m + kernel.mr - 1) / kernel.mr;
  const int tasks = row_tiles < threads ? row_tiles : threads;
  for_each_task(pool, tasks, [&](int t) {
    int mb, me;
    share_rows(m, kernel.mr, tasks, t, &mb, &me);
    if (mb < me) kernel.run(packed, me - mb, a + mb * lda, lda, c + mb * ldc, ldc, 0, n);
  });
}

PackedConv pack_conv(const KernelTable& table, const ConvParams& p, const int8_t* weights, const int32_t* bias,
                     const OutputStage& out) {
  const char* what = "CONV_2D";
  auto positive = [&](int v, const char* field) {
    if (v <= 0) bad(what, std::string(field) + " must be > 0, got " + std::to_string(v));
  };
  positive(p.batch, "batch");
  positive(p.in_h, "in_h");
  positive(p.in_w, "in_w");
  positive(p.in_c, "in_c");
  positive(p.out_c, "out_c");
  positive(p.kh, "kh");
  positive(p.kw, "kw");
  positive(p.stride_h, "stride_h");
  positive(p.stride_w, "stride_w");
  positive(p.dilation_h, "dilation_h");
  positive(p.dilation_w, "dilation_w");
  positive(p.out_h, "out_h");
  positive(p.out_w, "out_w");
  if (p.pad_top < 0 || p.pad_left < 0) bad(what, "padding must be >= 0");
  // Every output pixel's window must start inside the padded input (TFLite SAME/VALID always satisfy it).
  if ((p.out_h - 1) * p.stride_h - p.pad_top >= p.in_h || (p.out_w - 1) * p.stride_w - p.pad_left >= p.in_w)
    bad(what, "out_h/out_w " + std::to_string(p.out_h) + "x" + std::to_string(p.out_w) +
                  " do not fit the input with these strides and paddings");
  if (static_cast<long long>(p.batch) * p.out_h * p.out_w > 0x7fffffffLL ||
      static_cast<long long>(p.kh) * p.kw * p.in_c > 0x7fffffffLL)
    bad(what, "tensor too large");
  PackedConv conv;
  conv.params = p;
  conv.kernel = table.gemm;
  conv.direct = p.kh == 1 && p.kw == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_top == 0 &&
                p.pad_left == 0 && p.out_h == p.in_h && p.out_w == p.in_w;
  const int channels = conv.direct ? 0 : implicit_channels(*table.gemm, p, out);
  if (channels) {
    pack_implicit(*table.gemm, p, channels, weights, bias, out, &conv);
    return conv;
  }
  conv.gemm = pack_gemm(*table.gemm, weights, bias, p.out_c, p.k(), p.input_zero_point, out);
  ConvParams bordered;
  int64_t bytes = 0;
  if (!conv.direct && bordered_geometry(p, &bordered, &bytes) && bytes <= int64_t{kMaxPaddedImageBytes}) {
    conv.padded = bordered;
    conv.padded_bytes = static_cast<size_t>(bytes);
  }
  return conv;
}

namespace conv_detail {

void pad_image(const PackedConv& conv, const int8_t* input, int8_t* dst) {
  const ConvParams& p = conv.params;
  copy_bordered_rows(input, p.in_h, p.in_w, static_cast<size_t>(p.in_c), p.pad_top, p.pad_left, conv.padded.in_h,
                     conv.padded.in_w, static_cast<int8_t>(p.input_zero_point), dst, 0, p.batch * conv.padded.in_h);
}

}  // namespace conv_detail


PackedConv pack_conv(Isa isa, const ConvParams& params, const int8_t* weights, const int32_t* bias,
                     const OutputStage& out) {
  return pack_conv(kernel_table(isa), params, weights, bias, out);
}

// Scratch: the bordered image (when used), then one im2col slot per thread.
size_t padded_image_slot(const PackedConv& conv) { return (conv.padded_bytes + 63) / 64 * 64; }

size_t conv_scratch_bytes(const PackedConv& conv, int num_threads) {
  if (conv.direct) return 0;
  if (conv.implicit) return padded_image_slot(conv);
  return padded_image_slot(conv) + static_cast<size_t>(num_threads < 1 ? 1 : num_threads) * im2col_slot_bytes(conv);
}

void run_conv(const PackedConv& conv, const int8_t* input, int8_t* output, ParallelFor* pool, void* scratch,
              size_t scratch_bytes) {
  const ConvParams& p = conv.params;
  const GemmKernel& kernel = *conv.kernel;
  const int m = p.m();
  const int n = p.out_c;
  if (conv.direct) {
    run_gemm(kernel, conv.gemm, m, input, static_cast<size_t>(p.in_c), output, static_cast<size_t>(n), pool);
    return;
  }
  const int threads = threads_of(pool);
  const size_t need = conv_scratch_bytes(conv, threads);
  AlignedBuffer own;
  if (!scratch) {
    own.resize(need);
    scratch = own.data();
  } else if (scratch_bytes < need) {
    bad("CONV_2D", "scratch of " + std::to_string(scratch_bytes) + " bytes is smaller than the " +
                       std::to_string(need) + " bytes needed");
  }
  int8_t* scratch8 = static_cast<int8_t*>(scratch);
  if (conv.implicit) {
    run_implicit(conv, input, output, pool, scratch8);
    return;
  }
  const ConvParams* geometry = &p;
  if (conv.padded_bytes) {
    pad_image(conv, input, scratch8);
    input = scratch8;
    geometry = &conv.padded;
    scratch8 += padded_image_slot(conv);
  }
  const ConvParams& g = *geometry;
  const size_t k = static_cast<size_t>(p.k());
  if (split_columns(kernel, m, n, threads) && static_cast<size_t>(m) * k <= need - padded_image_slot(conv)) {
    // Few output pixels (e.g. a 1x1 map): build all M im2col rows once (when they fit in the scratch), then
    // threads take output channels.
    im2col(g, input, 0, m, scratch8);
    run_gemm(kernel, conv.gemm, m, scratch8, k, output, static_cast<size_t>(n), pool);
    return;
  }
  const int block = im2col_block_rows(conv);
  const size_t slot = im2col_slot_bytes(conv);
  const int row_tiles = (m + kernel.mr - 1) / kernel.mr;
  const int tasks = row_tiles < threads ? row_tiles : threads;
  for_each_task(pool, tasks, [&](int t) {
    int mb, me;
    share_rows(m, kernel.mr, tasks, t, &mb, &me);
    int8_t* buf = scratch8 + t * slot;
    for (int r0 = mb; r0 < me; r0 += block) {
      const int rows = me - r0 < block ? me - r0 : block;
      im2col(g, input, r0, rows, buf);
      kernel.run(conv.gemm, rows, buf, k, output + static_cast<size_t>(r0) * n, static_cast<size_t>(n), 0, n);
    }
  });
}

void run_conv_rows(const PackedConv& conv, const int8_t* input, int8_t* output, int row_begin, int row_end) {
  const ConvParams& p = conv.params;
  if (!conv.direct || p.batch != 1) bad("CONV_2D", "runs by rows only on the direct (1x1) path at batch 1");
  if (row_begin < 0 || row_end > p.out_h || row_begin >= row_end)
    bad("CONV_2D", "output rows [" + std::to_string(row_begin) + ", " + std::to_string(row_end) +
                       ") are not inside [0, " + std::to_string(p.out_h) + ")");
  const size_t lda = static_cast<size_t>(p.in_c), ldc = static_cast<size_t>(p.out_c);
  const size_t first = static_cast<size_t>(row_begin) * p.out_w;
  conv.kernel->run(conv.gemm, (row_end - row_begin) * p.out_w, input + first * lda, lda, output + first * ldc, ldc, 0,
                   p.out_c);
}

PackedFullyConnected pack_fully_connected(const KernelTable& table, int in_features, int out_features,
                                          const int8_t* weights, const int32_t* bias,
                                          int32_t input_zero_point, const OutputStage& out) {
  if (in_features <= 0 || out_features <= 0)
    bad("FULLY_CONNECTED", "in_features and out_features must be > 0, got " + std::to_string(in_features) +
                               " and " + std::to_string(out_features));
  PackedFullyConnected fc;
  fc.in_features = in_features;
  fc.out_features = out_features;
  fc.kernel = table.gemm;
  fc.gemm = pack_gemm(*table.gemm, weights, bias, out_features, in_features, input_zero_point, out);
  return fc;
}

PackedFullyConnected pack_fully_connected(Isa isa, int in_features, int out_features, const int8_t* weights,
                                          const int32_t* bias, int32_t input_zero_point,
                                          const OutputStage& out) {
  return pack_fully_connected(kernel_table(isa), in_features, out_features, weights, bias, input_zero_point,
                              out);
}

void run_fully_connected(const PackedFullyConnected& fc, int batch, const int8_t* input, int8_t* output,
                         ParallelFor* pool) {
  run_gemm(*fc.kernel, fc.gemm, batch, input, static_cast<size_t>(fc.in_features), output,
           static_cast<size_t>(fc.out_features), pool);
}

}  // namespace edgekd

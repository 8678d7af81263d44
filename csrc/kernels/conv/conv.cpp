// Conv2D / fully connected / threaded GEMM over the GEMM micro-kernels. See conv.h for the contract.
#include "kernels/conv/conv.h"

#include <cstring>
#include <stdexcept>
#include <string>

#include "runtime/thread_pool.h"

namespace edgekd {
namespace {

// im2col rows are built in blocks of about this many bytes per thread (stays in L2 next to the weights).
constexpr size_t kIm2colBlockBytes = 64 * 1024;

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

// Builds im2col rows [row_begin, row_begin + rows) of the conv as a [rows][K] matrix, K in (ky, kx, ic)
// order (the weight layout), padding taps filled with the input zero point.
void im2col(const ConvParams& p, const int8_t* input, int row_begin, int rows, int8_t* dst) {
  const int k = p.k();
  const size_t row_bytes = static_cast<size_t>(p.in_c);
  const int8_t pad = static_cast<int8_t>(p.input_zero_point);
  for (int r = 0; r < rows; ++r) {
    const int mi = row_begin + r;
    const int ox = mi % p.out_w;
    const int oy = (mi / p.out_w) % p.out_h;
    const int b = mi / (p.out_w * p.out_h);
    int8_t* out = dst + static_cast<size_t>(r) * k;
    for (int ky = 0; ky < p.kh; ++ky) {
      const int iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
      for (int kx = 0; kx < p.kw; ++kx) {
        const int ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
        if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w) {
          std::memset(out, pad, row_bytes);
        } else {
          std::memcpy(out, input + ((static_cast<size_t>(b) * p.in_h + iy) * p.in_w + ix) * p.in_c, row_bytes);
        }
        out += row_bytes;
      }
    }
  }
}

int threads_of(ThreadPool* pool) { return pool ? pool->num_threads() : 1; }

// Runs fn(t) for t in [0, tasks) on the pool (task t is the t-th contiguous share of the work).
template <class Fn>
void for_each_task(ThreadPool* pool, int tasks, const Fn& fn) {
  if (!pool || tasks <= 1) {
    for (int t = 0; t < tasks; ++t) fn(t);
    return;
  }
  pool->parallel_for(tasks, [&](int b, int e) {
    for (int t = b; t < e; ++t) fn(t);
  }, tasks);
}

// Contiguous share t of [0, units) among `parts`.
void share(int units, int parts, int t, int* begin, int* end) {
  const int base = units / parts, rem = units % parts;
  *begin = t * base + (t < rem ? t : rem);
  *end = *begin + base + (t < rem ? 1 : 0);
}

// Task t's rows [*mb, *me) of an M-row problem split into whole mr-row tiles.
void share_rows(int m, int mr, int tasks, int t, int* mb, int* me) {
  int tb, te;
  share((m + mr - 1) / mr, tasks, t, &tb, &te);
  *mb = tb * mr;
  *me = te * mr < m ? te * mr : m;
}

// True when M has too few row tiles to keep every thread busy, so threads take output channels instead.
bool split_columns(const GemmKernel& kernel, int m, int n, int threads) {
  const int row_tiles = (m + kernel.mr - 1) / kernel.mr;
  const int panels = (n + kernel.nr - 1) / kernel.nr;
  return threads > 1 && row_tiles < threads && panels > 1;
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
              int8_t* c, size_t ldc, ThreadPool* pool) {
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
  conv.gemm = pack_gemm(*table.gemm, weights, bias, p.out_c, p.k(), p.input_zero_point, out);
  conv.direct = p.kh == 1 && p.kw == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_top == 0 &&
                p.pad_left == 0 && p.out_h == p.in_h && p.out_w == p.in_w;
  return conv;
}

PackedConv pack_conv(Isa isa, const ConvParams& params, const int8_t* weights, const int32_t* bias,
                     const OutputStage& out) {
  return pack_conv(kernel_table(isa), params, weights, bias, out);
}

size_t conv_scratch_bytes(const PackedConv& conv, int num_threads) {
  if (conv.direct) return 0;
  return static_cast<size_t>(num_threads < 1 ? 1 : num_threads) * im2col_slot_bytes(conv);
}

void run_conv(const PackedConv& conv, const int8_t* input, int8_t* output, ThreadPool* pool, void* scratch,
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
  int8_t* const scratch8 = static_cast<int8_t*>(scratch);
  const size_t k = static_cast<size_t>(p.k());
  if (split_columns(kernel, m, n, threads)) {
    // Few output pixels (e.g. a 1x1 map): build all M im2col rows once (M < threads * mr, so they fit in
    // the scratch), then threads take output channels.
    im2col(p, input, 0, m, scratch8);
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
      im2col(p, input, r0, rows, buf);
      kernel.run(conv.gemm, rows, buf, k, output + static_cast<size_t>(r0) * n, static_cast<size_t>(n), 0, n);
    }
  });
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
                         ThreadPool* pool) {
  run_gemm(*fc.kernel, fc.gemm, batch, input, static_cast<size_t>(fc.in_features), output,
           static_cast<size_t>(fc.out_features), pool);
}

}  // namespace edgekd

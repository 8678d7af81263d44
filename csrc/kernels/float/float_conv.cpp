// float32 GEMM packing and the drivers that split GEMM, conv and depthwise work across threads. Portable:
// the path-specific code is the micro-kernel each table holds.
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "kernels/float/float_kernels.h"
#include "kernels/parallel.h"

namespace edgekd {
namespace {

// im2col rows per block: enough for the tile to reuse each panel, few enough for the block to stay in L1/L2.
constexpr size_t kIm2colBlockBytes = 48 * 1024;

int im2col_block_rows(const PackedConvF32& c) {
  const int mr = c.kernel->mr;
  const int fit = static_cast<int>(kIm2colBlockBytes / (sizeof(float) * static_cast<size_t>(c.params.k())));
  return std::max(mr, std::min(fit, 64 * mr) / mr * mr);
}

// A copy of n floats. Short runs (a first layer's 3 channels) are an inline loop: a call to memcpy per run
// cost as much as the GEMM on them. The + 0.0f keeps the compiler from turning the loop back into a memcpy
// call; it changes nothing but the sign of a zero, which no sum of products can tell.
inline void copy_floats(float* out, const float* src, size_t n) {
  if (n >= 32) {
    std::memcpy(out, src, n * sizeof(float));
    return;
  }
  for (size_t i = 0; i < n; ++i) out[i] = src[i] + 0.0f;
}

void im2col(const ConvF32Params& p, const float* in, int row_begin, int row_end, float* out) {
  const size_t ic = static_cast<size_t>(p.in_c);
  for (int r = row_begin; r < row_end; ++r) {
    const int b = r / (p.out_h * p.out_w), oy = r / p.out_w % p.out_h, ox = r % p.out_w;
    const int ix0 = ox * p.stride_w - p.pad_left;
    // A kernel row inside the input with dilation 1 is one contiguous run (3 channels: one copy, not three).
    const bool row_inside = p.dilation_w == 1 && ix0 >= 0 && ix0 + p.kw <= p.in_w;
    for (int ky = 0; ky < p.kh; ++ky) {
      const int iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
      const bool y_inside = iy >= 0 && iy < p.in_h;
      const float* src_row = y_inside ? in + (static_cast<size_t>(b) * p.in_h + iy) * p.in_w * ic : nullptr;
      if (y_inside && row_inside) {
        copy_floats(out, src_row + ix0 * ic, p.kw * ic);
        out += p.kw * ic;
        continue;
      }
      for (int kx = 0; kx < p.kw; ++kx, out += ic) {
        const int ix = ix0 + kx * p.dilation_w;
        if (!y_inside || ix < 0 || ix >= p.in_w) {
          std::fill(out, out + ic, 0.0f);
        } else {
          copy_floats(out, src_row + ix * ic, ic);
        }
      }
    }
  }
}

int threads_of(ParallelFor* pool) { return pool ? pool->num_threads() : 1; }

}  // namespace

void pack_gemm_f32(const GemmF32Kernel& kernel, const float* w, const float* bias, int n, int k, float lo, float hi,
                   PackedGemmF32* out) {
  if (n <= 0 || k <= 0)
    throw std::invalid_argument("float GEMM: n and k must be positive, are " + std::to_string(n) + " and " +
                                std::to_string(k));
  const int nr = kernel.nr;
  const int panels = (n + nr - 1) / nr;
  out->n = n;
  out->k = k;
  out->nr = nr;
  out->lo = lo;
  out->hi = hi;
  out->weights.resize(sizeof(float) * static_cast<size_t>(panels) * nr * k);
  float* dst = out->weights.as<float>();
  for (int j = 0; j < n; ++j)
    for (int kk = 0; kk < k; ++kk)
      dst[(static_cast<size_t>(j / nr) * k + kk) * nr + j % nr] = w[static_cast<size_t>(j) * k + kk];
  out->bias.assign(static_cast<size_t>(panels) * nr, 0.0f);
  if (bias) std::copy(bias, bias + n, out->bias.begin());
}

void run_gemm_f32(const GemmF32Kernel& kernel, const PackedGemmF32& p, int m, const float* a, size_t lda, float* c,
                  size_t ldc, ParallelFor* pool) {
  const int threads = threads_of(pool);
  const int tiles = (m + kernel.mr - 1) / kernel.mr;
  const int panels = (p.n + p.nr - 1) / p.nr;
  if (threads < 2 || (tiles < 2 && panels < 2)) {
    kernel.run(p, m, a, lda, c, ldc, 0, p.n);
    return;
  }
  if (tiles >= 2 * threads || tiles >= panels) {
    pool->parallel_for(tiles, [&](int t0, int t1) {
      const int r0 = t0 * kernel.mr, r1 = std::min(m, t1 * kernel.mr);
      kernel.run(p, r1 - r0, a + r0 * lda, lda, c + r0 * ldc, ldc, 0, p.n);
    });
  } else {
    pool->parallel_for(panels, [&](int q0, int q1) {
      kernel.run(p, m, a, lda, c, ldc, q0 * p.nr, std::min(p.n, q1 * p.nr));
    });
  }
}

PackedConvF32 pack_conv_f32(const GemmF32Kernel& kernel, const ConvF32Params& params, const float* weights,
                            const float* bias, float lo, float hi) {
  PackedConvF32 c;
  c.params = params;
  c.kernel = &kernel;
  c.direct = params.kh == 1 && params.kw == 1 && params.stride_h == 1 && params.stride_w == 1 &&
             params.pad_top == 0 && params.pad_left == 0 && params.out_h == params.in_h && params.out_w == params.in_w;
  pack_gemm_f32(kernel, weights, bias, params.out_c, params.k(), lo, hi, &c.gemm);
  return c;
}

size_t conv_f32_scratch_bytes(const PackedConvF32& c, int num_threads) {
  if (c.direct) return 0;
  return sizeof(float) * static_cast<size_t>(num_threads) * im2col_block_rows(c) * c.params.k();
}

void run_conv_f32(const PackedConvF32& c, const float* input, float* output, ParallelFor* pool, void* scratch) {
  const ConvF32Params& p = c.params;
  const int m = p.m(), n = p.out_c, k = p.k();
  if (c.direct) {
    run_gemm_f32(*c.kernel, c.gemm, m, input, static_cast<size_t>(k), output, static_cast<size_t>(n), pool);
    return;
  }
  const int block = im2col_block_rows(c);
  const int blocks = (m + block - 1) / block;
  const int threads = std::min(threads_of(pool), blocks);
  auto run_slot = [&](int t) {
    float* buf = static_cast<float*>(scratch) + static_cast<size_t>(t) * block * k;
    const int b0 = static_cast<int>(int64_t(blocks) * t / threads);
    const int b1 = static_cast<int>(int64_t(blocks) * (t + 1) / threads);
    for (int bl = b0; bl < b1; ++bl) {
      const int r0 = bl * block, r1 = std::min(m, r0 + block);
      im2col(p, input, r0, r1, buf);
      c.kernel->run(c.gemm, r1 - r0, buf, static_cast<size_t>(k), output + static_cast<size_t>(r0) * n,
                    static_cast<size_t>(n), 0, n);
    }
  };
  if (threads < 2) {
    run_slot(0);
    return;
  }
  pool->parallel_for(threads, [&](int t0, int t1) {
    for (int t = t0; t < t1; ++t) run_slot(t);
  });
}

void run_dwconv_f32(const DwConvF32Kernel& kernel, const DwConvF32Params& p, const float* w, const float* bias,
                    const float* in, float* out, ParallelFor* pool) {
  const int rows = p.batch * p.out_h;
  if (threads_of(pool) < 2 || rows < 2) {
    kernel.run(p, w, bias, in, out, 0, rows);
    return;
  }
  pool->parallel_for(rows, [&](int r0, int r1) { kernel.run(p, w, bias, in, out, r0, r1); });
}

}  // namespace edgekd

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

// A copy of n floats. Short runs (a first layer's 3 channels, 9 floats per kernel row) would cost a call to
// memcpy each, as much as the GEMM on them: they are two fixed-size copies that may overlap, which compile to
// a few vector moves.
inline void copy_floats(float* out, const float* src, size_t n) {
  if (n >= 8 && n <= 16) {
    std::memcpy(out, src, 8 * sizeof(float));
    std::memcpy(out + n - 8, src + n - 8, 8 * sizeof(float));
  } else if (n >= 4 && n < 8) {
    std::memcpy(out, src, 4 * sizeof(float));
    std::memcpy(out + n - 4, src + n - 4, 4 * sizeof(float));
  } else {
    std::memcpy(out, src, n * sizeof(float));
  }
}

int threads_of(ParallelFor* pool) { return pool ? pool->num_threads() : 1; }

}  // namespace

void im2col_f32(const ConvF32Params& p, const float* in, int row_begin, int row_end, float* out) {
  const size_t ic = static_cast<size_t>(p.in_c);
  // The output pixel of row r, stepped along (no divisions per row).
  int b = row_begin / (p.out_h * p.out_w), oy = row_begin / p.out_w % p.out_h, ox = row_begin % p.out_w - 1;
  for (int r = row_begin; r < row_end; ++r) {
    if (++ox == p.out_w) {
      ox = 0;
      if (++oy == p.out_h) {
        oy = 0;
        ++b;
      }
    }
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
  for (int ky = 0; ky < params.kh; ++ky)
    for (int kx = 0; kx < params.kw; ++kx)
      for (int ic = 0; ic < params.in_c; ++ic)
        c.koff.push_back((ky * params.dilation_h * params.in_w + kx * params.dilation_w) * params.in_c + ic);
  return c;
}

size_t conv_f32_scratch_bytes(const PackedConvF32& c, int num_threads) {
  if (c.direct) return 0;
  return sizeof(float) * static_cast<size_t>(num_threads) * c.kernel->mr * c.params.k();
}

void run_conv_f32(const PackedConvF32& c, const float* input, float* output, ParallelFor* pool, void* scratch) {
  const ConvF32Params& p = c.params;
  const int m = p.m();
  if (c.direct) {
    run_gemm_f32(*c.kernel, c.gemm, m, input, static_cast<size_t>(p.k()), output, static_cast<size_t>(p.out_c), pool);
    return;
  }
  // Threads take whole tiles of output pixels, each with its own im2col rows in the scratch.
  const int mr = c.kernel->mr;
  const int tiles = (m + mr - 1) / mr;
  const int threads = std::min(threads_of(pool), tiles);
  float* buf = static_cast<float*>(scratch);
  const size_t slot = static_cast<size_t>(mr) * p.k();
  if (threads < 2) {
    c.kernel->run_conv(c, input, output, 0, m, buf);
    return;
  }
  pool->parallel_for(threads, [&](int t0, int t1) {
    for (int t = t0; t < t1; ++t) {
      const int r0 = static_cast<int>(int64_t(tiles) * t / threads) * mr;
      const int r1 = std::min(m, static_cast<int>(int64_t(tiles) * (t + 1) / threads) * mr);
      c.kernel->run_conv(c, input, output, r0, r1, buf + t * slot);
    }
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

// Internal to kernels/conv: the split of work between threads that the conv drivers share, and the
// implicit-GEMM convolution (conv_implicit.cpp).
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/conv/conv.h"
#include "kernels/parallel.h"

namespace edgekd {
namespace conv_detail {

inline int threads_of(ParallelFor* pool) { return pool ? pool->num_threads() : 1; }

// Runs fn(t) for t in [0, tasks) on the pool (task t is the t-th contiguous share of the work).
template <class Fn>
void for_each_task(ParallelFor* pool, int tasks, const Fn& fn) {
  if (!pool || tasks <= 1) {
    for (int t = 0; t < tasks; ++t) fn(t);
    return;
  }
  pool->parallel_for(tasks, [&](int b, int e) {
    for (int t = b; t < e; ++t) fn(t);
  }, tasks);
}

// Contiguous share t of [0, units) among `parts`.
inline void share(int units, int parts, int t, int* begin, int* end) {
  const int base = units / parts, rem = units % parts;
  *begin = t * base + (t < rem ? t : rem);
  *end = *begin + base + (t < rem ? 1 : 0);
}

// Task t's rows [*mb, *me) of an M-row problem split into whole mr-row tiles.
inline void share_rows(int m, int mr, int tasks, int t, int* mb, int* me) {
  int tb, te;
  share((m + mr - 1) / mr, tasks, t, &tb, &te);
  *mb = tb * mr;
  *me = te * mr < m ? te * mr : m;
}

// Copies `input` into the bordered image of conv.padded (the input zero point outside the input).
void pad_image(const PackedConv& conv, const int8_t* input, int8_t* dst);

// Channels per pixel of the implicit GEMM's bordered image for this conv (not a 1x1 direct one): in_c rounded
// up to a multiple of 4 where that adds at most a third more MACs (3 -> 4: RGB first layers; 6, 7 -> 8),
// with zero weights for the added channels; 0 where the conv builds im2col rows instead (the kernel has no
// run_implicit, some channel does not shift right, or widening would cost more: 1, 2 or 5 channels).
int implicit_channels(const GemmKernel& kernel, const ConvParams& p, const OutputStage& out);

// Packs the weights widened to `channels` per tap and sets conv's implicit geometry (padded, taps).
void pack_implicit(const GemmKernel& kernel, const ConvParams& p, int channels, const int8_t* weights,
                   const int32_t* bias, const OutputStage& out, PackedConv* conv);

// Copies the input into the bordered image at `image` (conv.padded_bytes), then threads split the rows.
void run_implicit(const PackedConv& conv, const int8_t* input, int8_t* output, ParallelFor* pool, int8_t* image);

}  // namespace conv_detail
}  // namespace edgekd

// The x86 twin of matvec_s8_ref (the LSTM and SVDF matrix-vector products): four weight rows at a time
// against one vector, 16 columns per step widened to int16 and summed in pairs by vpmaddwd (a pair of
// int8 products fits int16 arithmetic's int32 result exactly). int32 sums wrap like the reference's, so
// the results are equal for every input.
#include <immintrin.h>

#include <cstdint>

#include "edgekd/quant.h"
#include "kernels/ops/recurrent.h"

namespace edgekd {
namespace ops {
namespace detail {
namespace {

__m256i load16(const int8_t* p) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

int32_t hsum(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

int32_t tail(const int8_t* w, const int8_t* x, int c0, int cols, int32_t acc) {
  for (int c = c0; c < cols; ++c) acc = wrap_add(acc, int32_t(w[c]) * x[c]);
  return acc;
}

}  // namespace

void matvec_s8_avx2(const int8_t* w, int rows, int cols, const int8_t* x, int32_t* out) {
  const int body = cols / 16 * 16;
  int r = 0;
  for (; r + 4 <= rows; r += 4) {
    const int8_t* w0 = w + static_cast<size_t>(r) * cols;
    const int8_t *w1 = w0 + cols, *w2 = w1 + cols, *w3 = w2 + cols;
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    for (int c = 0; c < body; c += 16) {
      const __m256i xv = load16(x + c);
      a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(load16(w0 + c), xv));
      a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(load16(w1 + c), xv));
      a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(load16(w2 + c), xv));
      a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(load16(w3 + c), xv));
    }
    out[r] = tail(w0, x, body, cols, hsum(a0));
    out[r + 1] = tail(w1, x, body, cols, hsum(a1));
    out[r + 2] = tail(w2, x, body, cols, hsum(a2));
    out[r + 3] = tail(w3, x, body, cols, hsum(a3));
  }
  for (; r < rows; ++r) {
    const int8_t* w0 = w + static_cast<size_t>(r) * cols;
    __m256i a0 = _mm256_setzero_si256();
    for (int c = 0; c < body; c += 16) a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(load16(w0 + c), load16(x + c)));
    out[r] = tail(w0, x, body, cols, hsum(a0));
  }
}

}  // namespace detail
}  // namespace ops
}  // namespace edgekd

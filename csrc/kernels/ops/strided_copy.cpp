// The strided copy behind TRANSPOSE, SLICE, STRIDED_SLICE, SPLIT, SPLIT_V, DEPTH_TO_SPACE and SPACE_TO_DEPTH,
// and GATHER. These ops move bytes and compute nothing, so LiteRT's result is the input's bytes in the
// op's order: any loop order that writes each output byte from the right input byte is bit-exact.
#include <cstring>
#include <stdexcept>

#include "kernels/ops/shape_ops.h"

namespace edgekd {
namespace ops {

int64_t StridedCopy::bytes() const {
  int64_t n = 1;
  for (int k = 0; k < rank; ++k) n *= dims[k];
  return n;
}

std::vector<int64_t> dense_strides(const std::vector<int>& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t k = shape.size(); k-- > 1;) s[k - 1] = s[k] * shape[k];
  return s;
}

StridedCopy make_strided_copy(int rank, const int64_t* dims, const int64_t* in_strides, int64_t in_offset,
                              int elem_bytes) {
  if (rank < 0 || rank > kMaxCopyDims - 1) throw std::invalid_argument("strided copy: rank above 7");
  StridedCopy p;
  p.in_offset = in_offset * elem_bytes;
  // The element's bytes are the innermost dimension; unit dimensions go; a dimension merges into the one
  // before it when the input holds both contiguously.
  int64_t d[kMaxCopyDims], s[kMaxCopyDims];
  int n = 0;
  for (int k = 0; k < rank; ++k) {
    if (dims[k] == 0) {  // an empty copy
      p.rank = 1;
      p.dims[0] = 0;
      p.in_stride[0] = 1;
      return p;
    }
    if (dims[k] == 1) continue;
    d[n] = dims[k];
    s[n] = in_strides[k] * elem_bytes;
    ++n;
  }
  d[n] = elem_bytes;
  s[n] = 1;
  ++n;
  for (int k = 0; k < n; ++k) {
    if (p.rank > 0 && p.in_stride[p.rank - 1] == s[k] * d[k]) {
      p.dims[p.rank - 1] *= d[k];
      p.in_stride[p.rank - 1] = s[k];
    } else {
      p.dims[p.rank] = d[k];
      p.in_stride[p.rank] = s[k];
      ++p.rank;
    }
  }
  return p;
}

void strided_copy(const StridedCopy& p, const uint8_t* in, uint8_t* out) {
  const int last = p.rank - 1;
  const int64_t row = p.dims[last], step = p.in_stride[last];
  if (row == 0) return;
  int64_t idx[kMaxCopyDims] = {};
  const uint8_t* src = in + p.in_offset;
  for (;;) {
    if (step == 1) {
      std::memcpy(out, src, static_cast<size_t>(row));
    } else {
      for (int64_t j = 0; j < row; ++j) out[j] = src[j * step];
    }
    out += row;
    // Next row: an odometer over the outer dimensions.
    int k = last - 1;
    for (; k >= 0; --k) {
      src += p.in_stride[k];
      if (++idx[k] < p.dims[k]) break;
      src -= p.in_stride[k] * p.dims[k];
      idx[k] = 0;
    }
    if (k < 0) return;
  }
}

int64_t gather_index(const GatherParams& p, const void* indices, int64_t i) {
  switch (p.index_bytes) {
    case 2: return static_cast<const int16_t*>(indices)[i];
    case 8: return static_cast<const int64_t*>(indices)[i];
    default: return static_cast<const int32_t*>(indices)[i];
  }
}

int64_t gather(const GatherParams& p, const uint8_t* in, const void* indices, uint8_t* out) {
  const size_t inner = static_cast<size_t>(p.inner_bytes);
  for (int64_t b = 0; b < p.batch; ++b) {
    for (int64_t o = 0; o < p.outer; ++o) {
      const uint8_t* base = in + (b * p.outer + o) * p.axis_size * p.inner_bytes;
      for (int64_t j = 0; j < p.coords; ++j) {
        const int64_t at = b * p.coords + j;
        const int64_t c = gather_index(p, indices, at);
        if (c < 0 || c >= p.axis_size) return at;
        std::memcpy(out, base + c * p.inner_bytes, inner);
        out += inner;
      }
    }
  }
  return -1;
}

}  // namespace ops
}  // namespace edgekd

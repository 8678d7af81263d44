#include <cstdlib>
#include <cstring>
#include <new>

#include "kernels/kernels.h"

namespace edgekd {

AlignedBuffer& AlignedBuffer::operator=(AlignedBuffer&& o) noexcept {
  if (this != &o) {
    std::free(ptr_);
    ptr_ = o.ptr_;
    size_ = o.size_;
    o.ptr_ = nullptr;
    o.size_ = 0;
  }
  return *this;
}

AlignedBuffer::~AlignedBuffer() { std::free(ptr_); }

void AlignedBuffer::resize(size_t bytes) {
  std::free(ptr_);
  ptr_ = nullptr;
  size_ = 0;
  if (bytes == 0) return;
  // Round up to the alignment (aligned_alloc requires it) plus 64 bytes of slack for vector tail loads.
  const size_t rounded = (bytes + 64 + 63) / 64 * 64;
  ptr_ = static_cast<uint8_t*>(std::aligned_alloc(64, rounded));
  if (!ptr_) throw std::bad_alloc();
  std::memset(ptr_, 0, rounded);
  size_ = bytes;
}

}  // namespace edgekd

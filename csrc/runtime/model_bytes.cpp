#include "runtime/model_bytes.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace edgekd {

ModelBytes ModelBytes::map_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::invalid_argument("cannot open model file '" + path + "': " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw std::invalid_argument("model file '" + path + "' is not a regular file");
  }
  ModelBytes b;
  b.size_ = static_cast<size_t>(st.st_size);
  if (b.size_ == 0) {
    ::close(fd);
    throw std::invalid_argument("model file '" + path + "' is empty");
  }
  void* m = ::mmap(nullptr, b.size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (m == MAP_FAILED) throw std::invalid_argument("cannot map model file '" + path + "': " + std::strerror(errno));
  b.map_ = m;
  b.data_ = static_cast<const uint8_t*>(m);
  return b;
}

ModelBytes ModelBytes::copy_of(const void* data, size_t size) {
  ModelBytes b;
  // 16 bytes of slack keep every pointer in range even for an empty input.
  b.owned_.resize(size + 16);
  if (size) std::memcpy(b.owned_.data(), data, size);
  b.data_ = b.owned_.data();
  b.size_ = size;
  return b;
}

ModelBytes::ModelBytes(ModelBytes&& o) noexcept { *this = std::move(o); }

ModelBytes& ModelBytes::operator=(ModelBytes&& o) noexcept {
  if (this != &o) {
    release();
    owned_ = std::move(o.owned_);
    map_ = o.map_;
    size_ = o.size_;
    data_ = map_ ? o.data_ : owned_.data();
    o.map_ = nullptr;
    o.data_ = nullptr;
    o.size_ = 0;
  }
  return *this;
}

ModelBytes::~ModelBytes() { release(); }

void ModelBytes::release() {
  if (map_) ::munmap(map_, size_);
  map_ = nullptr;
  data_ = nullptr;
  size_ = 0;
  owned_.clear();
}

}  // namespace edgekd

// The bytes of a loaded model: a read-only mmap of the file, or an owned copy of caller bytes. Constant
// tensors point into them for the model's lifetime.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace edgekd {

class ModelBytes {
 public:
  static ModelBytes map_file(const std::string& path);  // throws std::invalid_argument naming the file
  static ModelBytes copy_of(const void* data, size_t size);
  ModelBytes() = default;
  ModelBytes(ModelBytes&& o) noexcept;
  ModelBytes& operator=(ModelBytes&& o) noexcept;
  ModelBytes(const ModelBytes&) = delete;
  ModelBytes& operator=(const ModelBytes&) = delete;
  ~ModelBytes();
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void release();
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  void* map_ = nullptr;  // mmap'd region (munmap'd on release)
  std::vector<uint8_t> owned_;
};

}  // namespace edgekd

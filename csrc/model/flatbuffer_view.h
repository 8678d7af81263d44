// A bounds-checked view over flatbuffer bytes. Every offset, length and index is checked against the
// buffer before it is dereferenced; any violation throws std::invalid_argument naming the field path.
// Reads are byte-wise (memcpy) so unaligned or hostile offsets are never undefined behaviour.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

namespace edgekd {
namespace fb {

class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

  // True when [pos, pos + len) lies inside the buffer (overflow-safe).
  bool contains(size_t pos, size_t len) const { return pos <= size_ && len <= size_ - pos; }

  template <typename T>
  T read(size_t pos, const std::string& what) const {
    if (!contains(pos, sizeof(T))) fail(what, "points outside the file (offset " + std::to_string(pos) + ")");
    T v;
    std::memcpy(&v, data_ + pos, sizeof(T));  // flatbuffers are little-endian; so are our targets
    return v;
  }

  [[noreturn]] static void fail(const std::string& what, const std::string& why) {
    throw std::invalid_argument("malformed model: " + what + " " + why);
  }

 private:
  const uint8_t* data_;
  size_t size_;
};

// A vector of scalars or of offsets: [u32 length][elements...].
class Vector {
 public:
  Vector() = default;
  Vector(const Bytes* b, size_t elems_pos, uint32_t length, size_t elem_size, std::string what)
      : b_(b), pos_(elems_pos), len_(length), elem_size_(elem_size), what_(std::move(what)) {}
  bool present() const { return b_ != nullptr; }
  uint32_t size() const { return len_; }
  size_t data_pos() const { return pos_; }
  const uint8_t* raw() const { return b_ ? b_->data() + pos_ : nullptr; }
  template <typename T>
  T at(uint32_t i) const {
    if (i >= len_) Bytes::fail(what_, "index " + std::to_string(i) + " out of range");
    return b_->template read<T>(pos_ + static_cast<size_t>(i) * sizeof(T), what_);
  }
  const std::string& what() const { return what_; }

 private:
  const Bytes* b_ = nullptr;
  size_t pos_ = 0;
  uint32_t len_ = 0;
  [[maybe_unused]] size_t elem_size_ = 0;
  std::string what_;
};

class Table {
 public:
  Table() = default;
  // `pos` is where the table starts (its soffset to the vtable). Validates the vtable.
  Table(const Bytes* b, size_t pos, std::string what) : b_(b), pos_(pos), what_(std::move(what)) {
    const int32_t soff = b_->read<int32_t>(pos_, what_ + " (table)");
    const int64_t vt = static_cast<int64_t>(pos_) - static_cast<int64_t>(soff);
    if (vt < 0 || static_cast<uint64_t>(vt) >= b_->size()) Bytes::fail(what_, "has a vtable outside the file");
    vt_ = static_cast<size_t>(vt);
    vt_size_ = b_->read<uint16_t>(vt_, what_ + " (vtable size)");
    const uint16_t table_size = b_->read<uint16_t>(vt_ + 2, what_ + " (vtable)");
    if (vt_size_ < 4 || (vt_size_ & 1) || !b_->contains(vt_, vt_size_))
      Bytes::fail(what_, "has a malformed vtable");
    if (table_size < 4 || !b_->contains(pos_, table_size)) Bytes::fail(what_, "has a table extending past the file");
    table_size_ = table_size;
  }
  bool present() const { return b_ != nullptr; }
  const std::string& what() const { return what_; }

  // Offset of field `id` inside the table, 0 when absent.
  size_t field_offset(int id) const {
    const size_t slot = 4 + 2 * static_cast<size_t>(id);
    if (slot + 2 > vt_size_) return 0;
    const uint16_t off = b_->read<uint16_t>(vt_ + slot, what_);
    if (off == 0) return 0;
    if (off < 4 || off >= table_size_) Bytes::fail(what_ + " field " + std::to_string(id), "lies outside its table");
    return off;
  }
  bool has(int id) const { return field_offset(id) != 0; }

  template <typename T>
  T scalar(int id, T def, const char* name) const {
    const size_t off = field_offset(id);
    if (!off) return def;
    return b_->template read<T>(pos_ + off, what_ + "." + name);
  }

  Table table(int id, const char* name) const {
    const size_t target = ref(id, name);
    if (!target) return Table();
    return Table(b_, target, what_ + "." + name);
  }

  // Vector of scalars of size elem_size.
  Vector vector(int id, size_t elem_size, const char* name) const {
    const size_t target = ref(id, name);
    if (!target) return Vector();
    const std::string w = what_ + "." + name;
    const uint32_t len = b_->read<uint32_t>(target, w + " (length)");
    if (!b_->contains(target + 4, static_cast<size_t>(len) * elem_size))
      Bytes::fail(w, "claims " + std::to_string(len) + " elements, more than the file holds");
    return Vector(b_, target + 4, len, elem_size, w);
  }

  // Element i of a vector of tables.
  Table table_at(const Vector& v, uint32_t i) const { return table_in(b_, v, i); }
  static Table table_in(const Bytes* b, const Vector& v, uint32_t i) {
    const std::string w = v.what() + "[" + std::to_string(i) + "]";
    const size_t slot = v.data_pos() + static_cast<size_t>(i) * 4;
    if (i >= v.size()) Bytes::fail(w, "index out of range");
    const uint32_t rel = b->read<uint32_t>(slot, w);
    if (rel == 0 || !b->contains(slot, static_cast<size_t>(rel))) Bytes::fail(w, "points outside the file");
    return Table(b, slot + rel, w);
  }

  std::string string(int id, const char* name) const {
    const size_t target = ref(id, name);
    if (!target) return std::string();
    const std::string w = what_ + "." + name;
    const uint32_t len = b_->read<uint32_t>(target, w + " (length)");
    if (!b_->contains(target + 4, len)) Bytes::fail(w, "string runs past the end of the file");
    return std::string(reinterpret_cast<const char*>(b_->data() + target + 4), len);
  }

 private:
  // Absolute position a reference field points to, 0 when absent.
  size_t ref(int id, const char* name) const {
    const size_t off = field_offset(id);
    if (!off) return 0;
    const size_t at = pos_ + off;
    const uint32_t rel = b_->read<uint32_t>(at, what_ + "." + name);
    if (rel == 0 || !b_->contains(at, static_cast<size_t>(rel)) || at + rel >= b_->size())
      Bytes::fail(what_ + "." + name, "points outside the file");
    return at + rel;
  }

  const Bytes* b_ = nullptr;
  size_t pos_ = 0, vt_ = 0;
  uint16_t vt_size_ = 0, table_size_ = 0;
  std::string what_;
};

}  // namespace fb
}  // namespace edgekd

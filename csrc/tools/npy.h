// A small header-only .npy reader / writer (format versions 1-3, little-endian, C order) for edgekd-run
// (the tool is one translation unit).
#pragma once
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace edgekd {
namespace npy {

struct Array {
  std::string descr;          // numpy dtype descr: "<f4", "|i1", "<i4", "|u1", "<i8"
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;  // raw little-endian bytes
};

inline size_t item_size(const std::string& d) {
  if (d == "<f4" || d == "<i4") return 4;
  if (d == "|i1" || d == "|u1" || d == "<i1" || d == "<u1") return 1;
  if (d == "<i8" || d == "<f8") return 8;
  return 0;
}

inline std::string descr_for_tflite_type(int type) {
  switch (type) {
    case 0: return "<f4";
    case 2: return "<i4";
    case 3: return "|u1";
    case 4: return "<i8";
    case 9: return "|i1";
    default: return "";
  }
}

namespace detail {
[[noreturn]] inline void bad(const std::string& path, const std::string& why) {
  throw std::invalid_argument("cannot read '" + path + "' as .npy: " + why);
}

// Value of 'key' in the header dict, up to the next top-level comma / closing brace.
inline std::string field(const std::string& header, const std::string& key, const std::string& path) {
  const size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) bad(path, "header has no '" + key + "'");
  size_t p = header.find(':', k);
  if (p == std::string::npos) bad(path, "malformed header");
  ++p;
  while (p < header.size() && header[p] == ' ') ++p;
  if (p < header.size() && header[p] == '(') {
    const size_t e = header.find(')', p);
    if (e == std::string::npos) bad(path, "malformed shape");
    return header.substr(p, e - p + 1);
  }
  size_t e = p;
  while (e < header.size() && header[e] != ',' && header[e] != '}') ++e;
  std::string v = header.substr(p, e - p);
  while (!v.empty() && v.back() == ' ') v.pop_back();
  if (v.size() >= 2 && (v[0] == '\'' || v[0] == '"')) v = v.substr(1, v.size() - 2);
  return v;
}
}  // namespace detail
using detail::bad;
using detail::field;

inline Array load(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) bad(path, "cannot open the file");
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) bad(path, "missing the \\x93NUMPY magic");
  const int major = static_cast<uint8_t>(bytes[6]);
  size_t hlen, hstart;
  if (major == 1) {
    hlen = static_cast<uint8_t>(bytes[8]) | (static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8);
    hstart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) bad(path, "truncated header");
    uint32_t l;
    std::memcpy(&l, bytes.data() + 8, 4);
    hlen = l;
    hstart = 12;
  } else {
    bad(path, "unsupported format version " + std::to_string(major));
  }
  if (hstart + hlen > bytes.size()) bad(path, "truncated header");
  const std::string header = bytes.substr(hstart, hlen);
  Array a;
  a.descr = field(header, "descr", path);
  if (item_size(a.descr) == 0) bad(path, "unsupported dtype " + a.descr);
  if (field(header, "fortran_order", path) != "False") bad(path, "Fortran-ordered arrays are not supported");
  const std::string shape = field(header, "shape", path);
  int64_t count = 1;
  std::string num;
  for (char c : shape) {
    if (c >= '0' && c <= '9') {
      num += c;
    } else if (!num.empty()) {
      a.shape.push_back(std::stoll(num));
      count *= a.shape.back();
      if (count > (int64_t(1) << 32)) bad(path, "array too large");
      num.clear();
    }
  }
  const size_t nbytes = static_cast<size_t>(count) * item_size(a.descr);
  if (bytes.size() - hstart - hlen < nbytes) bad(path, "data shorter than the shape says");
  a.data.assign(bytes.begin() + hstart + hlen, bytes.begin() + hstart + hlen + nbytes);
  return a;
}

inline void save(const std::string& path, const Array& a) {
  std::ostringstream h;
  h << "{'descr': '" << a.descr << "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < a.shape.size(); ++i) h << a.shape[i] << (a.shape.size() == 1 || i + 1 < a.shape.size() ? ", " : "");
  h << "), }";
  std::string header = h.str();
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream f(path, std::ios::binary);
  if (!f) throw std::invalid_argument("cannot write '" + path + "'");
  const uint16_t hl = static_cast<uint16_t>(header.size());
  f.write("\x93NUMPY\x01\x00", 8);
  f.put(static_cast<char>(hl & 0xff));
  f.put(static_cast<char>(hl >> 8));
  f << header;
  f.write(reinterpret_cast<const char*>(a.data.data()), static_cast<std::streamsize>(a.data.size()));
  if (!f) throw std::invalid_argument("failed writing '" + path + "'");
}

}  // namespace npy
}  // namespace edgekd

// A tiny forward flatbuffer writer and a TFLite model builder for the C++ runtime tests and the fuzz seed
// corpus: children are appended after their parents, so every uoffset points forward as flatbuffers
// require. Not a general flatbuffers implementation — just enough to emit valid TFLite files in C++
// (so the runtime tests need no Python and run under qemu).
#pragma once
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace edgekd_test {

class FbWriter {
 public:
  std::vector<uint8_t> buf;
  size_t pos() const { return buf.size(); }
  void align(size_t a) { while (buf.size() % a) buf.push_back(0); }
  template <typename T> void put(T v) {
    uint8_t b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    buf.insert(buf.end(), b, b + sizeof(T));
  }
  template <typename T> void put_at(size_t at, T v) { std::memcpy(buf.data() + at, &v, sizeof(T)); }
  void patch_ref(size_t at, size_t target) { put_at<uint32_t>(at, static_cast<uint32_t>(target - at)); }
};

// A table description: scalar fields and reference fields (children written later by a callback).
struct Field {
  int id;
  int size;            // 1, 2, 4, 8 for scalars; 0 for a reference
  uint64_t value = 0;  // scalar bits
  std::function<size_t(FbWriter&)> child;  // writes the child, returns its position (for references)
};

inline Field scalar_u8(int id, uint8_t v) { return {id, 1, v, nullptr}; }
inline Field scalar_i32(int id, int32_t v) { return {id, 4, static_cast<uint32_t>(v), nullptr}; }
inline Field scalar_u32(int id, uint32_t v) { return {id, 4, v, nullptr}; }
inline Field scalar_u64(int id, uint64_t v) { return {id, 8, v, nullptr}; }
inline Field scalar_f32(int id, float v) {
  uint32_t b;
  std::memcpy(&b, &v, 4);
  return {id, 4, b, nullptr};
}
inline Field ref(int id, std::function<size_t(FbWriter&)> child) { return {id, 0, 0, std::move(child)}; }

// Writes vtable + table, then the children; returns the table position.
inline size_t write_table(FbWriter& w, const std::vector<Field>& fields) {
  int max_id = -1;
  for (const Field& f : fields) max_id = std::max(max_id, f.id);
  // Layout: soffset (4) then fields, each aligned to its size (8-byte fields at 8 from the table start).
  std::vector<uint16_t> offs(static_cast<size_t>(max_id + 1), 0);
  size_t tsize = 4;
  std::vector<size_t> at(fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    const size_t sz = fields[i].size ? fields[i].size : 4;
    while (tsize % sz) ++tsize;
    at[i] = tsize;
    offs[fields[i].id] = static_cast<uint16_t>(tsize);
    tsize += sz;
  }
  w.align(2);
  const size_t vt = w.pos();
  w.put<uint16_t>(static_cast<uint16_t>(4 + 2 * offs.size()));
  w.put<uint16_t>(static_cast<uint16_t>(tsize));
  for (uint16_t o : offs) w.put<uint16_t>(o);
  w.align(8);
  const size_t table = w.pos();
  w.buf.resize(table + tsize, 0);
  w.put_at<int32_t>(table, static_cast<int32_t>(table - vt));
  for (size_t i = 0; i < fields.size(); ++i) {
    const Field& f = fields[i];
    if (f.size == 1) w.put_at<uint8_t>(table + at[i], static_cast<uint8_t>(f.value));
    if (f.size == 2) w.put_at<uint16_t>(table + at[i], static_cast<uint16_t>(f.value));
    if (f.size == 4) w.put_at<uint32_t>(table + at[i], static_cast<uint32_t>(f.value));
    if (f.size == 8) w.put_at<uint64_t>(table + at[i], f.value);
  }
  for (size_t i = 0; i < fields.size(); ++i)
    if (fields[i].size == 0) {
      const size_t child = fields[i].child(w);
      w.patch_ref(table + at[i], child);
    }
  return table;
}

template <typename T>
inline std::function<size_t(FbWriter&)> vec(std::vector<T> v, size_t elem_align = 4) {
  return [v, elem_align](FbWriter& w) {
    w.align(std::max<size_t>(elem_align, 4));
    while ((w.pos() + 4) % elem_align) w.put<uint8_t>(0);
    const size_t p = w.pos();
    w.put<uint32_t>(static_cast<uint32_t>(v.size()));
    for (const T& x : v) w.put<T>(x);
    return p;
  };
}

inline std::function<size_t(FbWriter&)> str(std::string s) {
  return [s](FbWriter& w) {
    w.align(4);
    const size_t p = w.pos();
    w.put<uint32_t>(static_cast<uint32_t>(s.size()));
    w.buf.insert(w.buf.end(), s.begin(), s.end());
    w.put<uint8_t>(0);
    return p;
  };
}

inline std::function<size_t(FbWriter&)> table_vec(std::vector<std::vector<Field>> tables) {
  return [tables](FbWriter& w) {
    w.align(4);
    const size_t p = w.pos();
    w.put<uint32_t>(static_cast<uint32_t>(tables.size()));
    const size_t slots = w.pos();
    for (size_t i = 0; i < tables.size(); ++i) w.put<uint32_t>(0);
    for (size_t i = 0; i < tables.size(); ++i) {
      const size_t t = write_table(w, tables[i]);
      w.patch_ref(slots + 4 * i, t);
    }
    return p;
  };
}

// ------------------------------------------------------------------------------------------------
// TFLite model description.
struct TTensor {
  std::string name;
  std::vector<int32_t> shape;
  int type = 9;  // int8
  std::vector<uint8_t> data;  // constant bytes (empty: activation)
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int quantized_dimension = 0;
};
struct TOp {
  int code;
  std::vector<int32_t> inputs, outputs;
  std::vector<Field> options;  // builtin options table fields
  int options_type = 0;
};
struct TModel {
  std::vector<TTensor> tensors;
  std::vector<TOp> ops;
  std::vector<int32_t> inputs, outputs;
  bool deprecated_codes_only = false;  // old files: only deprecated_builtin_code
  bool reverse_opcodes = false;        // operator codes in another order than first use
  bool external_buffers = false;       // constant data after the flatbuffer, by offset/size

  int add_tensor(TTensor t) { tensors.push_back(std::move(t)); return static_cast<int>(tensors.size() - 1); }
};

inline std::vector<uint8_t> write_model(const TModel& m) {
  // Operator codes: distinct codes in (optionally reversed) order of first use.
  std::vector<int> codes;
  for (const TOp& op : m.ops)
    if (std::find(codes.begin(), codes.end(), op.code) == codes.end()) codes.push_back(op.code);
  if (m.reverse_opcodes) std::reverse(codes.begin(), codes.end());
  auto code_index = [&](int code) {
    return static_cast<uint32_t>(std::find(codes.begin(), codes.end(), code) - codes.begin());
  };
  std::vector<std::vector<Field>> code_tables;
  for (int c : codes) {
    std::vector<Field> f{scalar_u8(0, static_cast<uint8_t>(std::min(c, 127))), scalar_i32(2, 1)};
    if (!m.deprecated_codes_only) f.push_back(scalar_i32(3, c));
    code_tables.push_back(f);
  }
  // Buffers: 0 is the empty sentinel, then one per constant tensor.
  std::vector<uint32_t> tensor_buffer(m.tensors.size(), 0);
  std::vector<const std::vector<uint8_t>*> buffer_data{nullptr};
  for (size_t i = 0; i < m.tensors.size(); ++i)
    if (!m.tensors[i].data.empty()) {
      tensor_buffer[i] = static_cast<uint32_t>(buffer_data.size());
      buffer_data.push_back(&m.tensors[i].data);
    }
  std::vector<std::vector<Field>> tensor_tables;
  for (size_t i = 0; i < m.tensors.size(); ++i) {
    const TTensor& t = m.tensors[i];
    std::vector<Field> f{ref(0, vec<int32_t>(t.shape)), scalar_u8(1, static_cast<uint8_t>(t.type)),
                         scalar_u32(2, tensor_buffer[i]), ref(3, str(t.name))};
    if (!t.scale.empty())
      f.push_back(ref(4, [t](FbWriter& w) {
        return write_table(w, {ref(2, vec<float>(t.scale)), ref(3, vec<int64_t>(t.zero_point, 8)),
                               scalar_i32(6, t.quantized_dimension)});
      }));
    tensor_tables.push_back(f);
  }
  std::vector<std::vector<Field>> op_tables;
  for (const TOp& op : m.ops) {
    std::vector<Field> f{scalar_u32(0, code_index(op.code)), ref(1, vec<int32_t>(op.inputs)),
                         ref(2, vec<int32_t>(op.outputs))};
    if (!op.options.empty()) {
      f.push_back(scalar_u8(3, static_cast<uint8_t>(op.options_type)));
      f.push_back(ref(4, [op](FbWriter& w) { return write_table(w, op.options); }));
    }
    op_tables.push_back(f);
  }
  std::vector<size_t> external_patch;  // positions of (offset, size) fields to fill at the end
  FbWriter w;
  w.put<uint32_t>(0);
  w.buf.insert(w.buf.end(), {'T', 'F', 'L', '3'});
  std::vector<std::vector<Field>> buffer_tables;
  for (size_t b = 0; b < buffer_data.size(); ++b) {
    if (!buffer_data[b]) { buffer_tables.push_back({}); continue; }
    if (m.external_buffers) buffer_tables.push_back({scalar_u64(1, 0xFFFF0000u + b), scalar_u64(2, buffer_data[b]->size())});
    else buffer_tables.push_back({ref(0, vec<uint8_t>(*buffer_data[b], 16))});
  }
  const size_t root = write_table(w, {
      scalar_u32(0, 3), ref(1, table_vec(code_tables)),
      ref(2, table_vec({{ref(0, table_vec(tensor_tables)), ref(1, vec<int32_t>(m.inputs)),
                         ref(2, vec<int32_t>(m.outputs)), ref(3, table_vec(op_tables)), ref(4, str("main"))}})),
      ref(3, str("edgekd test model")), ref(4, table_vec(buffer_tables))});
  w.put_at<uint32_t>(0, static_cast<uint32_t>(root));
  if (m.external_buffers) {
    // Append the data after the flatbuffer and rewrite the placeholder offsets.
    for (size_t b = 1; b < buffer_data.size(); ++b) {
      w.align(16);
      const uint64_t off = w.pos();
      w.buf.insert(w.buf.end(), buffer_data[b]->begin(), buffer_data[b]->end());
      const uint64_t placeholder = 0xFFFF0000u + b;
      for (size_t p = 8; p + 8 <= off; p += 4) {
        uint64_t v;
        std::memcpy(&v, w.buf.data() + p, 8);
        if (v == placeholder) { std::memcpy(w.buf.data() + p, &off, 8); break; }
      }
    }
  }
  return w.buf;
}

// Convenience: int8 / int32 constant bytes.
inline std::vector<uint8_t> bytes_of(const std::vector<int8_t>& v) { return {v.begin(), v.end()}; }
inline std::vector<uint8_t> bytes_of(const std::vector<int32_t>& v) {
  std::vector<uint8_t> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

}  // namespace edgekd_test

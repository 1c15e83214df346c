// Byte-string vocabulary shared by every component: owned `Bytes`, borrowed
// `ByteView`, and conversions to and from std::string. Header-only; no state.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace concord {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView AsBytes(absl::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

inline absl::string_view AsStringView(ByteView b) {
  return absl::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

inline Bytes ToBytes(absl::string_view s) { return Bytes(s.begin(), s.end()); }

inline std::string ToString(ByteView b) { return std::string(AsStringView(b)); }

// Appends `b` to `out`.
inline void Append(Bytes& out, ByteView b) { out.insert(out.end(), b.begin(), b.end()); }

// Appends `v` in big-endian order using `n` bytes.
inline void AppendBigEndian(Bytes& out, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) {
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
}

}  // namespace concord

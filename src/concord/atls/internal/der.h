// A minimal strict DER reader and writer for the aTLS evidence extension
// (docs/protocol.md "Evidence extension"): single-byte tags, definite
// lengths in minimal encoding up to 3 length bytes, no trailing bytes.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/common/bytes.h"

namespace concord::atls::internal {

inline constexpr uint8_t kDerInteger = 0x02;
inline constexpr uint8_t kDerOctetString = 0x04;
inline constexpr uint8_t kDerUtf8String = 0x0c;
inline constexpr uint8_t kDerSequence = 0x30;

// Appends tag, minimal definite length and `value` to `out`. Values must be
// shorter than 2^24 bytes (callers enforce far smaller limits).
void DerAppend(Bytes& out, uint8_t tag, ByteView value);

// Reads consecutive TLVs from a buffer it does not own.
class DerReader final {
 public:
  explicit DerReader(ByteView data) : data_(data) {}

  // Reads one element with tag `tag` and returns its value. InvalidArgument
  // naming `field` for a wrong tag, a truncated element, an indefinite,
  // non-minimal or over-long length.
  absl::StatusOr<ByteView> Read(uint8_t tag, absl::string_view field);
  bool AtEnd() const { return pos_ == data_.size(); }
  // InvalidArgument "<field>: N trailing bytes" unless everything was read.
  absl::Status ExpectEnd(absl::string_view field) const;

 private:
  ByteView data_;
  size_t pos_ = 0;
};

}  // namespace concord::atls::internal

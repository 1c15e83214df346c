// Standard base64 (RFC 4648 §4) for JSON fields: encoding, and decoding that
// accepts only the one canonical, padded spelling of each byte string, so a
// value has exactly one text form. Pure functions; thread-safe.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/common/bytes.h"

namespace concord {

std::string EncodeBase64(ByteView data);

// Decodes standard, padded base64 whose unused trailing bits are zero.
// InvalidArgument naming `field` otherwise (the offset of a bad character,
// never the input).
absl::StatusOr<Bytes> DecodeBase64Strict(absl::string_view text, absl::string_view field);

}  // namespace concord

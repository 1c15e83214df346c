// Lower-case hexadecimal encoding and strict decoding. Used by the manifest,
// history and CLI for digests, keys and report fields. Thread-safe (pure).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/common/bytes.h"

namespace concord {

// Returns the lower-case hex encoding of `data`.
std::string HexEncode(ByteView data);

// Decodes hex (upper or lower case). Returns InvalidArgument naming `field`
// when the input has odd length or a non-hex character.
absl::StatusOr<Bytes> HexDecode(absl::string_view hex, absl::string_view field = "hex");

// As HexDecode, but also requires exactly `want_bytes` bytes; the message reads
// "<field>: want <2*want_bytes> hex characters, got <n>".
absl::StatusOr<Bytes> HexDecodeExact(absl::string_view hex, size_t want_bytes,
                                     absl::string_view field);

// Decodes exactly `out.size()` bytes of hex straight into `out` (storage that
// wipes itself, for a secret). InvalidArgument "<field>: want <2*size> hex
// characters, got <n>" or "<field>: want hex characters": unlike HexDecode,
// the message never says which digit is malformed. On error `out` may hold
// part of the result.
absl::Status HexDecodeInto(absl::string_view hex, std::span<uint8_t> out, absl::string_view field);

}  // namespace concord

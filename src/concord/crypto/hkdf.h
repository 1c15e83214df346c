// HKDF-SHA256 (RFC 5869) for seed-derived secrets and keys. Thread-safe.
#pragma once

#include "absl/status/statusor.h"
#include "concord/common/bytes.h"
#include "concord/crypto/secret_bytes.h"

namespace concord::crypto {

// Derives `length` bytes from `ikm` with `salt` and `info`. Internal on an
// OpenSSL failure; InvalidArgument if length is 0 or above 255*32.
absl::StatusOr<SecretBytes> HkdfSha256(const SecretBytes& ikm, ByteView salt, ByteView info,
                                       size_t length);

}  // namespace concord::crypto

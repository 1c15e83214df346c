// A bounded, thread-safe memo of decoded public keys, keyed by their exact
// SPKI DER. Histories name the same few owner keys in thousands of manifests
// and transitions; decoding each again costs tens of microseconds
// (bench/crypto_bench BM_FromSpkiDer), a lookup well under one. Used by the
// history verifier and, through manifest::ParseOptions, the manifest parser.
// Only successful decodes are remembered. Thread-safe.
#pragma once

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "concord/common/bytes.h"
#include "concord/crypto/keys.h"

namespace concord::crypto {

class PublicKeyCache final {
 public:
  explicit PublicKeyCache(size_t capacity = 1024) : capacity_(capacity) {}
  PublicKeyCache(const PublicKeyCache&) = delete;
  PublicKeyCache& operator=(const PublicKeyCache&) = delete;

  // PublicKey::FromSpkiDer(spki_der), memoized. Same errors.
  absl::StatusOr<PublicKey> FromSpkiDer(ByteView spki_der);

 private:
  const size_t capacity_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, PublicKey> keys_ ABSL_GUARDED_BY(mu_);
};

}  // namespace concord::crypto

// Content-addressed history objects in the store: their key names
// ("manifests/<hex>", "policies/<hex>", "certs/<hex>", "transitions/<hex>")
// and a read that re-hashes what comes back, since the store is untrusted.
// Thread-safe (the Store is).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "concord/common/bytes.h"
#include "concord/crypto/hash.h"
#include "concord/store/store.h"

namespace concord::history {

enum class ObjectType {
  kManifest,    // manifests/<sha256 of the manifest bytes>
  kPolicy,      // policies/<sha256 of the policy document>
  kCaBundle,    // certs/<sha256 of the CA bundle>
  kTransition,  // transitions/<sha256 of the encoded transition>
};

// "manifests/", "policies/", "certs/" or "transitions/".
absl::string_view ObjectPrefix(ObjectType type);

// The store key: prefix followed by the 64 lower-case hex characters of `hash`.
std::string ObjectKey(ObjectType type, const crypto::Sha256Digest& hash);

// Reads the object and checks that its SHA-256 equals `hash`. NotFound
// ("<key>: missing") when absent, DataLoss ("<key>: hash mismatch") when the
// content was changed, other store errors as they come (e.g. Unavailable).
absl::StatusOr<Bytes> ReadObject(store::Store& store, ObjectType type,
                                 const crypto::Sha256Digest& hash);

}  // namespace concord::history

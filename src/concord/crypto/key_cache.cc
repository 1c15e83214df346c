#include "concord/crypto/key_cache.h"

namespace concord::crypto {

absl::StatusOr<PublicKey> PublicKeyCache::FromSpkiDer(ByteView spki_der) {
  std::string cache_key(AsStringView(spki_der));
  {
    absl::MutexLock lock(&mu_);
    if (auto it = keys_.find(cache_key); it != keys_.end()) {
      return it->second;
    }
  }
  // Decode outside the lock; a concurrent decode of the same key is harmless.
  absl::StatusOr<PublicKey> key = PublicKey::FromSpkiDer(spki_der);
  if (!key.ok()) {
    return key.status();
  }
  absl::MutexLock lock(&mu_);
  if (keys_.size() >= capacity_) {
    keys_.clear();  // Simple bound; histories use far fewer distinct keys.
  }
  keys_.emplace(std::move(cache_key), *key);
  return key;
}

}  // namespace concord::crypto

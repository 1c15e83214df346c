#include "concord/attest/snp/signer_cache.h"

namespace concord::attest {

std::shared_ptr<const VerifiedSigner> SnpSignerCache::Find(const crypto::Sha256Digest& key) const {
  absl::MutexLock lock(&mu_);
  auto it = map_.find(key);
  return it == map_.end() ? nullptr : it->second;
}

void SnpSignerCache::Insert(const crypto::Sha256Digest& key,
                            std::shared_ptr<const VerifiedSigner> signer) {
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = map_.insert_or_assign(key, std::move(signer));
  if (!inserted) {
    return;
  }
  order_.push_back(key);
  while (map_.size() > capacity_ && !order_.empty()) {
    map_.erase(order_.front());
    order_.pop_front();
  }
}

size_t SnpSignerCache::size() const {
  absl::MutexLock lock(&mu_);
  return map_.size();
}

}  // namespace concord::attest

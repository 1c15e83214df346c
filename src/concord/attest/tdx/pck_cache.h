// Bounded, thread-safe caches behind TdxVerifier's hot path: PCK chains
// parsed from quotes (keyed by SHA-256 of the chain's PEM), and certificate
// chains already verified against a given collateral (keyed by SHA-256 over
// the chain and the collateral's content), each with the time window in
// which that verification result holds. A hit skips PEM parsing, SGX
// extension parsing and X509_verify_cert; the caller still checks the window
// at the verification time. Eviction is first-in, first-out. All methods are
// thread-safe; entries are immutable and shared.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "concord/attest/tdx/intel_pki.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/ssl_ptr.h"

namespace concord::attest {

// A quote's PCK chain (PCK certificate, PCK CA, root), parsed.
struct TdxPckChain {
  TdxPckChain(crypto::SslPtr<X509> l, crypto::SslPtr<X509> c, crypto::SslPtr<X509> r,
              PckExtensions p, crypto::PublicKey k)
      : leaf(std::move(l)), ca(std::move(c)), root(std::move(r)), pck(p), key(std::move(k)) {}
  // Read-only after construction (X509_verify_cert only reads them).
  crypto::SslPtr<X509> leaf;
  crypto::SslPtr<X509> ca;
  crypto::SslPtr<X509> root;
  PckExtensions pck;
  crypto::PublicKey key;
  // Intersection of the three certificates' validity windows.
  absl::Time not_before = absl::InfinitePast();
  absl::Time not_after = absl::InfiniteFuture();
};

// Inclusive [from, until].
struct TdxValidityWindow {
  absl::Time from = absl::InfinitePast();
  absl::Time until = absl::InfiniteFuture();
  bool Contains(absl::Time t) const { return t >= from && t <= until; }
};

class TdxPckCache final {
 public:
  // `capacity` bounds each of the two maps; 0 disables caching (every
  // verification parses and verifies the chains; used to measure the cost).
  explicit TdxPckCache(size_t capacity) : capacity_(capacity) {}
  TdxPckCache(const TdxPckCache&) = delete;
  TdxPckCache& operator=(const TdxPckCache&) = delete;

  std::shared_ptr<const TdxPckChain> FindChain(const crypto::Sha256Digest& key) const;
  void InsertChain(const crypto::Sha256Digest& key, std::shared_ptr<const TdxPckChain> chain);
  std::optional<TdxValidityWindow> FindVerified(const crypto::Sha256Digest& key) const;
  void InsertVerified(const crypto::Sha256Digest& key, TdxValidityWindow window);
  size_t chains() const;
  size_t verified() const;

 private:
  template <typename V>
  struct Fifo {
    absl::flat_hash_map<crypto::Sha256Digest, V> map;
    std::deque<crypto::Sha256Digest> order;
  };
  template <typename V>
  void InsertLocked(Fifo<V>& fifo, const crypto::Sha256Digest& key, V value)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t capacity_;
  mutable absl::Mutex mu_;
  Fifo<std::shared_ptr<const TdxPckChain>> chains_ ABSL_GUARDED_BY(mu_);
  Fifo<TdxValidityWindow> verified_ ABSL_GUARDED_BY(mu_);
};

// Header-only: small, and used by verifier.cc alone.
template <typename V>
void TdxPckCache::InsertLocked(Fifo<V>& fifo, const crypto::Sha256Digest& key, V value) {
  if (capacity_ == 0) {
    return;
  }
  auto [it, inserted] = fifo.map.insert_or_assign(key, std::move(value));
  (void)it;
  if (!inserted) {
    return;
  }
  fifo.order.push_back(key);
  while (fifo.map.size() > capacity_ && !fifo.order.empty()) {
    fifo.map.erase(fifo.order.front());
    fifo.order.pop_front();
  }
}

inline std::shared_ptr<const TdxPckChain> TdxPckCache::FindChain(
    const crypto::Sha256Digest& key) const {
  absl::MutexLock lock(&mu_);
  auto it = chains_.map.find(key);
  return it == chains_.map.end() ? nullptr : it->second;
}

inline void TdxPckCache::InsertChain(const crypto::Sha256Digest& key,
                                     std::shared_ptr<const TdxPckChain> chain) {
  absl::MutexLock lock(&mu_);
  InsertLocked(chains_, key, std::move(chain));
}

inline std::optional<TdxValidityWindow> TdxPckCache::FindVerified(
    const crypto::Sha256Digest& key) const {
  absl::MutexLock lock(&mu_);
  auto it = verified_.map.find(key);
  if (it == verified_.map.end()) {
    return std::nullopt;
  }
  return it->second;
}

inline void TdxPckCache::InsertVerified(const crypto::Sha256Digest& key, TdxValidityWindow window) {
  absl::MutexLock lock(&mu_);
  InsertLocked(verified_, key, window);
}

inline size_t TdxPckCache::chains() const {
  absl::MutexLock lock(&mu_);
  return chains_.map.size();
}

inline size_t TdxPckCache::verified() const {
  absl::MutexLock lock(&mu_);
  return verified_.map.size();
}

}  // namespace concord::attest

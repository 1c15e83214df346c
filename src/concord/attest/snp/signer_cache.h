// A bounded, thread-safe cache of report-signing certificates whose chain has
// been verified (SnpVerifier). Keyed by SHA-256 over the evidence's
// certificates (see SnpVerifier); an entry keeps the prepared P-384 verifier,
// the AMD extensions, the product, and the chain's validity window, so a hit
// skips certificate parsing and chain verification but the caller still
// checks the window at the verification time. Eviction is first-in,
// first-out. All methods are thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "concord/attest/reference_values.h"
#include "concord/attest/snp/report.h"
#include "concord/attest/snp/signer_cert.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/p384_verify.h"

namespace concord::attest {

struct VerifiedSigner {
  VerifiedSigner(SnpSignerCert c, crypto::P384Verifier v)
      : cert(std::move(c)), verifier(std::move(v)) {}
  SnpSignerCert cert;
  crypto::P384Verifier verifier;
  SnpProduct product = SnpProduct::kMilan;
  SnpSigningKey key = SnpSigningKey::kVcek;
  // Intersection of the validity windows of leaf, intermediate and root.
  absl::Time not_before = absl::InfinitePast();
  absl::Time not_after = absl::InfiniteFuture();
  // SHA-256 of the root's SPKI (the simulated ARK pin; AMD ARK otherwise).
  crypto::Sha256Digest root_spki_sha256{};
};

class SnpSignerCache final {
 public:
  explicit SnpSignerCache(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}
  SnpSignerCache(const SnpSignerCache&) = delete;
  SnpSignerCache& operator=(const SnpSignerCache&) = delete;

  // The entry for `key`, or null. Entries are shared: an evicted entry stays
  // alive for verifications still using it (hence shared_ptr).
  std::shared_ptr<const VerifiedSigner> Find(const crypto::Sha256Digest& key) const;
  // Inserts or replaces; evicts the oldest entry when full.
  void Insert(const crypto::Sha256Digest& key, std::shared_ptr<const VerifiedSigner> signer);
  size_t size() const;

 private:
  const size_t capacity_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<crypto::Sha256Digest, std::shared_ptr<const VerifiedSigner>> map_
      ABSL_GUARDED_BY(mu_);
  std::deque<crypto::Sha256Digest> order_ ABSL_GUARDED_BY(mu_);
};

}  // namespace concord::attest

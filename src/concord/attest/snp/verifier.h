// SnpVerifier: verifies AMD SEV-SNP evidence (and, when enabled, evidence of
// the simulated platform, which uses the same report format and code path)
// against the compiled-in AMD roots and reference values. Used by aTLS, the
// coordinator and `concord evidence verify`. Thread-safe: Verify() may be
// called concurrently; verified certificate chains are cached internally.
//
// Order of checks (docs/attestation.md): options and platform; report parse;
// certificates (count, size, parse, P-384 key); product (CPUID and
// productName); certificate chain to the ARK at `at` (skipped on a cache hit,
// but the cached validity window is still checked); report signature; hwID and
// SPL binding; debug policy and TCB sanity; expected report/host data;
// reference values.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/attest/evidence.h"
#include "concord/attest/snp/signer_cache.h"

namespace concord::attest {

class SnpVerifier final : public EvidenceVerifier {
 public:
  struct Options {
    // Accept Platform::kSimulated evidence, checked against
    // ReferenceValues::simulated. Never enable in production deployments.
    bool allow_simulated = false;
    // Most verified certificate chains kept.
    size_t cache_capacity = 1024;
  };

  // Internal if a compiled-in AMD root fails its fingerprint check.
  static absl::StatusOr<std::unique_ptr<SnpVerifier>> Create(Options options);

  SnpVerifier(const SnpVerifier&) = delete;
  SnpVerifier& operator=(const SnpVerifier&) = delete;

  // Verifies SNP (or simulated) evidence; see evidence.h for the error codes.
  absl::StatusOr<Claims> Verify(const Evidence& evidence,
                                const VerifyOptions& options) const override;

  // How many certificate chains were verified (cache misses), for tests.
  uint64_t ChainVerificationsForTest() const { return chain_verifications_.load(); }

 private:
  explicit SnpVerifier(Options options) : options_(options), cache_(options.cache_capacity) {}

  absl::StatusOr<std::shared_ptr<const VerifiedSigner>> VerifySigner(
      const Evidence& evidence, const SnpReport& report, std::optional<SnpProduct> cpuid_product,
      absl::Time at) const;

  const Options options_;
  mutable SnpSignerCache cache_;  // Internally synchronized.
  mutable std::atomic<uint64_t> chain_verifications_{0};
};

// The checks of SnpVerifier::Verify() that need no certificate: the always-on
// guest policy (no debug, reserved bit 17 set), consistent TCB values
// (reported and committed at most current, decoded for `product`) and the
// expected report and host data of `options`. PermissionDenied
// "<prefix>: ..." naming the check. Verify() runs them after the signature;
// the collateral adapters run them on evidence whose VCEK is not cached yet,
// before asking for it (collateral/verifiers.h). Thread-safe.
absl::Status CheckSnpReportWithoutSigner(const SnpReport& report, SnpProduct product,
                                         const VerifyOptions& options, absl::string_view prefix);

}  // namespace concord::attest

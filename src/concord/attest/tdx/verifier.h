// TdxVerifier: verifies Intel TDX DCAP quotes (v4, v5) against the
// compiled-in Intel SGX Root CA and Intel collateral (TCB Info, QE Identity,
// CRLs) supplied at creation, then against reference values. Evidence:
// platform kTdx, `report` = the quote bytes (trailing zero padding allowed),
// `certs` ignored (the PCK chain travels inside the quote). Thread-safe:
// immutable after Create().
//
// A bounded cache (pck_cache.h) keeps parsed PCK chains and the results of
// chain verification (PCK chain with both CRLs, TCB Signing chain) per
// collateral, each with the window in which it holds, so that a repeated
// quote costs the quote parse, the QE report and quote signatures (two P-256
// verifies), the QE identity and TCB evaluation.
//
// Order of checks (docs/attestation.md, "TDX"): options and platform; quote
// parse; PCK chain parse and SGX extensions; collateral for the PCK FMSPC and
// PCE-ID, current at `at` (TCB info, QE identity, both CRLs); TCB Signing
// chain; PCK chain to the root with both CRLs; QE report signature (PCK key);
// QE report data = SHA-256(attestation key || QE auth data) || 0^32; quote
// signature (attestation key); QE identity (MRSIGNER, ISVPRODID, masked
// MISCSELECT and ATTRIBUTES); TCB evaluation (no level: reject; Revoked:
// reject); debug TD; expected report data and host data (MRCONFIGID[0:32]);
// reference values.
//
// Error codes follow evidence.h, plus FailedPrecondition when the collateral
// is missing or not current at `at` (refresh it from Intel PCS).
#pragma once

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "concord/attest/evidence.h"
#include "concord/attest/tdx/collateral.h"
#include "concord/attest/tdx/pck_cache.h"
#include "nlohmann/json.hpp"

namespace concord::attest {

namespace internal {
struct PreparedTdxCollateral;
}

class TdxVerifier final : public EvidenceVerifier {
 public:
  struct Options {
    // Collateral, typically one per FMSPC. A quote is checked against the
    // first entry for its FMSPC and PCE-ID whose TCB info is current at `at`.
    std::vector<TdxCollateral> collateral;
    // Most parsed PCK chains (about 5 KB each: one per TDX host seen), and
    // most verified chain results, kept; 0 turns the cache off.
    size_t cache_capacity = 256;
  };

  // Parses every collateral entry and checks the TCB Info and QE Identity
  // signatures with the TCB Signing certificate (the chain itself is checked
  // at verification time). InvalidArgument for malformed collateral,
  // Unauthenticated "tdx: collateral <i>: TCB info signature does not verify
  // ...", Internal if the compiled-in root fails its fingerprint.
  static absl::StatusOr<std::unique_ptr<TdxVerifier>> Create(Options options);

  ~TdxVerifier() override;
  TdxVerifier(const TdxVerifier&) = delete;
  TdxVerifier& operator=(const TdxVerifier&) = delete;

  absl::StatusOr<Claims> Verify(const Evidence& evidence,
                                const VerifyOptions& options) const override;

  // Entries in the parsed-chain and verified-chain caches.
  size_t CachedChainsForTest() const { return cache_->chains(); }
  size_t CachedVerificationsForTest() const { return cache_->verified(); }

 private:
  TdxVerifier(std::vector<std::unique_ptr<internal::PreparedTdxCollateral>> collateral,
              size_t cache_capacity);

  // Parses the quote's PCK chain, or returns the cached parse; `key` is the
  // SHA-256 of its PEM.
  absl::StatusOr<std::shared_ptr<const TdxPckChain>> PckChainFor(
      const TdxQuote& quote, const crypto::Sha256Digest& key) const;

  const std::vector<std::unique_ptr<internal::PreparedTdxCollateral>> collateral_;
  // Internally synchronised; the verifier stays logically immutable.
  const std::unique_ptr<TdxPckCache> cache_;
};

// Renders TdxClaims for the CLI (hex byte strings, status names).
nlohmann::json TdxClaimsToJson(const TdxClaims& claims);

}  // namespace concord::attest

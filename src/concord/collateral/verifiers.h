// Adapters that let the existing verifiers take their vendor collateral from
// the CollateralCache instead of from the evidence or from files, without
// changing the verifiers: CachedSnpVerifier supplies the VCEK for SNP
// evidence that carries none (and refuses an ASK revoked by a cached AMD
// CRL); CachedTdxVerifier assembles TdxCollateral for the quote's FMSPC and
// PCK CA from the cache and keeps a TdxVerifier per collateral set. Both read
// only the cache (memory, then store): never a vendor. Used by the
// composition root (concordd) and the CLI. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "concord/attest/evidence.h"
#include "concord/attest/tdx/collateral.h"
#include "concord/attest/tdx/verifier.h"
#include "concord/collateral/cache.h"

namespace concord::collateral {

class CachedSnpVerifier final : public attest::EvidenceVerifier {
 public:
  // `inner` (an SnpVerifier) and `cache` must outlive this.
  CachedSnpVerifier(const attest::EvidenceVerifier& inner, CollateralCache& cache)
      : inner_(inner), cache_(cache) {}

  // SNP evidence without certificates: looks up the VCEK for the report's
  // chip ID and reported TCB (product from CPUID, else every product) and
  // verifies with it; FailedPrecondition "collateral: no VCEK cached for ..."
  // when none is cached (fetch it from AMD KDS). When the product's AMD CRL is
  // cached, Unauthenticated if it revokes the compiled-in ASK. Other evidence
  // goes to `inner` unchanged. Errors otherwise as `inner`.
  absl::StatusOr<attest::Claims> Verify(const attest::Evidence& evidence,
                                        const attest::VerifyOptions& options) const override;

 private:
  const attest::EvidenceVerifier& inner_;
  CollateralCache& cache_;
};

// The TDX collateral for `fmspc` with the PCK CRL of `pck_ca` ("platform" or
// "processor"), from the cache. FailedPrecondition "collateral: no <kind>
// <key> cached" when a piece is missing; store errors as Lookup().
absl::StatusOr<attest::TdxCollateral> TdxCollateralFromCache(CollateralCache& cache,
                                                             absl::string_view fmspc_key,
                                                             absl::string_view pck_ca);

// The origin of a TDX quote's PCK certificate: its FMSPC (item key) and the
// issuing CA ("platform" or "processor"), read from the quote's PCK chain
// without verifying it. InvalidArgument for a malformed quote or chain.
struct TdxPckOrigin {
  std::string fmspc_key;
  std::string pck_ca;
};
absl::StatusOr<TdxPckOrigin> TdxPckOriginOf(const attest::TdxQuote& quote);

// One collateral item by kind and key.
struct CollateralRef {
  CollateralKind kind = CollateralKind::kSnpVcek;
  std::string key;
  // Whether the key is known to name a real item: a kind whose keys form a
  // small fixed set (cert chains, CRLs, QE identity), or a key a vendor
  // signature vouches for (CollateralToWant). false for keys read from
  // evidence nothing has authenticated: the refresher keeps those in its
  // bounded, expiring pool (CollateralRefresher::WantUnverified).
  bool vouched = false;
  bool operator==(const CollateralRef&) const = default;
};

// The cached items that verifying `evidence` reads. TDX: the TCB info of its
// FMSPC, the QE identity, the PCK CRL of its PCK CA and the Root CA CRL.
// SNP without certificates: the VCEK for its chip and reported TCB (one per
// candidate product when the report does not name its product), and each
// candidate product's cert chain and CRL. SNP with certificates and simulated
// evidence: none. Read from unverified evidence: only the fixed keys are
// `vouched`; callers bound what they do with the rest. InvalidArgument when
// the evidence does not parse.
absl::StatusOr<std::vector<CollateralRef>> RequiredCollateral(const attest::Evidence& evidence);

// What a verifier that missed collateral for `evidence` should have fetched:
// RequiredCollateral, once the evidence has passed every check that needs
// none of it, else that check's error. TDX: the quote parses and its PCK
// chain verifies to Intel's root at `options.at` (revocation is not checked:
// the CRLs may be what is missing), which vouches for the FMSPC; an
// unverified chain wants nothing (Unauthenticated). SNP without
// certificates: the report parses, is signed by a VCEK (InvalidArgument for
// a VLEK, which only the host has, or a masked chip ID), and passes the
// guest policy, TCB consistency and expected report/host data checks of
// `options` (attest::CheckSnpReportWithoutSigner; PermissionDenied) for at
// least one candidate product. Nothing but the VCEK proves a chip ID, so the
// VCEK keys stay unvouched. Thread-safe.
absl::StatusOr<std::vector<CollateralRef>> CollateralToWant(const attest::Evidence& evidence,
                                                            const attest::VerifyOptions& options);

class CachedTdxVerifier final : public attest::EvidenceVerifier {
 public:
  // `cache` must outlive this.
  explicit CachedTdxVerifier(CollateralCache& cache) : cache_(cache) {}

  // TDX evidence: parses the quote's PCK chain for the FMSPC and the issuing
  // CA, assembles the collateral from the cache and verifies with a
  // TdxVerifier built for exactly that collateral (reused while it is
  // unchanged). InvalidArgument for a malformed quote; FailedPrecondition for
  // missing collateral; otherwise as TdxVerifier. Other platforms:
  // PermissionDenied.
  absl::StatusOr<attest::Claims> Verify(const attest::Evidence& evidence,
                                        const attest::VerifyOptions& options) const override;

 private:
  CollateralCache& cache_;
  mutable absl::Mutex mu_;
  // Keyed by the content hashes of the four items; small (one per FMSPC).
  mutable absl::flat_hash_map<std::string, std::shared_ptr<const attest::TdxVerifier>> verifiers_
      ABSL_GUARDED_BY(mu_);
  // FMSPC and CA by SHA-256 of the quote's PCK chain PEM (one per machine).
  mutable absl::flat_hash_map<std::string, TdxPckOrigin> origins_ ABSL_GUARDED_BY(mu_);
};

// Every platform behind one verifier (the coordinator's and the clients'):
// SNP through CachedSnpVerifier (the evidence's own VCEK, else the cache),
// TDX through CachedTdxVerifier, simulated straight to `snp` (an SnpVerifier,
// which decides whether simulated evidence is allowed). When the cache lacks
// an item (FailedPrecondition) and `on_missing` is set, the evidence must
// pass CollateralToWant: if it does, `on_missing` receives what it needs
// (e.g. to have a refresher fetch it in the background) and the call still
// fails with FailedPrecondition, so the caller retries; if not, the call
// fails with that check's error and nothing is wanted. Never fetches itself.
// Thread-safe; `snp` and `cache` must outlive it, `on_missing` must be
// thread-safe.
class PlatformVerifier final : public attest::EvidenceVerifier {
 public:
  using MissingCallback = std::function<void(const std::vector<CollateralRef>&)>;

  PlatformVerifier(const attest::EvidenceVerifier& snp, CollateralCache& cache,
                   MissingCallback on_missing = nullptr)
      : snp_(snp), cached_snp_(snp, cache), tdx_(cache), on_missing_(std::move(on_missing)) {}

  // Errors as the verifier of the evidence's platform.
  absl::StatusOr<attest::Claims> Verify(const attest::Evidence& evidence,
                                        const attest::VerifyOptions& options) const override;

 private:
  const attest::EvidenceVerifier& snp_;
  CachedSnpVerifier cached_snp_;
  CachedTdxVerifier tdx_;
  const MissingCallback on_missing_;
};

}  // namespace concord::collateral

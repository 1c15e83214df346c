#include "concord/collateral/verifiers.h"

#include <openssl/x509.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "concord/attest/snp/amd_roots.h"
#include "concord/attest/snp/report.h"
#include "concord/attest/snp/verifier.h"
#include "concord/attest/tdx/intel_pki.h"
#include "concord/attest/tdx/quote.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/openssl_status.h"
#include "concord/crypto/x509.h"

namespace concord::collateral {
namespace {

using attest::SnpProduct;

// Most cached TdxVerifiers and PCK chain origins; all are dropped beyond it.
constexpr size_t kMaxTdxVerifiers = 64;
constexpr size_t kMaxPckOrigins = 4096;

absl::Status CheckAskNotRevoked(CollateralCache& cache, SnpProduct product) {
  absl::StatusOr<std::shared_ptr<const ValidatedItem>> crl =
      cache.Lookup(CollateralKind::kSnpCrl, SnpProductKey(product));
  if (absl::IsNotFound(crl.status())) {
    return absl::OkStatus();
  }
  CONCORD_RETURN_IF_ERROR(crl.status());
  CONCORD_ASSIGN_OR_RETURN(crypto::SslPtr<X509_CRL> parsed,
                           crypto::ParseCrlDerOrPem((*crl)->item.body));
  CONCORD_ASSIGN_OR_RETURN(const attest::AmdRootCerts* roots, attest::GetAmdRoots(product));
  X509_REVOKED* revoked = nullptr;
  if (X509_CRL_get0_by_cert(parsed.get(), &revoked, roots->ask.get()) == 1) {
    return absl::UnauthenticatedError(
        absl::StrCat("snp: the ", attest::SnpProductName(product), " ASK is revoked by AMD's CRL"));
  }
  crypto::ClearOpenSslErrors();
  return absl::OkStatus();
}

// The product and VCEK key an SNP report may be signed under: its CPUID
// product, or each product in turn for reports that do not name one (a
// product whose key the chip ID cannot form, e.g. Turin for a full 64-byte
// ID, is skipped).
using VcekCandidate = std::pair<SnpProduct, std::string>;
absl::StatusOr<std::vector<VcekCandidate>> VcekCandidates(const attest::SnpReport& report) {
  CONCORD_ASSIGN_OR_RETURN(std::optional<SnpProduct> cpuid, report.CpuidProduct());
  std::vector<SnpProduct> products;
  if (cpuid.has_value()) {
    products.push_back(*cpuid);
  } else {
    products = {SnpProduct::kMilan, SnpProduct::kGenoa, SnpProduct::kTurin};
  }
  std::vector<VcekCandidate> out;
  for (SnpProduct product : products) {
    absl::StatusOr<std::string> key = SnpVcekKey(product, report.chip_id, report.reported_tcb);
    if (key.ok()) {
      out.emplace_back(product, *std::move(key));
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<attest::Claims> CachedSnpVerifier::Verify(
    const attest::Evidence& evidence, const attest::VerifyOptions& options) const {
  if (evidence.platform != attest::Platform::kSnp || !evidence.certs.empty()) {
    return inner_.Verify(evidence, options);
  }
  CONCORD_ASSIGN_OR_RETURN(attest::SnpReport report, attest::SnpReport::Parse(evidence.report));
  CONCORD_ASSIGN_OR_RETURN(std::vector<VcekCandidate> candidates, VcekCandidates(report));
  for (const auto& [product, key] : candidates) {
    absl::StatusOr<std::shared_ptr<const ValidatedItem>> vcek =
        cache_.Lookup(CollateralKind::kSnpVcek, key);
    if (absl::IsNotFound(vcek.status())) {
      continue;
    }
    CONCORD_RETURN_IF_ERROR(vcek.status());
    CONCORD_RETURN_IF_ERROR(CheckAskNotRevoked(cache_, product));
    attest::Evidence with_vcek = evidence;
    with_vcek.certs.push_back((*vcek)->item.body);
    return inner_.Verify(with_vcek, options);
  }
  return absl::FailedPreconditionError(
      absl::StrCat("collateral: no VCEK cached for chip ",
                   HexEncode(ByteView(report.chip_id).first(8)), "... at reported TCB ",
                   absl::Hex(report.reported_tcb, absl::kZeroPad16), " (fetch it from AMD KDS)"));
}

namespace {

// A quote's PCK chain, parsed (the PCK certificate first), and its origin.
struct PckChain {
  std::vector<crypto::SslPtr<X509>> certs;
  TdxPckOrigin origin;
};

absl::StatusOr<PckChain> ParsePckChain(const attest::TdxQuote& quote) {
  absl::StatusOr<std::vector<crypto::SslPtr<X509>>> chain =
      crypto::ParseCertChainPem(quote.pck_chain_pem, 3);
  if (!chain.ok() || chain->size() < 2) {
    return absl::InvalidArgumentError("tdx: PCK chain: want the PCK certificate and its CA");
  }
  CONCORD_ASSIGN_OR_RETURN(attest::PckExtensions pck,
                           attest::ParsePckExtensions((*chain)[0].get()));
  char cn[256] = {0};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name((*chain)[1].get()), NID_commonName, cn,
                                sizeof(cn)) <= 0) {
    crypto::ClearOpenSslErrors();
    return absl::InvalidArgumentError("tdx: PCK chain: the CA has no common name");
  }
  return PckChain{
      *std::move(chain),
      {TdxFmspcKey(pck.fmspc), absl::StrContains(cn, "Processor") ? "processor" : "platform"}};
}

// The items of a TDX quote from `origin`; the FMSPC's TCB info is vouched
// for only when `fmspc_vouched`.
std::vector<CollateralRef> TdxItemsFor(TdxPckOrigin origin, bool fmspc_vouched) {
  return {{CollateralKind::kTdxTcbInfo, std::move(origin.fmspc_key), fmspc_vouched},
          {CollateralKind::kTdxQeIdentity, std::string(kTdxQeIdentityKey), true},
          {CollateralKind::kTdxPckCrl, std::move(origin.pck_ca), true},
          {CollateralKind::kTdxRootCaCrl, std::string(kTdxRootCaCrlKey), true}};
}

// The items of SNP evidence without certificates signed under `candidates`.
std::vector<CollateralRef> SnpItemsFor(std::vector<VcekCandidate> candidates) {
  std::vector<CollateralRef> out;
  for (auto& [product, key] : candidates) {
    out.push_back({CollateralKind::kSnpVcek, std::move(key), false});
    out.push_back({CollateralKind::kSnpCertChain, SnpProductKey(product), true});
    out.push_back({CollateralKind::kSnpCrl, SnpProductKey(product), true});
  }
  return out;
}

// Those of `candidates` under which `report` passes every check needing no
// VCEK (CollateralToWant), or the first failure.
absl::StatusOr<std::vector<VcekCandidate>> CheckedVcekCandidates(
    const attest::SnpReport& report, std::vector<VcekCandidate> candidates,
    const attest::VerifyOptions& options) {
  if (report.signing_key() != attest::SnpSigningKey::kVcek) {
    return absl::InvalidArgumentError(
        "collateral: the report is signed by a VLEK, which only the host has: the evidence "
        "must carry it");
  }
  if (std::all_of(report.chip_id.begin(), report.chip_id.end(), [](uint8_t b) { return b == 0; })) {
    return absl::InvalidArgumentError(
        "collateral: the report's chip ID is masked: the evidence must carry its VCEK");
  }
  std::vector<VcekCandidate> passed;
  absl::Status first_failure;
  for (VcekCandidate& candidate : candidates) {
    absl::Status checked =
        attest::CheckSnpReportWithoutSigner(report, candidate.first, options, "snp");
    if (checked.ok()) {
      passed.push_back(std::move(candidate));
    } else if (first_failure.ok()) {
      first_failure = checked;
    }
  }
  if (!passed.empty()) {
    return passed;
  }
  if (!first_failure.ok()) {
    return first_failure;
  }
  return absl::InvalidArgumentError("collateral: the report's chip ID fits no product's VCEK key");
}

// RequiredCollateral, after the checks of CollateralToWant when `checks` is
// set (and the FMSPC then vouched for).
absl::StatusOr<std::vector<CollateralRef>> CollateralFor(const attest::Evidence& evidence,
                                                         const attest::VerifyOptions* checks) {
  switch (evidence.platform) {
    case attest::Platform::kSimulated:
      return std::vector<CollateralRef>();
    case attest::Platform::kTdx: {
      CONCORD_ASSIGN_OR_RETURN(attest::TdxQuote quote, attest::TdxQuote::Parse(evidence.report));
      CONCORD_ASSIGN_OR_RETURN(PckChain chain, ParsePckChain(quote));
      if (checks != nullptr) {
        X509* root = chain.certs.size() > 2 ? chain.certs[2].get() : nullptr;
        CONCORD_RETURN_IF_ERROR(attest::VerifyIntelChainIgnoringRevocation(
            chain.certs[0].get(), {chain.certs[1].get()}, root, checks->at, "PCK"));
      }
      return TdxItemsFor(std::move(chain.origin), /*fmspc_vouched=*/checks != nullptr);
    }
    case attest::Platform::kSnp:
      break;
  }
  if (!evidence.certs.empty()) {
    return std::vector<CollateralRef>();
  }
  CONCORD_ASSIGN_OR_RETURN(attest::SnpReport report, attest::SnpReport::Parse(evidence.report));
  CONCORD_ASSIGN_OR_RETURN(std::vector<VcekCandidate> candidates, VcekCandidates(report));
  if (checks != nullptr) {
    CONCORD_ASSIGN_OR_RETURN(candidates,
                             CheckedVcekCandidates(report, std::move(candidates), *checks));
  }
  return SnpItemsFor(std::move(candidates));
}

}  // namespace

absl::StatusOr<TdxPckOrigin> TdxPckOriginOf(const attest::TdxQuote& quote) {
  CONCORD_ASSIGN_OR_RETURN(PckChain chain, ParsePckChain(quote));
  return std::move(chain.origin);
}

absl::StatusOr<std::vector<CollateralRef>> RequiredCollateral(const attest::Evidence& evidence) {
  return CollateralFor(evidence, nullptr);
}

absl::StatusOr<std::vector<CollateralRef>> CollateralToWant(const attest::Evidence& evidence,
                                                            const attest::VerifyOptions& options) {
  return CollateralFor(evidence, &options);
}

absl::StatusOr<attest::Claims> PlatformVerifier::Verify(
    const attest::Evidence& evidence, const attest::VerifyOptions& options) const {
  absl::StatusOr<attest::Claims> claims;
  switch (evidence.platform) {
    case attest::Platform::kSimulated:
      return snp_.Verify(evidence, options);
    case attest::Platform::kSnp:
      claims = cached_snp_.Verify(evidence, options);
      break;
    case attest::Platform::kTdx:
      claims = tdx_.Verify(evidence, options);
      break;
  }
  if (!absl::IsFailedPrecondition(claims.status()) || on_missing_ == nullptr) {
    return claims;
  }
  // Anyone can send evidence: only what passes every check that needs no
  // collateral may have items fetched for it.
  absl::StatusOr<std::vector<CollateralRef>> wanted = CollateralToWant(evidence, options);
  if (!wanted.ok()) {
    return wanted.status();
  }
  if (!wanted->empty()) {
    on_missing_(*wanted);
  }
  return claims;
}

namespace {

// The four cached items a TDX verification reads.
struct TdxItems {
  std::shared_ptr<const ValidatedItem> tcb_info;
  std::shared_ptr<const ValidatedItem> qe_identity;
  std::shared_ptr<const ValidatedItem> pck_crl;
  std::shared_ptr<const ValidatedItem> root_crl;
};

absl::StatusOr<TdxItems> LookupTdxItems(CollateralCache& cache, absl::string_view fmspc_key,
                                        absl::string_view pck_ca) {
  auto get = [&](CollateralKind kind,
                 absl::string_view key) -> absl::StatusOr<std::shared_ptr<const ValidatedItem>> {
    absl::StatusOr<std::shared_ptr<const ValidatedItem>> item = cache.Lookup(kind, key);
    if (absl::IsNotFound(item.status())) {
      return absl::FailedPreconditionError(absl::StrCat("collateral: no ", KindName(kind), " ", key,
                                                        " cached (fetch it from Intel PCS)"));
    }
    return item;
  };
  TdxItems out;
  CONCORD_ASSIGN_OR_RETURN(out.tcb_info, get(CollateralKind::kTdxTcbInfo, fmspc_key));
  CONCORD_ASSIGN_OR_RETURN(out.qe_identity, get(CollateralKind::kTdxQeIdentity, kTdxQeIdentityKey));
  CONCORD_ASSIGN_OR_RETURN(out.pck_crl, get(CollateralKind::kTdxPckCrl, pck_ca));
  CONCORD_ASSIGN_OR_RETURN(out.root_crl, get(CollateralKind::kTdxRootCaCrl, kTdxRootCaCrlKey));
  return out;
}

attest::TdxCollateral ToTdxCollateral(const TdxItems& items) {
  attest::TdxCollateral out;
  out.tcb_info_json = ToString(items.tcb_info->item.body);
  out.qe_identity_json = ToString(items.qe_identity->item.body);
  out.tcb_signing_chain_pem = items.tcb_info->item.issuer_chain_pem;
  out.pck_crl = items.pck_crl->item.body;
  out.root_ca_crl = items.root_crl->item.body;
  return out;
}

}  // namespace

absl::StatusOr<attest::TdxCollateral> TdxCollateralFromCache(CollateralCache& cache,
                                                             absl::string_view fmspc_key,
                                                             absl::string_view pck_ca) {
  CONCORD_ASSIGN_OR_RETURN(TdxItems items, LookupTdxItems(cache, fmspc_key, pck_ca));
  return ToTdxCollateral(items);
}

absl::StatusOr<attest::Claims> CachedTdxVerifier::Verify(
    const attest::Evidence& evidence, const attest::VerifyOptions& options) const {
  if (evidence.platform != attest::Platform::kTdx) {
    return absl::PermissionDeniedError(absl::StrCat(
        "collateral: platform ", attest::PlatformName(evidence.platform), " is not TDX"));
  }
  CONCORD_ASSIGN_OR_RETURN(attest::TdxQuote quote, attest::TdxQuote::Parse(evidence.report));
  // The PCK chain's origin, remembered by the chain's hash: parsing the PEM
  // chain costs more than the rest of the lookup.
  const std::string chain_id = HexEncode(crypto::Sha256(AsBytes(quote.pck_chain_pem)));
  std::optional<TdxPckOrigin> origin;
  {
    absl::MutexLock lock(&mu_);
    auto it = origins_.find(chain_id);
    if (it != origins_.end()) {
      origin = it->second;
    }
  }
  if (!origin.has_value()) {
    CONCORD_ASSIGN_OR_RETURN(origin, TdxPckOriginOf(quote));
    absl::MutexLock lock(&mu_);
    if (origins_.size() >= kMaxPckOrigins) {
      origins_.clear();
    }
    origins_.emplace(chain_id, *origin);
  }
  CONCORD_ASSIGN_OR_RETURN(TdxItems items,
                           LookupTdxItems(cache_, origin->fmspc_key, origin->pck_ca));
  // The verifier is keyed by the exact collateral it was built from: the
  // items' content hashes.
  const std::string id = absl::StrCat(items.tcb_info->hash, items.qe_identity->hash,
                                      items.pck_crl->hash, items.root_crl->hash);
  std::shared_ptr<const attest::TdxVerifier> verifier;
  {
    absl::MutexLock lock(&mu_);
    auto it = verifiers_.find(id);
    if (it != verifiers_.end()) {
      verifier = it->second;
    }
  }
  if (verifier == nullptr) {
    attest::TdxVerifier::Options opts;
    opts.collateral.push_back(ToTdxCollateral(items));
    CONCORD_ASSIGN_OR_RETURN(std::unique_ptr<attest::TdxVerifier> created,
                             attest::TdxVerifier::Create(std::move(opts)));
    verifier = std::move(created);
    absl::MutexLock lock(&mu_);
    if (verifiers_.size() >= kMaxTdxVerifiers) {
      verifiers_.clear();
    }
    verifiers_.emplace(id, verifier);
  }
  return verifier->Verify(evidence, options);
}

}  // namespace concord::collateral

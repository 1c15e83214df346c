#include "concord/attest/snp/verifier.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "concord/attest/match.h"
#include "concord/attest/snp/amd_roots.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/common/time_format.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/secret_bytes.h"
#include "concord/crypto/x509.h"

namespace concord::attest {
namespace {

constexpr SnpProduct kAllProducts[] = {SnpProduct::kMilan, SnpProduct::kGenoa, SnpProduct::kTurin};

crypto::Sha256Digest CacheKey(const Evidence& evidence, SnpSigningKey key) {
  crypto::Hasher h(crypto::HashAlg::kSha256);
  uint8_t tag[2] = {static_cast<uint8_t>(evidence.platform), static_cast<uint8_t>(key)};
  h.Update(tag);
  // Real SNP: the intermediate and root are compiled in, so the leaf decides.
  // Simulated: the whole chain comes with the evidence.
  size_t n = evidence.platform == Platform::kSimulated ? 3 : 1;
  for (size_t i = 0; i < n; ++i) {
    h.UpdateLengthPrefixed(evidence.certs[i]);
  }
  Bytes digest = h.Finish();
  crypto::Sha256Digest out{};
  std::copy(digest.begin(), digest.end(), out.begin());
  return out;
}

absl::StatusOr<crypto::Sha256Digest> SpkiSha256Of(X509* cert, absl::string_view prefix,
                                                  absl::string_view what) {
  absl::StatusOr<crypto::PublicKey> key = crypto::PublicKey::FromEvp(X509_get0_pubkey(cert));
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": ", what, " public key: ", key.status().message()));
  }
  return key->SpkiSha256();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SnpVerifier>> SnpVerifier::Create(Options options) {
  for (SnpProduct product : kAllProducts) {
    CONCORD_RETURN_IF_ERROR(GetAmdRoots(product).status());
  }
  return std::unique_ptr<SnpVerifier>(new SnpVerifier(options));
}

absl::StatusOr<std::shared_ptr<const VerifiedSigner>> SnpVerifier::VerifySigner(
    const Evidence& evidence, const SnpReport& report, std::optional<SnpProduct> cpuid_product,
    absl::Time at) const {
  const bool simulated = evidence.platform == Platform::kSimulated;
  const absl::string_view prefix = simulated ? "simulated" : "snp";
  const SnpSigningKey key_kind = report.signing_key();
  const absl::string_view what = SnpSigningKeyName(key_kind);
  const crypto::Sha256Digest cache_key = CacheKey(evidence, key_kind);

  std::shared_ptr<const VerifiedSigner> signer = cache_.Find(cache_key);
  if (signer == nullptr) {
    CONCORD_ASSIGN_OR_RETURN(SnpSignerCert cert,
                             ParseSnpSignerCert(evidence.certs[0], what, prefix));
    absl::StatusOr<crypto::PublicKey> public_key =
        crypto::PublicKey::FromEvp(X509_get0_pubkey(cert.cert.get()));
    if (!public_key.ok() || public_key->type() != crypto::KeyType::kEcP384) {
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, ": ", what, " public key is not ECDSA P-384"));
    }
    CONCORD_ASSIGN_OR_RETURN(crypto::P384Verifier p384,
                             crypto::P384Verifier::FromPublicKey(*public_key));
    std::optional<SnpProduct> name_product = SnpProductFromName(cert.product_name);
    if (cpuid_product.has_value() && name_product.has_value() && cpuid_product != name_product) {
      return absl::UnauthenticatedError(absl::StrCat(
          prefix, ": ", what, " productName ", cert.product_name,
          " does not match the report's CPUID product ", SnpProductName(*cpuid_product)));
    }
    auto entry = std::make_shared<VerifiedSigner>(std::move(cert), std::move(p384));
    entry->key = key_kind;
    X509* leaf = entry->cert.cert.get();
    std::vector<crypto::SslPtr<X509>> sim_chain;
    X509* intermediate = nullptr;
    X509* root = nullptr;
    if (simulated) {
      for (size_t i = 1; i < 3; ++i) {
        absl::StatusOr<crypto::SslPtr<X509>> c = crypto::ParseCertDerOrPem(evidence.certs[i]);
        if (!c.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat(prefix, ": ", i == 1 ? "ASK " : "ARK ", c.status().message()));
        }
        sim_chain.push_back(std::move(c).value());
      }
      intermediate = sim_chain[0].get();
      root = sim_chain[1].get();
      entry->product = cpuid_product.value_or(name_product.value_or(SnpProduct::kMilan));
      chain_verifications_.fetch_add(1);
      CONCORD_RETURN_IF_ERROR(VerifySignerChain(leaf, intermediate, root, at, prefix, what));
    } else {
      std::vector<SnpProduct> candidates;
      if (cpuid_product.has_value()) {
        candidates.push_back(*cpuid_product);
      } else if (name_product.has_value()) {
        candidates.push_back(*name_product);
      } else {
        candidates.assign(std::begin(kAllProducts), std::end(kAllProducts));
      }
      std::vector<std::string> failures;
      absl::Status first_failure;
      for (SnpProduct product : candidates) {
        chain_verifications_.fetch_add(1);
        absl::Status s = VerifyAmdChain(leaf, product, key_kind, at);
        if (s.ok()) {
          entry->product = product;
          CONCORD_ASSIGN_OR_RETURN(const AmdRootCerts* roots, GetAmdRoots(product));
          intermediate = key_kind == SnpSigningKey::kVlek ? roots->asvk.get() : roots->ask.get();
          root = roots->ark.get();
          break;
        }
        if (first_failure.ok()) {
          first_failure = s;
        }
        failures.push_back(absl::StrCat(SnpProductName(product), ": ", s.message()));
      }
      if (root == nullptr) {
        if (candidates.size() == 1) {
          return first_failure;
        }
        return absl::UnauthenticatedError(absl::StrCat("snp: ", what,
                                                       " chain: no AMD root verifies it (",
                                                       absl::StrJoin(failures, "; "), ")"));
      }
    }
    for (X509* c : {leaf, intermediate, root}) {
      CONCORD_ASSIGN_OR_RETURN(absl::Time nb, crypto::Asn1TimeToAbsl(X509_get0_notBefore(c)));
      CONCORD_ASSIGN_OR_RETURN(absl::Time na, crypto::Asn1TimeToAbsl(X509_get0_notAfter(c)));
      entry->not_before = std::max(entry->not_before, nb);
      entry->not_after = std::min(entry->not_after, na);
    }
    CONCORD_ASSIGN_OR_RETURN(entry->root_spki_sha256, SpkiSha256Of(root, prefix, "ARK"));
    signer = entry;
    cache_.Insert(cache_key, signer);
  }

  // Checked on every verification, cached or not.
  if (at < signer->not_before) {
    return absl::UnauthenticatedError(absl::StrCat(
        prefix, ": ", what, " chain: certificate is not yet valid (at ", FormatRfc3339(at), ")"));
  }
  if (at > signer->not_after) {
    return absl::UnauthenticatedError(absl::StrCat(
        prefix, ": ", what, " chain: certificate has expired (at ", FormatRfc3339(at), ")"));
  }
  if (cpuid_product.has_value() && *cpuid_product != signer->product) {
    return absl::UnauthenticatedError(
        absl::StrCat(prefix, ": report CPUID names ", SnpProductName(*cpuid_product), " but the ",
                     what, " chains to the ", SnpProductName(signer->product), " ARK"));
  }
  return signer;
}

absl::Status CheckSnpReportWithoutSigner(const SnpReport& report, SnpProduct product,
                                         const VerifyOptions& options, absl::string_view prefix) {
  // Always-on policy, independent of reference values.
  if (report.debug_allowed()) {
    return absl::PermissionDeniedError(absl::StrCat(prefix, ": guest policy allows debug"));
  }
  if ((report.policy & kSnpPolicyReservedOne) == 0) {
    return absl::PermissionDeniedError(
        absl::StrCat(prefix, ": guest policy reserved bit 17 is not set"));
  }
  const SnpTcb reported = DecodeSnpTcb(report.reported_tcb, product);
  const SnpTcb committed = DecodeSnpTcb(report.committed_tcb, product);
  const SnpTcb current = DecodeSnpTcb(report.current_tcb, product);
  if (!SnpTcbAtMost(reported, current, product) || !SnpTcbAtMost(committed, current, product)) {
    return absl::PermissionDeniedError(absl::StrCat(
        prefix, ": TCB values are inconsistent (reported ", SnpTcbToString(reported, product),
        ", committed ", SnpTcbToString(committed, product), ", current ",
        SnpTcbToString(current, product), ")"));
  }

  if (options.report_data.has_value() &&
      !crypto::ConstantTimeEquals(*options.report_data, report.report_data)) {
    return absl::PermissionDeniedError(
        absl::StrCat(prefix, ": report data does not match the expected value"));
  }
  if (options.host_data.has_value() &&
      !crypto::ConstantTimeEquals(*options.host_data, report.host_data)) {
    return absl::PermissionDeniedError(
        absl::StrCat(prefix, ": host data does not match the expected value"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Claims> SnpVerifier::Verify(const Evidence& evidence,
                                           const VerifyOptions& options) const {
  if (options.at == absl::InfinitePast() || options.at == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError("snp: verify options: the verification time is not set");
  }
  if (evidence.platform == Platform::kTdx) {
    return absl::InvalidArgumentError("snp: evidence is for platform tdx, not snp");
  }
  const bool simulated = evidence.platform == Platform::kSimulated;
  if (simulated && !options_.allow_simulated) {
    return absl::PermissionDeniedError(
        "snp: simulated evidence is not accepted by this verifier (simulated "
        "platform disabled)");
  }
  const absl::string_view prefix = simulated ? "simulated" : "snp";

  CONCORD_ASSIGN_OR_RETURN(SnpReport report, SnpReport::Parse(evidence.report));
  const size_t want_certs = simulated ? 3 : 1;
  if (evidence.certs.size() < want_certs || evidence.certs.size() > kMaxEvidenceCerts) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": evidence certificates: want ",
                     simulated ? "exactly 3 (VCEK, ASK, ARK)" : "1 to 4 (VCEK or VLEK first)",
                     ", got ", evidence.certs.size()));
  }
  if (simulated && evidence.certs.size() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": evidence certificates: want exactly 3 (VCEK, ASK, ARK), got ",
                     evidence.certs.size()));
  }
  for (size_t i = 0; i < evidence.certs.size(); ++i) {
    if (evidence.certs[i].empty() || evidence.certs[i].size() > kMaxEvidenceCertSize) {
      return absl::InvalidArgumentError(absl::StrCat(prefix, ": evidence certificate ", i,
                                                     ": want 1 to ", kMaxEvidenceCertSize,
                                                     " bytes, got ", evidence.certs[i].size()));
    }
  }
  if (simulated && report.signing_key() != SnpSigningKey::kVcek) {
    return absl::InvalidArgumentError("simulated: report must be signed by the VCEK");
  }
  CONCORD_ASSIGN_OR_RETURN(std::optional<SnpProduct> cpuid_product, report.CpuidProduct());

  CONCORD_ASSIGN_OR_RETURN(std::shared_ptr<const VerifiedSigner> signer,
                           VerifySigner(evidence, report, cpuid_product, options.at));
  const SnpProduct product = signer->product;
  const absl::string_view what = SnpSigningKeyName(signer->key);

  crypto::Sha384Digest digest = crypto::Sha384(ByteView(evidence.report).first(kSnpSignedSize));
  if (!signer->verifier.VerifyDigest(digest, report.signature_r, report.signature_s).ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat(prefix, ": report signature does not verify with the ", what));
  }
  CONCORD_RETURN_IF_ERROR(CheckSignerBinding(report, product, signer->key, signer->cert, prefix));

  CONCORD_RETURN_IF_ERROR(CheckSnpReportWithoutSigner(report, product, options, prefix));
  const SnpTcb reported = DecodeSnpTcb(report.reported_tcb, product);
  const SnpTcb committed = DecodeSnpTcb(report.committed_tcb, product);
  const SnpTcb current = DecodeSnpTcb(report.current_tcb, product);

  Claims claims;
  claims.platform = evidence.platform;
  claims.product = std::string(SnpProductName(product));
  claims.measurement.assign(report.measurement.begin(), report.measurement.end());
  claims.report_data = report.report_data;
  claims.host_data.assign(report.host_data.begin(), report.host_data.end());
  claims.chip_id.assign(report.chip_id.begin(), report.chip_id.end());
  claims.signer_not_before = signer->not_before;
  claims.signer_not_after = signer->not_after;
  SnpClaims& snp = claims.snp.emplace();
  snp.product = product;
  snp.signing_key = signer->key;
  snp.reported_tcb = reported;
  snp.current_tcb = current;
  snp.committed_tcb = committed;
  snp.launch_tcb = DecodeSnpTcb(report.launch_tcb, product);
  snp.signer_product_name = signer->cert.product_name;
  snp.root_spki_sha256 = signer->root_spki_sha256;
  snp.report = std::move(report);
  if (options.check_reference_values) {
    CONCORD_ASSIGN_OR_RETURN(snp.matched_reference_value,
                             MatchReferenceValues(claims, options.reference_values));
  }
  return claims;
}

}  // namespace concord::attest

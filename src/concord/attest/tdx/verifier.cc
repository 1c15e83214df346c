#include "concord/attest/tdx/verifier.h"

#include <openssl/x509.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "concord/attest/match.h"
#include "concord/attest/tdx/intel_pki.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/common/time_format.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/secret_bytes.h"
#include "concord/crypto/x509.h"

namespace concord::attest {
namespace internal {

struct PreparedTdxCollateral {
  TdxTcbInfo tcb_info;
  TdxQeIdentity qe_identity;
  crypto::SslPtr<X509> tcb_signing_cert;
  crypto::SslPtr<X509> tcb_signing_root;  // May be null (compiled-in root used).
  crypto::SslPtr<X509_CRL> pck_crl;       // Null when not supplied.
  crypto::SslPtr<X509_CRL> root_ca_crl;   // Null when not supplied.
  // SHA-256 over what chain verification depends on (TCB Signing chain and
  // both CRLs): part of the verified-chain cache keys.
  crypto::Sha256Digest chain_inputs_digest{};
};

}  // namespace internal

namespace {

using internal::PreparedTdxCollateral;

// DER SubjectPublicKeyInfo prefix of an uncompressed P-256 point.
constexpr uint8_t kP256SpkiPrefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                       0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                       0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04};

absl::StatusOr<crypto::PublicKey> P256FromRaw(ByteView xy) {
  Bytes spki(std::begin(kP256SpkiPrefix), std::end(kP256SpkiPrefix));
  Append(spki, xy);
  return crypto::PublicKey::FromSpkiDer(spki);
}

// Verifies a raw r||s ECDSA P-256/SHA-256 signature.
absl::Status VerifyRaw(const crypto::PublicKey& key, ByteView message, ByteView rs) {
  absl::StatusOr<Bytes> der = crypto::EcdsaRawToDer(rs.first(32), rs.subspan(32, 32));
  if (!der.ok()) {
    return absl::UnauthenticatedError("malformed signature");
  }
  return key.VerifyEcdsa(message, *der, crypto::HashAlg::kSha256);
}

absl::StatusOr<crypto::PublicKey> P256KeyOf(X509* cert, absl::string_view what) {
  absl::StatusOr<crypto::PublicKey> key = crypto::PublicKey::FromEvp(X509_get0_pubkey(cert));
  if (!key.ok() || key->type() != crypto::KeyType::kEcP256) {
    return absl::InvalidArgumentError(absl::StrCat("tdx: ", what, " key is not ECDSA P-256"));
  }
  return key;
}

absl::StatusOr<crypto::SslPtr<X509_CRL>> OptionalCrl(const Bytes& data, size_t index,
                                                     absl::string_view what) {
  if (data.empty()) {
    return crypto::SslPtr<X509_CRL>();
  }
  if (data.size() > kTdxMaxCrlSize) {
    return absl::InvalidArgumentError(absl::StrCat("tdx: collateral ", index, ": ", what,
                                                   ": larger than ", kTdxMaxCrlSize, " bytes"));
  }
  absl::StatusOr<crypto::SslPtr<X509_CRL>> crl = crypto::ParseCrlDerOrPem(data);
  if (!crl.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tdx: collateral ", index, ": ", what, ": ", crl.status().message()));
  }
  return crl;
}

absl::StatusOr<std::unique_ptr<PreparedTdxCollateral>> Prepare(const TdxCollateral& c,
                                                               size_t index) {
  auto out = std::make_unique<PreparedTdxCollateral>();
  const std::string prefix = absl::StrCat("tdx: collateral ", index, ": ");
  auto wrap = [&](const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat(prefix, s.message()));
  };
  absl::StatusOr<SignedJson> tcb = SplitSignedJson(c.tcb_info_json, "tcbInfo", "TCB info");
  if (!tcb.ok()) {
    return wrap(tcb.status());
  }
  absl::StatusOr<SignedJson> qe =
      SplitSignedJson(c.qe_identity_json, "enclaveIdentity", "QE identity");
  if (!qe.ok()) {
    return wrap(qe.status());
  }
  absl::StatusOr<TdxTcbInfo> tcb_info = ParseTcbInfo(tcb->body);
  if (!tcb_info.ok()) {
    return wrap(tcb_info.status());
  }
  absl::StatusOr<TdxQeIdentity> qe_identity = ParseQeIdentity(qe->body);
  if (!qe_identity.ok()) {
    return wrap(qe_identity.status());
  }
  out->tcb_info = *std::move(tcb_info);
  out->qe_identity = *std::move(qe_identity);
  if (c.tcb_signing_chain_pem.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, "TCB Signing chain: missing"));
  }
  absl::StatusOr<std::vector<crypto::SslPtr<X509>>> chain =
      crypto::ParseCertChainPem(c.tcb_signing_chain_pem, 2);
  if (!chain.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, "TCB Signing chain: ", chain.status().message()));
  }
  out->tcb_signing_cert = std::move((*chain)[0]);
  if (chain->size() == 2) {
    out->tcb_signing_root = std::move((*chain)[1]);
  }
  absl::StatusOr<crypto::PublicKey> key = P256KeyOf(out->tcb_signing_cert.get(), "TCB Signing");
  if (!key.ok()) {
    return wrap(key.status());
  }
  if (!VerifyRaw(*key, AsBytes(tcb->body), tcb->signature).ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat(prefix, "TCB info signature does not verify with the TCB Signing key"));
  }
  if (!VerifyRaw(*key, AsBytes(qe->body), qe->signature).ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat(prefix, "QE identity signature does not verify with the TCB Signing key"));
  }
  CONCORD_ASSIGN_OR_RETURN(out->pck_crl, OptionalCrl(c.pck_crl, index, "PCK CRL"));
  CONCORD_ASSIGN_OR_RETURN(out->root_ca_crl, OptionalCrl(c.root_ca_crl, index, "Root CA CRL"));
  crypto::Hasher h(crypto::HashAlg::kSha256);
  for (ByteView part :
       {AsBytes(c.tcb_signing_chain_pem), ByteView(c.pck_crl), ByteView(c.root_ca_crl)}) {
    Bytes len;
    AppendBigEndian(len, part.size(), 8);
    h.Update(len);
    h.Update(part);
  }
  const Bytes digest = h.Finish();
  std::copy(digest.begin(), digest.end(), out->chain_inputs_digest.begin());
  return out;
}

absl::Status CheckWindow(absl::string_view what, absl::Time from, absl::Time until, absl::Time at) {
  if (at < from || at > until) {
    return absl::FailedPreconditionError(
        absl::StrCat("tdx: collateral: ", what, " is not current at ", FormatRfc3339(at),
                     " (valid ", FormatRfc3339(from), " to ", FormatRfc3339(until), ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckCrlWindow(absl::string_view what, X509_CRL* crl, absl::Time at) {
  if (crl == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("tdx: collateral: no ", what, " (revocation cannot be checked)"));
  }
  CONCORD_ASSIGN_OR_RETURN(absl::Time from, crypto::Asn1TimeToAbsl(X509_CRL_get0_lastUpdate(crl)));
  const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl);
  if (next == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("tdx: collateral: ", what, " has no nextUpdate"));
  }
  CONCORD_ASSIGN_OR_RETURN(absl::Time until, crypto::Asn1TimeToAbsl(next));
  return CheckWindow(what, from, until, at);
}

absl::StatusOr<TdxValidityWindow> CertWindow(X509* cert) {
  TdxValidityWindow w;
  CONCORD_ASSIGN_OR_RETURN(w.from, crypto::Asn1TimeToAbsl(X509_get0_notBefore(cert)));
  CONCORD_ASSIGN_OR_RETURN(w.until, crypto::Asn1TimeToAbsl(X509_get0_notAfter(cert)));
  return w;
}

// The window in which a chain verification that succeeded keeps succeeding:
// every certificate valid and every CRL current (revocation does not depend
// on the time).
absl::StatusOr<TdxValidityWindow> ChainWindow(const std::vector<X509*>& certs,
                                              const std::vector<X509_CRL*>& crls) {
  TdxValidityWindow w;
  for (X509* c : certs) {
    CONCORD_ASSIGN_OR_RETURN(TdxValidityWindow cw, CertWindow(c));
    w.from = std::max(w.from, cw.from);
    w.until = std::min(w.until, cw.until);
  }
  for (X509_CRL* crl : crls) {
    CONCORD_ASSIGN_OR_RETURN(absl::Time from,
                             crypto::Asn1TimeToAbsl(X509_CRL_get0_lastUpdate(crl)));
    const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl);
    if (next == nullptr) {
      return absl::InternalError("tdx: a CRL without nextUpdate reached the chain cache");
    }
    CONCORD_ASSIGN_OR_RETURN(absl::Time until, crypto::Asn1TimeToAbsl(next));
    w.from = std::max(w.from, from);
    w.until = std::min(w.until, until);
  }
  return w;
}

crypto::Sha256Digest CacheKey(absl::string_view tag, const crypto::Sha256Digest& a,
                              const crypto::Sha256Digest* b) {
  crypto::Hasher h(crypto::HashAlg::kSha256);
  h.Update(AsBytes(tag));
  h.Update(a);
  if (b != nullptr) {
    h.Update(*b);
  }
  const Bytes d = h.Finish();
  crypto::Sha256Digest out{};
  std::copy(d.begin(), d.end(), out.begin());
  return out;
}

// Verifies a chain unless the cache holds a success whose window contains
// `at`; records the window of a fresh success.
absl::Status VerifyChainCached(TdxPckCache& cache, const crypto::Sha256Digest& key, X509* leaf,
                               const std::vector<X509*>& intermediates, X509* embedded_root,
                               const std::vector<X509_CRL*>& crls, absl::Time at,
                               absl::string_view what) {
  if (std::optional<TdxValidityWindow> w = cache.FindVerified(key);
      w.has_value() && w->Contains(at)) {
    return absl::OkStatus();
  }
  CONCORD_RETURN_IF_ERROR(VerifyIntelChain(leaf, intermediates, embedded_root, crls, at, what));
  CONCORD_ASSIGN_OR_RETURN(X509 * root, GetIntelSgxRootCa());
  std::vector<X509*> certs = intermediates;
  certs.push_back(leaf);
  certs.push_back(root);
  CONCORD_ASSIGN_OR_RETURN(TdxValidityWindow window, ChainWindow(certs, crls));
  cache.InsertVerified(key, window);
  return absl::OkStatus();
}

}  // namespace

TdxVerifier::TdxVerifier(std::vector<std::unique_ptr<internal::PreparedTdxCollateral>> collateral,
                         size_t cache_capacity)
    : collateral_(std::move(collateral)), cache_(std::make_unique<TdxPckCache>(cache_capacity)) {}

TdxVerifier::~TdxVerifier() = default;

absl::StatusOr<std::unique_ptr<TdxVerifier>> TdxVerifier::Create(Options options) {
  CONCORD_RETURN_IF_ERROR(GetIntelSgxRootCa().status());
  std::vector<std::unique_ptr<PreparedTdxCollateral>> prepared;
  for (size_t i = 0; i < options.collateral.size(); ++i) {
    CONCORD_ASSIGN_OR_RETURN(std::unique_ptr<PreparedTdxCollateral> p,
                             Prepare(options.collateral[i], i));
    prepared.push_back(std::move(p));
  }
  return std::unique_ptr<TdxVerifier>(new TdxVerifier(std::move(prepared), options.cache_capacity));
}

absl::StatusOr<std::shared_ptr<const TdxPckChain>> TdxVerifier::PckChainFor(
    const TdxQuote& quote, const crypto::Sha256Digest& key) const {
  if (std::shared_ptr<const TdxPckChain> hit = cache_->FindChain(key); hit != nullptr) {
    return hit;
  }
  // PCK chain from the quote: leaf, intermediate CA, root.
  absl::StatusOr<std::vector<crypto::SslPtr<X509>>> pck_chain =
      crypto::ParseCertChainPem(quote.pck_chain_pem, 3);
  if (!pck_chain.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tdx quote: PCK certificate chain: ", pck_chain.status().message()));
  }
  if (pck_chain->size() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("tdx quote: PCK certificate chain: want 3 certificates (PCK, CA, root), got ",
                     pck_chain->size()));
  }
  X509* leaf = (*pck_chain)[0].get();
  CONCORD_ASSIGN_OR_RETURN(PckExtensions pck, ParsePckExtensions(leaf));
  CONCORD_ASSIGN_OR_RETURN(crypto::PublicKey pck_key, P256KeyOf(leaf, "PCK certificate"));
  CONCORD_ASSIGN_OR_RETURN(TdxValidityWindow window,
                           ChainWindow({leaf, (*pck_chain)[1].get(), (*pck_chain)[2].get()}, {}));
  auto chain = std::make_shared<TdxPckChain>(std::move((*pck_chain)[0]), std::move((*pck_chain)[1]),
                                             std::move((*pck_chain)[2]), pck, std::move(pck_key));
  chain->not_before = window.from;
  chain->not_after = window.until;
  cache_->InsertChain(key, chain);
  return std::shared_ptr<const TdxPckChain>(std::move(chain));
}

absl::StatusOr<Claims> TdxVerifier::Verify(const Evidence& evidence,
                                           const VerifyOptions& options) const {
  const absl::Time at = options.at;
  if (at == absl::InfinitePast() || at == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError("tdx: verify options: the verification time is not set");
  }
  if (evidence.platform != Platform::kTdx) {
    return absl::InvalidArgumentError(absl::StrCat("tdx: evidence is for platform ",
                                                   PlatformName(evidence.platform), ", not tdx"));
  }
  CONCORD_ASSIGN_OR_RETURN(TdxQuote quote, TdxQuote::Parse(evidence.report));

  const crypto::Sha256Digest chain_digest = crypto::Sha256(AsBytes(quote.pck_chain_pem));
  CONCORD_ASSIGN_OR_RETURN(std::shared_ptr<const TdxPckChain> chain,
                           PckChainFor(quote, chain_digest));
  const PckExtensions& pck = chain->pck;
  const crypto::PublicKey& pck_key = chain->key;

  // Collateral for this platform.
  const PreparedTdxCollateral* coll = nullptr;
  const PreparedTdxCollateral* first_for_fmspc = nullptr;
  for (const auto& c : collateral_) {
    if (c->tcb_info.fmspc != pck.fmspc || c->tcb_info.pceid != pck.pceid) {
      continue;
    }
    if (first_for_fmspc == nullptr) {
      first_for_fmspc = c.get();
    }
    if (at >= c->tcb_info.issue_date && at <= c->tcb_info.next_update) {
      coll = c.get();
      break;
    }
  }
  if (first_for_fmspc == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("tdx: collateral: no TCB info for FMSPC ",
                                                      HexEncode(pck.fmspc), " and PCE-ID ",
                                                      HexEncode(pck.pceid)));
  }
  if (coll == nullptr) {
    coll = first_for_fmspc;
  }
  CONCORD_RETURN_IF_ERROR(
      CheckWindow("TCB info", coll->tcb_info.issue_date, coll->tcb_info.next_update, at));
  CONCORD_RETURN_IF_ERROR(
      CheckWindow("QE identity", coll->qe_identity.issue_date, coll->qe_identity.next_update, at));
  CONCORD_RETURN_IF_ERROR(CheckCrlWindow("PCK CRL", coll->pck_crl.get(), at));
  CONCORD_RETURN_IF_ERROR(CheckCrlWindow("Root CA CRL", coll->root_ca_crl.get(), at));

  // Chains: the TCB Signing certificate and the PCK certificate, with CRLs.
  CONCORD_RETURN_IF_ERROR(
      VerifyChainCached(*cache_, CacheKey("tcb-signing", coll->chain_inputs_digest, nullptr),
                        coll->tcb_signing_cert.get(), {}, coll->tcb_signing_root.get(),
                        {coll->root_ca_crl.get()}, at, "TCB Signing"));
  CONCORD_RETURN_IF_ERROR(
      VerifyChainCached(*cache_, CacheKey("pck", coll->chain_inputs_digest, &chain_digest),
                        chain->leaf.get(), {chain->ca.get()}, chain->root.get(),
                        {coll->root_ca_crl.get(), coll->pck_crl.get()}, at, "PCK"));

  // QE report, its binding to the attestation key, and the quote signature.
  if (!VerifyRaw(pck_key, quote.qe_report_bytes, quote.qe_report_signature).ok()) {
    return absl::UnauthenticatedError("tdx: QE report signature does not verify with the PCK key");
  }
  crypto::Hasher h(crypto::HashAlg::kSha256);
  h.Update(quote.attestation_key);
  h.Update(quote.qe_auth_data);
  const Bytes binding = h.Finish();
  std::array<uint8_t, 64> want_qe_data{};
  std::copy(binding.begin(), binding.end(), want_qe_data.begin());
  if (!crypto::ConstantTimeEquals(want_qe_data, quote.qe_report.report_data)) {
    return absl::UnauthenticatedError(
        "tdx: QE report data is not SHA-256(attestation key || QE authentication data) || 0^32");
  }
  absl::StatusOr<crypto::PublicKey> att_key = P256FromRaw(quote.attestation_key);
  if (!att_key.ok()) {
    return absl::UnauthenticatedError("tdx: attestation key is not a valid P-256 point");
  }
  if (!VerifyRaw(*att_key, quote.signed_bytes, quote.signature).ok()) {
    return absl::UnauthenticatedError(
        "tdx: quote signature does not verify with the attestation key");
  }

  // QE identity.
  const TdxQeIdentity& qe = coll->qe_identity;
  const SgxReportBody& qr = quote.qe_report;
  if (qr.mrsigner != qe.mrsigner) {
    return absl::UnauthenticatedError(
        absl::StrCat("tdx: QE MRSIGNER ", HexEncode(qr.mrsigner), " is not the QE identity's"));
  }
  if (qr.isvprodid != qe.isvprodid) {
    return absl::UnauthenticatedError(absl::StrCat("tdx: QE ISVPRODID ", qr.isvprodid,
                                                   " is not the QE identity's ", qe.isvprodid));
  }
  if ((qr.miscselect & qe.miscselect_mask) != (qe.miscselect & qe.miscselect_mask)) {
    return absl::UnauthenticatedError("tdx: QE MISCSELECT does not match the QE identity");
  }
  for (size_t i = 0; i < 16; ++i) {
    if ((qr.attributes[i] & qe.attributes_mask[i]) != (qe.attributes[i] & qe.attributes_mask[i])) {
      return absl::UnauthenticatedError("tdx: QE ATTRIBUTES do not match the QE identity");
    }
  }

  // TCB.
  CONCORD_ASSIGN_OR_RETURN(TdxTcbEvaluation eval, EvaluateTdxTcb(coll->tcb_info, qe, pck, quote));
  if (eval.status == TdxTcbStatus::kRevoked) {
    return absl::PermissionDeniedError(absl::StrCat(
        "tdx: TCB status is Revoked (platform ", TdxTcbStatusName(eval.platform_status),
        ", TDX module ", TdxTcbStatusName(eval.module_status), ", QE ",
        TdxTcbStatusName(eval.qe_status), ")"));
  }

  // Always-on policy and expected data.
  const TdxReportBody& body = quote.body;
  if (body.debug()) {
    return absl::PermissionDeniedError("tdx: the TD is a debug TD (TD attributes bit 0)");
  }
  if (options.report_data.has_value() &&
      !crypto::ConstantTimeEquals(*options.report_data, body.report_data)) {
    return absl::PermissionDeniedError("tdx: report data does not match the expected value");
  }
  std::array<uint8_t, 32> host_data{};
  std::copy(body.mrconfigid.begin(), body.mrconfigid.begin() + 32, host_data.begin());
  if (options.host_data.has_value() && !crypto::ConstantTimeEquals(*options.host_data, host_data)) {
    return absl::PermissionDeniedError(
        "tdx: host data (MRCONFIGID[0:32]) does not match the expected value");
  }
  const uint32_t eval_number =
      std::min(coll->tcb_info.tcb_evaluation_data_number, qe.tcb_evaluation_data_number);
  Claims claims;
  claims.platform = Platform::kTdx;
  claims.product = "TDX";
  claims.measurement.assign(body.mrtd.begin(), body.mrtd.end());
  claims.report_data = body.report_data;
  claims.host_data.assign(host_data.begin(), host_data.end());
  claims.signer_not_before = chain->not_before;
  claims.signer_not_after = chain->not_after;
  TdxClaims& tdx = claims.tdx.emplace();
  tdx.tcb_status = eval.status;
  tdx.platform_tcb_status = eval.platform_status;
  tdx.module_tcb_status = eval.module_status;
  tdx.qe_tcb_status = eval.qe_status;
  tdx.module_identity = eval.module_identity;
  tdx.advisory_ids = eval.advisory_ids;
  tdx.tcb_evaluation_data_number = eval_number;
  tdx.fmspc = pck.fmspc;
  tdx.pceid = pck.pceid;
  tdx.sgx_tcb_components = pck.sgx_tcb_components;
  tdx.pcesvn = pck.pcesvn;
  tdx.ppid = pck.ppid;
  tdx.piid = pck.piid;
  tdx.quote = std::move(quote);
  if (options.check_reference_values) {
    CONCORD_ASSIGN_OR_RETURN(tdx.matched_reference_value,
                             MatchReferenceValues(claims, options.reference_values));
  }
  return claims;
}

nlohmann::json TdxClaimsToJson(const TdxClaims& c) {
  nlohmann::json j = {
      {"quote", TdxQuoteToJson(c.quote)},
      {"tcb_status", std::string(TdxTcbStatusName(c.tcb_status))},
      {"platform_tcb_status", std::string(TdxTcbStatusName(c.platform_tcb_status))},
      {"module_tcb_status", std::string(TdxTcbStatusName(c.module_tcb_status))},
      {"qe_tcb_status", std::string(TdxTcbStatusName(c.qe_tcb_status))},
      {"module_identity", c.module_identity},
      {"advisory_ids", c.advisory_ids},
      {"tcb_evaluation_data_number", c.tcb_evaluation_data_number},
      {"fmspc", HexEncode(c.fmspc)},
      {"pceid", HexEncode(c.pceid)},
      {"sgx_tcb_components", HexEncode(c.sgx_tcb_components)},
      {"pcesvn", c.pcesvn},
      {"ppid", HexEncode(c.ppid)},
  };
  if (c.piid.has_value()) {
    j["piid"] = HexEncode(*c.piid);
  }
  if (c.matched_reference_value.has_value()) {
    j["matched_reference_value"] = *c.matched_reference_value;
  }
  return j;
}

}  // namespace concord::attest

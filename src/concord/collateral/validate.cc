#include "concord/collateral/validate.h"

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "concord/attest/snp/amd_roots.h"
#include "concord/attest/snp/report.h"
#include "concord/attest/snp/signer_cert.h"
#include "concord/attest/tdx/collateral.h"
#include "concord/attest/tdx/intel_pki.h"
#include "concord/common/status_macros.h"
#include "concord/common/time_format.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/openssl_status.h"
#include "concord/crypto/x509.h"

namespace concord::collateral {
namespace {

using attest::SnpProduct;

std::string Prefix(const CollateralItem& item) {
  return absl::StrCat("collateral: ", KindName(item.kind), " ", item.key, ": ");
}

absl::Status Err(absl::StatusCode code, const CollateralItem& item, absl::string_view detail) {
  return absl::Status(code, absl::StrCat(Prefix(item), detail));
}

// Re-prefixes a status from a lower layer with the item.
absl::Status Wrap(const absl::Status& s, const CollateralItem& item) {
  return absl::Status(s.code(), absl::StrCat(Prefix(item), s.message()));
}

struct Window {
  absl::Time from;
  absl::Time until;
};

absl::StatusOr<Window> CertWindow(X509* cert) {
  CONCORD_ASSIGN_OR_RETURN(absl::Time from, crypto::Asn1TimeToAbsl(X509_get0_notBefore(cert)));
  CONCORD_ASSIGN_OR_RETURN(absl::Time until, crypto::Asn1TimeToAbsl(X509_get0_notAfter(cert)));
  return Window{from, until};
}

absl::StatusOr<Window> CrlWindow(X509_CRL* crl, const CollateralItem& item) {
  CONCORD_ASSIGN_OR_RETURN(absl::Time from, crypto::Asn1TimeToAbsl(X509_CRL_get0_lastUpdate(crl)));
  const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl);
  if (next == nullptr) {
    return Err(absl::StatusCode::kInvalidArgument, item, "CRL has no nextUpdate");
  }
  CONCORD_ASSIGN_OR_RETURN(absl::Time until, crypto::Asn1TimeToAbsl(next));
  return Window{from, until};
}

// `cert` is signed by `issuer`, names it as issuer, and `issuer` is valid at
// `at` as is `cert`.
absl::Status CheckIssuedBy(X509* cert, X509* issuer, absl::Time at, const CollateralItem& item,
                           absl::string_view what) {
  if (X509_check_issued(issuer, cert) != X509_V_OK ||
      X509_verify(cert, X509_get0_pubkey(issuer)) != 1) {
    crypto::ClearOpenSslErrors();
    return Err(absl::StatusCode::kUnauthenticated, item,
               absl::StrCat(what, " is not signed by the vendor root"));
  }
  for (X509* c : {cert, issuer}) {
    CONCORD_ASSIGN_OR_RETURN(Window w, CertWindow(c));
    if (at < w.from || at > w.until) {
      return Err(absl::StatusCode::kUnauthenticated, item,
                 absl::StrCat(what, " chain is not valid at ", FormatRfc3339(at)));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckCrlSignedBy(X509_CRL* crl, X509* issuer, const CollateralItem& item) {
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0 ||
      X509_CRL_verify(crl, X509_get0_pubkey(issuer)) != 1) {
    crypto::ClearOpenSslErrors();
    return Err(absl::StatusCode::kUnauthenticated, item,
               "CRL signature does not verify with the issuer's key");
  }
  return absl::OkStatus();
}

absl::StatusOr<crypto::SslPtr<X509_CRL>> ParseCrl(const CollateralItem& item) {
  absl::StatusOr<crypto::SslPtr<X509_CRL>> crl = crypto::ParseCrlDerOrPem(item.body);
  if (!crl.ok()) {
    return Err(absl::StatusCode::kInvalidArgument, item,
               absl::StrCat("CRL: ", crl.status().message()));
  }
  return crl;
}

// The Intel issuer chain: the signing certificate, optionally followed by
// the root, which must then be the compiled-in one.
absl::StatusOr<crypto::SslPtr<X509>> IntelSigner(const CollateralItem& item, X509* root) {
  if (item.issuer_chain_pem.empty()) {
    return Err(absl::StatusCode::kInvalidArgument, item, "issuer chain: missing");
  }
  absl::StatusOr<std::vector<crypto::SslPtr<X509>>> chain =
      crypto::ParseCertChainPem(item.issuer_chain_pem, 2);
  if (!chain.ok()) {
    return Err(absl::StatusCode::kInvalidArgument, item,
               absl::StrCat("issuer chain: ", chain.status().message()));
  }
  if (chain->size() == 2 && X509_cmp((*chain)[1].get(), root) != 0) {
    return Err(absl::StatusCode::kUnauthenticated, item,
               "issuer chain: the root is not the Intel SGX Root CA");
  }
  return std::move((*chain)[0]);
}

absl::Status VerifyP256Raw(X509* signer, ByteView message, ByteView rs,
                           const CollateralItem& item) {
  absl::StatusOr<crypto::PublicKey> key = crypto::PublicKey::FromEvp(X509_get0_pubkey(signer));
  if (!key.ok() || key->type() != crypto::KeyType::kEcP256) {
    return Err(absl::StatusCode::kInvalidArgument, item, "signing key is not ECDSA P-256");
  }
  absl::StatusOr<Bytes> der = crypto::EcdsaRawToDer(rs.first(32), rs.subspan(32, 32));
  if (!der.ok() || !key->VerifyEcdsa(message, *der, crypto::HashAlg::kSha256).ok()) {
    return Err(absl::StatusCode::kUnauthenticated, item,
               "signature does not verify with the TCB Signing key");
  }
  return absl::OkStatus();
}

absl::StatusOr<Window> ValidateVcek(const CollateralItem& item, absl::Time at, WindowCheck window) {
  CONCORD_ASSIGN_OR_RETURN(SnpVcekKeyParts key, ParseSnpVcekKey(item.key));
  absl::StatusOr<attest::SnpSignerCert> cert =
      attest::ParseSnpSignerCert(item.body, "VCEK", "collateral");
  if (!cert.ok()) {
    return Wrap(cert.status(), item);
  }
  std::optional<SnpProduct> named = attest::SnpProductFromName(cert->product_name);
  if (!named.has_value() || *named != key.product) {
    return Err(absl::StatusCode::kUnauthenticated, item,
               absl::StrCat("VCEK productName \"", cert->product_name, "\" is not ",
                            attest::SnpProductName(key.product)));
  }
  const absl::Time chain_at = window == WindowCheck::kAsOfIssueDate ? cert->not_before : at;
  absl::Status chain =
      attest::VerifyAmdChain(cert->cert.get(), key.product, attest::SnpSigningKey::kVcek, chain_at);
  if (!chain.ok()) {
    return Wrap(chain, item);
  }
  if (!cert->hwid.has_value() || *cert->hwid != key.hwid) {
    return Err(absl::StatusCode::kUnauthenticated, item, "VCEK hwID does not match the key");
  }
  const attest::SnpTcb tcb = attest::DecodeSnpTcb(key.reported_tcb, key.product);
  const bool spl_ok = cert->bl_spl == tcb.bootloader && cert->tee_spl == tcb.tee &&
                      cert->snp_spl == tcb.snp && cert->ucode_spl == tcb.microcode &&
                      (key.product != SnpProduct::kTurin || cert->fmc_spl == tcb.fmc);
  if (!spl_ok) {
    return Err(absl::StatusCode::kUnauthenticated, item,
               "VCEK SPL extensions do not match the key's reported TCB");
  }
  return Window{cert->not_before, cert->not_after};
}

absl::StatusOr<Window> ValidateAmdChain(const CollateralItem& item) {
  CONCORD_ASSIGN_OR_RETURN(SnpProduct product, ParseSnpProductKey(item.key));
  CONCORD_ASSIGN_OR_RETURN(const attest::AmdRootCerts* roots, attest::GetAmdRoots(product));
  absl::StatusOr<std::vector<crypto::SslPtr<X509>>> chain =
      crypto::ParseCertChainPem(AsStringView(item.body), 2);
  if (!chain.ok() || chain->size() != 2) {
    return Err(absl::StatusCode::kInvalidArgument, item,
               "want a PEM chain of two certificates (ASK, ARK)");
  }
  if (X509_cmp((*chain)[0].get(), roots->ask.get()) != 0 ||
      X509_cmp((*chain)[1].get(), roots->ark.get()) != 0) {
    return Err(absl::StatusCode::kUnauthenticated, item,
               "the chain is not the compiled-in ASK and ARK");
  }
  CONCORD_ASSIGN_OR_RETURN(Window ask, CertWindow(roots->ask.get()));
  CONCORD_ASSIGN_OR_RETURN(Window ark, CertWindow(roots->ark.get()));
  return Window{ask.from, std::min(ask.until, ark.until)};
}

absl::StatusOr<Window> ValidateAmdCrl(const CollateralItem& item) {
  CONCORD_ASSIGN_OR_RETURN(SnpProduct product, ParseSnpProductKey(item.key));
  CONCORD_ASSIGN_OR_RETURN(const attest::AmdRootCerts* roots, attest::GetAmdRoots(product));
  CONCORD_ASSIGN_OR_RETURN(crypto::SslPtr<X509_CRL> crl, ParseCrl(item));
  CONCORD_RETURN_IF_ERROR(CheckCrlSignedBy(crl.get(), roots->ark.get(), item));
  return CrlWindow(crl.get(), item);
}

absl::StatusOr<Window> ValidatePcsJson(const CollateralItem& item, absl::Time at,
                                       WindowCheck window) {
  if (item.body.size() > attest::kTdxMaxCollateralJsonSize) {
    return Err(absl::StatusCode::kInvalidArgument, item,
               absl::StrCat("larger than ", attest::kTdxMaxCollateralJsonSize, " bytes"));
  }
  const bool tcb = item.kind == CollateralKind::kTdxTcbInfo;
  absl::StatusOr<attest::SignedJson> signed_json =
      attest::SplitSignedJson(AsStringView(item.body), tcb ? "tcbInfo" : "enclaveIdentity",
                              tcb ? "TCB info" : "QE identity");
  if (!signed_json.ok()) {
    return Wrap(signed_json.status(), item);
  }
  Window w;
  if (tcb) {
    absl::StatusOr<attest::TdxTcbInfo> info = attest::ParseTcbInfo(signed_json->body);
    if (!info.ok()) {
      return Wrap(info.status(), item);
    }
    if (TdxFmspcKey(info->fmspc) != item.key) {
      return Err(absl::StatusCode::kInvalidArgument, item,
                 absl::StrCat("TCB info is for FMSPC ", TdxFmspcKey(info->fmspc)));
    }
    w = Window{info->issue_date, info->next_update};
  } else {
    absl::StatusOr<attest::TdxQeIdentity> qe = attest::ParseQeIdentity(signed_json->body);
    if (!qe.ok()) {
      return Wrap(qe.status(), item);
    }
    w = Window{qe->issue_date, qe->next_update};
  }
  CONCORD_ASSIGN_OR_RETURN(X509 * root, attest::GetIntelSgxRootCa());
  CONCORD_ASSIGN_OR_RETURN(crypto::SslPtr<X509> signer, IntelSigner(item, root));
  const absl::Time chain_at = window == WindowCheck::kAsOfIssueDate ? w.from : at;
  CONCORD_RETURN_IF_ERROR(CheckIssuedBy(signer.get(), root, chain_at, item, "TCB Signing"));
  CONCORD_RETURN_IF_ERROR(
      VerifyP256Raw(signer.get(), AsBytes(signed_json->body), signed_json->signature, item));
  return w;
}

absl::StatusOr<Window> ValidateIntelCrl(const CollateralItem& item, absl::Time at,
                                        WindowCheck window) {
  if (item.body.size() > attest::kTdxMaxCrlSize) {
    return Err(absl::StatusCode::kInvalidArgument, item,
               absl::StrCat("larger than ", attest::kTdxMaxCrlSize, " bytes"));
  }
  CONCORD_ASSIGN_OR_RETURN(X509 * root, attest::GetIntelSgxRootCa());
  CONCORD_ASSIGN_OR_RETURN(crypto::SslPtr<X509_CRL> crl, ParseCrl(item));
  CONCORD_ASSIGN_OR_RETURN(Window w, CrlWindow(crl.get(), item));
  if (item.kind == CollateralKind::kTdxRootCaCrl) {
    CONCORD_RETURN_IF_ERROR(CheckCrlSignedBy(crl.get(), root, item));
    return w;
  }
  CONCORD_ASSIGN_OR_RETURN(crypto::SslPtr<X509> ca, IntelSigner(item, root));
  const absl::Time chain_at = window == WindowCheck::kAsOfIssueDate ? w.from : at;
  CONCORD_RETURN_IF_ERROR(CheckIssuedBy(ca.get(), root, chain_at, item, "PCK CA"));
  char cn[256] = {0};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(ca.get()), NID_commonName, cn, sizeof(cn)) <=
      0) {
    crypto::ClearOpenSslErrors();
    return Err(absl::StatusCode::kInvalidArgument, item, "PCK CA has no common name");
  }
  const absl::string_view want = item.key == "platform" ? "Platform" : "Processor";
  if (!absl::StrContains(cn, want)) {
    return Err(absl::StatusCode::kInvalidArgument, item,
               absl::StrCat("issuer \"", cn, "\" is not the PCK ", want, " CA"));
  }
  CONCORD_RETURN_IF_ERROR(CheckCrlSignedBy(crl.get(), ca.get(), item));
  return w;
}

}  // namespace

absl::StatusOr<ValidatedItem> ValidateItem(CollateralItem item, absl::Time at, WindowCheck window) {
  CONCORD_RETURN_IF_ERROR(ValidateItemKey(item.kind, item.key));
  if (item.body.empty() || item.body.size() > kMaxBodySize) {
    return Err(absl::StatusCode::kInvalidArgument, item,
               absl::StrCat("body: want 1 to ", kMaxBodySize, " bytes"));
  }
  if (item.issuer_chain_pem.size() > kMaxIssuerChainSize) {
    return Err(absl::StatusCode::kInvalidArgument, item,
               absl::StrCat("issuer chain: larger than ", kMaxIssuerChainSize, " bytes"));
  }
  const bool amd = item.kind == CollateralKind::kSnpVcek ||
                   item.kind == CollateralKind::kSnpCertChain ||
                   item.kind == CollateralKind::kSnpCrl;
  if (amd && !item.issuer_chain_pem.empty()) {
    return Err(absl::StatusCode::kInvalidArgument, item,
               "issuer chain: want none for AMD collateral");
  }
  absl::StatusOr<Window> w;
  switch (item.kind) {
    case CollateralKind::kSnpVcek:
      w = ValidateVcek(item, at, window);
      break;
    case CollateralKind::kSnpCertChain:
      w = ValidateAmdChain(item);
      break;
    case CollateralKind::kSnpCrl:
      w = ValidateAmdCrl(item);
      break;
    case CollateralKind::kTdxTcbInfo:
    case CollateralKind::kTdxQeIdentity:
      w = ValidatePcsJson(item, at, window);
      break;
    case CollateralKind::kTdxPckCrl:
    case CollateralKind::kTdxRootCaCrl:
      w = ValidateIntelCrl(item, at, window);
      break;
  }
  if (!w.ok()) {
    return w.status();
  }
  if (w->until < w->from) {
    return Err(absl::StatusCode::kInvalidArgument, item, "expires before it is issued");
  }
  if (window == WindowCheck::kRequireCurrent && (at < w->from || at > w->until)) {
    return Err(absl::StatusCode::kFailedPrecondition, item,
               absl::StrCat("not current at ", FormatRfc3339(at), " (valid ",
                            FormatRfc3339(w->from), " to ", FormatRfc3339(w->until), ")"));
  }
  ValidatedItem out;
  out.hash = ContentHash(item);
  out.item = std::move(item);
  out.issue_date = w->from;
  out.next_update = w->until;
  return out;
}

}  // namespace concord::collateral

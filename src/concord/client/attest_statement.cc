// VerifyAttestResponse lives apart from the JSON code because it needs net's
// report-data function (the JSON parsers do not).
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"
#include "concord/client/user_api.h"
#include "concord/common/status_macros.h"
#include "concord/crypto/x509.h"

namespace concord::client {
namespace {

// The SPKI SHA-256 of a PEM certificate.
absl::StatusOr<crypto::Sha256Digest> CertSpkiSha256(absl::string_view pem,
                                                    absl::string_view field) {
  absl::StatusOr<std::vector<crypto::SslPtr<X509>>> chain = crypto::ParseCertChainPem(pem, 1);
  if (!chain.ok() || chain->size() != 1) {
    return absl::DataLossError(
        absl::StrCat("attest response: ", field, ": want one PEM certificate"));
  }
  X509_PUBKEY* pubkey = X509_get_X509_PUBKEY((*chain)[0].get());
  int len = i2d_X509_PUBKEY(pubkey, nullptr);
  if (len <= 0) {
    return absl::DataLossError(absl::StrCat("attest response: ", field, ": unreadable key"));
  }
  Bytes der(static_cast<size_t>(len));
  unsigned char* out = der.data();
  if (i2d_X509_PUBKEY(pubkey, &out) != len) {
    return absl::DataLossError(absl::StrCat("attest response: ", field, ": unreadable key"));
  }
  return crypto::Sha256(der);
}

absl::Status CheckCovered(const std::optional<std::string>& pem, absl::string_view field,
                          const crypto::Sha256Digest& stated) {
  if (!pem.has_value()) {
    return absl::OkStatus();
  }
  CONCORD_ASSIGN_OR_RETURN(crypto::Sha256Digest actual, CertSpkiSha256(*pem, field));
  if (actual != stated) {
    return absl::PermissionDeniedError(
        absl::StrCat("attest: ", field, " is not the certificate the attested statement names"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<attest::Claims> VerifyAttestResponse(const AttestResponse& response,
                                                    const net::ServerEvidenceCheck& check) {
  CONCORD_ASSIGN_OR_RETURN(
      attest::Claims claims,
      check(response.evidence, atls::AttestStatementReportData(response.statement)));
  if (response.history_key_spki.has_value() &&
      crypto::Sha256(*response.history_key_spki) != response.statement.history_key_spki_sha256) {
    return absl::PermissionDeniedError(
        "attest: history_key is not the key the attested statement names");
  }
  CONCORD_RETURN_IF_ERROR(
      CheckCovered(response.root_ca_pem, "root_ca", response.statement.root_ca_spki_sha256));
  CONCORD_RETURN_IF_ERROR(
      CheckCovered(response.mesh_ca_pem, "mesh_ca", response.statement.mesh_ca_spki_sha256));
  return claims;
}

}  // namespace concord::client

// RequestMeshCertificate: the one call in api_client.h that opens a
// connection (kept apart so the parsers link without the HTTP client).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "concord/client/api_client.h"
#include "concord/common/status_macros.h"
#include "nlohmann/json.hpp"

namespace concord::client {

absl::StatusOr<MeshCertificate> RequestMeshCertificate(const Endpoint& endpoint,
                                                       const crypto::PrivateKey& key,
                                                       const attest::Attester& attester,
                                                       net::ServerEvidenceCheck check,
                                                       std::optional<absl::Duration> lifetime,
                                                       absl::Duration timeout) {
  if (key.type() != crypto::KeyType::kEcP256) {
    return absl::InvalidArgumentError("mesh certificate: the TLS key must be ECDSA P-256");
  }
  nlohmann::json request = nlohmann::json::object();
  if (lifetime.has_value()) {
    int64_t seconds = absl::ToInt64Seconds(*lifetime);
    if (seconds < 1) {
      return absl::InvalidArgumentError("mesh certificate: lifetime must be at least 1 second");
    }
    request["lifetime_seconds"] = seconds;
  }
  // ClientOptions owns its key; PrivateKey is move-only, so copy it through
  // its PKCS#8 encoding (kept in SecretBytes).
  CONCORD_ASSIGN_OR_RETURN(crypto::SecretBytes pem, key.ToPkcs8Pem());
  CONCORD_ASSIGN_OR_RETURN(crypto::PrivateKey client_key, crypto::PrivateKey::FromPem(pem));

  net::ClientOptions options;
  options.host = endpoint.host;
  options.port = endpoint.port;
  options.check_server = std::move(check);
  options.client_key = std::move(client_key);
  options.attester = &attester;
  options.connect_timeout = std::min(timeout, absl::Seconds(10));
  options.io_timeout = timeout;
  CONCORD_ASSIGN_OR_RETURN(std::unique_ptr<net::HttpsClient> client,
                           net::HttpsClient::Create(std::move(options)));
  CONCORD_ASSIGN_OR_RETURN(net::HttpResponse response,
                           client->Call("POST", "/v1/mesh/cert", request.dump()));
  if (response.status != 200) {
    return ParseApiError(response).status;
  }
  absl::StatusOr<MeshCertificate> parsed = ParseMeshCertificateResponse(response.body);
  crypto::WipeString(response.body);  // the workload secret's hex
  CONCORD_ASSIGN_OR_RETURN(MeshCertificate certificate, std::move(parsed));
  if (client->server_certificate().has_value()) {
    certificate.attested_root_ca_spki_sha256 = client->server_certificate()->bound_root_ca;
  }
  return certificate;
}

}  // namespace concord::client

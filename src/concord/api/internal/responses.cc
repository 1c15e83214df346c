#include "concord/api/internal/responses.h"

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "concord/common/hex.h"
#include "concord/common/strict_json.h"
#include "concord/common/time_format.h"
#include "concord/seed/seed_shares.h"
#include "concord/wire/json_fields.h"
#include "nlohmann/json.hpp"

namespace concord::api::internal {
namespace {

using Json = nlohmann::json;

Json OptionalHex(const std::optional<crypto::Sha256Digest>& digest) {
  if (!digest.has_value()) {
    return nullptr;
  }
  return HexEncode(*digest);
}

Json TransitionJson(const coordinator::TransitionResult& result) {
  Json body = Json::object();
  body["transition"] = HexEncode(result.transition_hash);
  body["generation"] = result.generation;
  body["root_ca"] = result.bundle.RootCaPem();
  body["mesh_ca"] = result.bundle.MeshCaPem();
  body["intermediate"] = result.bundle.IntermediatePem();
  return body;
}

}  // namespace

net::HttpResponse JsonOk(std::string body) {
  net::HttpResponse response;
  response.status = 200;
  response.content_type = std::string(kJsonType);
  response.body = std::move(body);
  return response;
}

net::HttpResponse Text(int status, std::string body) {
  net::HttpResponse response;
  response.status = status;
  response.content_type = std::string(kTextType);
  response.body = std::move(body);
  return response;
}

net::HttpResponse NoStore(net::HttpResponse response) {
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

absl::StatusOr<net::HttpResponse> SetManifestResponse(const coordinator::TransitionResult& result) {
  Json body = TransitionJson(result);
  if (result.seed_shares.has_value()) {
    Json shares = Json::parse(seed::EncodeSeedSharesJson(*result.seed_shares), nullptr,
                              /*allow_exceptions=*/false);
    if (shares.is_discarded()) {
      return absl::InternalError("manifest: seed-shares document is not JSON");
    }
    body["seed_shares"] = std::move(shares);
  }
  return JsonOk(body.dump());
}

net::HttpResponse RecoverResponse(const coordinator::TransitionResult& result) {
  return JsonOk(TransitionJson(result).dump());
}

net::HttpResponse ManifestsResponse(const coordinator::HistoryExport& history) {
  Json body = Json::object();
  body["latest"] = EncodeBase64(history.latest);
  body["history_key"] = HexEncode(history.history_key.spki_der());
  Json transitions = Json::array();
  for (const auto& entry : history.transitions) {
    transitions.push_back(
        {{"hash", HexEncode(entry.hash)}, {"transition", EncodeBase64(entry.transition)}});
  }
  body["transitions"] = std::move(transitions);
  Json manifests = Json::object();
  for (const auto& [hash, bytes] : history.manifests) {
    manifests[HexEncode(hash)] = EncodeBase64(bytes);
  }
  body["manifests"] = std::move(manifests);
  Json bundles = Json::object();
  for (const auto& [hash, bytes] : history.ca_bundles) {
    bundles[HexEncode(hash)] = EncodeBase64(bytes);
  }
  body["ca_bundles"] = std::move(bundles);
  return JsonOk(body.dump());
}

net::HttpResponse AttestResponse(const coordinator::AttestResult& result) {
  Json certs = Json::array();
  for (const Bytes& cert : result.evidence.certs) {
    certs.push_back(EncodeBase64(cert));
  }
  const atls::AttestStatement& statement = result.statement;
  Json body = Json::object();
  body["evidence"] = {{"platform", std::string(attest::PlatformName(result.evidence.platform))},
                      {"report", EncodeBase64(result.evidence.report)},
                      {"certs", std::move(certs)}};
  body["state"] = statement.state;
  body["generation"] = statement.generation;
  body["transition"] = HexEncode(statement.transition_hash);
  body["history_key"] = result.history_key.has_value()
                            ? Json(HexEncode(result.history_key->spki_der()))
                            : Json(nullptr);
  body["root_ca"] = result.bundle.has_value() ? Json(result.bundle->RootCaPem()) : Json(nullptr);
  body["mesh_ca"] = result.bundle.has_value() ? Json(result.bundle->MeshCaPem()) : Json(nullptr);
  body["root_ca_spki_sha256"] = HexEncode(statement.root_ca_spki_sha256);
  body["mesh_ca_spki_sha256"] = HexEncode(statement.mesh_ca_spki_sha256);
  body["history_key_spki_sha256"] = HexEncode(statement.history_key_spki_sha256);
  return JsonOk(body.dump());
}

net::HttpResponse StatusResponse(const coordinator::StatusInfo& info, absl::string_view version) {
  Json body = Json::object();
  body["state"] = std::string(coordinator::StateName(info.state));
  body["replica"] = info.replica;
  body["generation"] = info.generation;
  body["transition"] = OptionalHex(info.transition_hash);
  body["manifest"] = OptionalHex(info.manifest_hash);
  body["head_verified"] = info.transition_hash.has_value() && !info.head_unverified;
  // Uninitialized: the challenge a first set signs over (DESIGN §6).
  body["challenge"] = OptionalHex(info.genesis_challenge);
  body["alarms"] = info.alarms;
  body["version"] = std::string(version);
  return JsonOk(body.dump(-1, ' ', false, Json::error_handler_t::replace));
}

net::HttpResponse MeshCertResponse(const coordinator::WorkloadCertificate& issued) {
  Json body = Json::object();
  body["certificate"] = issued.leaf.pem;
  body["chain"] = issued.chain_pem;
  body["mesh_ca"] = issued.mesh_ca_pem;
  body["root_ca"] = issued.root_ca_pem;
  if (issued.workload_secret.has_value()) {
    body["workload_secret"] = HexEncode(issued.workload_secret->Reveal());
  }
  body["not_after"] = FormatRfc3339(issued.leaf.not_after);
  body["policy"] = issued.policy_name;
  body["generation"] = issued.generation;
  net::HttpResponse response = JsonOk(json::DumpSecret(body));
  json::WipeStrings(body);  // the workload secret's hex; the server wipes the body
  return response;
}

}  // namespace concord::api::internal

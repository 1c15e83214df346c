#include "concord/peer/peer_messages.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"
#include "concord/common/status_macros.h"
#include "concord/common/strict_json.h"
#include "concord/history/format.h"
#include "concord/wire/json_fields.h"
#include "nlohmann/json.hpp"

namespace concord::peer {
namespace {

using wire::CheckFields;
using wire::Json;
using wire::Member;

// Seed, salt and mesh secret are 32 bytes each (DESIGN §3).
constexpr size_t kPeerSecretSize = 32;

absl::Status Required(absl::string_view path) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": required"));
}

absl::StatusOr<const Json*> RequiredMember(const Json& object, absl::string_view name) {
  const Json* value = Member(object, name);
  if (value == nullptr) {
    return Required(name);
  }
  return value;
}

absl::StatusOr<Bytes> ReadLatest(const Json& value, bool allow_empty) {
  CONCORD_ASSIGN_OR_RETURN(Bytes latest,
                           wire::ReadBase64(value, "latest", history::kMaxLatestSize));
  if (latest.empty() && !allow_empty) {
    return absl::InvalidArgumentError("latest: want an encoded latest, got an empty string");
  }
  return latest;
}

// Names and states are printable ASCII without spaces; they end up in logs.
absl::StatusOr<std::string> ReadToken(const Json& object, absl::string_view name, size_t max_size) {
  CONCORD_ASSIGN_OR_RETURN(const Json* value, RequiredMember(object, name));
  CONCORD_ASSIGN_OR_RETURN(std::string text, wire::ReadString(*value, name, max_size));
  if (text.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": want a non-empty string"));
  }
  for (char c : text) {
    if (c <= 0x20 || c >= 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": want printable ASCII without spaces"));
    }
  }
  return text;
}

std::string Dump(const Json& body) {
  return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

absl::Status ParsePeerRecoverRequest(absl::string_view body) {
  CONCORD_ASSIGN_OR_RETURN(Json object, wire::ParseJsonObject(body));
  return CheckFields(object, "", {});
}

std::string EncodePeerRecoverRequest() { return "{}"; }

std::string EncodePeerRecoverResponse(const coordinator::PeerRecoveryGrant& grant,
                                      absl::string_view replica) {
  Json body = Json::object();
  body["seed"] = HexEncode(grant.seed.Reveal());
  body["salt"] = HexEncode(grant.salt.Reveal());
  body["mesh_secret"] = HexEncode(grant.mesh_secret.Reveal());
  body["latest"] = wire::EncodeBase64(grant.latest);
  body["replica"] = std::string(replica);
  std::string out = json::DumpSecret(body);
  json::WipeStrings(body);  // the secrets' hex; the server wipes `out` once sent
  return out;
}

namespace {

absl::StatusOr<PeerRecoverResponse> PeerRecoverResponseFrom(const Json& object) {
  CONCORD_RETURN_IF_ERROR(
      CheckFields(object, "", {"seed", "salt", "mesh_secret", "latest", "replica"}));
  PeerRecoverResponse response;
  CONCORD_ASSIGN_OR_RETURN(const Json* seed, RequiredMember(object, "seed"));
  CONCORD_ASSIGN_OR_RETURN(response.grant.seed,
                           wire::ReadSecretHex(*seed, "seed", kPeerSecretSize));
  CONCORD_ASSIGN_OR_RETURN(const Json* salt, RequiredMember(object, "salt"));
  CONCORD_ASSIGN_OR_RETURN(response.grant.salt,
                           wire::ReadSecretHex(*salt, "salt", kPeerSecretSize));
  CONCORD_ASSIGN_OR_RETURN(const Json* mesh, RequiredMember(object, "mesh_secret"));
  CONCORD_ASSIGN_OR_RETURN(response.grant.mesh_secret,
                           wire::ReadSecretHex(*mesh, "mesh_secret", kPeerSecretSize));
  CONCORD_ASSIGN_OR_RETURN(const Json* latest, RequiredMember(object, "latest"));
  CONCORD_ASSIGN_OR_RETURN(response.grant.latest, ReadLatest(*latest, /*allow_empty=*/false));
  CONCORD_ASSIGN_OR_RETURN(response.replica, ReadToken(object, "replica", kMaxPeerReplicaNameSize));
  return response;
}

}  // namespace

absl::StatusOr<PeerRecoverResponse> ParsePeerRecoverResponse(absl::string_view body) {
  CONCORD_ASSIGN_OR_RETURN(Json object, wire::ParseSecretJsonObject(body));
  absl::StatusOr<PeerRecoverResponse> parsed = PeerRecoverResponseFrom(object);
  json::WipeStrings(object);  // the secrets' hex text
  return parsed;
}

std::string EncodePeerHeadRequest(const Bytes& latest) {
  Json body = Json::object();
  body["latest"] = wire::EncodeBase64(latest);
  return Dump(body);
}

absl::StatusOr<Bytes> ParsePeerHeadRequest(absl::string_view body) {
  CONCORD_ASSIGN_OR_RETURN(Json object, wire::ParseJsonObject(body));
  CONCORD_RETURN_IF_ERROR(CheckFields(object, "", {"latest"}));
  const Json* latest = Member(object, "latest");
  if (latest == nullptr) {
    return Bytes{};
  }
  return ReadLatest(*latest, /*allow_empty=*/true);
}

std::string EncodePeerHeadResponse(const coordinator::PeerHead& head) {
  Json body = Json::object();
  body["latest"] = wire::EncodeBase64(head.latest);
  body["state"] = head.state;
  body["replica"] = head.peer;
  return Dump(body);
}

absl::StatusOr<coordinator::PeerHead> ParsePeerHeadResponse(absl::string_view body) {
  CONCORD_ASSIGN_OR_RETURN(Json object, wire::ParseJsonObject(body));
  CONCORD_RETURN_IF_ERROR(CheckFields(object, "", {"latest", "state", "replica"}));
  coordinator::PeerHead head;
  CONCORD_ASSIGN_OR_RETURN(const Json* latest, RequiredMember(object, "latest"));
  CONCORD_ASSIGN_OR_RETURN(head.latest, ReadLatest(*latest, /*allow_empty=*/false));
  CONCORD_ASSIGN_OR_RETURN(head.state, ReadToken(object, "state", kMaxPeerStateSize));
  CONCORD_ASSIGN_OR_RETURN(head.peer, ReadToken(object, "replica", kMaxPeerReplicaNameSize));
  return head;
}

}  // namespace concord::peer

// The bodies of the coordinator-to-coordinator mesh endpoints
// (docs/api.md, "Peer API"): POST /v1/peer/recover and POST /v1/peer/head.
// Both sides live here: the handlers in api.cc parse requests and encode
// responses; PeerNetwork (peer_network.h) encodes requests and parses
// responses. Strict JSON (internal/json_fields.h): unknown or duplicate
// fields, wrong types and lengths are InvalidArgument naming the field;
// messages never echo values, so secrets cannot leak into them. Pure
// functions; thread-safe. Fuzzed by peer_api_fuzz.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/common/bytes.h"
#include "concord/coordinator/peers.h"

namespace concord::peer {

// Longest replica name and state name on the wire.
inline constexpr size_t kMaxPeerReplicaNameSize = 64;
inline constexpr size_t kMaxPeerStateSize = 32;

// POST /v1/peer/recover request: {} (an empty body reads as {}).
absl::Status ParsePeerRecoverRequest(absl::string_view body);
std::string EncodePeerRecoverRequest();

// The 200 response: {"seed", "salt", "mesh_secret": 64 hex characters each,
// "latest": base64 of the encoded latest, "replica": the sender's name}.
// The encoded body holds secrets: send it only on an attested channel with
// Cache-Control: no-store, never log it.
std::string EncodePeerRecoverResponse(const coordinator::PeerRecoveryGrant& grant,
                                      absl::string_view replica);
struct PeerRecoverResponse {
  coordinator::PeerRecoveryGrant grant;
  std::string replica;
};
absl::StatusOr<PeerRecoverResponse> ParsePeerRecoverResponse(absl::string_view body);

// POST /v1/peer/head request: {"latest": base64} (absent or "" when the
// caller holds no verified head, e.g. in recovery).
std::string EncodePeerHeadRequest(const Bytes& latest);
absl::StatusOr<Bytes> ParsePeerHeadRequest(absl::string_view body);

// The 200 response: {"latest": base64 (non-empty), "state": "ready" or
// "ready-peer-confirmed", "replica": the sender's name}. `head.peer` is the
// replica name.
std::string EncodePeerHeadResponse(const coordinator::PeerHead& head);
absl::StatusOr<coordinator::PeerHead> ParsePeerHeadResponse(absl::string_view body);

}  // namespace concord::peer

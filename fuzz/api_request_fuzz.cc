// Fuzzes the API's strict request parsers (concord/api/requests.h) with
// arbitrary bodies. The first byte picks the endpoint. Parsers must never
// crash; errors must be InvalidArgument or ResourceExhausted with a message;
// an accepted POST /v1/manifest body, re-encoded, must parse to the same
// request.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "concord/api/requests.h"
#include "concord/common/hex.h"
#include "concord/crypto/keys.h"
#include "concord/wire/json_fields.h"
#include "nlohmann/json.hpp"

namespace {

void Fail(const char* what) {
  std::fprintf(stderr, "api_request_fuzz: %s\n", what);
  std::abort();
}

void CheckError(const absl::Status& status) {
  if (status.ok()) {
    return;
  }
  if (status.code() != absl::StatusCode::kInvalidArgument &&
      status.code() != absl::StatusCode::kResourceExhausted) {
    Fail("unexpected status code");
  }
  if (status.message().empty()) {
    Fail("empty error message");
  }
}

const concord::crypto::PublicKey& Caller() {
  static const concord::crypto::PublicKey key =
      concord::crypto::PrivateKey::GenerateEc(concord::crypto::KeyType::kEcP256)->public_key();
  return key;
}

void RoundTripManifest(const concord::coordinator::SetManifestRequest& request) {
  using concord::wire::EncodeBase64;
  nlohmann::json body = {{"manifest", EncodeBase64(request.manifest)}};
  if (!request.policies.empty()) {
    nlohmann::json policies = nlohmann::json::array();
    for (const concord::Bytes& p : request.policies) {
      policies.push_back(EncodeBase64(p));
    }
    body["policies"] = policies;
  }
  if (request.expected_previous.has_value()) {
    body["expected_previous"] = concord::HexEncode(*request.expected_previous);
  }
  if (request.authorization.has_value()) {
    body["authorization"] = {
        {"owner_key", concord::HexEncode(request.authorization->owner_key.spki_der())},
        {"signature", concord::HexEncode(request.authorization->signature)}};
  }
  auto again = concord::api::ParseSetManifestRequest(body.dump());
  if (!again.ok()) {
    Fail("re-encoded manifest request does not parse");
  }
  if (again->manifest != request.manifest || again->policies != request.policies ||
      again->expected_previous != request.expected_previous ||
      again->authorization.has_value() != request.authorization.has_value()) {
    Fail("re-encoded manifest request differs");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const absl::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0: {
      auto request = concord::api::ParseSetManifestRequest(body);
      CheckError(request.status());
      if (request.ok()) {
        RoundTripManifest(*request);
      }
      break;
    }
    case 1: {
      auto request = concord::api::ParseRecoverRequest(body, Caller());
      CheckError(request.status());
      if (request.ok() &&
          (request->request.seed.size() != 32 || request->request.salt.size() != 32)) {
        Fail("recover: seed or salt not 32 bytes");
      }
      break;
    }
    case 2:
      CheckError(concord::api::ParseAttestRequest(body).status());
      break;
    default: {
      auto request = concord::api::ParseMeshCertRequest(body, absl::Hours(24));
      CheckError(request.status());
      if (request.ok() && request->lifetime.has_value() &&
          (*request->lifetime < absl::Seconds(1) || *request->lifetime > absl::Hours(24))) {
        Fail("mesh cert: lifetime out of range");
      }
      break;
    }
  }
  return 0;
}

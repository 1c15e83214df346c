// Fuzzes the peer API bodies (concord/peer/peer_messages.h): the first byte
// picks the parser (recover request/response, head request/response). They
// must never crash; errors are InvalidArgument or ResourceExhausted with a
// message; an accepted message re-encodes to one that parses to the same
// values.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "concord/peer/peer_messages.h"

namespace {

void Fail(const char* what) {
  std::fprintf(stderr, "peer_api_fuzz: %s\n", what);
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const absl::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      CheckError(concord::peer::ParsePeerRecoverRequest(body));
      break;
    case 1: {
      auto parsed = concord::peer::ParsePeerRecoverResponse(body);
      CheckError(parsed.status());
      if (parsed.ok()) {
        auto again = concord::peer::ParsePeerRecoverResponse(
            concord::peer::EncodePeerRecoverResponse(parsed->grant, parsed->replica));
        if (!again.ok() || !again->grant.seed.Equals(parsed->grant.seed) ||
            !again->grant.salt.Equals(parsed->grant.salt) ||
            !again->grant.mesh_secret.Equals(parsed->grant.mesh_secret) ||
            again->grant.latest != parsed->grant.latest || again->replica != parsed->replica) {
          Fail("recover response does not round-trip");
        }
      }
      break;
    }
    case 2: {
      auto parsed = concord::peer::ParsePeerHeadRequest(body);
      CheckError(parsed.status());
      if (parsed.ok()) {
        auto again =
            concord::peer::ParsePeerHeadRequest(concord::peer::EncodePeerHeadRequest(*parsed));
        if (!again.ok() || *again != *parsed) {
          Fail("head request does not round-trip");
        }
      }
      break;
    }
    default: {
      auto parsed = concord::peer::ParsePeerHeadResponse(body);
      CheckError(parsed.status());
      if (parsed.ok()) {
        auto again =
            concord::peer::ParsePeerHeadResponse(concord::peer::EncodePeerHeadResponse(*parsed));
        if (!again.ok() || again->latest != parsed->latest || again->state != parsed->state ||
            again->peer != parsed->peer) {
          Fail("head response does not round-trip");
        }
      }
      break;
    }
  }
  return 0;
}

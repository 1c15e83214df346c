// What coordinator replicas exchange with each other (DESIGN.md §7, §8), and
// the seam through which a Coordinator reaches its peers. The Coordinator
// decides everything (whom to trust, what to adopt); PeerNetwork only
// carries messages: the api component implements it over attested TLS
// (POST /v1/peer/recover, POST /v1/peer/head on the mesh port) and peer
// discovery, tests implement it in process.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "concord/attest/evidence.h"
#include "concord/common/bytes.h"
#include "concord/crypto/secret_bytes.h"

namespace concord::coordinator {

// What a ready replica hands to a recovering peer it has accepted: the
// secrets plus its own `latest` (encoded, as stored). The caller adopts them
// only if its own verified read of the store's `latest` equals `latest`.
struct PeerRecoveryGrant {
  crypto::SecretBytes seed;
  crypto::SecretBytes salt;
  crypto::SecretBytes mesh_secret;
  Bytes latest;
};

// One answer to a head exchange: the peer's `latest` (encoded, signed by the
// history key) and its state name ("ready", ...).
struct PeerHead {
  std::string peer;  // address or name, for logs and alarms
  Bytes latest;
  std::string state;
};

// A reply from a peer together with what the peer's verified evidence
// states (checked in the TLS handshake against the platform's roots; the
// Coordinator decides whether this identity may serve it).
template <typename T>
struct FromPeer {
  std::string peer;  // address or name, for logs
  attest::Claims claims;
  T value;
};

class PeerNetwork {
 public:
  virtual ~PeerNetwork() = default;

  // Asks the discovered peers, one after another (skipping this replica),
  // for a recovery grant and returns the first grant whose sender passes
  // `accept` (called with the sender's verified claims before any secret is
  // read; an error from it moves on to the next peer). NotFound when no peer
  // is discovered; Unavailable when none answered with an accepted grant
  // (the message lists each peer's reason, never a secret).
  using AcceptPeer = std::function<absl::Status(const attest::Claims& claims)>;
  [[nodiscard]] virtual absl::StatusOr<FromPeer<PeerRecoveryGrant>> RequestRecovery(
      const AcceptPeer& accept) = 0;

  // Sends this replica's `latest` to every discovered peer (skipping this
  // replica) and returns the heads of those that answered within the call's
  // deadline, each with the sender's verified claims. Peers that fail are
  // left out (an empty vector when none answered).
  [[nodiscard]] virtual std::vector<FromPeer<PeerHead>> ExchangeHeads(const Bytes& own_latest) = 0;
};

}  // namespace concord::coordinator

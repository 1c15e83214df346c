// coordinator::PeerNetwork over attested TLS (DESIGN.md §8): finds the other
// replicas through discovery and calls their mesh API (POST
// /v1/peer/recover, POST /v1/peer/head) with net::HttpsClient. Every
// connection presents an attested client certificate (this replica's
// Attester, a fresh P-256 key per connection) and checks the peer's evidence
// during the handshake: authenticity and binding with the verifier, then
// the Coordinator's identity rule (`accept`) before any request is sent, so
// no request for secrets ever reaches an unaccepted peer. This replica is
// skipped by address and by the replica name its peers report. Short
// per-peer timeouts keep a round sub-second; head exchanges run in
// parallel. Thread-safe: every call uses its own connections.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "concord/attest/attester.h"
#include "concord/attest/evidence.h"
#include "concord/common/clock.h"
#include "concord/common/log.h"
#include "concord/common/random.h"
#include "concord/coordinator/peers.h"
#include "concord/discovery/discovery.h"

namespace concord::peer {

struct PeerNetworkOptions {
  // This replica's name (GET /v1/status "replica"): a peer answering with it
  // is this process (reached through another address) and is ignored.
  std::string replica_name;
  // This replica's mesh port, and addresses that are this replica (the mesh
  // listen address when it is not a wildcard; the node's interface
  // addresses are added by Create). A discovered peer on one of them and
  // this port is skipped.
  uint16_t own_mesh_port = 0;
  std::vector<std::string> own_addresses;
  // Per peer.
  absl::Duration connect_timeout = absl::Milliseconds(300);
  absl::Duration io_timeout = absl::Seconds(1);
  // Head exchanges in flight at once.
  size_t max_parallel = 8;
  // Ask recovery peers for evidence over our nonce (DESIGN §5): a
  // recovering replica needs a fresh peer. Head exchanges use key-bound
  // evidence (the TLS key never leaves the peer's TEE).
  bool fresh_evidence_for_recovery = true;
};

struct PeerNetworkDeps {
  discovery::PeerDiscovery& discovery;
  // Checks a peer's evidence (authenticity and report data; reference
  // values are the Coordinator's identity rule, applied through `accept`).
  const attest::EvidenceVerifier& verifier;
  const attest::Attester& attester;  // this replica's evidence (client certs)
  Clock& clock;
  RandomSource& random;
  Logger& log;
};

// Counters for /metrics.
struct PeerNetworkStats {
  uint64_t recovery_rounds = 0;  // RequestRecovery calls
  uint64_t recovery_grants = 0;  // grants returned to the coordinator
  uint64_t head_rounds = 0;      // ExchangeHeads calls
  uint64_t heads_received = 0;   // heads returned to the coordinator
  uint64_t peer_failures = 0;    // peers that failed a call (any reason)
};

class AtlsPeerNetwork final : public coordinator::PeerNetwork {
 public:
  // InvalidArgument for a zero timeout or max_parallel. Collaborators must
  // outlive the network.
  static absl::StatusOr<std::unique_ptr<AtlsPeerNetwork>> Create(PeerNetworkOptions options,
                                                                 PeerNetworkDeps deps);
  AtlsPeerNetwork(const AtlsPeerNetwork&) = delete;
  AtlsPeerNetwork& operator=(const AtlsPeerNetwork&) = delete;

  absl::StatusOr<coordinator::FromPeer<coordinator::PeerRecoveryGrant>> RequestRecovery(
      const AcceptPeer& accept) override;
  std::vector<coordinator::FromPeer<coordinator::PeerHead>> ExchangeHeads(
      const Bytes& own_latest) override;

  PeerNetworkStats stats() const;

 private:
  AtlsPeerNetwork(PeerNetworkOptions options, PeerNetworkDeps deps);

  // The discovered peers minus this replica. Errors from discovery.
  absl::StatusOr<std::vector<discovery::PeerAddress>> OtherPeers();
  bool IsSelf(const discovery::PeerAddress& peer) const;
  // One POST to `peer`; the peer's claims must pass `accept` (if set) in the
  // handshake. Returns the response body of a 200; other statuses are
  // errors carrying the peer's error message (never a body with secrets).
  absl::StatusOr<std::string> Post(const discovery::PeerAddress& peer, absl::string_view path,
                                   const std::string& body, bool fresh_evidence,
                                   const AcceptPeer& accept, attest::Claims* claims);

  const PeerNetworkOptions options_;
  const PeerNetworkDeps deps_;
  std::atomic<uint64_t> recovery_rounds_{0};
  std::atomic<uint64_t> recovery_grants_{0};
  std::atomic<uint64_t> head_rounds_{0};
  std::atomic<uint64_t> heads_received_{0};
  std::atomic<uint64_t> peer_failures_{0};
};

// "host:port" ("[v6]:port"), plus " (name)" when the peer has a name.
std::string PeerLabel(const discovery::PeerAddress& peer);

// This host's interface addresses (getifaddrs), numeric; empty on failure.
std::vector<std::string> LocalInterfaceAddresses();

// A peer's non-200 response as a Status: the code as any client of the API
// reads it (wire::ClientCodeForError: the body's "code", else the HTTP
// status), the message "HTTP <status>: <the body's message>" (control
// characters replaced, at most 200 characters of it) or "HTTP <status>".
// Error bodies never carry secrets (docs/api.md).
absl::Status PeerErrorStatus(int http_status, const std::string& body);

}  // namespace concord::peer

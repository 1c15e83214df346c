// Peer discovery (DESIGN.md §8): where the other coordinator replicas are.
// A replica in recovery asks for peers and tries each until one hands over
// the seed; a ready replica asks for peers to exchange signed heads
// (freshness lease). Discovery only says where to knock: whom to trust is
// decided by the peer's attested evidence, never by what discovery returns.
// Backends: static list, DNS (A/AAAA records of a headless service,
// re-resolved on every call), Kubernetes API (pods with the coordinator
// label and condition Ready). Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace concord::discovery {

// One replica's mesh endpoint.
struct PeerAddress {
  std::string host;  // IP address (v4 dotted, v6 without brackets) or name
  uint16_t port = 0;
  // Kubernetes pod name or DNS name when known; for logs only.
  std::string name;

  friend bool operator==(const PeerAddress&, const PeerAddress&) = default;
};

class PeerDiscovery {
 public:
  virtual ~PeerDiscovery() = default;
  // The current peers (may include this replica itself: callers skip their
  // own address). Unavailable when the source cannot be read right now
  // (retry); the list may be empty.
  [[nodiscard]] virtual absl::StatusOr<std::vector<PeerAddress>> Peers() = 0;
};

}  // namespace concord::discovery

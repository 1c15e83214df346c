// Static peer discovery (`--peers static:h1:7777,h2:7777`): a fixed list of
// mesh endpoints, for replicas on one host (distinct loopback addresses) or
// a hand-written deployment. Also holds the host:port parser the other
// backends share. Thread-safe (immutable after Create).
#pragma once

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/discovery/discovery.h"

namespace concord::discovery {

// Most peers a spec (or a discovery answer) may name.
inline constexpr size_t kMaxPeers = 1024;
// Longest host name accepted (RFC 1035 limit for a presentation name).
inline constexpr size_t kMaxHostNameSize = 253;

// "host:port" or "[ipv6]:port" with port 1..65535; host an IPv4 or IPv6
// literal or a DNS name (letters, digits, '-', '.', '_'). InvalidArgument
// "<what>: want host:port or [ipv6]:port (<reason>), got \"...\"".
absl::StatusOr<PeerAddress> ParsePeerAddress(absl::string_view text, absl::string_view what);

// Sorts by (host, port) and removes duplicates (the first name wins).
void SortAndDeduplicate(std::vector<PeerAddress>& peers);

class StaticDiscovery final : public PeerDiscovery {
 public:
  // `list`: comma-separated ParsePeerAddress entries, at least one, at most
  // kMaxPeers. InvalidArgument naming the bad entry ("static peer 2: ...").
  static absl::StatusOr<std::unique_ptr<StaticDiscovery>> Create(absl::string_view list);

  StaticDiscovery(const StaticDiscovery&) = delete;
  StaticDiscovery& operator=(const StaticDiscovery&) = delete;

  // Always the configured list (sorted, deduplicated).
  absl::StatusOr<std::vector<PeerAddress>> Peers() override;

 private:
  explicit StaticDiscovery(std::vector<PeerAddress> peers) : peers_(std::move(peers)) {}
  const std::vector<PeerAddress> peers_;
};

}  // namespace concord::discovery

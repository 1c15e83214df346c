// DNS peer discovery (`--peers dns:coordinator-headless.ns.svc:7777`): the
// A and AAAA records of one name, typically a Kubernetes headless service
// (one record per ready pod), re-resolved on every Peers() call so replicas
// that come and go are seen at once. The resolver is injectable for tests;
// the default uses getaddrinfo (which honours /etc/hosts and nsswitch).
// Thread-safe when the resolver is (the system one is).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/discovery/discovery.h"

namespace concord::discovery {

// Resolves `name` to numeric IPv4/IPv6 addresses (any order, duplicates
// allowed). An empty vector when the name has no addresses; Unavailable when
// the resolver cannot answer now (retry).
using Resolver = std::function<absl::StatusOr<std::vector<std::string>>(const std::string& name)>;

// getaddrinfo(AF_UNSPEC, SOCK_STREAM). "No such name" and "no data" read as
// no addresses (a headless service without ready pods); a temporary failure
// or any other error is Unavailable naming the host and gai_strerror.
absl::StatusOr<std::vector<std::string>> SystemResolve(const std::string& name);

class DnsDiscovery final : public PeerDiscovery {
 public:
  // `host_port`: "name:port" (ParsePeerAddress). InvalidArgument when
  // malformed or `resolver` is empty.
  static absl::StatusOr<std::unique_ptr<DnsDiscovery>> Create(absl::string_view host_port,
                                                              Resolver resolver = SystemResolve);

  DnsDiscovery(const DnsDiscovery&) = delete;
  DnsDiscovery& operator=(const DnsDiscovery&) = delete;

  // Resolves now: one PeerAddress per distinct address (sorted), named by
  // the DNS name. Unavailable from the resolver; DataLoss when the resolver
  // returns something that is not a numeric address or more than kMaxPeers.
  absl::StatusOr<std::vector<PeerAddress>> Peers() override;

 private:
  DnsDiscovery(std::string name, uint16_t port, Resolver resolver)
      : name_(std::move(name)), port_(port), resolver_(std::move(resolver)) {}
  const std::string name_;
  const uint16_t port_;
  const Resolver resolver_;
};

}  // namespace concord::discovery

#include "concord/net/internal/server_core.h"

#include "absl/strings/str_cat.h"
#include "concord/net/internal/connection.h"

namespace concord::net::internal {

// The address a client is counted by: its IP without the port, an
// IPv4-mapped IPv6 address as the IPv4 one.
std::string ClientKey(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

std::string ClientKey(const std::string& text) {
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(text, ec);
  return ec ? text : ClientKey(address);
}

// Before its PROXY header a connection counts against the balancer, apart
// from the clients (a balancer's address may also be a client's).
std::string BalancerKey(absl::string_view peer) { return absl::StrCat("via ", peer); }

// ListenerOptions::max_connections with 0 resolved to an equal share of what
// the listeners with a limit of their own leave.
std::vector<size_t> ListenerLimits(const ServerOptions& options) {
  size_t claimed = 0;
  size_t shared = 0;
  for (const ListenerOptions& listener : options.listeners) {
    claimed += listener.max_connections;
    shared += listener.max_connections == 0 ? 1 : 0;
  }
  const size_t left = options.max_connections > claimed ? options.max_connections - claimed : 0;
  std::vector<size_t> limits;
  for (const ListenerOptions& listener : options.listeners) {
    limits.push_back(listener.max_connections != 0 ? listener.max_connections : left / shared);
  }
  return limits;
}

void ServerCore::Register(const std::shared_ptr<Connection>& connection) {
  std::lock_guard<std::mutex> lock(connections_mu_);
  connections_.emplace(connection.get(), connection);
}

ServerStats ServerCore::stats() const {
  ServerStats stats;
  stats.connections_accepted = connections_accepted_.load();
  stats.handshakes_failed = handshakes_failed_.load();
  stats.verifications_refused = verifications_refused_.load();
  stats.timeouts = timeouts_.load();
  stats.requests = requests_.load();
  stats.open_connections = OpenConnections();
  stats.refused_server_limit = refused_server_limit_.load();
  stats.refused_listener_limit = refused_listener_limit_.load();
  stats.refused_source_limit = refused_source_limit_.load();
  stats.refused_body_budget = refused_body_budget_.load();
  stats.refused_fresh_evidence_rate = refused_fresh_evidence_rate_.load();
  stats.buffered_body_bytes = body_budget_.used();
  return stats;
}

}  // namespace concord::net::internal

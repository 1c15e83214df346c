// net::Server: checks the options and hands them to the pieces in
// internal/: listener.h (bind, accept, admission, renewal, shutdown),
// connection.h (one connection: PROXY header, timers, HTTP over Beast),
// atls_handshake.h (the server's identity and the aTLS handshake steps) and
// server_core.h (what they share).
#include "concord/net/server.h"

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "concord/net/internal/listener.h"
#include "concord/net/internal/server_core.h"

namespace concord::net {

class Server::Impl {
 public:
  explicit Impl(ServerOptions options) : listeners(std::move(options)) {}
  internal::Listeners listeners;
};

absl::StatusOr<std::unique_ptr<Server>> Server::Create(ServerOptions options) {
  if (options.listeners.empty()) {
    return absl::InvalidArgumentError("server options: no listeners");
  }
  for (const ListenerOptions& listener : options.listeners) {
    if (!listener.handler) {
      return absl::InvalidArgumentError(
          absl::StrCat("server options: listener ", listener.name, " has no handler"));
    }
    if (listener.tls && options.attester == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("server options: TLS listener ", listener.name, " without an attester"));
    }
    if (!listener.tls && listener.client_auth != ClientAuth::kNone) {
      return absl::InvalidArgumentError(absl::StrCat("server options: listener ", listener.name,
                                                     " asks for client certificates without TLS"));
    }
    if (listener.client_auth == ClientAuth::kAttested && !listener.check_client) {
      return absl::InvalidArgumentError(absl::StrCat("server options: attested listener ",
                                                     listener.name, " without check_client"));
    }
  }
  if (options.certificate_renewal <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("server options: certificate_renewal must be positive");
  }
  if (options.max_header_bytes == 0 || options.max_header_bytes > UINT32_MAX) {
    return absl::InvalidArgumentError("server options: max_header_bytes out of range");
  }
  if (options.max_connections == 0) {
    return absl::InvalidArgumentError("server options: max_connections must be positive");
  }
  size_t total = 0;
  const std::vector<size_t> limits = internal::ListenerLimits(options);
  for (size_t i = 0; i < limits.size(); ++i) {
    const ListenerOptions& listener = options.listeners[i];
    if (limits[i] == 0 || listener.max_connections_per_source == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "server options: listener ", listener.name,
          " has a connection limit of 0 (max_connections or max_connections_per_source)"));
    }
    total += limits[i];
  }
  if (total > options.max_connections) {
    return absl::InvalidArgumentError(
        absl::StrCat("server options: listener connection limits add up to ", total,
                     ", over max_connections (", options.max_connections, ")"));
  }
  if (options.max_buffered_body_bytes < options.max_body_bytes) {
    return absl::InvalidArgumentError(
        "server options: max_buffered_body_bytes must be at least max_body_bytes");
  }
  for (const TokenBucketOptions& rate :
       {options.fresh_evidence_rate, options.fresh_evidence_rate_per_source}) {
    if (!(rate.burst >= 1) || !(rate.rate_per_second >= 0)) {
      return absl::InvalidArgumentError(
          "server options: a fresh-evidence rate needs a burst of at least 1 and a rate of at "
          "least 0");
    }
  }
  return std::unique_ptr<Server>(new Server(std::make_unique<Impl>(std::move(options))));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;
absl::Status Server::Start() { return impl_->listeners.Start(); }
uint16_t Server::port(size_t index) const { return impl_->listeners.port(index); }
void Server::StopAccepting() { impl_->listeners.StopAccepting(); }
void Server::Shutdown(absl::Duration grace) { impl_->listeners.Shutdown(grace); }
ServerStats Server::stats() const { return impl_->listeners.stats(); }

}  // namespace concord::net

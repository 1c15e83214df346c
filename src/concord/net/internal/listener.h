// The listening side of net::Server (server.h): binds the listeners, runs
// the I/O threads and the worker pool, accepts connections and admits or
// refuses each against the connection limits (DESIGN.md §5a) before any TLS,
// renews the key-bound certificate, and stops: closes the acceptors, drains
// in-flight requests for a grace period, then closes every connection and
// joins the threads. Server::Impl is one of these. Start, StopAccepting and
// Shutdown are serialized; the rest is thread-safe.
#pragma once

// clang-format off
#include <utility>  // Boost 1.74 Asio under C++20 needs this first.
// clang-format on

#include <boost/asio.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "concord/net/internal/server_core.h"
#include "concord/net/server.h"

namespace concord::net::internal {

class Listeners final {
 public:
  // `options` as validated by Server::Create.
  explicit Listeners(ServerOptions options)
      : core_(std::make_unique<ServerCore>(std::move(options))) {}
  ~Listeners() { Shutdown(absl::ZeroDuration()); }
  Listeners(const Listeners&) = delete;
  Listeners& operator=(const Listeners&) = delete;

  // As Server::Start, StopAccepting, Shutdown, port and stats.
  absl::Status Start();
  void StopAccepting();
  void Shutdown(absl::Duration grace);
  uint16_t port(size_t index) const {
    return index < core_->listeners_.size() ? core_->listeners_[index]->port : 0;
  }
  ServerStats stats() const { return core_->stats(); }

 private:
  void Accept(Listener& listener);
  // Admits or refuses one accepted socket.
  void Admit(Listener& listener, tcp::socket socket);
  void ScheduleRenewal();

  std::unique_ptr<ServerCore> core_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::unique_ptr<asio::steady_timer> renewal_timer_;
  std::vector<std::thread> io_threads_;
  std::mutex lifecycle_mu_;
  bool running_ = false;
};

}  // namespace concord::net::internal

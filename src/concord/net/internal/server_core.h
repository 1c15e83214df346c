// What the server's connections share: the options, clock, logger and
// random source, the aTLS identity, the admission counters (connections,
// buffered body bytes, per-handshake attestation rate), the verification
// slots of the worker pool, the registry of open connections and the
// counters behind ServerStats. Owned by Listeners (listener.h); outlives
// every connection. Thread-safe.
#pragma once

// clang-format off
#include <utility>  // Boost 1.74 Asio under C++20 needs this first.
// clang-format on

#include <atomic>
#include <boost/asio.hpp>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "concord/common/clock.h"
#include "concord/common/log.h"
#include "concord/common/random.h"
#include "concord/common/token_bucket.h"
#include "concord/crypto/random.h"
#include "concord/crypto/ssl_ptr.h"
#include "concord/net/internal/admission.h"
#include "concord/net/internal/atls_handshake.h"
#include "concord/net/server.h"

namespace concord::net::internal {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// The address a client is counted by: its IP without the port, an
// IPv4-mapped IPv6 address as the IPv4 one. `text` that is no address is
// returned as it is.
std::string ClientKey(const asio::ip::address& address);
std::string ClientKey(const std::string& text);

// Before its PROXY header a connection counts against the balancer, apart
// from the clients (a balancer's address may also be a client's).
std::string BalancerKey(absl::string_view peer);

// ListenerOptions::max_connections with 0 resolved to an equal share of what
// the listeners with a limit of their own leave.
std::vector<size_t> ListenerLimits(const ServerOptions& options);

struct Listener {
  ListenerOptions options;
  size_t index = 0;            // in ServerOptions::listeners
  size_t max_connections = 0;  // resolved (ListenerLimits)
  // With ListenerOptions::handler_threads; else handlers run on the workers.
  std::unique_ptr<asio::thread_pool> handler_pool;
  std::unique_ptr<tcp::acceptor> acceptor;
  crypto::SslPtr<SSL_CTX> ctx;
  uint16_t port = 0;
};

class Connection;

// Everything the connections share; outlives every connection (the Server
// drains and destroys them before it goes).
class ServerCore final {
 public:
  explicit ServerCore(ServerOptions options)
      : options_(std::move(options)),
        clock_(options_.clock != nullptr ? options_.clock : &SystemClock::Get()),
        random_(options_.random != nullptr ? options_.random : &crypto::SystemRandom::Get()),
        log_(options_.logger != nullptr ? options_.logger : &Logger::Default()),
        identity_(options_, *clock_, *log_),
        connection_counter_(options_.max_connections, ListenerLimits(options_)),
        body_budget_(options_.max_buffered_body_bytes),
        fresh_evidence_(options_.fresh_evidence_rate, *clock_),
        fresh_evidence_by_source_(options_.fresh_evidence_rate_per_source, kMaxFreshEvidenceSources,
                                  *clock_) {}
  // The acceptors and the pool use io_'s services (strands, reactor): they
  // go first, io_ (a later member) last.
  ~ServerCore() {
    listeners_.clear();
    workers_.reset();
  }
  ServerCore(const ServerCore&) = delete;
  ServerCore& operator=(const ServerCore&) = delete;

  const ServerOptions& options() const { return options_; }
  Clock& clock() const { return *clock_; }
  Logger& log() const { return *log_; }
  RandomSource& random() const { return *random_; }
  asio::io_context& io() { return io_; }
  asio::thread_pool& workers() { return *workers_; }

  // The server's aTLS identity (atls_handshake.h).
  ServerIdentity& identity() { return identity_; }

  // Reserves a slot for a verification or attestation on the worker pool;
  // false (and counted) when max_pending_verifications are taken.
  bool AcquireVerificationSlot() {
    size_t pending = pending_verifications_.fetch_add(1);
    if (pending >= options_.max_pending_verifications) {
      pending_verifications_.fetch_sub(1);
      verifications_refused_.fetch_add(1);
      return false;
    }
    return true;
  }
  void ReleaseVerificationSlot() { pending_verifications_.fetch_sub(1); }

  // Counts a new connection of `listener` from `source` (a ClientKey or
  // BalancerKey); false, counted by reason, over a limit.
  bool AdmitConnection(size_t listener, const std::string& source, size_t source_limit) {
    switch (connection_counter_.Admit(listener, source, source_limit)) {
      case internal::ConnectionRefusal::kNone:
        return true;
      case internal::ConnectionRefusal::kServerLimit:
        refused_server_limit_.fetch_add(1);
        return false;
      case internal::ConnectionRefusal::kListenerLimit:
        refused_listener_limit_.fetch_add(1);
        return false;
      case internal::ConnectionRefusal::kSourceLimit:
        refused_source_limit_.fetch_add(1);
        return false;
    }
    return false;
  }
  // Counts an admitted connection against `to` instead of `from`; false
  // (counted) when `to` is at its limit.
  bool MoveConnection(size_t listener, const std::string& from, const std::string& to) {
    if (!connection_counter_.Move(listener, from, to,
                                  options_.listeners[listener].max_connections_per_source)) {
      refused_source_limit_.fetch_add(1);
      return false;
    }
    return true;
  }
  void ReleaseConnection(size_t listener, const std::string& source) {
    connection_counter_.Release(listener, source);
  }
  size_t OpenConnections() const { return connection_counter_.open(); }

  internal::ByteBudget& body_budget() { return body_budget_; }

  // Takes a per-handshake attestation token for `source`; false (and
  // counted) over the source's or the server's rate.
  bool AdmitFreshEvidence(const std::string& source) {
    if (!fresh_evidence_by_source_.TryTake(source) || !fresh_evidence_.TryTake()) {
      refused_fresh_evidence_rate_.fetch_add(1);
      return false;
    }
    return true;
  }

  // The registry of open connections, for Shutdown to close them.
  void Register(const std::shared_ptr<Connection>& connection);
  void Unregister(Connection* connection) {
    std::lock_guard<std::mutex> lock(connections_mu_);
    connections_.erase(connection);
    connections_cv_.notify_all();
  }
  void RequestStarted() {
    std::lock_guard<std::mutex> lock(connections_mu_);
    ++in_flight_;
  }
  void RequestFinished() {
    std::lock_guard<std::mutex> lock(connections_mu_);
    --in_flight_;
    connections_cv_.notify_all();
  }
  // Waits until no request is in flight or `grace` has passed.
  void WaitForRequests(absl::Duration grace) {
    std::unique_lock<std::mutex> lock(connections_mu_);
    connections_cv_.wait_for(lock, absl::ToChronoNanoseconds(grace),
                             [this] { return in_flight_ == 0; });
  }
  // Waits until every connection has closed or `timeout` has passed.
  void WaitForConnections(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(connections_mu_);
    connections_cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                             [this] { return connections_.empty(); });
  }
  std::vector<std::shared_ptr<Connection>> Connections() {
    std::lock_guard<std::mutex> lock(connections_mu_);
    std::vector<std::shared_ptr<Connection>> out;
    for (auto& entry : connections_) {
      if (auto strong = entry.second.lock()) {
        out.push_back(std::move(strong));
      }
    }
    return out;
  }

  ServerStats stats() const;

  std::atomic<uint64_t> connections_accepted_{0};
  std::atomic<uint64_t> handshakes_failed_{0};
  std::atomic<uint64_t> verifications_refused_{0};
  std::atomic<uint64_t> timeouts_{0};
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> refused_server_limit_{0};
  std::atomic<uint64_t> refused_listener_limit_{0};
  std::atomic<uint64_t> refused_source_limit_{0};
  std::atomic<uint64_t> refused_body_budget_{0};
  std::atomic<uint64_t> refused_fresh_evidence_rate_{0};
  std::atomic<bool> accepting_{false};

  std::vector<std::unique_ptr<Listener>> listeners_;
  std::unique_ptr<asio::thread_pool> workers_;

 private:
  const ServerOptions options_;
  Clock* const clock_;
  RandomSource* const random_;
  Logger* const log_;
  ServerIdentity identity_;
  internal::ConnectionCounter connection_counter_;
  internal::ByteBudget body_budget_;
  TokenBucket fresh_evidence_;
  KeyedTokenBuckets fresh_evidence_by_source_;
  asio::io_context io_;

  std::atomic<size_t> pending_verifications_{0};

  std::mutex connections_mu_;
  std::condition_variable connections_cv_;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections_;
  size_t in_flight_ = 0;
};

}  // namespace concord::net::internal

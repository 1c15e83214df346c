// net::Server's admission bookkeeping (DESIGN.md §5a: work an
// unauthenticated caller can trigger is bounded before it is done): open
// connections counted per server, per listener and per client address, and
// the byte budget shared by buffered request bodies. No sockets here, so
// the arithmetic is tested on its own. Thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace concord::net::internal {

// Why a connection was not admitted.
enum class ConnectionRefusal {
  kNone,
  kServerLimit,    // ServerOptions::max_connections
  kListenerLimit,  // ListenerOptions::max_connections
  kSourceLimit,    // ListenerOptions::max_connections_per_source
};

// Open connections per listener and per (listener, source key). A source key
// is whatever the caller counts by: a client IP, or a load balancer's IP
// under a separate prefix before its PROXY header names the client.
class ConnectionCounter final {
 public:
  // `listener_limits[i]` caps listener i; together at most `server_limit`
  // count.
  ConnectionCounter(size_t server_limit, std::vector<size_t> listener_limits);
  ConnectionCounter(const ConnectionCounter&) = delete;
  ConnectionCounter& operator=(const ConnectionCounter&) = delete;

  // Counts one connection of `listener` from `source` when the server, the
  // listener and the source (under `source_limit`) are all below their
  // limits; otherwise counts nothing and says which limit was reached.
  ConnectionRefusal Admit(size_t listener, const std::string& source, size_t source_limit);
  // Moves one connection of `listener` from `from` to `to` when `to` is
  // below `source_limit`; false (still counted against `from`) otherwise.
  bool Move(size_t listener, const std::string& from, const std::string& to, size_t source_limit);
  // Uncounts one connection admitted (or moved) to `source`.
  void Release(size_t listener, const std::string& source);

  size_t open() const;
  size_t open(size_t listener) const;
  size_t open(size_t listener, const std::string& source) const;

 private:
  struct PerListener {
    size_t limit = 0;
    size_t open = 0;
    std::map<std::string, size_t> by_source;
  };
  // Takes one off `source`'s count; false when it had none.
  bool ForgetSource(PerListener& listener, const std::string& source)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t server_limit_;
  mutable absl::Mutex mu_;
  size_t open_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<PerListener> listeners_ ABSL_GUARDED_BY(mu_);
};

// Bytes reserved out of a fixed budget (buffered request bodies).
class ByteBudget final {
 public:
  explicit ByteBudget(uint64_t limit) : limit_(limit) {}
  ByteBudget(const ByteBudget&) = delete;
  ByteBudget& operator=(const ByteBudget&) = delete;

  // Reserves `bytes` when they fit in what remains; false (nothing
  // reserved) otherwise.
  bool TryReserve(uint64_t bytes);
  // Returns `bytes` reserved earlier.
  void Release(uint64_t bytes) { used_.fetch_sub(bytes); }
  uint64_t used() const { return used_.load(); }

 private:
  const uint64_t limit_;
  std::atomic<uint64_t> used_{0};
};

}  // namespace concord::net::internal

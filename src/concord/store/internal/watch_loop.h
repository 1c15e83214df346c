// Shared Watch() machinery for the in-tree backends (private to store/): a
// thread per watch that re-reads the key when nudged by a local write or when
// its poll interval elapses, and reports each state that differs from the last
// one it reported. WatcherSet lets a backend nudge the watches of a key.
// Thread-safe.
#pragma once

#include <functional>
#include <string>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "concord/common/bytes.h"
#include "concord/store/store.h"

namespace concord::store::internal {

class WatchLoop final {
 public:
  using ReadFn = std::function<absl::StatusOr<Bytes>()>;

  // Starts the thread; the first read happens at once. `poll_interval` may be
  // absl::InfiniteDuration() when every change is nudged.
  WatchLoop(std::string key, ReadFn read, WatchCallback callback, absl::Duration poll_interval);
  // Stops and joins the thread (waits for a running callback).
  ~WatchLoop();
  WatchLoop(const WatchLoop&) = delete;
  WatchLoop& operator=(const WatchLoop&) = delete;

  const std::string& key() const { return key_; }
  // Makes the thread re-read the key soon.
  void Nudge();

 private:
  void Run();

  const std::string key_;
  const ReadFn read_;
  const WatchCallback callback_;
  const absl::Duration poll_interval_;
  absl::Mutex mu_;
  bool dirty_ ABSL_GUARDED_BY(mu_) = true;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts after everything above is set
};

// The live watches of one backend, so its writes can nudge them.
class WatcherSet final {
 public:
  void Add(WatchLoop* loop);
  void Remove(WatchLoop* loop);
  // Nudges every watch of `key`.
  void Nudge(absl::string_view key);

 private:
  absl::Mutex mu_;
  absl::flat_hash_set<WatchLoop*> loops_ ABSL_GUARDED_BY(mu_);
};

// The handle the backends return: unregisters from `set`, then stops the loop.
class RegisteredWatch final : public WatchHandle {
 public:
  RegisteredWatch(WatcherSet& set, std::unique_ptr<WatchLoop> loop);
  ~RegisteredWatch() override;
  RegisteredWatch(const RegisteredWatch&) = delete;
  RegisteredWatch& operator=(const RegisteredWatch&) = delete;

 private:
  WatcherSet& set_;
  std::unique_ptr<WatchLoop> loop_;
};

}  // namespace concord::store::internal

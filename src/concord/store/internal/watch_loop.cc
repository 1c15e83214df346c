#include "concord/store/internal/watch_loop.h"

#include <optional>
#include <utility>

namespace concord::store::internal {
namespace {

bool SameState(const absl::StatusOr<Bytes>& a, const absl::StatusOr<Bytes>& b) {
  if (a.ok() != b.ok()) {
    return false;
  }
  return a.ok() ? *a == *b : a.status() == b.status();
}

}  // namespace

WatchLoop::WatchLoop(std::string key, ReadFn read, WatchCallback callback,
                     absl::Duration poll_interval)
    : key_(std::move(key)),
      read_(std::move(read)),
      callback_(std::move(callback)),
      poll_interval_(poll_interval),
      thread_([this] { Run(); }) {}

WatchLoop::~WatchLoop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

void WatchLoop::Nudge() {
  absl::MutexLock lock(&mu_);
  dirty_ = true;
}

void WatchLoop::Run() {
  std::optional<absl::StatusOr<Bytes>> last;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return dirty_ || stop_; };
      if (poll_interval_ == absl::InfiniteDuration()) {
        mu_.Await(absl::Condition(&wake));
      } else {
        mu_.AwaitWithTimeout(absl::Condition(&wake), poll_interval_);
      }
      if (stop_) {
        return;
      }
      // Cleared before the read, so a write that lands during the read
      // nudges again and its final state is never missed.
      dirty_ = false;
    }
    absl::StatusOr<Bytes> state = read_();
    if (last.has_value() && SameState(*last, state)) {
      continue;
    }
    callback_(state);
    last = std::move(state);
  }
}

void WatcherSet::Add(WatchLoop* loop) {
  absl::MutexLock lock(&mu_);
  loops_.insert(loop);
}

void WatcherSet::Remove(WatchLoop* loop) {
  absl::MutexLock lock(&mu_);
  loops_.erase(loop);
}

void WatcherSet::Nudge(absl::string_view key) {
  absl::MutexLock lock(&mu_);
  for (WatchLoop* loop : loops_) {
    if (loop->key() == key) {
      loop->Nudge();
    }
  }
}

RegisteredWatch::RegisteredWatch(WatcherSet& set, std::unique_ptr<WatchLoop> loop)
    : set_(set), loop_(std::move(loop)) {
  set_.Add(loop_.get());
  // The loop may have read before it was registered; a write in between sent
  // it no nudge, so make it read once more.
  loop_->Nudge();
}

RegisteredWatch::~RegisteredWatch() {
  set_.Remove(loop_.get());
  loop_.reset();
}

}  // namespace concord::store::internal

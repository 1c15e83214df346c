// A Store wrapper for failover and retry tests (TESTONLY): it forwards to a
// real store but can fail the next N calls of chosen operations with a chosen
// status (Unavailable by default), delay every call, hold back one answer,
// and count calls.
// Thread-safe.
#pragma once

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "concord/store/store.h"

namespace concord::store::testing {

class FaultInjectingStore final : public Store {
 public:
  // Bit set of operations a fault applies to.
  enum Op : uint32_t {
    kGet = 1u << 0,
    kPut = 1u << 1,
    kDelete = 1u << 2,
    kList = 1u << 3,
    kWatch = 1u << 4,
    kCommit = 1u << 5,
    kAll = 0x3f,
  };

  // `base` must outlive this wrapper and every watch made through it.
  explicit FaultInjectingStore(Store& base) : base_(base) {}
  FaultInjectingStore(const FaultInjectingStore&) = delete;
  FaultInjectingStore& operator=(const FaultInjectingStore&) = delete;

  // The next `n` calls of an operation in `ops` return `status` without
  // reaching the base store.
  void FailNext(int n, uint32_t ops = kAll,
                absl::Status status = absl::UnavailableError("injected store fault"));
  // As FailNext, but the first `skip` matching calls still go through.
  void FailAfter(int skip, int n, uint32_t ops = kAll,
                 absl::Status status = absl::UnavailableError("injected store fault"));
  // Every call first sleeps `delay` (real time; for timeouts and lease tests).
  void SetDelay(absl::Duration delay);
  // Calls of `ops` made so far (including failed ones).
  int64_t calls(uint32_t ops = kAll) const;
  // The next Get or Commit in `ops` reaches the base store, then waits with
  // its answer until Release(): an answer that arrives late.
  void HoldNextAnswer(uint32_t ops);
  // True once a call is holding its answer; false after `timeout`.
  bool AwaitHeld(absl::Duration timeout);
  // Lets the held answer (and any later one) return.
  void Release();

  absl::StatusOr<Bytes> Get(absl::string_view key) override;
  absl::Status Put(absl::string_view key, ByteView value) override;
  absl::Status Delete(absl::string_view key) override;
  absl::StatusOr<std::vector<std::string>> List(absl::string_view prefix) override;
  absl::StatusOr<std::unique_ptr<WatchHandle>> Watch(absl::string_view key,
                                                     WatchCallback callback) override;
  absl::Status Commit(const std::vector<Object>& objects,
                      const std::optional<Bytes>& expected_latest, ByteView new_latest) override;

 private:
  // Counts the call, applies the delay, and returns the injected fault if one
  // is due.
  absl::Status Enter(Op op);
  // Holds the answer of a call of `op` if HoldNextAnswer asked for it.
  void Leave(Op op);

  Store& base_;
  mutable absl::Mutex mu_;
  int skip_remaining_ ABSL_GUARDED_BY(mu_) = 0;
  int fail_remaining_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t fail_ops_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status fail_status_ ABSL_GUARDED_BY(mu_);
  absl::Duration delay_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  int64_t counts_[6] ABSL_GUARDED_BY(mu_) = {};
  uint32_t hold_ops_ ABSL_GUARDED_BY(mu_) = 0;
  bool holding_ ABSL_GUARDED_BY(mu_) = false;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace concord::store::testing

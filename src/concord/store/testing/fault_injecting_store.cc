#include "concord/store/testing/fault_injecting_store.h"

#include <bit>
#include <utility>

#include "absl/time/clock.h"
#include "concord/common/status_macros.h"

namespace concord::store::testing {

void FaultInjectingStore::FailNext(int n, uint32_t ops, absl::Status status) {
  FailAfter(0, n, ops, std::move(status));
}

void FaultInjectingStore::FailAfter(int skip, int n, uint32_t ops, absl::Status status) {
  absl::MutexLock lock(&mu_);
  skip_remaining_ = skip;
  fail_remaining_ = n;
  fail_ops_ = ops;
  fail_status_ = std::move(status);
}

void FaultInjectingStore::SetDelay(absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  delay_ = delay;
}

int64_t FaultInjectingStore::calls(uint32_t ops) const {
  absl::MutexLock lock(&mu_);
  int64_t total = 0;
  for (int i = 0; i < 6; ++i) {
    if ((ops & (1u << i)) != 0) {
      total += counts_[i];
    }
  }
  return total;
}

void FaultInjectingStore::HoldNextAnswer(uint32_t ops) {
  absl::MutexLock lock(&mu_);
  hold_ops_ = ops;
  holding_ = false;
  released_ = false;
}

bool FaultInjectingStore::AwaitHeld(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&holding_), timeout);
}

void FaultInjectingStore::Release() {
  absl::MutexLock lock(&mu_);
  released_ = true;
}

void FaultInjectingStore::Leave(Op op) {
  absl::MutexLock lock(&mu_);
  if ((hold_ops_ & op) == 0) {
    return;
  }
  hold_ops_ = 0;
  holding_ = true;
  mu_.Await(absl::Condition(&released_));
  holding_ = false;
}

absl::Status FaultInjectingStore::Enter(Op op) {
  absl::Duration delay;
  absl::Status fault;
  {
    absl::MutexLock lock(&mu_);
    ++counts_[std::countr_zero(static_cast<uint32_t>(op))];
    delay = delay_;
    if (fail_remaining_ > 0 && (fail_ops_ & op) != 0) {
      if (skip_remaining_ > 0) {
        --skip_remaining_;
      } else {
        --fail_remaining_;
        fault = fail_status_;
      }
    }
  }
  if (delay > absl::ZeroDuration()) {
    absl::SleepFor(delay);
  }
  return fault;
}

absl::StatusOr<Bytes> FaultInjectingStore::Get(absl::string_view key) {
  CONCORD_RETURN_IF_ERROR(Enter(kGet));
  absl::StatusOr<Bytes> answer = base_.Get(key);
  Leave(kGet);
  return answer;
}

absl::Status FaultInjectingStore::Put(absl::string_view key, ByteView value) {
  CONCORD_RETURN_IF_ERROR(Enter(kPut));
  return base_.Put(key, value);
}

absl::Status FaultInjectingStore::Delete(absl::string_view key) {
  CONCORD_RETURN_IF_ERROR(Enter(kDelete));
  return base_.Delete(key);
}

absl::StatusOr<std::vector<std::string>> FaultInjectingStore::List(absl::string_view prefix) {
  CONCORD_RETURN_IF_ERROR(Enter(kList));
  return base_.List(prefix);
}

absl::StatusOr<std::unique_ptr<WatchHandle>> FaultInjectingStore::Watch(absl::string_view key,
                                                                        WatchCallback callback) {
  CONCORD_RETURN_IF_ERROR(Enter(kWatch));
  return base_.Watch(key, std::move(callback));
}

absl::Status FaultInjectingStore::Commit(const std::vector<Object>& objects,
                                         const std::optional<Bytes>& expected_latest,
                                         ByteView new_latest) {
  CONCORD_RETURN_IF_ERROR(Enter(kCommit));
  absl::Status answer = base_.Commit(objects, expected_latest, new_latest);
  Leave(kCommit);
  return answer;
}

}  // namespace concord::store::testing

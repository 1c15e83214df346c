#include "concord/net/internal/admission.h"

namespace concord::net::internal {

ConnectionCounter::ConnectionCounter(size_t server_limit, std::vector<size_t> listener_limits)
    : server_limit_(server_limit) {
  listeners_.resize(listener_limits.size());
  for (size_t i = 0; i < listener_limits.size(); ++i) {
    listeners_[i].limit = listener_limits[i];
  }
}

ConnectionRefusal ConnectionCounter::Admit(size_t listener, const std::string& source,
                                           size_t source_limit) {
  absl::MutexLock lock(&mu_);
  PerListener& per = listeners_.at(listener);
  if (open_ >= server_limit_) {
    return ConnectionRefusal::kServerLimit;
  }
  if (per.open >= per.limit) {
    return ConnectionRefusal::kListenerLimit;
  }
  size_t& from_source = per.by_source[source];
  if (from_source >= source_limit) {
    if (from_source == 0) {
      per.by_source.erase(source);
    }
    return ConnectionRefusal::kSourceLimit;
  }
  ++from_source;
  ++per.open;
  ++open_;
  return ConnectionRefusal::kNone;
}

bool ConnectionCounter::Move(size_t listener, const std::string& from, const std::string& to,
                             size_t source_limit) {
  if (from == to) {
    return true;
  }
  absl::MutexLock lock(&mu_);
  PerListener& per = listeners_.at(listener);
  size_t& to_count = per.by_source[to];
  if (to_count >= source_limit) {
    if (to_count == 0) {
      per.by_source.erase(to);
    }
    return false;
  }
  ++to_count;
  ForgetSource(per, from);
  return true;
}

void ConnectionCounter::Release(size_t listener, const std::string& source) {
  absl::MutexLock lock(&mu_);
  PerListener& per = listeners_.at(listener);
  if (ForgetSource(per, source)) {
    --per.open;
    --open_;
  }
}

bool ConnectionCounter::ForgetSource(PerListener& listener, const std::string& source) {
  auto it = listener.by_source.find(source);
  if (it == listener.by_source.end()) {
    return false;  // not counted: a caller bug, but never underflow
  }
  if (--it->second == 0) {
    listener.by_source.erase(it);
  }
  return true;
}

size_t ConnectionCounter::open() const {
  absl::MutexLock lock(&mu_);
  return open_;
}

size_t ConnectionCounter::open(size_t listener) const {
  absl::MutexLock lock(&mu_);
  return listeners_.at(listener).open;
}

size_t ConnectionCounter::open(size_t listener, const std::string& source) const {
  absl::MutexLock lock(&mu_);
  const auto& by_source = listeners_.at(listener).by_source;
  auto it = by_source.find(source);
  return it == by_source.end() ? 0 : it->second;
}

bool ByteBudget::TryReserve(uint64_t bytes) {
  uint64_t used = used_.load();
  do {
    if (bytes > limit_ || used > limit_ - bytes) {
      return false;
    }
  } while (!used_.compare_exchange_weak(used, used + bytes));
  return true;
}

}  // namespace concord::net::internal

// A minimal parallel-for for the history verifier: runs fn(0..n-1) on up to
// `threads` threads (the caller's included) and returns when all are done.
// Work is handed out by an atomic counter. Small inputs run inline.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

namespace concord::history::internal {

// Below this many items per extra thread, starting a thread costs more than
// it saves.
inline constexpr size_t kMinItemsPerThread = 32;

inline void ParallelFor(size_t n, size_t threads, const std::function<void(size_t)>& fn) {
  size_t extra = 0;
  if (threads > 1) {
    extra = std::min(threads - 1, n / kMinItemsPerThread);
  }
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
      fn(i);
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(extra);
  for (size_t t = 0; t < extra; ++t) {
    pool.emplace_back(worker);
  }
  worker();
  for (auto& t : pool) {
    t.join();
  }
}

}  // namespace concord::history::internal

// A small Prometheus metrics registry for concordd's /metrics (text
// exposition format 0.0.4): counters with label sets, one fixed-bucket
// histogram type, and helpers to write gauges that are read at scrape time.
// Increments are lock-free atomics; finding a labelled child takes a shared
// lock (an exclusive one only the first time a label set is seen). Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "concord/net/server.h"

namespace concord::api {

class Counter final {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  void Increment(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// Observations counted into cumulative buckets (upper bounds in seconds).
class Histogram final {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void Observe(absl::Duration d);

  const std::vector<double>& upper_bounds() const { return upper_bounds_; }
  // Non-cumulative count of bucket `i` (i == upper_bounds().size(): +Inf).
  uint64_t bucket(size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum_seconds() const {
    return static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) * 1e-9;
  }

 private:
  const std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_nanos_{0};
};

// A counter family: one Counter per distinct label value tuple.
class CounterFamily final {
 public:
  CounterFamily(std::string name, std::string help, std::vector<std::string> label_names);
  CounterFamily(const CounterFamily&) = delete;
  CounterFamily& operator=(const CounterFamily&) = delete;

  // The counter for `values` (one per label name, in order); created at 0 the
  // first time. The reference stays valid for the family's life.
  Counter& WithLabels(const std::vector<std::string>& values);

  // Appends "# HELP", "# TYPE" and one sample per label set (sorted).
  void Render(std::string* out) const;

 private:
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Counter>> children_ ABSL_GUARDED_BY(mu_);
};

// Text-format helpers.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;
// Escapes a label value (backslash, double quote, newline).
std::string EscapeLabelValue(absl::string_view value);
// "# HELP name help\n# TYPE name type\n".
void AppendMetricHeader(std::string* out, absl::string_view name, absl::string_view type,
                        absl::string_view help);
// "name{k="v",...} value\n" (integers print without a fraction).
void AppendSample(std::string* out, absl::string_view name, const MetricLabels& labels,
                  double value);
// A complete histogram: header, cumulative _bucket lines, _sum and _count.
void AppendHistogram(std::string* out, absl::string_view name, absl::string_view help,
                     const Histogram& histogram);
// The server's admission refusals (concord_server_refused_total by reason)
// and the request body bytes buffered now.
void AppendServerAdmission(std::string* out, const net::ServerStats& stats);

}  // namespace concord::api

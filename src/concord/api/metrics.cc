#include "concord/api/metrics.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace concord::api {
namespace {

std::string FormatValue(double value) {
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  if (std::isnan(value)) {
    return "NaN";
  }
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  return absl::StrFormat("%.9g", value);
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      buckets_(new std::atomic<uint64_t>[upper_bounds_.size() + 1]) {
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
    buckets_[i].store(0, std::memory_order_relaxed);
  }
}

void Histogram::Observe(absl::Duration d) {
  if (d < absl::ZeroDuration()) {
    d = absl::ZeroDuration();
  }
  const double seconds = absl::ToDoubleSeconds(d);
  size_t i = 0;
  while (i < upper_bounds_.size() && seconds > upper_bounds_[i]) {
    ++i;
  }
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_nanos_.fetch_add(static_cast<uint64_t>(absl::ToInt64Nanoseconds(d)),
                       std::memory_order_relaxed);
}

CounterFamily::CounterFamily(std::string name, std::string help,
                             std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}

Counter& CounterFamily::WithLabels(const std::vector<std::string>& values) {
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = children_.find(values);
    if (it != children_.end()) {
      return *it->second;
    }
  }
  absl::MutexLock lock(&mu_);
  std::unique_ptr<Counter>& child = children_[values];
  if (child == nullptr) {
    child = std::make_unique<Counter>();
  }
  return *child;
}

void CounterFamily::Render(std::string* out) const {
  AppendMetricHeader(out, name_, "counter", help_);
  absl::ReaderMutexLock lock(&mu_);
  for (const auto& [values, counter] : children_) {
    MetricLabels labels;
    for (size_t i = 0; i < label_names_.size() && i < values.size(); ++i) {
      labels.emplace_back(label_names_[i], values[i]);
    }
    AppendSample(out, name_, labels, static_cast<double>(counter->value()));
  }
}

std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void AppendMetricHeader(std::string* out, absl::string_view name, absl::string_view type,
                        absl::string_view help) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

void AppendServerAdmission(std::string* out, const net::ServerStats& stats) {
  AppendMetricHeader(out, "concord_server_refused_total", "counter",
                     "Work refused before it was done, by reason: connections over the server, "
                     "listener or per-address limit (closed at accept), request bodies over the "
                     "buffer budget (503), per-handshake attestations over the rate bound.");
  const std::pair<const char*, uint64_t> kReasons[] = {
      {"server_connections", stats.refused_server_limit},
      {"listener_connections", stats.refused_listener_limit},
      {"source_connections", stats.refused_source_limit},
      {"body_budget", stats.refused_body_budget},
      {"fresh_evidence_rate", stats.refused_fresh_evidence_rate},
  };
  for (const auto& [reason, value] : kReasons) {
    AppendSample(out, "concord_server_refused_total", {{"reason", reason}},
                 static_cast<double>(value));
  }
  AppendMetricHeader(out, "concord_server_buffered_body_bytes", "gauge",
                     "Request body bytes buffered now (out of --max-buffered-body-bytes).");
  AppendSample(out, "concord_server_buffered_body_bytes", {},
               static_cast<double>(stats.buffered_body_bytes));
}

void AppendSample(std::string* out, absl::string_view name, const MetricLabels& labels,
                  double value) {
  absl::StrAppend(out, name);
  if (!labels.empty()) {
    out->push_back('{');
    for (size_t i = 0; i < labels.size(); ++i) {
      absl::StrAppend(out, i == 0 ? "" : ",", labels[i].first, "=\"",
                      EscapeLabelValue(labels[i].second), "\"");
    }
    out->push_back('}');
  }
  absl::StrAppend(out, " ", FormatValue(value), "\n");
}

void AppendHistogram(std::string* out, absl::string_view name, absl::string_view help,
                     const Histogram& histogram) {
  AppendMetricHeader(out, name, "histogram", help);
  const std::string bucket_name = absl::StrCat(name, "_bucket");
  uint64_t cumulative = 0;
  const auto& bounds = histogram.upper_bounds();
  for (size_t i = 0; i < bounds.size(); ++i) {
    cumulative += histogram.bucket(i);
    AppendSample(out, bucket_name, {{"le", FormatValue(bounds[i])}},
                 static_cast<double>(cumulative));
  }
  cumulative += histogram.bucket(bounds.size());
  AppendSample(out, bucket_name, {{"le", "+Inf"}}, static_cast<double>(cumulative));
  AppendSample(out, absl::StrCat(name, "_sum"), {}, histogram.sum_seconds());
  AppendSample(out, absl::StrCat(name, "_count"), {}, static_cast<double>(cumulative));
}

}  // namespace concord::api

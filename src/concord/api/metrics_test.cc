#include "concord/api/metrics.h"

#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::api {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, CounterFamilyRendersEachLabelSetSorted) {
  CounterFamily family("concord_requests_total", "Requests.", {"listener", "code"});
  family.WithLabels({"user", "200"}).Increment();
  family.WithLabels({"user", "200"}).Increment(2);
  family.WithLabels({"http", "404"}).Increment();
  std::string out;
  family.Render(&out);
  EXPECT_EQ(out,
            "# HELP concord_requests_total Requests.\n"
            "# TYPE concord_requests_total counter\n"
            "concord_requests_total{listener=\"http\",code=\"404\"} 1\n"
            "concord_requests_total{listener=\"user\",code=\"200\"} 3\n");
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  std::string out;
  AppendSample(&out, "m", {{"k", "a\"b\\c\nd"}}, 1);
  EXPECT_EQ(out, "m{k=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  Histogram histogram({0.001, 0.01});
  histogram.Observe(absl::Microseconds(500));
  histogram.Observe(absl::Milliseconds(5));
  histogram.Observe(absl::Milliseconds(5));
  histogram.Observe(absl::Seconds(2));
  std::string out;
  AppendHistogram(&out, "h_seconds", "Help.", histogram);
  EXPECT_EQ(out,
            "# HELP h_seconds Help.\n"
            "# TYPE h_seconds histogram\n"
            "h_seconds_bucket{le=\"0.001\"} 1\n"
            "h_seconds_bucket{le=\"0.01\"} 3\n"
            "h_seconds_bucket{le=\"+Inf\"} 4\n"
            "h_seconds_sum 2.0105\n"
            "h_seconds_count 4\n");
}

TEST(MetricsTest, NegativeDurationCountsAsZero) {
  Histogram histogram({0.001});
  histogram.Observe(absl::Seconds(-1));
  EXPECT_EQ(histogram.bucket(0), 1u);
  EXPECT_EQ(histogram.sum_seconds(), 0.0);
}

TEST(MetricsTest, ConcurrentIncrementsAreAllCounted) {
  CounterFamily family("c_total", "C.", {"k"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&family, t] {
      for (int i = 0; i < 10000; ++i) {
        family.WithLabels({t % 2 == 0 ? "even" : "odd"}).Increment();
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(family.WithLabels({"even"}).value(), 20000u);
  EXPECT_EQ(family.WithLabels({"odd"}).value(), 20000u);
}

}  // namespace
}  // namespace concord::api

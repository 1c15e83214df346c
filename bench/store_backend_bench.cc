// Store backend latency: Commit (one 2 KiB object plus the `latest` swap,
// the shape of a manifest update) and Get of a 2 KiB object, on every store
// URL in the environment variable CONCORD_BENCH_STORE_URLS (comma-separated,
// e.g. "file:///tmp/s,etcd://127.0.0.1:2379/bench"). Reports p50/p99 per
// operation as counters (p50_us, p99_us). bench/run_store_bench.sh starts a
// local etcd and a file directory and runs this.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "concord/store/builtin.h"

namespace concord::store {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::unique_ptr<Store> OpenOrDie(const std::string& url) {
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(url, Deps{});
  if (!store.ok()) {
    std::fprintf(stderr, "store_backend_bench: %s: %s\n", url.c_str(),
                 store.status().ToString().c_str());
    std::abort();
  }
  return std::move(*store);
}

void Check(const absl::Status& status, const char* what) {
  if (!status.ok()) {
    std::fprintf(stderr, "store_backend_bench: %s: %s\n", what, status.ToString().c_str());
    std::abort();
  }
}

void ReportPercentiles(benchmark::State& state, std::vector<double>& micros) {
  if (micros.empty()) {
    return;
  }
  std::sort(micros.begin(), micros.end());
  state.counters["p50_us"] = micros[micros.size() / 2];
  state.counters["p99_us"] = micros[std::min(micros.size() - 1, micros.size() * 99 / 100)];
}

Bytes Payload(uint64_t n) {
  Bytes out(2048);
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<uint8_t>((n * 131 + i * 7) & 0xff);
  }
  return out;
}

void BM_Commit(benchmark::State& state, const std::string& url) {
  std::unique_ptr<Store> store = OpenOrDie(url);
  std::optional<Bytes> latest;
  absl::StatusOr<Bytes> current = store->Get(kLatestKey);
  if (current.ok()) {
    latest = *current;
  }
  std::vector<double> micros;
  uint64_t n = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch())
          .count());
  for (auto _ : state) {
    ++n;
    std::vector<Object> objects = {{absl::StrCat("manifests/bench-", n), Payload(n)}};
    Bytes next = ToBytes(absl::StrCat("latest-", n));
    auto start = SteadyClock::now();
    Check(store->Commit(objects, latest, next), "commit");
    micros.push_back(std::chrono::duration<double, std::micro>(SteadyClock::now() - start).count());
    latest = std::move(next);
  }
  ReportPercentiles(state, micros);
}

void BM_Get(benchmark::State& state, const std::string& url) {
  std::unique_ptr<Store> store = OpenOrDie(url);
  Check(store->Put("bench/get-object", Payload(1)), "put");
  std::vector<double> micros;
  for (auto _ : state) {
    auto start = SteadyClock::now();
    absl::StatusOr<Bytes> value = store->Get("bench/get-object");
    micros.push_back(std::chrono::duration<double, std::micro>(SteadyClock::now() - start).count());
    Check(value.status(), "get");
    benchmark::DoNotOptimize(value->data());
  }
  ReportPercentiles(state, micros);
}

}  // namespace
}  // namespace concord::store

int main(int argc, char** argv) {
  const char* urls = std::getenv("CONCORD_BENCH_STORE_URLS");
  if (urls == nullptr || *urls == '\0') {
    std::fprintf(stderr,
                 "store_backend_bench: set CONCORD_BENCH_STORE_URLS (comma-separated store "
                 "URLs); bench/run_store_bench.sh does\n");
    return 2;
  }
  for (absl::string_view url : absl::StrSplit(urls, ',', absl::SkipEmpty())) {
    std::string u(url);
    std::string scheme = u.substr(0, u.find(':'));
    benchmark::RegisterBenchmark(absl::StrCat("Commit2KiB/", scheme).c_str(),
                                 concord::store::BM_Commit, u)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(absl::StrCat("Get2KiB/", scheme).c_str(), concord::store::BM_Get,
                                 u)
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

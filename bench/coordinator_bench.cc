// A manifest update on the replica that commits it, in process:
// Coordinator::SetManifest with an owner-signed (P-384, as `concord keygen
// owner` makes) update request against a ready replica, simulated platform.
// This is the replica's own share of POST /v1/manifest, without HTTP, TLS,
// HAProxy or the followers that share the machine in bench/run_ha_bench.sh.
// The store is memory, or each URL in CONCORD_BENCH_STORE_URLS
// (comma-separated, as for store_backend_bench; bench/run_store_bench.sh
// starts etcd and Redis and passes them).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "concord/attest/sim/simulated_attester.h"
#include "concord/attest/sim/simulated_host.h"
#include "concord/attest/snp/verifier.h"
#include "concord/common/clock.h"
#include "concord/common/hex.h"
#include "concord/common/log.h"
#include "concord/coordinator/coordinator.h"
#include "concord/coordinator/launch_config.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/random.h"
#include "concord/history/format.h"
#include "concord/store/builtin.h"
#include "concord/store/memory/memory_store.h"
#include "concord/testing/testdata.h"

namespace concord::coordinator {
namespace {

using SteadyClock = std::chrono::steady_clock;

template <typename T>
T OrDie(absl::StatusOr<T> value, const char* what) {
  if (!value.ok()) {
    std::fprintf(stderr, "coordinator_bench: %s: %s\n", what, value.status().ToString().c_str());
    std::abort();
  }
  return *std::move(value);
}

void Check(const absl::Status& status, const char* what) {
  if (!status.ok()) {
    std::fprintf(stderr, "coordinator_bench: %s: %s\n", what, status.ToString().c_str());
    std::abort();
  }
}

// Everything a replica needs apart from its store, made once.
struct Platform {
  std::shared_ptr<const attest::SimulatedHost> host;
  LaunchConfig launch;
  std::unique_ptr<attest::SnpVerifier> verifier;
  std::unique_ptr<attest::SimulatedAttester> attester;
  crypto::PrivateKey owner;
  crypto::PrivateKey seed_owner;
};

const Platform& SharedPlatform() {
  static const Platform* platform = [] {
    const std::string dir = ::concord::testing::MakeTempDir("concord-coordinator-bench") + "/host";
    OrDie(attest::SimulatedHost::Init(dir, {SystemClock::Get(), crypto::SystemRandom::Get()}),
          "simulated host");
    auto* p = new Platform{
        .host = OrDie(attest::SimulatedHost::Load(dir), "load host"),
        .launch = OrDie(ParseLaunchConfig(AsBytes(
                            R"({"Version":1,"Kind":"coordinator","Platforms":["simulated"]})")),
                        "launch config"),
        .verifier = OrDie(attest::SnpVerifier::Create({.allow_simulated = true}), "verifier"),
        .attester = nullptr,
        .owner = OrDie(crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP384), "owner key"),
        .seed_owner = OrDie(crypto::PrivateKey::GenerateRsa(3072), "seed owner key")};
    p->attester = std::make_unique<attest::SimulatedAttester>(p->host, p->launch.policy_hash);
    return p;
  }();
  return *platform;
}

// A manifest of the shape the cluster benchmark sets: the coordinator, two
// workloads, simulated reference values, one owner and one seed-share owner.
Bytes Manifest(const Platform& p, uint64_t n) {
  const attest::SimulatedReferenceValues rv = p.host->info().reference_values();
  return ToBytes(absl::StrCat(
      R"({"Version":1,"Policies":{")", HexEncode(p.launch.policy_hash),
      R"(":{"Name":"coordinator","SANs":["localhost"],"Role":"coordinator"},")",
      HexEncode(crypto::Sha256(AsBytes("frontend"))),
      R"(":{"Name":"frontend","SANs":["frontend.svc","set)", n,
      R"(.bench.svc"],"WorkloadSecretID":"frontend"},")", HexEncode(crypto::Sha256(AsBytes("db"))),
      R"(":{"Name":"db","SANs":["db.svc"]}},"ReferenceValues":{"simulated":[{"ARKHash":")",
      HexEncode(rv.ark_spki_sha256), R"(","Measurement":")", HexEncode(rv.measurement),
      R"("}]},"WorkloadOwnerKeys":[")", HexEncode(p.owner.public_key().spki_der()),
      R"("],"SeedshareOwnerKeys":[")", HexEncode(p.seed_owner.public_key().spki_der()), R"("]})"));
}

// An update over `previous`, or (without one) a first set over the
// replica's challenge.
SetManifestRequest Signed(const Platform& p, Bytes manifest,
                          std::optional<crypto::Sha256Digest> previous,
                          std::optional<crypto::Sha256Digest> challenge = std::nullopt) {
  SetManifestRequest request;
  request.authorization =
      OrDie(history::SignAuthorization(
                p.owner, history::TransitionKind::kManifest, crypto::Sha256(manifest),
                previous.value_or(challenge.value_or(crypto::Sha256Digest{}))),
            "sign authorization");
  request.manifest = std::move(manifest);
  request.expected_previous = previous;
  request.genesis_challenge = challenge;
  return request;
}

void RunUpdates(benchmark::State& state, store::Store& store) {
  const Platform& p = SharedPlatform();
  Logger log(LogFormat::kHuman, LogLevel::kWarning, [](absl::string_view) {});
  std::unique_ptr<Coordinator> c =
      OrDie(Coordinator::Create(Options{.launch = p.launch, .replica_name = "coordinator-bench"},
                                Deps{.store = store,
                                     .clock = SystemClock::Get(),
                                     .random = crypto::SystemRandom::Get(),
                                     .verifier = *p.verifier,
                                     .attester = *p.attester,
                                     .log = log}),
            "coordinator");
  Check(c->Start(), "start");
  uint64_t n = 0;
  crypto::Sha256Digest head =
      OrDie(
          c->SetManifest(Signed(p, Manifest(p, n++), std::nullopt, c->Status().genesis_challenge)),
          "first set")
          .transition_hash;
  std::vector<double> micros;
  for (auto _ : state) {
    // The owner signs on the client: not part of the replica's time.
    state.PauseTiming();
    SetManifestRequest request = Signed(p, Manifest(p, n++), head);
    state.ResumeTiming();
    const auto t0 = SteadyClock::now();
    TransitionResult result = OrDie(c->SetManifest(request), "update");
    micros.push_back(std::chrono::duration<double, std::micro>(SteadyClock::now() - t0).count());
    head = result.transition_hash;
  }
  c->Stop();
  std::sort(micros.begin(), micros.end());
  if (!micros.empty()) {
    state.counters["p50_us"] = micros[micros.size() / 2];
    state.counters["p99_us"] = micros[std::min(micros.size() - 1, micros.size() * 99 / 100)];
  }
}

void BM_ManifestUpdateMemory(benchmark::State& state) {
  std::unique_ptr<store::MemoryStore> store = store::MemoryStore::Create();
  RunUpdates(state, *store);
}
BENCHMARK(BM_ManifestUpdateMemory)->Unit(benchmark::kMicrosecond)->UseRealTime();

void RegisterStoreBenchmarks() {
  const char* urls = std::getenv("CONCORD_BENCH_STORE_URLS");
  if (urls == nullptr) {
    return;
  }
  for (absl::string_view url : absl::StrSplit(urls, ',', absl::SkipEmpty())) {
    const std::string name = absl::StrCat("BM_ManifestUpdate/", url);
    // Each run starts an empty history under its own prefix.
    benchmark::RegisterBenchmark(
        name.c_str(),
        [u = std::string(url)](benchmark::State& state) {
          static int run = 0;
          std::unique_ptr<store::Store> store =
              OrDie(store::OpenStore(absl::StrCat(u, "-run", ++run), store::Deps{}), "open store");
          RunUpdates(state, *store);
        })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  }
}

}  // namespace
}  // namespace concord::coordinator

int main(int argc, char** argv) {
  concord::coordinator::RegisterStoreBenchmarks();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

// aTLS benchmarks: the server's CPU per new connection (full TLS 1.3
// handshake with the coordinator's evidence, plus one tiny request) for the
// three handshake kinds, and the evidence codec. Server CPU is the process's
// CPU time (getrusage RUSAGE_SELF, all threads) minus the CPU time of the
// benchmark thread, which runs the blocking client, including its own
// evidence checks and its simulated attestation. Reported as the counter
// server_us_per_conn. Uses a simulated host made in a temp dir.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "concord/atls/atls_protocol.h"
#include "concord/attest/sim/simulated_attester.h"
#include "concord/attest/sim/simulated_host.h"
#include "concord/attest/snp/verifier.h"
#include "concord/crypto/hash.h"
#include "concord/net/client.h"
#include "concord/net/server.h"
#include "concord/testing/fake_clock.h"
#include "concord/testing/fake_random.h"
#include "concord/testing/testdata.h"

namespace concord::net {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1790000000);

double CpuMicros(int who) {
  rusage usage{};
  getrusage(who, &usage);
  return usage.ru_utime.tv_sec * 1e6 + usage.ru_utime.tv_usec + usage.ru_stime.tv_sec * 1e6 +
         usage.ru_stime.tv_usec;
}

void Die(const absl::Status& status) {
  std::fprintf(stderr, "atls_bench: %s\n", status.ToString().c_str());
  std::abort();
}

struct Env {
  Env() : clock(kStart) {
    testing::FakeRandom random(5);
    std::string dir = testing::MakeTempDir("atls-bench");
    auto info = attest::SimulatedHost::Init(dir, {clock, random});
    if (!info.ok()) {
      Die(info.status());
    }
    auto loaded = attest::SimulatedHost::Load(dir);
    if (!loaded.ok()) {
      Die(loaded.status());
    }
    host = std::shared_ptr<const attest::SimulatedHost>(std::move(*loaded));
    auto made = attest::SnpVerifier::Create({.allow_simulated = true, .cache_capacity = 16});
    if (!made.ok()) {
      Die(made.status());
    }
    verifier = std::move(*made);
    server_attester =
        std::make_unique<attest::SimulatedAttester>(host, crypto::Sha256(AsBytes("server")));
    client_attester =
        std::make_unique<attest::SimulatedAttester>(host, crypto::Sha256(AsBytes("client")));
  }

  absl::StatusOr<attest::Claims> Check(const attest::Evidence& evidence,
                                       const std::array<uint8_t, 64>& expected) const {
    attest::VerifyOptions options;
    options.at = kStart + absl::Hours(1);
    options.report_data = expected;
    options.reference_values.simulated = {host->info().reference_values()};
    return verifier->Verify(evidence, options);
  }

  testing::FakeClock clock;
  std::shared_ptr<const attest::SimulatedHost> host;
  std::unique_ptr<attest::SnpVerifier> verifier;
  std::unique_ptr<attest::SimulatedAttester> server_attester;
  std::unique_ptr<attest::SimulatedAttester> client_attester;
};

Env& GetEnv() {
  static Env* env = new Env();
  return *env;
}

enum class Kind { kKeyBound, kFreshEvidence, kAttestedClient };

void RunConnections(benchmark::State& state, Kind kind) {
  Env& env = GetEnv();
  ListenerOptions listener;
  listener.name = "bench";
  listener.client_auth = kind == Kind::kAttestedClient ? ClientAuth::kAttested : ClientAuth::kNone;
  listener.check_client = [&env](const attest::Evidence& evidence,
                                 const std::array<uint8_t, 64>& expected) {
    return env.Check(evidence, expected);
  };
  listener.handler = [](const HttpRequest&) {
    HttpResponse response;
    response.body = "{}";
    return response;
  };
  ServerOptions options;
  options.listeners.push_back(std::move(listener));
  options.attester = env.server_attester.get();
  options.clock = &env.clock;
  // The fake clock never refills a rate bound: measure handshakes unbounded.
  options.fresh_evidence_rate = {.rate_per_second = 0, .burst = 1e12};
  options.fresh_evidence_rate_per_source = options.fresh_evidence_rate;
  auto server = Server::Create(std::move(options));
  if (!server.ok()) {
    Die(server.status());
  }
  if (absl::Status started = (*server)->Start(); !started.ok()) {
    Die(started);
  }

  ClientOptions client_options;
  client_options.host = "127.0.0.1";
  client_options.port = (*server)->port(0);
  client_options.check_server = [&env](const attest::Evidence& evidence,
                                       const std::array<uint8_t, 64>& expected) {
    return env.Check(evidence, expected);
  };
  client_options.fresh_evidence = kind == Kind::kFreshEvidence;
  if (kind == Kind::kAttestedClient) {
    client_options.client_key = *crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256);
    client_options.attester = env.client_attester.get();
  }
  client_options.clock = &env.clock;
  auto client = HttpsClient::Create(std::move(client_options));
  if (!client.ok()) {
    Die(client.status());
  }
  // Warm the verifier's chain cache on both sides.
  if (auto warm = (*client)->Call("GET", "/"); !warm.ok()) {
    Die(warm.status());
  }
  (*client)->Close();

  double process_before = CpuMicros(RUSAGE_SELF);
  double thread_before = CpuMicros(RUSAGE_THREAD);
  for (auto _ : state) {
    auto response = (*client)->Call("GET", "/v1/status");
    if (!response.ok() || response->status != 200) {
      state.SkipWithError("call failed");
      break;
    }
    (*client)->Close();
  }
  double process_cpu = CpuMicros(RUSAGE_SELF) - process_before;
  double client_cpu = CpuMicros(RUSAGE_THREAD) - thread_before;
  double n = static_cast<double>(state.iterations());
  state.counters["server_us_per_conn"] = (process_cpu - client_cpu) / n;
  state.counters["client_us_per_conn"] = client_cpu / n;
  (*server)->Shutdown(absl::Seconds(1));
}

void BM_ServerCpuKeyBoundHandshake(benchmark::State& state) {
  RunConnections(state, Kind::kKeyBound);
}
BENCHMARK(BM_ServerCpuKeyBoundHandshake)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_ServerCpuFreshEvidenceHandshake(benchmark::State& state) {
  RunConnections(state, Kind::kFreshEvidence);
}
BENCHMARK(BM_ServerCpuFreshEvidenceHandshake)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_ServerCpuAttestedClientHandshake(benchmark::State& state) {
  RunConnections(state, Kind::kAttestedClient);
}
BENCHMARK(BM_ServerCpuAttestedClientHandshake)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_DecodeEvidence(benchmark::State& state) {
  Env& env = GetEnv();
  auto evidence = env.client_attester->Attest({});
  auto der = atls::EncodeEvidence(*evidence);
  for (auto _ : state) {
    benchmark::DoNotOptimize(atls::DecodeEvidence(*der));
  }
}
BENCHMARK(BM_DecodeEvidence);

void BM_ParsePeerCertificate(benchmark::State& state) {
  Env& env = GetEnv();
  auto key = crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256);
  auto evidence = env.client_attester->Attest({});
  auto der = atls::MakeAttestedCertificate(*key, *evidence, "bench", kStart, absl::Hours(1));
  for (auto _ : state) {
    benchmark::DoNotOptimize(atls::ParsePeerCertificate(*der));
  }
}
BENCHMARK(BM_ParsePeerCertificate);

}  // namespace
}  // namespace concord::net

BENCHMARK_MAIN();

// Workload certificate issuance (the coordinator's hot path for
// POST /v1/mesh/cert): one Issue() for an ECDSA P-256 subject key, under a
// P-256 mesh CA.
//   build-<dir>/bench/ca_bench
#include <memory>

#include "benchmark/benchmark.h"
#include "concord/ca/ca_certs.h"
#include "concord/ca/issuer.h"
#include "concord/common/clock.h"
#include "concord/crypto/random.h"

namespace concord::ca {
namespace {

struct Fixture {
  Fixture() {
    auto root_key = crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP384);
    auto mesh_key = crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256);
    auto subject = crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256);
    auto& random = crypto::SystemRandom::Get();
    const absl::Time now = SystemClock::Get().Now();
    auto root = CreateRootCaCertificate(*root_key, "bench", now, random);
    auto bundle = CreateCaBundle(*root_key, *root, *mesh_key, 1, now, random);
    subject_key = std::make_unique<crypto::PublicKey>(subject->public_key());
    issuer = std::move(*Issuer::Create(std::move(*mesh_key), std::move(*bundle),
                                       Issuer::Deps{SystemClock::Get(), random}));
    sans.dns = {"backend", "backend.default.svc.cluster.local"};
    sans.ips = {"10.0.0.7"};
  }
  std::unique_ptr<crypto::PublicKey> subject_key;
  std::unique_ptr<Issuer> issuer;
  Sans sans;
};

void BM_IssueWorkloadCertP256(benchmark::State& state) {
  static Fixture* fixture = new Fixture();
  for (auto _ : state) {
    auto cert = fixture->issuer->Issue(*fixture->subject_key, fixture->sans);
    if (!cert.ok()) {
      state.SkipWithError(std::string(cert.status().message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(cert->der.data());
  }
}
BENCHMARK(BM_IssueWorkloadCertP256)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_IssueWorkloadCertP256)->Unit(benchmark::kMicrosecond)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace concord::ca

BENCHMARK_MAIN();

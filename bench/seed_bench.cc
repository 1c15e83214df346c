// Seed-derived keys and secrets, and seed shares with an RSA-4096 owner key.
//   build-<dir>/bench/seed_bench
#include "benchmark/benchmark.h"
#include "concord/crypto/random.h"
#include "concord/seed/secrets.h"
#include "concord/seed/seed_shares.h"

namespace concord::seed {
namespace {

const SeedSecrets& Secrets() {
  static const SeedSecrets* secrets =
      new SeedSecrets(*SeedSecrets::Generate(crypto::SystemRandom::Get()));
  return *secrets;
}

const MeshSecret& Mesh() {
  static const MeshSecret* mesh =
      new MeshSecret(*MeshSecret::Generate(crypto::SystemRandom::Get()));
  return *mesh;
}

const crypto::PrivateKey& Owner() {
  static const crypto::PrivateKey* owner =
      new crypto::PrivateKey(*crypto::PrivateKey::GenerateRsa(4096));
  return *owner;
}

void BM_DeriveRootCaKey(benchmark::State& state) {
  for (auto _ : state) {
    auto key = Secrets().DeriveRootCaKey();
    benchmark::DoNotOptimize(key.ok());
  }
}
BENCHMARK(BM_DeriveRootCaKey)->Unit(benchmark::kMicrosecond);

void BM_DeriveHistoryKey(benchmark::State& state) {
  for (auto _ : state) {
    auto key = Secrets().DeriveHistoryKey();
    benchmark::DoNotOptimize(key.ok());
  }
}
BENCHMARK(BM_DeriveHistoryKey)->Unit(benchmark::kMicrosecond);

void BM_DeriveMeshCaKey(benchmark::State& state) {
  const Bytes previous(32, 0xaa);
  const Bytes manifest(32, 0xbb);
  uint64_t generation = 0;
  for (auto _ : state) {
    auto key = Mesh().DeriveMeshCaKey(++generation, previous, manifest);
    benchmark::DoNotOptimize(key.ok());
  }
}
BENCHMARK(BM_DeriveMeshCaKey)->Unit(benchmark::kMicrosecond);

void BM_DeriveWorkloadSecret(benchmark::State& state) {
  for (auto _ : state) {
    auto secret = Secrets().DeriveWorkloadSecret("backend");
    benchmark::DoNotOptimize(secret.ok());
  }
}
BENCHMARK(BM_DeriveWorkloadSecret)->Unit(benchmark::kMicrosecond);

void BM_EncryptSeedShareRsa4096(benchmark::State& state) {
  const crypto::PublicKey& owner = Owner().public_key();  // key generation not timed
  for (auto _ : state) {
    auto share = EncryptSeedShare(Secrets(), owner);
    benchmark::DoNotOptimize(share.ok());
  }
}
BENCHMARK(BM_EncryptSeedShareRsa4096)->Unit(benchmark::kMicrosecond);

void BM_DecryptSeedShareRsa4096(benchmark::State& state) {
  const Bytes share = *EncryptSeedShare(Secrets(), Owner().public_key());
  for (auto _ : state) {
    auto seed = DecryptSeedShare(share, Owner());
    benchmark::DoNotOptimize(seed.ok());
  }
}
BENCHMARK(BM_DecryptSeedShareRsa4096)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace concord::seed

BENCHMARK_MAIN();

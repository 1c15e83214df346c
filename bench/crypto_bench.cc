// Microbenchmarks of the crypto primitives the history verifier and the
// manifest parser sit on: SPKI decoding and ECDSA verification.
//   build/bench/crypto_bench
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "concord/crypto/keys.h"

namespace concord::crypto {
namespace {

const PrivateKey& Key(KeyType type) {
  static const PrivateKey* p256 = new PrivateKey(*PrivateKey::GenerateEc(KeyType::kEcP256));
  static const PrivateKey* p384 = new PrivateKey(*PrivateKey::GenerateEc(KeyType::kEcP384));
  static const PrivateKey* rsa = new PrivateKey(*PrivateKey::GenerateRsa(4096));
  switch (type) {
    case KeyType::kEcP256:
      return *p256;
    case KeyType::kEcP384:
      return *p384;
    case KeyType::kRsa:
      return *rsa;
  }
  std::abort();
}

void BM_FromSpkiDer(benchmark::State& state) {
  const Bytes der = Key(static_cast<KeyType>(state.range(0))).public_key().spki_der();
  for (auto _ : state) {
    auto key = PublicKey::FromSpkiDer(der);
    if (!key.ok()) {
      state.SkipWithError("parse failed");
    }
    benchmark::DoNotOptimize(key);
  }
}
BENCHMARK(BM_FromSpkiDer)
    ->Arg(static_cast<int>(KeyType::kEcP256))
    ->Arg(static_cast<int>(KeyType::kEcP384))
    ->Arg(static_cast<int>(KeyType::kRsa));

void BM_VerifyEcdsa(benchmark::State& state) {
  const PrivateKey& key = Key(static_cast<KeyType>(state.range(0)));
  const Bytes message(200, 0x42);
  const Bytes sig = *key.SignEcdsa(message);
  for (auto _ : state) {
    if (!key.public_key().VerifyEcdsa(message, sig).ok()) {
      state.SkipWithError("verify failed");
    }
  }
}
BENCHMARK(BM_VerifyEcdsa)
    ->Arg(static_cast<int>(KeyType::kEcP256))
    ->Arg(static_cast<int>(KeyType::kEcP384));

}  // namespace
}  // namespace concord::crypto

BENCHMARK_MAIN();

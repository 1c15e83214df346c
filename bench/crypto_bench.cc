// Microbenchmarks of the crypto primitives the history verifier and the
// manifest parser sit on: SPKI decoding and ECDSA verification.
//   build/bench/crypto_bench
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <cstdlib>

#include "concord/crypto/keys.h"
#include "concord/crypto/ssl_ptr.h"

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

// PrivateKey::SignEcdsa: OpenSSL for P-256, nettle for P-384 (p384_sign.h).
void BM_SignEcdsa(benchmark::State& state) {
  const PrivateKey& key = Key(static_cast<KeyType>(state.range(0)));
  const Bytes message(200, 0x42);
  for (auto _ : state) {
    auto sig = key.SignEcdsa(message);
    if (!sig.ok()) {
      state.SkipWithError("sign failed");
    }
    benchmark::DoNotOptimize(sig);
  }
}
BENCHMARK(BM_SignEcdsa)
    ->Arg(static_cast<int>(KeyType::kEcP256))
    ->Arg(static_cast<int>(KeyType::kEcP384));

// The same P-384 signature on OpenSSL 3.0, for comparison.
void BM_SignEcdsaP384OpenSsl(benchmark::State& state) {
  const PrivateKey& key = Key(KeyType::kEcP384);
  const Bytes message(200, 0x42);
  for (auto _ : state) {
    SslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    uint8_t sig[128];
    size_t len = sizeof(sig);
    if (ctx == nullptr ||
        EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA384", nullptr, nullptr,
                              key.RawEvpForSigning(), nullptr) != 1 ||
        EVP_DigestSign(ctx.get(), sig, &len, message.data(), message.size()) != 1) {
      state.SkipWithError("sign failed");
    }
    benchmark::DoNotOptimize(sig);
  }
}
BENCHMARK(BM_SignEcdsaP384OpenSsl);

}  // namespace
}  // namespace concord::crypto

BENCHMARK_MAIN();

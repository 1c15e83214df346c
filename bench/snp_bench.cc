// SEV-SNP verification benchmarks: a report verified with a cached chain (the
// aTLS hot path; target <= 0.8 ms), a cold verification including the RSA-PSS
// chain, the P-384 signature alone on nettle vs OpenSSL 3.0, and report
// parsing. Uses the milan-v2-virtee vector from testdata/attestation.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>

#include "absl/time/time.h"
#include "concord/attest/snp/verifier.h"
#include "concord/common/time_format.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/p384_verify.h"
#include "concord/crypto/x509.h"
#include "concord/testing/testdata.h"

namespace concord::attest {
namespace {

using ::concord::testing::ReadTestdata;

Evidence LoadEvidence(const char* dir) {
  Evidence e;
  e.platform = Platform::kSnp;
  e.report = ReadTestdata(std::string("attestation/snp/") + dir + "/report.bin");
  e.certs = {ReadTestdata(std::string("attestation/snp/") + dir + "/vcek.der")};
  return e;
}

VerifyOptions Options() {
  VerifyOptions o;
  o.at = *ParseRfc3339("2026-01-01T00:00:00Z", "at");
  o.check_reference_values = false;
  return o;
}

std::unique_ptr<SnpVerifier> MustVerifier(size_t capacity) {
  auto v = SnpVerifier::Create({.allow_simulated = false, .cache_capacity = capacity});
  if (!v.ok()) {
    std::fprintf(stderr, "%s\n", v.status().ToString().c_str());
    std::abort();
  }
  return std::move(v).value();
}

void BM_SnpVerifyCachedChain(benchmark::State& state) {
  auto verifier = MustVerifier(16);
  Evidence e = LoadEvidence("milan-v2-virtee");
  VerifyOptions o = Options();
  if (!verifier->Verify(e, o).ok()) {
    state.SkipWithError("warm-up verification failed");
    return;
  }
  for (auto _ : state) {
    auto claims = verifier->Verify(e, o);
    benchmark::DoNotOptimize(claims);
  }
}
BENCHMARK(BM_SnpVerifyCachedChain)->Unit(benchmark::kMicrosecond);

void BM_SnpVerifyColdChain(benchmark::State& state) {
  // Capacity 1 and two alternating VCEKs: every verification misses the cache.
  auto verifier = MustVerifier(1);
  Evidence a = LoadEvidence("milan-v2-virtee");
  Evidence b = LoadEvidence("milan-v2-trustee");
  VerifyOptions o = Options();
  bool flip = false;
  for (auto _ : state) {
    auto claims = verifier->Verify(flip ? a : b, o);
    benchmark::DoNotOptimize(claims);
    flip = !flip;
  }
}
BENCHMARK(BM_SnpVerifyColdChain)->Unit(benchmark::kMicrosecond);

struct SignatureInput {
  crypto::PublicKey key;
  Bytes message;
  SnpReport report;
  Bytes der_signature;
};

SignatureInput LoadSignature() {
  Evidence e = LoadEvidence("milan-v2-virtee");
  auto cert = crypto::ParseCertDer(e.certs[0]);
  auto key = crypto::PublicKey::FromEvp(X509_get0_pubkey(cert->get()));
  auto report = SnpReport::Parse(e.report);
  auto der = crypto::EcdsaRawToDer(report->signature_r, report->signature_s);
  if (!cert.ok() || !key.ok() || !report.ok() || !der.ok()) {
    std::abort();
  }
  return SignatureInput{*key, Bytes(e.report.begin(), e.report.begin() + kSnpSignedSize), *report,
                        *der};
}

void BM_P384VerifyNettle(benchmark::State& state) {
  SignatureInput in = LoadSignature();
  auto verifier = crypto::P384Verifier::FromPublicKey(in.key);
  for (auto _ : state) {
    absl::Status s = verifier->Verify(in.message, in.report.signature_r, in.report.signature_s);
    if (!s.ok()) {
      state.SkipWithError("nettle verify failed");
      break;
    }
  }
}
BENCHMARK(BM_P384VerifyNettle)->Unit(benchmark::kMicrosecond);

void BM_P384VerifyOpenSsl(benchmark::State& state) {
  SignatureInput in = LoadSignature();
  for (auto _ : state) {
    absl::Status s = in.key.VerifyEcdsa(in.message, in.der_signature, crypto::HashAlg::kSha384);
    if (!s.ok()) {
      state.SkipWithError("OpenSSL verify failed");
      break;
    }
  }
}
BENCHMARK(BM_P384VerifyOpenSsl)->Unit(benchmark::kMicrosecond);

void BM_SnpReportParse(benchmark::State& state) {
  Bytes report = ReadTestdata("attestation/snp/milan-v2-virtee/report.bin");
  for (auto _ : state) {
    auto parsed = SnpReport::Parse(report);
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK(BM_SnpReportParse);

}  // namespace
}  // namespace concord::attest

BENCHMARK_MAIN();

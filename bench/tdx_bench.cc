// TDX quote verification with the collateral already parsed (TdxVerifier
// created once): quote parse, PCK and TCB Signing chains with CRLs (cached
// after the first verification, or every time with the cache off), QE report
// and quote signatures (OpenSSL P-256), QE identity and TCB evaluation.
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "absl/time/time.h"
#include "concord/attest/tdx/verifier.h"
#include "concord/common/time_format.h"
#include "concord/testing/testdata.h"

namespace {

using namespace concord;

// state.range(0): the verifier's cache capacity (0 = cache off).
void BM_TdxVerifyPhalaV4(benchmark::State& state) {
  auto collateral =
      attest::TdxCollateral::LoadDir(testing::TestdataPath("attestation/tdx/v4-b0c06f-phala"));
  if (!collateral.ok()) {
    state.SkipWithError("collateral");
    return;
  }
  auto verifier = attest::TdxVerifier::Create(
      {.collateral = {*collateral}, .cache_capacity = static_cast<size_t>(state.range(0))});
  if (!verifier.ok()) {
    state.SkipWithError("create");
    return;
  }
  attest::Evidence e;
  e.platform = attest::Platform::kTdx;
  e.report = testing::ReadTestdata("attestation/tdx/v4-b0c06f-phala/quote.dat");
  attest::VerifyOptions o;
  o.at = *ParseRfc3339("2025-06-25T00:00:00Z", "at");
  o.check_reference_values = false;
  for (auto _ : state) {
    auto claims = (*verifier)->Verify(e, o);
    if (!claims.ok()) {
      state.SkipWithError("verify");
      return;
    }
    benchmark::DoNotOptimize(claims);
  }
}
BENCHMARK(BM_TdxVerifyPhalaV4)->Arg(1024)->Arg(0)->ArgName("cache")->Unit(benchmark::kMicrosecond);

void BM_TdxQuoteParse(benchmark::State& state) {
  Bytes q = testing::ReadTestdata("attestation/tdx/v4-b0c06f-phala/quote.dat");
  for (auto _ : state) {
    auto parsed = attest::TdxQuote::Parse(q);
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK(BM_TdxQuoteParse)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();

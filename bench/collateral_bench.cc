// Lookup() on the collateral cache: a memory hit (the verification hot path)
// and a store hit (a replica's first lookup: list the index, read the object,
// re-hash and re-validate), with the real phala TCB info in a MemoryStore;
// and a whole TDX verification as concordd runs it: PlatformVerifier over the
// cache (PCK chain read for FMSPC and CA, four cache lookups, the
// TdxVerifier kept for that collateral).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "concord/attest/snp/verifier.h"
#include "concord/collateral/cache.h"
#include "concord/collateral/item.h"
#include "concord/collateral/verifiers.h"
#include "concord/common/time_format.h"
#include "concord/store/memory/memory_store.h"
#include "concord/testing/fake_clock.h"
#include "concord/testing/testdata.h"

namespace concord::collateral {
namespace {

const absl::Time kAt = *ParseRfc3339("2025-06-25T00:00:00Z", "t");

CollateralItem TcbInfo() {
  return {CollateralKind::kTdxTcbInfo, "b0c06f000000",
          testing::ReadTestdata("attestation/tdx/v4-b0c06f-phala/tcb_info.json"),
          ToString(testing::ReadTestdata("attestation/tdx/certs/tcb_signing_chain_2025.pem"))};
}

void BM_LookupMemoryHit(benchmark::State& state) {
  testing::FakeClock clock(kAt);
  auto store = store::MemoryStore::Create();
  auto cache = *CollateralCache::Create({store.get(), &clock});
  if (!cache->Insert(TcbInfo()).ok()) {
    state.SkipWithError("insert failed");
    return;
  }
  for (auto _ : state) {
    auto item = cache->Lookup(CollateralKind::kTdxTcbInfo, "b0c06f000000");
    benchmark::DoNotOptimize(item);
  }
}
BENCHMARK(BM_LookupMemoryHit);

void BM_LookupStoreHit(benchmark::State& state) {
  testing::FakeClock clock(kAt);
  auto store = store::MemoryStore::Create();
  {
    auto writer = *CollateralCache::Create({store.get(), &clock});
    if (!writer->Insert(TcbInfo()).ok()) {
      state.SkipWithError("insert failed");
      return;
    }
  }
  for (auto _ : state) {
    // A fresh replica each time: the lookup goes to the store.
    auto reader = *CollateralCache::Create({store.get(), &clock});
    auto item = reader->Lookup(CollateralKind::kTdxTcbInfo, "b0c06f000000");
    if (!item.ok()) {
      state.SkipWithError("lookup failed");
      return;
    }
    benchmark::DoNotOptimize(item);
  }
}
BENCHMARK(BM_LookupStoreHit);

void BM_PlatformVerifierTdxPhala(benchmark::State& state) {
  testing::FakeClock clock(kAt);
  auto store = store::MemoryStore::Create();
  auto cache = *CollateralCache::Create({store.get(), &clock});
  const std::string signing =
      ToString(testing::ReadTestdata("attestation/tdx/certs/tcb_signing_chain_2025.pem"));
  const std::string dir = "attestation/tdx/v4-b0c06f-phala/";
  for (CollateralItem item : std::vector<CollateralItem>{
           TcbInfo(),
           {CollateralKind::kTdxQeIdentity, "td_qe",
            testing::ReadTestdata(absl::StrCat(dir, "qe_identity.json")), signing},
           {CollateralKind::kTdxPckCrl, "platform",
            testing::ReadTestdata(absl::StrCat(dir, "pck_crl.der")),
            ToString(testing::ReadTestdata("attestation/tdx/certs/pck_platform_ca_chain.pem"))},
           {CollateralKind::kTdxRootCaCrl, "root",
            testing::ReadTestdata(absl::StrCat(dir, "root_ca_crl.der")), ""}}) {
    if (!cache->Insert(std::move(item)).ok()) {
      state.SkipWithError("insert failed");
      return;
    }
  }
  auto snp = *attest::SnpVerifier::Create({});
  PlatformVerifier verifier(*snp, *cache);
  attest::Evidence evidence{
      attest::Platform::kTdx, testing::ReadTestdata(absl::StrCat(dir, "quote.dat")), {}};
  attest::VerifyOptions options;
  options.at = kAt;
  options.check_reference_values = false;
  for (auto _ : state) {
    auto claims = verifier.Verify(evidence, options);
    if (!claims.ok()) {
      state.SkipWithError("verify failed");
      return;
    }
    benchmark::DoNotOptimize(claims);
  }
}
BENCHMARK(BM_PlatformVerifierTdxPhala)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace concord::collateral

BENCHMARK_MAIN();

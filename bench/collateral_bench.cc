// Lookup() on the collateral cache: a memory hit (the verification hot path)
// and a store hit (a replica's first lookup: list the index, read the object,
// re-hash and re-validate), with the real phala TCB info in a MemoryStore.
#include <memory>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "concord/collateral/cache.h"
#include "concord/collateral/item.h"
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

}  // namespace
}  // namespace concord::collateral

BENCHMARK_MAIN();

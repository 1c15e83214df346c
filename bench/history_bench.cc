// History verification cost on the file store (DESIGN.md §6: long histories
// must stay cheap). Builds a 10,000-transition history once, each transition
// with its own manifest and CA bundle and authorized by a P-256 workload owner,
// then measures
//   - BM_VerifyCold: a fresh verifier walking all 10,000 transitions, and
//   - BM_VerifyIncremental: one new transition on top of a verified history.
// Target: cold verification of 10,000 transitions in <= 1 s.
#include <benchmark/benchmark.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "concord/common/hex.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/keys.h"
#include "concord/history/format.h"
#include "concord/history/objects.h"
#include "concord/history/verifier.h"
#include "concord/history/writer.h"
#include "concord/store/file/file_store.h"
#include "concord/testing/testdata.h"

namespace concord::history {
namespace {

constexpr int kTransitions = 10000;

Bytes ManifestJson(const crypto::PublicKey& owner, int i) {
  return ToBytes(absl::StrCat(
      R"({"Version":1,"Policies":{)",
      R"("a6b0967eeb7b2f40ea3005713e8a011ac67b244d3c448e6862bca1833e2be651":)",
      R"({"Name":"coordinator","SANs":["localhost"],"Role":"coordinator"},)",
      R"("64886c61a4f96b694c0416c8e294bc2c8189d1928ee1cef43973dc65dcf4de88":)",
      R"({"Name":"workload )", i, R"(","SANs":["demo.local"]}},)",
      R"("ReferenceValues":{"simulated":[{"ARKHash":")", std::string(64, 'c'),
      R"(","Measurement":")", std::string(96, 'd'), R"("}]},)", R"("WorkloadOwnerKeys":[")",
      HexEncode(owner.spki_der()), R"("],"SeedshareOwnerKeys":[]})"));
}

struct Fixture {
  std::unique_ptr<store::FileStore> store;
  crypto::PrivateKey history_key;
  crypto::PrivateKey owner;
  std::unique_ptr<HistoryWriter> writer;
  VerifiedHistory head;
  int next = 0;
};

// Writes transitions 1..n straight to the store (one signed latest at the
// end: the verifier checks only the newest latest signature anyway).
Fixture& GetFixture() {
  static Fixture* fixture = [] {
    store::FileStore::Options options;
    options.sync = false;  // setup speed only; reads are what is measured
    auto store = store::FileStore::Create(testing::MakeTempDir("concord-history-bench"), options);
    auto history_key = crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP384);
    auto owner = crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256);
    if (!store.ok() || !history_key.ok() || !owner.ok()) {
      std::abort();
    }
    crypto::Sha256Digest previous{};
    for (int i = 1; i <= kTransitions; ++i) {
      const Bytes manifest = ManifestJson(owner->public_key(), i);
      const Bytes bundle = ToBytes(absl::StrCat("ca bundle ", i));
      Transition t;
      t.kind = TransitionKind::kManifest;
      t.generation = static_cast<uint64_t>(i);
      t.manifest_hash = crypto::Sha256(manifest);
      t.previous_hash = previous;
      t.ca_bundle_hash = crypto::Sha256(bundle);
      t.authorization = *SignAuthorization(*owner, t.kind, t.manifest_hash, t.previous_hash);
      const Bytes encoded = *EncodeTransition(t);
      previous = TransitionHash(encoded);
      if (!(*store)->Put(ObjectKey(ObjectType::kManifest, t.manifest_hash), manifest).ok() ||
          !(*store)->Put(ObjectKey(ObjectType::kCaBundle, t.ca_bundle_hash), bundle).ok() ||
          !(*store)->Put(ObjectKey(ObjectType::kTransition, previous), encoded).ok()) {
        std::abort();
      }
    }
    const Bytes latest = *EncodeLatest(*SignLatest(*history_key, kTransitions, previous));
    if (!(*store)->Commit({}, std::nullopt, latest).ok()) {
      std::abort();
    }
    auto* f =
        new Fixture{*std::move(store), *std::move(history_key), *std::move(owner), nullptr, {},
                    kTransitions + 1};
    auto pem = f->history_key.ToPkcs8Pem();
    f->writer = *HistoryWriter::Create(*f->store, *crypto::PrivateKey::FromPem(*pem), {});
    return f;
  }();
  return *fixture;
}

// Argument: verifier threads (0 = one per hardware thread). Wall time is the
// figure that matters; with threads the CPU column counts the main thread only.
void BM_VerifyCold(benchmark::State& state) {
  Fixture& f = GetFixture();
  for (auto _ : state) {
    auto verifier =
        *HistoryVerifier::Create(*f.store, f.history_key.public_key(), {},
                                 VerifierTuning{.threads = static_cast<size_t>(state.range(0))});
    absl::StatusOr<VerifiedHistory> h = verifier->Verify();
    if (!h.ok()) {
      state.SkipWithError(std::string(h.status().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(h->transitions.size());
    state.counters["transitions"] = static_cast<double>(verifier->transitions_checked());
  }
}
BENCHMARK(BM_VerifyCold)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->MinTime(3)->UseRealTime();

void BM_VerifyIncremental(benchmark::State& state) {
  Fixture& f = GetFixture();
  auto verifier = *HistoryVerifier::Create(*f.store, f.history_key.public_key(), {});
  absl::StatusOr<VerifiedHistory> head = verifier->Verify();
  if (!head.ok()) {
    state.SkipWithError(std::string(head.status().message()).c_str());
    return;
  }
  for (auto _ : state) {
    state.PauseTiming();
    AppendRequest req;
    req.manifest = ManifestJson(f.owner.public_key(), f.next++);
    req.ca_bundle = ToBytes(absl::StrCat("ca bundle ", f.next));
    req.authorization =
        *SignAuthorization(f.owner, req.kind, crypto::Sha256(req.manifest), head->head().hash);
    head = f.writer->Append(*head, req);
    if (!head.ok()) {
      state.SkipWithError(std::string(head.status().message()).c_str());
      return;
    }
    const uint64_t before = verifier->transitions_checked();
    state.ResumeTiming();
    absl::StatusOr<VerifiedHistory> h = verifier->Verify();
    if (!h.ok() || verifier->transitions_checked() != before + 1) {
      state.SkipWithError("incremental verification failed or re-checked old transitions");
      return;
    }
    benchmark::DoNotOptimize(h->transitions.size());
  }
}
BENCHMARK(BM_VerifyIncremental)->Unit(benchmark::kMicrosecond);

// The pieces of one transition's check, to see where cold time goes.
void BM_ParseTransition(benchmark::State& state) {
  Fixture& f = GetFixture();
  Transition t;
  t.generation = 2;
  t.previous_hash.fill(1);
  t.authorization = *SignAuthorization(f.owner, t.kind, t.manifest_hash, t.previous_hash);
  const Bytes encoded = *EncodeTransition(t);
  for (auto _ : state) {
    benchmark::DoNotOptimize(ParseTransition(encoded));
  }
}
BENCHMARK(BM_ParseTransition)->Unit(benchmark::kMicrosecond);

void BM_VerifyAuthorization(benchmark::State& state) {
  Fixture& f = GetFixture();
  crypto::Sha256Digest m{}, p{};
  const Authorization auth = *SignAuthorization(f.owner, TransitionKind::kManifest, m, p);
  for (auto _ : state) {
    benchmark::DoNotOptimize(VerifyAuthorization(auth, TransitionKind::kManifest, m, p));
  }
}
BENCHMARK(BM_VerifyAuthorization)->Unit(benchmark::kMicrosecond);

void BM_ParseManifest(benchmark::State& state) {
  Fixture& f = GetFixture();
  const Bytes json = ManifestJson(f.owner.public_key(), 1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(manifest::Manifest::Parse(json));
  }
}
BENCHMARK(BM_ParseManifest)->Unit(benchmark::kMicrosecond);

void BM_VerifyLatestSignature(benchmark::State& state) {
  Fixture& f = GetFixture();
  crypto::Sha256Digest h{};
  const Latest latest = *SignLatest(f.history_key, 1, h);
  auto fast = *crypto::P384Verifier::FromPublicKey(f.history_key.public_key());
  for (auto _ : state) {
    benchmark::DoNotOptimize(VerifyLatest(fast, latest));
  }
}
BENCHMARK(BM_VerifyLatestSignature)->Unit(benchmark::kMicrosecond);

void BM_ReadObject(benchmark::State& state) {
  Fixture& f = GetFixture();
  const crypto::Sha256Digest h = crypto::Sha256(ToBytes("ca bundle 1"));
  for (auto _ : state) {
    benchmark::DoNotOptimize(ReadObject(*f.store, ObjectType::kCaBundle, h));
  }
}
BENCHMARK(BM_ReadObject)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace concord::history

BENCHMARK_MAIN();

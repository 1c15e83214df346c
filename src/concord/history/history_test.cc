// HistoryWriter + HistoryVerifier on the memory and file stores: genesis
// variants, owner-authorized updates, recovery, every tampering case (DataLoss
// naming the object), rollback, lost swaps and incremental verification.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "concord/common/hex.h"
#include "concord/crypto/keys.h"
#include "concord/history/format.h"
#include "concord/history/objects.h"
#include "concord/history/verifier.h"
#include "concord/history/writer.h"
#include "concord/store/file/file_store.h"
#include "concord/store/memory/memory_store.h"
#include "concord/store/store.h"
#include "concord/store/testing/fault_injecting_store.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::history {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::IsOkAndHolds;
using ::concord::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

enum class Backend { kMemory, kFile };

void PrintTo(Backend b, std::ostream* os) { *os << (b == Backend::kMemory ? "memory" : "file"); }

struct Keys {
  crypto::PrivateKey history;
  crypto::PrivateKey foreign_history;
  crypto::PrivateKey owner_a;  // P-256
  crypto::PrivateKey owner_b;  // P-384
  crypto::PrivateKey stranger;
  crypto::PrivateKey pinned;
  crypto::PrivateKey seed_owner;        // RSA
  crypto::PrivateKey other_seed_owner;  // RSA, never in a manifest
};

std::string KeyList(const std::vector<const crypto::PrivateKey*>& keys) {
  std::vector<std::string> hex;
  for (const crypto::PrivateKey* k : keys) {
    hex.push_back(absl::StrCat("\"", HexEncode(k->public_key().spki_der()), "\""));
  }
  return absl::StrCat("[", absl::StrJoin(hex, ","), "]");
}

// A valid simulated-platform manifest; `tag` makes each one distinct.
Bytes ManifestJson(const std::vector<const crypto::PrivateKey*>& owners,
                   const std::vector<const crypto::PrivateKey*>& seed_owners,
                   absl::string_view tag) {
  return ToBytes(absl::StrCat(
      R"({"Version":1,"Policies":{)",
      R"("a6b0967eeb7b2f40ea3005713e8a011ac67b244d3c448e6862bca1833e2be651":)",
      R"({"Name":"coordinator","SANs":["localhost"],"Role":"coordinator"},)",
      R"("64886c61a4f96b694c0416c8e294bc2c8189d1928ee1cef43973dc65dcf4de88":)",
      R"({"Name":"workload )", tag, R"(","SANs":["demo.local"]}},)",
      R"("ReferenceValues":{"simulated":[{"ARKHash":")", std::string(64, 'c'),
      R"(","Measurement":")", std::string(96, 'd'), R"("}]},)", R"("WorkloadOwnerKeys":)",
      KeyList(owners), R"(,"SeedshareOwnerKeys":)", KeyList(seed_owners), "}"));
}

crypto::Sha256Digest ManifestHash(const Bytes& json) { return crypto::Sha256(json); }

class HistoryTest : public ::testing::TestWithParam<Backend> {
 protected:
  static void SetUpTestSuite() {
    auto ec = [](crypto::KeyType t) { return *crypto::PrivateKey::GenerateEc(t); };
    keys_ =
        new Keys{ec(crypto::KeyType::kEcP384),           ec(crypto::KeyType::kEcP384),
                 ec(crypto::KeyType::kEcP256),           ec(crypto::KeyType::kEcP384),
                 ec(crypto::KeyType::kEcP256),           ec(crypto::KeyType::kEcP256),
                 *crypto::PrivateKey::GenerateRsa(2048), *crypto::PrivateKey::GenerateRsa(2048)};
  }
  static void TearDownTestSuite() {
    delete keys_;
    keys_ = nullptr;
  }
  static const Keys& keys() { return *keys_; }

  void SetUp() override {
    if (GetParam() == Backend::kMemory) {
      store_ = store::MemoryStore::Create();
    } else {
      auto file = store::FileStore::Create(::concord::testing::MakeTempDir("concord-history"), {});
      ASSERT_TRUE(file.ok()) << file.status();
      store_ = *std::move(file);
    }
    UseOptions({});
  }

  void UseOptions(AuthorizationOptions options) {
    auto verifier = HistoryVerifier::Create(*store_, keys().history.public_key(), options);
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    verifier_ = *std::move(verifier);
    auto copy = crypto::PrivateKey::FromPem(*keys().history.ToPkcs8Pem());
    ASSERT_TRUE(copy.ok()) << copy.status();
    auto writer = HistoryWriter::Create(*store_, *std::move(copy), std::move(options));
    ASSERT_TRUE(writer.ok()) << writer.status();
    writer_ = *std::move(writer);
  }

  std::unique_ptr<HistoryVerifier> FreshVerifier(AuthorizationOptions options = {}) {
    return *HistoryVerifier::Create(*store_, keys().history.public_key(), std::move(options));
  }

  static crypto::Sha256Digest HeadHash(const std::optional<VerifiedHistory>& base) {
    return base.has_value() ? base->head().hash : crypto::Sha256Digest{};
  }

  absl::StatusOr<VerifiedHistory> AppendManifest(const std::optional<VerifiedHistory>& base,
                                                 const Bytes& json,
                                                 const crypto::PrivateKey* signer) {
    AppendRequest req;
    req.kind = TransitionKind::kManifest;
    req.manifest = json;
    req.policies = {ToBytes("policy document one"), ToBytes("policy document two")};
    req.ca_bundle = ToBytes(absl::StrCat("ca bundle for ", HexEncode(ManifestHash(json))));
    if (signer != nullptr) {
      auto auth = SignAuthorization(*signer, req.kind, ManifestHash(json), HeadHash(base));
      if (!auth.ok()) {
        return auth.status();
      }
      req.authorization = *std::move(auth);
    }
    return writer_->Append(base, req);
  }

  absl::StatusOr<VerifiedHistory> AppendRecovery(const std::optional<VerifiedHistory>& base,
                                                 const crypto::PrivateKey* signer) {
    AppendRequest req;
    req.kind = TransitionKind::kRecovery;
    req.ca_bundle = ToBytes(absl::StrCat("recovery bundle ", base->generation()));
    if (signer != nullptr) {
      auto auth = SignAuthorization(*signer, req.kind, base->head().transition.manifest_hash,
                                    HeadHash(base));
      if (!auth.ok()) {
        return auth.status();
      }
      req.authorization = *std::move(auth);
    }
    return writer_->Append(base, req);
  }

  Bytes OwnedBy(const crypto::PrivateKey& owner, absl::string_view tag) {
    return ManifestJson({&owner}, {&keys().seed_owner}, tag);
  }

  // Genesis by owner A plus `n - 1` updates, each authorized by A.
  VerifiedHistory BuildChain(int n) {
    std::optional<VerifiedHistory> h;
    for (int i = 0; i < n; ++i) {
      auto next = AppendManifest(h, OwnedBy(keys().owner_a, absl::StrCat("v", i)), &keys().owner_a);
      EXPECT_TRUE(next.ok()) << next.status();
      h = *std::move(next);
    }
    return *h;
  }

  // What a party holding the history key (or a bug) could write: `t` stored
  // under its hash and a validly signed latest pointing at it.
  crypto::Sha256Digest WriteSignedTransition(const Transition& t) {
    Bytes encoded = *EncodeTransition(t);
    return WriteSignedRaw(encoded, t.generation);
  }
  crypto::Sha256Digest WriteSignedRaw(const Bytes& encoded, uint64_t generation) {
    crypto::Sha256Digest hash = crypto::Sha256(encoded);
    EXPECT_THAT(store_->Put(ObjectKey(ObjectType::kTransition, hash), encoded), IsOk());
    SetLatest(*EncodeLatest(*SignLatest(keys().history, generation, hash)));
    return hash;
  }
  void SetLatest(const Bytes& latest) {
    absl::StatusOr<Bytes> current = store_->Get(store::kLatestKey);
    std::optional<Bytes> expected;
    if (current.ok()) {
      expected = *current;
    }
    ASSERT_THAT(store_->Commit({}, expected, latest), IsOk());
  }
  void Tamper(const std::string& key) {
    Bytes value = *store_->Get(key);
    value.back() ^= 1;
    ASSERT_THAT(store_->Put(key, value), IsOk());
  }

  // A transition on top of `base` naming a stored manifest, with a given
  // authorization.
  Transition NextTransition(const VerifiedHistory& base, TransitionKind kind,
                            const crypto::Sha256Digest& manifest_hash,
                            const crypto::PrivateKey* signer) {
    Transition t;
    t.kind = kind;
    t.generation = base.head().transition.generation + 1;
    t.manifest_hash = manifest_hash;
    t.previous_hash = base.head().hash;
    t.ca_bundle_hash = base.head().transition.ca_bundle_hash;  // stored already
    if (signer != nullptr) {
      t.authorization = *SignAuthorization(*signer, kind, manifest_hash, t.previous_hash);
    }
    return t;
  }

  static Keys* keys_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<HistoryVerifier> verifier_;
  std::unique_ptr<HistoryWriter> writer_;
};

Keys* HistoryTest::keys_ = nullptr;

std::string T(const crypto::Sha256Digest& h) { return ObjectKey(ObjectType::kTransition, h); }

// ---------------------------------------------------------------- genesis

TEST_P(HistoryTest, EmptyStoreIsNotFound) {
  EXPECT_THAT(verifier_->Verify(), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(HistoryTest, SelfAuthorizedGenesisVerifies) {
  const Bytes m = OwnedBy(keys().owner_a, "genesis");
  CONCORD_ASSERT_OK_AND_ASSIGN(VerifiedHistory appended,
                               AppendManifest(std::nullopt, m, &keys().owner_a));
  CONCORD_ASSERT_OK_AND_ASSIGN(VerifiedHistory h, verifier_->Verify());
  ASSERT_EQ(h.transitions.size(), 1u);
  EXPECT_EQ(h.generation(), 1u);
  EXPECT_EQ(h.head().hash, appended.head().hash);
  EXPECT_EQ(h.latest_bytes, appended.latest_bytes);
  EXPECT_EQ(h.head().manifest->bytes(), m);
  EXPECT_EQ(h.head().transition.previous_hash, crypto::Sha256Digest{});
  // The objects are content-addressed in the store.
  EXPECT_THAT(ReadObject(*store_, ObjectType::kManifest, ManifestHash(m)), IsOkAndHolds(m));
  EXPECT_THAT(
      ReadObject(*store_, ObjectType::kPolicy, crypto::Sha256(AsBytes("policy document one"))),
      IsOk());
  EXPECT_THAT(ReadObject(*store_, ObjectType::kCaBundle, h.head().transition.ca_bundle_hash),
              IsOk());
}

TEST_P(HistoryTest, GenesisSignedByANonOwnerIsRefused) {
  EXPECT_THAT(AppendManifest(std::nullopt, OwnedBy(keys().owner_a, "g"), &keys().stranger),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("WorkloadOwnerKeys")));
  EXPECT_THAT(AppendManifest(std::nullopt, OwnedBy(keys().owner_a, "g"), nullptr),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("missing")));
  EXPECT_THAT(store_->Get(store::kLatestKey), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(HistoryTest, PinnedGenesisKeyIsRequiredWhenConfigured) {
  AuthorizationOptions pinned;
  pinned.genesis_owner_keys = {keys().pinned.public_key()};
  UseOptions(pinned);
  const Bytes m = OwnedBy(keys().owner_a, "pinned");
  // The manifest's own owner is not enough once a genesis key is pinned.
  EXPECT_THAT(AppendManifest(std::nullopt, m, &keys().owner_a),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("pinned")));
  ASSERT_THAT(AppendManifest(std::nullopt, m, &keys().pinned), IsOk());
  EXPECT_THAT(verifier_->Verify(), IsOk());
  // A verifier pinned to another key, or not pinned at all, refuses it.
  AuthorizationOptions other;
  other.genesis_owner_keys = {keys().stranger.public_key()};
  EXPECT_THAT(FreshVerifier(other)->Verify(),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(StartsWith("transitions/"), HasSubstr("not a pinned genesis"))));
  EXPECT_THAT(FreshVerifier()->Verify(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("WorkloadOwnerKeys")));
}

TEST_P(HistoryTest, ImmutableGenesisNeedsNoAuthorizationAndCannotBeUpdated) {
  const Bytes m = ManifestJson({}, {&keys().seed_owner}, "immutable");
  EXPECT_THAT(AppendManifest(std::nullopt, m, &keys().owner_a),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("unexpected")));
  CONCORD_ASSERT_OK_AND_ASSIGN(VerifiedHistory g, AppendManifest(std::nullopt, m, nullptr));
  EXPECT_FALSE(g.head().transition.authorization.has_value());
  CONCORD_ASSERT_OK_AND_ASSIGN(VerifiedHistory h, verifier_->Verify());
  EXPECT_EQ(h.generation(), 1u);
  EXPECT_THAT(AppendManifest(g, OwnedBy(keys().owner_a, "next"), &keys().owner_a),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("immutable")));
  // A recovery transition is still possible.
  EXPECT_THAT(AppendRecovery(g, &keys().seed_owner), IsOk());
  EXPECT_THAT(verifier_->Verify(), IsOk());
}

// ---------------------------------------------------------------- updates

TEST_P(HistoryTest, UpdatesAreAuthorizedByThePreviousManifestsOwner) {
  const Bytes m1 = OwnedBy(keys().owner_a, "1");
  const Bytes m2 = OwnedBy(keys().owner_b, "2");  // hands ownership to B
  const Bytes m3 = OwnedBy(keys().owner_b, "3");
  CONCORD_ASSERT_OK_AND_ASSIGN(auto h1, AppendManifest(std::nullopt, m1, &keys().owner_a));
  // B is not an owner of m1 yet.
  EXPECT_THAT(AppendManifest(h1, m2, &keys().owner_b),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("previous manifest")));
  CONCORD_ASSERT_OK_AND_ASSIGN(auto h2, AppendManifest(h1, m2, &keys().owner_a));
  EXPECT_THAT(AppendManifest(h2, m3, &keys().owner_a),
              StatusIs(absl::StatusCode::kPermissionDenied));
  CONCORD_ASSERT_OK_AND_ASSIGN(auto h3, AppendManifest(h2, m3, &keys().owner_b));
  CONCORD_ASSERT_OK_AND_ASSIGN(VerifiedHistory v, FreshVerifier()->Verify());
  ASSERT_EQ(v.transitions.size(), 3u);
  EXPECT_EQ(v.transitions[0]->manifest->bytes(), m1);
  EXPECT_EQ(v.transitions[1]->manifest->bytes(), m2);
  EXPECT_EQ(v.transitions[2]->manifest->bytes(), m3);
  EXPECT_EQ(v.transitions[2]->transition.previous_hash, v.transitions[1]->hash);
  EXPECT_EQ(v.head().hash, h3.head().hash);
}

TEST_P(HistoryTest, NonOwnerAndBadSignaturesAreRefusedAndWriteNothing) {
  CONCORD_ASSERT_OK_AND_ASSIGN(
      auto h1, AppendManifest(std::nullopt, OwnedBy(keys().owner_a, "1"), &keys().owner_a));
  const Bytes m2 = OwnedBy(keys().owner_a, "2");
  EXPECT_THAT(AppendManifest(h1, m2, &keys().stranger),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(AppendManifest(h1, m2, nullptr), StatusIs(absl::StatusCode::kPermissionDenied));
  // The owner's signature, but over another head (a stale view).
  AppendRequest req;
  req.manifest = m2;
  req.ca_bundle = ToBytes("b");
  req.authorization = *SignAuthorization(keys().owner_a, TransitionKind::kManifest,
                                         ManifestHash(m2), crypto::Sha256Digest{});
  EXPECT_THAT(writer_->Append(h1, req), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(store_->Get(store::kLatestKey), IsOkAndHolds(h1.latest_bytes));
  EXPECT_THAT(store_->Get(ObjectKey(ObjectType::kManifest, ManifestHash(m2))),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(HistoryTest, UpdateChangingSeedshareOwnersIsRefused) {
  CONCORD_ASSERT_OK_AND_ASSIGN(
      auto h1, AppendManifest(std::nullopt, OwnedBy(keys().owner_a, "1"), &keys().owner_a));
  const Bytes m2 = ManifestJson({&keys().owner_a}, {&keys().other_seed_owner}, "2");
  EXPECT_THAT(AppendManifest(h1, m2, &keys().owner_a),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("SeedshareOwnerKeys")));
}

TEST_P(HistoryTest, MalformedManifestIsRefused) {
  EXPECT_THAT(AppendManifest(std::nullopt, ToBytes("{\"Version\":1}"), nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// ---------------------------------------------------------------- recovery

TEST_P(HistoryTest, RecoveryBySeedshareOwnerKeepsTheManifest) {
  VerifiedHistory h2 = BuildChain(2);
  EXPECT_THAT(AppendRecovery(h2, &keys().owner_a),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("SeedshareOwnerKeys")));
  EXPECT_THAT(AppendRecovery(h2, &keys().other_seed_owner),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(AppendRecovery(h2, nullptr), StatusIs(absl::StatusCode::kPermissionDenied));
  CONCORD_ASSERT_OK_AND_ASSIGN(auto h3, AppendRecovery(h2, &keys().seed_owner));
  EXPECT_EQ(h3.head().transition.kind, TransitionKind::kRecovery);
  EXPECT_EQ(h3.head().transition.manifest_hash, h2.head().transition.manifest_hash);
  // Updates continue after a recovery, authorized by the kept manifest.
  CONCORD_ASSERT_OK_AND_ASSIGN(
      auto h4, AppendManifest(h3, OwnedBy(keys().owner_a, "after"), &keys().owner_a));
  CONCORD_ASSERT_OK_AND_ASSIGN(VerifiedHistory v, FreshVerifier()->Verify());
  ASSERT_EQ(v.transitions.size(), 4u);
  EXPECT_EQ(v.transitions[2]->transition.kind, TransitionKind::kRecovery);
  EXPECT_EQ(v.transitions[2]->manifest, v.transitions[1]->manifest);
  EXPECT_EQ(v.head().hash, h4.head().hash);
}

TEST_P(HistoryTest, RecoveryNeedsAHistoryAndNoManifest) {
  AppendRequest req;
  req.kind = TransitionKind::kRecovery;
  EXPECT_THAT(writer_->Append(std::nullopt, req), StatusIs(absl::StatusCode::kFailedPrecondition));
  VerifiedHistory h = BuildChain(1);
  req.manifest = OwnedBy(keys().owner_a, "x");
  EXPECT_THAT(writer_->Append(h, req), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(HistoryTest, RecoveryThatChangesTheManifestIsDataLoss) {
  VerifiedHistory h = BuildChain(2);
  ASSERT_THAT(verifier_->Verify(), IsOk());
  const crypto::Sha256Digest first_manifest = h.transitions[0]->transition.manifest_hash;
  auto forged = WriteSignedTransition(
      NextTransition(h, TransitionKind::kRecovery, first_manifest, &keys().seed_owner));
  EXPECT_THAT(verifier_->Verify(),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(StartsWith(T(forged)), HasSubstr("keep the current manifest"))));
}

// ---------------------------------------------------------------- tampering

TEST_P(HistoryTest, ChangedTransitionIsDataLossNamingIt) {
  VerifiedHistory h = BuildChain(3);
  Tamper(T(h.transitions[1]->hash));
  EXPECT_THAT(FreshVerifier()->Verify(),
              StatusIs(absl::StatusCode::kDataLoss,
                       absl::StrCat(T(h.transitions[1]->hash), ": hash mismatch")));
}

TEST_P(HistoryTest, ChangedManifestIsDataLossNamingIt) {
  VerifiedHistory h = BuildChain(3);
  const std::string key =
      ObjectKey(ObjectType::kManifest, h.transitions[0]->transition.manifest_hash);
  Tamper(key);
  EXPECT_THAT(FreshVerifier()->Verify(),
              StatusIs(absl::StatusCode::kDataLoss, absl::StrCat(key, ": hash mismatch")));
}

TEST_P(HistoryTest, ChangedCaBundleIsDataLossNamingIt) {
  VerifiedHistory h = BuildChain(2);
  const std::string key = ObjectKey(ObjectType::kCaBundle, h.head().transition.ca_bundle_hash);
  Tamper(key);
  EXPECT_THAT(FreshVerifier()->Verify(),
              StatusIs(absl::StatusCode::kDataLoss, absl::StrCat(key, ": hash mismatch")));
  EXPECT_THAT(ReadObject(*store_, ObjectType::kCaBundle, h.head().transition.ca_bundle_hash),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST_P(HistoryTest, MissingTransitionIsDataLossNamingIt) {
  VerifiedHistory h = BuildChain(3);
  ASSERT_THAT(store_->Delete(T(h.transitions[0]->hash)), IsOk());
  EXPECT_THAT(
      FreshVerifier()->Verify(),
      StatusIs(absl::StatusCode::kDataLoss, absl::StrCat(T(h.transitions[0]->hash), ": missing")));
}

TEST_P(HistoryTest, ForgedLatestSignatureIsDataLoss) {
  VerifiedHistory h = BuildChain(2);
  Bytes forged = h.latest_bytes;
  forged[forged.size() - 5] ^= 0x01;
  SetLatest(forged);
  EXPECT_THAT(
      FreshVerifier()->Verify(),
      StatusIs(absl::StatusCode::kDataLoss, AllOf(StartsWith("latest: "), HasSubstr("signature"))));
}

TEST_P(HistoryTest, LatestSignedByAForeignHistoryKeyIsDataLoss) {
  VerifiedHistory h = BuildChain(2);
  SetLatest(*EncodeLatest(*SignLatest(keys().foreign_history, h.generation(), h.head().hash)));
  EXPECT_THAT(FreshVerifier()->Verify(),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(StartsWith("latest: "), HasSubstr("another deployment"))));
}

TEST_P(HistoryTest, TruncatedLatestIsDataLoss) {
  VerifiedHistory h = BuildChain(1);
  SetLatest(Bytes(h.latest_bytes.begin(), h.latest_bytes.begin() + 40));
  EXPECT_THAT(
      FreshVerifier()->Verify(),
      StatusIs(absl::StatusCode::kDataLoss, AllOf(StartsWith("latest: "), HasSubstr("truncated"))));
}

TEST_P(HistoryTest, TruncatedTransitionUnderItsOwnHashIsDataLoss) {
  VerifiedHistory h = BuildChain(1);
  Bytes encoded = *EncodeTransition(NextTransition(
      h, TransitionKind::kManifest, h.head().transition.manifest_hash, &keys().owner_a));
  encoded.resize(encoded.size() - 3);
  auto hash = WriteSignedRaw(encoded, 2);
  EXPECT_THAT(
      FreshVerifier()->Verify(),
      StatusIs(absl::StatusCode::kDataLoss, AllOf(StartsWith(T(hash)), HasSubstr("truncated"))));
}

TEST_P(HistoryTest, MissingAuthorizationIsDataLoss) {
  VerifiedHistory h = BuildChain(2);
  auto forged = WriteSignedTransition(
      NextTransition(h, TransitionKind::kManifest, h.head().transition.manifest_hash, nullptr));
  EXPECT_THAT(FreshVerifier()->Verify(),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(StartsWith(T(forged)), HasSubstr("authorization: missing"))));
}

TEST_P(HistoryTest, WrongAuthorizationIsDataLoss) {
  VerifiedHistory h = BuildChain(2);
  auto forged = WriteSignedTransition(NextTransition(
      h, TransitionKind::kManifest, h.head().transition.manifest_hash, &keys().stranger));
  EXPECT_THAT(FreshVerifier()->Verify(),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(StartsWith(T(forged)), HasSubstr("not a WorkloadOwnerKeys entry"))));
}

TEST_P(HistoryTest, AuthorizationSignatureOverOtherFieldsIsDataLoss) {
  VerifiedHistory h = BuildChain(2);
  Transition t =
      NextTransition(h, TransitionKind::kManifest, h.head().transition.manifest_hash, nullptr);
  t.authorization = *SignAuthorization(keys().owner_a, TransitionKind::kManifest, t.manifest_hash,
                                       h.transitions[0]->hash);
  auto forged = WriteSignedTransition(t);
  EXPECT_THAT(FreshVerifier()->Verify(),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(StartsWith(T(forged)), HasSubstr("does not verify"))));
}

TEST_P(HistoryTest, BrokenLinkIsDataLoss) {
  VerifiedHistory h = BuildChain(3);
  // Generation 4 pointing at generation 2 (skipping 3).
  Transition t =
      NextTransition(h, TransitionKind::kManifest, h.head().transition.manifest_hash, nullptr);
  t.previous_hash = h.transitions[1]->hash;
  t.authorization = *SignAuthorization(keys().owner_a, t.kind, t.manifest_hash, t.previous_hash);
  WriteSignedTransition(t);
  EXPECT_THAT(FreshVerifier()->Verify(),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(StartsWith(T(h.transitions[1]->hash)), HasSubstr("broken link"))));
  // Generation 4 pointing at a transition that does not exist.
  crypto::Sha256Digest nowhere;
  nowhere.fill(0x77);
  t.previous_hash = nowhere;
  WriteSignedTransition(t);
  EXPECT_THAT(FreshVerifier()->Verify(),
              StatusIs(absl::StatusCode::kDataLoss, absl::StrCat(T(nowhere), ": missing")));
}

TEST_P(HistoryTest, MissingManifestIsDataLossNamingIt) {
  VerifiedHistory h = BuildChain(2);
  const std::string key = ObjectKey(ObjectType::kManifest, h.head().transition.manifest_hash);
  ASSERT_THAT(store_->Delete(key), IsOk());
  EXPECT_THAT(FreshVerifier()->Verify(),
              StatusIs(absl::StatusCode::kDataLoss, absl::StrCat(key, ": missing")));
}

// ---------------------------------------------------------------- rollback, swaps

TEST_P(HistoryTest, RollbackToAnOlderSignedLatestIsDataLoss) {
  VerifiedHistory h2 = BuildChain(2);
  CONCORD_ASSERT_OK_AND_ASSIGN(auto h3,
                               AppendManifest(h2, OwnedBy(keys().owner_a, "3"), &keys().owner_a));
  ASSERT_THAT(verifier_->Verify(), IsOk());
  SetLatest(h2.latest_bytes);  // validly signed, but older
  EXPECT_THAT(verifier_->Verify(),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(StartsWith("latest: generation 2"), HasSubstr("rollback"))));
  // The verifier keeps its state: the real head still verifies.
  SetLatest(h3.latest_bytes);
  EXPECT_THAT(verifier_->Verify(), IsOk());
}

TEST_P(HistoryTest, DisappearingLatestIsDataLoss) {
  BuildChain(1);
  ASSERT_THAT(verifier_->Verify(), IsOk());
  ASSERT_THAT(store_->Delete(store::kLatestKey), IsOk());
  EXPECT_THAT(verifier_->Verify(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("latest: missing")));
}

TEST_P(HistoryTest, RewrittenHistoryAfterVerificationIsDataLoss) {
  VerifiedHistory h2 = BuildChain(2);
  ASSERT_THAT(verifier_->Verify(), IsOk());
  // Another generation 2 on the same genesis, and then a generation 3 on it.
  VerifiedHistory h1 = h2;
  h1.transitions.pop_back();
  Transition alt = NextTransition(h1, TransitionKind::kManifest, h1.head().transition.manifest_hash,
                                  &keys().owner_a);
  alt.ca_bundle_hash = h2.head().transition.ca_bundle_hash;
  auto alt_hash = WriteSignedTransition(alt);
  EXPECT_THAT(verifier_->Verify(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("history rewritten")));
  Transition next;
  next.kind = TransitionKind::kManifest;
  next.generation = 3;
  next.manifest_hash = alt.manifest_hash;
  next.previous_hash = alt_hash;
  next.ca_bundle_hash = alt.ca_bundle_hash;
  next.authorization = *SignAuthorization(keys().owner_a, next.kind, next.manifest_hash, alt_hash);
  WriteSignedTransition(next);
  EXPECT_THAT(verifier_->Verify(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("history rewritten")));
}

TEST_P(HistoryTest, LostSwapIsAbortedAndLeavesTheWinner) {
  VerifiedHistory h1 = BuildChain(1);
  CONCORD_ASSERT_OK_AND_ASSIGN(auto winner,
                               AppendManifest(h1, OwnedBy(keys().owner_a, "w"), &keys().owner_a));
  EXPECT_THAT(AppendManifest(h1, OwnedBy(keys().owner_a, "l"), &keys().owner_a),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(AppendManifest(std::nullopt, OwnedBy(keys().owner_a, "g"), &keys().owner_a),
              StatusIs(absl::StatusCode::kAborted));
  CONCORD_ASSERT_OK_AND_ASSIGN(VerifiedHistory v, verifier_->Verify());
  EXPECT_EQ(v.head().hash, winner.head().hash);
  EXPECT_EQ(v.generation(), 2u);
}

// ---------------------------------------------------------------- incremental

TEST_P(HistoryTest, VerificationIsIncremental) {
  VerifiedHistory h = BuildChain(5);
  CONCORD_ASSERT_OK_AND_ASSIGN(VerifiedHistory v5, verifier_->Verify());
  EXPECT_EQ(v5.transitions.size(), 5u);
  EXPECT_EQ(verifier_->transitions_checked(), 5u);
  ASSERT_THAT(verifier_->Verify(), IsOk());
  EXPECT_EQ(verifier_->transitions_checked(), 5u);  // unchanged latest: nothing re-checked
  CONCORD_ASSERT_OK_AND_ASSIGN(auto h6,
                               AppendManifest(h, OwnedBy(keys().owner_a, "6"), &keys().owner_a));
  CONCORD_ASSERT_OK_AND_ASSIGN(auto h7,
                               AppendManifest(h6, OwnedBy(keys().owner_a, "7"), &keys().owner_a));
  CONCORD_ASSERT_OK_AND_ASSIGN(VerifiedHistory v7, verifier_->Verify());
  EXPECT_EQ(verifier_->transitions_checked(), 7u);  // only the two new ones
  ASSERT_EQ(v7.transitions.size(), 7u);
  EXPECT_EQ(v7.head().hash, h7.head().hash);
  for (size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(v7.transitions[i]->transition.generation, i + 1);
  }
  // A tampered old object is not re-read once verified (the prefix is cached),
  // but a fresh verifier catches it.
  Tamper(T(v7.transitions[0]->hash));
  EXPECT_THAT(verifier_->Verify(), IsOk());
  EXPECT_THAT(FreshVerifier()->Verify(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_P(HistoryTest, FailedVerificationCachesNothing) {
  VerifiedHistory h = BuildChain(2);
  auto forged = WriteSignedTransition(NextTransition(
      h, TransitionKind::kManifest, h.head().transition.manifest_hash, &keys().stranger));
  (void)forged;
  EXPECT_THAT(verifier_->Verify(), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_FALSE(verifier_->Cached().has_value());
  EXPECT_EQ(verifier_->transitions_checked(), 0u);
}

TEST_P(HistoryTest, VerifyLatestAcceptsAWatchedValue) {
  VerifiedHistory h = BuildChain(2);
  CONCORD_ASSERT_OK_AND_ASSIGN(VerifiedHistory v, verifier_->VerifyLatest(h.latest_bytes));
  EXPECT_EQ(v.head().hash, h.head().hash);
}

TEST_P(HistoryTest, StoreOutageIsUnavailableNotDataLoss) {
  VerifiedHistory h = BuildChain(2);
  store::testing::FaultInjectingStore faulty(*store_);
  CONCORD_ASSERT_OK_AND_ASSIGN(auto verifier,
                               HistoryVerifier::Create(faulty, keys().history.public_key(), {}));
  // A cold verification of two transitions reads 7 values: latest, two
  // transitions, then a manifest and a CA bundle for each. Fail each in turn.
  for (int call = 0; call < 7; ++call) {
    auto fresh = *HistoryVerifier::Create(faulty, keys().history.public_key(), {});
    faulty.FailAfter(call, 1, store::testing::FaultInjectingStore::kGet);
    EXPECT_THAT(fresh->Verify(), StatusIs(absl::StatusCode::kUnavailable)) << call;
  }
  EXPECT_THAT(verifier->Verify(), IsOk());
  auto writer_copy = crypto::PrivateKey::FromPem(*keys().history.ToPkcs8Pem());
  CONCORD_ASSERT_OK_AND_ASSIGN(auto writer,
                               HistoryWriter::Create(faulty, *std::move(writer_copy), {}));
  faulty.FailNext(1, store::testing::FaultInjectingStore::kCommit);
  AppendRequest req;
  req.manifest = OwnedBy(keys().owner_a, "x");
  req.authorization =
      *SignAuthorization(keys().owner_a, req.kind, ManifestHash(req.manifest), h.head().hash);
  EXPECT_THAT(writer->Append(h, req), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(writer->Append(h, req), IsOk());
}

TEST_P(HistoryTest, HistoryKeyMustBeP384) {
  EXPECT_THAT(HistoryVerifier::Create(*store_, keys().owner_a.public_key(), {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto p256 = crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256);
  EXPECT_THAT(HistoryWriter::Create(*store_, *std::move(p256), {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

INSTANTIATE_TEST_SUITE_P(Stores, HistoryTest, ::testing::Values(Backend::kMemory, Backend::kFile),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return std::string(info.param == Backend::kMemory ? "Memory" : "File");
                         });

}  // namespace
}  // namespace concord::history

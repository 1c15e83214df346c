// Coordinator: every row of the DESIGN §7 state table, first set and its
// idempotent retry, owner-authorized updates and their refusals, manual
// recovery (and its refusals, with the store left byte-for-byte unchanged),
// following `latest` (manifest updates, recovery by a peer, forged or
// vanished values), attestation statements, workload evidence and mesh
// certificates, and store outages. Memory store unless persistence matters,
// FakeClock, FakeRandom, a simulated host in a temp dir.
#include "concord/coordinator/coordinator.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "concord/attest/sim/simulated_attester.h"
#include "concord/attest/sim/simulated_host.h"
#include "concord/attest/snp/verifier.h"
#include "concord/ca/ca_certs.h"
#include "concord/common/hex.h"
#include "concord/coordinator/coordinator_testing.h"
#include "concord/coordinator/launch_config.h"
#include "concord/history/format.h"
#include "concord/history/objects.h"
#include "concord/history/verifier.h"
#include "concord/seed/secrets.h"
#include "concord/seed/seed_shares.h"
#include "concord/store/file/file_store.h"
#include "concord/store/memory/memory_store.h"
#include "concord/store/testing/fault_injecting_store.h"
#include "concord/testing/fake_clock.h"
#include "concord/testing/fake_random.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::coordinator {
namespace {

using ::concord::testing::FakeClock;
using ::concord::testing::FakeRandom;
using ::concord::testing::IsOk;
using ::concord::testing::IsOkAndHolds;
using ::concord::testing::StatusIs;
using history::TransitionKind;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const absl::Time kNow = absl::FromUnixSeconds(1795000000);  // 2026-11
// The freshness lease of the test replicas; confirmed every kLease / 3.
constexpr absl::Duration kLease = absl::Seconds(9);

struct Keys {
  crypto::PrivateKey owner_a;     // P-256 workload owner
  crypto::PrivateKey owner_b;     // P-384 workload owner
  crypto::PrivateKey stranger;    // P-256, never an owner
  crypto::PrivateKey seed_owner;  // RSA seed-share owner
  crypto::PrivateKey other_rsa;   // RSA, never a seed-share owner
};

std::string KeyList(const std::vector<const crypto::PrivateKey*>& keys) {
  std::vector<std::string> hex;
  for (const crypto::PrivateKey* k : keys) {
    hex.push_back(absl::StrCat("\"", HexEncode(k->public_key().spki_der()), "\""));
  }
  return absl::StrCat("[", absl::StrJoin(hex, ","), "]");
}

// Policies of the test manifests.
const manifest::PolicyHash kSecretPolicy = crypto::Sha256(AsBytes("workload policy with secret"));
const manifest::PolicyHash kPlainPolicy = crypto::Sha256(AsBytes("workload policy"));
const manifest::PolicyHash kUnlistedPolicy = crypto::Sha256(AsBytes("not in any manifest"));

// Records log lines; thread-safe.
class LogCapture {
 public:
  LogCapture()
      : logger_(LogFormat::kHuman, LogLevel::kDebug, [this](absl::string_view line) {
          absl::MutexLock lock(&mu_);
          lines_.emplace_back(line);
        }) {}
  Logger& logger() { return logger_; }
  std::string Text() {
    absl::MutexLock lock(&mu_);
    return absl::StrJoin(lines_, "");
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> lines_;
  Logger logger_;
};

// Routes peer calls to Coordinator objects in this process, each with the
// caller's verified claims, as the api's attested mesh client does; test
// switches cut a peer off, refuse recovery requests or tamper with heads.
// Thread-safe. Coordinators must be stopped before they are destroyed (the
// fixture's TearDown stops every peer replica).
class PeerDirectory {
 public:
  struct Entry {
    Coordinator* coordinator = nullptr;
    attest::Claims claims;
    bool reachable = true;
  };
  void Add(const std::string& name, Coordinator* c, const attest::Claims& claims) {
    absl::MutexLock lock(&mu_);
    entries_[name] = Entry{c, claims, true};
  }
  void SetReachable(const std::string& name, bool reachable) {
    absl::MutexLock lock(&mu_);
    entries_[name].reachable = reachable;
  }
  void SetServeRecovery(bool serve) {
    absl::MutexLock lock(&mu_);
    serve_recovery_ = serve;
  }
  void SetTamperHeads(bool tamper) {
    absl::MutexLock lock(&mu_);
    tamper_heads_ = tamper;
  }
  int64_t recovery_requests() {
    absl::MutexLock lock(&mu_);
    return recovery_requests_;
  }
  int64_t grants() {
    absl::MutexLock lock(&mu_);
    return grants_;
  }

  absl::StatusOr<FromPeer<PeerRecoveryGrant>> RequestRecovery(
      const std::string& self, const attest::Claims& self_claims,
      const PeerNetwork::AcceptPeer& accept) {
    std::vector<std::pair<std::string, Entry>> peers;
    {
      absl::MutexLock lock(&mu_);
      ++recovery_requests_;
      if (!serve_recovery_) {
        return absl::UnavailableError("peer recovery: refused by the test network");
      }
      for (const auto& [name, entry] : entries_) {
        if (name != self && entry.reachable) {
          peers.emplace_back(name, entry);
        }
      }
    }
    if (peers.empty()) {
      return absl::NotFoundError("peer recovery: no peer discovered");
    }
    std::vector<std::string> reasons;
    for (const auto& [name, entry] : peers) {
      absl::Status accepted = accept(entry.claims);
      if (!accepted.ok()) {
        reasons.push_back(absl::StrCat(name, ": ", accepted.message()));
        continue;
      }
      absl::StatusOr<PeerRecoveryGrant> grant =
          entry.coordinator->ServePeerRecovery(AttestedCaller{self_claims, kNow});
      if (!grant.ok()) {
        reasons.push_back(absl::StrCat(name, ": ", grant.status().message()));
        continue;
      }
      absl::MutexLock lock(&mu_);
      ++grants_;
      return FromPeer<PeerRecoveryGrant>{name, entry.claims, *std::move(grant)};
    }
    return absl::UnavailableError(absl::StrCat("peer recovery: ", absl::StrJoin(reasons, "; ")));
  }

  std::vector<FromPeer<PeerHead>> ExchangeHeads(const std::string& self,
                                                const attest::Claims& self_claims,
                                                const Bytes& own_latest) {
    std::vector<std::pair<std::string, Entry>> peers;
    bool tamper = false;
    {
      absl::MutexLock lock(&mu_);
      tamper = tamper_heads_;
      for (const auto& [name, entry] : entries_) {
        if (name != self && entry.reachable) {
          peers.emplace_back(name, entry);
        }
      }
    }
    std::vector<FromPeer<PeerHead>> out;
    for (const auto& [name, entry] : peers) {
      absl::StatusOr<PeerHead> head =
          entry.coordinator->ServePeerHead(AttestedCaller{self_claims, kNow}, own_latest);
      if (!head.ok()) {
        continue;
      }
      if (tamper && !head->latest.empty()) {
        head->latest.back() ^= 0x01;  // last byte of the DER signature
      }
      out.push_back(FromPeer<PeerHead>{name, entry.claims, *std::move(head)});
    }
    return out;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  bool serve_recovery_ ABSL_GUARDED_BY(mu_) = true;
  bool tamper_heads_ ABSL_GUARDED_BY(mu_) = false;
  int64_t recovery_requests_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t grants_ ABSL_GUARDED_BY(mu_) = 0;
};

// One replica's view of the directory.
class InProcessPeers final : public PeerNetwork {
 public:
  InProcessPeers(PeerDirectory& directory, std::string self, attest::Claims self_claims)
      : directory_(directory), self_(std::move(self)), self_claims_(std::move(self_claims)) {}
  absl::StatusOr<FromPeer<PeerRecoveryGrant>> RequestRecovery(const AcceptPeer& accept) override {
    return directory_.RequestRecovery(self_, self_claims_, accept);
  }
  std::vector<FromPeer<PeerHead>> ExchangeHeads(const Bytes& own_latest) override {
    return directory_.ExchangeHeads(self_, self_claims_, own_latest);
  }

 private:
  PeerDirectory& directory_;
  const std::string self_;
  const attest::Claims self_claims_;
};

// A coordinator with its own randomness and log.
struct Replica {
  std::unique_ptr<FakeRandom> random;
  std::unique_ptr<LogCapture> log;
  std::unique_ptr<InProcessPeers> peers;  // null without peers
  std::unique_ptr<Coordinator> coordinator;
  Coordinator* operator->() { return coordinator.get(); }
};

// Polls `done` until it holds or 20 s pass (the watch loop runs on its own
// thread). Yields between polls; never a fixed sleep.
bool WaitFor(const std::function<bool()>& done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    if (done()) {
      return true;
    }
    std::this_thread::yield();
  }
  return done();
}

// Every key and value of the store, to show that a refused call wrote nothing.
std::map<std::string, Bytes> Snapshot(store::Store& store) {
  std::map<std::string, Bytes> out;
  absl::StatusOr<std::vector<std::string>> keys = store.List("");
  EXPECT_TRUE(keys.ok()) << keys.status();
  for (const std::string& key : *keys) {
    absl::StatusOr<Bytes> value = store.Get(key);
    EXPECT_TRUE(value.ok()) << key << ": " << value.status();
    out[key] = *value;
  }
  return out;
}

class CoordinatorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto ec = [](crypto::KeyType t) { return *crypto::PrivateKey::GenerateEc(t); };
    keys_ = new Keys{ec(crypto::KeyType::kEcP256), ec(crypto::KeyType::kEcP384),
                     ec(crypto::KeyType::kEcP256), *crypto::PrivateKey::GenerateRsa(2048),
                     *crypto::PrivateKey::GenerateRsa(2048)};
    FakeClock clock(kNow);
    FakeRandom random(99);
    const std::string dir = ::concord::testing::MakeTempDir("concord-coordinator-host");
    auto info = attest::SimulatedHost::Init(dir + "/host", {clock, random});
    ASSERT_TRUE(info.ok()) << info.status();
    auto host = attest::SimulatedHost::Load(dir + "/host");
    ASSERT_TRUE(host.ok()) << host.status();
    host_ = new std::shared_ptr<const attest::SimulatedHost>(*std::move(host));
  }
  static void TearDownTestSuite() {
    delete keys_;
    delete host_;
    keys_ = nullptr;
    host_ = nullptr;
  }
  static const Keys& keys() { return *keys_; }
  static std::shared_ptr<const attest::SimulatedHost> host() { return *host_; }

  void SetUp() override {
    ASSERT_NE(host_, nullptr);
    memory_ = store::MemoryStore::Create();
    store_ = memory_.get();
    auto launch = ParseLaunchConfig(AsBytes(LaunchJson("")));
    ASSERT_TRUE(launch.ok()) << launch.status();
    launch_ = *launch;
    auto verifier = attest::SnpVerifier::Create({.allow_simulated = true});
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    verifier_ = *std::move(verifier);
    attester_ = std::make_unique<attest::SimulatedAttester>(host(), launch_.policy_hash);
  }

  // The coordinator launch config for the simulated host, with its
  // coordinator reference values (the peer identity rule) and `extra`
  // members (",\"Key\":value...").
  static std::string LaunchJson(absl::string_view extra) {
    const attest::SimulatedReferenceValues rv = host()->info().reference_values();
    return absl::StrCat(R"({"Version":1,"Kind":"coordinator","Platforms":["simulated"],)",
                        R"("ReferenceValues":{"simulated":[{"ARKHash":")",
                        HexEncode(rv.ark_spki_sha256), R"(","Measurement":")",
                        HexEncode(rv.measurement), R"("}]})", extra, "}");
  }

  // A valid simulated manifest; `tag` makes each one distinct.
  Bytes ManifestJson(const std::vector<const crypto::PrivateKey*>& owners,
                     const std::vector<const crypto::PrivateKey*>& seed_owners,
                     absl::string_view tag) const {
    const attest::SimulatedReferenceValues rv = host()->info().reference_values();
    return ToBytes(absl::StrCat(
        R"({"Version":1,"Policies":{)", "\"", HexEncode(launch_.policy_hash),
        "\":", R"({"Name":"coordinator","SANs":["localhost"],"Role":"coordinator"},)",
        ExtraCoordinatorPolicies(), "\"", HexEncode(kSecretPolicy), "\":", R"({"Name":"frontend )",
        tag, R"(","SANs":["frontend.local","10.0.0.1"],"WorkloadSecretID":"frontend"},)", "\"",
        HexEncode(kPlainPolicy), "\":", R"({"Name":"backend","SANs":["backend.local"]}},)",
        R"("ReferenceValues":{"simulated":[{"ARKHash":")", HexEncode(rv.ark_spki_sha256),
        R"(","Measurement":")", HexEncode(rv.measurement), R"("}]},)", R"("WorkloadOwnerKeys":)",
        KeyList(owners), R"(,"SeedshareOwnerKeys":)", KeyList(seed_owners), "}"));
  }
  // Further coordinator policies for the test manifests (other identities).
  std::string ExtraCoordinatorPolicies() const {
    std::string out;
    for (size_t i = 0; i < extra_coordinators_.size(); ++i) {
      absl::StrAppend(&out, "\"", HexEncode(extra_coordinators_[i]),
                      "\":", R"({"Name":"coordinator-)", i + 2,
                      R"(","SANs":["localhost"],"Role":"coordinator"},)");
    }
    return out;
  }
  Bytes DefaultManifest(absl::string_view tag = "v1") const {
    return ManifestJson({&keys().owner_a}, {&keys().seed_owner}, tag);
  }

  Replica MakeReplica(uint64_t seed, store::Store* store = nullptr,
                      std::optional<LaunchConfig> launch = std::nullopt,
                      const attest::Attester* attester = nullptr, bool with_peers = false) {
    Replica r;
    r.random = std::make_unique<FakeRandom>(seed);
    r.log = std::make_unique<LogCapture>();
    Options options;
    options.launch = launch.has_value() ? *launch : launch_;
    options.replica_name = absl::StrCat("coordinator-", seed);
    options.watch_retry = absl::Milliseconds(5);
    options.freshness_lease = kLease;
    options.peer_retry = absl::Milliseconds(5);
    options.step_rounds_for_test = step_rounds_;
    const attest::Attester& own_attester = attester != nullptr ? *attester : *attester_;
    if (with_peers) {
      r.peers = std::make_unique<InProcessPeers>(directory_, options.replica_name,
                                                 ClaimsOf(own_attester));
    }
    Deps deps{store != nullptr ? *store : *store_,
              clock_,
              *r.random,
              *verifier_,
              own_attester,
              r.log->logger(),
              r.peers.get()};
    auto c = Coordinator::Create(std::move(options), deps);
    EXPECT_TRUE(c.ok()) << c.status();
    r.coordinator = *std::move(c);
    return r;
  }

  // A caller whose claims its handshake verified just now.
  AttestedCaller Caller(const attest::Claims& claims) const {
    return AttestedCaller{claims, clock_.Now()};
  }

  // What a peer's mesh listener verifies about `attester`'s evidence.
  attest::Claims ClaimsOf(const attest::Attester& attester) const {
    const std::array<uint8_t, 64> report_data = ReportData(0x77);
    auto evidence = attester.Attest(report_data);
    EXPECT_TRUE(evidence.ok()) << evidence.status();
    attest::VerifyOptions options;
    options.at = clock_.Now();
    options.report_data = report_data;
    options.check_reference_values = false;
    auto claims = verifier_->Verify(*evidence, options);
    EXPECT_TRUE(claims.ok()) << claims.status();
    return *std::move(claims);
  }

  // A started replica with an in-process PeerNetwork, registered in the
  // directory; stopped by TearDown before anything it uses goes away.
  Replica& PeerReplica(uint64_t seed, store::Store* store = nullptr,
                       std::optional<LaunchConfig> launch = std::nullopt,
                       const attest::Attester* attester = nullptr) {
    auto r = std::make_unique<Replica>(MakeReplica(seed, store, launch, attester, true));
    directory_.Add(absl::StrCat("coordinator-", seed), r->coordinator.get(),
                   ClaimsOf(attester != nullptr ? *attester : *attester_));
    EXPECT_THAT((*r)->Start(), IsOk());
    peer_replicas_.push_back(std::move(r));
    return *peer_replicas_.back();
  }

  // A launch config of another identity (its own policy hash) and the
  // attester that reports it.
  LaunchConfig OtherLaunch(const manifest::PolicyHash& recovery_policy) const {
    auto launch = ParseLaunchConfig(AsBytes(
        LaunchJson(absl::StrCat(R"(,"RecoveryPolicies":[")", HexEncode(recovery_policy), "\"]"))));
    EXPECT_TRUE(launch.ok()) << launch.status();
    return *launch;
  }

  void TearDown() override {
    for (auto& r : peer_replicas_) {
      (*r)->Stop();
    }
  }

  // One round of a stepped replica's watch loop: it reads `latest` (which
  // the store answers) and acts on it.
  static void WatchRound(Coordinator& c) { EXPECT_FALSE(CoordinatorForTest::RunWatchRound(c)); }
  // One round of a stepped replica's HA loop (lease or peer recovery).
  static void HaRound(Coordinator& c) { CoordinatorForTest::RunHaRound(c); }

  Replica StartedReplica(uint64_t seed, store::Store* store = nullptr) {
    Replica r = MakeReplica(seed, store);
    EXPECT_THAT(r->Start(), IsOk());
    return r;
  }

  // A first set for the replica whose status is `status`: signed over its
  // one-time challenge (over zeros, without one, when it is not
  // uninitialized).
  static SetManifestRequest FirstSetRequest(const Bytes& manifest, const crypto::PrivateKey* signer,
                                            const StatusInfo& status) {
    SetManifestRequest request;
    request.manifest = manifest;
    if (signer != nullptr) {
      request.genesis_challenge = status.genesis_challenge;
      request.authorization =
          *history::SignAuthorization(*signer, TransitionKind::kManifest, crypto::Sha256(manifest),
                                      status.genesis_challenge.value_or(crypto::Sha256Digest{}));
    }
    return request;
  }

  static SetManifestRequest UpdateRequest(const Bytes& manifest, const crypto::Sha256Digest& head,
                                          const crypto::PrivateKey* signer) {
    SetManifestRequest request;
    request.manifest = manifest;
    request.expected_previous = head;
    if (signer != nullptr) {
      request.authorization = *history::SignAuthorization(*signer, TransitionKind::kManifest,
                                                          crypto::Sha256(manifest), head);
    }
    return request;
  }

  // The seed and salt as the owner recovers them from a seed-shares document.
  static seed::SeedSecrets OwnerSecrets(const seed::SeedSharesDocument& shares) {
    auto secrets = seed::RecoverSeedSecrets(shares, keys().seed_owner);
    EXPECT_TRUE(secrets.ok()) << secrets.status();
    return *std::move(secrets);
  }

  static RecoverRequest MakeRecoverRequest(const seed::SeedSecrets& secrets,
                                           const StatusInfo& status,
                                           const crypto::PrivateKey& owner) {
    return RecoverRequest{
        .caller = owner.public_key(),
        .seed = secrets.seed(),
        .salt = secrets.salt(),
        .expected_previous = *status.transition_hash,
        .authorization = *history::SignAuthorization(
            owner, TransitionKind::kRecovery, *status.manifest_hash, *status.transition_hash),
        .minimum_head = std::nullopt};
  }

  // Evidence a workload with policy `policy` presents, bound to `report_data`.
  attest::Evidence WorkloadEvidence(const manifest::PolicyHash& policy,
                                    const std::array<uint8_t, 64>& report_data) const {
    auto evidence = host()->MakeReport(report_data, policy);
    EXPECT_TRUE(evidence.ok()) << evidence.status();
    return *std::move(evidence);
  }

  static std::array<uint8_t, 64> ReportData(uint8_t fill) {
    std::array<uint8_t, 64> data;
    data.fill(fill);
    return data;
  }

  // Issues a certificate for a fresh key through the full mesh path.
  absl::StatusOr<WorkloadCertificate> IssueFor(Coordinator& c, const manifest::PolicyHash& policy) {
    const std::array<uint8_t, 64> report_data = ReportData(0x42);
    absl::StatusOr<attest::Claims> claims =
        c.CheckWorkloadEvidence(WorkloadEvidence(policy, report_data), report_data);
    if (!claims.ok()) {
      return claims.status();
    }
    return c.IssueMeshCertificate(Caller(*claims), workload_key_.public_key());
  }

  static Keys* keys_;
  static std::shared_ptr<const attest::SimulatedHost>* host_;

  FakeClock clock_{kNow};
  std::unique_ptr<store::MemoryStore> memory_;
  // Stores of single tests that replicas use until TearDown stops them.
  std::vector<std::unique_ptr<store::MemoryStore>> extra_stores_;
  store::Store* store_ = nullptr;
  LaunchConfig launch_;
  std::unique_ptr<attest::SnpVerifier> verifier_;
  std::unique_ptr<attest::SimulatedAttester> attester_;
  crypto::PrivateKey workload_key_ = *crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256);
  std::vector<manifest::PolicyHash> extra_coordinators_;
  PeerDirectory directory_;
  // Replicas made from now on start no watch or HA thread: the test runs
  // their rounds (WatchRound, HaRound) instead of waiting for them.
  bool step_rounds_ = false;
  // Declared last: destroyed (after TearDown stopped them) before the rest.
  std::vector<std::unique_ptr<Replica>> peer_replicas_;
};

Keys* CoordinatorTest::keys_ = nullptr;
std::shared_ptr<const attest::SimulatedHost>* CoordinatorTest::host_ = nullptr;

// ---------------------------------------------------------------------------
// Uninitialized.

TEST_F(CoordinatorTest, EmptyStoreStartsUninitializedAndRefusesEverythingButSetAndAttest) {
  Replica c = StartedReplica(1);
  EXPECT_EQ(c->state(), State::kUninitialized);
  StatusInfo status = c->Status();
  EXPECT_EQ(status.state, State::kUninitialized);
  EXPECT_EQ(status.replica, "coordinator-1");
  EXPECT_EQ(status.generation, 0u);
  EXPECT_FALSE(status.transition_hash.has_value());
  EXPECT_FALSE(status.head_unverified);

  EXPECT_THAT(c->ExportHistory(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(c->SeedShare(keys().seed_owner.public_key()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("uninitialized")));
  RecoverRequest recover{.caller = keys().seed_owner.public_key(),
                         .seed = crypto::SecretBytes(32),
                         .salt = crypto::SecretBytes(32),
                         .expected_previous = {},
                         .authorization = {keys().seed_owner.public_key(), Bytes(8, 1)},
                         .minimum_head = std::nullopt};
  EXPECT_THAT(c->Recover(recover),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("uninitialized")));
  // Not ready: authentic evidence bound to the handshake passes (so the
  // client gets a 503, not a TLS alert), a tampered binding does not, and
  // nothing is issued.
  CONCORD_ASSERT_OK_AND_ASSIGN(
      attest::Claims claims,
      c->CheckWorkloadEvidence(WorkloadEvidence(kPlainPolicy, ReportData(1)), ReportData(1)));
  EXPECT_THAT(
      c->CheckWorkloadEvidence(WorkloadEvidence(kPlainPolicy, ReportData(1)), ReportData(2)),
      Not(IsOk()));
  EXPECT_THAT(c->IssueMeshCertificate(Caller(claims), workload_key_.public_key()),
              StatusIs(absl::StatusCode::kUnavailable));

  atls::Nonce nonce;
  nonce.fill(7);
  absl::StatusOr<AttestResult> attested = c->Attest(nonce);
  ASSERT_THAT(attested, IsOk());
  EXPECT_EQ(attested->statement.state, "uninitialized");
  EXPECT_EQ(attested->statement.generation, 0u);
  EXPECT_EQ(attested->statement.transition_hash, crypto::Sha256Digest{});
  EXPECT_EQ(attested->statement.root_ca_spki_sha256, crypto::Sha256Digest{});
  EXPECT_FALSE(attested->bundle.has_value());
  EXPECT_FALSE(attested->history_key.has_value());
}

TEST_F(CoordinatorTest, StartTwiceFails) {
  Replica c = StartedReplica(1);
  EXPECT_THAT(c->Start(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(CoordinatorTest, CreateRejectsBadOptions) {
  FakeRandom random(1);
  LogCapture log;
  Deps deps{*store_, clock_, random, *verifier_, *attester_, log.logger()};
  Options no_platform;
  EXPECT_THAT(Coordinator::Create(no_platform, deps),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no platform")));
  Options bad_lifetime;
  bad_lifetime.launch = launch_;
  bad_lifetime.leaf_lifetime = absl::ZeroDuration();
  EXPECT_THAT(Coordinator::Create(bad_lifetime, deps),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("leaf_lifetime")));
}

// ---------------------------------------------------------------------------
// First set.

TEST_F(CoordinatorTest, FirstSetCommitsAndReturnsDecryptableSeedShares) {
  Replica c = StartedReplica(1);
  const Bytes manifest = DefaultManifest();
  absl::StatusOr<TransitionResult> result =
      c->SetManifest(FirstSetRequest(manifest, &keys().owner_a, c->Status()));
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->generation, 1u);
  EXPECT_EQ(c->state(), State::kReady);

  // Committed before the reply: the store's latest names the transition.
  absl::StatusOr<Bytes> latest = store_->Get(store::kLatestKey);
  ASSERT_THAT(latest, IsOk());
  EXPECT_EQ(history::ParseLatest(*latest)->transition_hash, result->transition_hash);
  EXPECT_THAT(
      history::ReadObject(*store_, history::ObjectType::kManifest, crypto::Sha256(manifest)),
      IsOk());
  EXPECT_THAT(history::ReadObject(*store_, history::ObjectType::kCaBundle, result->bundle.Hash()),
              IsOk());

  // The owner's share opens to the seed that derives the root CA and history keys.
  ASSERT_TRUE(result->seed_shares.has_value());
  ASSERT_EQ(result->seed_shares->shares.size(), 1u);
  seed::SeedSecrets secrets = OwnerSecrets(*result->seed_shares);
  EXPECT_EQ(secrets.DeriveRootCaKey()->public_key().spki_der(),
            result->bundle.root_public_key().spki_der());
  auto verifier =
      history::HistoryVerifier::Create(*store_, secrets.DeriveHistoryKey()->public_key(), {});
  ASSERT_THAT(verifier, IsOk());
  EXPECT_THAT((*verifier)->Verify(), IsOk());
  EXPECT_EQ(RecoverSeedSecrets(*result->seed_shares, keys().other_rsa).status().code(),
            absl::StatusCode::kNotFound);

  StatusInfo status = c->Status();
  EXPECT_EQ(status.state, State::kReady);
  EXPECT_EQ(status.generation, 1u);
  EXPECT_EQ(status.transition_hash, result->transition_hash);
  EXPECT_EQ(status.manifest_hash, crypto::Sha256(manifest));
  EXPECT_FALSE(status.head_unverified);
  EXPECT_THAT(c.log->Text(), HasSubstr("first manifest set"));
  EXPECT_THAT(c.log->Text(), Not(HasSubstr(HexEncode(secrets.seed().Reveal()))));
}

TEST_F(CoordinatorTest, IdenticalFirstSetRetryReturnsSameTransitionAndFreshShares) {
  Replica c = StartedReplica(1);
  const SetManifestRequest request =
      FirstSetRequest(DefaultManifest(), &keys().owner_a, c->Status());
  CONCORD_ASSERT_OK_AND_ASSIGN(TransitionResult first, c->SetManifest(request));
  const auto before = Snapshot(*store_);
  CONCORD_ASSERT_OK_AND_ASSIGN(TransitionResult again, c->SetManifest(request));
  EXPECT_EQ(again.transition_hash, first.transition_hash);
  EXPECT_EQ(again.generation, 1u);
  EXPECT_EQ(again.bundle.Serialize(), first.bundle.Serialize());
  ASSERT_TRUE(again.seed_shares.has_value());
  EXPECT_NE(again.seed_shares->shares[0].encrypted_seed,
            first.seed_shares->shares[0].encrypted_seed);
  EXPECT_TRUE(OwnerSecrets(*again.seed_shares).Equals(OwnerSecrets(*first.seed_shares)));
  EXPECT_EQ(Snapshot(*store_), before);
  // The request is public (GET /v1/manifests): further replays get the same
  // document, not another round of RSA encryptions.
  CONCORD_ASSERT_OK_AND_ASSIGN(TransitionResult third, c->SetManifest(request));
  EXPECT_EQ(third.seed_shares->shares[0].encrypted_seed,
            again.seed_shares->shares[0].encrypted_seed);

  // Another manifest without expected_previous is a stale view: 409.
  EXPECT_THAT(
      c->SetManifest(FirstSetRequest(DefaultManifest("other"), &keys().owner_a, c->Status())),
      StatusIs(absl::StatusCode::kAborted, HasSubstr("expected_previous")));
}

// A signed first set signs over this replica's one-time challenge, which the
// genesis transition keeps in its previous-hash field: a recorded first set
// (its objects are public) cannot initialize another replica, or this one
// again after `latest` is lost.
TEST_F(CoordinatorTest, FirstSetMustSignThisReplicasChallenge) {
  Replica c = StartedReplica(1);
  const StatusInfo status = c->Status();
  ASSERT_TRUE(status.genesis_challenge.has_value());

  SetManifestRequest unchallenged = FirstSetRequest(DefaultManifest(), &keys().owner_a, status);
  unchallenged.genesis_challenge.reset();
  EXPECT_THAT(c->SetManifest(unchallenged),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("challenge: required")));
  StatusInfo foreign = status;
  foreign.genesis_challenge = crypto::Sha256(AsBytes("another replica's challenge"));
  EXPECT_THAT(c->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, foreign)),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("challenge")));
  // The right challenge with a signature over another one.
  SetManifestRequest mixed = FirstSetRequest(DefaultManifest(), &keys().owner_a, foreign);
  mixed.genesis_challenge = status.genesis_challenge;
  EXPECT_THAT(c->SetManifest(mixed), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(c->state(), State::kUninitialized);
  EXPECT_THAT(store_->List(""), IsOkAndHolds(IsEmpty()));

  const SetManifestRequest request = FirstSetRequest(DefaultManifest(), &keys().owner_a, status);
  CONCORD_ASSERT_OK_AND_ASSIGN(TransitionResult first, c->SetManifest(request));
  EXPECT_FALSE(c->Status().genesis_challenge.has_value());
  CONCORD_ASSERT_OK_AND_ASSIGN(
      Bytes genesis,
      history::ReadObject(*store_, history::ObjectType::kTransition, first.transition_hash));
  CONCORD_ASSERT_OK_AND_ASSIGN(history::Transition parsed, history::ParseTransition(genesis));
  EXPECT_EQ(parsed.previous_hash, *status.genesis_challenge);

  // `latest` is lost; a new replica (its own challenge) gets the replay.
  ASSERT_THAT(store_->Delete(store::kLatestKey), IsOk());
  Replica fresh = StartedReplica(2);
  ASSERT_EQ(fresh->state(), State::kUninitialized);
  EXPECT_THAT(fresh->SetManifest(request),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("challenge")));
  EXPECT_EQ(fresh->state(), State::kUninitialized);
  EXPECT_THAT(store_->Get(store::kLatestKey), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(CoordinatorTest, FirstSetRefusesBadManifestAuthorizationAndPlatform) {
  Replica c = StartedReplica(1);
  EXPECT_THAT(c->SetManifest(FirstSetRequest(ToBytes("{\"Version\":1}"), nullptr, c->Status())),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(c->SetManifest(FirstSetRequest(DefaultManifest(), &keys().stranger, c->Status())),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(c->SetManifest(FirstSetRequest(DefaultManifest(), nullptr, c->Status())),
              StatusIs(absl::StatusCode::kPermissionDenied));
  SetManifestRequest tampered = FirstSetRequest(DefaultManifest(), &keys().owner_a, c->Status());
  tampered.authorization->signature.back() ^= 1;
  EXPECT_THAT(c->SetManifest(tampered), Not(IsOk()));
  SetManifestRequest with_previous =
      FirstSetRequest(DefaultManifest(), &keys().owner_a, c->Status());
  with_previous.expected_previous = crypto::Sha256(AsBytes("x"));
  EXPECT_THAT(c->SetManifest(with_previous), StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(c->state(), State::kUninitialized);
  EXPECT_THAT(store_->List(""), IsOkAndHolds(IsEmpty()));

  // A coordinator launched for snp refuses a simulated manifest.
  LaunchConfig snp = *ParseLaunchConfig(AsBytes(
      R"({"Version":1,"Kind":"coordinator","Platforms":["snp"],"AllowUnpinnedGenesis":true})"));
  Replica snp_replica = MakeReplica(2, nullptr, snp);
  ASSERT_THAT(snp_replica->Start(), IsOk());
  EXPECT_THAT(snp_replica->SetManifest(
                  FirstSetRequest(DefaultManifest(), &keys().owner_a, snp_replica->Status())),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(CoordinatorTest, PinnedGenesisKeyMustAuthorizeFirstSet) {
  LaunchConfig pinned = *ParseLaunchConfig(AsBytes(absl::StrCat(
      R"({"Version":1,"Kind":"coordinator","Platforms":["simulated"],"GenesisOwnerKeys":[")",
      HexEncode(keys().owner_b.public_key().spki_der()), R"("]})")));
  Replica c = MakeReplica(1, nullptr, pinned);
  ASSERT_THAT(c->Start(), IsOk());
  EXPECT_THAT(c->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, c->Status())),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(c->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_b, c->Status())),
              IsOk());
}

TEST_F(CoordinatorTest, LosingTheFirstSetRaceIsAbortedThenRecovery) {
  Replica winner = StartedReplica(1);
  Replica loser = MakeReplica(2);  // not started: its watch cannot get ahead of the call
  ASSERT_THAT(
      winner->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, winner->Status())),
      IsOk());
  EXPECT_THAT(loser->SetManifest(
                  FirstSetRequest(DefaultManifest("mine"), &keys().owner_a, loser->Status())),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("another coordinator")));
  ASSERT_THAT(loser->Start(), IsOk());
  EXPECT_EQ(loser->state(), State::kRecovery);
}

// ---------------------------------------------------------------------------
// Updates.

TEST_F(CoordinatorTest, OwnerUpdateKeepsRootAndMakesNewMeshCa) {
  Replica c = StartedReplica(1);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult first,
      c->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, c->Status())));
  const Bytes next = ManifestJson({&keys().owner_a, &keys().owner_b}, {&keys().seed_owner}, "v2");
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult second,
      c->SetManifest(UpdateRequest(next, first.transition_hash, &keys().owner_a)));
  EXPECT_EQ(second.generation, 2u);
  EXPECT_FALSE(second.seed_shares.has_value());
  EXPECT_EQ(second.bundle.root_der(), first.bundle.root_der());
  EXPECT_NE(second.bundle.mesh_ca_public_key().spki_der(),
            first.bundle.mesh_ca_public_key().spki_der());
  EXPECT_EQ(c->Status().manifest_hash, crypto::Sha256(next));

  // The new owner may now update; leaves chain to the new mesh CA.
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult third, c->SetManifest(UpdateRequest(
                                  DefaultManifest("v3"), second.transition_hash, &keys().owner_b)));
  EXPECT_EQ(third.generation, 3u);
  CONCORD_ASSERT_OK_AND_ASSIGN(WorkloadCertificate cert, IssueFor(*c.coordinator, kPlainPolicy));
  EXPECT_EQ(cert.mesh_ca_pem, third.bundle.MeshCaPem());
  EXPECT_EQ(cert.generation, 3u);

  CONCORD_ASSERT_OK_AND_ASSIGN(HistoryExport exported, c->ExportHistory());
  ASSERT_EQ(exported.transitions.size(), 3u);
  EXPECT_EQ(exported.transitions[0].hash, first.transition_hash);
  EXPECT_EQ(exported.transitions[2].hash, third.transition_hash);
  EXPECT_EQ(exported.manifests.size(), 3u);
  EXPECT_EQ(exported.ca_bundles.size(), 3u);
  EXPECT_EQ(exported.latest, *store_->Get(store::kLatestKey));
  for (const auto& t : exported.transitions) {
    EXPECT_EQ(history::TransitionHash(t.transition), t.hash);
  }
}

TEST_F(CoordinatorTest, RequestedLifetimeShortensTheLeafAndCannotLengthenIt) {
  Replica c = StartedReplica(1);
  ASSERT_THAT(c->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, c->Status())),
              IsOk());
  const std::array<uint8_t, 64> report_data = ReportData(0x42);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      attest::Claims claims,
      c->CheckWorkloadEvidence(WorkloadEvidence(kPlainPolicy, report_data), report_data));
  CONCORD_ASSERT_OK_AND_ASSIGN(
      WorkloadCertificate short_lived,
      c->IssueMeshCertificate(Caller(claims), workload_key_.public_key(), absl::Hours(1)));
  EXPECT_EQ(short_lived.leaf.not_after, clock_.Now() + absl::Hours(1));
  CONCORD_ASSERT_OK_AND_ASSIGN(WorkloadCertificate by_default,
                               c->IssueMeshCertificate(Caller(claims), workload_key_.public_key()));
  EXPECT_EQ(by_default.leaf.not_after, clock_.Now() + ca::kDefaultLeafLifetime);
  EXPECT_THAT(c->IssueMeshCertificate(Caller(claims), workload_key_.public_key(), absl::Hours(25)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lifetime_seconds")));
  EXPECT_THAT(
      c->IssueMeshCertificate(Caller(claims), workload_key_.public_key(), absl::ZeroDuration()),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(CoordinatorTest, UpdateRefusals) {
  Replica c = StartedReplica(1);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult first,
      c->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, c->Status())));
  const auto before = Snapshot(*store_);
  const Bytes next = DefaultManifest("v2");
  // Not an owner.
  EXPECT_THAT(c->SetManifest(UpdateRequest(next, first.transition_hash, &keys().stranger)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(c->SetManifest(UpdateRequest(next, first.transition_hash, nullptr)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // Tampered signature.
  SetManifestRequest tampered = UpdateRequest(next, first.transition_hash, &keys().owner_a);
  tampered.authorization->signature[10] ^= 1;
  EXPECT_THAT(c->SetManifest(tampered), StatusIs(absl::StatusCode::kUnauthenticated));
  // Stale expected previous.
  const crypto::Sha256Digest stale = crypto::Sha256(AsBytes("old head"));
  EXPECT_THAT(c->SetManifest(UpdateRequest(next, stale, &keys().owner_a)),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("is not the head")));
  // Seed-share owners are fixed.
  EXPECT_THAT(
      c->SetManifest(UpdateRequest(ManifestJson({&keys().owner_a}, {&keys().other_rsa}, "v2"),
                                   first.transition_hash, &keys().owner_a)),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Snapshot(*store_), before);
  EXPECT_EQ(c->Status().generation, 1u);
}

TEST_F(CoordinatorTest, ImmutableManifestCannotBeUpdated) {
  Replica c = StartedReplica(1);
  const Bytes immutable = ManifestJson({}, {&keys().seed_owner}, "fixed");
  CONCORD_ASSERT_OK_AND_ASSIGN(TransitionResult first,
                               c->SetManifest(FirstSetRequest(immutable, nullptr, c->Status())));
  EXPECT_THAT(
      c->SetManifest(UpdateRequest(DefaultManifest(), first.transition_hash, &keys().owner_a)),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("immutable")));
}

TEST_F(CoordinatorTest, SeedShareOnlyForOwners) {
  Replica c = StartedReplica(1);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult first,
      c->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, c->Status())));
  CONCORD_ASSERT_OK_AND_ASSIGN(seed::SeedSharesDocument share,
                               c->SeedShare(keys().seed_owner.public_key()));
  ASSERT_EQ(share.shares.size(), 1u);
  EXPECT_TRUE(OwnerSecrets(share).Equals(OwnerSecrets(*first.seed_shares)));
  EXPECT_THAT(c->SeedShare(keys().other_rsa.public_key()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(c->SeedShare(keys().owner_a.public_key()),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

// ---------------------------------------------------------------------------
// Recovery.

TEST_F(CoordinatorTest, SecondCoordinatorRecoversAndFirstBecomesStale) {
  step_rounds_ = true;
  Replica a = StartedReplica(1);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult first,
      a->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, a->Status())));
  Replica b = StartedReplica(2);
  ASSERT_EQ(b->state(), State::kRecovery);
  StatusInfo status = b->Status();
  EXPECT_TRUE(status.head_unverified);
  EXPECT_EQ(status.generation, 1u);
  EXPECT_EQ(status.transition_hash, first.transition_hash);
  EXPECT_EQ(status.manifest_hash, crypto::Sha256(DefaultManifest()));

  // Recovery refuses what needs secrets.
  EXPECT_THAT(
      b->SetManifest(UpdateRequest(DefaultManifest("v2"), first.transition_hash, &keys().owner_a)),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("concord recover")));
  EXPECT_THAT(b->ExportHistory(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(b->SeedShare(keys().seed_owner.public_key()),
              StatusIs(absl::StatusCode::kUnavailable));
  CONCORD_ASSERT_OK_AND_ASSIGN(AttestResult recovering, b->Attest(atls::Nonce{}));
  EXPECT_EQ(recovering.statement.state, "recovery");
  EXPECT_EQ(recovering.statement.generation, 0u);

  RecoverRequest request =
      MakeRecoverRequest(OwnerSecrets(*first.seed_shares), status, keys().seed_owner);
  request.minimum_head = first.transition_hash;
  CONCORD_ASSERT_OK_AND_ASSIGN(TransitionResult recovered, b->Recover(request));
  EXPECT_EQ(recovered.generation, 2u);
  EXPECT_FALSE(recovered.seed_shares.has_value());
  EXPECT_EQ(b->state(), State::kReady);
  EXPECT_EQ(recovered.bundle.root_der(), first.bundle.root_der());
  EXPECT_NE(recovered.bundle.mesh_ca_public_key().spki_der(),
            first.bundle.mesh_ca_public_key().spki_der());
  EXPECT_FALSE(b->Status().head_unverified);

  // The old replica sees a recovery it did not make: stale.
  WatchRound(*a.coordinator);
  ASSERT_EQ(a->state(), State::kStale);
  StatusInfo stale = a->Status();
  EXPECT_TRUE(stale.head_unverified);
  EXPECT_EQ(stale.transition_hash, recovered.transition_hash);
  EXPECT_THAT(a->ExportHistory(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(IssueFor(*a.coordinator, kPlainPolicy), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(a->SetManifest(
                  UpdateRequest(DefaultManifest("v2"), recovered.transition_hash, &keys().owner_a)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("stale")));

  // The recovered replica serves the new mesh CA, and the stale one can
  // recover in turn (over the recovered head).
  CONCORD_ASSERT_OK_AND_ASSIGN(WorkloadCertificate cert, IssueFor(*b.coordinator, kPlainPolicy));
  EXPECT_EQ(cert.mesh_ca_pem, recovered.bundle.MeshCaPem());
  EXPECT_EQ(cert.root_ca_pem, first.bundle.RootCaPem());
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult again,
      a->Recover(MakeRecoverRequest(OwnerSecrets(*first.seed_shares), stale, keys().seed_owner)));
  EXPECT_EQ(again.generation, 3u);
  EXPECT_EQ(a->state(), State::kReady);
  WatchRound(*b.coordinator);
  ASSERT_EQ(b->state(), State::kStale);
}

TEST_F(CoordinatorTest, RecoverWithWrongSeedIsUnauthenticatedAndChangesNothing) {
  Replica a = StartedReplica(1);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult first,
      a->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, a->Status())));
  Replica b = StartedReplica(2);
  ASSERT_EQ(b->state(), State::kRecovery);
  const auto before = Snapshot(*store_);
  seed::SeedSecrets right = OwnerSecrets(*first.seed_shares);
  FakeRandom other(1234);
  seed::SeedSecrets wrong = *seed::SeedSecrets::Generate(other);
  EXPECT_THAT(b->Recover(MakeRecoverRequest(wrong, b->Status(), keys().seed_owner)),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("the seed does not verify the stored history")));
  // Right seed, wrong salt.
  seed::SeedSecrets wrong_salt = *seed::SeedSecrets::FromBytes(right.seed(), wrong.salt());
  EXPECT_THAT(b->Recover(MakeRecoverRequest(wrong_salt, b->Status(), keys().seed_owner)),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // Short seed.
  RecoverRequest short_seed = MakeRecoverRequest(right, b->Status(), keys().seed_owner);
  short_seed.seed = crypto::SecretBytes(ByteView(right.seed().Reveal()).subspan(0, 31));
  EXPECT_THAT(b->Recover(short_seed), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Snapshot(*store_), before);
  EXPECT_EQ(b->state(), State::kRecovery);
  EXPECT_EQ(a->state(), State::kReady);
}

TEST_F(CoordinatorTest, RecoverRefusalsLeaveTheStoreUnchanged) {
  Replica a = StartedReplica(1);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult first,
      a->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, a->Status())));
  Replica b = StartedReplica(2);
  const auto before = Snapshot(*store_);
  const seed::SeedSecrets secrets = OwnerSecrets(*first.seed_shares);
  const StatusInfo status = b->Status();

  // Minimum head newer than (not in) the store's history: rolled back?
  RecoverRequest newer = MakeRecoverRequest(secrets, status, keys().seed_owner);
  newer.minimum_head = crypto::Sha256(AsBytes("a head the store never had"));
  EXPECT_THAT(b->Recover(newer), StatusIs(absl::StatusCode::kFailedPrecondition,
                                          HasSubstr("is not in the store's history")));
  // Expected previous that is not the verified head.
  RecoverRequest moved = MakeRecoverRequest(secrets, status, keys().seed_owner);
  moved.expected_previous = crypto::Sha256(AsBytes("elsewhere"));
  EXPECT_THAT(b->Recover(moved), StatusIs(absl::StatusCode::kAborted));
  // A caller that is not a seed-share owner, or signs with another key.
  EXPECT_THAT(b->Recover(MakeRecoverRequest(secrets, status, keys().other_rsa)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  RecoverRequest mismatched = MakeRecoverRequest(secrets, status, keys().seed_owner);
  mismatched.authorization.owner_key = keys().other_rsa.public_key();
  EXPECT_THAT(b->Recover(mismatched), StatusIs(absl::StatusCode::kPermissionDenied));
  // A tampered authorization signature.
  RecoverRequest tampered = MakeRecoverRequest(secrets, status, keys().seed_owner);
  tampered.authorization.signature[0] ^= 1;
  EXPECT_THAT(b->Recover(tampered), Not(IsOk()));
  EXPECT_EQ(Snapshot(*store_), before);
  EXPECT_EQ(b->state(), State::kRecovery);
}

TEST_F(CoordinatorTest, RestartOnFileStoreStartsInRecoveryAndRecovers) {
  const std::string dir = ::concord::testing::MakeTempDir("concord-coordinator-file");
  std::optional<TransitionResult> first;
  {
    auto file = store::FileStore::Create(dir, {});
    ASSERT_THAT(file, IsOk());
    Replica a = StartedReplica(1, file->get());
    CONCORD_ASSERT_OK_AND_ASSIGN(
        first, a->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, a->Status())));
    ASSERT_TRUE(first.has_value());
    a->Stop();
  }
  auto file = store::FileStore::Create(dir, {});
  ASSERT_THAT(file, IsOk());
  Replica restarted = StartedReplica(1, file->get());
  EXPECT_EQ(restarted->state(), State::kRecovery);  // no secrets survive a restart
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult recovered,
      restarted->Recover(MakeRecoverRequest(OwnerSecrets(*first->seed_shares), restarted->Status(),
                                            keys().seed_owner)));
  EXPECT_EQ(recovered.generation, 2u);
  EXPECT_EQ(recovered.bundle.root_der(), first->bundle.root_der());
  EXPECT_THAT(IssueFor(*restarted.coordinator, kSecretPolicy), IsOk());
}

// ---------------------------------------------------------------------------
// Following `latest`.

TEST_F(CoordinatorTest, SecondReadyCoordinatorFollowsManifestUpdate) {
  step_rounds_ = true;
  Replica a = StartedReplica(7);
  const SetManifestRequest request =
      FirstSetRequest(DefaultManifest(), &keys().owner_a, a->Status());
  CONCORD_ASSERT_OK_AND_ASSIGN(TransitionResult first, a->SetManifest(request));
  // A replica holding the same secrets (its randomness replays A's): its own
  // first-set attempt loses the swap and adopts the committed history.
  Replica b = MakeReplica(7);
  CONCORD_ASSERT_OK_AND_ASSIGN(TransitionResult adopted, b->SetManifest(request));
  EXPECT_EQ(adopted.transition_hash, first.transition_hash);
  EXPECT_EQ(adopted.bundle.Serialize(), first.bundle.Serialize());
  ASSERT_THAT(b->Start(), IsOk());
  ASSERT_EQ(b->state(), State::kReady);

  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult second,
      a->SetManifest(UpdateRequest(DefaultManifest("v2"), first.transition_hash, &keys().owner_a)));
  WatchRound(*b.coordinator);
  ASSERT_EQ(b->Status().generation, 2u);
  EXPECT_EQ(b->state(), State::kReady);
  EXPECT_EQ(b->Status().transition_hash, second.transition_hash);
  CONCORD_ASSERT_OK_AND_ASSIGN(WorkloadCertificate cert, IssueFor(*b.coordinator, kPlainPolicy));
  EXPECT_EQ(cert.mesh_ca_pem, second.bundle.MeshCaPem());  // derived mesh key = stored one
  EXPECT_THAT(b.log->Text(), HasSubstr("followed manifest update"));

  // B updates in turn; A follows.
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult third, b->SetManifest(UpdateRequest(
                                  DefaultManifest("v3"), second.transition_hash, &keys().owner_a)));
  WatchRound(*a.coordinator);
  ASSERT_EQ(a->Status().generation, 3u);
  EXPECT_EQ(a->Status().transition_hash, third.transition_hash);
}

TEST_F(CoordinatorTest, ForgedOrVanishedLatestRaisesAlarmAndKeepsState) {
  step_rounds_ = true;
  Replica a = StartedReplica(1);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult first,
      a->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, a->Status())));
  const Bytes genuine = *store_->Get(store::kLatestKey);
  // A latest signed by a foreign history key over the same transition.
  crypto::PrivateKey foreign = *crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP384);
  const Bytes forged =
      *history::EncodeLatest(*history::SignLatest(foreign, 1, first.transition_hash));
  ASSERT_THAT(store_->Commit({}, genuine, forged), IsOk());
  WatchRound(*a.coordinator);
  ASSERT_GE(a->Status().alarms_raised, 1u);
  StatusInfo status = a->Status();
  EXPECT_EQ(status.state, State::kReady);
  EXPECT_EQ(status.transition_hash, first.transition_hash);
  ASSERT_FALSE(status.alarms.empty());
  EXPECT_THAT(status.alarms[0], HasSubstr("latest does not verify"));
  EXPECT_THAT(a.log->Text(), HasSubstr("WARN"));
  EXPECT_THAT(IssueFor(*a.coordinator, kPlainPolicy), IsOk());

  // The genuine value back: alarm cleared, count kept.
  ASSERT_THAT(store_->Commit({}, forged, genuine), IsOk());
  WatchRound(*a.coordinator);
  ASSERT_THAT(a->Status().alarms, IsEmpty());

  // Vanished.
  const uint64_t raised_before = a->Status().alarms_raised;
  ASSERT_THAT(store_->Delete(store::kLatestKey), IsOk());
  WatchRound(*a.coordinator);
  ASSERT_TRUE([&] {
    const StatusInfo now = a->Status();
    return std::any_of(now.alarms.begin(), now.alarms.end(), [](const std::string& alarm) {
      return alarm.find("disappeared") != std::string::npos;
    });
  }());
  EXPECT_GT(a->Status().alarms_raised, raised_before);
  EXPECT_EQ(a->state(), State::kReady);
  EXPECT_THAT(IssueFor(*a.coordinator, kPlainPolicy), IsOk());
}

TEST_F(CoordinatorTest, RolledBackLatestRaisesAlarm) {
  step_rounds_ = true;
  Replica a = StartedReplica(1);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult first,
      a->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, a->Status())));
  const Bytes generation1 = *store_->Get(store::kLatestKey);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult second,
      a->SetManifest(UpdateRequest(DefaultManifest("v2"), first.transition_hash, &keys().owner_a)));
  const Bytes generation2 = *store_->Get(store::kLatestKey);
  ASSERT_THAT(store_->Commit({}, generation2, generation1), IsOk());  // validly signed, older
  // A polling watch may collapse 2 -> 1 into no change; the lease round
  // re-reads the store regardless.
  clock_.Advance(kLease / 2);
  HaRound(*a.coordinator);
  ASSERT_GE(a->Status().alarms_raised, 1u);
  EXPECT_EQ(a->state(), State::kReady);
  EXPECT_EQ(a->Status().generation, 2u);
  EXPECT_EQ(a->Status().transition_hash, second.transition_hash);
}

TEST_F(CoordinatorTest, UninitializedReplicaMovesToRecoveryWhenLatestAppears) {
  step_rounds_ = true;
  Replica waiting = StartedReplica(2);
  ASSERT_EQ(waiting->state(), State::kUninitialized);
  Replica a = StartedReplica(1);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult first,
      a->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, a->Status())));
  WatchRound(*waiting.coordinator);
  ASSERT_EQ(waiting->state(), State::kRecovery);
  EXPECT_EQ(waiting->Status().transition_hash, first.transition_hash);
  EXPECT_TRUE(waiting->Status().head_unverified);
}

// ---------------------------------------------------------------------------
// Store outages.

TEST_F(CoordinatorTest, StoreUnavailableFailsWritesButIssuanceContinues) {
  store::testing::FaultInjectingStore faulty(*store_);
  Replica c = StartedReplica(1, &faulty);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult first,
      c->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, c->Status())));
  faulty.FailNext(1000, store::testing::FaultInjectingStore::kAll);
  EXPECT_THAT(
      c->SetManifest(UpdateRequest(DefaultManifest("v2"), first.transition_hash, &keys().owner_a)),
      StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(c->state(), State::kReady);
  CONCORD_ASSERT_OK_AND_ASSIGN(WorkloadCertificate cert, IssueFor(*c.coordinator, kSecretPolicy));
  EXPECT_EQ(cert.generation, 1u);
  EXPECT_THAT(c->ExportHistory(), StatusIs(absl::StatusCode::kUnavailable));
  faulty.FailNext(0);
  EXPECT_THAT(c->ExportHistory(), IsOk());
}

TEST_F(CoordinatorTest, FirstSetWithUnavailableStoreIsUnavailableAndRetrySucceeds) {
  store::testing::FaultInjectingStore faulty(*store_);
  Replica c = StartedReplica(1, &faulty);
  const SetManifestRequest request =
      FirstSetRequest(DefaultManifest(), &keys().owner_a, c->Status());
  faulty.FailNext(1, store::testing::FaultInjectingStore::kCommit);
  EXPECT_THAT(c->SetManifest(request), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(c->state(), State::kUninitialized);
  CONCORD_ASSERT_OK_AND_ASSIGN(TransitionResult result, c->SetManifest(request));
  EXPECT_EQ(result.generation, 1u);
  EXPECT_EQ(c->state(), State::kReady);
}

TEST_F(CoordinatorTest, StartWithUnavailableStoreRetriesInTheBackground) {
  Replica a = StartedReplica(1);
  ASSERT_THAT(a->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, a->Status())),
              IsOk());
  store::testing::FaultInjectingStore faulty(*store_);
  constexpr uint32_t kReads =
      store::testing::FaultInjectingStore::kGet | store::testing::FaultInjectingStore::kWatch;
  faulty.FailNext(1 << 30, kReads);
  Replica b = StartedReplica(2, &faulty);
  // It keeps trying, and stays uninitialized while the store cannot be read.
  ASSERT_TRUE(WaitFor([&] { return faulty.calls(kReads) >= 4; }));
  EXPECT_EQ(b->state(), State::kUninitialized);
  faulty.FailNext(0, kReads);
  ASSERT_TRUE(WaitFor([&] { return b->state() == State::kRecovery; }));
}

// ---------------------------------------------------------------------------
// Attestation, workload evidence, mesh certificates.

TEST_F(CoordinatorTest, AttestStatementCoversTheVerifiedState) {
  Replica c = StartedReplica(1);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult first,
      c->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, c->Status())));
  atls::Nonce nonce;
  nonce.fill(0x5a);
  CONCORD_ASSERT_OK_AND_ASSIGN(AttestResult result, c->Attest(nonce));
  EXPECT_EQ(result.statement.nonce, nonce);
  EXPECT_EQ(result.statement.state, "ready");
  EXPECT_EQ(result.statement.generation, 1u);
  EXPECT_EQ(result.statement.transition_hash, first.transition_hash);
  EXPECT_EQ(result.statement.root_ca_spki_sha256, first.bundle.root_public_key().SpkiSha256());
  EXPECT_EQ(result.statement.mesh_ca_spki_sha256, first.bundle.mesh_ca_public_key().SpkiSha256());
  ASSERT_TRUE(result.history_key.has_value());
  EXPECT_EQ(result.statement.history_key_spki_sha256, result.history_key->SpkiSha256());
  EXPECT_EQ(result.history_key->spki_der(),
            OwnerSecrets(*first.seed_shares).DeriveHistoryKey()->public_key().spki_der());

  // The evidence verifies against the report data computed independently.
  Bytes generation(8, 0);
  generation[7] = 1;
  const std::string input = absl::StrCat(
      "concord/v1/attest", std::string(1, '\0'), AsStringView(nonce), std::string(1, '\5'), "ready",
      AsStringView(generation), AsStringView(first.transition_hash),
      AsStringView(result.statement.history_key_spki_sha256),
      AsStringView(result.statement.root_ca_spki_sha256),
      AsStringView(result.statement.mesh_ca_spki_sha256));
  const std::array<uint8_t, 64> expected = crypto::Sha512(AsBytes(input));
  EXPECT_EQ(atls::AttestStatementReportData(result.statement), expected);
  attest::VerifyOptions options;
  options.at = kNow;
  options.report_data = expected;
  options.host_data = launch_.policy_hash;
  options.check_reference_values = false;
  EXPECT_THAT(verifier_->Verify(result.evidence, options), IsOk());
  options.report_data = ReportData(0);
  EXPECT_THAT(verifier_->Verify(result.evidence, options), Not(IsOk()));
}

TEST_F(CoordinatorTest, WorkloadEvidenceChecksBindingAuthenticityAndPolicy) {
  Replica c = StartedReplica(1);
  ASSERT_THAT(c->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, c->Status())),
              IsOk());
  const std::array<uint8_t, 64> report_data = ReportData(0x11);
  const attest::Evidence good = WorkloadEvidence(kSecretPolicy, report_data);
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Claims claims, c->CheckWorkloadEvidence(good, report_data));
  EXPECT_EQ(Bytes(claims.host_data), Bytes(kSecretPolicy.begin(), kSecretPolicy.end()));

  // Bound to other report data.
  EXPECT_THAT(c->CheckWorkloadEvidence(good, ReportData(0x12)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // Tampered report (a byte of the signed part).
  attest::Evidence tampered = good;
  tampered.report[0x60] ^= 1;
  EXPECT_THAT(c->CheckWorkloadEvidence(tampered, report_data), Not(IsOk()));
  // Malformed report.
  attest::Evidence truncated = good;
  truncated.report.resize(100);
  EXPECT_THAT(c->CheckWorkloadEvidence(truncated, report_data),
              StatusIs(absl::StatusCode::kInvalidArgument));

  // A policy not in the manifest passes the evidence check (global values)
  // and is refused at issuance with a clear 403.
  const attest::Evidence unlisted = WorkloadEvidence(kUnlistedPolicy, report_data);
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Claims unlisted_claims,
                               c->CheckWorkloadEvidence(unlisted, report_data));
  EXPECT_THAT(c->IssueMeshCertificate(Caller(unlisted_claims), workload_key_.public_key()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr(absl::StrCat("policy ", HexEncode(kUnlistedPolicy),
                                              " is not in the manifest (generation 1)"))));
}

// Finding 1 of the security review: claims a handshake verified while the
// replica had no verified manifest (here: evidence from an attacker's own
// simulated host naming the coordinator's policy) must not decide anything
// once the replica is ready, on the same connection.
TEST_F(CoordinatorTest, HandshakeClaimsFromBeforeReadyDecideNothingAfterwards) {
  FakeRandom random(7);
  const std::string dir = ::concord::testing::MakeTempDir("concord-attacker-host");
  ASSERT_THAT(attest::SimulatedHost::Init(dir + "/host", {clock_, random}).status(), IsOk());
  auto attacker = attest::SimulatedHost::Load(dir + "/host");
  ASSERT_THAT(attacker.status(), IsOk());

  Replica c = StartedReplica(1);
  ASSERT_EQ(c->state(), State::kUninitialized);
  const std::array<uint8_t, 64> report_data = ReportData(0x5a);
  // Authentic for its own (attacker's) chain and bound to the handshake:
  // the handshake passes in every state.
  auto as_coordinator = (*attacker)->MakeReport(report_data, launch_.policy_hash);
  ASSERT_THAT(as_coordinator.status(), IsOk());
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Claims coordinator_claims,
                               c->CheckWorkloadEvidence(*as_coordinator, report_data));
  auto as_workload = (*attacker)->MakeReport(report_data, kSecretPolicy);
  ASSERT_THAT(as_workload.status(), IsOk());
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Claims workload_claims,
                               c->CheckWorkloadEvidence(*as_workload, report_data));

  ASSERT_THAT(c->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, c->Status())),
              IsOk());
  ASSERT_EQ(c->state(), State::kReady);
  const Bytes latest = *store_->Get(store::kLatestKey);

  EXPECT_THAT(c->ServePeerRecovery(Caller(coordinator_claims)),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("ARK")));
  EXPECT_THAT(c->ServePeerHead(Caller(coordinator_claims), Bytes()),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("ARK")));
  EXPECT_THAT(c->IssueMeshCertificate(Caller(workload_claims), workload_key_.public_key()),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("ARK")));
  // The refusals are audit events; the state and the store did not move.
  EXPECT_THAT(c.log->Text(), HasSubstr("event=\"peer recovery\""));
  EXPECT_THAT(c.log->Text(), HasSubstr("outcome=refused"));
  EXPECT_EQ(c->state(), State::kReady);
  EXPECT_EQ(*store_->Get(store::kLatestKey), latest);
  // The genuine workload still gets its certificate.
  EXPECT_THAT(IssueFor(*c.coordinator, kSecretPolicy), IsOk());
}

// Claims checked under generation N do not outlive a manifest update that
// tightens the policy's reference values.
TEST_F(CoordinatorTest, ClaimsDoNotOutliveAManifestThatTightensReferenceValues) {
  Replica c = StartedReplica(1);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult first,
      c->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, c->Status())));
  const std::array<uint8_t, 64> report_data = ReportData(0x42);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      attest::Claims claims,
      c->CheckWorkloadEvidence(WorkloadEvidence(kPlainPolicy, report_data), report_data));
  ASSERT_THAT(c->IssueMeshCertificate(Caller(claims), workload_key_.public_key()), IsOk());

  // Generation 2 requires another measurement for every policy.
  std::string tightened = ToString(DefaultManifest("v2"));
  const std::string measurement = HexEncode(host()->info().reference_values().measurement);
  tightened.replace(tightened.find(measurement), measurement.size(), std::string(96, 'f'));
  ASSERT_THAT(
      c->SetManifest(UpdateRequest(ToBytes(tightened), first.transition_hash, &keys().owner_a)),
      IsOk());
  EXPECT_THAT(c->IssueMeshCertificate(Caller(claims), workload_key_.public_key()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       AllOf(HasSubstr("(generation 2)"), HasSubstr("measurement"))));
}

// Claims past Options::max_claims_age are verified again before anything is
// served; without the evidence the caller must reconnect.
TEST_F(CoordinatorTest, OldClaimsAreVerifiedAgainBeforeTheyAreServed) {
  Replica c = StartedReplica(1);
  ASSERT_THAT(c->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, c->Status())),
              IsOk());
  const std::array<uint8_t, 64> report_data = ReportData(0x42);
  const attest::Evidence evidence = WorkloadEvidence(kPlainPolicy, report_data);
  CONCORD_ASSERT_OK_AND_ASSIGN(attest::Claims claims,
                               c->CheckWorkloadEvidence(evidence, report_data));
  AttestedCaller old{claims, clock_.Now() - Options().max_claims_age - absl::Seconds(1)};
  EXPECT_THAT(c->IssueMeshCertificate(old, workload_key_.public_key()),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("maximum age")));
  old.evidence = &evidence;
  old.report_data = report_data;
  EXPECT_THAT(c->IssueMeshCertificate(old, workload_key_.public_key()), IsOk());
  // Evidence that no longer verifies (here: bound to other report data).
  old.report_data = ReportData(0x43);
  EXPECT_THAT(c->IssueMeshCertificate(old, workload_key_.public_key()),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("verified again")));
  // A verification time in the future is not trusted either.
  AttestedCaller future{claims, clock_.Now() + absl::Hours(1)};
  EXPECT_THAT(c->IssueMeshCertificate(future, workload_key_.public_key()),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(CoordinatorTest, MeshCertificateCarriesSecretOnlyWithWorkloadSecretId) {
  Replica c = StartedReplica(1);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult first,
      c->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, c->Status())));
  const seed::SeedSecrets secrets = OwnerSecrets(*first.seed_shares);

  CONCORD_ASSERT_OK_AND_ASSIGN(WorkloadCertificate with, IssueFor(*c.coordinator, kSecretPolicy));
  ASSERT_TRUE(with.workload_secret.has_value());
  EXPECT_TRUE(with.workload_secret->Equals(*secrets.DeriveWorkloadSecret("frontend")));
  EXPECT_EQ(with.policy_name, "frontend v1");
  EXPECT_EQ(with.policy, kSecretPolicy);
  EXPECT_EQ(with.generation, 1u);
  EXPECT_EQ(with.chain_pem, with.leaf.pem + first.bundle.IntermediatePem());
  EXPECT_EQ(with.mesh_ca_pem, first.bundle.MeshCaPem());
  EXPECT_EQ(with.root_ca_pem, first.bundle.RootCaPem());
  EXPECT_EQ(with.leaf.not_after, kNow + ca::kDefaultLeafLifetime);

  CONCORD_ASSERT_OK_AND_ASSIGN(WorkloadCertificate without, IssueFor(*c.coordinator, kPlainPolicy));
  EXPECT_FALSE(without.workload_secret.has_value());
  EXPECT_EQ(without.policy_name, "backend");

  // Issuance re-checks the CURRENT manifest: drop a policy, and it is refused.
  const Bytes without_plain = ToBytes(
      absl::StrCat(R"({"Version":1,"Policies":{)", "\"", HexEncode(launch_.policy_hash),
                   "\":", R"({"Name":"coordinator","SANs":["localhost"],"Role":"coordinator"}},)",
                   R"("ReferenceValues":{"simulated":[{"ARKHash":")",
                   HexEncode(host()->info().reference_values().ark_spki_sha256),
                   R"(","Measurement":")", HexEncode(host()->info().reference_values().measurement),
                   R"("}]},)", R"("WorkloadOwnerKeys":)", KeyList({&keys().owner_a}),
                   R"(,"SeedshareOwnerKeys":)", KeyList({&keys().seed_owner}), "}"));
  const std::array<uint8_t, 64> report_data = ReportData(0x42);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      attest::Claims claims,
      c->CheckWorkloadEvidence(WorkloadEvidence(kPlainPolicy, report_data), report_data));
  ASSERT_THAT(c->SetManifest(UpdateRequest(without_plain, first.transition_hash, &keys().owner_a)),
              IsOk());
  EXPECT_THAT(c->IssueMeshCertificate(Caller(claims), workload_key_.public_key()),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("(generation 2)")));
}

TEST_F(CoordinatorTest, PolicyWithoutSansGetsNoCertificate) {
  Replica c = StartedReplica(1);
  std::string json = ToString(DefaultManifest());
  const std::string from = R"("SANs":["backend.local"])";
  json.replace(json.find(from), from.size(), R"("SANs":[])");
  ASSERT_THAT(c->SetManifest(FirstSetRequest(ToBytes(json), &keys().owner_a, c->Status())), IsOk());
  EXPECT_THAT(IssueFor(*c.coordinator, kPlainPolicy),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("policy \"backend\"")));
  EXPECT_THAT(IssueFor(*c.coordinator, kSecretPolicy), IsOk());
}

// ---------------------------------------------------------------------------
// High availability (DESIGN §7, §8): peer recovery, following, the freshness
// lease, rollback, manual recovery with peers. Several replicas on one
// MemoryStore (each through its own FaultInjectingStore where outages
// matter), one FakeClock, an in-process PeerNetwork.

TEST_F(CoordinatorTest, RestartedReplicaRecoversFromReadyPeer) {
  step_rounds_ = true;
  Coordinator& a = *PeerReplica(1).coordinator;
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult first,
      a.SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, a.Status())));
  EXPECT_TRUE(a.Serving());
  // A replica (re)started without secrets asks its peers by itself.
  Replica& b = PeerReplica(2);
  HaRound(*b.coordinator);
  ASSERT_EQ(b->state(), State::kReady);
  EXPECT_TRUE(b->Serving());
  const StatusInfo status = b->Status();
  EXPECT_EQ(status.generation, 1u);
  EXPECT_EQ(status.transition_hash, first.transition_hash);
  EXPECT_FALSE(status.head_unverified);
  EXPECT_EQ(status.lease_confirmed_by, "store");
  EXPECT_THAT(b.log->Text(), HasSubstr("recovered from peer"));
  EXPECT_THAT(b.log->Text(), HasSubstr("coordinator-1"));
  EXPECT_EQ(directory_.grants(), 1);
  // The same deployment: same mesh CA, same seed behind the shares.
  CONCORD_ASSERT_OK_AND_ASSIGN(WorkloadCertificate cert, IssueFor(*b.coordinator, kSecretPolicy));
  EXPECT_EQ(cert.mesh_ca_pem, first.bundle.MeshCaPem());
  CONCORD_ASSERT_OK_AND_ASSIGN(WorkloadCertificate from_a, IssueFor(a, kSecretPolicy));
  ASSERT_TRUE(cert.workload_secret.has_value() && from_a.workload_secret.has_value());
  EXPECT_TRUE(cert.workload_secret->Equals(*from_a.workload_secret));
  CONCORD_ASSERT_OK_AND_ASSIGN(seed::SeedSharesDocument shares,
                               b->SeedShare(keys().seed_owner.public_key()));
  EXPECT_TRUE(OwnerSecrets(shares).Equals(OwnerSecrets(*first.seed_shares)));
  // No secret in any log line.
  const seed::SeedSecrets secrets = OwnerSecrets(*first.seed_shares);
  EXPECT_THAT(b.log->Text(), Not(HasSubstr(HexEncode(secrets.seed().Reveal()))));
}

TEST_F(CoordinatorTest, PeerRecoveredReplicaFollowsManifestUpdate) {
  step_rounds_ = true;
  Coordinator& a = *PeerReplica(1).coordinator;
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult first,
      a.SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, a.Status())));
  Replica& b = PeerReplica(2);
  HaRound(*b.coordinator);
  ASSERT_EQ(b->state(), State::kReady);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult second,
      a.SetManifest(UpdateRequest(DefaultManifest("v2"), first.transition_hash, &keys().owner_a)));
  WatchRound(*b.coordinator);
  ASSERT_EQ(b->Status().generation, 2u);
  EXPECT_EQ(b->state(), State::kReady);
  EXPECT_EQ(b->Status().transition_hash, second.transition_hash);
  // B derived the new mesh CA key itself and issues under generation 2.
  CONCORD_ASSERT_OK_AND_ASSIGN(WorkloadCertificate cert, IssueFor(*b.coordinator, kPlainPolicy));
  EXPECT_EQ(cert.generation, 2u);
  EXPECT_EQ(cert.mesh_ca_pem, second.bundle.MeshCaPem());
  EXPECT_NE(cert.mesh_ca_pem, first.bundle.MeshCaPem());
}

TEST_F(CoordinatorTest, StaleOnRecoveryTransitionThenPeerRecovered) {
  step_rounds_ = true;
  Coordinator& a = *PeerReplica(1).coordinator;
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult first,
      a.SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, a.Status())));
  Replica& b = PeerReplica(2);
  HaRound(*b.coordinator);
  ASSERT_EQ(b->state(), State::kReady);
  // A third replica recovers manually (forced) while grants are blocked.
  directory_.SetServeRecovery(false);
  Replica& c = PeerReplica(3);
  ASSERT_EQ(c->state(), State::kRecovery);
  RecoverRequest request =
      MakeRecoverRequest(OwnerSecrets(*first.seed_shares), c->Status(), keys().seed_owner);
  request.force = true;
  CONCORD_ASSERT_OK_AND_ASSIGN(TransitionResult recovered, c->Recover(request));
  EXPECT_EQ(recovered.generation, 2u);
  // A and B hold the old mesh secret: the recovery transition makes them
  // stale, and they recover from C by themselves once grants flow again.
  WatchRound(a);
  WatchRound(*b.coordinator);
  ASSERT_EQ(a.state(), State::kStale);
  ASSERT_EQ(b->state(), State::kStale);
  EXPECT_FALSE(a.Serving());
  EXPECT_THAT(IssueFor(a, kPlainPolicy), StatusIs(absl::StatusCode::kUnavailable));
  directory_.SetServeRecovery(true);
  HaRound(a);
  HaRound(*b.coordinator);
  ASSERT_EQ(a.state(), State::kReady);
  ASSERT_EQ(b->state(), State::kReady);
  for (Coordinator* r : {&a, b.coordinator.get()}) {
    EXPECT_EQ(r->Status().generation, 2u);
    CONCORD_ASSERT_OK_AND_ASSIGN(WorkloadCertificate cert, IssueFor(*r, kPlainPolicy));
    EXPECT_EQ(cert.mesh_ca_pem, recovered.bundle.MeshCaPem());
  }
}

TEST_F(CoordinatorTest, ManualRecoveryNeedsForceWhileReadyPeersExist) {
  step_rounds_ = true;
  Coordinator& a = *PeerReplica(1).coordinator;
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult first,
      a.SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, a.Status())));
  directory_.SetServeRecovery(false);
  Replica& c = PeerReplica(3);
  ASSERT_EQ(c->state(), State::kRecovery);
  const auto before = Snapshot(*store_);
  RecoverRequest request =
      MakeRecoverRequest(OwnerSecrets(*first.seed_shares), c->Status(), keys().seed_owner);
  EXPECT_THAT(c->Recover(request),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("ready peers exist (coordinator-1): they recover this replica "
                                 "by themselves; use --force")));
  EXPECT_EQ(Snapshot(*store_), before);
  EXPECT_EQ(c->state(), State::kRecovery);
  request.force = true;
  CONCORD_ASSERT_OK_AND_ASSIGN(TransitionResult recovered, c->Recover(request));
  EXPECT_EQ(recovered.generation, 2u);
  EXPECT_EQ(c->state(), State::kReady);
  WatchRound(a);
  ASSERT_EQ(a.state(), State::kStale);
  // A stale replica answers no head: it would not count as a ready peer.
  EXPECT_THAT(a.ServePeerHead(Caller(ClaimsOf(*attester_)), Bytes()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("state stale")));
  directory_.SetServeRecovery(true);
  HaRound(a);
  ASSERT_EQ(a.state(), State::kReady);
  EXPECT_EQ(a.Status().transition_hash, recovered.transition_hash);
}

// A peer that is cut off does not count as ready.
TEST_F(CoordinatorTest, ManualRecoveryWithoutReadyPeersNeedsNoForce) {
  Coordinator& a = *PeerReplica(1).coordinator;
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult first,
      a.SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, a.Status())));
  directory_.SetServeRecovery(false);
  directory_.SetReachable("coordinator-1", false);
  Replica& c = PeerReplica(3);
  ASSERT_EQ(c->state(), State::kRecovery);
  CONCORD_ASSERT_OK_AND_ASSIGN(TransitionResult recovered,
                               c->Recover(MakeRecoverRequest(OwnerSecrets(*first.seed_shares),
                                                             c->Status(), keys().seed_owner)));
  EXPECT_EQ(recovered.generation, 2u);
}

// An uninitialized replica (here: its store lost `latest`) refuses a first
// set while a verified peer reports a history, and raises an alarm.
TEST_F(CoordinatorTest, FirstSetIsRefusedWhileAPeerReportsAHistory) {
  Coordinator& a = *PeerReplica(1).coordinator;
  ASSERT_THAT(a.SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, a.Status())),
              IsOk());
  extra_stores_.push_back(store::MemoryStore::Create());
  store::MemoryStore* empty = extra_stores_.back().get();
  Replica& b = PeerReplica(2, empty);
  ASSERT_EQ(b->state(), State::kUninitialized);
  EXPECT_THAT(
      b->SetManifest(FirstSetRequest(DefaultManifest("fork"), &keys().owner_a, b->Status())),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("reports a history (generation 1)")));
  EXPECT_EQ(b->state(), State::kUninitialized);
  EXPECT_THAT(empty->List(""), IsOkAndHolds(IsEmpty()));
  const StatusInfo status = b->Status();
  ASSERT_FALSE(status.alarms.empty());
  EXPECT_THAT(status.alarms.back(), HasSubstr("is the store's latest lost?"));
  // A request this replica refuses anyway costs no peer round trip and
  // raises nothing.
  const uint64_t alarms = status.alarms_raised;
  StatusInfo foreign = status;
  foreign.genesis_challenge = crypto::Sha256(AsBytes("not b's"));
  EXPECT_THAT(b->SetManifest(FirstSetRequest(DefaultManifest("fork"), &keys().owner_a, foreign)),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(b->Status().alarms_raised, alarms);
  // Once no peer answers, the first set goes through.
  directory_.SetReachable("coordinator-1", false);
  EXPECT_THAT(
      b->SetManifest(FirstSetRequest(DefaultManifest("fork"), &keys().owner_a, b->Status())),
      IsOk());
}

TEST_F(CoordinatorTest, PeerWithOtherPolicyHashIsRefused) {
  // B runs under another launch config (its own policy hash, which the
  // manifest lists as a coordinator policy, so A would serve it) that does
  // not allow A's identity: B must refuse A.
  step_rounds_ = true;
  const LaunchConfig other = OtherLaunch(kUnlistedPolicy);
  attest::SimulatedAttester other_attester(host(), other.policy_hash);
  extra_coordinators_ = {other.policy_hash};
  Coordinator& a = *PeerReplica(1).coordinator;
  ASSERT_THAT(a.SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, a.Status())),
              IsOk());
  Replica& b = PeerReplica(2, nullptr, other, &other_attester);
  for (int round = 0; round < 3; ++round) {
    HaRound(*b.coordinator);
  }
  ASSERT_GE(directory_.recovery_requests(), 3);
  EXPECT_EQ(b->state(), State::kRecovery);
  EXPECT_EQ(directory_.grants(), 0);
  EXPECT_THAT(b.log->Text(),
              HasSubstr(absl::StrCat("peer identity: policy ", HexEncode(launch_.policy_hash))));
  EXPECT_THAT(b.log->Text(), HasSubstr("nor a RecoveryPolicies entry"));

  // The serving side: a caller whose policy is not a coordinator policy of
  // the manifest gets nothing.
  attest::Claims workload = ClaimsOf(*attester_);
  workload.host_data = Bytes(kPlainPolicy.begin(), kPlainPolicy.end());
  EXPECT_THAT(a.ServePeerRecovery(Caller(workload)),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr(absl::StrCat("policy ", HexEncode(kPlainPolicy),
                                              " is not a coordinator policy"))));
  EXPECT_THAT(a.ServePeerHead(Caller(workload), Bytes()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // A replica that does not serve grants nothing.
  EXPECT_THAT(b->ServePeerRecovery(Caller(ClaimsOf(*attester_))),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("state recovery")));
}

TEST_F(CoordinatorTest, RecoveryPoliciesAllowUpgradeIdentity) {
  step_rounds_ = true;
  // B is an upgrade: another policy hash, whose launch config names A's
  // policy in RecoveryPolicies; the manifest lists B's policy too.
  const LaunchConfig upgrade = OtherLaunch(launch_.policy_hash);
  attest::SimulatedAttester upgrade_attester(host(), upgrade.policy_hash);
  extra_coordinators_ = {upgrade.policy_hash};
  Coordinator& a = *PeerReplica(1).coordinator;
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult first,
      a.SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, a.Status())));
  Replica& b = PeerReplica(2, nullptr, upgrade, &upgrade_attester);
  HaRound(*b.coordinator);
  ASSERT_EQ(b->state(), State::kReady);
  EXPECT_EQ(b->Status().transition_hash, first.transition_hash);
  // The old replica does not list the upgrade in its own launch config: it
  // would not accept B as a source (it is ready, so it never asks).
  EXPECT_THAT(IssueFor(*b.coordinator, kPlainPolicy), IsOk());
}

TEST_F(CoordinatorTest, GrantWhoseLatestDiffersFromStoreIsRefusedAndRollbackStopsLease) {
  step_rounds_ = true;
  Coordinator& a = *PeerReplica(1).coordinator;
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult first,
      a.SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, a.Status())));
  const Bytes generation1 = *store_->Get(store::kLatestKey);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult second,
      a.SetManifest(UpdateRequest(DefaultManifest("v2"), first.transition_hash, &keys().owner_a)));
  const Bytes generation2 = *store_->Get(store::kLatestKey);
  // The store is reset to the older, validly signed latest.
  ASSERT_THAT(store_->Commit({}, generation2, generation1), IsOk());
  // A polling watch may collapse generation 2 -> 1 into "no change"; the
  // lease round reads the store anyway.
  clock_.Advance(absl::Seconds(4));
  HaRound(a);
  ASSERT_GE(a.Status().alarms_raised, 1u);
  EXPECT_EQ(a.state(), State::kReady);
  EXPECT_EQ(a.Status().generation, 2u);
  EXPECT_THAT(a.Status().alarms, Not(IsEmpty()));

  // A recovering replica gets A's grant (generation 2) but the store says
  // generation 1: refused, alarm, still in recovery.
  Replica& b = PeerReplica(2);
  HaRound(*b.coordinator);
  ASSERT_THAT(b.log->Text(), HasSubstr("store head differs from peer's head: possible rollback"));
  EXPECT_GE(b->Status().alarms_raised, 1u);
  EXPECT_EQ(b->state(), State::kRecovery);
  EXPECT_TRUE(b->Status().head_unverified);
  EXPECT_EQ(b->Status().generation, 1u);

  // A no longer confirms its lease from the rolled-back store (nor from B,
  // which is not ready): it stops serving within the lease.
  EXPECT_EQ(a.Status().lease_confirmed_at, kNow);
  clock_.Advance(absl::Seconds(6));
  HaRound(a);  // a lease round: the store is rolled back, B answers no head
  ASSERT_FALSE(a.Serving());
  EXPECT_EQ(a.state(), State::kReady);
  EXPECT_THAT(IssueFor(a, kPlainPolicy),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("freshness lease expired")));
  EXPECT_THAT(a.ServePeerRecovery(Caller(ClaimsOf(*attester_))),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("freshness lease expired")));

  // The genuine head back: A confirms and serves again, and B recovers.
  ASSERT_THAT(store_->Commit({}, generation1, generation2), IsOk());
  WatchRound(a);  // the watch reads the genuine head: confirmed
  ASSERT_TRUE(a.Serving());
  HaRound(*b.coordinator);
  ASSERT_EQ(b->state(), State::kReady);
  EXPECT_EQ(b->Status().transition_hash, second.transition_hash);
}

TEST_F(CoordinatorTest, LeaseExpiresWithStoreDownAndNoPeersAndComesBack) {
  step_rounds_ = true;
  store::testing::FaultInjectingStore faulty(*store_);
  Replica c = StartedReplica(1, &faulty);
  ASSERT_THAT(c->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, c->Status())),
              IsOk());
  StatusInfo status = c->Status();
  EXPECT_TRUE(status.serving);
  EXPECT_EQ(status.lease, kLease);
  EXPECT_EQ(status.lease_confirmed_at, kNow);
  EXPECT_EQ(status.lease_expires_at, kNow + kLease);
  EXPECT_EQ(status.lease_confirmed_by, "store");

  // Store up: the HA round confirms every lease / 3.
  clock_.Advance(absl::Seconds(4));
  HaRound(*c.coordinator);
  ASSERT_EQ(c->Status().lease_confirmed_at, kNow + absl::Seconds(4));
  faulty.FailNext(1 << 30);
  clock_.Advance(absl::Seconds(4));  // a failed round; the lease still runs
  HaRound(*c.coordinator);
  EXPECT_TRUE(c->Serving());
  EXPECT_THAT(IssueFor(*c.coordinator, kPlainPolicy), IsOk());
  clock_.Advance(absl::Seconds(6));  // 10 s after the last confirmation
  EXPECT_FALSE(c->Serving());
  EXPECT_EQ(c->state(), State::kReady);
  EXPECT_FALSE(c->Status().serving);
  EXPECT_THAT(IssueFor(*c.coordinator, kPlainPolicy),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("freshness lease expired (last confirmed 10s ago): store and "
                                 "peers unreachable")));
  HaRound(*c.coordinator);
  ASSERT_THAT(c.log->Text(), HasSubstr("freshness lease expired; not serving"));

  faulty.FailNext(0);
  clock_.Advance(absl::Seconds(1));
  HaRound(*c.coordinator);
  ASSERT_TRUE(c->Serving());
  EXPECT_EQ(c->Status().lease_confirmed_by, "store");
  EXPECT_THAT(IssueFor(*c.coordinator, kPlainPolicy), IsOk());
}

// A store answer that arrives late confirms the lease only as of when the
// read began: otherwise a read issued before an outage, answered after it,
// would stretch the lease past what the store ever confirmed.
TEST_F(CoordinatorTest, LateStoreAnswerConfirmsOnlyAsOfWhenItWasAsked) {
  store::testing::FaultInjectingStore faulty(*store_);
  Replica c = StartedReplica(1, &faulty);
  ASSERT_THAT(c->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, c->Status())),
              IsOk());
  const uint64_t before = c->Status().lease_confirmations;

  faulty.HoldNextAnswer(store::testing::FaultInjectingStore::kGet);
  clock_.Advance(absl::Seconds(4));  // the lease round reads latest; its answer waits
  ASSERT_TRUE(faulty.AwaitHeld(absl::Seconds(30)));
  faulty.FailNext(1 << 30);          // the store goes down meanwhile
  clock_.Advance(absl::Seconds(7));  // and the answer arrives 7 s late
  faulty.Release();
  ASSERT_TRUE(WaitFor([&] { return c->Status().lease_confirmations > before; }));
  const StatusInfo status = c->Status();
  ASSERT_TRUE(status.lease_confirmed_at.has_value());
  EXPECT_LE(*status.lease_confirmed_at, kNow + absl::Seconds(4));
  EXPECT_EQ(status.lease_confirmed_by, "store");

  clock_.Advance(absl::Seconds(3));  // 10 s after the read began
  EXPECT_FALSE(c->Serving());
  EXPECT_THAT(IssueFor(*c.coordinator, kPlainPolicy),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("freshness lease expired")));
}

TEST_F(CoordinatorTest, StoreDownButPeerConfirmsKeepsServing) {
  step_rounds_ = true;
  store::testing::FaultInjectingStore store_a(*store_);
  store::testing::FaultInjectingStore store_b(*store_);
  Coordinator& a = *PeerReplica(1, &store_a).coordinator;
  ASSERT_THAT(a.SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, a.Status())),
              IsOk());
  Replica& b = PeerReplica(2, &store_b);
  HaRound(*b.coordinator);
  ASSERT_EQ(b->state(), State::kReady);

  store_a.FailNext(1 << 30);  // A alone loses the store
  for (int round = 1; round <= 4; ++round) {
    clock_.Advance(absl::Seconds(4));
    const absl::Time now = clock_.Now();
    HaRound(*b.coordinator);  // B confirms from the store
    HaRound(a);               // A cannot read it, and asks B
    ASSERT_EQ(a.Status().lease_confirmed_at, now) << round;
    ASSERT_EQ(b->Status().lease_store_confirmed_at, now) << round;
    EXPECT_EQ(a.Status().lease_confirmed_by, "peer coordinator-2");
    EXPECT_TRUE(a.Serving());
  }
  EXPECT_THAT(IssueFor(a, kPlainPolicy), IsOk());
  // A vouches for nobody while it has not seen the store itself.
  CONCORD_ASSERT_OK_AND_ASSIGN(PeerHead head,
                               a.ServePeerHead(Caller(ClaimsOf(*attester_)), Bytes()));
  EXPECT_EQ(head.state, "ready-peer-confirmed");
  CONCORD_ASSERT_OK_AND_ASSIGN(PeerHead from_b,
                               b->ServePeerHead(Caller(ClaimsOf(*attester_)), Bytes()));
  EXPECT_EQ(from_b.state, "ready");
  EXPECT_EQ(from_b.latest, head.latest);

  // Cut off from both: A stops within the lease; B (store up) serves on.
  directory_.SetReachable("coordinator-2", false);
  for (const absl::Duration step : {absl::Seconds(4), absl::Seconds(5)}) {
    clock_.Advance(step);
    HaRound(a);
    HaRound(*b.coordinator);
  }
  EXPECT_FALSE(a.Serving());
  EXPECT_THAT(IssueFor(a, kPlainPolicy),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("freshness lease expired")));
  ASSERT_EQ(b->Status().lease_confirmed_at, clock_.Now());
  EXPECT_TRUE(b->Serving());
}

// Review finding 5: a "peer" recognised by HOST_DATA alone that echoes the
// replica's own head kept a cut-off replica issuing forever. Here the peer
// serves the genuine head, but what this replica sees of it is evidence
// from an attacker's own simulated host (the coordinator's HOST_DATA and
// measurement, another ARK): it confirms no lease and is no "ready peer".
TEST_F(CoordinatorTest, ForgedPeerConfirmsNoLeaseAndIsNoReadyPeer) {
  step_rounds_ = true;
  FakeRandom random(99);  // the genuine host's seed: the same measurement
  const std::string dir = ::concord::testing::MakeTempDir("concord-forged-peer");
  ASSERT_THAT(attest::SimulatedHost::Init(dir + "/host", {clock_, random}).status(), IsOk());
  auto attacker = attest::SimulatedHost::Load(dir + "/host");
  ASSERT_THAT(attacker.status(), IsOk());
  attest::SimulatedAttester forged(
      std::shared_ptr<const attest::SimulatedHost>(*std::move(attacker)), launch_.policy_hash);
  ASSERT_EQ(ClaimsOf(forged).measurement, ClaimsOf(*attester_).measurement);

  store::testing::FaultInjectingStore store_a(*store_);
  Replica& a = PeerReplica(1, &store_a);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult first,
      a->SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, a->Status())));
  Replica& b = PeerReplica(2);
  HaRound(*b.coordinator);
  ASSERT_EQ(b->state(), State::kReady);
  directory_.Add("coordinator-2", b.coordinator.get(), ClaimsOf(forged));

  store_a.FailNext(1 << 30);  // A loses the store; only peers could vouch
  // Each lease round of A asks B (which serves, its store is up) and
  // refuses what it sees.
  for (int round = 1; round <= 2; ++round) {
    clock_.Advance(absl::Seconds(4));
    const absl::Time now = clock_.Now();
    HaRound(*b.coordinator);
    ASSERT_EQ(b->Status().lease_store_confirmed_at, now) << round;
    HaRound(*a.coordinator);
    ASSERT_THAT(a.log->Text(), HasSubstr("peer head ignored")) << round;
  }
  EXPECT_THAT(a.log->Text(), HasSubstr("peer identity: evidence does not match"));
  clock_.Advance(absl::Seconds(3));  // 11 s after A's last store confirmation
  EXPECT_FALSE(a->Serving());
  EXPECT_THAT(IssueFor(*a.coordinator, kPlainPolicy),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("freshness lease expired")));
  EXPECT_EQ(a->Status().lease_confirmed_by, "store");

  // Nor does it make a manual recovery refuse ("ready peers exist"), once
  // it serves again from the store.
  store_a.FailNext(0);
  HaRound(*a.coordinator);
  ASSERT_TRUE(a->Serving());
  // No peer grants C the seed (set before C starts, or B could grant it
  // before C is asked to recover manually).
  directory_.SetServeRecovery(false);
  Replica& c = PeerReplica(3);
  ASSERT_EQ(c->state(), State::kRecovery);
  directory_.Add("coordinator-1", a.coordinator.get(), ClaimsOf(forged));
  CONCORD_ASSERT_OK_AND_ASSIGN(TransitionResult recovered,
                               c->Recover(MakeRecoverRequest(OwnerSecrets(*first.seed_shares),
                                                             c->Status(), keys().seed_owner)));
  EXPECT_EQ(recovered.generation, 2u);
}

TEST_F(CoordinatorTest, TamperedPeerHeadSignatureIsRejected) {
  step_rounds_ = true;
  store::testing::FaultInjectingStore store_a(*store_);
  Coordinator& a = *PeerReplica(1, &store_a).coordinator;
  ASSERT_THAT(a.SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, a.Status())),
              IsOk());
  Replica& b = PeerReplica(2);
  HaRound(*b.coordinator);
  ASSERT_EQ(b->state(), State::kReady);

  // Heads from B arrive with a flipped signature byte: A must not confirm.
  directory_.SetTamperHeads(true);
  store_a.FailNext(1 << 30);
  clock_.Advance(absl::Seconds(4));
  HaRound(*b.coordinator);
  HaRound(a);
  ASSERT_GE(a.Status().alarms_raised, 1u);
  ASSERT_EQ(b->Status().lease_store_confirmed_at, kNow + absl::Seconds(4));
  EXPECT_THAT(a.Status().alarms,
              ::testing::Contains(HasSubstr("coordinator-2 sent a head that is not signed")));
  EXPECT_EQ(a.Status().lease_confirmed_at, kNow);
  clock_.Advance(absl::Seconds(5));
  HaRound(*b.coordinator);
  HaRound(a);  // another round, still tampered
  EXPECT_FALSE(a.Serving());
  EXPECT_TRUE(b->Serving());  // B reads the store; only its heads are tampered

  // The serving side rejects a tampered or malformed caller head.
  Bytes latest = *store_->Get(store::kLatestKey);
  latest.back() ^= 0x01;
  EXPECT_THAT(b->ServePeerHead(Caller(ClaimsOf(*attester_)), latest),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not signed by this deployment's history key")));
  EXPECT_THAT(b->ServePeerHead(Caller(ClaimsOf(*attester_)), ToBytes("junk")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("peer head: latest")));

  // Untampered heads confirm again.
  directory_.SetTamperHeads(false);
  clock_.Advance(absl::Seconds(1));
  HaRound(a);
  ASSERT_TRUE(a.Serving());
  EXPECT_EQ(a.Status().lease_confirmed_by, "peer coordinator-2");
}

TEST_F(CoordinatorTest, ConcurrentSetManifestOnTwoReplicasExactlyOneWins) {
  Coordinator& a = *PeerReplica(1).coordinator;
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult first,
      a.SetManifest(FirstSetRequest(DefaultManifest(), &keys().owner_a, a.Status())));
  Replica& b = PeerReplica(2);
  ASSERT_TRUE(WaitFor([&] { return b->state() == State::kReady; }));
  absl::StatusOr<TransitionResult> from_a;
  absl::StatusOr<TransitionResult> from_b;
  const SetManifestRequest request_a =
      UpdateRequest(DefaultManifest("a"), first.transition_hash, &keys().owner_a);
  const SetManifestRequest request_b =
      UpdateRequest(DefaultManifest("b"), first.transition_hash, &keys().owner_a);
  std::thread ta([&] { from_a = a.SetManifest(request_a); });
  std::thread tb([&] { from_b = b->SetManifest(request_b); });
  ta.join();
  tb.join();
  ASSERT_NE(from_a.ok(), from_b.ok()) << from_a.status() << " / " << from_b.status();
  const absl::Status& lost = from_a.ok() ? from_b.status() : from_a.status();
  EXPECT_THAT(lost, StatusIs(absl::StatusCode::kAborted));
  const TransitionResult& won = from_a.ok() ? *from_a : *from_b;
  EXPECT_EQ(won.generation, 2u);
  // Both converge on the winner; the history is linear.
  ASSERT_TRUE(WaitFor([&] {
    return a.Status().transition_hash == won.transition_hash &&
           b->Status().transition_hash == won.transition_hash;
  }));
  CONCORD_ASSERT_OK_AND_ASSIGN(HistoryExport history, b->ExportHistory());
  ASSERT_EQ(history.transitions.size(), 2u);
  EXPECT_EQ(history.transitions[0].hash, first.transition_hash);
  EXPECT_EQ(history.transitions[1].hash, won.transition_hash);
  // The loser re-reads and retries on the new head.
  Coordinator& loser = from_a.ok() ? *b.coordinator : a;
  CONCORD_ASSERT_OK_AND_ASSIGN(
      TransitionResult third,
      loser.SetManifest(UpdateRequest(DefaultManifest("c"), won.transition_hash, &keys().owner_a)));
  EXPECT_EQ(third.generation, 3u);
}

TEST_F(CoordinatorTest, PeerEndpointsRefuseWithoutHistory) {
  Replica c = StartedReplica(1);
  ASSERT_EQ(c->state(), State::kUninitialized);
  EXPECT_FALSE(c->Serving());
  EXPECT_FALSE(c->Status().serving);
  EXPECT_FALSE(c->Status().lease_confirmed_at.has_value());
  EXPECT_THAT(c->ServePeerHead(Caller(ClaimsOf(*attester_)), Bytes()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no history yet")));
  EXPECT_THAT(c->ServePeerRecovery(Caller(ClaimsOf(*attester_))),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("state uninitialized")));
}

TEST_F(CoordinatorTest, CreateRejectsBadHaOptions) {
  Options options;
  options.launch = launch_;
  FakeRandom random(1);
  LogCapture log;
  Deps deps{*store_, clock_, random, *verifier_, *attester_, log.logger()};
  options.freshness_lease = absl::ZeroDuration();
  EXPECT_THAT(Coordinator::Create(options, deps),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("freshness_lease")));
  options.freshness_lease = absl::Seconds(10);
  options.peer_retry = absl::Seconds(2);
  EXPECT_THAT(Coordinator::Create(options, deps),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("peer_retry")));
}

TEST_F(CoordinatorTest, StartWithPeersRefusesEvidenceOfAnotherPolicy) {
  // The attester reports a policy hash that is not this launch config's.
  attest::SimulatedAttester wrong(host(), kUnlistedPolicy);
  Replica r = MakeReplica(1, nullptr, std::nullopt, &wrong, /*with_peers=*/true);
  EXPECT_THAT(r->Start(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                   HasSubstr("is not the launch config's policy hash")));
}

}  // namespace
}  // namespace concord::coordinator

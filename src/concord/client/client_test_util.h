// TESTONLY. A simulated coordinator for client_test: a simulated host in a
// temp dir, a coordinator policy hash and a manifest that lists it with the
// host's reference values; and a served manifest history. Single-threaded.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/time/time.h"
#include "concord/attest/sim/simulated_host.h"
#include "concord/ca/ca_bundle.h"
#include "concord/ca/ca_certs.h"
#include "concord/common/hex.h"
#include "concord/crypto/keys.h"
#include "concord/history/objects.h"
#include "concord/history/verifier.h"
#include "concord/history/writer.h"
#include "concord/manifest/manifest.h"
#include "concord/seed/secrets.h"
#include "concord/store/memory/memory_store.h"
#include "concord/testing/fake_clock.h"
#include "concord/testing/fake_random.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace concord::client {

class SimulatedCoordinatorFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = ::concord::testing::MakeTempDir("client-sim") + "/host";
    absl::StatusOr<attest::SimulatedHostInfo> info =
        attest::SimulatedHost::Init(dir, {clock_, random_});
    ASSERT_TRUE(info.ok()) << info.status();
    info_ = *info;
    absl::StatusOr<std::unique_ptr<attest::SimulatedHost>> host = attest::SimulatedHost::Load(dir);
    ASSERT_TRUE(host.ok()) << host.status();
    host_ = *std::move(host);
    coordinator_policy_.fill(0xc0);
    workload_policy_.fill(0x77);
    absl::StatusOr<crypto::PrivateKey> owner =
        crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP384);
    ASSERT_TRUE(owner.ok());
    owner_.emplace(*std::move(owner));
  }

  // A manifest with the coordinator policy (and a workload policy), the
  // simulated host's reference values (or `measurement_override`), and the
  // owner key.
  manifest::Manifest MakeManifest(std::optional<std::array<uint8_t, 48>> measurement = {}) {
    nlohmann::json j;
    j["Version"] = 1;
    j["Policies"][HexEncode(coordinator_policy_)] = {
        {"Name", "coordinator"}, {"SANs", {"localhost"}}, {"Role", "coordinator"}};
    j["Policies"][HexEncode(workload_policy_)] = {{"Name", "web"}, {"SANs", {"web.local"}}};
    j["ReferenceValues"]["simulated"] = nlohmann::json::array(
        {{{"ARKHash", HexEncode(info_.ark_spki_sha256)},
          {"Measurement", HexEncode(measurement.value_or(info_.measurement))}}});
    j["WorkloadOwnerKeys"] = {HexEncode(owner_->public_key().spki_der())};
    j["SeedshareOwnerKeys"] = nlohmann::json::array();
    std::string text = j.dump();
    absl::StatusOr<manifest::Manifest> m = manifest::Manifest::Parse(AsBytes(text));
    EXPECT_TRUE(m.ok()) << m.status();
    return *std::move(m);
  }

  ::concord::testing::FakeClock clock_{absl::FromUnixSeconds(1'790'000'000)};
  ::concord::testing::FakeRandom random_{42};
  attest::SimulatedHostInfo info_;
  std::shared_ptr<const attest::SimulatedHost> host_;
  manifest::PolicyHash coordinator_policy_{};
  manifest::PolicyHash workload_policy_{};
  std::optional<crypto::PrivateKey> owner_;
};

// A real two-transition history, signed with the history key of a seed,
// as GET /v1/manifests would serve it.
class ServedHistoryFixture : public SimulatedCoordinatorFixture {
 protected:
  void SetUp() override {
    SimulatedCoordinatorFixture::SetUp();
    ::concord::testing::FakeRandom random(5);
    CONCORD_ASSERT_OK_AND_ASSIGN(seed::SeedSecrets secrets, seed::SeedSecrets::Generate(random));
    CONCORD_ASSERT_OK_AND_ASSIGN(crypto::PrivateKey history_key, secrets.DeriveHistoryKey());
    history_public_.emplace(history_key.public_key());
    CONCORD_ASSERT_OK_AND_ASSIGN(crypto::PrivateKey root_key, secrets.DeriveRootCaKey());
    CONCORD_ASSERT_OK_AND_ASSIGN(Bytes root_der,
                                 ca::CreateRootCaCertificate(root_key, "", clock_.Now(), random));
    CONCORD_ASSERT_OK_AND_ASSIGN(auto writer,
                                 history::HistoryWriter::Create(*store_, std::move(history_key),
                                                                history::AuthorizationOptions()));
    std::optional<history::VerifiedHistory> head;
    for (int i = 0; i < 2; ++i) {
      manifest::Manifest m = MakeManifest();
      Bytes manifest_bytes = m.bytes();
      if (i == 1) {
        manifest_bytes.push_back(' ');  // same content, another hash
      }
      CONCORD_ASSERT_OK_AND_ASSIGN(crypto::PrivateKey mesh_key,
                                   crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256));
      CONCORD_ASSERT_OK_AND_ASSIGN(
          ca::CaBundle bundle,
          ca::CreateCaBundle(root_key, root_der, mesh_key, i + 1, clock_.Now(), random));
      head_bundle_.emplace(bundle);
      history::AppendRequest req;
      req.manifest = manifest_bytes;
      req.ca_bundle = bundle.Serialize();
      crypto::Sha256Digest previous = head.has_value() ? head->head().hash : crypto::Sha256Digest{};
      CONCORD_ASSERT_OK_AND_ASSIGN(
          req.authorization, history::SignAuthorization(*owner_, history::TransitionKind::kManifest,
                                                        crypto::Sha256(manifest_bytes), previous));
      CONCORD_ASSERT_OK_AND_ASSIGN(history::VerifiedHistory next, writer->Append(head, req));
      head = std::move(next);
    }
    history_ = *head;
  }

  // The response body a coordinator would send for the store's content.
  nlohmann::json Body() {
    nlohmann::json j;
    j["latest"] = B64(history_.latest_bytes);
    j["history_key"] = HexEncode(history_public_->spki_der());
    j["transitions"] = nlohmann::json::array();
    j["manifests"] = nlohmann::json::object();
    j["ca_bundles"] = nlohmann::json::object();
    for (const auto& t : history_.transitions) {
      Bytes encoded = *history::ReadObject(*store_, history::ObjectType::kTransition, t->hash);
      j["transitions"].push_back({{"hash", HexEncode(t->hash)}, {"transition", B64(encoded)}});
      j["manifests"][HexEncode(t->transition.manifest_hash)] = B64(*history::ReadObject(
          *store_, history::ObjectType::kManifest, t->transition.manifest_hash));
      j["ca_bundles"][HexEncode(t->transition.ca_bundle_hash)] = B64(*history::ReadObject(
          *store_, history::ObjectType::kCaBundle, t->transition.ca_bundle_hash));
    }
    return j;
  }

  static std::string B64(ByteView b) { return absl::Base64Escape(AsStringView(b)); }

  std::unique_ptr<store::MemoryStore> store_ = store::MemoryStore::Create();
  std::optional<crypto::PublicKey> history_public_;
  history::VerifiedHistory history_;
  std::optional<ca::CaBundle> head_bundle_;  // the head's
};

}  // namespace concord::client

// TESTONLY. A simulated coordinator for client_test: a simulated host in a
// temp dir, a coordinator policy hash and a manifest that lists it with the
// host's reference values. Single-threaded.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "concord/attest/sim/simulated_host.h"
#include "concord/common/hex.h"
#include "concord/crypto/keys.h"
#include "concord/manifest/manifest.h"
#include "concord/testing/fake_clock.h"
#include "concord/testing/fake_random.h"
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
    absl::StatusOr<crypto::PrivateKey> owner = crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP384);
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

}  // namespace concord::client

// The attacker's test suite (docs/security.md, "Attacks and defences"): one
// test per attack, each against a real concordd over real (attested) TLS,
// each asserting the refusal and that the state and the store did not move.
// The attacker has a simulated host of its own (its own ARK), forges
// evidence for any HOST_DATA with it, keeps connections open across state
// changes and replays recorded evidence.
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "concord/attest/sim/simulated_attester.h"
#include "concord/ca/issuer.h"
#include "concord/ca/test_ca.h"
#include "concord/client/api_client.h"
#include "concord/common/hex.h"
#include "concord/common/time_format.h"
#include "concord/initializer/initializer.h"
#include "concord/net/server.h"
#include "concord/testing/fake_random.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "test/attacks/toolkit.h"

namespace concord::attacks {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class AttackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    target_ = Target::Start();
    ASSERT_NE(target_, nullptr);
    // The attacker's own simulated host: the genuine host's measurement
    // (same seed), another ARK.
    attacker_host_ = MakeHost(::concord::testing::MakeTempDir("concord-attacker") + "/host", 1);
    ASSERT_NE(attacker_host_, nullptr);
    ASSERT_EQ(attacker_host_->info().reference_values().measurement,
              target_->host()->info().reference_values().measurement);
  }

  // Calls `path` on `client`; the response (a failed call fails the test).
  net::HttpResponse Call(net::HttpsClient& client, const std::string& path,
                         const std::string& body = "{}") {
    auto response = client.Call("POST", path, body);
    EXPECT_TRUE(response.ok()) << response.status() << "\n" << target_->Log();
    return response.ok() ? *response : net::HttpResponse{-1, "", "", {}};
  }

  std::unique_ptr<Target> target_;
  std::shared_ptr<const attest::SimulatedHost> attacker_host_;
};

// Review finding 1 (critical): evidence forged on the attacker's host,
// naming the coordinator's policy, on a mesh connection opened while the
// replica was uninitialized and kept open until it was ready.
TEST_F(AttackTest, ConnectionKeptAcrossTheFirstSetGetsNoSeedAndNoCertificate) {
  attest::SimulatedAttester as_peer(attacker_host_, target_->coordinator_policy());
  attest::SimulatedAttester as_web(attacker_host_, target_->web_policy());
  std::unique_ptr<net::HttpsClient> peer = target_->MeshClient(as_peer);
  std::unique_ptr<net::HttpsClient> web = target_->MeshClient(as_web);
  // Before the first set: the handshakes pass (the evidence is authentic for
  // its own chain), the requests wait.
  EXPECT_EQ(Call(*peer, "/v1/peer/recover").status, 503);
  EXPECT_EQ(Call(*web, "/v1/mesh/cert").status, 503);

  ASSERT_TRUE(target_->FirstSet());
  ASSERT_EQ(target_->State(), "ready");
  const std::string store = target_->StoreDigest();

  // The same connections, now that the replica is ready.
  net::HttpResponse grant = Call(*peer, "/v1/peer/recover");
  EXPECT_EQ(grant.status, 403) << grant.body;
  EXPECT_THAT(grant.body, HasSubstr("ARK"));
  EXPECT_THAT(grant.body, Not(HasSubstr("\"seed\"")));
  EXPECT_EQ(Call(*peer, "/v1/peer/head").status, 403);
  net::HttpResponse cert = Call(*web, "/v1/mesh/cert");
  EXPECT_EQ(cert.status, 403) << cert.body;
  EXPECT_THAT(cert.body, Not(HasSubstr("CERTIFICATE")));
  EXPECT_THAT(cert.body, Not(HasSubstr("workload_secret")));

  EXPECT_EQ(target_->State(), "ready");
  EXPECT_EQ(target_->Generation(), 1u);
  EXPECT_EQ(target_->StoreDigest(), store);
  EXPECT_THAT(target_->Log(), HasSubstr("\"outcome\":\"refused\""));
}

// Review finding 5: a "peer" accepted on HOST_DATA alone. The forged peer
// connects after the replica is ready, too.
TEST_F(AttackTest, ForgedPeerIsRefusedOnAFreshConnection) {
  ASSERT_TRUE(target_->FirstSet());
  const std::string store = target_->StoreDigest();
  attest::SimulatedAttester as_peer(attacker_host_, target_->coordinator_policy());
  std::unique_ptr<net::HttpsClient> peer = target_->MeshClient(as_peer);
  EXPECT_EQ(Call(*peer, "/v1/peer/recover").status, 403);
  EXPECT_EQ(Call(*peer, "/v1/peer/head").status, 403);
  EXPECT_EQ(target_->StoreDigest(), store);
  EXPECT_EQ(target_->State(), "ready");

  // The genuine coordinator identity is served (the control).
  attest::SimulatedAttester genuine(target_->host(), target_->coordinator_policy());
  std::unique_ptr<net::HttpsClient> real = target_->MeshClient(genuine);
  EXPECT_EQ(Call(*real, "/v1/peer/head").status, 200);
}

// Review finding 1, last part: claims checked under generation N outlive a
// manifest update that drops the policy.
TEST_F(AttackTest, ClaimsDoNotOutliveAManifestThatDropsThePolicy) {
  ASSERT_TRUE(target_->FirstSet());
  attest::SimulatedAttester web_attester(target_->host(), target_->web_policy());
  std::unique_ptr<net::HttpsClient> web = target_->MeshClient(web_attester);
  ASSERT_EQ(Call(*web, "/v1/mesh/cert").status, 200);

  ASSERT_TRUE(target_->Update(target_->Manifest(/*with_web=*/false)));
  ASSERT_EQ(target_->Generation(), 2u);
  const std::string store = target_->StoreDigest();
  net::HttpResponse again = Call(*web, "/v1/mesh/cert");
  EXPECT_EQ(again.status, 403) << again.body;
  EXPECT_THAT(again.body, HasSubstr("is not in the manifest (generation 2)"));
  EXPECT_EQ(target_->StoreDigest(), store);
}

// Recorded evidence (bound to another key and nonce) replayed into a new
// handshake: refused in the handshake, nothing reaches a handler.
TEST_F(AttackTest, ReplayedEvidenceIsRefusedInTheHandshake) {
  ASSERT_TRUE(target_->FirstSet());
  std::array<uint8_t, 64> other{};
  other.fill(0x33);
  auto recorded = target_->host()->MakeReport(other, target_->web_policy());
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  ReplayAttester replay(*recorded);
  std::unique_ptr<net::HttpsClient> client = target_->MeshClient(replay);
  auto response = client->Call("POST", "/v1/mesh/cert", "{}");
  ASSERT_FALSE(response.ok()) << response->status << " " << response->body;
  EXPECT_THAT(response.status().message(), HasSubstr("server refused our certificate"));
  EXPECT_EQ(target_->State(), "ready");
}

// Review finding 6 and deliverable 4: the genesis objects are public, so an
// attacker can rebuild the first-set request. After `latest` is lost and the
// replica restarts uninitialized, replaying it must not re-initialize the
// deployment (a fresh seed, revoked policies valid again).
TEST_F(AttackTest, ReplayedFirstSetAfterLatestIsLostIsRefused) {
  ASSERT_TRUE(target_->FirstSet());
  const std::string recorded = target_->first_set_body();
  ASSERT_THAT(recorded, HasSubstr("\"challenge\""));
  ASSERT_TRUE(target_->DeleteLatest());
  ASSERT_TRUE(target_->Restart());
  ASSERT_EQ(target_->State(), "uninitialized");
  const std::string store = target_->StoreDigest();

  net::HttpResponse replayed = target_->PostManifest(recorded);
  EXPECT_EQ(replayed.status, 409) << replayed.body;
  EXPECT_THAT(replayed.body, HasSubstr("challenge"));
  // Without the challenge field the signature cannot verify either.
  nlohmann::json without = nlohmann::json::parse(recorded);
  without.erase("challenge");
  net::HttpResponse unchallenged = target_->PostManifest(without.dump());
  EXPECT_EQ(unchallenged.status, 400) << unchallenged.body;
  EXPECT_THAT(unchallenged.body, HasSubstr("challenge: required"));
  EXPECT_EQ(target_->State(), "uninitialized");
  EXPECT_EQ(target_->StoreDigest(), store);
  EXPECT_THAT(target_->Log(), HasSubstr("\"event\":\"first set\""));
}

// Review finding 2: one unauthenticated request with 40,000 levels of
// nesting grew the replica to ~2 GB. Parsing now stops at the limit.
TEST_F(AttackTest, DepthBombIsRefusedAndCostsLittleMemory) {
  const std::string bomb = absl::StrCat("{\"nonce\":", std::string(40'000, '['));
  std::unique_ptr<net::HttpsClient> client = target_->UserClient();
  for (int i = 0; i < 20; ++i) {
    auto response = client->Call("POST", "/v1/attest", bomb);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 400) << response->body;
    EXPECT_THAT(response->body, HasSubstr("levels of nesting"));
  }
  // The goal the security review set: a replica stays under 100 MiB.
  EXPECT_LT(target_->PeakRssKib(), 100u * 1024) << "peak RSS after 20 bombs";
  EXPECT_EQ(target_->State(), "uninitialized");
}

// Opens up to `count` idle TCP connections from `source` to `port` on
// 127.0.0.1 (bounded); returns the descriptors that connected.
std::vector<int> IdleConnections(const std::string& source, uint16_t port, int count) {
  std::vector<int> held;
  for (int i = 0; i < count; ++i) {
    if (const int fd = ConnectFrom(source, port); fd >= 0) {
      held.push_back(fd);
    }
  }
  return held;
}

// Review finding 3: 4096 idle connections from one address to the health
// listener made /healthz, /v1/status and mesh handshakes fail. Here the
// health listener's share is 128 connections: one address gets no more
// than its 64, and a listener filled by many addresses leaves the others'
// shares alone.
TEST_F(AttackTest, OneAddressCannotStarveTheHealthListenerNorAListenerTheOthers) {
  std::unique_ptr<Target> target = Target::Start({"--http-max-connections", "128"});
  ASSERT_NE(target, nullptr);
  std::vector<int> held = IdleConnections("127.0.0.2", target->http_port(), 300);
  EXPECT_EQ(target->HttpStatus("/healthz", "127.0.0.3"), 200);

  // Three more addresses fill the health listener: the user API answers.
  for (const char* source : {"127.0.0.4", "127.0.0.5", "127.0.0.6"}) {
    std::vector<int> more = IdleConnections(source, target->http_port(), 64);
    held.insert(held.end(), more.begin(), more.end());
  }
  EXPECT_EQ(target->State(), "uninitialized");
  for (int fd : held) {
    close(fd);
  }
}

// A leaked coordinator TLS key (decision 0028). What the attacker holds is
// the key and a copy of the coordinator's certificate, whose evidence binds
// the deployment's root CA; simulated here by a server of the attacker's
// attesting with the genuine host and the coordinator policy and binding that
// same root (a stronger attacker: it can attest any key). It answers
// POST /v1/mesh/cert with a chain of its own CA. The workload's side
// (client::RequestMeshCertificate, then concord-init's CheckMeshCertificate)
// refuses the chain. The genuine replica's certificate binds the root.
TEST_F(AttackTest, StolenCoordinatorTlsKeyCannotHandOutAnotherCa) {
  ASSERT_TRUE(target_->FirstSet());
  std::unique_ptr<net::HttpsClient> user = target_->UserClient();
  ASSERT_TRUE(user->Call("GET", "/v1/status").ok());
  ASSERT_TRUE(user->server_certificate().has_value());
  const std::optional<crypto::Sha256Digest> genuine_root =
      user->server_certificate()->bound_root_ca;
  ASSERT_TRUE(genuine_root.has_value()) << "the ready replica's certificate binds no root CA";

  ca::testing::TestCa forged = ca::testing::MakeTestCa(99, "Attacker");
  ASSERT_NE(forged.bundle.root_public_key().SpkiSha256(), *genuine_root);
  ::concord::testing::FakeRandom random(5);
  SystemClock clock;
  absl::StatusOr<std::unique_ptr<ca::Issuer>> issuer = ca::Issuer::Create(
      std::move(forged.mesh_key), forged.bundle, ca::Issuer::Deps{clock, random});
  ASSERT_TRUE(issuer.ok()) << issuer.status();

  attest::SimulatedAttester as_coordinator(target_->host(), target_->coordinator_policy());
  net::ServerOptions options;
  options.attester = &as_coordinator;
  options.bound_root_ca = [root = *genuine_root] {
    return std::optional<crypto::Sha256Digest>(root);
  };
  net::ListenerOptions mesh;
  mesh.name = "mesh";
  mesh.client_auth = net::ClientAuth::kAttested;
  mesh.check_client = target_->ServerCheck();
  mesh.handler = [&](const net::HttpRequest& request) {
    ca::Sans sans;
    sans.dns = {"web.demo.svc"};
    absl::StatusOr<ca::IssuedCertificate> leaf =
        (*issuer)->Issue(request.peer->key, sans, absl::Hours(1));
    if (!leaf.ok()) {
      return net::HttpResponse{500, "application/json", "{}", {}};
    }
    nlohmann::json body = {{"certificate", leaf->pem},
                           {"chain", forged.bundle.WorkloadChainPem(leaf->der)},
                           {"mesh_ca", forged.bundle.MeshCaPem()},
                           {"root_ca", forged.bundle.RootCaPem()},
                           {"policy", "web"},
                           {"not_after", FormatRfc3339(leaf->not_after)},
                           {"generation", 1}};
    return net::HttpResponse{200, "application/json", body.dump(), {}};
  };
  options.listeners.push_back(std::move(mesh));
  absl::StatusOr<std::unique_ptr<net::Server>> server = net::Server::Create(std::move(options));
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE((*server)->Start().ok());

  attest::SimulatedAttester as_web(target_->host(), target_->web_policy());
  crypto::PrivateKey key = ClientKey();
  absl::StatusOr<client::MeshCertificate> answer =
      client::RequestMeshCertificate(client::Endpoint{"127.0.0.1", (*server)->port(0)}, key, as_web,
                                     target_->ServerCheck(), std::nullopt, absl::Seconds(30));
  (*server)->Shutdown(absl::ZeroDuration());
  ASSERT_TRUE(answer.ok()) << answer.status();  // the handshake itself passes
  ASSERT_EQ(answer->attested_root_ca_spki_sha256, genuine_root);
  absl::StatusOr<absl::Time> accepted =
      initializer::CheckMeshCertificate(*answer, key, absl::Now(), std::nullopt);
  EXPECT_EQ(accepted.status().code(), absl::StatusCode::kPermissionDenied) << accepted.status();
  EXPECT_THAT(std::string(accepted.status().message()),
              HasSubstr("is not the root CA the coordinator's evidence binds"));
}

}  // namespace
}  // namespace concord::attacks

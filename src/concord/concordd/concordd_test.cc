// The concordd binary as a process: --help, configuration errors (exit 2
// with a message naming the flag or field), and a full start on 127.0.0.1
// with ephemeral ports (--port-file), /healthz and /readyz over plain HTTP,
// then SIGTERM -> exit 0. High availability: two replicas sharing a file://
// store with --peers; the second recovers from the first by itself, again
// after being killed, and the peer API is exercised over real aTLS with the
// identity rule applied in the handshake.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "concord/attest/sim/simulated_attester.h"
#include "concord/attest/sim/simulated_host.h"
#include "concord/attest/snp/verifier.h"
#include "concord/common/base64.h"
#include "concord/common/clock.h"
#include "concord/common/hex.h"
#include "concord/coordinator/launch_config.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/random.h"
#include "concord/discovery/static_discovery.h"
#include "concord/history/format.h"
#include "concord/net/client.h"
#include "concord/peer/peer_network.h"
#include "concord/store/builtin.h"
#include "concord/testing/fake_random.h"
#include "concord/testing/ports.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace concord::concordd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Result {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Starts concordd with `args`, output to `log_path`; returns its pid.
pid_t Spawn(const std::vector<std::string>& args, const std::string& log_path) {
  std::vector<char*> argv;
  std::string binary = CONCORDD_BINARY;
  argv.push_back(binary.data());
  std::vector<std::string> copy = args;
  for (std::string& arg : copy) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  // A clean environment: no CONCORD_* from the developer's shell.
  char* envp[] = {nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(rc, 0);
  return pid;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int Wait(pid_t pid) {
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Result RunConcordd(const std::vector<std::string>& args) {
  const std::string log = ::concord::testing::MakeTempDir("concordd-run") + "/out.log";
  pid_t pid = Spawn(args, log);
  Result result;
  result.exit_code = Wait(pid);
  result.output = ReadAll(log);
  return result;
}

// GET `path` on 127.0.0.1:`port`; returns the raw response.
std::string HttpGet(uint16_t port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "";
  }
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return "";
  }
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) {
    response.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return response;
}

class ConcorddTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::concord::testing::MakeTempDir("concordd-test");
    std::ofstream(dir_ + "/policy.json")
        << R"({"Version":1,"Kind":"coordinator","Platforms":["simulated"]})";
    std::ofstream(dir_ + "/snp-policy.json")
        << R"({"Version":1,"Kind":"coordinator","Platforms":["snp"],"AllowUnpinnedGenesis":true})";
  }
  void MakeHost() {
    ::concord::testing::FakeRandom random(3);
    auto info = attest::SimulatedHost::Init(dir_ + "/host", {SystemClock::Get(), random});
    ASSERT_TRUE(info.ok()) << info.status();
  }
  std::string dir_;
};

TEST_F(ConcorddTest, HelpExitsZero) {
  Result r = RunConcordd({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--policy"));
  EXPECT_THAT(r.output, HasSubstr("CONCORD_SHUTDOWN_GRACE"));
}

TEST_F(ConcorddTest, BadFlagExitsTwo) {
  Result r = RunConcordd({"--no-such-flag"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = RunConcordd(
      {"--policy", dir_ + "/policy.json", "--sim-host", dir_, "--shutdown-grace", "soon"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--shutdown-grace"));
}

TEST_F(ConcorddTest, BadPolicyOrPlatformExitsTwo) {
  MakeHost();
  Result r = RunConcordd({"--policy", dir_ + "/missing.json", "--sim-host", dir_ + "/host"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--policy"));
  std::ofstream(dir_ + "/bad.json") << R"({"Version":1,"Kind":"workload"})";
  r = RunConcordd({"--policy", dir_ + "/bad.json", "--sim-host", dir_ + "/host"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = RunConcordd({"--policy", dir_ + "/snp-policy.json", "--sim-host", dir_ + "/host"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Platforms"));
  // Hardware platforms need the kernel's interface (TDX: configfs-tsm only).
  std::ofstream(dir_ + "/tdx-policy.json")
      << R"({"Version":1,"Kind":"coordinator","Platforms":["tdx"],"AllowUnpinnedGenesis":true})";
  r = RunConcordd({"--policy", dir_ + "/tdx-policy.json", "--platform", "tdx", "--store",
                   "memory://", "--tsm-root", dir_ + "/no-tsm"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("no configfs-tsm at " + dir_ + "/no-tsm"));
  r = RunConcordd({"--policy", dir_ + "/policy.json", "--sim-host", dir_ + "/no-host"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--sim-host"));
}

TEST_F(ConcorddTest, ServesHealthAndStopsOnSigterm) {
  MakeHost();
  const std::string port_file = dir_ + "/ports.json";
  const std::string log = dir_ + "/concordd.log";
  pid_t pid = Spawn(
      {"--policy", dir_ + "/policy.json", "--sim-host", dir_ + "/host", "--store", "memory://",
       "--user-addr", "127.0.0.1:0", "--mesh-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
       "--port-file", port_file, "--shutdown-grace", "0s", "--log-format", "json"},
      log);
  // Wait for the port file (the process writes it once listening).
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  std::string ports_text;
  while (absl::Now() < deadline) {
    ports_text = ReadAll(port_file);
    int status = 0;
    if (!ports_text.empty() || waitpid(pid, &status, WNOHANG) == pid) {
      break;
    }
    std::this_thread::yield();
  }
  ASSERT_FALSE(ports_text.empty()) << ReadAll(log);
  nlohmann::json ports = nlohmann::json::parse(ports_text);
  const uint16_t http = ports["http"].get<uint16_t>();
  EXPECT_NE(ports["user"].get<uint16_t>(), 0);
  EXPECT_THAT(HttpGet(http, "/healthz"), HasSubstr("200 OK"));
  std::string readyz = HttpGet(http, "/readyz");
  EXPECT_THAT(readyz, HasSubstr("503"));
  EXPECT_THAT(readyz, HasSubstr("uninitialized"));
  EXPECT_THAT(HttpGet(http, "/metrics"), HasSubstr("concord_state{state=\"uninitialized\"} 1"));

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_EQ(Wait(pid), 0) << ReadAll(log);
  const std::string output = ReadAll(log);
  EXPECT_THAT(output, HasSubstr("INSECURE"));
  EXPECT_THAT(output, HasSubstr("listening"));
  EXPECT_THAT(output, HasSubstr("concordd stopped"));
}

// Polls `condition` every 20 ms until it holds or `timeout` passes.
template <typename Condition>
bool PollUntil(Condition condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (condition()) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return condition();
}

// One concordd replica with fixed ports.
struct Replica {
  explicit Replica(std::string replica_name) : name(std::move(replica_name)) {}
  std::string name;
  uint16_t user = concord::testing::FreeLoopbackPort();
  uint16_t mesh = concord::testing::FreeLoopbackPort();
  uint16_t http = concord::testing::FreeLoopbackPort();
  std::string log;
  pid_t pid = -1;
};

class ConcorddHaTest : public ConcorddTest {
 protected:
  void SetUp() override {
    ConcorddTest::SetUp();
    MakeHost();
    store_dir_ = dir_ + "/store";
    auto host = attest::SimulatedHost::Load(dir_ + "/host");
    ASSERT_TRUE(host.ok()) << host.status();
    host_ = *std::move(host);
    // The replicas' launch config names this host's ARK and measurement as
    // the coordinator reference values (the peer identity rule).
    const attest::SimulatedReferenceValues rv = host_->info().reference_values();
    const std::string launch_json = absl::StrCat(
        R"({"Version":1,"Kind":"coordinator","Platforms":["simulated"],)",
        R"("ReferenceValues":{"simulated":[{"ARKHash":")", HexEncode(rv.ark_spki_sha256),
        R"(","Measurement":")", HexEncode(rv.measurement), R"("}]}})");
    std::ofstream(dir_ + "/policy.json", std::ios::trunc) << launch_json;
    auto launch = coordinator::ParseLaunchConfig(AsBytes(launch_json));
    ASSERT_TRUE(launch.ok()) << launch.status();
    policy_hash_ = launch->policy_hash;
    auto verifier = attest::SnpVerifier::Create({.allow_simulated = true});
    ASSERT_TRUE(verifier.ok());
    verifier_ = *std::move(verifier);
  }
  void TearDown() override {
    for (Replica* r : {&a_, &b_}) {
      if (r->pid > 0) {
        kill(r->pid, SIGKILL);
        Wait(r->pid);
        r->pid = -1;
      }
    }
  }

  void Start(Replica& r, const Replica& peer) {
    r.log = absl::StrCat(dir_, "/", r.name, ".log");
    r.pid = Spawn(
        {"--policy",          dir_ + "/policy.json",
         "--sim-host",        dir_ + "/host",
         "--store",           "file://" + store_dir_,
         "--replica",         r.name,
         "--user-addr",       absl::StrCat("127.0.0.1:", r.user),
         "--mesh-addr",       absl::StrCat("127.0.0.1:", r.mesh),
         "--http-addr",       absl::StrCat("127.0.0.1:", r.http),
         "--peers",           absl::StrCat("static:127.0.0.1:", r.mesh, ",127.0.0.1:", peer.mesh),
         "--peer-retry",      "50ms",
         "--freshness-lease", "5s",
         "--shutdown-grace",  "0s",
         "--log-format",      "json"},
        r.log);
  }
  static bool Ready(const Replica& r) {
    return HttpGet(r.http, "/readyz").find("HTTP/1.1 200") == 0;
  }

  net::ServerEvidenceCheck CheckServer() {
    const attest::EvidenceVerifier* verifier = verifier_.get();
    return [verifier](const attest::Evidence& evidence, const std::array<uint8_t, 64>& expected) {
      attest::VerifyOptions options;
      options.at = absl::Now();
      options.report_data = expected;
      options.check_reference_values = false;
      return verifier->Verify(evidence, options);
    };
  }

  // Starts A (peer B), waits until it answers /healthz, sets the first
  // manifest on it and waits until it is ready.
  void StartFirstReplicaReady() {
    Start(a_, b_);
    ASSERT_TRUE(
        PollUntil([&] { return HttpGet(a_.http, "/healthz").find("200") != std::string::npos; },
                  absl::Seconds(30)))
        << ReadAll(a_.log);
    SetFirstManifest(a_);
    ASSERT_TRUE(PollUntil([&] { return Ready(a_); }, absl::Seconds(10))) << ReadAll(a_.log);
  }

  // The first manifest: the coordinator policy (Role coordinator) with the
  // simulated host's reference values, set on `r` by an owner key.
  void SetFirstManifest(const Replica& r) {
    owner_ = *crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256);
    const attest::SimulatedReferenceValues rv = host_->info().reference_values();
    const std::string json = absl::StrCat(
        R"({"Version":1,"Policies":{")", HexEncode(policy_hash_),
        R"(":{"Name":"coordinator","SANs":["localhost"],"Role":"coordinator"}},)",
        R"("ReferenceValues":{"simulated":[{"ARKHash":")", HexEncode(rv.ark_spki_sha256),
        R"(","Measurement":")", HexEncode(rv.measurement), R"("}]},"WorkloadOwnerKeys":[")",
        HexEncode(owner_.public_key().spki_der()), R"("],"SeedshareOwnerKeys":[")",
        HexEncode(crypto::PrivateKey::GenerateRsa(2048)->public_key().spki_der()), R"("]})");
    const Bytes manifest(json.begin(), json.end());
    net::ClientOptions options;
    options.host = "127.0.0.1";
    options.port = r.user;
    options.check_server = CheckServer();
    options.fresh_evidence = true;
    auto client = net::HttpsClient::Create(std::move(options));
    ASSERT_TRUE(client.ok()) << client.status();
    // The first set signs over the replica's one-time challenge.
    auto status = (*client)->Call("GET", "/v1/status");
    ASSERT_TRUE(status.ok()) << status.status();
    const std::string challenge_hex = nlohmann::json::parse(status->body)["challenge"];
    auto challenge = HexDecode(challenge_hex, "challenge");
    ASSERT_TRUE(challenge.ok() && challenge->size() == 32) << status->body;
    crypto::Sha256Digest previous{};
    std::copy(challenge->begin(), challenge->end(), previous.begin());
    auto auth = history::SignAuthorization(owner_, history::TransitionKind::kManifest,
                                           crypto::Sha256(manifest), previous);
    ASSERT_TRUE(auth.ok()) << auth.status();
    nlohmann::json body = {{"manifest", EncodeBase64(manifest)},
                           {"challenge", challenge_hex},
                           {"authorization",
                            {{"owner_key", HexEncode(owner_.public_key().spki_der())},
                             {"signature", HexEncode(auth->signature)}}}};
    auto response = (*client)->Call("POST", "/v1/manifest", body.dump());
    ASSERT_TRUE(response.ok()) << response.status();
    ASSERT_EQ(response->status, 200) << response->body;
  }

  std::string store_dir_;
  std::unique_ptr<attest::SimulatedHost> host_;
  std::array<uint8_t, 32> policy_hash_{};
  std::unique_ptr<attest::SnpVerifier> verifier_;
  crypto::PrivateKey owner_ = *crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256);
  Replica a_{"coordinator-a"};
  Replica b_{"coordinator-b"};
};

TEST_F(ConcorddHaTest, ReplicaRecoversFromItsPeerByItselfAlsoAfterBeingKilled) {
  ASSERT_NO_FATAL_FAILURE(StartFirstReplicaReady());

  // B finds a history in the store and no secrets: it recovers from A.
  Start(b_, a_);
  ASSERT_TRUE(PollUntil([&] { return Ready(b_); }, absl::Seconds(30))) << ReadAll(b_.log);
  EXPECT_THAT(ReadAll(b_.log), HasSubstr("recovered from peer"));
  EXPECT_THAT(HttpGet(b_.http, "/metrics"), HasSubstr("concord_peer_recovery_grants_total 1"));
  EXPECT_THAT(HttpGet(a_.http, "/metrics"),
              HasSubstr("concord_requests_total{listener=\"mesh\",endpoint=\"/v1/peer/recover\","
                        "code=\"200\"} 1"));

  // Killed (no shutdown) and restarted: ready again without an operator.
  ASSERT_EQ(kill(b_.pid, SIGKILL), 0);
  Wait(b_.pid);
  b_.pid = -1;
  Start(b_, a_);
  ASSERT_TRUE(PollUntil([&] { return Ready(b_); }, absl::Seconds(30))) << ReadAll(b_.log);
  EXPECT_THAT(ReadAll(b_.log), HasSubstr("recovered from peer"));
  // The secrets never reach a log.
  EXPECT_THAT(ReadAll(a_.log), Not(HasSubstr("\"seed\"")));
  EXPECT_THAT(ReadAll(b_.log), Not(HasSubstr("\"seed\"")));
}

TEST_F(ConcorddHaTest, PeerNetworkAppliesTheIdentityRuleBeforeAskingForSecrets) {
  ASSERT_NO_FATAL_FAILURE(StartFirstReplicaReady());

  // This test process acts as a replica with the coordinator policy.
  attest::SimulatedAttester attester(std::shared_ptr<const attest::SimulatedHost>(std::move(host_)),
                                     policy_hash_);
  auto discovery = discovery::StaticDiscovery::Create(absl::StrCat("127.0.0.1:", a_.mesh));
  ASSERT_TRUE(discovery.ok());
  Logger log{LogFormat::kHuman, LogLevel::kDebug, [](absl::string_view) {}};
  peer::PeerNetworkOptions options;
  options.replica_name = "coordinator-test";
  auto network = peer::AtlsPeerNetwork::Create(
      options, peer::PeerNetworkDeps{**discovery, *verifier_, attester, SystemClock::Get(),
                                     crypto::SystemRandom::Get(), log});
  ASSERT_TRUE(network.ok()) << network.status();

  // The identity rule refuses A: the handshake fails and nothing is asked.
  auto refused = (*network)->RequestRecovery(
      [](const attest::Claims&) { return absl::PermissionDeniedError("not our measurement"); });
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(refused.status().message(), HasSubstr("not our measurement"));
  EXPECT_THAT(HttpGet(a_.http, "/metrics"), Not(HasSubstr("/v1/peer/recover")));

  // Accepted: the grant carries A's head, which equals the store's.
  Bytes seen_measurement;
  auto grant = (*network)->RequestRecovery([&](const attest::Claims& claims) {
    seen_measurement = claims.measurement;
    return absl::OkStatus();
  });
  ASSERT_TRUE(grant.ok()) << grant.status();
  EXPECT_THAT(grant->peer, HasSubstr("coordinator-a"));
  EXPECT_EQ(grant->claims.measurement, seen_measurement);
  EXPECT_EQ(grant->value.seed.size(), 32u);
  auto store = store::OpenStore("file://" + store_dir_, store::Deps{});
  ASSERT_TRUE(store.ok()) << store.status();
  auto latest = (*store)->Get(store::kLatestKey);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(grant->value.latest, *latest);

  auto heads = (*network)->ExchangeHeads(*latest);
  ASSERT_EQ(heads.size(), 1u);
  EXPECT_EQ(heads[0].value.latest, *latest);
  EXPECT_EQ(heads[0].value.state, "ready");
  const peer::PeerNetworkStats stats = (*network)->stats();
  EXPECT_EQ(stats.recovery_rounds, 2u);
  EXPECT_EQ(stats.recovery_grants, 1u);
  EXPECT_EQ(stats.heads_received, 1u);
  EXPECT_EQ(stats.peer_failures, 1u);

  // A replica that names itself is skipped; nobody else: NotFound.
  peer::PeerNetworkOptions self_options;
  self_options.replica_name = "coordinator-self";
  self_options.own_mesh_port = a_.mesh;
  self_options.own_addresses = {"127.0.0.1"};
  auto self = peer::AtlsPeerNetwork::Create(
      self_options, peer::PeerNetworkDeps{**discovery, *verifier_, attester, SystemClock::Get(),
                                          crypto::SystemRandom::Get(), log});
  ASSERT_TRUE(self.ok());
  EXPECT_EQ((*self)->RequestRecovery(nullptr).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE((*self)->ExchangeHeads(*latest).empty());
}

}  // namespace
}  // namespace concord::concordd

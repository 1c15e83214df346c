#include "test/attacks/toolkit.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "concord/client/user_api.h"
#include "concord/common/clock.h"
#include "concord/common/hex.h"
#include "concord/crypto/random.h"
#include "concord/history/format.h"
#include "concord/testing/fake_random.h"
#include "concord/testing/ports.h"
#include "concord/testing/testdata.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace concord::attacks {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The value of "<key>:" in /proc/<pid>/status, in KiB (0 when absent).
uint64_t ProcStatusKib(pid_t pid, absl::string_view key) {
  const std::string status = ReadFile(absl::StrCat("/proc/", pid, "/status"));
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    if (absl::ConsumePrefix(&line, key) && absl::ConsumePrefix(&line, ":")) {
      line = absl::StripAsciiWhitespace(line);
      absl::ConsumeSuffix(&line, " kB");
      uint64_t kib = 0;
      if (absl::SimpleAtoi(line, &kib)) {
        return kib;
      }
    }
  }
  return 0;
}

net::ServerEvidenceCheck AuthenticOnlyCheck(const attest::EvidenceVerifier* verifier) {
  return [verifier](const attest::Evidence& evidence, const std::array<uint8_t, 64>& expected) {
    attest::VerifyOptions options;
    options.at = absl::Now();
    options.report_data = expected;
    options.check_reference_values = false;
    return verifier->Verify(evidence, options);
  };
}

}  // namespace

net::ServerEvidenceCheck Target::ServerCheck() const { return AuthenticOnlyCheck(verifier_.get()); }

crypto::PrivateKey ClientKey() { return *crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256); }

std::shared_ptr<const attest::SimulatedHost> MakeHost(const std::string& dir, uint64_t seed) {
  // The same seed gives the same launch measurement and chip id; the ARK,
  // ASK and VCEK keys are always new. An attacker's host made with the
  // genuine host's seed differs from it only in its chain.
  ::concord::testing::FakeRandom random(seed);
  auto info = attest::SimulatedHost::Init(dir, {SystemClock::Get(), random});
  EXPECT_TRUE(info.ok()) << info.status();
  auto host = attest::SimulatedHost::Load(dir);
  EXPECT_TRUE(host.ok()) << host.status();
  return host.ok() ? std::shared_ptr<const attest::SimulatedHost>(*std::move(host)) : nullptr;
}

std::unique_ptr<Target> Target::Start(std::vector<std::string> extra_flags) {
  std::unique_ptr<Target> t(new Target());
  t->dir_ = ::concord::testing::MakeTempDir("concord-attack");
  t->host_ = MakeHost(t->dir_ + "/host", 1);
  if (t->host_ == nullptr) {
    return nullptr;
  }
  auto verifier = attest::SnpVerifier::Create({.allow_simulated = true});
  EXPECT_TRUE(verifier.ok()) << verifier.status();
  t->verifier_ = *std::move(verifier);
  const attest::SimulatedReferenceValues rv = t->host_->info().reference_values();
  const std::string launch =
      absl::StrCat(R"({"Version":1,"Kind":"coordinator","Platforms":["simulated"],)",
                   R"("ReferenceValues":{"simulated":[{"ARKHash":")", HexEncode(rv.ark_spki_sha256),
                   R"(","Measurement":")", HexEncode(rv.measurement), R"("}]}})");
  std::ofstream(t->dir_ + "/coordinator.json", std::ios::binary) << launch;
  t->coordinator_policy_ = crypto::Sha256(AsBytes(launch));
  t->web_policy_ = crypto::Sha256(AsBytes("the web workload's policy document"));
  t->owner_ = *crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP384);
  t->seed_owner_ = *crypto::PrivateKey::GenerateRsa(2048);
  // A port the kernel just said was free can be taken before concordd binds
  // it (other tests start servers too): a concordd that exits at once is
  // started again on new ports.
  for (int attempt = 1;; ++attempt) {
    t->user_ = ::concord::testing::FreeLoopbackPort();
    t->mesh_ = ::concord::testing::FreeLoopbackPort();
    t->http_ = ::concord::testing::FreeLoopbackPort();
    t->args_ = {CONCORDD_BINARY,
                "--policy",
                t->dir_ + "/coordinator.json",
                "--sim-host",
                t->dir_ + "/host",
                "--store",
                "file://" + t->dir_ + "/store",
                "--replica",
                "coordinator-0",
                "--user-addr",
                absl::StrCat("127.0.0.1:", t->user_),
                "--mesh-addr",
                absl::StrCat("127.0.0.1:", t->mesh_),
                "--http-addr",
                absl::StrCat("127.0.0.1:", t->http_),
                "--shutdown-grace",
                "0s",
                "--log-format",
                "json"};
    t->args_.insert(t->args_.end(), extra_flags.begin(), extra_flags.end());
    if (t->Spawn(/*report=*/attempt == 3)) {
      break;
    }
    if (attempt == 3) {
      return nullptr;
    }
  }
  return t;
}

bool Target::Spawn(bool report) {
  std::vector<char*> argv;
  for (std::string& arg : args_) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  const std::string log = dir_ + "/concordd.log";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  char* envp[] = {nullptr};
  const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(rc, 0);
  // Sized for a loaded 2-core machine: concordd starts in well under a
  // second when idle.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  // Up means: this process still runs and answers on both its plain and its
  // TLS listener (a port someone else holds would answer /healthz too).
  bool exited = false;
  auto alive = [&] {
    if (!exited && waitpid(pid_, nullptr, WNOHANG) == pid_) {
      exited = true;  // reaped
    }
    return !exited;
  };
  auto up = [&] {
    if (HttpStatus("/healthz", "127.0.0.1", absl::Seconds(2)) != 200) {
      return false;
    }
    auto status = UserClient()->Call("GET", "/v1/status");
    return status.ok() && status->status == 200 && alive();
  };
  while (!up()) {
    if (absl::Now() > deadline || !alive()) {
      if (report) {
        ADD_FAILURE() << "concordd did not come up:\n" << Log();
      }
      if (!exited) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
      pid_ = -1;
      return false;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

bool Target::Restart() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  return Spawn(/*report=*/true);
}

bool Target::DeleteLatest() {
  const std::filesystem::path root = dir_ + "/store";
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.is_regular_file() && entry.path().filename() == "latest") {
      return std::filesystem::remove(entry.path());
    }
  }
  return false;
}

net::HttpResponse Target::PostManifest(const std::string& body) {
  auto response = UserClient()->Call("POST", "/v1/manifest", body);
  EXPECT_TRUE(response.ok()) << response.status();
  return response.ok() ? *response : net::HttpResponse{-1, "", "", {}};
}

std::optional<crypto::Sha256Digest> Target::Challenge() {
  auto response = UserClient()->Call("GET", "/v1/status");
  if (!response.ok() || response->status != 200) {
    return std::nullopt;
  }
  auto status = client::ParseStatusResponse(response->body);
  return status.ok() ? status->challenge : std::nullopt;
}

Target::~Target() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::string Target::Manifest(bool with_web) const {
  const attest::SimulatedReferenceValues rv = host_->info().reference_values();
  const std::string web =
      with_web
          ? absl::StrCat(R"(,")", HexEncode(web_policy_),
                         R"(":{"Name":"web","SANs":["web.attack.svc"],"WorkloadSecretID":"web"})")
          : std::string();
  return absl::StrCat(
      R"({"Version":1,"Policies":{")", HexEncode(coordinator_policy_),
      R"(":{"Name":"coordinator","Role":"coordinator","SANs":["coordinator.attack.svc"]})", web,
      R"(},"ReferenceValues":{"simulated":[{"ARKHash":")", HexEncode(rv.ark_spki_sha256),
      R"(","Measurement":")", HexEncode(rv.measurement), R"("}]},"WorkloadOwnerKeys":[")",
      HexEncode(owner_->public_key().spki_der()), R"("],"SeedshareOwnerKeys":[")",
      HexEncode(seed_owner_->public_key().spki_der()), R"("]})");
}

bool Target::Post(const std::string& manifest,
                  const std::optional<crypto::Sha256Digest>& previous) {
  client::SetManifestRequest request;
  request.manifest = ToBytes(manifest);
  request.expected_previous = previous;
  if (!previous.has_value()) {
    request.challenge = Challenge();
    EXPECT_TRUE(request.challenge.has_value());
  }
  auto authorization = history::SignAuthorization(
      *owner_, history::TransitionKind::kManifest, crypto::Sha256(request.manifest),
      previous.value_or(request.challenge.value_or(crypto::Sha256Digest{})));
  EXPECT_TRUE(authorization.ok()) << authorization.status();
  request.authorization = *authorization;
  const std::string body = client::EncodeSetManifestRequest(request);
  if (!previous.has_value()) {
    first_set_body_ = body;
  }
  std::unique_ptr<net::HttpsClient> client = UserClient();
  auto response = client->Call("POST", "/v1/manifest", body);
  EXPECT_TRUE(response.ok()) << response.status();
  if (!response.ok()) {
    return false;
  }
  EXPECT_EQ(response->status, 200) << response->body;
  return response->status == 200;
}

bool Target::FirstSet() { return Post(Manifest(), std::nullopt); }

bool Target::Update(const std::string& manifest) {
  std::optional<crypto::Sha256Digest> head = Head();
  EXPECT_TRUE(head.has_value());
  return head.has_value() && Post(manifest, head);
}

std::optional<crypto::Sha256Digest> Target::Head() {
  auto response = UserClient()->Call("GET", "/v1/status");
  if (!response.ok() || response->status != 200) {
    return std::nullopt;
  }
  auto status = client::ParseStatusResponse(response->body);
  if (!status.ok() || !status->transition.has_value()) {
    return std::nullopt;
  }
  return status->transition;
}

std::string Target::State() {
  auto response = UserClient()->Call("GET", "/v1/status");
  if (!response.ok()) {
    return absl::StrCat("unreachable: ", response.status().message());
  }
  nlohmann::json body = nlohmann::json::parse(response->body, nullptr, false);
  return body.is_object() && body["state"].is_string() ? body["state"].get<std::string>() : "?";
}

uint64_t Target::Generation() {
  auto response = UserClient()->Call("GET", "/v1/status");
  if (!response.ok()) {
    return 0;
  }
  nlohmann::json body = nlohmann::json::parse(response->body, nullptr, false);
  return body.is_object() && body["generation"].is_number_unsigned()
             ? body["generation"].get<uint64_t>()
             : 0;
}

std::string Target::StoreDigest() const {
  std::vector<std::string> files;
  const std::filesystem::path root = dir_ + "/store";
  if (std::filesystem::exists(root)) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
      if (entry.is_regular_file() && entry.path().filename() != "lock") {
        files.push_back(entry.path().string());
      }
    }
  }
  std::sort(files.begin(), files.end());
  crypto::Hasher hasher(crypto::HashAlg::kSha256);
  for (const std::string& file : files) {
    hasher.UpdateLengthPrefixed(AsBytes(file));
    hasher.UpdateLengthPrefixed(AsBytes(ReadFile(file)));
  }
  return HexEncode(hasher.Finish());
}

uint64_t Target::PeakRssKib() const { return ProcStatusKib(pid_, "VmHWM"); }
uint64_t Target::RssKib() const { return ProcStatusKib(pid_, "VmRSS"); }

int ConnectFrom(const std::string& source, uint16_t port, absl::Duration timeout) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return -1;
  }
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(absl::ToInt64Seconds(timeout));
  tv.tv_usec = static_cast<suseconds_t>(absl::ToInt64Microseconds(timeout) % 1000000);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in local{};
  local.sin_family = AF_INET;
  inet_pton(AF_INET, source.c_str(), &local.sin_addr);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int Target::HttpStatus(const std::string& path, const std::string& source,
                       absl::Duration timeout) const {
  const int fd = ConnectFrom(source, http_, timeout);
  if (fd < 0) {
    return -1;
  }
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return -1;
  }
  char buffer[64] = {};
  const ssize_t n = read(fd, buffer, sizeof(buffer) - 1);
  close(fd);
  int status = -1;
  if (n >= 12 && absl::SimpleAtoi(absl::string_view(buffer + 9, 3), &status)) {
    return status;
  }
  return -1;
}

std::string Target::Log() const { return ReadFile(dir_ + "/concordd.log"); }

std::unique_ptr<net::HttpsClient> Target::MeshClient(const attest::Attester& attester) const {
  net::ClientOptions options;
  options.host = "127.0.0.1";
  options.port = mesh_;
  options.check_server = AuthenticOnlyCheck(verifier_.get());
  options.client_key = ClientKey();
  options.attester = &attester;
  options.io_timeout = absl::Seconds(30);
  auto client = net::HttpsClient::Create(std::move(options));
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

std::unique_ptr<net::HttpsClient> Target::UserClient() const {
  net::ClientOptions options;
  options.host = "127.0.0.1";
  options.port = user_;
  options.check_server = AuthenticOnlyCheck(verifier_.get());
  options.io_timeout = absl::Seconds(30);
  auto client = net::HttpsClient::Create(std::move(options));
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

}  // namespace concord::attacks

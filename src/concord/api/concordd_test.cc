// The concordd binary as a process: --help, configuration errors (exit 2
// with a message naming the flag or field), and a full start on 127.0.0.1
// with ephemeral ports (--port-file), /healthz and /readyz over plain HTTP,
// then SIGTERM -> exit 0.
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
#include "concord/attest/sim/simulated_host.h"
#include "concord/common/clock.h"
#include "concord/testing/fake_random.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace concord::api {
namespace {

using ::testing::HasSubstr;

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
        << R"({"Version":1,"Kind":"coordinator","Platforms":["snp"]})";
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
  r = RunConcordd({"--policy", dir_ + "/snp-policy.json", "--platform", "snp"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("configfs-tsm"));
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

}  // namespace
}  // namespace concord::api

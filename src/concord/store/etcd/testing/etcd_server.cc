#include "concord/store/etcd/testing/etcd_server.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "concord/net/web_client.h"
#include "concord/testing/ports.h"
#include "concord/testing/testdata.h"

namespace concord::store::testing {
namespace {

constexpr absl::Duration kReadyDeadline = absl::Seconds(20);

pid_t Spawn(const std::vector<std::string>& args) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    std::vector<char*> argv;
    for (const std::string& a : args) {
      argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

}  // namespace

absl::Status RunCommand(const std::vector<std::string>& argv) {
  pid_t pid = Spawn(argv);
  if (pid < 0) {
    return absl::InternalError("fork failed");
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat(argv[0], " failed (status ", status, ")"));
  }
  return absl::OkStatus();
}

EtcdServer::EtcdServer(EtcdServerOptions options, std::string dir)
    : options_(std::move(options)), dir_(std::move(dir)) {}

absl::StatusOr<std::unique_ptr<EtcdServer>> EtcdServer::Start(EtcdServerOptions options) {
  std::unique_ptr<EtcdServer> server(
      new EtcdServer(std::move(options), concord::testing::MakeTempDir("etcd")));
  server->client_port_ = concord::testing::FreeLoopbackPort();
  server->peer_port_ = concord::testing::FreeLoopbackPort();
  absl::Status launched = server->Launch();
  if (!launched.ok()) {
    return launched;
  }
  return server;
}

EtcdServer::~EtcdServer() {
  Stop();
  (void)RunCommand({"rm", "-rf", dir_});
}

std::string EtcdServer::endpoint() const { return absl::StrCat("127.0.0.1:", client_port_); }

absl::Status EtcdServer::Launch() {
  bool tls = !options_.cert_file.empty();
  std::string scheme = tls ? "https" : "http";
  std::string client_url = absl::StrCat(scheme, "://127.0.0.1:", client_port_);
  std::string peer_url = absl::StrCat("http://127.0.0.1:", peer_port_);
  std::vector<std::string> args = {"/usr/bin/etcd",
                                   "--name=test",
                                   absl::StrCat("--data-dir=", dir_, "/data"),
                                   absl::StrCat("--listen-client-urls=", client_url),
                                   absl::StrCat("--advertise-client-urls=", client_url),
                                   absl::StrCat("--listen-peer-urls=", peer_url),
                                   absl::StrCat("--initial-advertise-peer-urls=", peer_url),
                                   absl::StrCat("--initial-cluster=test=", peer_url),
                                   "--log-level=error",
                                   "--logger=zap"};
  if (tls) {
    args.push_back("--cert-file=" + options_.cert_file);
    args.push_back("--key-file=" + options_.key_file);
    args.push_back("--trusted-ca-file=" + options_.trusted_ca_file);
    args.push_back("--client-cert-auth");
  }
  pid_ = Spawn(args);
  if (pid_ < 0) {
    return absl::InternalError("etcd: fork failed");
  }
  return WaitReady();
}

absl::Status EtcdServer::WaitReady() {
  net::WebClientOptions options;
  bool tls = !options_.cert_file.empty();
  options.base_url = absl::StrCat(tls ? "https://" : "http://", endpoint());
  options.io_timeout = absl::Seconds(2);
  options.connect_timeout = absl::Seconds(1);
  if (tls) {
    options.ca_file = options_.trusted_ca_file;
    options.client_cert_file = options_.cert_file;
    options.client_key_file = options_.key_file;
  }
  absl::StatusOr<std::unique_ptr<net::WebClient>> client = net::WebClient::Create(options);
  if (!client.ok()) {
    return client.status();
  }
  absl::Time deadline = absl::Now() + kReadyDeadline;
  absl::Status last = absl::UnavailableError("etcd: not started");
  while (absl::Now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::InternalError("etcd exited during startup");
    }
    absl::StatusOr<net::HttpResponse> response = (*client)->Call("GET", "/health");
    if (response.ok() && response->status == 200 && absl::StrContains(response->body, "\"true\"")) {
      return absl::OkStatus();
    }
    last = response.ok() ? absl::UnavailableError(response->body) : response.status();
    // Poll again shortly (readiness condition, bounded by the deadline).
    ::poll(nullptr, 0, 20);
  }
  Stop();
  return absl::UnavailableError(absl::StrCat("etcd did not become ready: ", last.message()));
}

void EtcdServer::Stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

absl::Status EtcdServer::Restart() {
  Stop();
  return Launch();
}

absl::Status EtcdServer::Etcdctl(const std::vector<std::string>& args) {
  bool tls = !options_.cert_file.empty();
  std::vector<std::string> argv = {
      "/usr/bin/etcdctl", absl::StrCat("--endpoints=", tls ? "https://" : "http://", endpoint())};
  if (tls) {
    argv.push_back("--cacert=" + options_.trusted_ca_file);
    argv.push_back("--cert=" + options_.cert_file);
    argv.push_back("--key=" + options_.key_file);
  }
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("ETCDCTL_API", "3", 1);
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    std::vector<char*> raw;
    for (std::string& a : argv) {
      raw.push_back(a.data());
    }
    raw.push_back(nullptr);
    ::execv(raw[0], raw.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat("etcdctl ", absl::StrJoin(args, " "), " failed"));
  }
  return absl::OkStatus();
}

}  // namespace concord::store::testing

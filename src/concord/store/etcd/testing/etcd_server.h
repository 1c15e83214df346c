// A real etcd (/usr/bin/etcd) for tests (TESTONLY): started on 127.0.0.1
// with random free ports and a temp data dir, ready when /health answers,
// stopped (SIGKILL, then reaped) on Stop() or destruction. Optional TLS with
// client-certificate auth. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace concord::store::testing {

struct EtcdServerOptions {
  // PEM paths; all set: https with --client-cert-auth.
  std::string cert_file;
  std::string key_file;
  std::string trusted_ca_file;
};

class EtcdServer final {
 public:
  static absl::StatusOr<std::unique_ptr<EtcdServer>> Start(EtcdServerOptions options = {});
  ~EtcdServer();
  EtcdServer(const EtcdServer&) = delete;
  EtcdServer& operator=(const EtcdServer&) = delete;

  // "127.0.0.1:port" of the client URL.
  std::string endpoint() const;
  uint16_t client_port() const { return client_port_; }
  // Kills the process (like a crash); the data dir stays.
  void Stop();
  // Starts it again on the same ports and data dir.
  absl::Status Restart();
  // Runs etcdctl against this server with `args`; its exit status must be 0.
  absl::Status Etcdctl(const std::vector<std::string>& args);

 private:
  EtcdServer(EtcdServerOptions options, std::string dir);
  absl::Status Launch();
  absl::Status WaitReady();

  const EtcdServerOptions options_;
  const std::string dir_;
  uint16_t client_port_ = 0;
  uint16_t peer_port_ = 0;
  pid_t pid_ = -1;
};

// Runs `argv` and waits; OK if it exits 0 (output discarded).
absl::Status RunCommand(const std::vector<std::string>& argv);

}  // namespace concord::store::testing

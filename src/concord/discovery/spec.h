// The `--peers` discovery spec (docs/operations.md, "Peer discovery") and
// the one factory that turns it into a PeerDiscovery:
//   static:127.0.0.11:7777,127.0.0.12:7777
//   dns:coordinator-headless.ns.svc.cluster.local:7777
//   k8s:namespace=ns,selector=app.kubernetes.io/name=concord,port=7777
// (k8s: namespace defaults to the pod's own, port to 7777; the selector may
// contain commas: every comma-separated part that does not start with
// "namespace=", "port=" or "selector=" continues the selector.) Parsing is a
// pure function so concordd validates its flags before starting anything.
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/discovery/discovery.h"
#include "concord/discovery/dns_discovery.h"
#include "concord/discovery/k8s_discovery.h"

namespace concord::discovery {

// Longest spec accepted.
inline constexpr size_t kMaxSpecSize = 64 * 1024;

struct DiscoverySpec {
  enum class Kind { kStatic, kDns, kK8s };
  Kind kind = Kind::kStatic;
  std::string static_list;    // kStatic: "h:p,h:p"
  std::string dns_host_port;  // kDns: "name:port"
  std::string k8s_namespace;  // kK8s: empty = the pod's own namespace
  std::string k8s_selector;   // kK8s
  uint16_t k8s_port = 7777;   // kK8s
};

// InvalidArgument "peers: ..." naming the bad part (unknown scheme, bad
// address, bad namespace/selector/port, duplicate key). Checks everything
// that does not need the environment.
absl::StatusOr<DiscoverySpec> ParseDiscoverySpec(absl::string_view spec);

// What the backends need from the process's environment; injectable for
// tests.
struct DiscoveryEnvironment {
  // Environment variables (KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT).
  std::function<std::optional<std::string>(absl::string_view name)> env;
  // token, ca.crt and namespace live here.
  std::string service_account_dir = std::string(kServiceAccountDir);
  // k8s: use this API server URL instead of the environment's (tests: a
  // local "http://127.0.0.1:port" without token or CA).
  std::string k8s_api_base_url_override;
  Resolver resolver = SystemResolve;
};

// Parses `spec` and builds its backend. InvalidArgument as above, or when a
// k8s spec runs outside a pod (no KUBERNETES_SERVICE_HOST) or cannot read
// the namespace file.
absl::StatusOr<std::unique_ptr<PeerDiscovery>> CreateDiscovery(
    absl::string_view spec, const DiscoveryEnvironment& environment);

}  // namespace concord::discovery

// Kubernetes peer discovery (`--peers k8s:namespace=ns,selector=app=concord,
// port=7777`): lists the pods matching a label selector through the API
// server (GET /api/v1/namespaces/<ns>/pods?labelSelector=...) with the pod's
// service account token, and keeps those with a pod IP, condition
// Ready=True and no deletion timestamp. A recovering replica is not ready
// and looks for ready peers, so the Ready filter is what recovery needs.
// The PodList parser is a pure function (fuzzed: k8s_pods_fuzz). Tested
// against recorded API responses served locally; untested on a real
// cluster. Thread-safe (one kept-alive connection under a mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "concord/discovery/discovery.h"
#include "concord/net/web_client.h"

namespace concord::discovery {

// Largest PodList body accepted, most items, deepest JSON nesting.
inline constexpr size_t kMaxPodListSize = 8 * 1024 * 1024;
inline constexpr size_t kMaxPodListItems = 1024;
inline constexpr size_t kMaxPodListNesting = 64;
// Largest service account token file.
inline constexpr size_t kMaxTokenSize = 64 * 1024;

// The in-cluster defaults.
inline constexpr absl::string_view kServiceAccountDir =
    "/var/run/secrets/kubernetes.io/serviceaccount";

// Parses a v1 PodList and returns, sorted and deduplicated, one PeerAddress
// {status.podIP, port, metadata.name} per pod that has a pod IP, a condition
// {type: Ready, status: "True"} and no metadata.deletionTimestamp. Fields
// other than those read are ignored (the API adds many); those read must
// have the right type. DataLoss "pod list: <path>: <what>" for a malformed
// document ("pod list: items[2].status.podIP: want an IP address"), or one
// over the size, item or nesting limits.
absl::StatusOr<std::vector<PeerAddress>> ParsePodList(absl::string_view json, uint16_t port);

// "namespace" and "selector" validity (InvalidArgument naming the field):
// a namespace is a DNS-1123 label; a selector uses [A-Za-z0-9._/-=,!()].
absl::Status ValidateNamespace(absl::string_view name);
absl::Status ValidateLabelSelector(absl::string_view selector);

// "/api/v1/namespaces/<ns>/pods?labelSelector=<percent-encoded selector>".
std::string PodListTarget(absl::string_view namespace_name, absl::string_view selector);

// Reads a bearer token file (trailing whitespace trimmed). FailedPrecondition
// naming the path when unreadable, empty, over kMaxTokenSize or containing
// control characters; the token itself is never in a message.
absl::StatusOr<std::string> ReadBearerToken(const std::string& path);

struct K8sDiscoveryOptions {
  std::string namespace_name;  // required
  std::string selector;        // required
  uint16_t port = 7777;        // the mesh port of every pod
  // "https://host:port" of the API server (in cluster: from
  // KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT); "http://..." only
  // for tests.
  std::string api_base_url;
  // PEM CA bundle that signs the API server's certificate (https only).
  std::string ca_file;
  // Bearer token file, re-read on every call (projected tokens rotate);
  // empty: no Authorization header (tests).
  std::string token_file;
  absl::Duration connect_timeout = absl::Seconds(1);
  absl::Duration io_timeout = absl::Seconds(2);
};

class K8sDiscovery final : public PeerDiscovery {
 public:
  // InvalidArgument for a bad namespace, selector, port 0 or base URL.
  static absl::StatusOr<std::unique_ptr<K8sDiscovery>> Create(K8sDiscoveryOptions options);

  K8sDiscovery(const K8sDiscovery&) = delete;
  K8sDiscovery& operator=(const K8sDiscovery&) = delete;

  // Lists the pods now. Unavailable when the API server cannot be reached
  // or answers 429/5xx; FailedPrecondition for 401/403/404 (token, RBAC or
  // namespace needs fixing) or an unreadable token; DataLoss for a
  // malformed PodList.
  absl::StatusOr<std::vector<PeerAddress>> Peers() override;

 private:
  K8sDiscovery(K8sDiscoveryOptions options, std::unique_ptr<net::WebClient> client)
      : options_(std::move(options)), client_(std::move(client)) {}

  const K8sDiscoveryOptions options_;
  absl::Mutex mu_;
  const std::unique_ptr<net::WebClient> client_ ABSL_PT_GUARDED_BY(mu_);
};

}  // namespace concord::discovery

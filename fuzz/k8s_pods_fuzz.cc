// Fuzzes the Kubernetes PodList parser (concord/discovery/k8s_discovery.h)
// with arbitrary API server responses. It must never crash; errors must be
// DataLoss with a "pod list: " message; every accepted peer has a numeric
// IP, the requested port and a name, and the list is sorted without
// duplicates and within the limits.
#include <arpa/inet.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "concord/discovery/k8s_discovery.h"

namespace {

void Fail(const char* what) {
  std::fprintf(stderr, "k8s_pods_fuzz: %s\n", what);
  std::abort();
}

bool IsIp(const std::string& text) {
  in_addr v4;
  in6_addr v6;
  return inet_pton(AF_INET, text.c_str(), &v4) == 1 || inet_pton(AF_INET6, text.c_str(), &v6) == 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view json(reinterpret_cast<const char*>(data), size);
  constexpr uint16_t kPort = 7777;
  absl::StatusOr<std::vector<concord::discovery::PeerAddress>> peers =
      concord::discovery::ParsePodList(json, kPort);
  if (!peers.ok()) {
    if (peers.status().code() != absl::StatusCode::kDataLoss) {
      Fail("unexpected status code");
    }
    if (!absl::StartsWith(peers.status().message(), "pod list: ")) {
      Fail("message without the pod list prefix");
    }
    return 0;
  }
  if (peers->size() > concord::discovery::kMaxPodListItems) {
    Fail("more peers than items allowed");
  }
  for (size_t i = 0; i < peers->size(); ++i) {
    const auto& peer = (*peers)[i];
    if (!IsIp(peer.host) || peer.port != kPort || peer.name.empty()) {
      Fail("accepted a peer without an IP, the port or a name");
    }
    if (i > 0 &&
        std::tie((*peers)[i - 1].host, (*peers)[i - 1].port) >= std::tie(peer.host, peer.port)) {
      Fail("peers not sorted and deduplicated");
    }
  }
  return 0;
}

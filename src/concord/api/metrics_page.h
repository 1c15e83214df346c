// concordd's /metrics page (docs/operations.md lists the names): the API's
// request counts and timings, the coordinator's state and freshness lease
// read at scrape time, and the server's and peer network's counters from the
// sources set once they exist. Owned by the Api. Thread-safe: recording and
// rendering run concurrently on the server's workers.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "concord/api/metrics.h"
#include "concord/common/clock.h"
#include "concord/coordinator/coordinator.h"
#include "concord/net/server.h"
#include "concord/peer/peer_network.h"

namespace concord::api {

class MetricsPage final {
 public:
  // `coordinator` and `clock` must outlive the page. `resident_memory_bytes`
  // may be empty (no process_resident_memory_bytes).
  MetricsPage(coordinator::Coordinator& coordinator, Clock& clock,
              std::function<std::optional<uint64_t>()> resident_memory_bytes);

  MetricsPage(const MetricsPage&) = delete;
  MetricsPage& operator=(const MetricsPage&) = delete;

  // One answered request (concord_requests_total).
  void CountRequest(absl::string_view listener, absl::string_view endpoint, int http_status);
  // Time to issue a mesh certificate (concord_mesh_cert_issue_seconds).
  void ObserveMeshCertIssue(absl::Duration elapsed);
  // Time from a POST /v1/manifest body to its committed transition
  // (concord_manifest_set_seconds).
  void ObserveManifestSet(absl::Duration elapsed);

  // Where the server's and the peer network's counters are read; each set
  // once, before the server starts.
  void SetServerStatsSource(std::function<net::ServerStats()> source);
  void SetPeerStatsSource(std::function<peer::PeerNetworkStats()> source);

  // The page (Prometheus text format 0.0.4); `draining` is concord_draining.
  std::string Render(bool draining);

 private:
  coordinator::Coordinator& coordinator_;
  Clock& clock_;
  const std::function<std::optional<uint64_t>()> resident_memory_bytes_;

  CounterFamily requests_;
  Histogram mesh_cert_issue_;
  Histogram manifest_set_;
  absl::Mutex stats_mu_;
  std::function<net::ServerStats()> server_stats_ ABSL_GUARDED_BY(stats_mu_);
  std::function<peer::PeerNetworkStats()> peer_stats_ ABSL_GUARDED_BY(stats_mu_);
};

}  // namespace concord::api

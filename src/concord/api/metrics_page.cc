#include "concord/api/metrics_page.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace concord::api {
namespace {

// Buckets for mesh certificate issuance, in seconds (a leaf costs ~1 ms;
// the tail covers a store read under load).
std::vector<double> IssueBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
}

}  // namespace

MetricsPage::MetricsPage(coordinator::Coordinator& coordinator, Clock& clock,
                         std::function<std::optional<uint64_t>()> resident_memory_bytes)
    : coordinator_(coordinator),
      clock_(clock),
      resident_memory_bytes_(std::move(resident_memory_bytes)),
      requests_("concord_requests_total", "API requests by listener, endpoint and HTTP status.",
                {"listener", "endpoint", "code"}),
      mesh_cert_issue_(IssueBuckets()),
      manifest_set_(IssueBuckets()) {}

void MetricsPage::CountRequest(absl::string_view listener, absl::string_view endpoint,
                               int http_status) {
  requests_.WithLabels({std::string(listener), std::string(endpoint), absl::StrCat(http_status)})
      .Increment();
}

void MetricsPage::ObserveMeshCertIssue(absl::Duration elapsed) {
  mesh_cert_issue_.Observe(elapsed);
}

void MetricsPage::ObserveManifestSet(absl::Duration elapsed) { manifest_set_.Observe(elapsed); }

void MetricsPage::SetServerStatsSource(std::function<net::ServerStats()> source) {
  absl::MutexLock lock(&stats_mu_);
  server_stats_ = std::move(source);
}

void MetricsPage::SetPeerStatsSource(std::function<peer::PeerNetworkStats()> source) {
  absl::MutexLock lock(&stats_mu_);
  peer_stats_ = std::move(source);
}

std::string MetricsPage::Render(bool draining) {
  std::string out;
  requests_.Render(&out);
  AppendHistogram(&out, "concord_mesh_cert_issue_seconds",
                  "Time to issue a mesh certificate (POST /v1/mesh/cert).", mesh_cert_issue_);
  AppendHistogram(&out, "concord_manifest_set_seconds",
                  "Time from a POST /v1/manifest body to its committed transition (successful "
                  "sets only).",
                  manifest_set_);

  const coordinator::StatusInfo info = coordinator_.Status();
  AppendMetricHeader(&out, "concord_state", "gauge", "1 for the replica's current state.");
  for (coordinator::State state :
       {coordinator::State::kUninitialized, coordinator::State::kRecovery,
        coordinator::State::kReady, coordinator::State::kStale}) {
    AppendSample(&out, "concord_state", {{"state", std::string(coordinator::StateName(state))}},
                 state == info.state ? 1 : 0);
  }
  AppendMetricHeader(&out, "concord_generation", "gauge",
                     "Generation of the head transition (0 without a history).");
  AppendSample(&out, "concord_generation", {}, static_cast<double>(info.generation));
  AppendMetricHeader(&out, "concord_alarms_total", "counter",
                     "Alarms raised since start (latest vanished, failed or moved back).");
  AppendSample(&out, "concord_alarms_total", {}, static_cast<double>(info.alarms_raised));
  AppendMetricHeader(&out, "concord_alarms_active", "gauge", "Alarms currently active.");
  AppendSample(&out, "concord_alarms_active", {}, static_cast<double>(info.alarms.size()));
  AppendMetricHeader(&out, "concord_draining", "gauge", "1 once shutdown has begun.");
  AppendSample(&out, "concord_draining", {}, draining ? 1 : 0);

  // Freshness lease (DESIGN §7).
  const absl::Time now = clock_.Now();
  AppendMetricHeader(&out, "concord_serving", "gauge",
                     "1 while ready with a valid freshness lease (what /readyz reports).");
  AppendSample(&out, "concord_serving", {}, info.serving ? 1 : 0);
  AppendMetricHeader(&out, "concord_lease_remaining_seconds", "gauge",
                     "Seconds until the freshness lease expires (0 when expired or never "
                     "confirmed).");
  AppendSample(&out, "concord_lease_remaining_seconds", {},
               info.lease_expires_at.has_value()
                   ? std::max(0.0, absl::ToDoubleSeconds(*info.lease_expires_at - now))
                   : 0.0);
  AppendMetricHeader(&out, "concord_lease_confirmed_by_peer", "gauge",
                     "1 when the last lease confirmation came from a peer's signed head, 0 "
                     "when from the store.");
  AppendSample(&out, "concord_lease_confirmed_by_peer", {},
               absl::StartsWith(info.lease_confirmed_by, "peer") ? 1 : 0);
  if (info.lease_store_confirmed_at.has_value()) {
    AppendMetricHeader(&out, "concord_lease_store_confirmation_age_seconds", "gauge",
                       "Seconds since the head was last confirmed by reading the store.");
    AppendSample(&out, "concord_lease_store_confirmation_age_seconds", {},
                 std::max(0.0, absl::ToDoubleSeconds(now - *info.lease_store_confirmed_at)));
  }

  std::function<net::ServerStats()> stats_source;
  std::function<peer::PeerNetworkStats()> peer_source;
  {
    absl::MutexLock lock(&stats_mu_);
    stats_source = server_stats_;
    peer_source = peer_stats_;
  }
  if (peer_source) {
    const peer::PeerNetworkStats peers = peer_source();
    const struct {
      absl::string_view name;
      absl::string_view help;
      uint64_t value;
    } kPeer[] = {
        {"concord_peer_recovery_attempts_total",
         "Peer recovery rounds (each asks the discovered peers in turn).", peers.recovery_rounds},
        {"concord_peer_recovery_grants_total",
         "Recovery grants received from an accepted peer (adopted only if the store's head "
         "matches).",
         peers.recovery_grants},
        {"concord_peer_head_rounds_total", "Head exchange rounds.", peers.head_rounds},
        {"concord_peer_heads_received_total", "Signed heads received from peers.",
         peers.heads_received},
        {"concord_peer_failures_total",
         "Peer calls that failed (unreachable, evidence or identity refused, error status).",
         peers.peer_failures},
    };
    for (const auto& metric : kPeer) {
      AppendMetricHeader(&out, metric.name, "counter", metric.help);
      AppendSample(&out, metric.name, {}, static_cast<double>(metric.value));
    }
  }
  if (stats_source) {
    const net::ServerStats stats = stats_source();
    const struct {
      absl::string_view name;
      absl::string_view type;
      absl::string_view help;
      uint64_t value;
    } kServer[] = {
        {"concord_server_connections_accepted_total", "counter", "Connections accepted.",
         stats.connections_accepted},
        {"concord_server_handshakes_failed_total", "counter",
         "TLS handshakes that failed (including rejected evidence).", stats.handshakes_failed},
        {"concord_server_verifications_refused_total", "counter",
         "Handshakes refused because too many verifications were pending.",
         stats.verifications_refused},
        {"concord_server_timeouts_total", "counter",
         "Connections closed by a handshake, header, body or idle timeout.", stats.timeouts},
        {"concord_server_requests_total", "counter", "HTTP requests read by the server.",
         stats.requests},
        {"concord_server_open_connections", "gauge", "Connections open now.",
         stats.open_connections},
    };
    for (const auto& metric : kServer) {
      AppendMetricHeader(&out, metric.name, metric.type, metric.help);
      AppendSample(&out, metric.name, {}, static_cast<double>(metric.value));
    }
    AppendServerAdmission(&out, stats);
  }
  if (resident_memory_bytes_) {
    if (std::optional<uint64_t> rss = resident_memory_bytes_(); rss.has_value()) {
      AppendMetricHeader(&out, "process_resident_memory_bytes", "gauge",
                         "Resident memory size in bytes.");
      AppendSample(&out, "process_resident_memory_bytes", {}, static_cast<double>(*rss));
    }
  }
  return out;
}

}  // namespace concord::api

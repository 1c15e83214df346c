// concord_load: drives a running concordd's mesh API with N concurrent
// simulated workloads. Each iteration opens a fresh attested TLS connection
// (evidence over the coordinator's nonce) and asks for a certificate
// (client::RequestMeshCertificate), so it measures the coordinator's hot
// path: handshake, evidence verification, issuance. Reports issuances/s,
// latency percentiles, and (with --server-pid) the coordinator's CPU per
// issuance and RSS from /proc.
//   concord_load --coordinator 127.0.0.1:7777 --manifest manifest.json
//     --policy web.json --sim-host simhost [--concurrency 4] [--requests 1000]
//     [--duration 30] [--server-pid PID] [--retries N] [--interval-ms MS]
//     [--stop-file F] [--report-json F]
// For availability tests (test/e2e/cluster): --retries gives every request up
// to N more tries (fresh connection, 50/100/200… ms apart, as a workload's
// client would); the report counts requests that failed on the first try
// and those that failed after every retry. --stop-file ends the run when the
// file appears; --report-json writes the figures for scripts.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "concord/attest/sim/simulated_attester.h"
#include "concord/attest/sim/simulated_host.h"
#include "concord/client/api_client.h"
#include "concord/client/coordinator_check.h"
#include "concord/common/clock.h"
#include "concord/crypto/hash.h"
#include "concord/manifest/manifest.h"
#include "flag_pairs.h"  // bench/

namespace {

struct Args {
  std::string coordinator;
  std::string manifest;
  std::string policy;
  std::string sim_host;
  int concurrency = 4;
  long requests = 1000;
  double duration = 30;
  long server_pid = 0;
  int retries = 0;
  int interval_ms = 0;
  std::string stop_file;
  std::string report_json;
};

[[noreturn]] void Die(const std::string& message) { concord::bench::Die("concord_load", message); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Die("cannot read " + path);
  }
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Args ParseArgs(int argc, char** argv) {
  Args a;
  concord::bench::ParseFlagPairs(
      "concord_load", argc, argv, [&](const std::string& flag, const std::string& v) {
        bool ok = true;
        if (flag == "--coordinator") {
          a.coordinator = v;
        } else if (flag == "--manifest") {
          a.manifest = v;
        } else if (flag == "--policy") {
          a.policy = v;
        } else if (flag == "--sim-host") {
          a.sim_host = v;
        } else if (flag == "--concurrency") {
          ok = absl::SimpleAtoi(v, &a.concurrency) && a.concurrency > 0 && a.concurrency <= 256;
        } else if (flag == "--requests") {
          ok = absl::SimpleAtoi(v, &a.requests) && a.requests > 0;
        } else if (flag == "--duration") {
          ok = absl::SimpleAtod(v, &a.duration) && a.duration > 0;
        } else if (flag == "--server-pid") {
          ok = absl::SimpleAtoi(v, &a.server_pid) && a.server_pid > 0;
        } else if (flag == "--retries") {
          ok = absl::SimpleAtoi(v, &a.retries) && a.retries >= 0 && a.retries <= 10;
        } else if (flag == "--interval-ms") {
          ok = absl::SimpleAtoi(v, &a.interval_ms) && a.interval_ms >= 0 && a.interval_ms <= 60000;
        } else if (flag == "--stop-file") {
          a.stop_file = v;
        } else if (flag == "--report-json") {
          a.report_json = v;
        } else {
          return concord::bench::FlagValue::kUnknownFlag;
        }
        return ok ? concord::bench::FlagValue::kOk : concord::bench::FlagValue::kBad;
      });
  if (a.coordinator.empty() || a.manifest.empty() || a.policy.empty() || a.sim_host.empty()) {
    Die("--coordinator, --manifest, --policy and --sim-host are required");
  }
  return a;
}

// utime + stime of `pid` in seconds, and its RSS in KiB.
struct ProcSample {
  double cpu_seconds = 0;
  long rss_kib = 0;
};
ProcSample SampleProc(long pid) {
  ProcSample s;
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  // Fields after the parenthesised command name; utime and stime are 14, 15.
  std::istringstream in(stat.substr(stat.rfind(')') + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) {
      utime = std::stoull(field);
    } else if (i == 15) {
      stime = std::stoull(field);
    }
  }
  s.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::istringstream status(ReadFile("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      s.rss_kib = std::atol(line.c_str() + 6);
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace concord;
  Args args = ParseArgs(argc, argv);
  // A closed connection is a failed request to count, not the end of the run.
  signal(SIGPIPE, SIG_IGN);
  absl::StatusOr<client::Endpoint> endpoint = client::ParseEndpoint(args.coordinator, 7777);
  if (!endpoint.ok()) {
    Die(endpoint.status().ToString());
  }
  std::string manifest_bytes = ReadFile(args.manifest);
  absl::StatusOr<manifest::Manifest> m = manifest::Manifest::Parse(AsBytes(manifest_bytes));
  if (!m.ok()) {
    Die(m.status().ToString());
  }
  std::vector<client::CoordinatorExpectation> expectations = client::ExpectationsFromManifest(*m);
  auto verifier = client::MakeCoordinatorVerifier(expectations);
  if (!verifier.ok()) {
    Die(verifier.status().ToString());
  }
  net::ServerEvidenceCheck check =
      client::MakeCoordinatorCheck(expectations, *verifier, SystemClock::Get());
  auto host = attest::SimulatedHost::Load(args.sim_host);
  if (!host.ok()) {
    Die(host.status().ToString());
  }
  attest::SimulatedAttester attester(std::shared_ptr<const attest::SimulatedHost>(std::move(*host)),
                                     crypto::Sha256(AsBytes(ReadFile(args.policy))));

  ProcSample before;
  if (args.server_pid > 0) {
    before = SampleProc(args.server_pid);
  }
  std::atomic<long> started{0};
  std::atomic<long> failures{0};  // failed after every retry
  std::atomic<long> first_try_failures{0};
  std::atomic<long> retried_ok{0};  // failed first, succeeded on a retry
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<double> latencies_ms;
  std::string first_error;
  std::string last_error;  // of a request that failed after every retry
  const auto t0 = std::chrono::steady_clock::now();
  const auto deadline = t0 + std::chrono::duration<double>(args.duration);
  std::vector<std::thread> threads;
  for (int t = 0; t < args.concurrency; ++t) {
    threads.emplace_back([&]() {
      // One key per simulated workload; every iteration is a new connection.
      absl::StatusOr<crypto::PrivateKey> key =
          crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256);
      if (!key.ok()) {
        failures++;
        return;
      }
      std::vector<double> local;
      while (!stop.load() && started.fetch_add(1) < args.requests &&
             std::chrono::steady_clock::now() < deadline) {
        if (!args.stop_file.empty() && access(args.stop_file.c_str(), F_OK) == 0) {
          stop = true;
          break;
        }
        const auto s = std::chrono::steady_clock::now();
        absl::StatusOr<client::MeshCertificate> cert =
            client::RequestMeshCertificate(*endpoint, *key, attester, check);
        for (int attempt = 1; !cert.ok() && attempt <= args.retries; ++attempt) {
          if (attempt == 1) {
            first_try_failures++;
          }
          {
            std::lock_guard<std::mutex> lock(mu);
            if (first_error.empty()) {
              first_error = cert.status().ToString();
            }
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(50 << (attempt - 1)));
          cert = client::RequestMeshCertificate(*endpoint, *key, attester, check);
          if (cert.ok()) {
            retried_ok++;
          }
        }
        const auto e = std::chrono::steady_clock::now();
        if (cert.ok()) {
          local.push_back(std::chrono::duration<double, std::milli>(e - s).count());
        } else {
          if (args.retries == 0) {
            first_try_failures++;
          }
          failures++;
          std::lock_guard<std::mutex> lock(mu);
          if (first_error.empty()) {
            first_error = cert.status().ToString();
          }
          last_error = cert.status().ToString();
        }
        if (args.interval_ms > 0) {
          std::this_thread::sleep_for(std::chrono::milliseconds(args.interval_ms));
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      latencies_ms.insert(latencies_ms.end(), local.begin(), local.end());
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    if (latencies_ms.empty()) {
      return 0.0;
    }
    size_t i = static_cast<size_t>(p * static_cast<double>(latencies_ms.size() - 1));
    return latencies_ms[i];
  };
  const size_t ok = latencies_ms.size();
  const long sent = static_cast<long>(ok) + failures.load();
  std::printf("concurrency %d: %zu issuances, %ld failures in %.2f s: %.1f issuances/s\n",
              args.concurrency, ok, failures.load(), elapsed, static_cast<double>(ok) / elapsed);
  std::printf(
      "requests %ld: failed on first try %ld, succeeded on a retry %ld, "
      "failed after %d retries %ld\n",
      sent, first_try_failures.load(), retried_ok.load(), args.retries, failures.load());
  std::printf("latency ms: p50 %.2f  p99 %.2f  max %.2f\n", pct(0.5), pct(0.99), pct(1.0));
  if (args.server_pid > 0) {
    ProcSample after = SampleProc(args.server_pid);
    double cpu = after.cpu_seconds - before.cpu_seconds;
    std::printf("concordd CPU: %.2f s total, %.2f ms per issuance; RSS %ld KiB -> %ld KiB\n", cpu,
                ok > 0 ? 1000.0 * cpu / static_cast<double>(ok) : 0.0, before.rss_kib,
                after.rss_kib);
  }
  if (!first_error.empty()) {
    std::fprintf(stderr, "first error: %s\n", first_error.c_str());
  }
  if (!last_error.empty()) {
    std::fprintf(stderr, "last error after retries: %s\n", last_error.c_str());
  }
  if (!args.report_json.empty()) {
    std::ofstream out(args.report_json, std::ios::trunc);
    out << "{\"requests\": " << sent << ", \"first_try_failures\": " << first_try_failures.load()
        << ", \"retried_ok\": " << retried_ok.load()
        << ", \"failed_after_retries\": " << failures.load() << ", \"retries\": " << args.retries
        << ", \"seconds\": " << elapsed << ", \"p50_ms\": " << pct(0.5)
        << ", \"p99_ms\": " << pct(0.99) << "}\n";
    if (!out) {
      Die("cannot write " + args.report_json);
    }
  }
  return failures.load() == 0 ? 0 : 1;
}

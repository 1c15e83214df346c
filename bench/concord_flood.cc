// concord_flood: what one unauthenticated source can do to a running
// concordd (bench/flood.sh; figures in docs/performance.md). From
// --flood-source it floods the coordinator in one of three ways, while a
// prober on --probe-source asks GET /healthz every 100 ms and concordd's
// VmHWM and VmRSS are read from /proc/PID/status:
//   idle    --connections idle TCP connections to the plain HTTP port
//   bodies  --connections aTLS connections to the user port, each a
//           POST /v1/attest declaring --body-bytes and sending all but the
//           last byte (an unfinished body)
//   depth   --rounds times --connections aTLS connections at once, each a
//           whole POST /v1/attest whose body is --depth '[' characters
// The flood is held for --hold seconds, then closed; probing goes on for 2 s.
// Loopback only (every address in 127.0.0.0/8) and bounded (at most 10,000
// connections, 60 s of hold, 10 rounds).
//   concord_flood --target 127.0.0.52 --flood-source 127.0.0.53
//     --probe-source 127.0.0.54 --pid PID --mode idle|bodies|depth
//     [--connections N] [--hold S] [--body-bytes N] [--depth N] [--rounds N]
//     [--http-port 9102] [--user-port 1313]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "concord/crypto/ssl_ptr.h"
#include "flag_pairs.h"  // bench/

namespace {

using Clock = std::chrono::steady_clock;
using concord::crypto::SslPtr;

struct Args {
  std::string target;
  std::string flood_source;
  std::string probe_source;
  long pid = 0;
  std::string mode;
  int connections = 0;  // 0: the mode's default
  double hold = 8;
  long body_bytes = 2 * 1024 * 1024;
  int depth = 40000;
  int rounds = 1;
  int http_port = 9102;
  int user_port = 1313;
};

[[noreturn]] void Die(const std::string& message) { concord::bench::Die("concord_flood", message); }

bool IsLoopback(const std::string& address) {
  in_addr addr{};
  return inet_pton(AF_INET, address.c_str(), &addr) == 1 && (ntohl(addr.s_addr) >> 24) == 127;
}

Args ParseArgs(int argc, char** argv) {
  Args a;
  concord::bench::ParseFlagPairs(
      "concord_flood", argc, argv, [&](const std::string& flag, const std::string& v) {
        bool ok = true;
        if (flag == "--target") {
          a.target = v;
        } else if (flag == "--flood-source") {
          a.flood_source = v;
        } else if (flag == "--probe-source") {
          a.probe_source = v;
        } else if (flag == "--pid") {
          ok = absl::SimpleAtoi(v, &a.pid) && a.pid > 0;
        } else if (flag == "--mode") {
          a.mode = v;
          ok = v == "idle" || v == "bodies" || v == "depth";
        } else if (flag == "--connections") {
          ok = absl::SimpleAtoi(v, &a.connections) && a.connections > 0 && a.connections <= 10000;
        } else if (flag == "--hold") {
          ok = absl::SimpleAtod(v, &a.hold) && a.hold >= 0 && a.hold <= 60;
        } else if (flag == "--body-bytes") {
          ok = absl::SimpleAtoi(v, &a.body_bytes) && a.body_bytes > 1 && a.body_bytes <= (64 << 20);
        } else if (flag == "--depth") {
          ok = absl::SimpleAtoi(v, &a.depth) && a.depth > 0 && a.depth <= 1000000;
        } else if (flag == "--rounds") {
          ok = absl::SimpleAtoi(v, &a.rounds) && a.rounds > 0 && a.rounds <= 10;
        } else if (flag == "--http-port") {
          ok = absl::SimpleAtoi(v, &a.http_port) && a.http_port > 0 && a.http_port < 65536;
        } else if (flag == "--user-port") {
          ok = absl::SimpleAtoi(v, &a.user_port) && a.user_port > 0 && a.user_port < 65536;
        } else {
          return concord::bench::FlagValue::kUnknownFlag;
        }
        return ok ? concord::bench::FlagValue::kOk : concord::bench::FlagValue::kBad;
      });
  if (a.mode.empty() || a.pid == 0) {
    Die("--mode and --pid are required");
  }
  for (const std::string* address : {&a.target, &a.flood_source, &a.probe_source}) {
    if (!IsLoopback(*address)) {
      Die("--target, --flood-source and --probe-source must be IPv4 loopback addresses");
    }
  }
  if (a.connections == 0) {
    a.connections = a.mode == "idle" ? 4096 : 150;
  }
  return a;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// VmHWM and VmRSS of `pid` in KiB (0 when gone).
struct Memory {
  long hwm_kib = 0;
  long rss_kib = 0;
};
Memory ReadMemory(long pid) {
  Memory m;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      m.hwm_kib = std::atol(line.c_str() + 6);
    } else if (line.rfind("VmRSS:", 0) == 0) {
      m.rss_kib = std::atol(line.c_str() + 6);
    }
  }
  return m;
}

double MiB(long kib) { return static_cast<double>(kib) / 1024.0; }

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// A blocking TCP connection from `source` to `target:port` with 10 s I/O
// timeouts, or an invalid Fd when it cannot be made within 2 s.
Fd ConnectFrom(const std::string& source, const std::string& target, int port) {
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) {
    return Fd();
  }
  sockaddr_in local{};
  local.sin_family = AF_INET;
  inet_pton(AF_INET, source.c_str(), &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, target.c_str(), &remote.sin_addr);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
    return Fd();
  }
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&remote), sizeof(remote)) != 0) {
    if (errno != EINPROGRESS) {
      return Fd();
    }
    pollfd p{fd.get(), POLLOUT, 0};
    int error = 0;
    socklen_t len = sizeof(error);
    if (poll(&p, 1, 2000) != 1 || getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &len) != 0 ||
        error != 0) {
      return Fd();
    }
  }
  fcntl(fd.get(), F_SETFL, fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  timeval timeout{10, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  return fd;
}

// True when the server has closed or reset `fd` (or sent something).
bool ClosedByServer(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, 0) != 1) {
    return false;
  }
  char c;
  return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

// ---- The prober: GET /healthz every 100 ms from its own address.

struct Probe {
  double at = 0;  // seconds since start
  bool ok = false;
  double latency_ms = 0;
};

Probe ProbeHealth(const Args& args, Clock::time_point start) {
  Probe probe;
  const Clock::time_point begin = Clock::now();
  probe.at = Seconds(begin - start);
  Fd fd = ConnectFrom(args.probe_source, args.target, args.http_port);
  if (fd.get() < 0) {
    return probe;
  }
  timeval timeout{2, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  if (send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return probe;
  }
  std::string response;
  char buf[1024];
  ssize_t n = 0;
  while ((n = recv(fd.get(), buf, sizeof(buf), 0)) > 0 && response.size() < 4096) {
    response.append(buf, static_cast<size_t>(n));
  }
  probe.ok = absl::StartsWith(response, "HTTP/1.1 200");
  probe.latency_ms = Seconds(Clock::now() - begin) * 1000;
  return probe;
}

// ---- aTLS clients (the server's evidence is not what is measured here).

struct Tls {
  Fd fd;
  SslPtr<SSL> ssl;
};

Tls ConnectTls(SSL_CTX* ctx, const Args& args) {
  Tls tls;
  tls.fd = ConnectFrom(args.flood_source, args.target, args.user_port);
  if (tls.fd.get() < 0) {
    return tls;
  }
  tls.ssl.reset(SSL_new(ctx));
  if (tls.ssl == nullptr || SSL_set_fd(tls.ssl.get(), tls.fd.get()) != 1 ||
      SSL_connect(tls.ssl.get()) != 1) {
    ERR_clear_error();
    tls.ssl.reset();
  }
  return tls;
}

bool WriteAll(SSL* ssl, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    size_t n = 0;
    if (SSL_write_ex(ssl, data.data() + done, data.size() - done, &n) != 1) {
      ERR_clear_error();
      return false;
    }
    done += n;
  }
  return true;
}

// The status code of the response on `ssl` ("none" before `wait_ms`, or
// "closed").
std::string ReadStatus(Tls& tls, int wait_ms) {
  pollfd p{tls.fd.get(), POLLIN, 0};
  if (SSL_pending(tls.ssl.get()) == 0 && poll(&p, 1, wait_ms) != 1) {
    return "none";
  }
  char buf[256];
  size_t n = 0;
  if (SSL_read_ex(tls.ssl.get(), buf, sizeof(buf), &n) != 1) {
    ERR_clear_error();
    return "closed";
  }
  std::string head(buf, n);
  return head.size() >= 12 && absl::StartsWith(head, "HTTP/1.1 ") ? head.substr(9, 3) : "?";
}

std::string Summarize(const std::map<std::string, int>& counts) {
  std::string out;
  for (const auto& [what, n] : counts) {
    absl::StrAppend(&out, out.empty() ? "" : ", ", what, " ", n);
  }
  return out;
}

// ---- The floods. Each returns a one-line account of what the server did.

std::string FloodIdle(const Args& args) {
  std::vector<Fd> held;
  int failed = 0;
  for (int i = 0; i < args.connections; ++i) {
    Fd fd = ConnectFrom(args.flood_source, args.target, args.http_port);
    if (fd.get() < 0) {
      ++failed;
    } else {
      held.push_back(std::move(fd));
    }
  }
  // The measurement window, not a wait for a condition.
  std::this_thread::sleep_for(std::chrono::duration<double>(args.hold));
  int closed = 0;
  for (const Fd& fd : held) {
    closed += ClosedByServer(fd.get()) ? 1 : 0;
  }
  return absl::StrCat(args.connections, " idle connections to :", args.http_port, ": ",
                      held.size() - closed, " open after ", args.hold, " s, ", closed,
                      " closed by the server, ", failed, " not connected");
}

std::string FloodBodies(const Args& args, SSL_CTX* ctx) {
  std::vector<Tls> held;
  std::map<std::string, int> outcome;
  const std::string head = absl::StrCat(
      "POST /v1/attest HTTP/1.1\r\nHost: coordinator\r\nContent-Type: "
      "application/json\r\nContent-Length: ",
      args.body_bytes, "\r\n\r\n");
  const std::string body(static_cast<size_t>(args.body_bytes - 1), ' ');
  for (int i = 0; i < args.connections; ++i) {
    Tls tls = ConnectTls(ctx, args);
    if (tls.ssl == nullptr) {
      ++outcome["not connected"];
      continue;
    }
    if (!WriteAll(tls.ssl.get(), head) || !WriteAll(tls.ssl.get(), body)) {
      ++outcome["closed while sending"];
      continue;
    }
    held.push_back(std::move(tls));
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(args.hold));
  for (Tls& tls : held) {
    const std::string status = ReadStatus(tls, 0);
    ++outcome[status == "none"     ? "held (no answer)"
              : status == "closed" ? "closed by the server"
                                   : "answered HTTP " + status];
  }
  return absl::StrCat(args.connections, " unfinished ", args.body_bytes,
                      "-byte bodies: ", Summarize(outcome));
}

std::string FloodDepth(const Args& args, SSL_CTX* ctx) {
  std::map<std::string, int> outcome;
  const std::string body(static_cast<size_t>(args.depth), '[');
  const std::string request = absl::StrCat(
      "POST /v1/attest HTTP/1.1\r\nHost: coordinator\r\nContent-Type: "
      "application/json\r\nConnection: close\r\nContent-Length: ",
      body.size(), "\r\n\r\n", body);
  for (int round = 0; round < args.rounds; ++round) {
    std::vector<Tls> sent;
    for (int i = 0; i < args.connections; ++i) {
      Tls tls = ConnectTls(ctx, args);
      if (tls.ssl == nullptr || !WriteAll(tls.ssl.get(), request)) {
        ++outcome["not sent"];
        continue;
      }
      sent.push_back(std::move(tls));
    }
    for (Tls& tls : sent) {
      ++outcome[absl::StrCat("HTTP ", ReadStatus(tls, 30000))];
    }
  }
  return absl::StrCat(args.rounds, " x ", args.connections, " POST /v1/attest of ", args.depth,
                      " '[': ", Summarize(outcome));
}

// The server's admission counters, read from /metrics on the probe address.
std::string AdmissionMetrics(const Args& args) {
  Fd fd = ConnectFrom(args.probe_source, args.target, args.http_port);
  const std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  if (fd.get() < 0 || send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) <= 0) {
    return "(no /metrics)";
  }
  std::string text;
  char buf[16384];
  ssize_t n = 0;
  while ((n = recv(fd.get(), buf, sizeof(buf), 0)) > 0 && text.size() < (4 << 20)) {
    text.append(buf, static_cast<size_t>(n));
  }
  std::istringstream lines(text);
  std::string line;
  std::string out;
  while (std::getline(lines, line)) {
    if (absl::StartsWith(line, "concord_server_refused_total") ||
        absl::StartsWith(line, "concord_server_handshakes_failed_total")) {
      absl::StrAppend(&out, "  ", line, "\n");
    }
  }
  return out.empty() ? "  (no admission counters: a build before them)\n" : out;
}

}  // namespace

int main(int argc, char** argv) {
  Args args = ParseArgs(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  SslPtr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr || SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION) != 1) {
    Die("SSL_CTX");
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);

  const Clock::time_point start = Clock::now();
  const Memory before = ReadMemory(args.pid);
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<Probe> probes;
  long peak_rss_kib = before.rss_kib;
  std::thread prober([&] {
    while (!stop.load()) {
      const Clock::time_point next = Clock::now() + std::chrono::milliseconds(100);
      Probe probe = ProbeHealth(args, start);
      Memory m = ReadMemory(args.pid);
      {
        std::lock_guard<std::mutex> lock(mu);
        probes.push_back(probe);
        peak_rss_kib = std::max(peak_rss_kib, m.rss_kib);
      }
      std::this_thread::sleep_until(next);
    }
  });

  // One second of probes before the flood, 2 s after it is closed.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const double flood_start = Seconds(Clock::now() - start);
  std::string flood = args.mode == "idle"     ? FloodIdle(args)
                      : args.mode == "bodies" ? FloodBodies(args, ctx.get())
                                              : FloodDepth(args, ctx.get());
  const double flood_end = Seconds(Clock::now() - start);
  const Memory during = ReadMemory(args.pid);
  const std::string metrics = AdmissionMetrics(args);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  stop.store(true);
  prober.join();
  const Memory after = ReadMemory(args.pid);

  // Probes sent while the flood was on, and the longest stretch of failures.
  int in_flood = 0;
  int answered = 0;
  double longest_gap = 0;
  double gap_start = -1;
  double first_failure = -1;
  double max_latency = 0;
  for (const Probe& p : probes) {
    if (p.at >= flood_start && p.at <= flood_end) {
      ++in_flood;
      answered += p.ok ? 1 : 0;
      if (!p.ok && first_failure < 0) {
        first_failure = p.at - flood_start;
      }
    }
    if (p.ok) {
      max_latency = std::max(max_latency, p.latency_ms);
      if (gap_start >= 0) {
        longest_gap = std::max(longest_gap, p.at - gap_start);
        gap_start = -1;
      }
    } else if (gap_start < 0) {
      gap_start = p.at;
    }
  }
  if (gap_start >= 0) {
    longest_gap = std::max(longest_gap, Seconds(Clock::now() - start) - gap_start);
  }
  std::printf("flood (%s, from %s, %.1f s): %s\n", args.mode.c_str(), args.flood_source.c_str(),
              flood_end - flood_start, flood.c_str());
  std::printf("/healthz from %s during the flood: %d of %d answered", args.probe_source.c_str(),
              answered, in_flood);
  if (first_failure >= 0) {
    std::printf(" (first failure %.1f s into it)", first_failure);
  }
  std::printf("; longest stretch without an answer %.1f s; slowest answer %.1f ms\n", longest_gap,
              max_latency);
  std::printf(
      "concordd%s: VmHWM %.1f -> %.1f MiB (peak over the run), VmRSS %.1f MiB before, "
      "%.1f MiB at the end of the flood, %.1f MiB peak sampled, %.1f MiB after\n",
      after.hwm_kib == 0 ? " (gone: it exited during the run)" : "", MiB(before.hwm_kib),
      MiB(std::max(during.hwm_kib, after.hwm_kib)), MiB(before.rss_kib), MiB(during.rss_kib),
      MiB(peak_rss_kib), MiB(after.rss_kib));
  std::printf("server counters after the flood:\n%s", metrics.c_str());
  return 0;
}

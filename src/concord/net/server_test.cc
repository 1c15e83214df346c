// End-to-end tests of Server and HttpsClient over loopback with simulated
// evidence: aTLS both ways, nonces, refusals, limits and timeouts.
#include "concord/net/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "concord/atls/atls_protocol.h"
#include "concord/attest/sim/simulated_attester.h"
#include "concord/attest/sim/simulated_host.h"
#include "concord/attest/snp/verifier.h"
#include "concord/common/status_macros.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/ssl_ptr.h"
#include "concord/net/client.h"
#include "concord/net/internal/proxy_protocol.h"
#include "concord/testing/fake_clock.h"
#include "concord/testing/fake_random.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace concord::net {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kStart = absl::FromUnixSeconds(1790000000);

std::array<uint8_t, 32> HostData(absl::string_view policy) {
  return crypto::Sha256(AsBytes(policy));
}

// Wraps an attester and changes what it returns.
class TamperingAttester final : public attest::Attester {
 public:
  using Tamper = std::function<absl::StatusOr<attest::Evidence>(
      const std::array<uint8_t, 64>& report_data, attest::Evidence evidence)>;
  TamperingAttester(const attest::Attester& inner, Tamper tamper)
      : inner_(inner), tamper_(std::move(tamper)) {}
  attest::Platform platform() const override { return inner_.platform(); }
  absl::StatusOr<attest::Evidence> Attest(
      const std::array<uint8_t, 64>& report_data) const override {
    CONCORD_ASSIGN_OR_RETURN(attest::Evidence evidence, inner_.Attest(report_data));
    return tamper_(report_data, std::move(evidence));
  }

 private:
  const attest::Attester& inner_;
  Tamper tamper_;
};

class NetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ::concord::testing::FakeClock clock(kStart);
    ::concord::testing::FakeRandom random(11);
    std::string dir = ::concord::testing::MakeTempDir("net-sim-host");
    ASSERT_THAT(attest::SimulatedHost::Init(dir, {clock, random}), IsOk());
    auto host = attest::SimulatedHost::Load(dir);
    ASSERT_THAT(host, IsOk());
    host_ = std::shared_ptr<const attest::SimulatedHost>(std::move(*host));
    auto verifier = attest::SnpVerifier::Create({.allow_simulated = true, .cache_capacity = 16});
    ASSERT_THAT(verifier, IsOk());
    verifier_ = std::move(*verifier).release();
  }

  NetTest()
      : clock_(kStart),
        server_attester_(host_, HostData("server policy")),
        client_attester_(host_, HostData("client policy")) {}

  ~NetTest() override {
    if (server_ != nullptr) {
      server_->Shutdown(absl::ZeroDuration());
    }
  }

  // Verifies simulated evidence from our host against `expected`.
  static absl::StatusOr<attest::Claims> Check(const attest::Evidence& evidence,
                                              const std::array<uint8_t, 64>& expected) {
    attest::VerifyOptions options;
    options.at = kStart + absl::Hours(1);
    options.report_data = expected;
    options.reference_values.simulated = {host_->info().reference_values()};
    return verifier_->Verify(evidence, options);
  }

  HttpResponse Echo(const HttpRequest& request) {
    handler_calls_.fetch_add(1);
    {
      absl::MutexLock lock(&mu_);
      last_request_ = request;
    }
    HttpResponse response;
    response.body = absl::StrCat(request.method, " ", request.target, " ", request.body.size());
    response.headers.push_back({"X-Test", "yes"});
    return response;
  }

  ListenerOptions Listener(bool tls, ClientAuth auth) {
    ListenerOptions listener;
    listener.name = "test";
    listener.tls = tls;
    listener.client_auth = auth;
    if (auth == ClientAuth::kAttested) {
      listener.check_client = &NetTest::Check;
    }
    listener.handler = [this](const HttpRequest& request) { return Echo(request); };
    return listener;
  }

  ServerOptions BaseOptions(ListenerOptions listener) {
    ServerOptions options;
    options.listeners.push_back(std::move(listener));
    options.attester = &server_attester_;
    options.clock = &clock_;
    options.random = &server_random_;
    return options;
  }

  void StartServer(ServerOptions options) {
    auto server = Server::Create(std::move(options));
    ASSERT_THAT(server, IsOk());
    server_ = std::move(*server);
    ASSERT_THAT(server_->Start(), IsOk());
  }

  ClientOptions BaseClient(bool tls = true) {
    ClientOptions options;
    options.host = "127.0.0.1";
    options.port = server_->port(0);
    options.tls = tls;
    if (tls) {
      options.check_server = &NetTest::Check;
    }
    options.clock = &clock_;
    options.random = &client_random_;
    options.io_timeout = absl::Seconds(20);
    return options;
  }

  std::unique_ptr<HttpsClient> MakeClient(ClientOptions options) {
    auto client = HttpsClient::Create(std::move(options));
    EXPECT_THAT(client, IsOk());
    return client.ok() ? std::move(*client) : nullptr;
  }

  ClientOptions AttestedClient(const attest::Attester* attester) {
    ClientOptions options = BaseClient();
    options.client_key = crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256).value();
    options.attester = attester;
    return options;
  }

  // Polls `condition` until it holds or 20 s pass (server counters are
  // updated on the server's threads, just after the client sees the result).
  static bool WaitFor(const std::function<bool()>& condition) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!condition()) {
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      std::this_thread::yield();
    }
    return true;
  }

  // Waits for the server's open-connection count to reach `n` (accepts and
  // closes complete on its threads).
  bool OpenConnectionsReach(uint64_t n) {
    return WaitFor([&] { return server_->stats().open_connections == n; });
  }

  // The n-th nonce (0-based) FakeRandom(seed) produces.
  static atls::Nonce NthNonce(uint64_t seed, int n) {
    ::concord::testing::FakeRandom random(seed);
    atls::Nonce nonce{};
    for (int i = 0; i <= n; ++i) {
      EXPECT_THAT(random.Fill(nonce), IsOk());
    }
    return nonce;
  }

  static inline std::shared_ptr<const attest::SimulatedHost> host_;
  static inline attest::SnpVerifier* verifier_ = nullptr;

  ::concord::testing::FakeClock clock_;
  ::concord::testing::FakeRandom server_random_{21};
  ::concord::testing::FakeRandom client_random_{22};
  attest::SimulatedAttester server_attester_;
  attest::SimulatedAttester client_attester_;
  std::unique_ptr<Server> server_;
  std::atomic<int> handler_calls_{0};
  absl::Mutex mu_;
  HttpRequest last_request_;
};

TEST_F(NetTest, PlainHttpListenerServesRequestsWithKeepAlive) {
  StartServer(BaseOptions(Listener(/*tls=*/false, ClientAuth::kNone)));
  auto client = MakeClient(BaseClient(/*tls=*/false));
  ASSERT_NE(client, nullptr);
  CONCORD_ASSERT_OK_AND_ASSIGN(HttpResponse first, client->Call("GET", "/healthz"));
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "GET /healthz 0");
  EXPECT_EQ(first.content_type, "application/json");
  EXPECT_EQ(first.Header("x-test"), "yes");
  CONCORD_ASSERT_OK_AND_ASSIGN(HttpResponse second, client->Call("POST", "/v1/x", "{\"a\":1}"));
  EXPECT_EQ(second.body, "POST /v1/x 7");
  EXPECT_EQ(server_->stats().connections_accepted, 1u);
  EXPECT_EQ(server_->stats().requests, 2u);
  absl::MutexLock lock(&mu_);
  EXPECT_EQ(last_request_.content_type, "application/json");
  EXPECT_EQ(last_request_.body, "{\"a\":1}");
  EXPECT_THAT(last_request_.remote_address, HasSubstr("127.0.0.1:"));
  EXPECT_FALSE(last_request_.peer.has_value());
}

TEST_F(NetTest, TlsServerPresentsKeyBoundEvidence) {
  StartServer(BaseOptions(Listener(/*tls=*/true, ClientAuth::kNone)));
  auto client = MakeClient(BaseClient());
  CONCORD_ASSERT_OK_AND_ASSIGN(HttpResponse response, client->Call("GET", "/v1/status"));
  EXPECT_EQ(response.status, 200);
  ASSERT_TRUE(client->server_claims().has_value());
  ASSERT_TRUE(client->server_certificate().has_value());
  const atls::PeerCertificate& cert = *client->server_certificate();
  EXPECT_EQ(client->server_claims()->report_data,
            atls::TlsReportData(atls::Purpose::kCoordinatorTls, cert.spki_der, {}));
  auto host_data = HostData("server policy");
  EXPECT_EQ(client->server_claims()->host_data, Bytes(host_data.begin(), host_data.end()));
  // A second client sees the same key-bound certificate.
  auto other = MakeClient(BaseClient());
  ASSERT_THAT(other->Call("GET", "/"), IsOk());
  EXPECT_EQ(other->server_certificate()->spki_der, cert.spki_der);
}

TEST_F(NetTest, FreshEvidenceBindsEachClientNonce) {
  StartServer(BaseOptions(Listener(/*tls=*/true, ClientAuth::kNone)));
  ClientOptions options = BaseClient();
  options.fresh_evidence = true;
  auto client = MakeClient(std::move(options));
  ASSERT_THAT(client->Call("GET", "/"), IsOk());
  auto first = client->server_claims()->report_data;
  Bytes spki = client->server_certificate()->spki_der;
  EXPECT_EQ(first, atls::TlsReportData(atls::Purpose::kCoordinatorTls, spki, NthNonce(22, 0)));
  client->Close();
  ASSERT_THAT(client->Call("GET", "/"), IsOk());
  auto second = client->server_claims()->report_data;
  EXPECT_EQ(second, atls::TlsReportData(atls::Purpose::kCoordinatorTls, spki, NthNonce(22, 1)));
  EXPECT_NE(first, second);
}

TEST_F(NetTest, FreshEvidenceCheckFailsForAnotherNonce) {
  StartServer(BaseOptions(Listener(/*tls=*/true, ClientAuth::kNone)));
  ClientOptions options = BaseClient();
  options.fresh_evidence = true;
  // A check that insists on key-bound evidence must refuse the per-handshake
  // one: the report data covers the nonce.
  options.check_server = [](const attest::Evidence& evidence,
                            const std::array<uint8_t, 64>&) -> absl::StatusOr<attest::Claims> {
    auto peer_less = Check(evidence, {});
    return peer_less;
  };
  auto client = MakeClient(std::move(options));
  EXPECT_THAT(client->Call("GET", "/"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("server evidence: ")));
  EXPECT_EQ(handler_calls_.load(), 0);
}

TEST_F(NetTest, AttestedClientIsAcceptedAndClaimsReachHandler) {
  StartServer(BaseOptions(Listener(/*tls=*/true, ClientAuth::kAttested)));
  ClientOptions options = AttestedClient(&client_attester_);
  Bytes client_spki = options.client_key->public_key().spki_der();
  auto client = MakeClient(std::move(options));
  CONCORD_ASSERT_OK_AND_ASSIGN(HttpResponse response, client->Call("POST", "/v1/mesh/cert", "{}"));
  EXPECT_EQ(response.status, 200);
  absl::MutexLock lock(&mu_);
  ASSERT_TRUE(last_request_.peer.has_value());
  EXPECT_EQ(last_request_.peer->spki_der, client_spki);
  ASSERT_TRUE(last_request_.peer_claims.has_value());
  auto host_data = HostData("client policy");
  EXPECT_EQ(last_request_.peer_claims->host_data, Bytes(host_data.begin(), host_data.end()));
  EXPECT_EQ(last_request_.peer_claims->report_data,
            atls::TlsReportData(atls::Purpose::kClientTls, client_spki, NthNonce(21, 0)));
}

TEST_F(NetTest, TamperedClientEvidenceFailsHandshake) {
  StartServer(BaseOptions(Listener(/*tls=*/true, ClientAuth::kAttested)));
  TamperingAttester tampering(client_attester_, [](const auto&, attest::Evidence evidence) {
    evidence.report[0x50] ^= 0x01;  // one bit inside the signed report body
    return absl::StatusOr<attest::Evidence>(std::move(evidence));
  });
  auto client = MakeClient(AttestedClient(&tampering));
  EXPECT_THAT(client->Call("GET", "/"), StatusIs(absl::StatusCode::kUnauthenticated,
                                                 HasSubstr("server refused our certificate")));
  EXPECT_EQ(handler_calls_.load(), 0);
  EXPECT_TRUE(WaitFor([&] { return server_->stats().handshakes_failed == 1; }));
  EXPECT_EQ(server_->stats().requests, 0u);
}

TEST_F(NetTest, RefusalsAreLoggedToTheInjectedLogger) {
  absl::Mutex log_mu;
  std::string lines;
  Logger logger(LogFormat::kHuman, LogLevel::kDebug, [&](absl::string_view line) {
    absl::MutexLock lock(&log_mu);
    lines.append(line.data(), line.size());
  });
  ServerOptions options = BaseOptions(Listener(/*tls=*/true, ClientAuth::kAttested));
  options.logger = &logger;
  StartServer(std::move(options));
  TamperingAttester tampering(client_attester_, [](const auto&, attest::Evidence evidence) {
    evidence.report[0x50] ^= 0x01;
    return absl::StatusOr<attest::Evidence>(std::move(evidence));
  });
  auto client = MakeClient(AttestedClient(&tampering));
  EXPECT_THAT(client->Call("GET", "/"), Not(IsOk()));
  EXPECT_TRUE(WaitFor([&] {
    absl::MutexLock lock(&log_mu);
    return absl::StrContains(lines, "client certificate refused");
  }));
  server_.reset();  // before the logger it writes to goes
}

TEST_F(NetTest, ClientWithoutCertificateIsRefusedOnAttestedListener) {
  StartServer(BaseOptions(Listener(/*tls=*/true, ClientAuth::kAttested)));
  auto client = MakeClient(BaseClient());
  EXPECT_THAT(client->Call("GET", "/"), StatusIs(absl::StatusCode::kUnauthenticated,
                                                 HasSubstr("server refused our certificate")));
  EXPECT_EQ(handler_calls_.load(), 0);
}

TEST_F(NetTest, PermissionDeniedCheckMapsToPermissionDenied) {
  ListenerOptions listener = Listener(/*tls=*/true, ClientAuth::kAttested);
  listener.check_client = [](const attest::Evidence&,
                             const std::array<uint8_t, 64>&) -> absl::StatusOr<attest::Claims> {
    return absl::PermissionDeniedError("not in manifest");
  };
  StartServer(BaseOptions(std::move(listener)));
  auto client = MakeClient(AttestedClient(&client_attester_));
  EXPECT_THAT(client->Call("GET", "/"), StatusIs(absl::StatusCode::kPermissionDenied,
                                                 HasSubstr("server refused our certificate")));
  EXPECT_EQ(handler_calls_.load(), 0);
}

TEST_F(NetTest, EvidenceForAnotherKeyIsRefused) {
  StartServer(BaseOptions(Listener(/*tls=*/true, ClientAuth::kAttested)));
  // Genuine evidence over this connection's nonce, but for a different key
  // (as if copied from another client's certificate).
  crypto::PrivateKey other = crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256).value();
  Bytes other_spki = other.public_key().spki_der();
  atls::Nonce nonce = NthNonce(21, 0);
  TamperingAttester copying(client_attester_, [&](const auto&, attest::Evidence) {
    return host_->MakeReport(atls::TlsReportData(atls::Purpose::kClientTls, other_spki, nonce),
                             HostData("client policy"));
  });
  auto client = MakeClient(AttestedClient(&copying));
  EXPECT_THAT(client->Call("GET", "/"), StatusIs(absl::StatusCode::kPermissionDenied,
                                                 HasSubstr("server refused our certificate")));
  EXPECT_EQ(handler_calls_.load(), 0);
}

TEST_F(NetTest, EvidenceOverAnOldNonceIsRefused) {
  StartServer(BaseOptions(Listener(/*tls=*/true, ClientAuth::kAttested)));
  std::optional<attest::Evidence> recorded;
  TamperingAttester recording(client_attester_, [&](const auto&, attest::Evidence evidence) {
    recorded = evidence;
    return absl::StatusOr<attest::Evidence>(std::move(evidence));
  });
  ClientOptions options = AttestedClient(&recording);
  crypto::PrivateKey key =
      crypto::PrivateKey::FromPem(options.client_key->ToPkcs8Pem().value()).value();
  auto client = MakeClient(std::move(options));
  ASSERT_THAT(client->Call("GET", "/"), IsOk());
  ASSERT_TRUE(recorded.has_value());
  EXPECT_EQ(handler_calls_.load(), 1);

  // Same key, replaying the evidence of the first handshake.
  TamperingAttester replaying(client_attester_, [&](const auto&, attest::Evidence) {
    return absl::StatusOr<attest::Evidence>(*recorded);
  });
  ClientOptions replay = BaseClient();
  replay.client_key = std::move(key);
  replay.attester = &replaying;
  auto replayer = MakeClient(std::move(replay));
  EXPECT_THAT(replayer->Call("GET", "/"), StatusIs(absl::StatusCode::kPermissionDenied,
                                                   HasSubstr("server refused our certificate")));
  EXPECT_EQ(handler_calls_.load(), 1);
}

TEST_F(NetTest, ServerEvidenceFailingClientCheckSendsNothing) {
  StartServer(BaseOptions(Listener(/*tls=*/true, ClientAuth::kNone)));
  ClientOptions options = BaseClient();
  options.check_server = [](const attest::Evidence&,
                            const std::array<uint8_t, 64>&) -> absl::StatusOr<attest::Claims> {
    return absl::PermissionDeniedError("wrong measurement");
  };
  auto client = MakeClient(std::move(options));
  EXPECT_THAT(client->Call("POST", "/v1/manifest", "{}"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("server evidence: wrong measurement")));
  EXPECT_FALSE(client->server_claims().has_value());
  EXPECT_EQ(handler_calls_.load(), 0);
  EXPECT_EQ(server_->stats().requests, 0u);
}

TEST_F(NetTest, OptionalClientAuthExposesRsaAndEcOwnerKeys) {
  StartServer(BaseOptions(Listener(/*tls=*/true, ClientAuth::kOptional)));
  for (bool rsa : {true, false}) {
    ClientOptions options = BaseClient();
    options.client_key = rsa ? crypto::PrivateKey::GenerateRsa(2048).value()
                             : crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP384).value();
    Bytes spki = options.client_key->public_key().spki_der();
    auto client = MakeClient(std::move(options));
    ASSERT_THAT(client->Call("GET", "/v1/seedshares"), IsOk());
    absl::MutexLock lock(&mu_);
    ASSERT_TRUE(last_request_.peer.has_value());
    EXPECT_EQ(last_request_.peer->spki_der, spki);
    EXPECT_EQ(last_request_.peer->key.type(),
              rsa ? crypto::KeyType::kRsa : crypto::KeyType::kEcP384);
    EXPECT_FALSE(last_request_.peer_claims.has_value());
  }
  // Without a key the request still goes through, with no peer.
  auto anonymous = MakeClient(BaseClient());
  ASSERT_THAT(anonymous->Call("GET", "/v1/status"), IsOk());
  absl::MutexLock lock(&mu_);
  EXPECT_FALSE(last_request_.peer.has_value());
}

// A raw TCP connection to 127.0.0.1 for misbehaving-client tests, from
// `source` (another 127.0.0.x address: a different client) when given.
class RawSocket {
 public:
  explicit RawSocket(uint16_t port, const char* source = nullptr) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (source != nullptr) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      if (::inet_pton(AF_INET, source, &local.sin_addr) != 1 ||
          ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
        return;
      }
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawSocket() { ::close(fd_); }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;
  bool connected() const { return connected_; }
  int fd() const { return fd_; }
  bool Send(absl::string_view data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }
  // True once the peer has closed (read returns 0 or an error) within
  // `wait`; false if the connection is still open then.
  bool ClosedWithin(absl::Duration wait, std::string* received = nullptr) {
    auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(wait);
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd pfd{fd_, POLLIN, 0};
      int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      deadline - std::chrono::steady_clock::now())
                                      .count());
      if (::poll(&pfd, 1, std::max(left, 1)) <= 0) {
        continue;
      }
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        return true;
      }
      if (received != nullptr) {
        received->append(buf, static_cast<size_t>(n));
      }
    }
    return false;
  }
  // Sends a keep-alive GET and reads up to the end of the response head
  // (within 20 s): its status line, or "" when the connection closed first.
  std::string Get(absl::string_view target) {
    if (!Send(absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: x\r\n\r\n"))) {
      return "";
    }
    std::string received;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (received.find("\r\n\r\n") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, 100) <= 0) {
        continue;
      }
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        return "";
      }
      received.append(buf, static_cast<size_t>(n));
    }
    return received.substr(0, received.find("\r\n"));
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

TEST_F(NetTest, SilentClientIsClosedAtHandshakeTimeout) {
  ServerOptions options = BaseOptions(Listener(/*tls=*/true, ClientAuth::kNone));
  options.handshake_timeout = absl::Milliseconds(100);
  StartServer(std::move(options));
  RawSocket socket(server_->port(0));
  ASSERT_TRUE(socket.connected());
  EXPECT_TRUE(socket.ClosedWithin(absl::Seconds(20)));
  EXPECT_TRUE(WaitFor([&] { return server_->stats().timeouts == 1; }));
  EXPECT_EQ(handler_calls_.load(), 0);
}

TEST_F(NetTest, SlowClientIsClosedAtHeaderTimeout) {
  ServerOptions options = BaseOptions(Listener(/*tls=*/false, ClientAuth::kNone));
  options.header_timeout = absl::Milliseconds(200);
  StartServer(std::move(options));
  RawSocket socket(server_->port(0));
  ASSERT_TRUE(socket.connected());
  ASSERT_TRUE(socket.Send("GET / HTTP/1.1\r\nX-Slow: "));
  // One byte every 20 ms, never finishing the header: the header deadline
  // does not move with each byte.
  bool closed = false;
  for (int i = 0; i < 1000 && !closed; ++i) {
    socket.Send("a");
    closed = socket.ClosedWithin(absl::Milliseconds(20));
  }
  EXPECT_TRUE(closed);
  EXPECT_TRUE(WaitFor([&] { return server_->stats().timeouts == 1; }));
  EXPECT_EQ(handler_calls_.load(), 0);
}

TEST_F(NetTest, IdleKeepAliveConnectionIsClosed) {
  ServerOptions options = BaseOptions(Listener(/*tls=*/false, ClientAuth::kNone));
  options.idle_timeout = absl::Milliseconds(100);
  StartServer(std::move(options));
  RawSocket socket(server_->port(0));
  ASSERT_TRUE(socket.Send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string received;
  EXPECT_TRUE(socket.ClosedWithin(absl::Seconds(20), &received));
  EXPECT_THAT(received, HasSubstr("HTTP/1.1 200 OK"));
  EXPECT_EQ(handler_calls_.load(), 1);
}

TEST_F(NetTest, OversizedHeaderGets431AndOversizedBody413) {
  ServerOptions options = BaseOptions(Listener(/*tls=*/true, ClientAuth::kNone));
  options.max_header_bytes = 1024;
  options.max_body_bytes = 100;
  StartServer(std::move(options));
  auto client = MakeClient(BaseClient());
  CONCORD_ASSERT_OK_AND_ASSIGN(HttpResponse big_header,
                               client->Call("GET", "/" + std::string(2000, 'a')));
  EXPECT_EQ(big_header.status, 431);
  EXPECT_THAT(big_header.body, HasSubstr("\"state\":\"\""));
  CONCORD_ASSERT_OK_AND_ASSIGN(HttpResponse big_body,
                               client->Call("POST", "/v1/manifest", std::string(1000, 'x')));
  EXPECT_EQ(big_body.status, 413);
  EXPECT_THAT(big_body.body, HasSubstr("\"code\":\"PAYLOAD_TOO_LARGE\""));
  CONCORD_ASSERT_OK_AND_ASSIGN(HttpResponse fits,
                               client->Call("POST", "/v1/manifest", std::string(100, 'x')));
  EXPECT_EQ(fits.status, 200);
  EXPECT_EQ(handler_calls_.load(), 1);
}

TEST_F(NetTest, MalformedRequestGets400) {
  StartServer(BaseOptions(Listener(/*tls=*/false, ClientAuth::kNone)));
  RawSocket socket(server_->port(0));
  ASSERT_TRUE(socket.Send("GARBAGE\r\n\r\n"));
  std::string received;
  EXPECT_TRUE(socket.ClosedWithin(absl::Seconds(20), &received));
  EXPECT_THAT(received, HasSubstr("HTTP/1.1 400 Bad Request"));
  EXPECT_EQ(handler_calls_.load(), 0);
}

TEST_F(NetTest, PendingVerificationCapRefusesExcessHandshakes) {
  absl::Notification entered;
  absl::Notification release;
  ListenerOptions listener = Listener(/*tls=*/true, ClientAuth::kAttested);
  listener.check_client = [&](const attest::Evidence& evidence,
                              const std::array<uint8_t, 64>& expected) {
    entered.Notify();
    release.WaitForNotification();
    return Check(evidence, expected);
  };
  ServerOptions options = BaseOptions(std::move(listener));
  options.max_pending_verifications = 1;
  StartServer(std::move(options));

  auto first = MakeClient(AttestedClient(&client_attester_));
  absl::StatusOr<HttpResponse> first_result;
  std::thread first_thread([&] { first_result = first->Call("GET", "/first"); });
  entered.WaitForNotification();

  ClientOptions second_options = AttestedClient(&client_attester_);
  second_options.random = nullptr;
  auto second = MakeClient(std::move(second_options));
  absl::StatusOr<HttpResponse> second_result = second->Call("GET", "/second");
  EXPECT_FALSE(second_result.ok());
  EXPECT_TRUE(WaitFor([&] { return server_->stats().verifications_refused == 1; }))
      << "second: " << second_result.status() << " refused "
      << server_->stats().verifications_refused << " failed " << server_->stats().handshakes_failed;

  release.Notify();
  first_thread.join();
  ASSERT_THAT(first_result, IsOk());
  EXPECT_EQ(first_result->status, 200);
  EXPECT_EQ(handler_calls_.load(), 1);
}

TEST_F(NetTest, ShutdownWithGraceLetsInFlightHandlerFinish) {
  absl::Notification entered;
  absl::Notification shutting_down;
  ListenerOptions listener = Listener(/*tls=*/true, ClientAuth::kNone);
  listener.handler = [&](const HttpRequest&) {
    entered.Notify();
    shutting_down.WaitForNotification();
    HttpResponse response;
    response.body = "finished";
    return response;
  };
  StartServer(BaseOptions(std::move(listener)));
  auto client = MakeClient(BaseClient());
  absl::StatusOr<HttpResponse> result;
  std::thread call([&] { result = client->Call("POST", "/slow", "{}"); });
  entered.WaitForNotification();
  std::thread stopper([&] {
    shutting_down.Notify();
    server_->Shutdown(absl::Seconds(30));
  });
  stopper.join();
  call.join();
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->body, "finished");
  // New connections are refused after shutdown.
  auto late = MakeClient(BaseClient());
  EXPECT_THAT(late->Call("GET", "/"), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(NetTest, ThirtyTwoConcurrentAttestedClientsSucceed) {
  ServerOptions options = BaseOptions(Listener(/*tls=*/true, ClientAuth::kAttested));
  StartServer(std::move(options));
  constexpr int kClients = 32;
  std::vector<std::unique_ptr<HttpsClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    ClientOptions client_options = AttestedClient(&client_attester_);
    client_options.random = nullptr;
    clients.push_back(MakeClient(std::move(client_options)));
  }
  std::vector<absl::StatusOr<HttpResponse>> results(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back(
        [&, i] { results[i] = clients[i]->Call("GET", absl::StrCat("/client/", i)); });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (int i = 0; i < kClients; ++i) {
    ASSERT_THAT(results[i], IsOk()) << i;
    EXPECT_EQ(results[i]->body, absl::StrCat("GET /client/", i, " 0"));
  }
  EXPECT_EQ(handler_calls_.load(), kClients);
  EXPECT_EQ(server_->stats().handshakes_failed, 0u);
}

TEST_F(NetTest, CertificateRenewalReplacesKeyBoundCertificate) {
  ServerOptions options = BaseOptions(Listener(/*tls=*/true, ClientAuth::kNone));
  options.certificate_renewal = absl::Milliseconds(30);
  StartServer(std::move(options));
  auto client = MakeClient(BaseClient());
  ASSERT_THAT(client->Call("GET", "/"), IsOk());
  Bytes first = client->server_certificate()->spki_der;
  bool renewed = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!renewed && std::chrono::steady_clock::now() < deadline) {
    client->Close();
    ASSERT_THAT(client->Call("GET", "/"), IsOk());
    renewed = client->server_certificate()->spki_der != first;
  }
  EXPECT_TRUE(renewed);
  // The renewed certificate is key-bound too.
  EXPECT_EQ(client->server_claims()->report_data,
            atls::TlsReportData(atls::Purpose::kCoordinatorTls,
                                client->server_certificate()->spki_der, {}));
}

// The key-bound evidence binds the root CA the server is given, and a change
// of root reaches the very next handshake (not the next renewal): the first
// handshake after it waits for the new certificate.
TEST_F(NetTest, KeyBoundEvidenceBindsTheCurrentRootCa) {
  ServerOptions options = BaseOptions(Listener(/*tls=*/true, ClientAuth::kNone));
  auto root = std::make_shared<std::atomic<int>>(0);  // 0: no root yet
  options.bound_root_ca = [root]() -> std::optional<crypto::Sha256Digest> {
    const int value = root->load();
    if (value == 0) {
      return std::nullopt;
    }
    crypto::Sha256Digest digest{};
    digest.fill(static_cast<uint8_t>(value));
    return digest;
  };
  StartServer(std::move(options));
  auto client = MakeClient(BaseClient());
  ASSERT_THAT(client->Call("GET", "/"), IsOk());
  EXPECT_FALSE(client->server_certificate()->bound_root_ca.has_value());
  const Bytes unbound_spki = client->server_certificate()->spki_der;

  root->store(7);
  client->Close();
  ASSERT_THAT(client->Call("GET", "/"), IsOk());
  const atls::PeerCertificate& cert = *client->server_certificate();
  ASSERT_TRUE(cert.bound_root_ca.has_value());
  EXPECT_EQ((*cert.bound_root_ca)[0], 7);
  EXPECT_NE(cert.spki_der, unbound_spki);
  EXPECT_EQ(
      client->server_claims()->report_data,
      atls::TlsReportData(atls::Purpose::kCoordinatorTls, cert.spki_der, {}, cert.bound_root_ca));

  // Fresh evidence binds it too.
  ClientOptions fresh = BaseClient();
  fresh.fresh_evidence = true;
  auto fresh_client = MakeClient(std::move(fresh));
  ASSERT_THAT(fresh_client->Call("GET", "/"), IsOk());
  ASSERT_TRUE(fresh_client->server_certificate()->bound_root_ca.has_value());
  EXPECT_EQ((*fresh_client->server_certificate()->bound_root_ca)[0], 7);
}

// A certificate whose URI names another root than its evidence binds (a
// stolen key's certificate edited to name the attacker's root) fails the
// client's check: the report data covers the bound root.
TEST_F(NetTest, CertificateNamingAnotherRootThanItsEvidenceIsRefused) {
  CONCORD_ASSERT_OK_AND_ASSIGN(crypto::PrivateKey key,
                               crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256));
  crypto::Sha256Digest genuine{};
  genuine.fill(1);
  crypto::Sha256Digest forged{};
  forged.fill(2);
  CONCORD_ASSERT_OK_AND_ASSIGN(
      attest::Evidence evidence,
      server_attester_.Attest(atls::TlsReportData(atls::Purpose::kCoordinatorTls,
                                                  key.public_key().spki_der(), {}, genuine)));
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes der,
                               atls::MakeAttestedCertificate(key, evidence, "concord", clock_.Now(),
                                                             absl::Hours(1), forged));
  CONCORD_ASSERT_OK_AND_ASSIGN(atls::PeerCertificate peer, atls::ParsePeerCertificate(der));
  ASSERT_TRUE(peer.bound_root_ca.has_value());
  EXPECT_THAT(Check(*peer.evidence, atls::TlsReportData(atls::Purpose::kCoordinatorTls,
                                                        peer.spki_der, {}, peer.bound_root_ca)),
              Not(IsOk()));
  EXPECT_THAT(Check(*peer.evidence, atls::TlsReportData(atls::Purpose::kCoordinatorTls,
                                                        peer.spki_der, {}, genuine)),
              IsOk());
}

TEST_F(NetTest, CurlTalksToTlsListenerThatRequestsCertificates) {
  // Interoperability with a stock TLS stack: curl offers h2 and http/1.1 in
  // ALPN, ignores the nonce CA name and sends no certificate.
  if (::access("/usr/bin/curl", X_OK) != 0) {
    GTEST_SKIP() << "no /usr/bin/curl";
  }
  StartServer(BaseOptions(Listener(/*tls=*/true, ClientAuth::kOptional)));
  std::string command = absl::StrCat(
      "/usr/bin/curl -k -s --max-time 20 -X POST -H 'Content-Type: application/json' "
      "-d '{\"a\":1}' https://127.0.0.1:",
      server_->port(0), "/v1/curl");
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[256];
  while (size_t n = std::fread(buf, 1, sizeof(buf), pipe)) {
    output.append(buf, n);
  }
  EXPECT_EQ(::pclose(pipe), 0);
  EXPECT_EQ(output, "POST /v1/curl 7");
}

TEST_F(NetTest, CreateRejectsInconsistentOptions) {
  ServerOptions none;
  EXPECT_THAT(Server::Create(none), StatusIs(absl::StatusCode::kInvalidArgument));
  ServerOptions no_attester = BaseOptions(Listener(/*tls=*/true, ClientAuth::kNone));
  no_attester.attester = nullptr;
  EXPECT_THAT(Server::Create(std::move(no_attester)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("attester")));
  ListenerOptions attested = Listener(/*tls=*/true, ClientAuth::kAttested);
  attested.check_client = nullptr;
  EXPECT_THAT(Server::Create(BaseOptions(std::move(attested))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("check_client")));
  ClientOptions client;
  client.host = "127.0.0.1";
  client.port = 1;
  EXPECT_THAT(HttpsClient::Create(std::move(client)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("check_server")));
}

// ---- Admission: connection limits, the body budget, the fresh-evidence rate.

TEST_F(NetTest, SourceOverItsConnectionLimitIsRefusedWhileAnotherSourceConnects) {
  ListenerOptions listener = Listener(/*tls=*/false, ClientAuth::kNone);
  listener.max_connections_per_source = 3;
  StartServer(BaseOptions(std::move(listener)));
  std::vector<std::unique_ptr<RawSocket>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawSocket>(server_->port(0), "127.0.0.2"));
    ASSERT_EQ(held.back()->Get("/held"), "HTTP/1.1 200 OK") << i;
  }
  RawSocket over(server_->port(0), "127.0.0.2");
  std::string received;
  EXPECT_TRUE(over.ClosedWithin(absl::Seconds(20), &received));
  EXPECT_EQ(received, "");
  EXPECT_TRUE(WaitFor([&] { return server_->stats().refused_source_limit == 1; }));

  RawSocket other(server_->port(0), "127.0.0.3");
  EXPECT_EQ(other.Get("/other"), "HTTP/1.1 200 OK");
  EXPECT_EQ(held[0]->Get("/again"), "HTTP/1.1 200 OK");  // the held ones still serve

  // A closed connection frees its place.
  held.pop_back();
  EXPECT_TRUE(OpenConnectionsReach(3));  // two held from .2, one from .3
  RawSocket again(server_->port(0), "127.0.0.2");
  EXPECT_EQ(again.Get("/again"), "HTTP/1.1 200 OK");
  EXPECT_EQ(server_->stats().refused_source_limit, 1u);
  EXPECT_EQ(server_->stats().refused_listener_limit, 0u);
}

TEST_F(NetTest, FloodedListenerLeavesTheOtherListenerAccepting) {
  ListenerOptions http = Listener(/*tls=*/false, ClientAuth::kNone);
  http.name = "http";
  http.max_connections = 4;
  http.max_connections_per_source = 100;
  ListenerOptions user = Listener(/*tls=*/true, ClientAuth::kNone);
  user.name = "user";
  user.max_connections = 4;
  user.max_connections_per_source = 100;
  ServerOptions options = BaseOptions(std::move(http));
  options.listeners.push_back(std::move(user));
  options.max_connections = 8;
  StartServer(std::move(options));
  const uint16_t http_port = server_->port(0);
  const uint16_t user_port = server_->port(1);

  // Fills `port`'s listener with 4 idle connections from 127.0.0.2 and
  // checks that one more is refused (the `refused`-th such refusal).
  auto fill = [&](uint16_t port, uint64_t refused) {
    std::vector<std::unique_ptr<RawSocket>> flood;
    for (int i = 0; i < 4; ++i) {
      flood.push_back(std::make_unique<RawSocket>(port, "127.0.0.2"));
    }
    EXPECT_TRUE(OpenConnectionsReach(4));
    RawSocket over(port, "127.0.0.2");
    EXPECT_TRUE(over.ClosedWithin(absl::Seconds(20)));
    EXPECT_TRUE(WaitFor([&] { return server_->stats().refused_listener_limit == refused; }));
    return flood;
  };

  // Idle connections fill the plain HTTP listener; the aTLS listener still
  // accepts and serves.
  std::vector<std::unique_ptr<RawSocket>> flood = fill(http_port, 1);
  ClientOptions to_user = BaseClient();
  to_user.port = user_port;
  auto client = MakeClient(std::move(to_user));
  CONCORD_ASSERT_OK_AND_ASSIGN(HttpResponse response, client->Call("GET", "/v1/status"));
  EXPECT_EQ(response.status, 200);
  client->Close();
  flood.clear();
  EXPECT_TRUE(OpenConnectionsReach(0));

  // And the other way round: silent TLS clients fill the user listener,
  // health checks on the plain listener go on.
  flood = fill(user_port, 2);
  RawSocket health(http_port, "127.0.0.3");
  EXPECT_EQ(health.Get("/healthz"), "HTTP/1.1 200 OK");
  EXPECT_EQ(server_->stats().refused_source_limit, 0u);
}

TEST_F(NetTest, ListenersWithoutALimitShareWhatTheOthersLeave) {
  ListenerOptions a = Listener(/*tls=*/false, ClientAuth::kNone);
  a.max_connections = 1;
  ServerOptions options = BaseOptions(std::move(a));
  options.listeners.push_back(Listener(/*tls=*/false, ClientAuth::kNone));
  options.listeners.push_back(Listener(/*tls=*/false, ClientAuth::kNone));
  options.max_connections = 5;  // listeners 1 and 2 get 2 each
  StartServer(std::move(options));
  std::vector<std::unique_ptr<RawSocket>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::make_unique<RawSocket>(server_->port(2)));
    ASSERT_EQ(held.back()->Get("/"), "HTTP/1.1 200 OK");
  }
  RawSocket over(server_->port(2));
  EXPECT_TRUE(over.ClosedWithin(absl::Seconds(20)));
  RawSocket listener_one(server_->port(1));
  EXPECT_EQ(listener_one.Get("/"), "HTTP/1.1 200 OK");
  EXPECT_EQ(server_->stats().refused_listener_limit, 1u);
}

TEST_F(NetTest, ProxySourceIsCountedOnceTheHeaderIsRead) {
  ListenerOptions listener = Listener(/*tls=*/false, ClientAuth::kNone);
  listener.proxy_protocol = true;
  listener.max_connections_per_source = 2;
  StartServer(BaseOptions(std::move(listener)));
  auto proxied = [&](absl::string_view source) {
    internal::ProxyHeader header;
    header.command = internal::ProxyCommand::kProxy;
    header.family = internal::ProxyFamily::kTcp4;
    header.source_address = std::string(source);
    header.source_port = 40000;
    header.destination_address = "127.0.0.1";
    header.destination_port = 1313;
    Bytes wire = internal::SerializeProxyV2Header(header).value();
    auto socket = std::make_unique<RawSocket>(server_->port(0));  // all from the balancer
    EXPECT_TRUE(socket->Send(AsStringView(wire)));
    return socket;
  };
  // The balancer's own address is not held to the per-source limit: four
  // connections through it, two from each of two clients, all serve.
  std::vector<std::unique_ptr<RawSocket>> held;
  for (absl::string_view source : {"203.0.113.7", "203.0.113.7", "203.0.113.8", "203.0.113.8"}) {
    held.push_back(proxied(source));
    ASSERT_EQ(held.back()->Get("/"), "HTTP/1.1 200 OK") << source;
  }
  // A third from one client is closed after its header, before any request.
  auto over = proxied("203.0.113.7");
  std::string received;
  EXPECT_TRUE(over->ClosedWithin(absl::Seconds(20), &received));
  EXPECT_EQ(received, "");
  EXPECT_TRUE(WaitFor([&] { return server_->stats().refused_source_limit == 1; }));
  // Another client through the same balancer still connects.
  auto other = proxied("198.51.100.1");
  EXPECT_EQ(other->Get("/"), "HTTP/1.1 200 OK");
  {
    absl::MutexLock lock(&mu_);
    EXPECT_THAT(last_request_.remote_address, HasSubstr("198.51.100.1:40000"));
  }
  // Closing one of the client's connections lets it connect again.
  held.erase(held.begin());
  EXPECT_TRUE(OpenConnectionsReach(4));
  auto again = proxied("203.0.113.7");
  EXPECT_EQ(again->Get("/"), "HTTP/1.1 200 OK");
  EXPECT_EQ(server_->stats().refused_source_limit, 1u);
}

TEST_F(NetTest, BodyBudgetRefusesWith503UntilUnfinishedBodiesAreClosed) {
  ServerOptions options = BaseOptions(Listener(/*tls=*/false, ClientAuth::kNone));
  options.max_body_bytes = 1000;
  options.max_buffered_body_bytes = 1500;
  StartServer(std::move(options));
  const uint16_t port = server_->port(0);
  // An unfinished body reserves its whole declared length.
  auto unfinished = std::make_unique<RawSocket>(port);
  ASSERT_TRUE(unfinished->Send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc"));
  ASSERT_TRUE(WaitFor([&] { return server_->stats().buffered_body_bytes == 1000; }));

  // 600 more do not fit: 503 with Retry-After, before the body is read.
  RawSocket refused(port);
  ASSERT_TRUE(refused.Send("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 600\r\n\r\n"));
  std::string received;
  EXPECT_TRUE(refused.ClosedWithin(absl::Seconds(20), &received));
  EXPECT_THAT(received, HasSubstr("HTTP/1.1 503 Service Unavailable"));
  EXPECT_THAT(received, HasSubstr("Retry-After: 1"));
  EXPECT_THAT(received, HasSubstr("\"code\":\"UNAVAILABLE\""));
  EXPECT_EQ(server_->stats().refused_body_budget, 1u);

  // 500 fit, and are released once answered.
  RawSocket fits(port);
  ASSERT_TRUE(fits.Send(absl::StrCat(
      "POST /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 500\r\n\r\n",
      std::string(500, 'x'))));
  received.clear();
  EXPECT_TRUE(fits.ClosedWithin(absl::Seconds(20), &received));
  EXPECT_THAT(received, HasSubstr("HTTP/1.1 200 OK"));
  EXPECT_TRUE(WaitFor([&] { return server_->stats().buffered_body_bytes == 1000; }));

  // A chunked body counts as it arrives: 400, then 400 more is over.
  RawSocket chunked(port);
  ASSERT_TRUE(chunked.Send(
      absl::StrCat("POST /d HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n190\r\n",
                   std::string(400, 'y'), "\r\n")));
  ASSERT_TRUE(WaitFor([&] { return server_->stats().buffered_body_bytes == 1400; }));
  ASSERT_TRUE(chunked.Send(absl::StrCat("190\r\n", std::string(400, 'y'), "\r\n")));
  received.clear();
  EXPECT_TRUE(chunked.ClosedWithin(absl::Seconds(20), &received));
  EXPECT_THAT(received, HasSubstr("HTTP/1.1 503 Service Unavailable"));
  EXPECT_EQ(server_->stats().refused_body_budget, 2u);
  EXPECT_TRUE(WaitFor([&] { return server_->stats().buffered_body_bytes == 1000; }));

  // Closing the unfinished body frees the budget.
  unfinished.reset();
  EXPECT_TRUE(WaitFor([&] { return server_->stats().buffered_body_bytes == 0; }));
  RawSocket after(port);
  ASSERT_TRUE(after.Send(absl::StrCat(
      "POST /e HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 1000\r\n\r\n",
      std::string(1000, 'z'))));
  received.clear();
  EXPECT_TRUE(after.ClosedWithin(absl::Seconds(20), &received));
  EXPECT_THAT(received, HasSubstr("HTTP/1.1 200 OK"));
  EXPECT_EQ(handler_calls_.load(), 2);  // /c and /e
  EXPECT_EQ(server_->stats().refused_body_budget, 2u);
}

// A TLS handshake from `source` offering a client nonce in ALPN (as
// HttpsClient with fresh_evidence does), the server's evidence unchecked:
// true when the server completed it.
bool FreshHandshakeFrom(uint16_t port, const char* source) {
  static std::atomic<uint8_t> counter{0};
  RawSocket socket(port, source);
  if (!socket.connected()) {
    return false;
  }
  crypto::SslPtr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr) {
    return false;
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  crypto::SslPtr<SSL> ssl(SSL_new(ctx.get()));
  atls::Nonce nonce{};
  nonce[0] = counter.fetch_add(1);
  const std::string nonce_name = atls::NonceAlpn(nonce);
  std::string alpn;
  for (absl::string_view name : {absl::string_view(nonce_name), atls::kAlpnHttp11}) {
    alpn.push_back(static_cast<char>(name.size()));
    alpn.append(name.data(), name.size());
  }
  bool done = ssl != nullptr &&
              SSL_set_alpn_protos(ssl.get(), reinterpret_cast<const unsigned char*>(alpn.data()),
                                  static_cast<unsigned int>(alpn.size())) == 0 &&
              SSL_set_fd(ssl.get(), socket.fd()) == 1 && SSL_connect(ssl.get()) == 1;
  ERR_clear_error();
  return done;
}

TEST_F(NetTest, FreshEvidenceRateRefusesBeyondBurstAndRecoversAfterRefill) {
  ServerOptions options = BaseOptions(Listener(/*tls=*/true, ClientAuth::kNone));
  options.fresh_evidence_rate = {.rate_per_second = 1, .burst = 2};
  StartServer(std::move(options));
  ClientOptions fresh = BaseClient();
  fresh.fresh_evidence = true;
  auto client = MakeClient(std::move(fresh));
  for (int i = 0; i < 2; ++i) {
    ASSERT_THAT(client->Call("GET", "/"), IsOk()) << i;
    client->Close();
  }
  EXPECT_THAT(client->Call("GET", "/"), StatusIs(absl::StatusCode::kUnavailable));
  client->Close();
  EXPECT_TRUE(WaitFor([&] { return server_->stats().refused_fresh_evidence_rate == 1; }));
  // Key-bound handshakes are not rate-bounded.
  auto key_bound = MakeClient(BaseClient());
  ASSERT_THAT(key_bound->Call("GET", "/"), IsOk());
  // One token per second comes back.
  clock_.Advance(absl::Seconds(1));
  CONCORD_ASSERT_OK_AND_ASSIGN(HttpResponse response, client->Call("GET", "/"));
  EXPECT_EQ(response.status, 200);
  client->Close();
  EXPECT_THAT(client->Call("GET", "/"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(handler_calls_.load(), 4);
}

TEST_F(NetTest, FreshEvidenceRatePerSourceLeavesOtherSourcesTheirShare) {
  ServerOptions options = BaseOptions(Listener(/*tls=*/true, ClientAuth::kNone));
  options.fresh_evidence_rate = {.rate_per_second = 0, .burst = 100};
  options.fresh_evidence_rate_per_source = {.rate_per_second = 1, .burst = 2};
  StartServer(std::move(options));
  const uint16_t port = server_->port(0);
  EXPECT_TRUE(FreshHandshakeFrom(port, "127.0.0.2"));
  EXPECT_TRUE(FreshHandshakeFrom(port, "127.0.0.2"));
  EXPECT_FALSE(FreshHandshakeFrom(port, "127.0.0.2"));
  EXPECT_TRUE(FreshHandshakeFrom(port, "127.0.0.3"));
  EXPECT_TRUE(WaitFor([&] { return server_->stats().refused_fresh_evidence_rate == 1; }));
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(FreshHandshakeFrom(port, "127.0.0.2"));
  EXPECT_FALSE(FreshHandshakeFrom(port, "127.0.0.2"));
}

TEST_F(NetTest, ListenerWithItsOwnHandlerThreadsAnswersWhileTheWorkersAreBusy) {
  absl::Notification entered;
  absl::Notification release;
  ListenerOptions busy = Listener(/*tls=*/false, ClientAuth::kNone);
  busy.handler = [&](const HttpRequest&) {
    entered.Notify();
    release.WaitForNotification();
    return HttpResponse{};
  };
  ListenerOptions health = Listener(/*tls=*/false, ClientAuth::kNone);
  health.handler_threads = 1;
  ServerOptions options = BaseOptions(std::move(busy));
  options.listeners.push_back(std::move(health));
  options.worker_threads = 1;
  StartServer(std::move(options));
  RawSocket blocked(server_->port(0));
  ASSERT_TRUE(blocked.Send("GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  entered.WaitForNotification();  // the only worker is taken
  RawSocket probe(server_->port(1));
  EXPECT_EQ(probe.Get("/healthz"), "HTTP/1.1 200 OK");
  release.Notify();
  std::string received;
  EXPECT_TRUE(blocked.ClosedWithin(absl::Seconds(20), &received));
  EXPECT_THAT(received, HasSubstr("HTTP/1.1 200 OK"));
}

TEST_F(NetTest, CreateRejectsInconsistentAdmissionLimits) {
  ServerOptions over = BaseOptions(Listener(/*tls=*/false, ClientAuth::kNone));
  over.listeners[0].max_connections = 10;
  over.listeners.push_back(Listener(/*tls=*/false, ClientAuth::kNone));
  over.listeners[1].max_connections = 10;
  over.max_connections = 15;
  EXPECT_THAT(Server::Create(std::move(over)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("add up to 20")));
  ServerOptions no_share = BaseOptions(Listener(/*tls=*/false, ClientAuth::kNone));
  no_share.listeners[0].max_connections = 4;
  no_share.listeners.push_back(Listener(/*tls=*/false, ClientAuth::kNone));
  no_share.max_connections = 4;  // nothing left for the second listener
  EXPECT_THAT(Server::Create(std::move(no_share)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit of 0")));
  ServerOptions per_source = BaseOptions(Listener(/*tls=*/false, ClientAuth::kNone));
  per_source.listeners[0].max_connections_per_source = 0;
  EXPECT_THAT(Server::Create(std::move(per_source)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit of 0")));
  ServerOptions budget = BaseOptions(Listener(/*tls=*/false, ClientAuth::kNone));
  budget.max_buffered_body_bytes = budget.max_body_bytes - 1;
  EXPECT_THAT(Server::Create(std::move(budget)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_buffered_body_bytes")));
  ServerOptions rate = BaseOptions(Listener(/*tls=*/false, ClientAuth::kNone));
  rate.fresh_evidence_rate_per_source.burst = 0.5;
  EXPECT_THAT(Server::Create(std::move(rate)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("burst")));
}

}  // namespace
}  // namespace concord::net

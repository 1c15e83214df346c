// Tests of the PROXY protocol v2 parser (known-answer headers, every
// truncation, tampered signature, version, command, family, lengths, TLVs,
// CRC32C) and of net::Server reading it through a real loopback socket on
// plain and TLS listeners (the address in the header is data only: nothing
// is sent anywhere but 127.0.0.1).
#include "concord/net/internal/proxy_protocol.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "concord/attest/sim/simulated_attester.h"
#include "concord/attest/sim/simulated_host.h"
#include "concord/common/posix/scoped_fd.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/ssl_ptr.h"
#include "concord/net/server.h"
#include "concord/testing/fake_clock.h"
#include "concord/testing/fake_random.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "openssl/err.h"
#include "openssl/ssl.h"

namespace concord::net::internal {
namespace {

using ::concord::testing::IsOk;
using ::concord::testing::StatusIs;
using ::testing::HasSubstr;

const Bytes kSignature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

// sig, ver/cmd, family, length, then the payload.
Bytes Header(uint8_t ver_cmd, uint8_t family, const Bytes& payload) {
  Bytes out = kSignature;
  out.push_back(ver_cmd);
  out.push_back(family);
  AppendBigEndian(out, payload.size(), 2);
  Append(out, payload);
  return out;
}

// 203.0.113.7:40001 -> 198.51.100.2:1313, written out byte by byte.
Bytes Tcp4Payload() { return {203, 0, 113, 7, 198, 51, 100, 2, 0x9C, 0x41, 0x05, 0x21}; }

TEST(Crc32cTest, MatchesTheStandardCheckValue) {
  EXPECT_EQ(Crc32c(AsBytes("123456789")), 0xE3069283u);
  EXPECT_EQ(Crc32c({}), 0u);
}

TEST(ProxyProtocolTest, ParsesTcp4ProxyHeader) {
  Bytes wire = Header(0x21, 0x11, Tcp4Payload());
  CONCORD_ASSERT_OK_AND_ASSIGN(size_t size, ProxyV2HeaderSize(wire));
  EXPECT_EQ(size, 28u);
  CONCORD_ASSERT_OK_AND_ASSIGN(ProxyHeader header, ParseProxyV2Header(wire));
  EXPECT_EQ(header.command, ProxyCommand::kProxy);
  EXPECT_EQ(header.family, ProxyFamily::kTcp4);
  EXPECT_EQ(header.source_address, "203.0.113.7");
  EXPECT_EQ(header.source_port, 40001);
  EXPECT_EQ(header.destination_address, "198.51.100.2");
  EXPECT_EQ(header.destination_port, 1313);
  EXPECT_TRUE(header.tlvs.empty());
  EXPECT_EQ(header.size, 28u);
}

TEST(ProxyProtocolTest, ParsesTcp6ProxyHeader) {
  Bytes payload(36, 0);
  payload[0] = 0x20;  // 2001:db8::1
  payload[1] = 0x01;
  payload[2] = 0x0d;
  payload[3] = 0xb8;
  payload[15] = 0x01;
  payload[31] = 0x01;  // ::1
  payload[32] = 0xC3;  // 50000
  payload[33] = 0x50;
  payload[34] = 0x1E;  // 7777
  payload[35] = 0x61;
  CONCORD_ASSERT_OK_AND_ASSIGN(ProxyHeader header, ParseProxyV2Header(Header(0x21, 0x21, payload)));
  EXPECT_EQ(header.family, ProxyFamily::kTcp6);
  EXPECT_EQ(header.source_address, "2001:db8::1");
  EXPECT_EQ(header.source_port, 50000);
  EXPECT_EQ(header.destination_address, "::1");
  EXPECT_EQ(header.destination_port, 7777);
}

TEST(ProxyProtocolTest, ParsesLocalHealthCheckHeader) {
  CONCORD_ASSERT_OK_AND_ASSIGN(ProxyHeader header, ParseProxyV2Header(Header(0x20, 0x00, {})));
  EXPECT_EQ(header.command, ProxyCommand::kLocal);
  EXPECT_EQ(header.family, ProxyFamily::kUnspec);
  EXPECT_TRUE(header.source_address.empty());
  EXPECT_EQ(header.size, 16u);
}

TEST(ProxyProtocolTest, SerializeRoundTripsWithTlvs) {
  ProxyHeader in;
  in.command = ProxyCommand::kProxy;
  in.family = ProxyFamily::kTcp6;
  in.source_address = "fd00::7";
  in.source_port = 1;
  in.destination_address = "fd00::8";
  in.destination_port = 65535;
  in.tlvs.push_back({0x02, ToBytes("coordinator.concord.svc")});  // PP2_TYPE_AUTHORITY
  in.tlvs.push_back({0x04, {}});                                  // PP2_TYPE_NOOP
  CONCORD_ASSERT_OK_AND_ASSIGN(Bytes wire, SerializeProxyV2Header(in));
  CONCORD_ASSERT_OK_AND_ASSIGN(ProxyHeader out, ParseProxyV2Header(wire));
  EXPECT_EQ(out.source_address, "fd00::7");
  EXPECT_EQ(out.destination_port, 65535);
  ASSERT_EQ(out.tlvs.size(), 2u);
  EXPECT_EQ(out.tlvs[0].type, 0x02);
  EXPECT_EQ(ToString(out.tlvs[0].value), "coordinator.concord.svc");
  EXPECT_TRUE(out.tlvs[1].value.empty());
  EXPECT_EQ(out.size, wire.size());
}

TEST(ProxyProtocolTest, SerializeRejectsAddressOfTheWrongFamily) {
  ProxyHeader in;
  in.command = ProxyCommand::kProxy;
  in.family = ProxyFamily::kTcp4;
  in.source_address = "2001:db8::1";
  in.destination_address = "127.0.0.1";
  EXPECT_THAT(SerializeProxyV2Header(in),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("source address")));
}

TEST(ProxyProtocolTest, EveryTruncationIsRejected) {
  Bytes wire = Header(0x21, 0x11, Tcp4Payload());
  for (size_t n = 0; n < wire.size(); ++n) {
    ByteView prefix(wire.data(), n);
    EXPECT_THAT(ParseProxyV2Header(prefix), StatusIs(absl::StatusCode::kInvalidArgument))
        << "prefix of " << n << " bytes";
    if (n < kProxyV2FixedSize) {
      EXPECT_THAT(ProxyV2HeaderSize(prefix),
                  StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least 16 bytes")));
    }
  }
  Bytes longer = wire;
  longer.push_back(0);
  EXPECT_THAT(ParseProxyV2Header(longer),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want 28 bytes, got 29")));
}

TEST(ProxyProtocolTest, EverySignatureByteIsChecked) {
  const Bytes wire = Header(0x21, 0x11, Tcp4Payload());
  for (size_t i = 0; i < kSignature.size(); ++i) {
    Bytes tampered = wire;
    tampered[i] ^= 0x01;
    EXPECT_THAT(ProxyV2HeaderSize(tampered),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad signature")))
        << "byte " << i;
  }
}

TEST(ProxyProtocolTest, VersionOneTextHeaderIsRejected) {
  std::string v1 = "PROXY TCP4 203.0.113.7 198.51.100.2 40001 1313\r\n";
  EXPECT_THAT(ProxyV2HeaderSize(AsBytes(v1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("version 1 (text)")));
}

TEST(ProxyProtocolTest, PlainTlsOrHttpIsRejected) {
  Bytes client_hello = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01,
                        0xfc, 0x03, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_THAT(ProxyV2HeaderSize(client_hello), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ProxyV2HeaderSize(AsBytes("GET /readyz HTTP/1.1\r\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad signature")));
}

TEST(ProxyProtocolTest, WrongVersionOrCommandIsRejected) {
  EXPECT_THAT(ProxyV2HeaderSize(Header(0x11, 0x11, Tcp4Payload())),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("version: want 2, got 1")));
  EXPECT_THAT(ProxyV2HeaderSize(Header(0x31, 0x11, Tcp4Payload())),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("version")));
  EXPECT_THAT(ProxyV2HeaderSize(Header(0x22, 0x11, Tcp4Payload())),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("command")));
}

TEST(ProxyProtocolTest, UdpAndUnixFamiliesAreRejected) {
  for (uint8_t family : {0x12, 0x22, 0x31, 0x32, 0x10, 0x01, 0x41}) {
    EXPECT_THAT(ProxyV2HeaderSize(Header(0x21, family, Bytes(216, 0))),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("family")))
        << "family " << static_cast<int>(family);
  }
}

TEST(ProxyProtocolTest, PayloadOverTheLimitIsRejected) {
  Bytes payload = Tcp4Payload();
  payload.push_back(0x04);  // a NOOP TLV filling the rest
  size_t value = kMaxProxyV2PayloadSize + 1 - payload.size() - 2;
  AppendBigEndian(payload, value, 2);
  payload.resize(kMaxProxyV2PayloadSize + 1, 0);
  EXPECT_THAT(ProxyV2HeaderSize(Header(0x21, 0x11, payload)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("over the limit of 1024")));
  // The largest accepted payload parses.
  payload.resize(kMaxProxyV2PayloadSize);
  payload[13] = static_cast<uint8_t>((value - 1) >> 8);
  payload[14] = static_cast<uint8_t>(value - 1);
  EXPECT_THAT(ParseProxyV2Header(Header(0x21, 0x11, payload)), IsOk());
  // A length field claiming 65535 is refused from the fixed part alone.
  Bytes fixed = kSignature;
  Append(fixed, Bytes{0x21, 0x11, 0xFF, 0xFF});
  EXPECT_THAT(ProxyV2HeaderSize(fixed),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("65535 bytes")));
}

TEST(ProxyProtocolTest, PayloadShorterThanTheAddressesIsRejected) {
  EXPECT_THAT(ProxyV2HeaderSize(Header(0x21, 0x11, Bytes(11, 0))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least 12 bytes")));
  EXPECT_THAT(ProxyV2HeaderSize(Header(0x21, 0x21, Bytes(12, 0))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least 36 bytes")));
}

TEST(ProxyProtocolTest, MalformedTlvsAreRejected) {
  Bytes truncated_tlv = Tcp4Payload();
  Append(truncated_tlv, Bytes{0x02, 0x00});
  EXPECT_THAT(ParseProxyV2Header(Header(0x21, 0x11, truncated_tlv)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("3 header bytes")));
  Bytes overlong = Tcp4Payload();
  Append(overlong, Bytes{0x02, 0x00, 0x05, 'a', 'b'});
  EXPECT_THAT(ParseProxyV2Header(Header(0x21, 0x11, overlong)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("runs past the header")));
  Bytes huge = Tcp4Payload();
  Append(huge, Bytes{0x02, 0xFF, 0xFF, 'a'});
  EXPECT_THAT(ParseProxyV2Header(Header(0x21, 0x11, huge)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("length 65535")));
}

// A header with a PP2_TYPE_CRC32C TLV over itself.
Bytes WithCrc() {
  Bytes payload = Tcp4Payload();
  Append(payload, Bytes{0x03, 0x00, 0x04, 0, 0, 0, 0});
  Bytes wire = Header(0x21, 0x11, payload);
  uint32_t crc = Crc32c(wire);
  size_t at = wire.size() - 4;
  for (int i = 0; i < 4; ++i) {
    wire[at + i] = static_cast<uint8_t>(crc >> (24 - 8 * i));
  }
  return wire;
}

TEST(ProxyProtocolTest, Crc32cTlvIsVerified) {
  Bytes wire = WithCrc();
  EXPECT_THAT(ParseProxyV2Header(wire), IsOk());
  for (size_t i : {size_t{16}, size_t{19}, wire.size() - 1}) {
    Bytes tampered = wire;
    tampered[i] ^= 0x80;
    EXPECT_THAT(ParseProxyV2Header(tampered),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("CRC32C")))
        << "byte " << i;
  }
  Bytes short_crc = Tcp4Payload();
  Append(short_crc, Bytes{0x03, 0x00, 0x02, 0, 0});
  EXPECT_THAT(ParseProxyV2Header(Header(0x21, 0x11, short_crc)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want 4 bytes, got 2")));
}

// ---- net::Server with proxy_protocol, through real sockets on 127.0.0.1.

const absl::Time kStart = absl::FromUnixSeconds(1790000000);

class ProxyServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ::concord::testing::FakeClock clock(kStart);
    ::concord::testing::FakeRandom random(31);
    std::string dir = ::concord::testing::MakeTempDir("proxy-sim-host");
    ASSERT_THAT(attest::SimulatedHost::Init(dir, {clock, random}), IsOk());
    auto host = attest::SimulatedHost::Load(dir);
    ASSERT_THAT(host, IsOk());
    host_ = std::shared_ptr<const attest::SimulatedHost>(std::move(*host));
  }

  ProxyServerTest() : clock_(kStart), attester_(host_, crypto::Sha256(AsBytes("policy"))) {}
  ~ProxyServerTest() override {
    if (server_ != nullptr) {
      server_->Shutdown(absl::ZeroDuration());
    }
  }

  void StartServer(bool tls, absl::Duration handshake_timeout = absl::Seconds(10)) {
    ListenerOptions listener;
    listener.name = "proxied";
    listener.tls = tls;
    listener.proxy_protocol = true;
    listener.handler = [this](const HttpRequest& request) {
      absl::MutexLock lock(&mu_);
      remote_addresses_.push_back(request.remote_address);
      HttpResponse response;
      response.body = "ok";
      return response;
    };
    ServerOptions options;
    options.listeners.push_back(std::move(listener));
    options.attester = &attester_;
    options.clock = &clock_;
    options.random = &random_;
    options.handshake_timeout = handshake_timeout;
    auto server = Server::Create(std::move(options));
    ASSERT_THAT(server, IsOk());
    server_ = std::move(*server);
    ASSERT_THAT(server_->Start(), IsOk());
  }

  int Connect() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(server_->port(0));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    return fd;
  }

  static void SendAll(int fd, ByteView data) {
    size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        return;  // the server may close early; the caller checks the reply
      }
      sent += static_cast<size_t>(n);
    }
  }

  // Everything the server sends until it closes (or 20 s pass).
  static std::string ReadUntilClosed(int fd) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) {
        continue;
      }
      char buf[4096];
      ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) {
        return out;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    ADD_FAILURE() << "the server did not close the connection";
    return out;
  }

  static Bytes Request() {
    return ToBytes("GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  }

  static Bytes ProxyFrom(absl::string_view source, uint16_t port) {
    ProxyHeader header;
    header.command = ProxyCommand::kProxy;
    bool v6 = source.find(':') != absl::string_view::npos;
    header.family = v6 ? ProxyFamily::kTcp6 : ProxyFamily::kTcp4;
    header.source_address = std::string(source);
    header.source_port = port;
    header.destination_address = v6 ? "::1" : "127.0.0.1";
    header.destination_port = 1313;
    return SerializeProxyV2Header(header).value();
  }

  std::vector<std::string> RemoteAddresses() {
    absl::MutexLock lock(&mu_);
    return remote_addresses_;
  }

  // Polls the server's counters (updated on its threads after the close).
  bool WaitForFailedHandshakes(uint64_t n) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (server_->stats().handshakes_failed < n) {
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      std::this_thread::yield();
    }
    return true;
  }

  static inline std::shared_ptr<const attest::SimulatedHost> host_;
  ::concord::testing::FakeClock clock_;
  ::concord::testing::FakeRandom random_{32};
  attest::SimulatedAttester attester_;
  std::unique_ptr<Server> server_;
  absl::Mutex mu_;
  std::vector<std::string> remote_addresses_;
};

TEST_F(ProxyServerTest, PlainListenerTakesTheClientAddressFromTheHeader) {
  StartServer(/*tls=*/false);
  posix::ScopedFd fd(Connect());
  Bytes wire = ProxyFrom("203.0.113.7", 40001);
  Append(wire, Request());
  SendAll(fd.get(), wire);
  EXPECT_THAT(ReadUntilClosed(fd.get()), HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(RemoteAddresses(), ::testing::ElementsAre("203.0.113.7:40001"));
  EXPECT_EQ(server_->stats().handshakes_failed, 0u);
}

TEST_F(ProxyServerTest, HeaderSentByteByByteIsReassembled) {
  StartServer(/*tls=*/false);
  posix::ScopedFd fd(Connect());
  Bytes header = ProxyFrom("2001:db8::9", 443);
  for (uint8_t byte : header) {
    SendAll(fd.get(), ByteView(&byte, 1));
  }
  SendAll(fd.get(), Request());
  EXPECT_THAT(ReadUntilClosed(fd.get()), HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(RemoteAddresses(), ::testing::ElementsAre("2001:db8::9:443"));
}

TEST_F(ProxyServerTest, LocalCommandKeepsTheSocketAddress) {
  StartServer(/*tls=*/false);
  posix::ScopedFd fd(Connect());
  Bytes wire = Header(0x20, 0x00, {});
  Append(wire, Request());
  SendAll(fd.get(), wire);
  EXPECT_THAT(ReadUntilClosed(fd.get()), HasSubstr("HTTP/1.1 200"));
  std::vector<std::string> seen = RemoteAddresses();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_THAT(seen[0], ::testing::StartsWith("127.0.0.1:"));
}

TEST_F(ProxyServerTest, RequestWithoutHeaderIsClosedAndCounted) {
  StartServer(/*tls=*/false);
  posix::ScopedFd fd(Connect());
  SendAll(fd.get(), Request());
  EXPECT_EQ(ReadUntilClosed(fd.get()), "");
  EXPECT_TRUE(WaitForFailedHandshakes(1));
  EXPECT_TRUE(RemoteAddresses().empty());
}

TEST_F(ProxyServerTest, MalformedHeadersAreClosedAndCounted) {
  StartServer(/*tls=*/false);
  Bytes v1 = ToBytes("PROXY TCP4 203.0.113.7 198.51.100.2 40001 1313\r\n");
  Bytes bad_family = Header(0x21, 0x12, Tcp4Payload());
  Bytes oversize = kSignature;
  Append(oversize, Bytes{0x21, 0x11, 0x10, 0x00});
  oversize.resize(oversize.size() + 4096, 0);
  Bytes bad_tlv = Tcp4Payload();
  Append(bad_tlv, Bytes{0x02, 0x00, 0x09, 'x'});
  Bytes crc = WithCrc();
  crc[17] ^= 1;
  const Bytes cases[] = {v1, bad_family, oversize, Header(0x21, 0x11, bad_tlv), crc};
  uint64_t n = 0;
  for (const Bytes& bad : cases) {
    posix::ScopedFd fd(Connect());
    Bytes wire = bad;
    Append(wire, Request());
    SendAll(fd.get(), wire);
    EXPECT_THAT(ReadUntilClosed(fd.get()), ::testing::Not(HasSubstr("HTTP/1.1"))) << "case " << n;
    EXPECT_TRUE(WaitForFailedHandshakes(++n)) << "case " << n;
  }
  EXPECT_TRUE(RemoteAddresses().empty());
}

TEST_F(ProxyServerTest, IncompleteHeaderTimesOutUnderTheHandshakeTimeout) {
  StartServer(/*tls=*/false, absl::Milliseconds(200));
  posix::ScopedFd fd(Connect());
  SendAll(fd.get(), ByteView(kSignature.data(), 5));
  EXPECT_EQ(ReadUntilClosed(fd.get()), "");
  EXPECT_TRUE(WaitForFailedHandshakes(1));
  EXPECT_GE(server_->stats().timeouts, 1u);
}

TEST_F(ProxyServerTest, TlsListenerReadsTheHeaderBeforeTheHandshake) {
  StartServer(/*tls=*/true);
  posix::ScopedFd fd(Connect());
  SendAll(fd.get(), ProxyFrom("198.51.100.77", 50123));
  crypto::SslPtr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()));
  ASSERT_NE(ctx, nullptr);
  // The server's evidence is not what this test is about (server_test is).
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  crypto::SslPtr<SSL> ssl(SSL_new(ctx.get()));
  ASSERT_NE(ssl, nullptr);
  ASSERT_EQ(SSL_set_fd(ssl.get(), fd.get()), 1);
  ASSERT_EQ(SSL_connect(ssl.get()), 1);
  Bytes request = Request();
  ASSERT_GT(SSL_write(ssl.get(), request.data(), static_cast<int>(request.size())), 0);
  std::string response;
  char buf[4096];
  int n = 0;
  while ((n = SSL_read(ssl.get(), buf, sizeof(buf))) > 0) {
    response.append(buf, static_cast<size_t>(n));
  }
  EXPECT_THAT(response, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(RemoteAddresses(), ::testing::ElementsAre("198.51.100.77:50123"));
}

TEST_F(ProxyServerTest, TlsClientHelloWithoutHeaderIsRefused) {
  StartServer(/*tls=*/true);
  posix::ScopedFd fd(Connect());
  crypto::SslPtr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()));
  ASSERT_NE(ctx, nullptr);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  crypto::SslPtr<SSL> ssl(SSL_new(ctx.get()));
  ASSERT_NE(ssl, nullptr);
  ASSERT_EQ(SSL_set_fd(ssl.get(), fd.get()), 1);
  EXPECT_NE(SSL_connect(ssl.get()), 1);
  ERR_clear_error();
  EXPECT_TRUE(WaitForFailedHandshakes(1));
  EXPECT_TRUE(RemoteAddresses().empty());
}

}  // namespace
}  // namespace concord::net::internal

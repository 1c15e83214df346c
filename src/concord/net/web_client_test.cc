// WebClient against a scripted plain-HTTP server thread (keep-alive, timeouts,
// limits, chunked streaming, Cancel) and against `openssl s_server -WWW` with
// certificates generated per test suite (chain, host name, IP, client cert).
#include "concord/net/web_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "concord/testing/ports.h"
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

// A loopback server thread: accepts connections one at a time and, for each
// request it reads, writes what `respond` returns (empty: close the
// connection without answering; kHang: never answer).
class ScriptedServer {
 public:
  static constexpr const char* kHang = "<hang>";
  using Respond = std::function<std::string(const std::string& request)>;

  explicit ScriptedServer(Respond respond) : respond_(std::move(respond)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(listen_fd_, 16), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    EXPECT_EQ(::pipe2(stop_pipe_, O_CLOEXEC), 0);
    thread_ = std::thread([this] { Run(); });
  }
  ~ScriptedServer() {
    char c = 'x';
    (void)!::write(stop_pipe_[1], &c, 1);
    thread_.join();
    ::close(listen_fd_);
    ::close(stop_pipe_[0]);
    ::close(stop_pipe_[1]);
  }

  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_); }
  int accepts() const { return accepts_.load(); }
  std::string last_request() {
    absl::MutexLock lock(&mu_);
    return last_request_;
  }

 private:
  // False when asked to stop.
  bool WaitReadable(int fd) {
    pollfd pfds[2] = {{fd, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    while (::poll(pfds, 2, -1) < 0) {
    }
    return (pfds[1].revents & POLLIN) == 0;
  }

  void Run() {
    while (WaitReadable(listen_fd_)) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        continue;
      }
      ++accepts_;
      Serve(fd);
      ::close(fd);
    }
  }

  void Serve(int fd) {
    std::string buffer;
    while (true) {
      size_t header_end;
      while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
        if (!WaitReadable(fd)) {
          return;
        }
        char chunk[4096];
        ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
        if (n <= 0) {
          return;
        }
        buffer.append(chunk, static_cast<size_t>(n));
      }
      size_t length = 0;
      std::string head = buffer.substr(0, header_end);
      size_t at = head.find("Content-Length: ");
      if (at != std::string::npos) {
        length = std::stoul(head.substr(at + 16));
      }
      while (buffer.size() < header_end + 4 + length) {
        if (!WaitReadable(fd)) {
          return;
        }
        char chunk[4096];
        ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
        if (n <= 0) {
          return;
        }
        buffer.append(chunk, static_cast<size_t>(n));
      }
      std::string request = buffer.substr(0, header_end + 4 + length);
      buffer.erase(0, request.size());
      {
        absl::MutexLock lock(&mu_);
        last_request_ = request;
      }
      std::string response = respond_(request);
      if (response.empty()) {
        return;
      }
      if (response == kHang) {
        WaitReadable(stop_pipe_[0]);
        return;
      }
      size_t pos = 0;
      while (pos < response.size()) {
        ssize_t n = ::send(fd, response.data() + pos, response.size() - pos, MSG_NOSIGNAL);
        if (n <= 0) {
          return;
        }
        pos += static_cast<size_t>(n);
      }
    }
  }

  Respond respond_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::atomic<int> accepts_{0};
  absl::Mutex mu_;
  std::string last_request_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

std::string Ok(const std::string& body) {
  return absl::StrCat("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ",
                      body.size(), "\r\n\r\n", body);
}

WebClientOptions Plain(std::string url) {
  WebClientOptions options;
  options.base_url = std::move(url);
  return options;
}

std::unique_ptr<WebClient> MakeClient(WebClientOptions options) {
  absl::StatusOr<std::unique_ptr<WebClient>> client = WebClient::Create(std::move(options));
  EXPECT_THAT(client.status(), IsOk());
  return client.ok() ? std::move(*client) : nullptr;
}

TEST(WebClientTest, CreateRejectsMalformedBaseUrls) {
  for (const char* url : {"", "ftp://x", "http://", "http://h:0", "http://h:99999", "http://h/p",
                          "http://u@h", "https://[::1", "http://h:", "http://h?x", "http://a b"}) {
    WebClientOptions options;
    options.base_url = url;
    EXPECT_THAT(WebClient::Create(options).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("base_url")))
        << url;
  }
}

TEST(WebClientTest, CreateRejectsBadOptions) {
  WebClientOptions options;
  options.base_url = "http://127.0.0.1:1";
  options.ca_file = "/nonexistent";
  EXPECT_THAT(WebClient::Create(options).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("https")));
  options.base_url = "https://127.0.0.1:1";
  EXPECT_THAT(WebClient::Create(options).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ca_file")));
  options.ca_file.clear();
  options.client_cert_file = "/nonexistent";
  EXPECT_THAT(WebClient::Create(options).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("go together")));
  options.client_cert_file.clear();
  options.io_timeout = absl::ZeroDuration();
  EXPECT_THAT(WebClient::Create(options).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("timeouts")));
}

TEST(WebClientTest, PlainCallReturnsResponseAndSendsHeaders) {
  ScriptedServer server([](const std::string&) { return Ok("hello"); });
  WebClientOptions options;
  options.base_url = server.url();
  options.default_headers = {{"X-Default", "d"}};
  auto client = MakeClient(options);
  ASSERT_NE(client, nullptr);
  absl::StatusOr<HttpResponse> response =
      client->Call("POST", "/v3/kv/range", "{\"k\":1}", "application/json", {{"X-Extra", "e"}});
  ASSERT_THAT(response.status(), IsOk());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello");
  EXPECT_EQ(response->content_type, "text/plain");
  std::string request = server.last_request();
  EXPECT_THAT(request, HasSubstr("POST /v3/kv/range HTTP/1.1\r\n"));
  EXPECT_THAT(request, HasSubstr("X-Default: d\r\n"));
  EXPECT_THAT(request, HasSubstr("X-Extra: e\r\n"));
  EXPECT_THAT(request, HasSubstr("Content-Type: application/json\r\n"));
  EXPECT_TRUE(absl::EndsWith(request, "\r\n\r\n{\"k\":1}"));
}

TEST(WebClientTest, ErrorStatusIsAResponse) {
  ScriptedServer server([](const std::string&) {
    return std::string("HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnop");
  });
  auto client = MakeClient(Plain(server.url()));
  absl::StatusOr<HttpResponse> response = client->Call("GET", "/x");
  ASSERT_THAT(response.status(), IsOk());
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->body, "nop");
}

TEST(WebClientTest, KeepAliveReusesOneConnection) {
  ScriptedServer server([](const std::string&) { return Ok("x"); });
  auto client = MakeClient(Plain(server.url()));
  for (int i = 0; i < 5; ++i) {
    ASSERT_THAT(client->Call("GET", "/").status(), IsOk());
  }
  EXPECT_EQ(server.accepts(), 1);
}

TEST(WebClientTest, ReconnectsWhenServerClosedKeptAliveConnection) {
  std::atomic<int> calls{0};
  ScriptedServer server([&](const std::string&) {
    // Every second request: close without answering (an idle-closed socket).
    return (calls++ % 2 == 1) ? std::string() : Ok("x");
  });
  auto client = MakeClient(Plain(server.url()));
  ASSERT_THAT(client->Call("GET", "/").status(), IsOk());
  ASSERT_THAT(client->Call("GET", "/").status(), IsOk());
  EXPECT_EQ(server.accepts(), 2);
}

TEST(WebClientTest, ConnectionRefusedIsUnavailable) {
  int port;
  {
    ScriptedServer server([](const std::string&) { return Ok(""); });
    port = std::stoi(server.url().substr(17));
  }
  auto client = MakeClient(Plain(absl::StrCat("http://127.0.0.1:", port)));
  EXPECT_THAT(client->Call("GET", "/").status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("127.0.0.1")));
}

TEST(WebClientTest, SilentServerTimesOutAsUnavailable) {
  ScriptedServer server([](const std::string&) { return std::string(ScriptedServer::kHang); });
  WebClientOptions options;
  options.base_url = server.url();
  options.io_timeout = absl::Milliseconds(200);
  auto client = MakeClient(options);
  EXPECT_THAT(client->Call("GET", "/").status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("timed out")));
}

TEST(WebClientTest, OversizedResponseIsDataLoss) {
  ScriptedServer server([](const std::string&) { return Ok(std::string(2000, 'a')); });
  WebClientOptions options;
  options.base_url = server.url();
  options.max_response_bytes = 1000;
  auto client = MakeClient(options);
  EXPECT_THAT(client->Call("GET", "/").status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("1000")));
}

TEST(WebClientTest, OversizedChunkedResponseIsDataLoss) {
  ScriptedServer server([](const std::string&) {
    std::string out = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 10; ++i) {
      out += "c8\r\n" + std::string(200, 'b') + "\r\n";
    }
    return out + "0\r\n\r\n";
  });
  WebClientOptions options;
  options.base_url = server.url();
  options.max_response_bytes = 1000;
  auto client = MakeClient(options);
  EXPECT_THAT(client->Call("GET", "/").status(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(WebClientTest, HugeContentLengthIsDataLossWithoutAllocating) {
  ScriptedServer server([](const std::string&) {
    return std::string("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999\r\n\r\nab");
  });
  auto client = MakeClient(Plain(server.url()));
  EXPECT_THAT(client->Call("GET", "/").status(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(WebClientTest, MalformedResponseIsDataLoss) {
  ScriptedServer server([](const std::string&) { return std::string("HTTP/1.1 abc\r\n\r\n"); });
  auto client = MakeClient(Plain(server.url()));
  EXPECT_THAT(client->Call("GET", "/").status(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(WebClientTest, HeaderInjectionIsRejected) {
  ScriptedServer server([](const std::string&) { return Ok(""); });
  auto client = MakeClient(Plain(server.url()));
  EXPECT_THAT(client->Call("GET", "/", "", "", {{"X", "a\r\nEvil: 1"}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("Evil"))));
  EXPECT_THAT(client->Call("GET", "/ HTTP/1.0\r\n").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

std::string Chunked(const std::vector<std::string>& chunks, bool end) {
  std::string out = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const std::string& c : chunks) {
    absl::StrAppend(&out, absl::Hex(c.size()), "\r\n", c, "\r\n");
  }
  if (end) {
    out += "0\r\n\r\n";
  }
  return out;
}

TEST(WebClientTest, StreamDecodesChunksUntilEnd) {
  std::string big(40000, 'z');  // larger than the client's chunk buffer
  ScriptedServer server([&](const std::string&) { return Chunked({"one", "two", big}, true); });
  auto client = MakeClient(Plain(server.url()));
  std::string received;
  absl::StatusOr<HttpResponse> head =
      client->Stream("POST", "/v3/watch", "{}", absl::Seconds(5), [&](absl::string_view chunk) {
        received.append(chunk.data(), chunk.size());
        return true;
      });
  ASSERT_THAT(head.status(), IsOk());
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
  EXPECT_EQ(received, "onetwo" + big);
}

TEST(WebClientTest, StreamStopsWhenCallbackReturnsFalse) {
  ScriptedServer server([&](const std::string&) {
    return Chunked({"a", "b"}, false) + std::string(ScriptedServer::kHang);
  });
  auto client = MakeClient(Plain(server.url()));
  std::string received;
  absl::StatusOr<HttpResponse> head =
      client->Stream("POST", "/", "", absl::Seconds(30), [&](absl::string_view chunk) {
        received.append(chunk.data(), chunk.size());
        return false;
      });
  ASSERT_THAT(head.status(), IsOk());
  EXPECT_EQ(received.substr(0, 1), "a");
}

TEST(WebClientTest, StreamIdleTimeoutIsUnavailable) {
  ScriptedServer server([&](const std::string&) {
    return Chunked({"a"}, false) + std::string(ScriptedServer::kHang);
  });
  auto client = MakeClient(Plain(server.url()));
  std::string received;
  absl::StatusOr<HttpResponse> head =
      client->Stream("POST", "/", "", absl::Milliseconds(200), [&](absl::string_view chunk) {
        received.append(chunk.data(), chunk.size());
        return true;
      });
  EXPECT_THAT(head.status(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("timed out")));
  EXPECT_EQ(received, "a");
}

TEST(WebClientTest, CancelEndsRunningStream) {
  ScriptedServer server([&](const std::string&) {
    return Chunked({"a"}, false) + std::string(ScriptedServer::kHang);
  });
  auto client = MakeClient(Plain(server.url()));
  absl::Notification first_chunk;
  absl::StatusOr<HttpResponse> head;
  std::thread streamer([&] {
    head = client->Stream("POST", "/", "", absl::Hours(1), [&](absl::string_view) {
      if (!first_chunk.HasBeenNotified()) {
        first_chunk.Notify();
      }
      return true;
    });
  });
  first_chunk.WaitForNotification();
  client->Cancel();
  streamer.join();
  EXPECT_THAT(head.status(), StatusIs(absl::StatusCode::kCancelled));
}

TEST(WebClientTest, StreamErrorStatusReturnsBodyWithoutCallback) {
  ScriptedServer server([](const std::string&) {
    return std::string("HTTP/1.1 400 Bad Request\r\nContent-Length: 5\r\n\r\nbad!!");
  });
  auto client = MakeClient(Plain(server.url()));
  bool called = false;
  absl::StatusOr<HttpResponse> head =
      client->Stream("POST", "/", "", absl::Seconds(5), [&](absl::string_view) {
        called = true;
        return true;
      });
  ASSERT_THAT(head.status(), IsOk());
  EXPECT_EQ(head->status, 400);
  EXPECT_EQ(head->body, "bad!!");
  EXPECT_FALSE(called);
}

// ---------------------------------------------------------------- HTTPS ---

int RunShell(const std::string& command) { return std::system(command.c_str()); }

// `openssl s_server -WWW` serving `dir` on 127.0.0.1; killed on destruction.
class SServer {
 public:
  SServer(const std::string& dir, const std::vector<std::string>& extra)
      : port_(concord::testing::FreeLoopbackPort()) {
    std::vector<std::string> args = {"openssl", "s_server",
                                     "-quiet",  "-WWW",
                                     "-accept", absl::StrCat("127.0.0.1:", port_),
                                     "-cert",   dir + "/server.pem",
                                     "-key",    dir + "/server.key"};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      ::chdir(dir.c_str());
      int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
      std::vector<char*> argv;
      for (std::string& a : args) {
        argv.push_back(a.data());
      }
      argv.push_back(nullptr);
      ::execvp("openssl", argv.data());
      ::_exit(127);
    }
    // Readiness: the port accepts connections (bounded wait).
    for (int i = 0; i < 500 && !concord::testing::CanConnectLoopback(port_); ++i) {
      pollfd none{};
      ::poll(&none, 0, 10);
    }
  }
  ~SServer() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  uint16_t port() const { return port_; }

 private:
  uint16_t port_;
  pid_t pid_ = -1;
};

class WebClientTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(concord::testing::MakeTempDir("web_client_tls"));
    const std::string& d = *dir_;
    std::string script = absl::StrCat(
        "set -e; cd ", d, "; exec >/dev/null 2>&1;",
        "for ca in ca otherca; do openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
        "-nodes -keyout $ca.key -out $ca.pem -days 2 -subj /CN=$ca; done;",
        "printf 'subjectAltName=DNS:server.test,IP:127.0.0.1\\n' > san.ext;",
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key "
        "-out server.csr -subj /CN=server;",
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
        "-extfile san.ext -out server.pem;",
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout client.key "
        "-out client.csr -subj /CN=client;",
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
        "-out client.pem;",
        "echo -n secure-hello > hello.txt");
    ASSERT_EQ(RunShell(script), 0);
  }
  static void TearDownTestSuite() {
    RunShell(absl::StrCat("rm -rf ", *dir_));
    delete dir_;
  }
  static std::string Path(absl::string_view name) { return absl::StrCat(*dir_, "/", name); }

  static std::string* dir_;
};
std::string* WebClientTlsTest::dir_ = nullptr;

TEST_F(WebClientTlsTest, TrustedServerByIpAnswers) {
  SServer server(*dir_, {});
  WebClientOptions options;
  options.base_url = absl::StrCat("https://127.0.0.1:", server.port());
  options.ca_file = Path("ca.pem");
  auto client = MakeClient(options);
  absl::StatusOr<HttpResponse> response = client->Call("GET", "/hello.txt");
  ASSERT_THAT(response.status(), IsOk());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "secure-hello");
}

TEST_F(WebClientTlsTest, WrongCaIsUnavailable) {
  SServer server(*dir_, {});
  WebClientOptions options;
  options.base_url = absl::StrCat("https://127.0.0.1:", server.port());
  options.ca_file = Path("otherca.pem");
  auto client = MakeClient(options);
  EXPECT_THAT(client->Call("GET", "/hello.txt").status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("certificate")));
}

TEST_F(WebClientTlsTest, DefaultTrustStoreRejectsPrivateCa) {
  SServer server(*dir_, {});
  WebClientOptions options;
  options.base_url = absl::StrCat("https://127.0.0.1:", server.port());
  auto client = MakeClient(options);
  EXPECT_THAT(client->Call("GET", "/hello.txt").status(), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(WebClientTlsTest, WrongHostNameIsUnavailable) {
  SServer server(*dir_, {});
  WebClientOptions options;
  // "localhost" resolves to the server, but the certificate names
  // server.test and 127.0.0.1 only.
  options.base_url = absl::StrCat("https://localhost:", server.port());
  options.ca_file = Path("ca.pem");
  auto client = MakeClient(options);
  EXPECT_THAT(client->Call("GET", "/hello.txt").status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("hostname mismatch")));
}

TEST_F(WebClientTlsTest, ClientCertificateIsPresented) {
  SServer server(*dir_, {"-Verify", "1", "-CAfile", Path("ca.pem")});
  WebClientOptions options;
  options.base_url = absl::StrCat("https://127.0.0.1:", server.port());
  options.ca_file = Path("ca.pem");
  auto without = MakeClient(options);
  absl::StatusOr<HttpResponse> refused = without->Call("GET", "/hello.txt");
  EXPECT_THAT(refused.status(), StatusIs(absl::StatusCode::kUnavailable));

  options.client_cert_file = Path("client.pem");
  options.client_key_file = Path("client.key");
  auto with = MakeClient(options);
  absl::StatusOr<HttpResponse> response = with->Call("GET", "/hello.txt");
  ASSERT_THAT(response.status(), IsOk());
  EXPECT_EQ(response->body, "secure-hello");
}

TEST_F(WebClientTlsTest, MismatchedClientKeyIsInvalidArgument) {
  WebClientOptions options;
  options.base_url = "https://127.0.0.1:1";
  options.client_cert_file = Path("client.pem");
  options.client_key_file = Path("server.key");
  EXPECT_THAT(WebClient::Create(options).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not match")));
}

}  // namespace
}  // namespace concord::net

// WebClient: a BlockingConnection (internal/blocking_connection.h, shared
// with HttpsClient) with the ordinary X.509 checks (chain to ca_file or the
// default paths, host name or IP address, SNI), and Beast's response parser.
// Stream() runs on its own connection whose waits also poll an eventfd, so
// that Cancel() from another thread ends it promptly.
#include "concord/net/web_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509err.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/beast/http.hpp>
#include <cstring>
#include <limits>
#include <utility>  // Boost 1.74 Asio/Beast under C++20 needs this first.

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "concord/common/posix/scoped_fd.h"
#include "concord/common/status_macros.h"
#include "concord/crypto/openssl_status.h"
#include "concord/crypto/ssl_ptr.h"
#include "concord/net/internal/blocking_connection.h"

namespace concord::net {
namespace {

namespace http = boost::beast::http;
using crypto::SslPtr;
using internal::Deadline;

constexpr size_t kMaxResponseHeaderBytes = 64 * 1024;
constexpr size_t kStreamBufferBytes = 16 * 1024;

Deadline After(absl::Duration d) { return internal::DeadlineAfter(d); }

struct ParsedUrl {
  bool tls = false;
  std::string host;  // without brackets
  bool host_is_ip = false;
  uint16_t port = 0;
  std::string host_header;  // as sent in Host:
};

absl::StatusOr<ParsedUrl> ParseBaseUrl(absl::string_view url) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("web client base_url \"", url, "\": ", why));
  };
  ParsedUrl out;
  absl::string_view rest = url;
  if (absl::ConsumePrefix(&rest, "http://")) {
    out.tls = false;
    out.port = 80;
  } else if (absl::ConsumePrefix(&rest, "https://")) {
    out.tls = true;
    out.port = 443;
  } else {
    return bad("want http://host[:port] or https://host[:port]");
  }
  if (rest.find_first_of("/?#@") != absl::string_view::npos) {
    return bad("no path, query, fragment or user info allowed");
  }
  absl::string_view host;
  absl::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == absl::string_view::npos) {
      return bad("unterminated [IPv6] host");
    }
    host = rest.substr(1, close - 1);
    absl::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return bad("want ':' after ]");
      }
      port = after.substr(1);
      if (port.empty()) {
        return bad("empty port");
      }
    }
    in6_addr addr6{};
    if (inet_pton(AF_INET6, std::string(host).c_str(), &addr6) != 1) {
      return bad("invalid IPv6 address");
    }
    out.host_is_ip = true;
  } else {
    size_t colon = rest.find(':');
    host = rest.substr(0, colon);
    if (colon != absl::string_view::npos) {
      port = rest.substr(colon + 1);
      if (port.empty()) {
        return bad("empty port");
      }
    }
    in_addr addr4{};
    out.host_is_ip = inet_pton(AF_INET, std::string(host).c_str(), &addr4) == 1;
  }
  if (host.empty() || host.size() > 253) {
    return bad("want a host of 1 to 253 characters");
  }
  if (!out.host_is_ip) {
    for (char c : host) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
        return bad("host name has a character outside [A-Za-z0-9._-]");
      }
    }
  }
  if (!port.empty()) {
    uint32_t value = 0;
    if (port.size() > 5 || !absl::SimpleAtoi(port, &value) || value == 0 || value > 65535 ||
        !absl::ascii_isdigit(static_cast<unsigned char>(port.front()))) {
      return bad("port must be 1..65535");
    }
    out.port = static_cast<uint16_t>(value);
  }
  out.host = std::string(host);
  out.host_header = out.host.find(':') != std::string::npos
                        ? absl::StrCat("[", out.host, "]:", out.port)
                        : absl::StrCat(out.host, ":", out.port);
  return out;
}

bool ValidHeaderToken(absl::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (c <= ' ' || c == ':' || c == 0x7f) {
      return false;
    }
  }
  return true;
}

bool ValidHeaderValue(absl::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') {
      return false;
    }
  }
  return true;
}

// The web client's view of a BlockingConnection: the URL's host and port,
// the ordinary X.509 checks, and errors that name the server.
class Connection final {
 public:
  Connection(const ParsedUrl& url, SSL_CTX* ctx, int cancel_fd)
      : url_(url), ctx_(ctx), conn_({.cancel_fd = cancel_fd}) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool open() const { return conn_.open(); }
  std::string& inbuf() { return conn_.inbuf(); }
  const std::string& where() const { return url_.host_header; }

  void Close() { conn_.Close(); }

  absl::Status Open(absl::Duration connect_timeout, absl::Duration handshake_timeout);
  absl::Status WriteAll(absl::string_view data, Deadline deadline) {
    return conn_.WriteAll(data, deadline, Label("send request"),
                          [&] { return TlsFailure("send request: connection lost"); });
  }
  // Reads some bytes into inbuf(); 0 at end of stream.
  absl::StatusOr<size_t> ReadSome(Deadline deadline, absl::string_view what) {
    return conn_.ReadSome(deadline, Label(what),
                          [&] { return TlsFailure(absl::StrCat(what, ": connection lost")); });
  }

 private:
  // "<what> (<host:port>)".
  std::string Label(absl::string_view what) const { return absl::StrCat(what, " (", where(), ")"); }
  absl::Status TlsFailure(absl::string_view what);

  const ParsedUrl& url_;
  SSL_CTX* const ctx_;
  internal::BlockingConnection conn_;
};

absl::Status Connection::TlsFailure(absl::string_view what) {
  long verify = conn_.ssl() != nullptr ? SSL_get_verify_result(conn_.ssl()) : X509_V_OK;
  if (verify != X509_V_OK) {
    return absl::UnavailableError(absl::StrCat(
        Label(what), ": server certificate rejected: ", X509_verify_cert_error_string(verify)));
  }
  return crypto::OpenSslError(absl::StatusCode::kUnavailable, Label(what));
}

absl::Status Connection::Open(absl::Duration connect_timeout, absl::Duration handshake_timeout) {
  CONCORD_RETURN_IF_ERROR(conn_.Connect(url_.host, url_.port, url_.host_is_ip, where(),
                                        Label("connect"), After(connect_timeout)));
  if (!url_.tls) {
    return absl::OkStatus();
  }
  absl::StatusOr<SSL*> ssl = conn_.StartTls(ctx_, "web client: SSL_new");
  if (!ssl.ok()) {
    Close();
    return ssl.status();
  }
  X509_VERIFY_PARAM* param = SSL_get0_param(*ssl);
  if (url_.host_is_ip) {
    if (X509_VERIFY_PARAM_set1_ip_asc(param, url_.host.c_str()) != 1) {
      Close();
      return crypto::OpenSslInternal("web client: expected IP address");
    }
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (X509_VERIFY_PARAM_set1_host(param, url_.host.c_str(), url_.host.size()) != 1 ||
        SSL_set_tlsext_host_name(*ssl, url_.host.c_str()) != 1) {
      Close();
      return crypto::OpenSslInternal("web client: expected host name");
    }
  }
  return conn_.Handshake(After(handshake_timeout), Label("TLS handshake"),
                         [&] { return TlsFailure("TLS handshake"); });
}

template <class Body>
void FillHead(const http::response<Body>& message, HttpResponse* response) {
  response->status = static_cast<int>(message.result_int());
  response->content_type.clear();
  for (const auto& field : message) {
    if (field.name() == http::field::content_type) {
      response->content_type = std::string(field.value());
      continue;
    }
    response->headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
}

absl::Status ParseError(const boost::beast::error_code& ec, size_t max_bytes) {
  if (ec == http::error::body_limit) {
    return absl::DataLossError(absl::StrCat("response: body larger than ", max_bytes, " bytes"));
  }
  if (ec == http::error::header_limit) {
    return absl::DataLossError(
        absl::StrCat("response: header larger than ", kMaxResponseHeaderBytes, " bytes"));
  }
  return absl::DataLossError(absl::StrCat("response: malformed: ", ec.message()));
}

}  // namespace

class WebClient::Impl {
 public:
  Impl(WebClientOptions options, ParsedUrl url, SslPtr<SSL_CTX> ctx, posix::ScopedFd cancel_fd)
      : options_(std::move(options)),
        url_(std::move(url)),
        ctx_(std::move(ctx)),
        cancel_fd_(std::move(cancel_fd)),
        conn_(url_, ctx_.get(), -1) {}

  absl::StatusOr<HttpResponse> Call(
      absl::string_view method, absl::string_view target, absl::string_view body,
      absl::string_view content_type,
      const std::vector<std::pair<std::string, std::string>>& headers);
  absl::StatusOr<HttpResponse> Stream(absl::string_view method, absl::string_view target,
                                      absl::string_view body, absl::Duration idle_timeout,
                                      const BodyChunkCallback& on_chunk);
  void Cancel();

 private:
  absl::StatusOr<std::string> Serialize(
      absl::string_view method, absl::string_view target, absl::string_view body,
      absl::string_view content_type,
      const std::vector<std::pair<std::string, std::string>>& headers) const;
  absl::StatusOr<HttpResponse> CallOnce(const std::string& request, bool head, bool* retryable);
  // Clears a pending cancellation and the eventfd; true if one was pending.
  bool TakeCancel();

  const WebClientOptions options_;
  const ParsedUrl url_;
  const SslPtr<SSL_CTX> ctx_;  // null for http
  const posix::ScopedFd cancel_fd_;
  Connection conn_;
  absl::Mutex cancel_mu_;
  bool cancel_pending_ ABSL_GUARDED_BY(cancel_mu_) = false;
};

absl::StatusOr<std::string> WebClient::Impl::Serialize(
    absl::string_view method, absl::string_view target, absl::string_view body,
    absl::string_view content_type,
    const std::vector<std::pair<std::string, std::string>>& headers) const {
  if (!ValidHeaderToken(method)) {
    return absl::InvalidArgumentError("web client request: invalid method");
  }
  if (target.empty() || target.front() != '/' || !ValidHeaderToken(target)) {
    return absl::InvalidArgumentError(
        "web client request: target must start with '/' and contain no spaces or controls");
  }
  std::string out = absl::StrCat(method, " ", target, " HTTP/1.1\r\nHost: ", url_.host_header,
                                 "\r\nConnection: keep-alive\r\n");
  if (!body.empty() && !content_type.empty()) {
    if (!ValidHeaderValue(content_type)) {
      return absl::InvalidArgumentError("web client request: invalid content type");
    }
    absl::StrAppend(&out, "Content-Type: ", content_type, "\r\n");
  }
  for (const auto* list : {&options_.default_headers, &headers}) {
    for (const auto& [name, value] : *list) {
      // Values may be credentials: name only the header.
      if (!ValidHeaderToken(name) || !ValidHeaderValue(value)) {
        return absl::InvalidArgumentError(absl::StrCat("web client request: invalid header ",
                                                       ValidHeaderToken(name) ? name : ""));
      }
      absl::StrAppend(&out, name, ": ", value, "\r\n");
    }
  }
  absl::StrAppend(&out, "Content-Length: ", body.size(), "\r\n\r\n");
  out.append(body.data(), body.size());
  return out;
}

absl::StatusOr<HttpResponse> WebClient::Impl::Call(
    absl::string_view method, absl::string_view target, absl::string_view body,
    absl::string_view content_type,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  CONCORD_ASSIGN_OR_RETURN(std::string request,
                           Serialize(method, target, body, content_type, headers));
  bool head = method == "HEAD";
  bool reused = conn_.open();
  bool retryable = false;
  absl::StatusOr<HttpResponse> response = CallOnce(request, head, &retryable);
  if (!response.ok() && reused && retryable) {
    // The server closed the kept-alive connection before answering (idle
    // timeout): send the request again on a new one.
    conn_.Close();
    response = CallOnce(request, head, &retryable);
  }
  return response;
}

absl::StatusOr<HttpResponse> WebClient::Impl::CallOnce(const std::string& request, bool head,
                                                       bool* retryable) {
  *retryable = false;
  if (!conn_.open()) {
    CONCORD_RETURN_IF_ERROR(conn_.Open(options_.connect_timeout, options_.io_timeout));
  }
  Deadline deadline = After(options_.io_timeout);
  absl::Status written = conn_.WriteAll(request, deadline);
  if (!written.ok()) {
    *retryable = true;
    conn_.Close();
    return written;
  }
  http::response_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(kMaxResponseHeaderBytes));
  // The size limit is enforced here, before the body reader reserves
  // Content-Length bytes: Beast 1.74's body_limit misjudges Content-Length
  // under C++20 (a set limit does not fire, boost::none rejects every body),
  // so it is set to "unlimited" as a number.
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  if (head) {
    parser.skip(true);
  }
  std::string& inbuf = conn_.inbuf();
  bool limit_checked = false;
  while (!parser.is_done()) {
    if (!inbuf.empty()) {
      boost::beast::error_code ec;
      size_t used = parser.put(boost::asio::buffer(inbuf.data(), inbuf.size()), ec);
      inbuf.erase(0, used);
      if (ec && ec != http::error::need_more) {
        conn_.Close();
        return ParseError(ec, options_.max_response_bytes);
      }
      if (parser.is_header_done() && !limit_checked) {
        limit_checked = true;
        boost::optional<std::uint64_t> length = parser.content_length();
        if (length.has_value() && *length > options_.max_response_bytes) {
          conn_.Close();
          return ParseError(http::error::body_limit, options_.max_response_bytes);
        }
        parser.eager(true);
      }
      if (parser.is_header_done() && parser.get().body().size() > options_.max_response_bytes) {
        conn_.Close();
        return ParseError(http::error::body_limit, options_.max_response_bytes);
      }
      if (parser.is_done()) {
        break;
      }
      if (used > 0 && !inbuf.empty()) {
        continue;
      }
    }
    absl::StatusOr<size_t> n = conn_.ReadSome(deadline, "read response");
    if (!n.ok()) {
      *retryable = !parser.got_some() && n.status().code() == absl::StatusCode::kUnavailable &&
                   n.status().message().find("timed out") == absl::string_view::npos;
      conn_.Close();
      return n.status();
    }
    if (*n == 0) {
      if (!parser.got_some()) {
        *retryable = true;
        conn_.Close();
        return absl::UnavailableError(absl::StrCat("read response (", url_.host_header,
                                                   "): connection closed before a response"));
      }
      boost::beast::error_code ec;
      parser.put_eof(ec);
      if (ec || !parser.is_done()) {
        conn_.Close();
        return absl::UnavailableError(
            absl::StrCat("read response (", url_.host_header, "): connection closed mid-response"));
      }
      break;
    }
  }
  auto& message = parser.get();
  HttpResponse response;
  FillHead(message, &response);
  response.body = std::move(message.body());
  if (!message.keep_alive()) {
    conn_.Close();
  }
  return response;
}

bool WebClient::Impl::TakeCancel() {
  absl::MutexLock lock(&cancel_mu_);
  uint64_t value = 0;
  while (::read(cancel_fd_.get(), &value, sizeof(value)) > 0) {
  }
  return std::exchange(cancel_pending_, false);
}

void WebClient::Impl::Cancel() {
  absl::MutexLock lock(&cancel_mu_);
  cancel_pending_ = true;
  uint64_t one = 1;
  // The eventfd is non-blocking and cannot overflow from these writes.
  (void)!::write(cancel_fd_.get(), &one, sizeof(one));
}

absl::StatusOr<HttpResponse> WebClient::Impl::Stream(absl::string_view method,
                                                     absl::string_view target,
                                                     absl::string_view body,
                                                     absl::Duration idle_timeout,
                                                     const BodyChunkCallback& on_chunk) {
  if (idle_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("web client stream: idle_timeout must be positive");
  }
  CONCORD_ASSIGN_OR_RETURN(std::string request,
                           Serialize(method, target, body, "application/json", {}));
  {
    absl::MutexLock lock(&cancel_mu_);
    if (cancel_pending_) {
      cancel_pending_ = false;
      uint64_t value = 0;
      while (::read(cancel_fd_.get(), &value, sizeof(value)) > 0) {
      }
      return absl::CancelledError("stream: cancelled");
    }
  }
  Connection conn(url_, ctx_.get(), cancel_fd_.get());
  auto finish = [&](absl::Status status) {
    conn.Close();
    if (status.code() == absl::StatusCode::kCancelled) {
      TakeCancel();
    }
    return status;
  };
  absl::Status opened = conn.Open(options_.connect_timeout, options_.io_timeout);
  if (!opened.ok()) {
    return finish(opened);
  }
  absl::Status written = conn.WriteAll(request, After(options_.io_timeout));
  if (!written.ok()) {
    return finish(written);
  }
  http::response_parser<http::buffer_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(kMaxResponseHeaderBytes));
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // see CallOnce
  std::string chunk_buf(kStreamBufferBytes, '\0');
  std::string error_body;  // the body of a non-2xx answer
  HttpResponse head;
  bool head_done = false;
  std::string& inbuf = conn.inbuf();
  // The head must arrive within io_timeout; then each read within idle_timeout.
  const Deadline head_deadline = After(options_.io_timeout);
  while (true) {
    while (!inbuf.empty()) {
      auto& message_body = parser.get().body();
      message_body.data = chunk_buf.data();
      message_body.size = chunk_buf.size();
      boost::beast::error_code ec;
      size_t used = parser.put(boost::asio::buffer(inbuf.data(), inbuf.size()), ec);
      inbuf.erase(0, used);
      size_t produced = chunk_buf.size() - parser.get().body().size;
      if (!head_done && parser.is_header_done()) {
        head_done = true;
        FillHead(parser.get(), &head);
      }
      if (produced > 0) {
        absl::string_view chunk(chunk_buf.data(), produced);
        if (head.status < 200 || head.status > 299) {
          if (error_body.size() + chunk.size() > options_.max_response_bytes) {
            return finish(absl::DataLossError(absl::StrCat("response: body larger than ",
                                                           options_.max_response_bytes, " bytes")));
          }
          error_body.append(chunk.data(), chunk.size());
        } else if (!on_chunk(chunk)) {
          conn.Close();
          return head;
        }
      }
      if (ec == http::error::need_buffer) {
        continue;  // the chunk buffer was full: hand out more
      }
      if (ec && ec != http::error::need_more) {
        return finish(ParseError(ec, options_.max_response_bytes));
      }
      if (parser.is_done()) {
        conn.Close();
        head.body = std::move(error_body);
        return head;
      }
      if (used == 0 && produced == 0) {
        break;  // needs more input
      }
    }
    absl::StatusOr<size_t> n = conn.ReadSome(head_done ? After(idle_timeout) : head_deadline,
                                             head_done ? "stream" : "read response");
    if (!n.ok()) {
      return finish(n.status());
    }
    if (*n == 0) {
      boost::beast::error_code ec;
      auto& message_body = parser.get().body();
      message_body.data = chunk_buf.data();
      message_body.size = chunk_buf.size();
      parser.put_eof(ec);
      if (ec || !parser.is_done()) {
        return finish(absl::UnavailableError(
            absl::StrCat("stream (", url_.host_header, "): connection closed mid-response")));
      }
      conn.Close();
      head.body = std::move(error_body);
      return head;
    }
  }
}

absl::StatusOr<std::unique_ptr<WebClient>> WebClient::Create(WebClientOptions options) {
  CONCORD_ASSIGN_OR_RETURN(ParsedUrl url, ParseBaseUrl(options.base_url));
  if (options.connect_timeout <= absl::ZeroDuration() ||
      options.io_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("web client options: timeouts must be positive");
  }
  if (options.max_response_bytes == 0) {
    return absl::InvalidArgumentError("web client options: max_response_bytes must be positive");
  }
  if (options.client_cert_file.empty() != options.client_key_file.empty()) {
    return absl::InvalidArgumentError(
        "web client options: client_cert_file and client_key_file go together");
  }
  if (!url.tls && (!options.ca_file.empty() || !options.client_cert_file.empty())) {
    return absl::InvalidArgumentError(
        "web client options: ca_file and client certificates need an https:// base_url");
  }
  SslPtr<SSL_CTX> ctx;
  if (url.tls) {
    ctx.reset(SSL_CTX_new(TLS_client_method()));
    if (ctx == nullptr || SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) != 1) {
      return crypto::OpenSslInternal("web client: SSL_CTX");
    }
    SSL_CTX_set_mode(ctx.get(),
                     SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    if (options.ca_file.empty()) {
      if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
        return crypto::OpenSslError(absl::StatusCode::kInvalidArgument,
                                    "web client options: default trust store");
      }
    } else if (SSL_CTX_load_verify_locations(ctx.get(), options.ca_file.c_str(), nullptr) != 1) {
      return crypto::OpenSslError(
          absl::StatusCode::kInvalidArgument,
          absl::StrCat("web client options: ca_file ", options.ca_file, " unreadable"));
    }
    if (!options.client_cert_file.empty()) {
      if (SSL_CTX_use_certificate_chain_file(ctx.get(), options.client_cert_file.c_str()) != 1) {
        return crypto::OpenSslError(absl::StatusCode::kInvalidArgument,
                                    absl::StrCat("web client options: client_cert_file ",
                                                 options.client_cert_file, " unreadable"));
      }
      if (SSL_CTX_use_PrivateKey_file(ctx.get(), options.client_key_file.c_str(),
                                      SSL_FILETYPE_PEM) != 1) {
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
          crypto::ClearOpenSslErrors();
          return absl::InvalidArgumentError(
              "web client options: client_key_file does not match client_cert_file");
        }
        return crypto::OpenSslError(absl::StatusCode::kInvalidArgument,
                                    absl::StrCat("web client options: client_key_file ",
                                                 options.client_key_file, " unreadable"));
      }
      if (SSL_CTX_check_private_key(ctx.get()) != 1) {
        crypto::ClearOpenSslErrors();
        return absl::InvalidArgumentError(
            "web client options: client_key_file does not match client_cert_file");
      }
    }
    crypto::ClearOpenSslErrors();
  }
  posix::ScopedFd cancel_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (cancel_fd.get() < 0) {
    return absl::InternalError(absl::StrCat("web client: eventfd: ", std::strerror(errno)));
  }
  auto impl = std::make_unique<Impl>(std::move(options), std::move(url), std::move(ctx),
                                     std::move(cancel_fd));
  return std::unique_ptr<WebClient>(new WebClient(std::move(impl)));
}

WebClient::WebClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebClient::~WebClient() = default;

absl::StatusOr<HttpResponse> WebClient::Call(
    absl::string_view method, absl::string_view target, absl::string_view body,
    absl::string_view content_type,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  return impl_->Call(method, target, body, content_type, headers);
}

absl::StatusOr<HttpResponse> WebClient::Stream(absl::string_view method, absl::string_view target,
                                               absl::string_view body, absl::Duration idle_timeout,
                                               const BodyChunkCallback& on_chunk) {
  return impl_->Stream(method, target, body, idle_timeout, on_chunk);
}

void WebClient::Cancel() { impl_->Cancel(); }

}  // namespace concord::net

// OpenSSL is driven directly on the non-blocking socket (Asio only waits for
// readiness), because Asio's ssl::stream does not know
// SSL_ERROR_WANT_CLIENT_HELLO_CB.
//
// Client evidence and OpenSSL 3.0: SSL_set_retry_verify() only pauses the
// handshake on a client (the server processes the client's Certificate
// inside tls_process_client_certificate, with no retry state). So on
// attested listeners every handshake step (SSL_do_handshake call) runs on the
// worker pool, so the step that processes the client's second flight
// (Certificate, CertificateVerify, Finished) - whichever it is: a fast
// client's certificate may already be readable while our flight is sent -
// checks the evidence in the verify callback there. I/O threads never run a
// verification, and a refused certificate still fails the handshake with a
// TLS alert. The number of such steps queued or running is capped by
// max_pending_verifications.
//
// PROXY protocol v2: on listeners behind a TCP load balancer the header is
// read with exact-length recv calls (never past its end, so the TLS
// handshake or HTTP request after it is left in the socket) under the
// handshake timeout; a malformed header closes the connection and counts
// as a failed handshake. Then the connection counts against the client the
// header names instead of the balancer (DESIGN.md §5a).
//
// The request parser is not eager until the header is done, so a declared
// body is checked against the shared body budget before its first byte is
// buffered.
#include "concord/net/internal/connection.h"

#include <openssl/crypto.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <exception>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "concord/crypto/openssl_status.h"
#include "concord/crypto/secret_bytes.h"
#include "concord/net/internal/http_util.h"
#include "concord/net/internal/proxy_protocol.h"

namespace concord::net::internal {
namespace {

namespace http = boost::beast::http;

constexpr size_t kReadChunk = 16 * 1024;

}  // namespace

void Connection::Start() {
  boost::system::error_code ec;
  tcp::endpoint remote = socket_.remote_endpoint(ec);
  if (!ec) {
    remote_address_ = absl::StrCat(remote.address().to_string(), ":", remote.port());
  }
  socket_.non_blocking(true, ec);
  socket_.set_option(tcp::no_delay(true), ec);
  if (ec) {
    CloseNow();
    return;
  }
  if (listener_.options.proxy_protocol) {
    // The handshake timeout covers the PROXY header and the TLS handshake.
    ArmTimer(options_.handshake_timeout);
    ReadProxyHeader();
    return;
  }
  StartTransport();
}

void Connection::ReadProxyHeader() {
  uint8_t buf[kProxyV2FixedSize + kMaxProxyV2PayloadSize];
  while (phase_ == Phase::kHandshake) {
    const size_t want = proxy_size_ == 0 ? kProxyV2FixedSize : proxy_size_;
    if (proxy_buf_.size() == want) {
      if (proxy_size_ == 0) {
        absl::StatusOr<size_t> size = ProxyV2HeaderSize(proxy_buf_);
        if (!size.ok()) {
          RejectProxyHeader(size.status().message());
          return;
        }
        proxy_size_ = *size;
        continue;
      }
      absl::StatusOr<ProxyHeader> header = ParseProxyV2Header(proxy_buf_);
      if (!header.ok()) {
        RejectProxyHeader(header.status().message());
        return;
      }
      // LOCAL (the balancer's own health check) and UNSPEC keep the
      // socket's address, as the protocol asks.
      std::string client = source_;
      if (header->command == ProxyCommand::kProxy && header->family != ProxyFamily::kUnspec) {
        remote_address_ = absl::StrCat(header->source_address, ":", header->source_port);
        client = ClientKey(header->source_address);
      }
      proxy_buf_.clear();
      if (!core_.MoveConnection(listener_.index, counted_as_, client)) {
        core_.log().Debug("connection refused: client over its connection limit",
                          {{"listener", listener_.options.name}, {"remote", remote_address_}});
        Refuse();
        return;
      }
      source_ = std::move(client);
      counted_as_ = source_;
      StartTransport();
      return;
    }
    const size_t need = want - proxy_buf_.size();
    ssize_t got = ::recv(socket_.native_handle(), buf, need < sizeof(buf) ? need : sizeof(buf), 0);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      WaitThen(tcp::socket::wait_read, &Connection::ReadProxyHeader);
      return;
    }
    if (got <= 0) {
      RejectProxyHeader(absl::StrCat("connection closed after ", proxy_buf_.size(),
                                     " bytes of the PROXY header"));
      return;
    }
    proxy_buf_.insert(proxy_buf_.end(), buf, buf + got);
  }
}

void Connection::RejectProxyHeader(absl::string_view why) {
  core_.handshakes_failed_.fetch_add(1);
  core_.log().Debug("PROXY header refused", {{"listener", listener_.options.name},
                                             {"remote", remote_address_},
                                             {"reason", std::string(why)}});
  CloseNow();
}

void Connection::StartTransport() {
  if (!tls()) {
    StartRequest();
    return;
  }
  if (!handshake_.Start(socket_.native_handle(), remote_address_, source_)) {
    CloseNow();
    return;
  }
  if (!listener_.options.proxy_protocol) {
    ArmTimer(options_.handshake_timeout);
  }
  DoHandshake();
}

void Connection::ArmTimer(absl::Duration timeout) {
  ++timer_generation_;
  timer_.expires_after(absl::ToChronoNanoseconds(timeout));
  timer_.async_wait(asio::bind_executor(
      strand_, [self = shared_from_this(),
                generation = timer_generation_](const boost::system::error_code& ec) {
        if (ec || generation != self->timer_generation_) {
          return;
        }
        self->OnTimeout();
      }));
}

void Connection::OnTimeout() {
  switch (phase_) {
    case Phase::kHandler:
    case Phase::kClosed:
      return;
    case Phase::kDraining:
      CloseNow();
      return;
    case Phase::kHandshake:
    case Phase::kIdle:
    case Phase::kHeader:
    case Phase::kBody:
    case Phase::kWrite:
      core_.timeouts_.fetch_add(1);
      if (phase_ == Phase::kHandshake) {
        core_.handshakes_failed_.fetch_add(1);
      }
      if (worker_busy_) {
        close_requested_ = true;  // the worker step must not find a closed fd
        return;
      }
      CloseNow();
      return;
  }
}

void Connection::WaitThen(tcp::socket::wait_type type, void (Connection::*next)()) {
  socket_.async_wait(type, asio::bind_executor(strand_, [self = shared_from_this(), next](
                                                            const boost::system::error_code& ec) {
                       if (self->phase_ == Phase::kClosed) {
                         return;
                       }
                       if (ec) {
                         self->CloseNow();
                         return;
                       }
                       ((*self).*next)();
                     }));
}

void Connection::DoHandshake() {
  if (phase_ != Phase::kHandshake) {
    return;
  }
  if (listener_.options.client_auth == ClientAuth::kAttested) {
    // Every step of an attested handshake runs on the pool: a fast client's
    // certificate can already be readable when the step that sends our
    // flight goes on reading, and its verification must never run on the
    // I/O thread.
    if (!core_.AcquireVerificationSlot()) {
      FailHandshake("verification queue full");
      return;
    }
    worker_busy_ = true;
    asio::post(core_.workers(), [self = shared_from_this()] {
      SSL* ssl = self->handshake_.ssl();
      crypto::ClearOpenSslErrors();
      int result = SSL_do_handshake(ssl);
      int error = SSL_get_error(ssl, result);
      crypto::ClearOpenSslErrors();
      self->core_.ReleaseVerificationSlot();
      asio::post(self->strand_, [self, result, error] {
        self->worker_busy_ = false;
        self->OnHandshakeStep(result, error);
      });
    });
    return;
  }
  crypto::ClearOpenSslErrors();
  int result = SSL_do_handshake(handshake_.ssl());
  int error = SSL_get_error(handshake_.ssl(), result);
  crypto::ClearOpenSslErrors();
  OnHandshakeStep(result, error);
}

void Connection::Offload(std::function<void()> on_worker, std::function<void()> on_strand) {
  asio::post(core_.workers(), [self = shared_from_this(), on_worker = std::move(on_worker),
                               on_strand = std::move(on_strand)]() mutable {
    on_worker();
    self->core_.ReleaseVerificationSlot();
    asio::post(self->strand_, [self, on_strand = std::move(on_strand)] {
      on_strand();
      self->DoHandshake();
    });
  });
}

void Connection::OnHandshakeStep(int result, int error) {
  if (phase_ == Phase::kClosed) {
    return;
  }
  if (close_requested_) {
    CloseNow();
    return;
  }
  if (result == 1) {
    HandshakeDone();
    return;
  }
  switch (error) {
    case SSL_ERROR_WANT_READ:
      WaitThen(tcp::socket::wait_read, &Connection::DoHandshake);
      return;
    case SSL_ERROR_WANT_WRITE:
      WaitThen(tcp::socket::wait_write, &Connection::DoHandshake);
      return;
    case SSL_ERROR_WANT_CLIENT_HELLO_CB:
      // The attestation for the client's nonce resumes the handshake.
      return;
    default:
      FailHandshake("TLS handshake failed");
      return;
  }
}

void Connection::HandshakeDone() {
  handshake_.Done();
  StartRequest();
}

void Connection::FailHandshake(absl::string_view why) {
  core_.handshakes_failed_.fetch_add(1);
  core_.log().Debug("handshake failed", {{"listener", listener_.options.name},
                                         {"remote", remote_address_},
                                         {"reason", std::string(why)}});
  // OpenSSL has written its alert. Half-close and drain what the client
  // still sends (TLS 1.3 clients send a request before they read the
  // alert): closing with unread data would turn the alert into a reset.
  phase_ = Phase::kDraining;
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  Drain();
}

void Connection::Drain() {
  char buf[4096];
  while (true) {
    ssize_t n = ::recv(socket_.native_handle(), buf, sizeof(buf), 0);
    if (n > 0) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      WaitThen(tcp::socket::wait_read, &Connection::Drain);
      return;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    CloseNow();
    return;
  }
}

void Connection::StartRequest() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
  parser_->body_limit(options_.max_body_bytes);
  // Eager only once the header is done (ParseBuffered): the body budget is
  // checked between the header and the first body byte.
  parser_->eager(false);
  if (inbuf_.empty()) {
    // Before the first request the header timeout runs from the handshake;
    // between requests the idle timeout runs until the first byte.
    bool first = phase_ == Phase::kHandshake;
    phase_ = first ? Phase::kHeader : Phase::kIdle;
    ArmTimer(first ? options_.header_timeout : options_.idle_timeout);
  } else {
    phase_ = Phase::kHeader;
    ArmTimer(options_.header_timeout);
  }
  if (!ParseBuffered()) {
    return;
  }
  ReadSome();
}

namespace {

// Drops the first `n` bytes of `buf`, overwriting them and the stale copy
// of the rest that shifting leaves behind its new end.
void ConsumeFront(std::string& buf, size_t n) {
  const size_t size = buf.size();
  OPENSSL_cleanse(buf.data(), n);
  buf.erase(0, n);
  buf.resize(size);  // the tail now holds leftovers of the shifted bytes
  OPENSSL_cleanse(buf.data() + (size - n), n);
  buf.resize(size - n);
}

}  // namespace

void Connection::ReadSome() {
  char buf[kReadChunk];
  while (phase_ == Phase::kIdle || phase_ == Phase::kHeader || phase_ == Phase::kBody) {
    size_t n = 0;
    if (tls()) {
      crypto::ClearOpenSslErrors();
      int result = SSL_read_ex(handshake_.ssl(), buf, sizeof(buf), &n);
      if (result != 1) {
        int error = SSL_get_error(handshake_.ssl(), result);
        crypto::ClearOpenSslErrors();
        if (error == SSL_ERROR_WANT_READ) {
          WaitThen(tcp::socket::wait_read, &Connection::ReadSome);
        } else if (error == SSL_ERROR_WANT_WRITE) {
          WaitThen(tcp::socket::wait_write, &Connection::ReadSome);
        } else {
          CloseNow();
        }
        return;
      }
    } else {
      ssize_t got = ::recv(socket_.native_handle(), buf, sizeof(buf), 0);
      if (got < 0 && errno == EINTR) {
        continue;
      }
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        WaitThen(tcp::socket::wait_read, &Connection::ReadSome);
        return;
      }
      if (got <= 0) {
        CloseNow();
        return;
      }
      n = static_cast<size_t>(got);
    }
    inbuf_.append(buf, n);
    OPENSSL_cleanse(buf, n);  // request bodies may carry secrets
    if (phase_ == Phase::kIdle) {
      phase_ = Phase::kHeader;
      ArmTimer(options_.header_timeout);
    }
    if (!ParseBuffered()) {
      return;
    }
  }
}

bool Connection::ParseBuffered() {
  while (!inbuf_.empty()) {
    boost::beast::error_code ec;
    size_t used = parser_->put(asio::buffer(inbuf_.data(), inbuf_.size()), ec);
    ConsumeFront(inbuf_, used);
    if (ec == http::error::need_more) {
      // Not an error: what was used (a chunk, say) still counts below.
      ec = {};
    }
    if (ec == http::error::header_limit) {
      SendResponse(JsonError(431, "INVALID_ARGUMENT",
                             absl::StrCat("request headers over the limit of ",
                                          options_.max_header_bytes, " bytes")),
                   false);
      return false;
    }
    if (ec == http::error::body_limit) {
      SendResponse(JsonError(413, "PAYLOAD_TOO_LARGE",
                             absl::StrCat("request body over the limit of ",
                                          options_.max_body_bytes, " bytes")),
                   false);
      return false;
    }
    if (ec) {
      SendResponse(JsonError(400, "INVALID_ARGUMENT",
                             absl::StrCat("malformed HTTP request: ", ec.message())),
                   false);
      return false;
    }
    if (parser_->is_header_done() && phase_ == Phase::kHeader) {
      phase_ = Phase::kBody;
      ArmTimer(options_.body_timeout);
      parser_->eager(true);
    }
    if (phase_ == Phase::kBody && !ReserveBody()) {
      return false;
    }
    if (parser_->is_done()) {
      Dispatch();
      return false;
    }
    if (used == 0) {
      break;
    }
  }
  return true;
}

bool Connection::ReserveBody() {
  uint64_t needed = parser_->get().body().size();
  if (boost::optional<uint64_t> declared = parser_->content_length(); declared.has_value()) {
    needed = std::max<uint64_t>(needed, *declared);
  }
  if (needed <= body_reserved_) {
    return true;
  }
  if (!core_.body_budget().TryReserve(needed - body_reserved_)) {
    core_.refused_body_budget_.fetch_add(1);
    HttpResponse busy =
        JsonError(503, "UNAVAILABLE", "server busy: buffered request bodies at their limit; retry");
    busy.headers.push_back({"Retry-After", "1"});
    SendResponse(busy, false);
    return false;
  }
  body_reserved_ = needed;
  return true;
}

void Connection::ReleaseBody() {
  if (body_reserved_ > 0) {
    core_.body_budget().Release(body_reserved_);
    body_reserved_ = 0;
  }
}

void Connection::Dispatch() {
  auto& message = parser_->get();
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  auto content_type = message.find(http::field::content_type);
  if (content_type != message.end()) {
    request.content_type = std::string(content_type->value());
  }
  request.body = std::move(message.body());
  handshake_.FillPeer(request);
  request.remote_address = remote_address_;
  keep_alive_ = message.keep_alive();
  parser_.reset();

  phase_ = Phase::kHandler;
  ++timer_generation_;
  timer_.cancel();
  request_in_flight_ = true;
  core_.requests_.fetch_add(1);
  core_.RequestStarted();
  asio::thread_pool& pool =
      listener_.handler_pool != nullptr ? *listener_.handler_pool : core_.workers();
  asio::post(pool, [self = shared_from_this(), request = std::move(request)]() mutable {
    HttpResponse response;
    try {
      response = self->listener_.options.handler(request);
    } catch (const std::exception& e) {
      response = JsonError(500, "INTERNAL", "handler failed");
    }
    // Bodies may carry secrets (a seed in POST /v1/recover, a grant, a
    // workload secret): no plain copy outlives its use.
    crypto::WipeString(request.body);
    asio::post(self->strand_, [self, response = std::move(response)]() mutable {
      if (self->phase_ != Phase::kClosed) {
        self->SendResponse(response, self->keep_alive_);
      }
      crypto::WipeString(response.body);
    });
  });
}

void Connection::SendResponse(const HttpResponse& response, bool keep_alive) {
  // The handler (if any) is done with the body; an error answer leaves the
  // rest of it unread.
  ReleaseBody();
  keep_alive_ = keep_alive && core_.accepting_.load();
  outbuf_ = SerializeResponse(response, keep_alive_);
  out_pos_ = 0;
  phase_ = Phase::kWrite;
  ArmTimer(options_.body_timeout);
  WriteOut();
}

void Connection::WriteOut() {
  while (out_pos_ < outbuf_.size()) {
    size_t n = 0;
    if (tls()) {
      crypto::ClearOpenSslErrors();
      int result =
          SSL_write_ex(handshake_.ssl(), outbuf_.data() + out_pos_, outbuf_.size() - out_pos_, &n);
      if (result != 1) {
        int error = SSL_get_error(handshake_.ssl(), result);
        crypto::ClearOpenSslErrors();
        if (error == SSL_ERROR_WANT_WRITE) {
          WaitThen(tcp::socket::wait_write, &Connection::WriteOut);
        } else if (error == SSL_ERROR_WANT_READ) {
          WaitThen(tcp::socket::wait_read, &Connection::WriteOut);
        } else {
          CloseNow();
        }
        return;
      }
    } else {
      ssize_t sent = ::send(socket_.native_handle(), outbuf_.data() + out_pos_,
                            outbuf_.size() - out_pos_, MSG_NOSIGNAL);
      if (sent < 0 && errno == EINTR) {
        continue;
      }
      if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        WaitThen(tcp::socket::wait_write, &Connection::WriteOut);
        return;
      }
      if (sent <= 0) {
        CloseNow();
        return;
      }
      n = static_cast<size_t>(sent);
    }
    out_pos_ += n;
  }
  crypto::WipeString(outbuf_);
  out_pos_ = 0;
  if (request_in_flight_) {
    request_in_flight_ = false;
    core_.RequestFinished();
  }
  if (!keep_alive_) {
    if (tls()) {
      SSL_shutdown(handshake_.ssl());  // close_notify, best effort
      crypto::ClearOpenSslErrors();
    }
    // Half-close and drain, so unread request bytes do not reset the
    // connection before the client has read the response.
    phase_ = Phase::kDraining;
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    ArmTimer(options_.idle_timeout < absl::Seconds(5) ? options_.idle_timeout : absl::Seconds(5));
    Drain();
    return;
  }
  StartRequest();
}

void Connection::CloseNow() {
  if (phase_ == Phase::kClosed) {
    return;
  }
  if (worker_busy_) {
    close_requested_ = true;
    return;
  }
  phase_ = Phase::kClosed;
  ++timer_generation_;
  boost::system::error_code ec;
  timer_.cancel();
  socket_.close(ec);
  crypto::WipeString(inbuf_);
  crypto::WipeString(outbuf_);
  if (request_in_flight_) {
    request_in_flight_ = false;
    core_.RequestFinished();
  }
  ReleaseBody();
  ReleaseAdmission();
  core_.Unregister(this);
}

void Connection::Refuse() {
  boost::system::error_code ec;
  socket_.set_option(asio::socket_base::linger(true, 0), ec);
  CloseNow();
}

void Connection::ReleaseAdmission() {
  if (counted_) {
    counted_ = false;
    core_.ReleaseConnection(listener_index_, counted_as_);
  }
}

}  // namespace concord::net::internal

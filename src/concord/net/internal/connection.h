// One accepted server connection from accept to close: the PROXY v2 header
// (listeners behind a load balancer), the TLS handshake driven on
// non-blocking sockets (its aTLS steps are AtlsHandshake's), the handshake,
// header, body and idle timers, and HTTP/1.1 read, parse (Beast), dispatch
// to the listener's handler and write, with keep-alive. Made by Listeners
// (listener.h); all its state lives on its own strand.
#pragma once

// clang-format off
#include <utility>  // Boost 1.74 Asio under C++20 needs this first.
// clang-format on

#include <boost/asio.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concord/common/bytes.h"
#include "concord/net/http.h"
#include "concord/net/internal/atls_handshake.h"
#include "concord/net/internal/server_core.h"
#include "concord/net/server.h"

namespace concord::net::internal {

// One accepted connection. All state is touched on the connection's strand,
// except the SSL object during a handshake step on the worker pool
// (worker_busy_), when the strand leaves it alone.
class Connection final : public std::enable_shared_from_this<Connection> {
 public:
  // `source` is the socket peer's ClientKey; the connection is counted
  // against `counted_as` (admitted by the caller).
  Connection(ServerCore& core, const Listener& listener, tcp::socket socket, std::string source,
             std::string counted_as)
      : core_(core),
        listener_(listener),
        options_(core.options()),
        socket_(std::move(socket)),
        strand_(socket_.get_executor()),
        timer_(strand_),
        listener_index_(listener.index),
        source_(std::move(source)),
        counted_as_(std::move(counted_as)),
        handshake_(core, listener,
                   [this](std::function<void()> on_worker, std::function<void()> on_strand) {
                     Offload(std::move(on_worker), std::move(on_strand));
                   }) {}
  ~Connection() {
    ReleaseAdmission();
    ReleaseBody();
  }

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  asio::any_io_executor executor() const { return strand_; }
  // Runs on the strand.
  void Start();
  // Runs on the strand once the PROXY header (if any) has been read.
  void StartTransport();
  // Closes from any thread (posted to the strand).
  void Close() {
    asio::post(strand_, [self = shared_from_this()] { self->CloseNow(); });
  }

 private:
  enum class Phase { kHandshake, kIdle, kHeader, kBody, kHandler, kWrite, kDraining, kClosed };

  bool tls() const { return listener_.options.tls; }
  void ArmTimer(absl::Duration timeout);
  void OnTimeout();
  void WaitThen(tcp::socket::wait_type type, void (Connection::*next)());

  void ReadProxyHeader();
  void RejectProxyHeader(absl::string_view why);
  void DoHandshake();
  // AtlsHandshake::Offload: a step of the handshake's on the worker pool.
  void Offload(std::function<void()> on_worker, std::function<void()> on_strand);
  void OnHandshakeStep(int result, int error);
  void HandshakeDone();
  void FailHandshake(absl::string_view why);
  void Drain();

  void StartRequest();
  void ReadSome();
  // Feeds buffered bytes to the parser; false once the request is complete
  // (dispatched) or answered with an error.
  bool ParseBuffered();
  // Reserves the body's declared length (or, chunked, what has arrived)
  // out of the body budget; over it, answers 503 and returns false.
  bool ReserveBody();
  void ReleaseBody();
  void Dispatch();
  void SendResponse(const HttpResponse& response, bool keep_alive);
  void WriteOut();
  void CloseNow();
  // Closes with a reset (an admission refusal: nothing to say).
  void Refuse();
  void ReleaseAdmission();

  ServerCore& core_;
  const Listener& listener_;
  const ServerOptions& options_;
  tcp::socket socket_;
  asio::any_io_executor strand_;
  asio::steady_timer timer_;
  uint64_t timer_generation_ = 0;
  Phase phase_ = Phase::kHandshake;
  std::string remote_address_;
  // The client's address as admission counts it (ClientKey), and the key it
  // is counted under now (a BalancerKey until the PROXY header is read). The
  // index is a copy: the destructor may run after the listeners are gone.
  const size_t listener_index_;
  std::string source_;
  std::string counted_as_;
  bool counted_ = true;

  // PROXY protocol state: the bytes read so far and, once the fixed part
  // is in, the length of the whole header (0 before).
  Bytes proxy_buf_;
  size_t proxy_size_ = 0;

  // TLS state: a handshake step runs on the worker pool (worker_busy_);
  // a close asked for meanwhile waits for it.
  AtlsHandshake handshake_;
  bool worker_busy_ = false;
  bool close_requested_ = false;

  // HTTP state.
  std::string inbuf_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::string outbuf_;
  size_t out_pos_ = 0;
  bool keep_alive_ = false;
  bool request_in_flight_ = false;
  uint64_t body_reserved_ = 0;  // out of the body budget
};

}  // namespace concord::net::internal

// One blocking client connection: a non-blocking TCP socket driven with
// poll(2) against monotonic deadlines, optionally OpenSSL on top, and the
// bytes read but not yet parsed. The one socket loop behind HttpsClient
// (aTLS, client.cc) and WebClient (ordinary HTTPS, web_client.cc): each
// client configures the SSL object and turns TLS failures into its own
// errors; this piece only moves bytes. Not thread-safe: one owner.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concord/common/posix/scoped_fd.h"
#include "concord/crypto/ssl_ptr.h"

namespace concord::net::internal {

// I/O deadlines are monotonic (an injected Clock only dates certificates).
using Deadline = std::chrono::steady_clock::time_point;

// Now + `timeout`; Deadline::max() for an infinite one.
Deadline DeadlineAfter(absl::Duration timeout);

// Called when a TLS operation fails (not a wait): the Status the caller
// reports. It may look at ssl() and received_alert(); the OpenSSL error
// queue is cleared after it returns.
using TlsErrorFn = absl::FunctionRef<absl::Status()>;

class BlockingConnection final {
 public:
  struct Options {
    // Polled with the socket: once readable, a wait returns Cancelled.
    // -1: none. Not owned.
    int cancel_fd = -1;
    // Record the last alert the peer sent (other than close_notify; see
    // received_alert()). Then an end of stream without close_notify after
    // such an alert is a TLS failure, not the end of the response.
    bool watch_alerts = false;
  };

  explicit BlockingConnection(Options options) : options_(options) {}
  BlockingConnection(const BlockingConnection&) = delete;
  BlockingConnection& operator=(const BlockingConnection&) = delete;

  bool open() const { return fd_.valid(); }
  // The SSL object after StartTls (null before, or for plain TCP).
  SSL* ssl() const { return ssl_.get(); }
  // The peer's last alert (SSL_AD_*) since Connect; -1 for none.
  int received_alert() const { return received_alert_; }
  // Bytes read and not yet consumed by the caller.
  std::string& inbuf() { return inbuf_; }

  // Closes the socket and drops the SSL object and unread bytes.
  void Close();

  // Closes any previous connection, resolves `host` (`numeric_host`: an IP
  // address, no DNS) and connects to the first address that answers by
  // `deadline`. Unavailable "connect <where>: <reason>" when none does;
  // waits report as Wait() with `wait_label`.
  absl::Status Connect(const std::string& host, uint16_t port, bool numeric_host,
                       absl::string_view where, absl::string_view wait_label, Deadline deadline);

  // A client SSL object from `ctx` on the connected socket, for the caller
  // to configure (ex data, ALPN, expected host) before Handshake(). Internal
  // "<what>" (with the OpenSSL queue) when OpenSSL fails.
  absl::StatusOr<SSL*> StartTls(SSL_CTX* ctx, absl::string_view what);

  // Runs the client handshake to its end by `deadline`. On failure the
  // connection is closed; a wait error as Wait() with `label`, a TLS error
  // what `on_error` says.
  absl::Status Handshake(Deadline deadline, absl::string_view label, TlsErrorFn on_error);

  // Writes all of `data` by `deadline`. Unavailable "<label>: <errno>" for
  // a socket error, `on_error` for a TLS one, a wait error as Wait().
  absl::Status WriteAll(absl::string_view data, Deadline deadline, absl::string_view label,
                        TlsErrorFn on_error);

  // Reads what is available (waiting for it by `deadline`) into inbuf();
  // the count, 0 at the end of the stream (close_notify, or a TCP close).
  // Errors as WriteAll.
  absl::StatusOr<size_t> ReadSome(Deadline deadline, absl::string_view label, TlsErrorFn on_error);

  // Waits until the socket is ready for `events` (POLLIN/POLLOUT).
  // Unavailable "<label>: timed out" at the deadline, "<label>: poll: ..."
  // when poll fails; Cancelled "<label>: cancelled" when the cancel fd is
  // readable.
  absl::Status Wait(short events, Deadline deadline, absl::string_view label);

 private:
  static void InfoCallback(const SSL* ssl, int where, int ret);

  const Options options_;
  posix::ScopedFd fd_;
  crypto::SslPtr<SSL> ssl_;
  int received_alert_ = -1;
  std::string inbuf_;
};

}  // namespace concord::net::internal

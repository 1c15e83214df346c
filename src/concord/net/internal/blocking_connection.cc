// The socket is non-blocking from the start (SOCK_NONBLOCK) so that every
// step, connect included, waits in poll(2) with the caller's deadline (and
// the cancel fd) instead of blocking in the kernel.
#include "concord/net/internal/blocking_connection.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "concord/common/status_macros.h"
#include "concord/crypto/openssl_status.h"

namespace concord::net::internal {
namespace {

int ConnectionIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

short WaitEvents(int ssl_error) { return ssl_error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT; }

}  // namespace

Deadline DeadlineAfter(absl::Duration timeout) {
  if (timeout == absl::InfiniteDuration()) {
    return Deadline::max();
  }
  return Deadline::clock::now() + absl::ToChronoNanoseconds(timeout);
}

void BlockingConnection::InfoCallback(const SSL* ssl, int where, int ret) {
  if ((where & SSL_CB_READ_ALERT) == 0) {
    return;
  }
  auto* connection = static_cast<BlockingConnection*>(SSL_get_ex_data(ssl, ConnectionIndex()));
  int alert = ret & 0xff;
  if (connection != nullptr && alert != SSL_AD_CLOSE_NOTIFY) {
    connection->received_alert_ = alert;
  }
}

void BlockingConnection::Close() {
  ssl_.reset();
  fd_.Reset();
  inbuf_.clear();
}

absl::Status BlockingConnection::Wait(short events, Deadline deadline, absl::string_view label) {
  const int cancel_fd = options_.cancel_fd;
  while (true) {
    int timeout_ms = -1;
    if (deadline != Deadline::max()) {
      absl::Duration left = absl::FromChrono(deadline - Deadline::clock::now());
      if (left <= absl::ZeroDuration()) {
        return absl::UnavailableError(absl::StrCat(label, ": timed out"));
      }
      timeout_ms = static_cast<int>(
          std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, int64_t{1000} * 60 * 60));
    }
    pollfd pfds[2] = {{fd_.get(), events, 0}, {cancel_fd, POLLIN, 0}};
    int n = ::poll(pfds, cancel_fd >= 0 ? 2 : 1, timeout_ms);
    if (n > 0) {
      if (cancel_fd >= 0 && (pfds[1].revents & POLLIN) != 0) {
        return absl::CancelledError(absl::StrCat(label, ": cancelled"));
      }
      return absl::OkStatus();
    }
    if (n < 0 && errno != EINTR) {
      return absl::UnavailableError(absl::StrCat(label, ": poll: ", std::strerror(errno)));
    }
  }
}

absl::Status BlockingConnection::Connect(const std::string& host, uint16_t port, bool numeric_host,
                                         absl::string_view where, absl::string_view wait_label,
                                         Deadline deadline) {
  Close();
  received_alert_ = -1;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = numeric_host ? AI_NUMERICHOST : 0;
  addrinfo* result = nullptr;
  std::string service = absl::StrCat(port);
  int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &result);
  if (rc != 0 || result == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("connect ", where, ": cannot resolve: ", gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(result, ::freeaddrinfo);
  absl::Status last = absl::UnavailableError(absl::StrCat("connect ", where, ": no address"));
  for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    posix::ScopedFd fd(
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (fd.get() < 0) {
      last = absl::UnavailableError(absl::StrCat("connect ", where, ": ", std::strerror(errno)));
      continue;
    }
    int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
      last = absl::UnavailableError(absl::StrCat("connect ", where, ": ", std::strerror(errno)));
      continue;
    }
    fd_ = std::move(fd);
    absl::Status waited = Wait(POLLOUT, deadline, wait_label);
    if (!waited.ok()) {
      last = waited;
      fd_.Reset();
      if (waited.code() == absl::StatusCode::kCancelled) {
        return waited;
      }
      continue;
    }
    int error = 0;
    socklen_t len = sizeof(error);
    if (::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) {
      last = absl::UnavailableError(
          absl::StrCat("connect ", where, ": ", std::strerror(error != 0 ? error : errno)));
      fd_.Reset();
      continue;
    }
    return absl::OkStatus();
  }
  return last;
}

absl::StatusOr<SSL*> BlockingConnection::StartTls(SSL_CTX* ctx, absl::string_view what) {
  ssl_.reset(SSL_new(ctx));
  if (ssl_ == nullptr || SSL_set_fd(ssl_.get(), fd_.get()) != 1 ||
      SSL_set_ex_data(ssl_.get(), ConnectionIndex(), this) != 1) {
    return crypto::OpenSslInternal(what);
  }
  if (options_.watch_alerts) {
    SSL_set_info_callback(ssl_.get(), InfoCallback);
  }
  SSL_set_connect_state(ssl_.get());
  return ssl_.get();
}

absl::Status BlockingConnection::Handshake(Deadline deadline, absl::string_view label,
                                           TlsErrorFn on_error) {
  while (true) {
    crypto::ClearOpenSslErrors();
    int result = SSL_do_handshake(ssl_.get());
    if (result == 1) {
      break;
    }
    int error = SSL_get_error(ssl_.get(), result);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      absl::Status waited = Wait(WaitEvents(error), deadline, label);
      if (!waited.ok()) {
        Close();
        return waited;
      }
      continue;
    }
    absl::Status status = on_error();
    crypto::ClearOpenSslErrors();
    Close();
    return status;
  }
  crypto::ClearOpenSslErrors();
  return absl::OkStatus();
}

absl::Status BlockingConnection::WriteAll(absl::string_view data, Deadline deadline,
                                          absl::string_view label, TlsErrorFn on_error) {
  size_t pos = 0;
  while (pos < data.size()) {
    if (ssl_ != nullptr) {
      size_t n = 0;
      crypto::ClearOpenSslErrors();
      int result = SSL_write_ex(ssl_.get(), data.data() + pos, data.size() - pos, &n);
      if (result == 1) {
        pos += n;
        continue;
      }
      int error = SSL_get_error(ssl_.get(), result);
      if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
        CONCORD_RETURN_IF_ERROR(Wait(WaitEvents(error), deadline, label));
        continue;
      }
      absl::Status status = on_error();
      crypto::ClearOpenSslErrors();
      return status;
    }
    ssize_t n = ::send(fd_.get(), data.data() + pos, data.size() - pos, MSG_NOSIGNAL);
    if (n > 0) {
      pos += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      CONCORD_RETURN_IF_ERROR(Wait(POLLOUT, deadline, label));
      continue;
    }
    return absl::UnavailableError(absl::StrCat(label, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> BlockingConnection::ReadSome(Deadline deadline, absl::string_view label,
                                                    TlsErrorFn on_error) {
  char buf[16 * 1024];
  while (true) {
    if (ssl_ != nullptr) {
      size_t n = 0;
      crypto::ClearOpenSslErrors();
      int result = SSL_read_ex(ssl_.get(), buf, sizeof(buf), &n);
      if (result == 1) {
        inbuf_.append(buf, n);
        return n;
      }
      int error = SSL_get_error(ssl_.get(), result);
      if (error == SSL_ERROR_ZERO_RETURN) {
        return 0;
      }
      if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
        CONCORD_RETURN_IF_ERROR(Wait(WaitEvents(error), deadline, label));
        continue;
      }
      if (error == SSL_ERROR_SYSCALL && received_alert_ < 0 && ERR_peek_error() == 0) {
        return 0;  // EOF without close_notify
      }
      absl::Status status = on_error();
      crypto::ClearOpenSslErrors();
      return status;
    }
    ssize_t n = ::recv(fd_.get(), buf, sizeof(buf), 0);
    if (n > 0) {
      inbuf_.append(buf, static_cast<size_t>(n));
      return static_cast<size_t>(n);
    }
    if (n == 0) {
      return 0;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      CONCORD_RETURN_IF_ERROR(Wait(POLLIN, deadline, label));
      continue;
    }
    return absl::UnavailableError(absl::StrCat(label, ": ", std::strerror(errno)));
  }
}

}  // namespace concord::net::internal

// Acceptors and the renewal timer live on strands of the shared io_context;
// StopAccepting closes them there and waits, so no accept completes after
// it returns. A connection over a limit is closed with a reset in the accept
// handler, before any Connection or SSL object exists; behind a balancer it
// counts against the balancer until the PROXY header names the client.
#include "concord/net/internal/listener.h"

#include <algorithm>
#include <future>
#include <string>

#include "absl/strings/str_cat.h"
#include "concord/common/status_macros.h"
#include "concord/net/internal/atls_handshake.h"
#include "concord/net/internal/connection.h"

namespace concord::net::internal {

absl::Status Listeners::Start() {
  std::lock_guard<std::mutex> lock(lifecycle_mu_);
  if (running_) {
    return absl::FailedPreconditionError("server: already started");
  }
  const ServerOptions& options = core_->options();
  bool any_tls = false;
  for (const ListenerOptions& listener : options.listeners) {
    any_tls = any_tls || listener.tls;
  }
  if (any_tls) {
    CONCORD_ASSIGN_OR_RETURN(std::shared_ptr<const Identity> identity,
                             core_->identity().Make({}, nullptr));
    core_->identity().Set(std::move(identity));
  }
  core_->listeners_.clear();
  const std::vector<size_t> limits = ListenerLimits(options);
  for (size_t index = 0; index < options.listeners.size(); ++index) {
    const ListenerOptions& listener_options = options.listeners[index];
    auto listener = std::make_unique<Listener>();
    listener->options = listener_options;
    listener->index = index;
    listener->max_connections = limits[index];
    if (listener_options.tls) {
      CONCORD_ASSIGN_OR_RETURN(listener->ctx, MakeServerContext(listener_options));
    }
    boost::system::error_code ec;
    asio::ip::address address = asio::ip::make_address(listener_options.address, ec);
    if (ec) {
      return absl::InvalidArgumentError(absl::StrCat("listener ", listener_options.name,
                                                     ": bad address ", listener_options.address));
    }
    tcp::endpoint endpoint(address, listener_options.port);
    listener->acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(core_->io()));
    listener->acceptor->open(endpoint.protocol(), ec);
    if (!ec) {
      listener->acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    }
    if (!ec) {
      listener->acceptor->bind(endpoint, ec);
    }
    if (!ec) {
      listener->acceptor->listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      core_->listeners_.clear();
      return absl::UnavailableError(absl::StrCat("listener ", listener_options.name,
                                                 ": cannot bind ", listener_options.address, ":",
                                                 listener_options.port, ": ", ec.message()));
    }
    listener->port = listener->acceptor->local_endpoint(ec).port();
    if (listener_options.handler_threads > 0) {
      listener->handler_pool =
          std::make_unique<asio::thread_pool>(listener_options.handler_threads);
    }
    core_->listeners_.push_back(std::move(listener));
  }
  core_->workers_ =
      std::make_unique<asio::thread_pool>(std::max<size_t>(1, options.worker_threads));
  core_->io().restart();
  work_.emplace(core_->io().get_executor());
  core_->accepting_.store(true);
  for (auto& listener : core_->listeners_) {
    Accept(*listener);
  }
  if (any_tls) {
    renewal_timer_ = std::make_unique<asio::steady_timer>(asio::make_strand(core_->io()));
    ScheduleRenewal();
  }
  for (size_t i = 0; i < std::max<size_t>(1, options.io_threads); ++i) {
    io_threads_.emplace_back([this] { core_->io().run(); });
  }
  running_ = true;
  return absl::OkStatus();
}

void Listeners::Accept(Listener& listener) {
  listener.acceptor->async_accept(
      asio::make_strand(core_->io()),
      [this, &listener](const boost::system::error_code& ec, tcp::socket socket) {
        if (!core_->accepting_.load() || !listener.acceptor->is_open()) {
          return;
        }
        if (!ec) {
          core_->connections_accepted_.fetch_add(1);
          Admit(listener, std::move(socket));
        }
        Accept(listener);
      });
}

void Listeners::Admit(Listener& listener, tcp::socket socket) {
  boost::system::error_code ec;
  tcp::endpoint remote = socket.remote_endpoint(ec);
  if (ec) {
    socket.close(ec);  // already gone
    return;
  }
  std::string source = ClientKey(remote.address());
  const bool proxied = listener.options.proxy_protocol;
  std::string counted_as = proxied ? BalancerKey(source) : source;
  if (!core_->AdmitConnection(
          listener.index, counted_as,
          proxied ? listener.max_connections : listener.options.max_connections_per_source)) {
    // A reset: no TLS, no buffers, and no TIME_WAIT left here.
    socket.set_option(asio::socket_base::linger(true, 0), ec);
    socket.close(ec);
    return;
  }
  auto connection = std::make_shared<Connection>(*core_, listener, std::move(socket),
                                                 std::move(source), std::move(counted_as));
  core_->Register(connection);
  asio::post(connection->executor(), [connection] { connection->Start(); });
}

void Listeners::ScheduleRenewal() {
  renewal_timer_->expires_after(absl::ToChronoNanoseconds(core_->options().certificate_renewal));
  renewal_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec || !core_->accepting_.load()) {
      return;
    }
    asio::post(core_->workers(), [this] {
      absl::StatusOr<std::shared_ptr<const Identity>> identity =
          core_->identity().Make({}, nullptr);
      if (identity.ok()) {
        core_->identity().Set(std::move(*identity));
      } else {
        // Keep serving the previous certificate; try again next interval.
        core_->log().Error("server certificate renewal failed",
                           {{"error", std::string(identity.status().message())}});
      }
      asio::post(renewal_timer_->get_executor(), [this] {
        if (core_->accepting_.load()) {
          ScheduleRenewal();
        }
      });
    });
  });
}

void Listeners::StopAccepting() {
  std::lock_guard<std::mutex> lock(lifecycle_mu_);
  if (!running_ || !core_->accepting_.exchange(false)) {
    return;
  }
  // Acceptors and the renewal timer live on their strands: close them there
  // and wait, so no accept completes after this returns.
  std::vector<std::shared_ptr<std::promise<void>>> done;
  for (auto& listener : core_->listeners_) {
    auto promise = std::make_shared<std::promise<void>>();
    done.push_back(promise);
    asio::post(listener->acceptor->get_executor(), [&listener, promise] {
      boost::system::error_code ec;
      listener->acceptor->close(ec);
      promise->set_value();
    });
  }
  if (renewal_timer_ != nullptr) {
    auto promise = std::make_shared<std::promise<void>>();
    done.push_back(promise);
    asio::post(renewal_timer_->get_executor(), [this, promise] {
      renewal_timer_->cancel();
      promise->set_value();
    });
  }
  for (auto& promise : done) {
    promise->get_future().wait();
  }
}

void Listeners::Shutdown(absl::Duration grace) {
  StopAccepting();
  std::lock_guard<std::mutex> lock(lifecycle_mu_);
  if (!running_) {
    return;
  }
  core_->WaitForRequests(grace);
  for (auto& connection : core_->Connections()) {
    connection->Close();
  }
  // Connections in a worker step close when it returns; handlers past the
  // grace period are not waited for beyond the worker pool's join below.
  core_->WaitForConnections(absl::Seconds(5));
  work_.reset();
  core_->io().stop();
  for (std::thread& thread : io_threads_) {
    thread.join();
  }
  io_threads_.clear();
  core_->workers().join();
  for (auto& listener : core_->listeners_) {
    if (listener->handler_pool != nullptr) {
      listener->handler_pool->join();
    }
  }
  // Run what the workers posted after the stop, so every connection is
  // released while the core is still alive.
  core_->io().restart();
  core_->io().poll();
  for (auto& connection : core_->Connections()) {
    connection->Close();
  }
  core_->io().poll();
  renewal_timer_.reset();
  running_ = false;
}

}  // namespace concord::net::internal

// EtcdStore: the Store contract on etcd's v3 JSON gateway. Unary calls go
// through one kept-alive WebClient per endpoint under a mutex, failing over
// to the next endpoint on transport errors; watches run a thread each that
// reads the key (range), then streams /v3/watch from the next revision and
// starts over with a bounded exponential backoff whenever the stream ends.
#include "concord/store/etcd/etcd_store.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "concord/common/status_macros.h"
#include "concord/net/web_client.h"
#include "concord/store/etcd/etcd_json.h"
#include "concord/store/password.h"

namespace concord::store {
namespace {

using etcd::WatchMessage;

constexpr size_t kMaxPasswordBytes = 1024;
// etcd sends a progress notification every 10 minutes by default; a stream
// silent for longer than this is presumed dead.
constexpr absl::Duration kWatchIdleTimeout = absl::Minutes(11);
constexpr size_t kMaxWatchLineBytes = 4 * 1024 * 1024;

absl::Status UrlError(absl::string_view field, absl::string_view detail) {
  return absl::InvalidArgumentError(absl::StrCat("store url etcd://: ", field, ": ", detail));
}

absl::Status CheckEndpoint(absl::string_view endpoint) {
  absl::string_view host = endpoint;
  absl::string_view port;
  if (!endpoint.empty() && endpoint.front() == '[') {
    size_t close = endpoint.find(']');
    if (close == absl::string_view::npos || close + 1 >= endpoint.size() ||
        endpoint[close + 1] != ':') {
      return UrlError(absl::StrCat("endpoint \"", endpoint, "\""), "want [ipv6]:port");
    }
    host = endpoint.substr(1, close - 1);
    port = endpoint.substr(close + 2);
  } else {
    size_t colon = endpoint.rfind(':');
    if (colon == absl::string_view::npos) {
      return UrlError(absl::StrCat("endpoint \"", endpoint, "\""), "want host:port");
    }
    host = endpoint.substr(0, colon);
    port = endpoint.substr(colon + 1);
  }
  uint32_t value = 0;
  if (host.empty() || port.empty() || port.size() > 5 || !absl::SimpleAtoi(port, &value) ||
      value == 0 || value > 65535 || !absl::ascii_isdigit(static_cast<unsigned char>(port[0]))) {
    return UrlError(absl::StrCat("endpoint \"", endpoint, "\""),
                    "want host:port with a port of 1..65535");
  }
  for (char c : host) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' &&
        c != '_') {
      return UrlError(absl::StrCat("endpoint \"", endpoint, "\""),
                      "host has a character outside [A-Za-z0-9.:_-]");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::Duration> ParseTimeout(absl::string_view name, absl::string_view value) {
  absl::Duration d;
  if (!absl::ParseDuration(value, &d) || d <= absl::ZeroDuration() || d > absl::Minutes(10)) {
    return UrlError(name, "want a duration such as 500ms or 5s, at most 10m");
  }
  return d;
}

// "prefix" + 1 in the last byte: the end of etcd's range over `prefix`.
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    unsigned char last = static_cast<unsigned char>(prefix.back());
    if (last < 0xff) {
      prefix.back() = static_cast<char>(last + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(1, '\0');  // everything
}

bool SameState(const absl::StatusOr<Bytes>& a, const absl::StatusOr<Bytes>& b) {
  if (a.ok() != b.ok()) {
    return false;
  }
  return a.ok() ? *a == *b : a.status().code() == b.status().code();
}

class EtcdStore;

class EtcdWatch final : public WatchHandle {
 public:
  EtcdWatch(EtcdStore& store, std::string key, WatchCallback callback);
  ~EtcdWatch() override;
  EtcdWatch(const EtcdWatch&) = delete;
  EtcdWatch& operator=(const EtcdWatch&) = delete;

 private:
  void Run();
  // One read + stream; returns when the stream ends or fails.
  void Session();
  void Report(const absl::StatusOr<Bytes>& state);
  bool Stopping() {
    absl::MutexLock lock(&mu_);
    return stop_;
  }

  EtcdStore& store_;
  const std::string key_;  // full etcd key
  const WatchCallback callback_;
  std::optional<absl::StatusOr<Bytes>> last_;  // watch thread only
  bool session_ok_ = false;                    // watch thread only
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  net::WebClient* streaming_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread thread_;  // last
};

class EtcdStore final : public Store {
 public:
  EtcdStore(EtcdStoreOptions options, Logger* log)
      : options_(std::move(options)), log_(log), clients_(options_.endpoints.size()) {}

  absl::StatusOr<Bytes> Get(absl::string_view key) override {
    CONCORD_RETURN_IF_ERROR(ValidateKeyOrLatest(key));
    CONCORD_ASSIGN_OR_RETURN(etcd::RangeResult range, Range(FullKey(key)));
    if (range.kvs.empty()) {
      return absl::NotFoundError(absl::StrCat("etcd get ", key, ": not found"));
    }
    if (range.kvs.size() != 1 || range.kvs[0].key != FullKey(key)) {
      return absl::DataLossError(absl::StrCat("etcd get ", key, ": unexpected keys in answer"));
    }
    if (range.kvs[0].value.size() > kMaxValueSize) {
      return absl::DataLossError(
          absl::StrCat("etcd get ", key, ": value over ", kMaxValueSize, " bytes"));
    }
    return std::move(range.kvs[0].value);
  }

  absl::Status Put(absl::string_view key, ByteView value) override {
    CONCORD_RETURN_IF_ERROR(ValidatePut(key, value));
    return Unary("etcd put", "/v3/kv/put", etcd::PutRequest(FullKey(key), value)).status();
  }

  absl::Status Delete(absl::string_view key) override {
    CONCORD_RETURN_IF_ERROR(ValidateKeyOrLatest(key));
    return Unary("etcd delete", "/v3/kv/deleterange", etcd::DeleteRequest(FullKey(key))).status();
  }

  absl::StatusOr<std::vector<std::string>> List(absl::string_view prefix) override {
    CONCORD_RETURN_IF_ERROR(ValidatePrefix(prefix));
    std::string from = FullKey(prefix);
    CONCORD_ASSIGN_OR_RETURN(
        std::string body,
        Unary("etcd list", "/v3/kv/range", etcd::RangeRequest(from, PrefixEnd(from), true)));
    CONCORD_ASSIGN_OR_RETURN(etcd::RangeResult range, etcd::ParseRangeResponse(body));
    std::vector<std::string> keys;
    std::string root = absl::StrCat(options_.prefix, "/");
    for (etcd::KeyValue& kv : range.kvs) {
      if (!absl::StartsWith(kv.key, root)) {
        return absl::DataLossError("etcd list: key outside the prefix in answer");
      }
      keys.push_back(kv.key.substr(root.size()));
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  absl::StatusOr<std::unique_ptr<WatchHandle>> Watch(absl::string_view key,
                                                     WatchCallback callback) override {
    CONCORD_RETURN_IF_ERROR(ValidateKeyOrLatest(key));
    return std::unique_ptr<WatchHandle>(
        std::make_unique<EtcdWatch>(*this, FullKey(key), std::move(callback)));
  }

  absl::Status Commit(const std::vector<Object>& objects,
                      const std::optional<Bytes>& expected_latest, ByteView new_latest) override {
    CONCORD_RETURN_IF_ERROR(ValidateCommit(objects, new_latest));
    std::vector<std::pair<std::string, ByteView>> puts;
    puts.reserve(objects.size() + 1);
    for (const Object& object : objects) {
      puts.emplace_back(FullKey(object.key), ByteView(object.value));
    }
    std::string latest = FullKey(kLatestKey);
    puts.emplace_back(latest, new_latest);
    CONCORD_ASSIGN_OR_RETURN(
        std::string body,
        Unary("etcd commit", "/v3/kv/txn", etcd::CommitTxnRequest(latest, expected_latest, puts)));
    CONCORD_ASSIGN_OR_RETURN(bool succeeded, etcd::ParseTxnResponse(body));
    if (!succeeded) {
      return absl::AbortedError("etcd commit: latest changed (compare-and-swap lost)");
    }
    return absl::OkStatus();
  }

  // --- for EtcdWatch ---

  std::string FullKey(absl::string_view key) const {
    return absl::StrCat(options_.prefix, "/", key);
  }

  absl::StatusOr<etcd::RangeResult> Range(const std::string& full_key) {
    CONCORD_ASSIGN_OR_RETURN(std::string body, Unary("etcd get", "/v3/kv/range",
                                                     etcd::RangeRequest(full_key, "", false)));
    return etcd::ParseRangeResponse(body);
  }

  // A client for one stream on the preferred endpoint, carrying the current
  // token.
  absl::StatusOr<std::unique_ptr<net::WebClient>> StreamClient() {
    size_t endpoint;
    std::string token;
    {
      absl::MutexLock lock(&mu_);
      endpoint = preferred_;
      if (!options_.user.empty() && token_.empty()) {
        CONCORD_RETURN_IF_ERROR(AuthenticateLocked());
      }
      token = token_;
    }
    net::WebClientOptions options = ClientOptions(endpoint);
    if (!token.empty()) {
      options.default_headers.emplace_back("Authorization", token);
    }
    return net::WebClient::Create(std::move(options));
  }

  // After a stream failed: let the next one try another endpoint; after an
  // auth error: fetch a new token.
  void StreamFailed(const absl::Status& status) {
    absl::MutexLock lock(&mu_);
    if (etcd::IsAuthTokenError(status)) {
      token_.clear();
    } else if (status.code() == absl::StatusCode::kUnavailable && options_.endpoints.size() > 1) {
      preferred_ = (preferred_ + 1) % options_.endpoints.size();
    }
  }

  const EtcdStoreOptions& options() const { return options_; }
  Logger* log() const { return log_; }

 private:
  static absl::Status ValidateKeyOrLatest(absl::string_view key) {
    return key == kLatestKey ? absl::OkStatus() : ValidateKey(key);
  }

  net::WebClientOptions ClientOptions(size_t endpoint) const {
    net::WebClientOptions options;
    options.base_url =
        absl::StrCat(options_.tls ? "https://" : "http://", options_.endpoints[endpoint]);
    options.ca_file = options_.ca_file;
    options.client_cert_file = options_.cert_file;
    options.client_key_file = options_.key_file;
    options.connect_timeout = options_.connect_timeout;
    options.io_timeout = options_.timeout;
    options.max_response_bytes = etcd::kMaxEtcdResponseBytes;
    return options;
  }

  absl::StatusOr<net::WebClient*> ClientLocked(size_t endpoint) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (clients_[endpoint] == nullptr) {
      CONCORD_ASSIGN_OR_RETURN(clients_[endpoint], net::WebClient::Create(ClientOptions(endpoint)));
    }
    return clients_[endpoint].get();
  }

  // One call to one endpoint: the body of a 200 answer, else the mapped
  // error.
  absl::StatusOr<std::string> CallLocked(size_t endpoint, absl::string_view operation,
                                         absl::string_view path, const std::string& body,
                                         bool with_token) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    CONCORD_ASSIGN_OR_RETURN(net::WebClient * client, ClientLocked(endpoint));
    std::vector<std::pair<std::string, std::string>> headers;
    if (with_token && !token_.empty()) {
      headers.emplace_back("Authorization", token_);
    }
    absl::StatusOr<net::HttpResponse> response =
        client->Call("POST", path, body, "application/json", headers);
    if (!response.ok()) {
      return absl::Status(response.status().code(),
                          absl::StrCat(operation, ": ", response.status().message()));
    }
    if (response->status != 200) {
      return etcd::GatewayError(operation, response->status, response->body);
    }
    return std::move(response->body);
  }

  absl::Status AuthenticateLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::string request = etcd::AuthenticateRequest(options_.user, options_.password.Reveal());
    absl::Status last = absl::UnavailableError("etcd authenticate: no endpoint");
    for (size_t i = 0; i < options_.endpoints.size(); ++i) {
      size_t endpoint = (preferred_ + i) % options_.endpoints.size();
      absl::StatusOr<std::string> body =
          CallLocked(endpoint, absl::StrCat("etcd authenticate as user ", options_.user),
                     "/v3/auth/authenticate", request, false);
      if (!body.ok()) {
        last = body.status();
        if (last.code() == absl::StatusCode::kUnavailable) {
          continue;
        }
        break;
      }
      absl::StatusOr<std::string> token = etcd::ParseAuthenticateResponse(*body);
      if (!token.ok()) {
        last = token.status();
        break;
      }
      preferred_ = endpoint;
      token_ = std::move(*token);
      last = absl::OkStatus();
      break;
    }
    std::fill(request.begin(), request.end(), '\0');
    return last;
  }

  // Tries the endpoints from the preferred one; fails over on Unavailable,
  // re-authenticates once on a token error.
  absl::StatusOr<std::string> Unary(absl::string_view operation, absl::string_view path,
                                    const std::string& body) {
    absl::MutexLock lock(&mu_);
    bool reauthenticated = false;
    absl::Status last;
    for (size_t i = 0; i < options_.endpoints.size(); ++i) {
      size_t endpoint = (preferred_ + i) % options_.endpoints.size();
      if (!options_.user.empty() && token_.empty()) {
        CONCORD_RETURN_IF_ERROR(AuthenticateLocked());
        endpoint = preferred_;
      }
      absl::StatusOr<std::string> result = CallLocked(endpoint, operation, path, body, true);
      if (!result.ok() && !options_.user.empty() && !reauthenticated &&
          etcd::IsAuthTokenError(result.status())) {
        reauthenticated = true;
        token_.clear();
        CONCORD_RETURN_IF_ERROR(AuthenticateLocked());
        result = CallLocked(preferred_, operation, path, body, true);
      }
      if (result.ok()) {
        if (endpoint != preferred_ && log_ != nullptr) {
          log_->Warning("etcd endpoint failover", {{"from", options_.endpoints[preferred_]},
                                                   {"to", options_.endpoints[endpoint]}});
        }
        preferred_ = endpoint;
        return result;
      }
      last = result.status();
      if (last.code() != absl::StatusCode::kUnavailable) {
        return last;
      }
    }
    return last;
  }

  const EtcdStoreOptions options_;
  Logger* const log_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<net::WebClient>> clients_ ABSL_GUARDED_BY(mu_);
  size_t preferred_ ABSL_GUARDED_BY(mu_) = 0;
  std::string token_ ABSL_GUARDED_BY(mu_);
};

EtcdWatch::EtcdWatch(EtcdStore& store, std::string key, WatchCallback callback)
    : store_(store),
      key_(std::move(key)),
      callback_(std::move(callback)),
      thread_([this] { Run(); }) {}

EtcdWatch::~EtcdWatch() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    if (streaming_ != nullptr) {
      streaming_->Cancel();
    }
  }
  thread_.join();
}

void EtcdWatch::Report(const absl::StatusOr<Bytes>& state) {
  if (last_.has_value() && SameState(*last_, state)) {
    return;
  }
  last_ = state;
  callback_(state);
}

void EtcdWatch::Run() {
  absl::Duration backoff = store_.options().reconnect_backoff_min;
  while (!Stopping()) {
    session_ok_ = false;
    Session();
    if (session_ok_) {
      backoff = store_.options().reconnect_backoff_min;
    }
    absl::MutexLock lock(&mu_);
    auto stopped = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stop_; };
    mu_.AwaitWithTimeout(absl::Condition(&stopped), backoff);
    backoff = std::min(backoff * 2, store_.options().reconnect_backoff_max);
  }
}

void EtcdWatch::Session() {
  absl::StatusOr<etcd::RangeResult> range = store_.Range(key_);
  if (!range.ok()) {
    Report(range.status());
    return;
  }
  if (range->kvs.empty()) {
    Report(absl::NotFoundError("etcd watch: key absent"));
  } else {
    Report(std::move(range->kvs[0].value));
  }
  absl::StatusOr<std::unique_ptr<net::WebClient>> client = store_.StreamClient();
  if (!client.ok()) {
    Report(client.status());
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    if (stop_) {
      return;
    }
    streaming_ = client->get();
  }
  std::string pending;
  absl::Status stream_error;
  auto on_chunk = [&](absl::string_view chunk) {
    pending.append(chunk.data(), chunk.size());
    size_t newline;
    while ((newline = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      if (absl::StripAsciiWhitespace(line).empty()) {
        continue;
      }
      absl::StatusOr<WatchMessage> message = etcd::ParseWatchMessage(line);
      if (!message.ok()) {
        stream_error = message.status();
        return false;
      }
      if (message->canceled || message->compact_revision != 0) {
        stream_error = absl::UnavailableError("etcd watch: canceled or compacted; re-reading");
        return false;
      }
      if (message->created) {
        session_ok_ = true;
      }
      for (const WatchMessage::Event& event : message->events) {
        if (event.kv.key != key_) {
          continue;
        }
        if (event.deleted) {
          Report(absl::NotFoundError("etcd watch: key deleted"));
        } else {
          Report(event.kv.value);
        }
      }
    }
    if (pending.size() > kMaxWatchLineBytes) {
      stream_error = absl::DataLossError("etcd watch: message too large");
      return false;
    }
    return true;
  };
  absl::StatusOr<net::HttpResponse> head =
      (*client)->Stream("POST", "/v3/watch", etcd::WatchCreateRequest(key_, range->revision + 1),
                        kWatchIdleTimeout, on_chunk);
  {
    absl::MutexLock lock(&mu_);
    streaming_ = nullptr;
  }
  if (Stopping()) {
    return;
  }
  absl::Status status = head.status();
  if (status.ok() && head->status != 200) {
    status = etcd::GatewayError("etcd watch", head->status, head->body);
  }
  if (status.ok()) {
    status = stream_error;
  }
  if (!status.ok()) {
    store_.StreamFailed(status);
    if (store_.log() != nullptr) {
      store_.log()->Warning("etcd watch reconnecting", {{"reason", std::string(status.message())}});
    }
  }
}

}  // namespace

absl::StatusOr<EtcdStoreOptions> ParseEtcdStoreUrl(absl::string_view rest) {
  EtcdStoreOptions options;
  absl::string_view query;
  size_t q = rest.find('?');
  if (q != absl::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (rest.find('#') != absl::string_view::npos) {
    return UrlError("url", "fragments are not supported");
  }
  size_t slash = rest.find('/');
  if (slash == absl::string_view::npos) {
    return UrlError("prefix", "want etcd://host:port[,host:port]/prefix");
  }
  absl::string_view authority = rest.substr(0, slash);
  absl::string_view prefix = rest.substr(slash + 1);
  if (authority.empty()) {
    return UrlError("endpoints", "want at least one host:port");
  }
  for (absl::string_view endpoint : absl::StrSplit(authority, ',')) {
    CONCORD_RETURN_IF_ERROR(CheckEndpoint(endpoint));
    options.endpoints.emplace_back(endpoint);
  }
  if (options.endpoints.size() > 16) {
    return UrlError("endpoints", "at most 16");
  }
  if (prefix.empty() || prefix.size() > 100) {
    return UrlError("prefix", "want 1 to 100 characters after the endpoints");
  }
  absl::Status prefix_ok = ValidateKey(prefix);
  if (!prefix_ok.ok()) {
    return UrlError("prefix", prefix_ok.message());
  }
  options.prefix = std::string(prefix);
  std::string password_file;
  std::string password_env;
  bool tls_set = false;
  if (!query.empty()) {
    for (absl::string_view pair : absl::StrSplit(query, '&')) {
      std::pair<absl::string_view, absl::string_view> kv =
          absl::StrSplit(pair, absl::MaxSplits('=', 1));
      absl::string_view name = kv.first;
      absl::string_view value = kv.second;
      if (value.empty()) {
        return UrlError(absl::StrCat("option ", name), "want name=value");
      }
      if (name == "tls") {
        if (value != "true" && value != "false") {
          return UrlError("option tls", "want true or false");
        }
        options.tls = value == "true";
        tls_set = true;
      } else if (name == "ca_file") {
        options.ca_file = std::string(value);
      } else if (name == "cert_file") {
        options.cert_file = std::string(value);
      } else if (name == "key_file") {
        options.key_file = std::string(value);
      } else if (name == "user") {
        options.user = std::string(value);
      } else if (name == "password_file") {
        password_file = std::string(value);
      } else if (name == "password_env") {
        password_env = std::string(value);
      } else if (name == "timeout") {
        CONCORD_ASSIGN_OR_RETURN(options.timeout, ParseTimeout("option timeout", value));
      } else if (name == "connect_timeout") {
        CONCORD_ASSIGN_OR_RETURN(options.connect_timeout,
                                 ParseTimeout("option connect_timeout", value));
      } else {
        return UrlError(absl::StrCat("option ", name),
                        "unknown (want tls, ca_file, cert_file, key_file, user, password_file, "
                        "password_env, timeout, connect_timeout)");
      }
    }
  }
  if (!options.ca_file.empty() || !options.cert_file.empty()) {
    if (tls_set && !options.tls) {
      return UrlError("option tls", "ca_file and cert_file need tls=true");
    }
    options.tls = true;
  }
  if (options.cert_file.empty() != options.key_file.empty()) {
    return UrlError("option cert_file", "cert_file and key_file go together");
  }
  if (!password_file.empty() && !password_env.empty()) {
    return UrlError("option password_file", "give password_file or password_env, not both");
  }
  if ((!password_file.empty() || !password_env.empty()) && options.user.empty()) {
    return UrlError("option user", "a password needs a user");
  }
  if (!options.user.empty()) {
    if (password_file.empty() && password_env.empty()) {
      return UrlError("option user", "needs password_file or password_env");
    }
    const PasswordSource source{.file = password_file, .env = password_env};
    const PasswordRules rules{.context = "store url etcd://:",
                              .code = absl::StatusCode::kInvalidArgument,
                              .max_bytes = kMaxPasswordBytes};
    CONCORD_ASSIGN_OR_RETURN(options.password, ReadStorePassword(source, rules));
  }
  return options;
}

absl::StatusOr<std::unique_ptr<Store>> OpenEtcdStoreWithOptions(EtcdStoreOptions options,
                                                                Logger* log) {
  if (options.endpoints.empty() || options.prefix.empty()) {
    return absl::InvalidArgumentError("etcd store: endpoints and prefix are required");
  }
  // Check the TLS files now, so a typo fails at startup.
  for (size_t i = 0; i < options.endpoints.size(); ++i) {
    net::WebClientOptions check;
    check.base_url = absl::StrCat(options.tls ? "https://" : "http://", options.endpoints[i]);
    check.ca_file = options.ca_file;
    check.client_cert_file = options.cert_file;
    check.client_key_file = options.key_file;
    absl::StatusOr<std::unique_ptr<net::WebClient>> client = net::WebClient::Create(check);
    if (!client.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("store url etcd://: ", client.status().message()));
    }
  }
  return std::unique_ptr<Store>(std::make_unique<EtcdStore>(std::move(options), log));
}

absl::StatusOr<std::unique_ptr<Store>> OpenEtcdStore(const StoreUrl& url, const Deps& deps) {
  CONCORD_ASSIGN_OR_RETURN(EtcdStoreOptions options, ParseEtcdStoreUrl(url.rest));
  return OpenEtcdStoreWithOptions(std::move(options), deps.log);
}

}  // namespace concord::store

// The etcd backend of the Store seam (DESIGN.md §6): etcd's v3 JSON gateway
// over net::WebClient. Objects live under "<prefix>/"; Commit is one txn
// (compare `latest`, then put every object and `latest`); Watch follows the
// gateway's streaming watch with revision tracking and re-reads the key on
// every reconnect. Several endpoints with failover, TLS and user/password
// auth with token refresh. Thread-safe (unary calls are serialized on one
// kept-alive connection; each watch has its own thread and connection).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "concord/crypto/secret_bytes.h"
#include "concord/store/registry.h"
#include "concord/store/store.h"

namespace concord::store {

// What an etcd:// URL says:
//   etcd://host:port[,host:port...]/prefix[?option=value&...]
// Options: tls=true|false (https to every endpoint; implied by ca_file or
// cert_file), ca_file, cert_file, key_file (PEM paths), user, password_file
// (file holding the password; one trailing newline is dropped),
// password_env (name of an environment variable holding it), timeout (per
// call, e.g. 5s; default 5s), connect_timeout (default 2s).
struct EtcdStoreOptions {
  std::vector<std::string> endpoints;  // "host:port" or "[v6]:port"
  std::string prefix;                  // no leading or trailing '/'
  bool tls = false;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string user;
  crypto::SecretBytes password;  // never logged or put in messages
  absl::Duration timeout = absl::Seconds(5);
  absl::Duration connect_timeout = absl::Seconds(2);
  // Watch reconnects back off from min to max, doubling.
  absl::Duration reconnect_backoff_min = absl::Milliseconds(50);
  absl::Duration reconnect_backoff_max = absl::Seconds(2);
};

// Parses the part after "etcd://" and reads the password it names.
// InvalidArgument naming the field (endpoint, prefix, option name) and what
// was expected; the password never appears in a message.
absl::StatusOr<EtcdStoreOptions> ParseEtcdStoreUrl(absl::string_view rest);

// Opens the store. Does not contact etcd: the first call does (and
// authenticates when a user is configured), so a coordinator can start
// while etcd is still coming up. Calls then return Unauthenticated for a
// wrong user or password and Unavailable when no endpoint answers.
absl::StatusOr<std::unique_ptr<Store>> OpenEtcdStoreWithOptions(EtcdStoreOptions options,
                                                                Logger* log);

// The registry factory for "etcd" (store/builtin.cc).
absl::StatusOr<std::unique_ptr<Store>> OpenEtcdStore(const StoreUrl& url, const Deps& deps);

}  // namespace concord::store

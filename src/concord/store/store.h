// The Store seam: an untrusted key/value store holding public, content-
// addressed objects plus one pointer, `latest`, that only Commit() changes by
// compare-and-swap. Used by history/ (and later the collateral cache); the
// backends live in store/{memory,file,etcd,redis}/ and only the composition
// root names one (store/builtin.h). Implementations are thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/common/bytes.h"

namespace concord::store {

// The one mutable pointer. Put() and Commit()'s objects may not name it.
inline constexpr absl::string_view kLatestKey = "latest";

// Longest key (it becomes a single file name in the file store).
inline constexpr size_t kMaxKeySize = 200;
// Largest single value. etcd caps a request at 1.5 MiB after base64 (4/3).
inline constexpr size_t kMaxValueSize = size_t{1} << 20;
// Largest Commit(): the sum of all object keys and values plus the new latest.
inline constexpr size_t kMaxCommitSize = size_t{1} << 20;
// Most objects in one Commit() (etcd's default transaction limit is 128).
inline constexpr size_t kMaxCommitObjects = 100;

// Checks a key: 1..kMaxKeySize characters from [a-z0-9/_.-], no leading or
// trailing '/', no empty segment ("//"), no "." segment and no ".." anywhere.
// InvalidArgument naming the problem.
[[nodiscard]] absl::Status ValidateKey(absl::string_view key);

// Checks a List() prefix: empty, or the characters and rules of a key except
// that it may end in '/'. InvalidArgument naming the problem.
[[nodiscard]] absl::Status ValidatePrefix(absl::string_view prefix);

// One object written by Commit().
struct Object {
  std::string key;
  Bytes value;
};

// Receives a watched key's state: its value, NotFound once it is deleted (or
// when it does not exist yet), or another error when the backend cannot read
// it (the watch keeps going and reports the next readable state).
using WatchCallback = std::function<void(const absl::StatusOr<Bytes>& state)>;

// Keeps a watch alive. Destroying it stops the watch: it waits for a callback
// that is running to return, and no callback runs afterwards. It must not be
// destroyed from inside its own callback, and the Store that made it must
// outlive it.
class WatchHandle {
 public:
  virtual ~WatchHandle() = default;
};

class Store {
 public:
  virtual ~Store() = default;

  // Returns the value of `key`. NotFound if absent; InvalidArgument for a bad
  // key; Unavailable when the backend cannot be reached (retry with backoff);
  // DataLoss when the stored record is unreadable or oversized.
  [[nodiscard]] virtual absl::StatusOr<Bytes> Get(absl::string_view key) = 0;

  // Writes `value` under `key`, replacing any previous value; writing the
  // same value again is a no-op (objects are content-addressed). The write is
  // atomic and durable when this returns OK. InvalidArgument for a bad key,
  // for kLatestKey, or a value over kMaxValueSize; Unavailable as for Get().
  [[nodiscard]] virtual absl::Status Put(absl::string_view key, ByteView value) = 0;

  // Removes `key`; OK if it is absent. For operators and garbage collection;
  // the history never deletes. Deleting kLatestKey is allowed (a watcher sees
  // NotFound). Errors as for Put().
  [[nodiscard]] virtual absl::Status Delete(absl::string_view key) = 0;

  // Returns every key that starts with `prefix`, sorted bytewise ascending.
  // InvalidArgument for a bad prefix; Unavailable as for Get().
  [[nodiscard]] virtual absl::StatusOr<std::vector<std::string>> List(absl::string_view prefix) = 0;

  // Calls `callback` with the state of `key` as of (or after) this call, and
  // again whenever the state differs from the last one it reported. Quick
  // successive changes may be coalesced, but the final state is always
  // reported. Callbacks for one watch run one at a time on a thread the handle
  // owns, never on the caller's thread; they should return quickly.
  // InvalidArgument for a bad key.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<WatchHandle>> Watch(
      absl::string_view key, WatchCallback callback) = 0;

  // Atomically: if the value of kLatestKey equals `expected_latest`
  // (std::nullopt: kLatestKey must not exist), writes every object and then
  // sets kLatestKey to `new_latest`. Otherwise returns Aborted (re-read and
  // retry) and writes nothing. `latest` is never half-written: readers see the
  // old or the new value. InvalidArgument for a bad or duplicate key, an
  // object named kLatestKey, or sizes over kMaxValueSize / kMaxCommitSize /
  // kMaxCommitObjects. On Unavailable or Internal the outcome is unknown:
  // re-read `latest`. Objects left over by an interrupted commit are harmless
  // (content-addressed and unreferenced).
  [[nodiscard]] virtual absl::Status Commit(const std::vector<Object>& objects,
                                            const std::optional<Bytes>& expected_latest,
                                            ByteView new_latest) = 0;
};

// Checks the arguments of Commit() (keys, duplicates, sizes) as every backend
// must. InvalidArgument naming the problem.
[[nodiscard]] absl::Status ValidateCommit(const std::vector<Object>& objects, ByteView new_latest);

// Checks the arguments of Put(). InvalidArgument naming the problem.
[[nodiscard]] absl::Status ValidatePut(absl::string_view key, ByteView value);

}  // namespace concord::store

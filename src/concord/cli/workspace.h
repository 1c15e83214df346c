// The operator's workspace directory (`concord set|verify|recover
// --workspace DIR`): the CA certificates, the seed shares of the first set,
// and head.json, the newest head this workspace has seen, which `concord
// recover` sends as the minimum head and which never moves backwards.
// Thread-compatible; one CLI process per workspace at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/crypto/hash.h"

namespace concord::cli {

inline constexpr absl::string_view kHeadFile = "head.json";
inline constexpr size_t kMaxHeadFileSize = 4096;

// head.json: {"transition": "<64 hex>", "generation": N}.
struct WorkspaceHead {
  crypto::Sha256Digest transition{};
  uint64_t generation = 0;
};
std::string EncodeHeadJson(const WorkspaceHead& head);
// Strict: InvalidArgument "head.json: <field>: ..." for unknown, missing or
// malformed fields or generation 0.
absl::StatusOr<WorkspaceHead> ParseHeadJson(absl::string_view json);

// Creates `dir` (and missing parents) with mode 0700. Unavailable /
// PermissionDenied naming the path on failure.
absl::Status MakeDirectories(const std::string& dir);

// dir/head.json, std::nullopt if the file does not exist. InvalidArgument if
// it is malformed; file errors as posix::ReadFileBounded.
absl::StatusOr<std::optional<WorkspaceHead>> ReadWorkspaceHead(const std::string& dir);

// What RecordWorkspaceHead did.
enum class HeadUpdate { kWritten, kUnchanged, kKeptNewer };
// Records `head` in dir/head.json unless the file already names a newer
// generation (kKeptNewer: the workspace never moves backwards). Aborted if
// the file names the same generation with another transition (a fork: the
// coordinator's history is not the one this workspace saw).
absl::StatusOr<HeadUpdate> RecordWorkspaceHead(const std::string& dir, const WorkspaceHead& head);

// "<dir>/<name>".
std::string JoinPath(absl::string_view dir, absl::string_view name);

}  // namespace concord::cli

#include "concord/cli/workspace.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "concord/common/hex.h"
#include "concord/common/posix/files.h"
#include "concord/common/status_macros.h"
#include "concord/common/strict_json.h"
#include "nlohmann/json.hpp"

namespace concord::cli {

std::string JoinPath(absl::string_view dir, absl::string_view name) {
  if (dir.empty()) {
    return std::string(name);
  }
  if (dir.back() == '/') {
    return absl::StrCat(dir, name);
  }
  return absl::StrCat(dir, "/", name);
}

std::string EncodeHeadJson(const WorkspaceHead& head) {
  nlohmann::ordered_json j;
  j["transition"] = HexEncode(head.transition);
  j["generation"] = head.generation;
  return j.dump(2) + "\n";
}

absl::StatusOr<WorkspaceHead> ParseHeadJson(absl::string_view json) {
  auto bad = [](absl::string_view field, absl::string_view want) {
    return absl::InvalidArgumentError(absl::StrCat("head.json: ", field, ": ", want));
  };
  // The schema is one flat object.
  CONCORD_ASSIGN_OR_RETURN(
      nlohmann::json j,
      json::ParseStrict<nlohmann::json>(
          json, {.document = "head.json",
                 .max_size = kMaxHeadFileSize,
                 .max_depth = 1,
                 .messages = {.too_deep = "{document}: {where}: want a string or a number"}}));
  if (!j.is_object()) {
    return bad("file", "want a JSON object");
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() != "transition" && it.key() != "generation") {
      return bad(it.key(), "unknown field");
    }
  }
  WorkspaceHead head;
  auto t = j.find("transition");
  if (t == j.end() || !t->is_string()) {
    return bad("transition", "want 64 hex characters");
  }
  absl::StatusOr<Bytes> bytes = HexDecodeExact(t->get<std::string>(), 32, "head.json: transition");
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(bytes.status().message());
  }
  std::copy(bytes->begin(), bytes->end(), head.transition.begin());
  auto g = j.find("generation");
  if (g == j.end() || !g->is_number_unsigned() || g->get<uint64_t>() == 0) {
    return bad("generation", "want a positive integer");
  }
  head.generation = g->get<uint64_t>();
  return head;
}

absl::Status MakeDirectories(const std::string& dir) {
  if (dir.empty()) {
    return absl::InvalidArgumentError("workspace: empty directory name");
  }
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') {
      continue;
    }
    std::string prefix = dir.substr(0, pos);
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      int err = errno;
      std::string msg = absl::StrCat("mkdir ", prefix, ": ", std::strerror(err));
      return err == EACCES || err == EPERM ? absl::PermissionDeniedError(msg)
                                           : absl::UnavailableError(msg);
    }
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("workspace: ", dir, " is not a directory"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<WorkspaceHead>> ReadWorkspaceHead(const std::string& dir) {
  std::string path = JoinPath(dir, kHeadFile);
  absl::StatusOr<Bytes> data = posix::ReadFileBounded(path, kMaxHeadFileSize);
  if (absl::IsNotFound(data.status())) {
    return std::nullopt;
  }
  if (!data.ok()) {
    return data.status();
  }
  absl::StatusOr<WorkspaceHead> head = ParseHeadJson(AsStringView(*data));
  if (!head.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", head.status().message()));
  }
  return *head;
}

absl::StatusOr<HeadUpdate> RecordWorkspaceHead(const std::string& dir, const WorkspaceHead& head) {
  CONCORD_ASSIGN_OR_RETURN(std::optional<WorkspaceHead> current, ReadWorkspaceHead(dir));
  if (current.has_value()) {
    if (current->generation > head.generation) {
      return HeadUpdate::kKeptNewer;
    }
    if (current->generation == head.generation) {
      if (current->transition == head.transition) {
        return HeadUpdate::kUnchanged;
      }
      return absl::AbortedError(
          absl::StrCat(JoinPath(dir, kHeadFile), ": generation ", head.generation,
                       " was recorded as transition ", HexEncode(current->transition),
                       ", the coordinator now names ", HexEncode(head.transition),
                       " (a forked or rolled-back history)"));
    }
  }
  CONCORD_RETURN_IF_ERROR(
      posix::WriteFileAtomic(JoinPath(dir, kHeadFile), AsBytes(EncodeHeadJson(head)), 0644));
  return HeadUpdate::kWritten;
}

}  // namespace concord::cli

// Access to the repository's testdata/ tree and per-test temporary directories
// (TESTONLY).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/common/bytes.h"

namespace concord::testing {

// Absolute path of `relative` under the repository's testdata/ directory.
std::string TestdataPath(absl::string_view relative);

// Reads a whole file (binary). NotFound / Internal on failure.
absl::StatusOr<Bytes> ReadFileBytes(const std::string& path);

// Reads a testdata file; aborts the test binary when it is missing, since a
// missing vector is a broken checkout, not a test outcome.
Bytes ReadTestdata(absl::string_view relative);

// Creates a fresh, empty directory under $TMPDIR (or /tmp) for one test and
// returns its path. The caller may remove it; leftovers are harmless.
std::string MakeTempDir(absl::string_view prefix = "concord");

}  // namespace concord::testing

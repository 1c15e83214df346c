// The `concord` operator CLI: command registration and the entry point used
// by main() and by tests. Each command writes its result to `out`, diagnostics
// to `err`, and returns the process exit code:
//   0  success / evidence or manifest valid
//   1  the input was read but is invalid (verification failed)
//   2  usage error or unreadable input
// Single-threaded.
#pragma once

#include <ostream>

namespace concord::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalid = 1;
inline constexpr int kExitUsage = 2;

// Parses `argv` and runs the selected command.
int RunConcordCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace concord::cli

// The command lines of bench's plain tools (concord_load, concord_flood):
// "--flag value" pairs; any mistake prints "<tool>: <what>" and exits 2.
// Single-threaded start-up code.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

namespace concord::bench {

// Prints "<tool>: <message>" on stderr and exits with status 2.
[[noreturn]] inline void Die(const char* tool, const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", tool, message.c_str());
  std::exit(2);
}

// What a tool makes of one pair.
enum class FlagValue { kOk, kBad, kUnknownFlag };

// Hands each "--flag value" pair of argv[1..] to `set`; dies naming the flag
// on a missing value, a value `set` calls bad, or a flag it does not know.
inline void ParseFlagPairs(
    const char* tool, int argc, char** argv,
    const std::function<FlagValue(const std::string& flag, const std::string& value)>& set) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      Die(tool, "missing value for " + flag);
    }
    const std::string value = argv[++i];
    switch (set(flag, value)) {
      case FlagValue::kOk:
        break;
      case FlagValue::kBad:
        Die(tool, "bad value for " + flag + ": " + value);
      case FlagValue::kUnknownFlag:
        Die(tool, "unknown flag " + flag);
    }
  }
}

}  // namespace concord::bench

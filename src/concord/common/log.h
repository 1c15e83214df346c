// Process logging (operators' view): one line per event on stderr, human
// readable by default ("2026-11-23T10:00:00.123Z INFO  manifest set
// generation=2 transition=ab12..."), or one JSON object per line for log
// collectors. Callers pass an event message and key/value fields; secrets
// must never be passed (reviewers check call sites; SecretBytes cannot be
// formatted). Thread-safe; a line is written with one write(2).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace concord {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };
enum class LogFormat { kHuman, kJson };

using LogFields = std::vector<std::pair<std::string, std::string>>;

// "debug", "info", "warning", "error" <-> LogLevel; false for anything else.
absl::string_view LogLevelName(LogLevel level);
bool ParseLogLevel(absl::string_view name, LogLevel* level);

class Logger final {
 public:
  // Receives each formatted line (with its trailing newline).
  using Sink = std::function<void(absl::string_view line)>;

  // The process-wide logger (stderr, human, info).
  static Logger& Default();

  Logger();  // stderr, human, info
  Logger(LogFormat format, LogLevel min_level, Sink sink);

  void Configure(LogFormat format, LogLevel min_level);
  void SetSink(Sink sink);

  void Log(LogLevel level, absl::string_view message, const LogFields& fields = {});
  void Debug(absl::string_view message, const LogFields& fields = {}) {
    Log(LogLevel::kDebug, message, fields);
  }
  void Info(absl::string_view message, const LogFields& fields = {}) {
    Log(LogLevel::kInfo, message, fields);
  }
  void Warning(absl::string_view message, const LogFields& fields = {}) {
    Log(LogLevel::kWarning, message, fields);
  }
  void Error(absl::string_view message, const LogFields& fields = {}) {
    Log(LogLevel::kError, message, fields);
  }

  // The formatted line without writing it (for tests).
  std::string Format(LogLevel level, absl::string_view message, const LogFields& fields) const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace concord

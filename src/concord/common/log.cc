#include "concord/common/log.h"

#include <unistd.h>

#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "concord/common/json_string.h"

namespace concord {
namespace {

void WriteStderr(absl::string_view line) {
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) {
      return;
    }
    done += static_cast<size_t>(n);
  }
}

// Human format: values with spaces, quotes or control characters are
// quoted and escaped so a line stays one line.
void AppendHumanValue(std::string& out, absl::string_view s) {
  bool plain = !s.empty();
  for (unsigned char c : s) {
    if (c <= 0x20 || c == '"' || c == '=' || c == 0x7f) {
      plain = false;
      break;
    }
  }
  if (plain) {
    out.append(s.data(), s.size());
  } else {
    AppendJsonQuoted(out, s);
  }
}

}  // namespace

struct Logger::State {
  std::mutex mu;
  LogFormat format = LogFormat::kHuman;
  LogLevel min_level = LogLevel::kInfo;
  Sink sink = WriteStderr;
};

absl::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

bool ParseLogLevel(absl::string_view name, LogLevel* level) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarning, LogLevel::kError}) {
    if (name == LogLevelName(l)) {
      *level = l;
      return true;
    }
  }
  return false;
}

Logger& Logger::Default() {
  static Logger* logger = new Logger();
  return *logger;
}

Logger::Logger() : state_(std::make_shared<State>()) {}

Logger::Logger(LogFormat format, LogLevel min_level, Sink sink)
    : state_(std::make_shared<State>()) {
  state_->format = format;
  state_->min_level = min_level;
  state_->sink = std::move(sink);
}

void Logger::Configure(LogFormat format, LogLevel min_level) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->format = format;
  state_->min_level = min_level;
}

void Logger::SetSink(Sink sink) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->sink = std::move(sink);
}

std::string Logger::Format(LogLevel level, absl::string_view message,
                           const LogFields& fields) const {
  LogFormat format;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    format = state_->format;
  }
  std::string time = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  std::string line;
  if (format == LogFormat::kJson) {
    line =
        absl::StrCat("{\"time\":\"", time, "\",\"level\":\"", LogLevelName(level), "\",\"msg\":");
    AppendJsonQuoted(line, message);
    for (const auto& [key, value] : fields) {
      line.push_back(',');
      AppendJsonQuoted(line, key);
      line.push_back(':');
      AppendJsonQuoted(line, value);
    }
    line += "}\n";
    return line;
  }
  std::string upper(LogLevelName(level));
  for (char& c : upper) {
    c = static_cast<char>(c - 'a' + 'A');
  }
  upper.resize(7, ' ');
  line = absl::StrCat(time, " ", upper, " ");
  for (unsigned char c : message) {
    line.push_back(c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c));
  }
  for (const auto& [key, value] : fields) {
    line.push_back(' ');
    line += key;
    line.push_back('=');
    AppendHumanValue(line, value);
  }
  line.push_back('\n');
  return line;
}

void Logger::Log(LogLevel level, absl::string_view message, const LogFields& fields) {
  Sink sink;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (level < state_->min_level) {
      return;
    }
    sink = state_->sink;
  }
  sink(Format(level, message, fields));
}

}  // namespace concord

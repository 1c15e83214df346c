#include "concord/store/redis/redis_url.h"

#include <cstdint>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "concord/common/status_macros.h"
#include "concord/store/store.h"

namespace concord::store {
namespace {

absl::Status UrlError(absl::string_view field, absl::string_view detail) {
  return absl::InvalidArgumentError(absl::StrCat("store url redis:// ", field, ": ", detail));
}

// A decimal integer in [min, max], no sign, no leading junk.
absl::StatusOr<int64_t> ParseBounded(absl::string_view field, absl::string_view text, int64_t min,
                                     int64_t max) {
  int64_t value = 0;
  bool digits_only = !text.empty() && text.size() <= 12;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digits_only = false;
    }
  }
  if (!digits_only || !absl::SimpleAtoi(text, &value) || value < min || value > max) {
    return UrlError(field, absl::StrCat("want an integer from ", min, " to ", max, ", got \"",
                                        absl::CEscape(text.substr(0, 32)), "\""));
  }
  return value;
}

bool IsHostChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

absl::Status ParseAuthority(absl::string_view authority, RedisOptions& options) {
  if (authority.find('@') != absl::string_view::npos) {
    // Never echo it: it may hold a password.
    return UrlError("host",
                    "credentials in the URL are not accepted (they would reach logs and process "
                    "listings); use user=, password_file= or password_env=");
  }
  if (authority.empty()) {
    return UrlError("host", "want host[:port], got nothing");
  }
  absl::string_view host;
  absl::string_view port;
  bool has_port = false;
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == absl::string_view::npos) {
      return UrlError("host", "IPv6 address without closing ']'");
    }
    host = authority.substr(1, close - 1);
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return UrlError("host", "want ':' after the IPv6 address");
      }
      has_port = true;
      port = after.substr(1);
    }
    if (host.empty()) {
      return UrlError("host", "empty IPv6 address");
    }
    for (char c : host) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') {
        return UrlError("host", "want an IPv6 address of hex digits, ':' and '.' in [...]");
      }
    }
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != absl::string_view::npos) {
      has_port = true;
      port = authority.substr(colon + 1);
    }
    if (host.empty() || host.size() > 253) {
      return UrlError("host", "want a host name or address of 1 to 253 characters");
    }
    for (char c : host) {
      if (!IsHostChar(c)) {
        return UrlError("host", "want letters, digits, '-', '_' and '.' (IPv6 goes in [...])");
      }
    }
  }
  options.host = std::string(host);
  if (has_port) {
    CONCORD_ASSIGN_OR_RETURN(int64_t value, ParseBounded("port", port, 1, 65535));
    options.port = static_cast<int>(value);
  }
  return absl::OkStatus();
}

bool IsEnvNameChar(char c, bool first) {
  if (c == '_' || (c >= 'A' && c <= 'Z')) {
    return true;
  }
  return !first && c >= '0' && c <= '9';
}

absl::Status ParseOption(absl::string_view name, absl::string_view value, RedisOptions& options) {
  if (name == "db") {
    CONCORD_ASSIGN_OR_RETURN(int64_t db, ParseBounded("db", value, 0, 9999));
    options.db = static_cast<int>(db);
  } else if (name == "user") {
    if (value.empty() || value.size() > 128) {
      return UrlError("user", "want an ACL user name of 1 to 128 characters");
    }
    for (char c : value) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
        return UrlError("user", "want letters, digits, '-', '_' and '.'");
      }
    }
    options.user = std::string(value);
  } else if (name == "password_file") {
    if (value.empty() || value.front() != '/' || value.size() > 1024) {
      return UrlError("password_file", "want an absolute path of at most 1024 characters");
    }
    options.password_file = std::string(value);
  } else if (name == "password_env") {
    if (value.empty() || value.size() > 128) {
      return UrlError("password_env", "want an environment variable name of 1 to 128 characters");
    }
    for (size_t i = 0; i < value.size(); ++i) {
      if (!IsEnvNameChar(value[i], i == 0)) {
        return UrlError("password_env", "want [A-Z_][A-Z0-9_]*");
      }
    }
    options.password_env = std::string(value);
  } else if (name == "connect_timeout_ms") {
    CONCORD_ASSIGN_OR_RETURN(int64_t ms, ParseBounded(name, value, 1, 60000));
    options.connect_timeout = absl::Milliseconds(ms);
  } else if (name == "timeout_ms") {
    CONCORD_ASSIGN_OR_RETURN(int64_t ms, ParseBounded(name, value, 1, 300000));
    options.command_timeout = absl::Milliseconds(ms);
  } else if (name == "replicas") {
    CONCORD_ASSIGN_OR_RETURN(int64_t n, ParseBounded(name, value, 0, 100));
    options.replicas = static_cast<int>(n);
  } else if (name == "wait_timeout_ms") {
    CONCORD_ASSIGN_OR_RETURN(int64_t ms, ParseBounded(name, value, 1, 60000));
    options.wait_timeout = absl::Milliseconds(ms);
  } else if (name == "keyspace_events") {
    if (value == "detect") {
      options.keyspace_events = RedisKeyspaceEvents::kDetect;
    } else if (value == "enable") {
      options.keyspace_events = RedisKeyspaceEvents::kEnable;
    } else if (value == "off") {
      options.keyspace_events = RedisKeyspaceEvents::kOff;
    } else {
      return UrlError("keyspace_events", absl::StrCat("want detect, enable or off, got \"",
                                                      absl::CEscape(value.substr(0, 32)), "\""));
    }
  } else {
    return UrlError(absl::StrCat("option \"", absl::CEscape(name.substr(0, 32)), "\""),
                    "unknown (want db, user, password_file, password_env, connect_timeout_ms, "
                    "timeout_ms, replicas, wait_timeout_ms or keyspace_events)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RedisOptions> ParseRedisUrl(absl::string_view rest) {
  if (rest.size() > kMaxRedisUrlSize) {
    return UrlError("url", absl::StrCat("longer than ", kMaxRedisUrlSize, " characters"));
  }
  for (char c : rest) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return UrlError("url", "contains a space, control or non-ASCII character");
    }
  }
  if (rest.find('#') != absl::string_view::npos) {
    return UrlError("url", "fragments ('#') are not supported");
  }
  if (rest.find('%') != absl::string_view::npos) {
    return UrlError("url", "percent-encoding is not supported");
  }
  RedisOptions options;
  absl::string_view query;
  size_t question = rest.find('?');
  if (question != absl::string_view::npos) {
    query = rest.substr(question + 1);
    rest = rest.substr(0, question);
  }
  size_t slash = rest.find('/');
  CONCORD_RETURN_IF_ERROR(ParseAuthority(rest.substr(0, slash), options));
  absl::string_view prefix =
      slash == absl::string_view::npos ? absl::string_view() : rest.substr(slash + 1);
  if (prefix.empty()) {
    return UrlError("prefix",
                    "want redis://host:port/<prefix> (every key is stored as "
                    "<prefix>/<key>), got no prefix");
  }
  if (absl::Status status = ValidateKey(prefix); !status.ok()) {
    return UrlError("prefix", status.message());
  }
  options.prefix = std::string(prefix);
  if (question != absl::string_view::npos) {
    if (query.empty()) {
      return UrlError("options", "empty query after '?'");
    }
    absl::flat_hash_set<std::string> seen;
    for (absl::string_view pair : absl::StrSplit(query, '&')) {
      size_t eq = pair.find('=');
      if (pair.empty() || eq == absl::string_view::npos || eq == 0) {
        return UrlError("options", absl::StrCat("want name=value, got \"",
                                                absl::CEscape(pair.substr(0, 32)), "\""));
      }
      absl::string_view name = pair.substr(0, eq);
      if (!seen.insert(std::string(name)).second) {
        return UrlError(absl::StrCat("option \"", absl::CEscape(name.substr(0, 32)), "\""),
                        "given more than once");
      }
      CONCORD_RETURN_IF_ERROR(ParseOption(name, pair.substr(eq + 1), options));
    }
  }
  if (!options.password_file.empty() && !options.password_env.empty()) {
    return UrlError("password_file", "give password_file or password_env, not both");
  }
  if (!options.user.empty() && options.password_file.empty() && options.password_env.empty()) {
    return UrlError("user", "an ACL user needs password_file= or password_env=");
  }
  if (options.replicas > 0 && options.wait_timeout >= options.command_timeout) {
    return UrlError("wait_timeout_ms",
                    "must be shorter than timeout_ms (the WAIT reply has to "
                    "arrive within the command timeout)");
  }
  return options;
}

}  // namespace concord::store

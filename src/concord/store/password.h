// The password a networked store backend (etcd://, redis://) authenticates
// with, as its URL names it: password_file= (a file holding it) or
// password_env= (an environment variable holding it). Read once, when the
// composition root opens the store; the password lives in SecretBytes and
// never appears in a message. Thread-compatible (reads the environment).
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concord/crypto/secret_bytes.h"

namespace concord::store {

// Where the URL says the password is; at most one of the two is set (the URL
// parsers refuse both).
struct PasswordSource {
  std::string file;  // password_file=: path of a file holding the password
  std::string env;   // password_env=: name of an environment variable holding it
};

// What the backend accepts, and how its errors read.
struct PasswordRules {
  // Prefix of every message, e.g. "store url redis://"; messages read
  // "<context> password_file: <path> is empty".
  absl::string_view context;
  // The code of every error (the backends differ in what they return for a
  // bad store URL).
  absl::StatusCode code = absl::StatusCode::kFailedPrecondition;
  // Longest password, not counting the file's trailing newline.
  size_t max_bytes = 1024;
  // Refuse a password file whose password contains CR, LF or NUL.
  bool one_line = false;
};

// Reads the password `source` names: the environment variable's value, or
// the file's content without one trailing "\n" (or "\r\n", as editors and
// `echo` write it). An empty SecretBytes when `source` names neither. Errors,
// all with `rules.code`, naming the option and the path or variable but
// never the content: the variable unset or empty; the file unopenable or
// unreadable, longer than `rules.max_bytes`, empty, or (with
// `rules.one_line`) holding more than one line.
absl::StatusOr<crypto::SecretBytes> ReadStorePassword(const PasswordSource& source,
                                                      const PasswordRules& rules);

}  // namespace concord::store

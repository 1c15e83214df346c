// Runs the `concord` CLI in process for tests: the arguments after
// "concord", with stdout and stderr captured. TESTONLY.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "concord/cli/cli.h"

namespace concord::cli {

struct CliResult {
  int code;
  std::string out;
  std::string err;
};

inline CliResult RunCli(std::vector<std::string> args) {
  args.insert(args.begin(), "concord");
  std::vector<const char*> argv;
  for (const std::string& a : args) {
    argv.push_back(a.c_str());
  }
  std::ostringstream out;
  std::ostringstream err;
  int code = RunConcordCli(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

}  // namespace concord::cli

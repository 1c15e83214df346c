// Test-only helpers for ca_test: a complete CA (root key + certificate, mesh
// key, bundle) made at a fixed time, and `openssl verify` runs. TESTONLY.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "concord/ca/ca_certs.h"
#include "concord/crypto/keys.h"
#include "concord/testing/fake_random.h"

namespace concord::ca::testing {

// 2030-01-01T00:00:00Z: well inside every certificate's validity here.
inline absl::Time TestNow() { return absl::FromUnixSeconds(1893456000); }

struct TestCa {
  crypto::PrivateKey root_key;
  crypto::PrivateKey mesh_key;
  Bytes root_der;
  CaBundle bundle;
};

inline TestCa MakeTestCa(uint64_t seed, absl::string_view deployment = "Test Deployment",
                         uint64_t generation = 1) {
  concord::testing::FakeRandom random(seed);
  auto root_key = crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP384);
  auto mesh_key = crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256);
  auto root = CreateRootCaCertificate(*root_key, deployment, TestNow(), random);
  auto bundle = CreateCaBundle(*root_key, *root, *mesh_key, generation, TestNow(), random);
  return TestCa{std::move(*root_key), std::move(*mesh_key), std::move(*root), std::move(*bundle)};
}

inline void WriteFile(const std::string& path, absl::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

// Runs a shell command (stdout and stderr captured).
inline CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    return result;
  }
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    result.output.append(buffer, n);
  }
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// `openssl verify -attime <at> -purpose <purpose> <args> <leaf>`.
inline CommandResult OpensslVerify(const std::string& args, const std::string& leaf_path,
                                   absl::Time at, absl::string_view purpose = "sslserver") {
  return RunCommand(absl::StrCat("openssl verify -attime ", absl::ToUnixSeconds(at), " -purpose ",
                                 purpose, " ", args, " ", leaf_path));
}

}  // namespace concord::ca::testing

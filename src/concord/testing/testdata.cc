#include "concord/testing/testdata.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"

namespace concord::testing {

std::string TestdataPath(absl::string_view relative) {
  return absl::StrCat(CONCORD_TESTDATA_DIR, "/", relative);
}

absl::StatusOr<Bytes> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("read ", path, ": cannot open"));
  }
  Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return data;
}

Bytes ReadTestdata(absl::string_view relative) {
  auto data = ReadFileBytes(TestdataPath(relative));
  if (!data.ok()) {
    std::fprintf(stderr, "missing testdata: %s\n", std::string(data.status().message()).c_str());
    std::abort();
  }
  return *std::move(data);
}

std::string MakeTempDir(absl::string_view prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string templ = absl::StrCat(base != nullptr ? base : "/tmp", "/", prefix, "-XXXXXX");
  if (mkdtemp(templ.data()) == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  return templ;
}

}  // namespace concord::testing

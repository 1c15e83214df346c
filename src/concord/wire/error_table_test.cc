// The API's error table both ways: every Status code to the HTTP status and
// "code" string docs/api.md lists, and every response back to the Status
// code the clients (user API and peer) read it as.
#include "concord/wire/error_table.h"

#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace concord::wire {
namespace {

using Code = absl::StatusCode;

struct Case {
  Code code;
  int http_status;
  std::string name;
  Code read_as;  // what a client makes of the response the server sends
};

// Every canonical code, as docs/api.md lists it.
const std::vector<Case>& AllCodes() {
  static const std::vector<Case> cases = {
      {Code::kOk, 200, "OK", Code::kUnknown},
      {Code::kCancelled, 503, "CANCELLED", Code::kUnavailable},
      {Code::kUnknown, 500, "UNKNOWN", Code::kInternal},
      {Code::kInvalidArgument, 400, "INVALID_ARGUMENT", Code::kInvalidArgument},
      {Code::kDeadlineExceeded, 503, "DEADLINE_EXCEEDED", Code::kDeadlineExceeded},
      {Code::kNotFound, 404, "NOT_FOUND", Code::kNotFound},
      {Code::kAlreadyExists, 409, "ALREADY_EXISTS", Code::kAlreadyExists},
      {Code::kPermissionDenied, 403, "PERMISSION_DENIED", Code::kPermissionDenied},
      {Code::kResourceExhausted, 413, "PAYLOAD_TOO_LARGE", Code::kInvalidArgument},
      {Code::kFailedPrecondition, 412, "FAILED_PRECONDITION", Code::kFailedPrecondition},
      {Code::kAborted, 409, "ABORTED", Code::kAborted},
      {Code::kOutOfRange, 400, "OUT_OF_RANGE", Code::kInvalidArgument},
      {Code::kUnimplemented, 501, "UNIMPLEMENTED", Code::kUnavailable},
      {Code::kInternal, 500, "INTERNAL", Code::kInternal},
      {Code::kUnavailable, 503, "UNAVAILABLE", Code::kUnavailable},
      {Code::kDataLoss, 500, "DATA_LOSS", Code::kDataLoss},
      {Code::kUnauthenticated, 401, "UNAUTHENTICATED", Code::kUnauthenticated},
  };
  return cases;
}

TEST(ErrorTableTest, EveryStatusCodeMapsToItsDocumentedStatusAndName) {
  for (const Case& c : AllCodes()) {
    EXPECT_EQ(HttpStatusForCode(c.code), c.http_status) << c.name;
    EXPECT_EQ(ErrorCodeName(c.code), c.name);
    EXPECT_EQ(ApiErrorCodeFor(c.code).sent_for, c.code) << c.name;
  }
}

TEST(ErrorTableTest, EveryResponseTheServerSendsReadsBackAsItsDocumentedCode) {
  for (const Case& c : AllCodes()) {
    EXPECT_EQ(ClientCodeForError(HttpStatusForCode(c.code), ErrorCodeName(c.code)), c.read_as)
        << c.name;
  }
  // The router's refusals are bad input for the client.
  EXPECT_EQ(ClientCodeForError(405, "METHOD_NOT_ALLOWED"), Code::kInvalidArgument);
  EXPECT_EQ(ClientCodeForError(415, "UNSUPPORTED_MEDIA_TYPE"), Code::kInvalidArgument);
}

TEST(ErrorTableTest, EveryCodeTheClientReadsComesBackFromItsOwnResponse) {
  // Server codes whose response a client reads as the same code.
  for (const Case& c : AllCodes()) {
    if (c.read_as == c.code) {
      EXPECT_EQ(ClientCodeForError(c.http_status, c.name), c.code) << c.name;
      EXPECT_EQ(ClientCodeForError(HttpStatusForCode(c.code), ErrorCodeName(c.code)), c.code);
    }
  }
  // Read but never sent.
  EXPECT_EQ(ClientCodeForError(429, "RESOURCE_EXHAUSTED"), Code::kResourceExhausted);
}

TEST(ErrorTableTest, NameDecidesOverHttpStatus) {
  EXPECT_EQ(ClientCodeForError(503, "NOT_FOUND"), Code::kNotFound);
  EXPECT_EQ(ClientCodeForError(409, "ALREADY_EXISTS"), Code::kAlreadyExists);
  EXPECT_EQ(ClientCodeForError(500, "DATA_LOSS"), Code::kDataLoss);
}

TEST(ErrorTableTest, UnknownOrMissingNameFallsBackToHttpStatus) {
  const std::vector<std::pair<int, Code>> cases = {{400, Code::kInvalidArgument},
                                                   {401, Code::kUnauthenticated},
                                                   {403, Code::kPermissionDenied},
                                                   {404, Code::kNotFound},
                                                   {405, Code::kInvalidArgument},
                                                   {409, Code::kAborted},
                                                   {412, Code::kFailedPrecondition},
                                                   {413, Code::kInvalidArgument},
                                                   {415, Code::kInvalidArgument},
                                                   {429, Code::kUnavailable},
                                                   {500, Code::kInternal},
                                                   {501, Code::kUnavailable},
                                                   {502, Code::kUnavailable},
                                                   {503, Code::kUnavailable},
                                                   {504, Code::kUnavailable},
                                                   {599, Code::kUnavailable},
                                                   {200, Code::kUnknown},
                                                   {302, Code::kUnknown},
                                                   {418, Code::kUnknown}};
  for (const auto& [http, code] : cases) {
    EXPECT_EQ(ClientCodeForHttpStatus(http), code) << http;
    EXPECT_EQ(ClientCodeForError(http, ""), code) << http;
    EXPECT_EQ(ClientCodeForError(http, "WHATEVER"), code) << http;
    // Names the table sends but has the client read by status.
    EXPECT_EQ(ClientCodeForError(http, "OK"), code) << http;
    EXPECT_EQ(ClientCodeForError(http, "CANCELLED"), code) << http;
  }
}

TEST(ErrorTableTest, RowsHaveUniqueNamesAndEachCodeIsSentOnce) {
  std::set<absl::string_view> names;
  std::set<Code> sent;
  for (const ApiErrorCode& row : ApiErrorTable()) {
    EXPECT_TRUE(names.insert(row.name).second) << row.name;
    if (row.sent_for.has_value()) {
      EXPECT_TRUE(sent.insert(*row.sent_for).second) << row.name;
      EXPECT_GT(row.http_status, 0) << row.name;
    }
  }
  EXPECT_EQ(sent.size(), AllCodes().size());
}

}  // namespace
}  // namespace concord::wire

// Strict parsing of the etcd v3 JSON gateway's answers: the common strict
// parser (concord/common/strict_json.h) and explicit type checks.
#include "concord/store/etcd/etcd_json.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "concord/common/status_macros.h"
#include "concord/common/strict_json.h"
#include "nlohmann/json.hpp"

namespace concord::store::etcd {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxJsonDepth = 16;

std::string B64(absl::string_view s) { return absl::Base64Escape(s); }
std::string B64(ByteView b) { return absl::Base64Escape(AsStringView(b)); }

absl::Status Bad(absl::string_view what, absl::string_view field, absl::string_view want) {
  return absl::DataLossError(absl::StrCat("etcd ", what, " response: ", field, ": want ", want));
}

// Strict JSON of at most kMaxEtcdResponseBytes bytes and kMaxJsonDepth
// levels, with messages in Bad()'s form. Not an object: DataLoss as well.
absl::StatusOr<Json> ParseObject(absl::string_view what, absl::string_view body) {
  const std::string document = absl::StrCat("etcd ", what, " response");
  absl::StatusOr<Json> parsed = json::ParseStrict<Json>(
      body,
      {.document = document,
       .max_size = kMaxEtcdResponseBytes,
       .max_depth = kMaxJsonDepth,
       .code = absl::StatusCode::kDataLoss,
       .messages = {.too_large = "{document}: larger than {limit} bytes",
                    .invalid = "{document}: body: want a JSON object, invalid JSON at {location}",
                    .too_deep = "{document}: {where}: want JSON nested at most {limit} deep"}});
  if (parsed.ok() && !parsed->is_object()) {
    return Bad(what, "body", "a JSON object");
  }
  return parsed;
}

// An int64 field: a decimal string (proto3 JSON) or a number; absent → 0.
absl::StatusOr<int64_t> Int64Field(absl::string_view what, const Json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end()) {
    return 0;
  }
  int64_t value = 0;
  if (it->is_string()) {
    if (!absl::SimpleAtoi(it->get_ref<const std::string&>(), &value)) {
      return Bad(what, field, "a decimal integer string");
    }
    return value;
  }
  if (it->is_number_integer()) {
    return it->get<int64_t>();
  }
  return Bad(what, field, "an integer");
}

absl::StatusOr<std::string> Base64Field(absl::string_view what, const Json& object,
                                        const char* field) {
  auto it = object.find(field);
  if (it == object.end()) {
    return std::string();
  }
  if (!it->is_string()) {
    return Bad(what, field, "a base64 string");
  }
  std::string out;
  if (!absl::Base64Unescape(it->get_ref<const std::string&>(), &out)) {
    return Bad(what, field, "valid base64");
  }
  return out;
}

absl::StatusOr<bool> BoolField(absl::string_view what, const Json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end()) {
    return false;
  }
  if (!it->is_boolean()) {
    return Bad(what, field, "a boolean");
  }
  return it->get<bool>();
}

absl::StatusOr<int64_t> HeaderRevision(absl::string_view what, const Json& object) {
  auto it = object.find("header");
  if (it == object.end() || !it->is_object()) {
    return Bad(what, "header", "an object");
  }
  absl::StatusOr<int64_t> revision = Int64Field(what, *it, "revision");
  if (!revision.ok()) {
    return revision.status();
  }
  if (*revision < 0) {
    return Bad(what, "header.revision", "a non-negative revision");
  }
  return revision;
}

// A range or txn answer: the object and its header's revision.
struct Revisioned {
  Json json;
  int64_t revision = 0;
};

absl::StatusOr<Revisioned> ParseRevisioned(absl::string_view what, absl::string_view body) {
  Revisioned out;
  CONCORD_ASSIGN_OR_RETURN(out.json, ParseObject(what, body));
  CONCORD_ASSIGN_OR_RETURN(out.revision, HeaderRevision(what, out.json));
  return out;
}

absl::StatusOr<KeyValue> ParseKv(absl::string_view what, const Json& kv) {
  if (!kv.is_object()) {
    return Bad(what, "kvs[]", "objects");
  }
  KeyValue out;
  absl::StatusOr<std::string> key = Base64Field(what, kv, "key");
  if (!key.ok()) {
    return key.status();
  }
  if (key->empty()) {
    return Bad(what, "kv.key", "a non-empty key");
  }
  absl::StatusOr<std::string> value = Base64Field(what, kv, "value");
  if (!value.ok()) {
    return value.status();
  }
  absl::StatusOr<int64_t> mod = Int64Field(what, kv, "mod_revision");
  if (!mod.ok()) {
    return mod.status();
  }
  out.key = std::move(*key);
  out.value = ToBytes(*value);
  out.mod_revision = *mod;
  return out;
}

absl::StatusCode CodeFor(int64_t grpc_code, int http_status) {
  switch (grpc_code) {
    case 3:
      return absl::StatusCode::kInvalidArgument;
    case 4:
    case 14:
    case 8:
      return absl::StatusCode::kUnavailable;
    case 7:
      return absl::StatusCode::kPermissionDenied;
    case 9:
      return absl::StatusCode::kFailedPrecondition;
    case 16:
      return absl::StatusCode::kUnauthenticated;
    default:
      return http_status >= 500 ? absl::StatusCode::kUnavailable : absl::StatusCode::kInternal;
  }
}

absl::Status ErrorFromObject(absl::string_view operation, int http_status, const Json& object) {
  int64_t code = 0;
  auto code_it = object.find("code");
  if (code_it != object.end() && code_it->is_number_integer()) {
    code = code_it->get<int64_t>();
  }
  std::string message;
  for (const char* field : {"message", "error"}) {
    auto it = object.find(field);
    if (it != object.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
      message = it->get<std::string>();
      break;
    }
  }
  if (message.size() > 200) {
    message.resize(200);
  }
  // The auth failure comes back as InvalidArgument; it is an authentication
  // outcome for the caller.
  absl::StatusCode status_code = CodeFor(code, http_status);
  if (absl::StrContains(message, "authentication failed")) {
    status_code = absl::StatusCode::kUnauthenticated;
  }
  return absl::Status(status_code,
                      absl::StrCat(operation, ": etcd: ", message.empty() ? "error" : message,
                                   " (code ", code, ", HTTP ", http_status, ")"));
}

}  // namespace

std::string RangeRequest(absl::string_view key, absl::string_view range_end, bool keys_only) {
  Json json = {{"key", B64(key)}};
  if (!range_end.empty()) {
    json["range_end"] = B64(range_end);
  }
  if (keys_only) {
    json["keys_only"] = true;
  }
  return json.dump();
}

std::string PutRequest(absl::string_view key, ByteView value) {
  return Json{{"key", B64(key)}, {"value", B64(value)}}.dump();
}

std::string DeleteRequest(absl::string_view key) { return Json{{"key", B64(key)}}.dump(); }

std::string CommitTxnRequest(absl::string_view compare_key, const std::optional<Bytes>& expected,
                             const std::vector<std::pair<std::string, ByteView>>& puts) {
  Json compare;
  if (expected.has_value()) {
    compare = {{"key", B64(compare_key)},
               {"target", "VALUE"},
               {"result", "EQUAL"},
               {"value", B64(ByteView(*expected))}};
  } else {
    compare = {{"key", B64(compare_key)},
               {"target", "CREATE"},
               {"result", "EQUAL"},
               {"create_revision", "0"}};
  }
  Json success = Json::array();
  for (const auto& [key, value] : puts) {
    success.push_back({{"request_put", {{"key", B64(key)}, {"value", B64(value)}}}});
  }
  return Json{{"compare", Json::array({compare})}, {"success", success}}.dump();
}

std::string WatchCreateRequest(absl::string_view key, int64_t start_revision) {
  return Json{{"create_request",
               {{"key", B64(key)},
                {"start_revision", absl::StrCat(start_revision)},
                {"progress_notify", true}}}}
      .dump();
}

std::string AuthenticateRequest(absl::string_view user, ByteView password) {
  std::string out = Json{{"name", std::string(user)}, {"password", ""}}.dump();
  // Splice the password in without leaving copies in a Json temporary.
  size_t at = out.rfind("\"\"");
  std::string quoted = Json(std::string(AsStringView(password))).dump();
  out.replace(at, 2, quoted);
  std::fill(quoted.begin(), quoted.end(), '\0');
  return out;
}

absl::StatusOr<RangeResult> ParseRangeResponse(absl::string_view body) {
  constexpr absl::string_view kWhat = "range";
  CONCORD_ASSIGN_OR_RETURN(Revisioned response, ParseRevisioned(kWhat, body));
  RangeResult out;
  out.revision = response.revision;
  auto kvs = response.json.find("kvs");
  if (kvs != response.json.end()) {
    if (!kvs->is_array()) {
      return Bad(kWhat, "kvs", "an array");
    }
    for (const Json& kv : *kvs) {
      CONCORD_ASSIGN_OR_RETURN(KeyValue parsed, ParseKv(kWhat, kv));
      out.kvs.push_back(std::move(parsed));
    }
  }
  return out;
}

absl::StatusOr<bool> ParseTxnResponse(absl::string_view body) {
  constexpr absl::string_view kWhat = "txn";
  CONCORD_ASSIGN_OR_RETURN(Revisioned response, ParseRevisioned(kWhat, body));
  return BoolField(kWhat, response.json, "succeeded");
}

absl::StatusOr<WatchMessage> ParseWatchMessage(absl::string_view line) {
  constexpr absl::string_view kWhat = "watch";
  absl::StatusOr<Json> json = ParseObject(kWhat, line);
  if (!json.ok()) {
    return json.status();
  }
  auto error = json->find("error");
  if (error != json->end()) {
    if (!error->is_object()) {
      return Bad(kWhat, "error", "an object");
    }
    auto http_code = error->find("http_code");
    int http_status =
        http_code != error->end() && http_code->is_number_integer() ? http_code->get<int>() : 500;
    return ErrorFromObject("watch", http_status, *error);
  }
  auto result = json->find("result");
  if (result == json->end() || !result->is_object()) {
    return Bad(kWhat, "result", "an object");
  }
  WatchMessage out;
  absl::StatusOr<int64_t> revision = HeaderRevision(kWhat, *result);
  if (!revision.ok()) {
    return revision.status();
  }
  out.revision = *revision;
  absl::StatusOr<bool> created = BoolField(kWhat, *result, "created");
  absl::StatusOr<bool> canceled = BoolField(kWhat, *result, "canceled");
  absl::StatusOr<int64_t> compact = Int64Field(kWhat, *result, "compact_revision");
  for (const absl::Status& s : {created.status(), canceled.status(), compact.status()}) {
    if (!s.ok()) {
      return s;
    }
  }
  out.created = *created;
  out.canceled = *canceled;
  out.compact_revision = *compact;
  auto events = result->find("events");
  if (events != result->end()) {
    if (!events->is_array()) {
      return Bad(kWhat, "events", "an array");
    }
    for (const Json& event : *events) {
      if (!event.is_object()) {
        return Bad(kWhat, "events[]", "objects");
      }
      WatchMessage::Event parsed;
      auto type = event.find("type");
      if (type != event.end()) {
        if (!type->is_string() || (*type != "PUT" && *type != "DELETE")) {
          return Bad(kWhat, "events[].type", "PUT or DELETE");
        }
        parsed.deleted = *type == "DELETE";
      }
      auto kv = event.find("kv");
      if (kv == event.end()) {
        return Bad(kWhat, "events[].kv", "an object");
      }
      CONCORD_ASSIGN_OR_RETURN(parsed.kv, ParseKv(kWhat, *kv));
      out.events.push_back(std::move(parsed));
    }
  }
  return out;
}

absl::StatusOr<std::string> ParseAuthenticateResponse(absl::string_view body) {
  constexpr absl::string_view kWhat = "authenticate";
  absl::StatusOr<Json> json = ParseObject(kWhat, body);
  if (!json.ok()) {
    return json.status();
  }
  auto token = json->find("token");
  if (token == json->end() || !token->is_string() || token->get_ref<const std::string&>().empty() ||
      token->get_ref<const std::string&>().size() > 4096) {
    return Bad(kWhat, "token", "a non-empty string of at most 4096 characters");
  }
  for (char c : token->get_ref<const std::string&>()) {
    if (c < 0x21 || c > 0x7e) {
      return Bad(kWhat, "token", "printable ASCII");
    }
  }
  return token->get<std::string>();
}

absl::Status GatewayError(absl::string_view operation, int http_status, absl::string_view body) {
  absl::StatusOr<Json> json = ParseObject("error", body);
  if (!json.ok()) {
    return absl::Status(
        http_status >= 500 ? absl::StatusCode::kUnavailable : absl::StatusCode::kInternal,
        absl::StrCat(operation, ": etcd answered HTTP ", http_status));
  }
  return ErrorFromObject(operation, http_status, *json);
}

bool IsAuthTokenError(const absl::Status& status) {
  absl::string_view m = status.message();
  return absl::StrContains(m, "invalid auth token") || absl::StrContains(m, "user name is empty") ||
         absl::StrContains(m, "auth token") ||
         (status.code() == absl::StatusCode::kUnauthenticated &&
          !absl::StrContains(m, "authentication failed"));
}

}  // namespace concord::store::etcd

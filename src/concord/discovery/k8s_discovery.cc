#include "concord/discovery/k8s_discovery.h"

#include <arpa/inet.h>

#include <array>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "concord/common/json_fields.h"
#include "concord/common/posix/files.h"
#include "concord/common/status_macros.h"
#include "concord/common/strict_json.h"
#include "concord/discovery/static_discovery.h"
#include "nlohmann/json.hpp"

namespace concord::discovery {
namespace {

using Json = nlohmann::json;
using json::Member;

absl::Status Malformed(absl::string_view path, absl::string_view what) {
  return absl::DataLossError(absl::StrCat("pod list: ", path, ": ", what));
}

absl::Status WantType(const Json& value, Json::value_t type, absl::string_view type_name,
                      absl::string_view path) {
  if (value.type() == type) {
    return absl::OkStatus();
  }
  return Malformed(path, absl::StrCat("want ", type_name, ", got ", json::TypeName(value)));
}

// Strict JSON of at most kMaxPodListSize bytes; the parser stops at nesting
// deeper than kMaxPodListNesting. A tampered or truncated answer is DataLoss.
constexpr json::StrictJsonOptions kParseOptions{
    .document = "pod list",
    .max_size = kMaxPodListSize,
    .max_depth = kMaxPodListNesting,
    .code = absl::StatusCode::kDataLoss,
    .messages = {.invalid = "{document}: not well-formed JSON",
                 .too_deep = "{document}: {where}: nests deeper than {limit} levels"},
};

bool IsIpLiteral(const std::string& text) {
  in_addr v4;
  in6_addr v6;
  return inet_pton(AF_INET, text.c_str(), &v4) == 1 || inet_pton(AF_INET6, text.c_str(), &v6) == 1;
}

// One item; nullopt-like empty host when the pod is not a ready peer.
absl::StatusOr<std::optional<PeerAddress>> ParsePod(const Json& item, const std::string& path,
                                                    uint16_t port) {
  if (absl::Status s = WantType(item, Json::value_t::object, "an object", path); !s.ok()) {
    return s;
  }
  const std::string metadata_path = absl::StrCat(path, ".metadata");
  const Json* metadata = Member(item, "metadata");
  if (metadata == nullptr) {
    return Malformed(metadata_path, "required");
  }
  if (absl::Status s = WantType(*metadata, Json::value_t::object, "an object", metadata_path);
      !s.ok()) {
    return s;
  }
  const std::string name_path = absl::StrCat(metadata_path, ".name");
  const Json* name = Member(*metadata, "name");
  if (name == nullptr) {
    return Malformed(name_path, "required");
  }
  if (absl::Status s = WantType(*name, Json::value_t::string, "a string", name_path); !s.ok()) {
    return s;
  }
  const std::string& name_text = name->get_ref<const std::string&>();
  if (name_text.empty() || name_text.size() > kMaxHostNameSize) {
    return Malformed(name_path, absl::StrCat("want 1 to ", kMaxHostNameSize, " characters"));
  }
  if (const Json* deletion = Member(*metadata, "deletionTimestamp"); deletion != nullptr) {
    if (absl::Status s = WantType(*deletion, Json::value_t::string, "a string",
                                  absl::StrCat(metadata_path, ".deletionTimestamp"));
        !s.ok()) {
      return s;
    }
    return std::optional<PeerAddress>();  // terminating
  }
  const std::string status_path = absl::StrCat(path, ".status");
  const Json* status = Member(item, "status");
  if (status == nullptr) {
    return std::optional<PeerAddress>();  // not scheduled yet
  }
  if (absl::Status s = WantType(*status, Json::value_t::object, "an object", status_path);
      !s.ok()) {
    return s;
  }
  std::string ip;
  const std::string ip_path = absl::StrCat(status_path, ".podIP");
  if (const Json* pod_ip = Member(*status, "podIP"); pod_ip != nullptr) {
    if (absl::Status s = WantType(*pod_ip, Json::value_t::string, "a string", ip_path); !s.ok()) {
      return s;
    }
    ip = pod_ip->get<std::string>();
    if (!ip.empty() && !IsIpLiteral(ip)) {
      return Malformed(ip_path, "want an IP address");
    }
  }
  bool ready = false;
  const std::string conditions_path = absl::StrCat(status_path, ".conditions");
  if (const Json* conditions = Member(*status, "conditions"); conditions != nullptr) {
    if (absl::Status s = WantType(*conditions, Json::value_t::array, "an array", conditions_path);
        !s.ok()) {
      return s;
    }
    for (size_t i = 0; i < conditions->size(); ++i) {
      const Json& condition = (*conditions)[i];
      const std::string condition_path = absl::StrCat(conditions_path, "[", i, "]");
      if (absl::Status s = WantType(condition, Json::value_t::object, "an object", condition_path);
          !s.ok()) {
        return s;
      }
      const Json* type = Member(condition, "type");
      const Json* value = Member(condition, "status");
      if (type == nullptr) {
        return Malformed(absl::StrCat(condition_path, ".type"), "required");
      }
      if (value == nullptr) {
        return Malformed(absl::StrCat(condition_path, ".status"), "required");
      }
      if (absl::Status s = WantType(*type, Json::value_t::string, "a string",
                                    absl::StrCat(condition_path, ".type"));
          !s.ok()) {
        return s;
      }
      if (absl::Status s = WantType(*value, Json::value_t::string, "a string",
                                    absl::StrCat(condition_path, ".status"));
          !s.ok()) {
        return s;
      }
      if (type->get_ref<const std::string&>() == "Ready") {
        ready = value->get_ref<const std::string&>() == "True";
      }
    }
  }
  if (!ready || ip.empty()) {
    return std::optional<PeerAddress>();
  }
  return std::optional<PeerAddress>(PeerAddress{std::move(ip), port, name_text});
}

bool SelectorChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
         c == '/' || c == '=' || c == ',' || c == '!' || c == '(' || c == ')';
}

}  // namespace

absl::StatusOr<std::vector<PeerAddress>> ParsePodList(absl::string_view json, uint16_t port) {
  CONCORD_ASSIGN_OR_RETURN(Json root, json::ParseStrict<Json>(json, kParseOptions));
  if (!root.is_object()) {
    return Malformed("body", absl::StrCat("want an object, got ", json::TypeName(root)));
  }
  if (const Json* kind = Member(root, "kind"); kind != nullptr) {
    if (!kind->is_string() || kind->get_ref<const std::string&>() != "PodList") {
      return Malformed("kind", "want \"PodList\"");
    }
  }
  const Json* items = Member(root, "items");
  if (items == nullptr) {
    // The API server sends "items": [] for an empty list; older servers
    // and proxies may drop it as null.
    return std::vector<PeerAddress>{};
  }
  if (absl::Status s = WantType(*items, Json::value_t::array, "an array", "items"); !s.ok()) {
    return s;
  }
  if (items->size() > kMaxPodListItems) {
    return Malformed("items",
                     absl::StrCat("want at most ", kMaxPodListItems, " pods, got ", items->size()));
  }
  std::vector<PeerAddress> peers;
  for (size_t i = 0; i < items->size(); ++i) {
    absl::StatusOr<std::optional<PeerAddress>> pod =
        ParsePod((*items)[i], absl::StrCat("items[", i, "]"), port);
    if (!pod.ok()) {
      return pod.status();
    }
    if (pod->has_value()) {
      peers.push_back(**std::move(pod));
    }
  }
  SortAndDeduplicate(peers);
  return peers;
}

absl::Status ValidateNamespace(absl::string_view name) {
  bool ok = !name.empty() && name.size() <= 63 && name.front() != '-' && name.back() != '-';
  for (char c : name) {
    if (!(absl::ascii_islower(static_cast<unsigned char>(c)) ||
          absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      ok = false;
    }
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        "k8s peers: namespace: want a DNS-1123 label (1 to 63 of [a-z0-9-], no leading or "
        "trailing '-')");
  }
  return absl::OkStatus();
}

absl::Status ValidateLabelSelector(absl::string_view selector) {
  if (selector.empty() || selector.size() > 1024) {
    return absl::InvalidArgumentError("k8s peers: selector: want 1 to 1024 characters");
  }
  for (char c : selector) {
    if (!SelectorChar(c)) {
      return absl::InvalidArgumentError(
          "k8s peers: selector: want characters from [A-Za-z0-9._/=,!()-]");
    }
  }
  return absl::OkStatus();
}

std::string PodListTarget(absl::string_view namespace_name, absl::string_view selector) {
  std::string target = absl::StrCat("/api/v1/namespaces/", namespace_name, "/pods?labelSelector=");
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : selector) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(u) || c == '.' || c == '_' || c == '-' || c == '~') {
      target.push_back(c);
    } else {
      target.push_back('%');
      target.push_back(kHex[u >> 4]);
      target.push_back(kHex[u & 0xf]);
    }
  }
  return target;
}

absl::StatusOr<std::string> ReadBearerToken(const std::string& path) {
  absl::StatusOr<Bytes> data = posix::ReadFileBounded(path, kMaxTokenSize);
  if (absl::IsInvalidArgument(data.status())) {
    return absl::FailedPreconditionError(absl::StrCat("k8s discovery: token file ", path,
                                                      ": larger than ", kMaxTokenSize, " bytes"));
  }
  if (!data.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "k8s discovery: token file ", path, ": cannot be opened (", data.status().message(), ")"));
  }
  std::string token = ToString(*data);
  absl::StripTrailingAsciiWhitespace(&token);
  if (token.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("k8s discovery: token file ", path, ": empty"));
  }
  for (char c : token) {
    if (c <= 0x20 || c >= 0x7f) {
      return absl::FailedPreconditionError(absl::StrCat("k8s discovery: token file ", path,
                                                        ": want printable ASCII without spaces"));
    }
  }
  return token;
}

absl::StatusOr<std::unique_ptr<K8sDiscovery>> K8sDiscovery::Create(K8sDiscoveryOptions options) {
  if (absl::Status s = ValidateNamespace(options.namespace_name); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateLabelSelector(options.selector); !s.ok()) {
    return s;
  }
  if (options.port == 0) {
    return absl::InvalidArgumentError("k8s peers: port: want 1..65535");
  }
  if (options.api_base_url.empty()) {
    return absl::InvalidArgumentError(
        "k8s peers: no API server (KUBERNETES_SERVICE_HOST is not set: not running in a pod?)");
  }
  net::WebClientOptions web;
  web.base_url = options.api_base_url;
  web.ca_file = options.ca_file;
  web.connect_timeout = options.connect_timeout;
  web.io_timeout = options.io_timeout;
  web.max_response_bytes = kMaxPodListSize;
  absl::StatusOr<std::unique_ptr<net::WebClient>> client = net::WebClient::Create(std::move(web));
  if (!client.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("k8s peers: API server client: ", client.status().message()));
  }
  return std::unique_ptr<K8sDiscovery>(new K8sDiscovery(std::move(options), *std::move(client)));
}

absl::StatusOr<std::vector<PeerAddress>> K8sDiscovery::Peers() {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!options_.token_file.empty()) {
    absl::StatusOr<std::string> token = ReadBearerToken(options_.token_file);
    if (!token.ok()) {
      return token.status();
    }
    headers.emplace_back("Authorization", absl::StrCat("Bearer ", *token));
  }
  headers.emplace_back("Accept", "application/json");
  const std::string target = PodListTarget(options_.namespace_name, options_.selector);
  absl::StatusOr<net::HttpResponse> response;
  {
    absl::MutexLock lock(&mu_);
    response = client_->Call("GET", target, "", "", headers);
  }
  if (!response.ok()) {
    if (response.status().code() == absl::StatusCode::kDataLoss) {
      return absl::DataLossError(
          absl::StrCat("k8s discovery: listing pods: ", response.status().message()));
    }
    return absl::UnavailableError(
        absl::StrCat("k8s discovery: listing pods: ", response.status().message()));
  }
  const int status = response->status;
  if (status == 401 || status == 403 || status == 404) {
    return absl::FailedPreconditionError(absl::StrCat(
        "k8s discovery: the API server answered ", status, " to listing pods in namespace ",
        options_.namespace_name,
        status == 404 ? " (no such namespace?)"
                      : " (the service account needs get/list on pods in this namespace)"));
  }
  if (status != 200) {
    return absl::UnavailableError(
        absl::StrCat("k8s discovery: the API server answered ", status, " to listing pods"));
  }
  return ParsePodList(response->body, options_.port);
}

}  // namespace concord::discovery

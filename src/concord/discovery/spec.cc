#include "concord/discovery/spec.h"

#include <fstream>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "concord/discovery/static_discovery.h"

namespace concord::discovery {
namespace {

absl::StatusOr<DiscoverySpec> ParseK8s(absl::string_view rest) {
  DiscoverySpec spec;
  spec.kind = DiscoverySpec::Kind::kK8s;
  bool have_namespace = false;
  bool have_selector = false;
  bool have_port = false;
  bool in_selector = false;
  for (absl::string_view part : absl::StrSplit(rest, ',')) {
    if (absl::ConsumePrefix(&part, "namespace=")) {
      if (have_namespace) {
        return absl::InvalidArgumentError("peers: k8s: namespace given twice");
      }
      have_namespace = true;
      in_selector = false;
      spec.k8s_namespace = std::string(part);
    } else if (absl::ConsumePrefix(&part, "port=")) {
      if (have_port) {
        return absl::InvalidArgumentError("peers: k8s: port given twice");
      }
      have_port = true;
      in_selector = false;
      uint32_t port = 0;
      if (part.empty() || part.size() > 5 || !absl::SimpleAtoi(part, &port) || port == 0 ||
          port > 65535 || !absl::ascii_isdigit(static_cast<unsigned char>(part.front()))) {
        return absl::InvalidArgumentError("peers: k8s: port: want 1..65535");
      }
      spec.k8s_port = static_cast<uint16_t>(port);
    } else if (absl::ConsumePrefix(&part, "selector=")) {
      if (have_selector) {
        return absl::InvalidArgumentError("peers: k8s: selector given twice");
      }
      have_selector = true;
      in_selector = true;
      spec.k8s_selector = std::string(part);
    } else if (in_selector) {
      absl::StrAppend(&spec.k8s_selector, ",", part);
    } else {
      return absl::InvalidArgumentError(
          "peers: k8s: want namespace=<ns>, selector=<label selector> and port=<port>, "
          "separated by commas");
    }
  }
  if (!have_selector) {
    return absl::InvalidArgumentError(
        "peers: k8s: selector is required (e.g. selector=app.kubernetes.io/name=concord)");
  }
  if (have_namespace) {
    if (absl::Status s = ValidateNamespace(spec.k8s_namespace); !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = ValidateLabelSelector(spec.k8s_selector); !s.ok()) {
    return s;
  }
  return spec;
}

absl::StatusOr<std::string> ReadNamespaceFile(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!in || !std::getline(in, text)) {
    return absl::InvalidArgumentError(absl::StrCat("peers: k8s: no namespace= given and ", path,
                                                   " cannot be read (not running in a pod?)"));
  }
  absl::StripAsciiWhitespace(&text);
  if (absl::Status s = ValidateNamespace(text); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.message()));
  }
  return text;
}

}  // namespace

absl::StatusOr<DiscoverySpec> ParseDiscoverySpec(absl::string_view text) {
  if (text.size() > kMaxSpecSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("peers: want at most ", kMaxSpecSize, " characters"));
  }
  absl::string_view rest = text;
  if (absl::ConsumePrefix(&rest, "static:")) {
    // Parse now for the errors; StaticDiscovery::Create parses again.
    absl::StatusOr<std::unique_ptr<StaticDiscovery>> parsed = StaticDiscovery::Create(rest);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("peers: ", parsed.status().message()));
    }
    DiscoverySpec spec;
    spec.kind = DiscoverySpec::Kind::kStatic;
    spec.static_list = std::string(rest);
    return spec;
  }
  if (absl::ConsumePrefix(&rest, "dns:")) {
    absl::StatusOr<PeerAddress> address = ParsePeerAddress(rest, "dns peers");
    if (!address.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("peers: ", address.status().message()));
    }
    DiscoverySpec spec;
    spec.kind = DiscoverySpec::Kind::kDns;
    spec.dns_host_port = std::string(rest);
    return spec;
  }
  if (absl::ConsumePrefix(&rest, "k8s:")) {
    return ParseK8s(rest);
  }
  return absl::InvalidArgumentError(
      "peers: want static:<host:port,...>, dns:<name:port> or "
      "k8s:namespace=<ns>,selector=<labels>,port=<port>");
}

absl::StatusOr<std::unique_ptr<PeerDiscovery>> CreateDiscovery(
    absl::string_view text, const DiscoveryEnvironment& environment) {
  absl::StatusOr<DiscoverySpec> spec = ParseDiscoverySpec(text);
  if (!spec.ok()) {
    return spec.status();
  }
  switch (spec->kind) {
    case DiscoverySpec::Kind::kStatic: {
      absl::StatusOr<std::unique_ptr<StaticDiscovery>> d =
          StaticDiscovery::Create(spec->static_list);
      if (!d.ok()) {
        return d.status();
      }
      return std::unique_ptr<PeerDiscovery>(*std::move(d));
    }
    case DiscoverySpec::Kind::kDns: {
      absl::StatusOr<std::unique_ptr<DnsDiscovery>> d =
          DnsDiscovery::Create(spec->dns_host_port, environment.resolver);
      if (!d.ok()) {
        return d.status();
      }
      return std::unique_ptr<PeerDiscovery>(*std::move(d));
    }
    case DiscoverySpec::Kind::kK8s:
      break;
  }
  K8sDiscoveryOptions options;
  options.selector = spec->k8s_selector;
  options.port = spec->k8s_port;
  const std::string& dir = environment.service_account_dir;
  if (spec->k8s_namespace.empty()) {
    absl::StatusOr<std::string> ns = ReadNamespaceFile(absl::StrCat(dir, "/namespace"));
    if (!ns.ok()) {
      return ns.status();
    }
    options.namespace_name = *std::move(ns);
  } else {
    options.namespace_name = spec->k8s_namespace;
  }
  if (!environment.k8s_api_base_url_override.empty()) {
    options.api_base_url = environment.k8s_api_base_url_override;
  } else {
    std::optional<std::string> host =
        environment.env ? environment.env("KUBERNETES_SERVICE_HOST") : std::nullopt;
    std::optional<std::string> port =
        environment.env ? environment.env("KUBERNETES_SERVICE_PORT") : std::nullopt;
    if (!host.has_value() || host->empty()) {
      return absl::InvalidArgumentError(
          "peers: k8s: KUBERNETES_SERVICE_HOST is not set (not running in a pod?)");
    }
    uint32_t port_number = 443;
    if (port.has_value() && !port->empty() &&
        (!absl::SimpleAtoi(*port, &port_number) || port_number == 0 || port_number > 65535)) {
      return absl::InvalidArgumentError("peers: k8s: KUBERNETES_SERVICE_PORT: want 1..65535");
    }
    const bool v6 = host->find(':') != std::string::npos;
    options.api_base_url =
        absl::StrCat("https://", v6 ? "[" : "", *host, v6 ? "]" : "", ":", port_number);
    options.ca_file = absl::StrCat(dir, "/ca.crt");
    options.token_file = absl::StrCat(dir, "/token");
  }
  absl::StatusOr<std::unique_ptr<K8sDiscovery>> d = K8sDiscovery::Create(std::move(options));
  if (!d.ok()) {
    return d.status();
  }
  return std::unique_ptr<PeerDiscovery>(*std::move(d));
}

}  // namespace concord::discovery

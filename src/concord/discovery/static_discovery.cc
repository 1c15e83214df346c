#include "concord/discovery/static_discovery.h"

#include <arpa/inet.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace concord::discovery {
namespace {

std::string Quote(absl::string_view value) {
  std::string shown(value.substr(0, 80));
  for (char& c : shown) {
    if (c < 0x20 || c >= 0x7f) {
      c = '?';
    }
  }
  return absl::StrCat("\"", shown, value.size() > 80 ? "...\"" : "\"");
}

bool ValidHostName(absl::string_view host) {
  if (host.empty() || host.size() > kMaxHostNameSize || host.front() == '-' ||
      host.front() == '.') {
    return false;
  }
  for (char c : host) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
      return false;
    }
  }
  return true;
}

bool IsIpv6Literal(const std::string& host) {
  in6_addr address;
  return inet_pton(AF_INET6, host.c_str(), &address) == 1;
}

}  // namespace

absl::StatusOr<PeerAddress> ParsePeerAddress(absl::string_view text, absl::string_view what) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": want host:port or [ipv6]:port (", why, "), got ", Quote(text)));
  };
  const size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos) {
    return bad("no port");
  }
  absl::string_view host = text.substr(0, colon);
  const absl::string_view port_text = text.substr(colon + 1);
  bool bracketed = false;
  if (!host.empty() && host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') {
      return bad("unbalanced brackets");
    }
    host = host.substr(1, host.size() - 2);
    bracketed = true;
  } else if (host.find(':') != absl::string_view::npos) {
    return bad("IPv6 addresses need brackets");
  }
  if (host.empty()) {
    return bad("empty host");
  }
  if (bracketed) {
    if (!IsIpv6Literal(std::string(host))) {
      return bad("not an IPv6 address in brackets");
    }
  } else if (!ValidHostName(host)) {
    return bad("bad host name");
  }
  uint32_t port = 0;
  if (port_text.empty() || port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(),
                   [](char c) { return c >= '0' && c <= '9'; }) ||
      !absl::SimpleAtoi(port_text, &port) || port == 0 || port > 65535) {
    return bad("port must be 1..65535");
  }
  return PeerAddress{std::string(host), static_cast<uint16_t>(port), ""};
}

void SortAndDeduplicate(std::vector<PeerAddress>& peers) {
  std::stable_sort(peers.begin(), peers.end(), [](const PeerAddress& a, const PeerAddress& b) {
    return std::tie(a.host, a.port) < std::tie(b.host, b.port);
  });
  peers.erase(std::unique(peers.begin(), peers.end(),
                          [](const PeerAddress& a, const PeerAddress& b) {
                            return a.host == b.host && a.port == b.port;
                          }),
              peers.end());
}

absl::StatusOr<std::unique_ptr<StaticDiscovery>> StaticDiscovery::Create(absl::string_view list) {
  if (list.empty()) {
    return absl::InvalidArgumentError("static peers: want at least one host:port, got none");
  }
  std::vector<absl::string_view> entries = absl::StrSplit(list, ',');
  if (entries.size() > kMaxPeers) {
    return absl::InvalidArgumentError(
        absl::StrCat("static peers: want at most ", kMaxPeers, ", got ", entries.size()));
  }
  std::vector<PeerAddress> peers;
  peers.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    absl::StatusOr<PeerAddress> peer =
        ParsePeerAddress(entries[i], absl::StrCat("static peer ", i + 1));
    if (!peer.ok()) {
      return peer.status();
    }
    peers.push_back(*std::move(peer));
  }
  SortAndDeduplicate(peers);
  return std::unique_ptr<StaticDiscovery>(new StaticDiscovery(std::move(peers)));
}

absl::StatusOr<std::vector<PeerAddress>> StaticDiscovery::Peers() { return peers_; }

}  // namespace concord::discovery

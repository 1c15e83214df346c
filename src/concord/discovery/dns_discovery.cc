#include "concord/discovery/dns_discovery.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "concord/discovery/static_discovery.h"

namespace concord::discovery {
namespace {

bool IsNumericAddress(const std::string& text) {
  in_addr v4;
  in6_addr v6;
  return inet_pton(AF_INET, text.c_str(), &v4) == 1 || inet_pton(AF_INET6, text.c_str(), &v6) == 1;
}

// Owns a getaddrinfo result (not an OpenSSL object, so no SslPtr).
struct AddrInfoDeleter {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};

}  // namespace

absl::StatusOr<std::vector<std::string>> SystemResolve(const std::string& name) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* raw = nullptr;
  const int rc = getaddrinfo(name.c_str(), nullptr, &hints, &raw);
  std::unique_ptr<addrinfo, AddrInfoDeleter> result(raw);
  if (rc == EAI_NONAME
#ifdef EAI_NODATA
      || rc == EAI_NODATA
#endif
  ) {
    return std::vector<std::string>{};
  }
  if (rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("dns discovery: resolving ", name, ": ", gai_strerror(rc)));
  }
  std::vector<std::string> addresses;
  for (const addrinfo* info = result.get(); info != nullptr; info = info->ai_next) {
    std::array<char, NI_MAXHOST> host{};
    if (getnameinfo(info->ai_addr, info->ai_addrlen, host.data(), host.size(), nullptr, 0,
                    NI_NUMERICHOST) == 0) {
      addresses.emplace_back(host.data());
    }
  }
  return addresses;
}

absl::StatusOr<std::unique_ptr<DnsDiscovery>> DnsDiscovery::Create(absl::string_view host_port,
                                                                   Resolver resolver) {
  if (!resolver) {
    return absl::InvalidArgumentError("dns discovery: a resolver is required");
  }
  absl::StatusOr<PeerAddress> address = ParsePeerAddress(host_port, "dns peers");
  if (!address.ok()) {
    return address.status();
  }
  return std::unique_ptr<DnsDiscovery>(
      new DnsDiscovery(std::move(address->host), address->port, std::move(resolver)));
}

absl::StatusOr<std::vector<PeerAddress>> DnsDiscovery::Peers() {
  absl::StatusOr<std::vector<std::string>> addresses = resolver_(name_);
  if (!addresses.ok()) {
    return addresses.status();
  }
  if (addresses->size() > kMaxPeers) {
    return absl::DataLossError(absl::StrCat("dns discovery: ", name_, ": want at most ", kMaxPeers,
                                            " addresses, got ", addresses->size()));
  }
  std::vector<PeerAddress> peers;
  peers.reserve(addresses->size());
  for (std::string& address : *addresses) {
    // Scoped IPv6 (fe80::1%eth0) is not a valid connect target here.
    if (!IsNumericAddress(address)) {
      return absl::DataLossError(
          absl::StrCat("dns discovery: ", name_, ": resolver returned a non-numeric address"));
    }
    peers.push_back(PeerAddress{std::move(address), port_, name_});
  }
  SortAndDeduplicate(peers);
  return peers;
}

}  // namespace concord::discovery

#include "concord/peer/peer_network.h"

#include <ifaddrs.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "concord/common/status_macros.h"
#include "concord/common/strict_json.h"
#include "concord/crypto/keys.h"
#include "concord/crypto/secret_bytes.h"
#include "concord/net/client.h"
#include "concord/peer/peer_messages.h"
#include "concord/wire/error_table.h"
#include "nlohmann/json.hpp"

namespace concord::peer {
namespace {

using coordinator::FromPeer;
using coordinator::PeerHead;
using coordinator::PeerRecoveryGrant;

// Longest peer error message quoted into our own messages and logs.
constexpr size_t kMaxQuotedError = 200;
// Longest combined reason list of a failed recovery round.
constexpr size_t kMaxReasonsSize = 4096;

}  // namespace

std::string PeerLabel(const discovery::PeerAddress& peer) {
  const bool v6 = peer.host.find(':') != std::string::npos;
  std::string label = absl::StrCat(v6 ? "[" : "", peer.host, v6 ? "]" : "", ":", peer.port);
  if (!peer.name.empty() && peer.name != peer.host) {
    absl::StrAppend(&label, " (", peer.name, ")");
  }
  return label;
}

absl::Status PeerErrorStatus(int http_status, const std::string& body) {
  std::string code_name;
  std::string message;
  // Anything but a small strict JSON object reads as no message and no code.
  absl::StatusOr<nlohmann::json> error = json::ParseStrict<nlohmann::json>(
      body, {.document = "error body", .max_size = 64 * 1024, .max_depth = 8});
  if (error.ok() && error->is_object()) {
    auto it = error->find("message");
    if (it != error->end() && it->is_string()) {
      message = it->get<std::string>().substr(0, kMaxQuotedError);
      // The code counts only in a {code, message} body, as for ParseApiError.
      auto code_it = error->find("code");
      if (code_it != error->end() && code_it->is_string()) {
        code_name = code_it->get<std::string>();
      }
    }
  }
  for (char& c : message) {
    if (c < 0x20 || c == 0x7f) {
      c = ' ';
    }
  }
  return absl::Status(wire::ClientCodeForError(http_status, code_name),
                      message.empty() ? absl::StrCat("HTTP ", http_status)
                                      : absl::StrCat("HTTP ", http_status, ": ", message));
}

std::vector<std::string> LocalInterfaceAddresses() {
  std::vector<std::string> addresses;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    return addresses;
  }
  for (const ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr ||
        (entry->ifa_addr->sa_family != AF_INET && entry->ifa_addr->sa_family != AF_INET6)) {
      continue;
    }
    const socklen_t size =
        entry->ifa_addr->sa_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    std::array<char, NI_MAXHOST> host{};
    if (getnameinfo(entry->ifa_addr, size, host.data(), host.size(), nullptr, 0, NI_NUMERICHOST) ==
        0) {
      std::string text(host.data());
      // Link-local IPv6 comes back scoped ("fe80::1%eth0"); peers are not.
      text = text.substr(0, text.find('%'));
      addresses.push_back(std::move(text));
    }
  }
  freeifaddrs(list);
  return addresses;
}

absl::StatusOr<std::unique_ptr<AtlsPeerNetwork>> AtlsPeerNetwork::Create(PeerNetworkOptions options,
                                                                         PeerNetworkDeps deps) {
  if (options.connect_timeout <= absl::ZeroDuration() ||
      options.io_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("peer network: timeouts must be positive");
  }
  if (options.max_parallel == 0) {
    return absl::InvalidArgumentError("peer network: max_parallel must be at least 1");
  }
  if (options.replica_name.empty()) {
    return absl::InvalidArgumentError("peer network: replica_name is required");
  }
  for (std::string& address : LocalInterfaceAddresses()) {
    options.own_addresses.push_back(std::move(address));
  }
  return std::unique_ptr<AtlsPeerNetwork>(new AtlsPeerNetwork(std::move(options), deps));
}

AtlsPeerNetwork::AtlsPeerNetwork(PeerNetworkOptions options, PeerNetworkDeps deps)
    : options_(std::move(options)), deps_(deps) {}

bool AtlsPeerNetwork::IsSelf(const discovery::PeerAddress& peer) const {
  if (!peer.name.empty() && peer.name == options_.replica_name) {
    return true;  // Kubernetes: the pod name is the replica name
  }
  if (peer.port != options_.own_mesh_port) {
    return false;
  }
  return std::find(options_.own_addresses.begin(), options_.own_addresses.end(), peer.host) !=
         options_.own_addresses.end();
}

absl::StatusOr<std::vector<discovery::PeerAddress>> AtlsPeerNetwork::OtherPeers() {
  absl::StatusOr<std::vector<discovery::PeerAddress>> peers = deps_.discovery.Peers();
  if (!peers.ok()) {
    return absl::Status(peers.status().code(),
                        absl::StrCat("peer discovery: ", peers.status().message()));
  }
  std::vector<discovery::PeerAddress> others;
  for (discovery::PeerAddress& peer : *peers) {
    if (!IsSelf(peer)) {
      others.push_back(std::move(peer));
    }
  }
  return others;
}

absl::StatusOr<std::string> AtlsPeerNetwork::Post(const discovery::PeerAddress& peer,
                                                  absl::string_view path, const std::string& body,
                                                  bool fresh_evidence, const AcceptPeer& accept,
                                                  attest::Claims* claims) {
  // A fresh key per connection: its evidence binds only this handshake.
  CONCORD_ASSIGN_OR_RETURN(crypto::PrivateKey key,
                           crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256));
  net::ClientOptions options;
  options.host = peer.host;
  options.port = peer.port;
  options.tls = true;
  options.fresh_evidence = fresh_evidence;
  options.client_key = std::move(key);
  options.attester = &deps_.attester;
  options.clock = &deps_.clock;
  options.random = &deps_.random;
  options.connect_timeout = options_.connect_timeout;
  options.io_timeout = options_.io_timeout;
  options.max_response_bytes = 64 * 1024;
  const attest::EvidenceVerifier& verifier = deps_.verifier;
  Clock& clock = deps_.clock;
  // Runs inside the handshake: a peer whose evidence is not authentic or
  // whose identity `accept` refuses never receives the request.
  options.check_server =
      [&verifier, &clock, &accept](
          const attest::Evidence& evidence,
          const std::array<uint8_t, 64>& expected) -> absl::StatusOr<attest::Claims> {
    attest::VerifyOptions verify;
    verify.at = clock.Now();
    verify.report_data = expected;
    verify.check_reference_values = false;
    CONCORD_ASSIGN_OR_RETURN(attest::Claims verified, verifier.Verify(evidence, verify));
    if (accept) {
      CONCORD_RETURN_IF_ERROR(accept(verified));
    }
    return verified;
  };
  CONCORD_ASSIGN_OR_RETURN(std::unique_ptr<net::HttpsClient> client,
                           net::HttpsClient::Create(std::move(options)));
  CONCORD_ASSIGN_OR_RETURN(net::HttpResponse response, client->Call("POST", path, body));
  if (!client->server_claims().has_value()) {
    return absl::InternalError("peer: no verified claims after the handshake");
  }
  *claims = *client->server_claims();
  if (response.status != 200) {
    return PeerErrorStatus(response.status, response.body);
  }
  return std::move(response.body);
}

absl::StatusOr<FromPeer<PeerRecoveryGrant>> AtlsPeerNetwork::RequestRecovery(
    const AcceptPeer& accept) {
  recovery_rounds_.fetch_add(1, std::memory_order_relaxed);
  CONCORD_ASSIGN_OR_RETURN(std::vector<discovery::PeerAddress> peers, OtherPeers());
  if (peers.empty()) {
    return absl::NotFoundError("peer recovery: no peers discovered");
  }
  std::vector<std::string> reasons;
  size_t reasons_size = 0;
  auto note = [&](const std::string& label, absl::string_view reason) {
    peer_failures_.fetch_add(1, std::memory_order_relaxed);
    std::string entry = absl::StrCat(label, ": ", reason);
    if (reasons_size + entry.size() <= kMaxReasonsSize) {
      reasons_size += entry.size();
      reasons.push_back(std::move(entry));
    }
  };
  for (const discovery::PeerAddress& peer : peers) {
    const std::string label = PeerLabel(peer);
    attest::Claims claims;
    absl::StatusOr<std::string> body = Post(peer, "/v1/peer/recover", EncodePeerRecoverRequest(),
                                            options_.fresh_evidence_for_recovery, accept, &claims);
    if (!body.ok()) {
      note(label, body.status().message());
      continue;
    }
    absl::StatusOr<PeerRecoverResponse> response = ParsePeerRecoverResponse(*body);
    crypto::WipeString(*body);  // the grant's secrets, as hex text
    if (!response.ok()) {
      // Parser messages name the field, never a value.
      note(label, absl::StrCat("malformed grant: ", response.status().message()));
      continue;
    }
    if (response->replica == options_.replica_name) {
      note(label, "is this replica");
      continue;
    }
    recovery_grants_.fetch_add(1, std::memory_order_relaxed);
    return FromPeer<PeerRecoveryGrant>{absl::StrCat(response->replica, " at ", label),
                                       std::move(claims), std::move(response->grant)};
  }
  return absl::UnavailableError(
      absl::StrCat("peer recovery: no peer granted recovery: ", absl::StrJoin(reasons, "; ")));
}

std::vector<FromPeer<PeerHead>> AtlsPeerNetwork::ExchangeHeads(const Bytes& own_latest) {
  head_rounds_.fetch_add(1, std::memory_order_relaxed);
  absl::StatusOr<std::vector<discovery::PeerAddress>> peers = OtherPeers();
  if (!peers.ok()) {
    deps_.log.Debug("head exchange: discovery failed",
                    {{"error", std::string(peers.status().message())}});
    return {};
  }
  const std::string request = EncodePeerHeadRequest(own_latest);
  std::vector<std::optional<FromPeer<PeerHead>>> results(peers->size());
  std::atomic<size_t> next{0};
  auto worker = [&]() {
    for (size_t i = next.fetch_add(1); i < peers->size(); i = next.fetch_add(1)) {
      const discovery::PeerAddress& peer = (*peers)[i];
      const std::string label = PeerLabel(peer);
      attest::Claims claims;
      absl::StatusOr<std::string> body =
          Post(peer, "/v1/peer/head", request, /*fresh_evidence=*/false, nullptr, &claims);
      absl::StatusOr<PeerHead> head =
          body.ok() ? ParsePeerHeadResponse(*body) : absl::StatusOr<PeerHead>(body.status());
      if (!head.ok()) {
        peer_failures_.fetch_add(1, std::memory_order_relaxed);
        deps_.log.Debug("head exchange failed",
                        {{"peer", label}, {"error", std::string(head.status().message())}});
        continue;
      }
      if (head->peer == options_.replica_name) {
        continue;  // ourselves through another address: never our own witness
      }
      const std::string name = absl::StrCat(head->peer, " at ", label);
      results[i] = FromPeer<PeerHead>{name, std::move(claims), *std::move(head)};
    }
  };
  const size_t thread_count = std::min(options_.max_parallel, peers->size());
  if (thread_count <= 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    threads.reserve(thread_count);
    for (size_t t = 0; t < thread_count; ++t) {
      threads.emplace_back(worker);
    }
    for (std::thread& thread : threads) {
      thread.join();
    }
  }
  std::vector<FromPeer<PeerHead>> heads;
  for (std::optional<FromPeer<PeerHead>>& result : results) {
    if (result.has_value()) {
      heads.push_back(*std::move(result));
    }
  }
  heads_received_.fetch_add(heads.size(), std::memory_order_relaxed);
  return heads;
}

PeerNetworkStats AtlsPeerNetwork::stats() const {
  return PeerNetworkStats{recovery_rounds_.load(std::memory_order_relaxed),
                          recovery_grants_.load(std::memory_order_relaxed),
                          head_rounds_.load(std::memory_order_relaxed),
                          heads_received_.load(std::memory_order_relaxed),
                          peer_failures_.load(std::memory_order_relaxed)};
}

}  // namespace concord::peer

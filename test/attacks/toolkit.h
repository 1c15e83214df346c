// The attacker's toolkit for test/attacks (docs/security.md): a real
// concordd process with a simulated deployment (the genuine host, the
// coordinator launch config, an owner, a manifest), and the means an
// attacker has against it: evidence forged on a simulated host of the
// attacker's own, connections kept open across state changes, replayed
// evidence, posing as a peer, unauthenticated floods. Every helper reports
// what the coordinator answered; the tests assert refusals and that the
// store and the state did not move. TESTONLY.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "concord/attest/attester.h"
#include "concord/attest/sim/simulated_host.h"
#include "concord/attest/snp/verifier.h"
#include "concord/crypto/hash.h"
#include "concord/crypto/keys.h"
#include "concord/net/client.h"
#include "concord/net/http.h"

namespace concord::attacks {

// A simulated host in a directory of its own (the genuine one, or an
// attacker's: its own ARK, so its evidence is authentic for its own chain).
std::shared_ptr<const attest::SimulatedHost> MakeHost(const std::string& dir, uint64_t seed);

// Evidence that ignores the report data it is asked for: a recorded piece
// of evidence, replayed into another handshake.
class ReplayAttester final : public attest::Attester {
 public:
  explicit ReplayAttester(attest::Evidence evidence) : evidence_(std::move(evidence)) {}
  attest::Platform platform() const override { return evidence_.platform; }
  absl::StatusOr<attest::Evidence> Attest(const std::array<uint8_t, 64>&) const override {
    return evidence_;
  }

 private:
  attest::Evidence evidence_;
};

// One coordinator (concordd) on 127.0.0.1 with ephemeral ports, a file
// store, and the genuine simulated host. The deployment: the coordinator
// policy (its launch config names the host's reference values), the
// workload "web" (SANs, a workload secret), an owner key, a seed-share key.
class Target {
 public:
  // Makes the deployment in a new temporary directory and starts concordd
  // (waits for /healthz). `extra_flags` go to concordd.
  static std::unique_ptr<Target> Start(std::vector<std::string> extra_flags = {});
  ~Target();  // SIGKILL if still running

  // The operator's first set (owner-authorized, over the replica's
  // challenge); true on 200. The request body is kept (first_set_body()):
  // the genesis objects are public, so an attacker can rebuild it.
  bool FirstSet();
  const std::string& first_set_body() const { return first_set_body_; }
  // POST /v1/manifest with `body` as is (an attacker's replay).
  net::HttpResponse PostManifest(const std::string& body);
  // SIGTERM and start again on the same ports, store and host.
  bool Restart();
  // Deletes the store's `latest` (an operator's mistake, or an attacker with
  // write access to the store).
  bool DeleteLatest();
  // An owner-authorized update to `manifest` on top of the current head.
  bool Update(const std::string& manifest);
  // The manifest of this deployment; `with_web` false leaves "web" out.
  std::string Manifest(bool with_web = true) const;

  // GET /v1/status (unverified client): "state" and "generation".
  std::string State();
  uint64_t Generation();
  // SHA-256 over every file of the store (path and content), lock excluded.
  std::string StoreDigest() const;
  // VmHWM (peak resident set) of the concordd process, KiB.
  uint64_t PeakRssKib() const;
  // VmRSS now, KiB.
  uint64_t RssKib() const;
  // GET `path` on the plain-HTTP listener from `source` (a 127.x address);
  // the status code, or -1 when no answer came within `timeout`.
  int HttpStatus(const std::string& path, const std::string& source = "127.0.0.1",
                 absl::Duration timeout = absl::Seconds(5)) const;
  // The log so far (for messages).
  std::string Log() const;

  // A client of the mesh API presenting evidence from `attester` (kept: one
  // connection reused across calls until Close()).
  std::unique_ptr<net::HttpsClient> MeshClient(const attest::Attester& attester) const;
  // A client of the user API without a client certificate.
  std::unique_ptr<net::HttpsClient> UserClient() const;
  // Checks a coordinator's evidence as a workload without reference values
  // would: authentic for the genuine host's chain and bound to the
  // connection (what concord-init's check adds is the reference values).
  net::ServerEvidenceCheck ServerCheck() const;

  const std::shared_ptr<const attest::SimulatedHost>& host() const { return host_; }
  const crypto::Sha256Digest& coordinator_policy() const { return coordinator_policy_; }
  const crypto::Sha256Digest& web_policy() const { return web_policy_; }
  const std::string& dir() const { return dir_; }
  uint16_t user_port() const { return user_; }
  uint16_t mesh_port() const { return mesh_; }
  uint16_t http_port() const { return http_; }
  pid_t pid() const { return pid_; }

 private:
  Target() = default;
  bool Post(const std::string& manifest, const std::optional<crypto::Sha256Digest>& previous);
  // Starts concordd with args_ and waits until it serves; false (a test
  // failure when `report`) when it exits or does not come up.
  bool Spawn(bool report);
  std::optional<crypto::Sha256Digest> Challenge();
  std::optional<crypto::Sha256Digest> Head();

  std::string dir_;
  std::shared_ptr<const attest::SimulatedHost> host_;
  std::unique_ptr<attest::SnpVerifier> verifier_;
  crypto::Sha256Digest coordinator_policy_{};
  crypto::Sha256Digest web_policy_{};
  std::optional<crypto::PrivateKey> owner_;
  std::optional<crypto::PrivateKey> seed_owner_;
  std::vector<std::string> args_;
  std::string first_set_body_;
  uint16_t user_ = 0;
  uint16_t mesh_ = 0;
  uint16_t http_ = 0;
  pid_t pid_ = -1;
};

// A TCP connection from `source` (a 127.x address) to 127.0.0.1:`port`, with
// send and receive timeouts of `timeout`; the descriptor, or -1.
int ConnectFrom(const std::string& source, uint16_t port,
                absl::Duration timeout = absl::Seconds(5));

// A fresh P-256 key for a client certificate.
crypto::PrivateKey ClientKey();

}  // namespace concord::attacks

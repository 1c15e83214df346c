// Api handlers against a real Coordinator (memory store behind a
// FaultInjectingStore, FakeClock, FakeRandom, a simulated host in a temp
// dir): each endpoint's success shape, routing (404, 405 + Allow), 415, 400
// naming the field with the store unchanged, 401 without a client
// certificate, the coordinator's codes mapped with {code, message, state}
// and Retry-After on 503, readiness, liveness with the store down, and the
// metrics text.
#include "concord/api/api.h"

#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "concord/api/error_response.h"
#include "concord/attest/sim/simulated_attester.h"
#include "concord/attest/sim/simulated_host.h"
#include "concord/attest/snp/verifier.h"
#include "concord/common/hex.h"
#include "concord/coordinator/coordinator.h"
#include "concord/coordinator/launch_config.h"
#include "concord/crypto/keys.h"
#include "concord/history/format.h"
#include "concord/peer/peer_messages.h"
#include "concord/seed/seed_shares.h"
#include "concord/store/memory/memory_store.h"
#include "concord/store/testing/fault_injecting_store.h"
#include "concord/testing/fake_clock.h"
#include "concord/testing/fake_random.h"
#include "concord/testing/status_matchers.h"
#include "concord/testing/testdata.h"
#include "concord/wire/json_fields.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace concord::api {
namespace {

using ::concord::testing::FakeClock;
using ::concord::testing::FakeRandom;
using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;
using store::testing::FaultInjectingStore;

const absl::Time kNow = absl::FromUnixSeconds(1795000000);
const manifest::PolicyHash kSecretPolicy = crypto::Sha256(AsBytes("workload policy with secret"));
const manifest::PolicyHash kUnlistedPolicy = crypto::Sha256(AsBytes("not in any manifest"));

struct Keys {
  crypto::PrivateKey owner;       // P-256 workload owner
  crypto::PrivateKey stranger;    // P-256, never an owner
  crypto::PrivateKey seed_owner;  // RSA seed-share owner
};

std::string KeyHex(const crypto::PrivateKey& key) { return HexEncode(key.public_key().spki_der()); }

atls::PeerCertificate PeerFor(const crypto::PrivateKey& key) {
  return atls::PeerCertificate{
      {}, key.public_key().spki_der(), key.public_key(), std::nullopt, std::nullopt};
}

net::HttpRequest Request(absl::string_view method, absl::string_view target,
                         absl::string_view body = "",
                         absl::string_view content_type = "application/json") {
  net::HttpRequest request;
  request.method = std::string(method);
  request.target = std::string(target);
  request.body = std::string(body);
  request.content_type = body.empty() ? "" : std::string(content_type);
  request.remote_address = "127.0.0.1:40000";
  return request;
}

Json BodyOf(const net::HttpResponse& response) {
  Json body = Json::parse(response.body, nullptr, false);
  EXPECT_FALSE(body.is_discarded()) << response.body;
  return body;
}

// The error shape: status, code, a message containing `message`, the state.
void ExpectError(const net::HttpResponse& response, int status, absl::string_view code,
                 absl::string_view message, absl::string_view state) {
  EXPECT_EQ(response.status, status) << response.body;
  EXPECT_EQ(response.content_type, "application/json");
  Json body = BodyOf(response);
  ASSERT_TRUE(body.is_object()) << response.body;
  EXPECT_EQ(body.size(), 3u) << response.body;
  EXPECT_EQ(body.value("code", ""), code) << response.body;
  EXPECT_THAT(body.value("message", ""), HasSubstr(std::string(message)));
  EXPECT_EQ(body.value("state", ""), state) << response.body;
  if (status == 503) {
    EXPECT_EQ(response.Header("Retry-After"), "1");
  } else {
    EXPECT_EQ(response.Header("Retry-After"), std::nullopt);
  }
}

// Every key and value of the store.
std::map<std::string, Bytes> Snapshot(store::Store& store) {
  std::map<std::string, Bytes> out;
  absl::StatusOr<std::vector<std::string>> keys = store.List("");
  EXPECT_TRUE(keys.ok()) << keys.status();
  for (const std::string& key : *keys) {
    absl::StatusOr<Bytes> value = store.Get(key);
    EXPECT_TRUE(value.ok()) << key;
    out[key] = *value;
  }
  return out;
}

class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    keys_ = new Keys{*crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256),
                     *crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256),
                     *crypto::PrivateKey::GenerateRsa(2048)};
    FakeClock clock(kNow);
    FakeRandom random(7);
    const std::string dir = ::concord::testing::MakeTempDir("concord-api-host");
    auto info = attest::SimulatedHost::Init(dir + "/host", {clock, random});
    ASSERT_TRUE(info.ok()) << info.status();
    auto host = attest::SimulatedHost::Load(dir + "/host");
    ASSERT_TRUE(host.ok()) << host.status();
    host_ = new std::shared_ptr<const attest::SimulatedHost>(*std::move(host));
  }
  static void TearDownTestSuite() {
    delete keys_;
    delete host_;
  }
  static const Keys& keys() { return *keys_; }
  static const std::shared_ptr<const attest::SimulatedHost>& host() { return *host_; }

  void SetUp() override {
    // The coordinator reference values: this host's ARK and measurement.
    const attest::SimulatedReferenceValues rv = host()->info().reference_values();
    auto launch = coordinator::ParseLaunchConfig(AsBytes(absl::StrCat(
        R"({"Version":1,"Kind":"coordinator","Platforms":["simulated"],)",
        R"("ReferenceValues":{"simulated":[{"ARKHash":")", HexEncode(rv.ark_spki_sha256),
        R"(","Measurement":")", HexEncode(rv.measurement), R"("}]}})")));
    ASSERT_TRUE(launch.ok()) << launch.status();
    launch_ = *launch;
    auto verifier = attest::SnpVerifier::Create({.allow_simulated = true});
    ASSERT_TRUE(verifier.ok());
    verifier_ = *std::move(verifier);
    attester_ = std::make_unique<attest::SimulatedAttester>(host(), launch_.policy_hash);
    coordinator::Options options;
    options.launch = launch_;
    options.replica_name = "coordinator-test";
    options.watch_retry = absl::Milliseconds(5);
    auto c = coordinator::Coordinator::Create(
        std::move(options),
        coordinator::Deps{faulty_, clock_, random_, *verifier_, *attester_, log_});
    ASSERT_TRUE(c.ok()) << c.status();
    coordinator_ = *std::move(c);
    ASSERT_TRUE(coordinator_->Start().ok());
    ApiOptions api_options;
    api_options.version = "test-1";
    auto api = Api::Create(std::move(api_options), ApiDeps{*coordinator_, clock_, log_});
    ASSERT_TRUE(api.ok()) << api.status();
    api_ = *std::move(api);
  }
  void TearDown() override {
    api_.reset();
    if (coordinator_ != nullptr) {
      coordinator_->Stop();
    }
  }

  Bytes Manifest() const {
    const attest::SimulatedReferenceValues rv = host()->info().reference_values();
    const std::string json = absl::StrCat(
        R"({"Version":1,"Policies":{")", HexEncode(launch_.policy_hash),
        R"(":{"Name":"coordinator","SANs":["localhost"],"Role":"coordinator"},")",
        HexEncode(kSecretPolicy),
        R"(":{"Name":"frontend","SANs":["frontend.local"],"WorkloadSecretID":"frontend"}},)",
        R"("ReferenceValues":{"simulated":[{"ARKHash":")", HexEncode(rv.ark_spki_sha256),
        R"(","Measurement":")", HexEncode(rv.measurement), R"("}]},)", R"("WorkloadOwnerKeys":[")",
        KeyHex(keys().owner), R"("],"SeedshareOwnerKeys":[")", KeyHex(keys().seed_owner), R"("]})");
    return Bytes(json.begin(), json.end());
  }

  // A first set signed over the replica's challenge (GET /v1/status).
  std::string FirstSetBody() const {
    const Bytes manifest = Manifest();
    const std::optional<crypto::Sha256Digest> challenge = coordinator_->Status().genesis_challenge;
    EXPECT_TRUE(challenge.has_value());
    auto auth = history::SignAuthorization(keys().owner, history::TransitionKind::kManifest,
                                           crypto::Sha256(manifest),
                                           challenge.value_or(crypto::Sha256Digest{}));
    EXPECT_TRUE(auth.ok());
    Json body = {
        {"manifest", wire::EncodeBase64(manifest)},
        {"challenge", HexEncode(challenge.value_or(crypto::Sha256Digest{}))},
        {"authorization",
         {{"owner_key", KeyHex(keys().owner)}, {"signature", HexEncode(auth->signature)}}}};
    return body.dump();
  }

  // Sets the first manifest through the API; returns the 200 body.
  Json SetFirstManifest() {
    net::HttpResponse response = api_->HandleUser(Request("POST", "/v1/manifest", FirstSetBody()));
    EXPECT_EQ(response.status, 200) << response.body;
    return BodyOf(response);
  }

  net::HttpRequest MeshRequest(const manifest::PolicyHash& policy) {
    std::array<uint8_t, 64> report_data;
    report_data.fill(0x42);
    auto evidence = host()->MakeReport(report_data, policy);
    EXPECT_TRUE(evidence.ok());
    net::HttpRequest request = Request("POST", "/v1/mesh/cert", "{}");
    request.peer = PeerFor(workload_key_);
    request.peer->evidence = *evidence;
    // What the mesh handshake establishes, in every state: authentic
    // evidence bound to the connection; the handler decides the rest.
    auto claims = coordinator_->CheckWorkloadEvidence(*evidence, report_data);
    EXPECT_TRUE(claims.ok()) << claims.status();
    request.peer_claims = *claims;
    request.peer_report_data = report_data;
    request.peer_verified_at = clock_.Now();
    return request;
  }

  // A mesh request from a caller whose verified evidence names `policy`.
  net::HttpRequest PeerRequest(absl::string_view path, absl::string_view body,
                               const manifest::PolicyHash& policy) {
    net::HttpRequest request = MeshRequest(policy);
    request.target = std::string(path);
    request.body = std::string(body);
    request.content_type = body.empty() ? "" : "application/json";
    return request;
  }

  static Keys* keys_;
  static std::shared_ptr<const attest::SimulatedHost>* host_;

  FakeClock clock_{kNow};
  FakeRandom random_{11};
  Logger log_{LogFormat::kHuman, LogLevel::kDebug, [](absl::string_view) {}};
  std::unique_ptr<store::MemoryStore> memory_ = store::MemoryStore::Create();
  FaultInjectingStore faulty_{*memory_};
  coordinator::LaunchConfig launch_;
  std::unique_ptr<attest::SnpVerifier> verifier_;
  std::unique_ptr<attest::SimulatedAttester> attester_;
  std::unique_ptr<coordinator::Coordinator> coordinator_;
  std::unique_ptr<Api> api_;
  crypto::PrivateKey workload_key_ = *crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP256);
};

Keys* ApiTest::keys_ = nullptr;
std::shared_ptr<const attest::SimulatedHost>* ApiTest::host_ = nullptr;

TEST(ApiErrorTest, StatusCodesMapToDocumentedHttpStatuses) {
  const std::vector<std::pair<absl::StatusCode, int>> cases = {
      {absl::StatusCode::kInvalidArgument, 400},   {absl::StatusCode::kUnauthenticated, 401},
      {absl::StatusCode::kPermissionDenied, 403},  {absl::StatusCode::kNotFound, 404},
      {absl::StatusCode::kAborted, 409},           {absl::StatusCode::kFailedPrecondition, 412},
      {absl::StatusCode::kResourceExhausted, 413}, {absl::StatusCode::kDataLoss, 500},
      {absl::StatusCode::kInternal, 500},          {absl::StatusCode::kUnavailable, 503},
      {absl::StatusCode::kUnimplemented, 501}};
  for (const auto& [code, http] : cases) {
    net::HttpResponse response =
        ErrorResponse(absl::Status(code, "op: detail"), "ready", absl::Milliseconds(1500));
    EXPECT_EQ(response.status, http) << absl::StatusCodeToString(code);
    EXPECT_EQ(response.Header("Retry-After").has_value(), http == 503);
    if (http == 503) {
      EXPECT_EQ(response.Header("Retry-After"), "2");
    }
  }
  EXPECT_EQ(wire::ErrorCodeName(absl::StatusCode::kResourceExhausted), "PAYLOAD_TOO_LARGE");
  EXPECT_EQ(wire::ErrorCodeName(absl::StatusCode::kFailedPrecondition), "FAILED_PRECONDITION");
}

TEST_F(ApiTest, StatusWhenUninitialized) {
  net::HttpResponse response = api_->HandleUser(Request("GET", "/v1/status"));
  ASSERT_EQ(response.status, 200) << response.body;
  Json body = BodyOf(response);
  EXPECT_EQ(body["state"], "uninitialized");
  EXPECT_EQ(body["replica"], "coordinator-test");
  EXPECT_EQ(body["generation"], 0);
  EXPECT_TRUE(body["transition"].is_null());
  EXPECT_TRUE(body["manifest"].is_null());
  EXPECT_EQ(body["head_verified"], false);
  EXPECT_TRUE(body["alarms"].is_array());
  EXPECT_EQ(body["version"], "test-1");
}

TEST_F(ApiTest, RoutingUnknownPathWrongMethodAndMediaType) {
  ExpectError(api_->HandleUser(Request("GET", "/v1/nothing")), 404, "NOT_FOUND", "no such endpoint",
              "uninitialized");
  ExpectError(api_->HandleUser(Request("GET", "/v1/mesh/cert")), 404, "NOT_FOUND",
              "no such endpoint", "uninitialized");
  net::HttpResponse wrong = api_->HandleUser(Request("GET", "/v1/manifest"));
  ExpectError(wrong, 405, "METHOD_NOT_ALLOWED", "use POST", "uninitialized");
  EXPECT_EQ(wrong.Header("Allow"), "POST");
  EXPECT_EQ(api_->HandleHttp(Request("POST", "/healthz", "")).Header("Allow"), "GET");
  EXPECT_EQ(api_->HandleMesh(Request("GET", "/v1/mesh/cert")).Header("Allow"), "POST");
  ExpectError(api_->HandleUser(Request("POST", "/v1/attest", "nonce=1", "text/plain")), 415,
              "UNSUPPORTED_MEDIA_TYPE", "application/json", "uninitialized");
  // Parameters and case of the media type do not matter.
  net::HttpResponse charset = api_->HandleUser(
      Request("POST", "/v1/attest", absl::StrCat("{\"nonce\":\"", std::string(64, '0'), "\"}"),
              "Application/JSON; charset=utf-8"));
  EXPECT_EQ(charset.status, 200) << charset.body;
  // A query string does not change the route.
  EXPECT_EQ(api_->HandleUser(Request("GET", "/v1/status?verbose=1")).status, 200);
}

TEST_F(ApiTest, OversizedBodyIs413) {
  const std::string body(kMaxRequestBodySize + 1, ' ');
  ExpectError(api_->HandleUser(Request("POST", "/v1/manifest", body)), 413, "PAYLOAD_TOO_LARGE",
              "body: want at most", "uninitialized");
}

// A 40 KB body of "[" once grew the server by gigabytes: parsing went on past
// the depth limit. It stops at the ninth level and is an ordinary 400.
TEST_F(ApiTest, DepthBombIs400NamingTheBody) {
  for (size_t levels : {40'000u, 1'000'000u}) {
    const std::string bomb = absl::StrCat("{\"nonce\":", std::string(levels, '['));
    ExpectError(api_->HandleUser(Request("POST", "/v1/attest", bomb)), 400, "INVALID_ARGUMENT",
                "body: want at most 8 levels of nesting at nonce[0][0][0][0][0][0][0]",
                "uninitialized");
  }
}

TEST_F(ApiTest, BadRequestsName400FieldAndLeaveStoreUnchanged) {
  SetFirstManifest();
  const std::map<std::string, Bytes> before = Snapshot(*memory_);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"manifest\":\"bQ==\",\"extra\":true}", "extra: unknown field"},
      {"{\"manifest\":\"bQ==\",\"manifest\":\"bQ==\"}", "manifest: duplicate field"},
      {"{\"manifest\":7}", "manifest: want a base64 string"},
      {"{\"manifest\":\"bQ==\",\"expected_previous\":\"abc\"}",
       "expected_previous: want 64 hex characters, got 3"},
      {"{\"manifest\":\"bQ==\",\"authorization\":{\"owner_key\":\"zz\",\"signature\":\"00\"}}",
       "authorization.owner_key"},
      {"[]", "body: want a JSON object"},
  };
  for (const auto& [body, message] : cases) {
    ExpectError(api_->HandleUser(Request("POST", "/v1/manifest", body)), 400, "INVALID_ARGUMENT",
                message, "ready");
  }
  EXPECT_EQ(Snapshot(*memory_), before);
}

TEST_F(ApiTest, FirstSetReturnsTransitionCertificatesAndSeedShares) {
  Json body = SetFirstManifest();
  EXPECT_EQ(body["transition"].get<std::string>().size(), 64u);
  EXPECT_EQ(body["generation"], 1);
  for (const char* pem : {"root_ca", "mesh_ca", "intermediate"}) {
    EXPECT_THAT(body[pem].get<std::string>(), HasSubstr("-----BEGIN CERTIFICATE-----")) << pem;
  }
  ASSERT_TRUE(body["seed_shares"].is_object());
  auto shares = seed::DecodeSeedSharesJson(body["seed_shares"].dump());
  ASSERT_TRUE(shares.ok()) << shares.status();
  ASSERT_EQ(shares->shares.size(), 1u);
  EXPECT_TRUE(seed::RecoverSeedSecrets(*shares, keys().seed_owner).ok());
  EXPECT_EQ(body.size(), 6u);

  // Ready now: status shows the verified head.
  Json status = BodyOf(api_->HandleUser(Request("GET", "/v1/status")));
  EXPECT_EQ(status["state"], "ready");
  EXPECT_EQ(status["transition"], body["transition"]);
  EXPECT_EQ(status["manifest"], HexEncode(crypto::Sha256(Manifest())));
  EXPECT_EQ(status["head_verified"], true);
}

TEST_F(ApiTest, UpdateWithStaleExpectedPreviousIs409) {
  SetFirstManifest();
  const Bytes manifest = Manifest();
  crypto::Sha256Digest stale{};
  stale.fill(0x77);
  auto auth = history::SignAuthorization(keys().owner, history::TransitionKind::kManifest,
                                         crypto::Sha256(manifest), stale);
  ASSERT_TRUE(auth.ok());
  Json body = {{"manifest", wire::EncodeBase64(manifest)},
               {"expected_previous", HexEncode(stale)},
               {"authorization",
                {{"owner_key", KeyHex(keys().owner)}, {"signature", HexEncode(auth->signature)}}}};
  const std::map<std::string, Bytes> before = Snapshot(*memory_);
  ExpectError(api_->HandleUser(Request("POST", "/v1/manifest", body.dump())), 409, "ABORTED", "",
              "ready");
  EXPECT_EQ(Snapshot(*memory_), before);
}

TEST_F(ApiTest, FirstSetWithTamperedSignatureIsRefusedAndStoreStaysEmpty) {
  Json body = Json::parse(FirstSetBody());
  std::string signature = body["authorization"]["signature"];
  signature[signature.size() - 2] = signature[signature.size() - 2] == '0' ? '1' : '0';
  body["authorization"]["signature"] = signature;
  net::HttpResponse response = api_->HandleUser(Request("POST", "/v1/manifest", body.dump()));
  EXPECT_GE(response.status, 400);
  EXPECT_LT(response.status, 500);
  EXPECT_EQ(BodyOf(response)["state"], "uninitialized");
  EXPECT_TRUE(Snapshot(*memory_).empty());
}

TEST_F(ApiTest, StoreUnavailableIs503WithRetryAfter) {
  faulty_.FailNext(1000, FaultInjectingStore::kAll);
  net::HttpResponse response = api_->HandleUser(Request("POST", "/v1/manifest", FirstSetBody()));
  ExpectError(response, 503, "UNAVAILABLE", "", "uninitialized");
}

TEST_F(ApiTest, ManifestsAndSeedSharesRefusedBeforeReady) {
  net::HttpResponse manifests = api_->HandleUser(Request("GET", "/v1/manifests"));
  EXPECT_NE(manifests.status, 200);
  EXPECT_EQ(BodyOf(manifests)["state"], "uninitialized");
  net::HttpRequest shares = Request("GET", "/v1/seedshares");
  shares.peer = PeerFor(keys().seed_owner);
  net::HttpResponse refused = api_->HandleUser(shares);
  EXPECT_NE(refused.status, 200);
  EXPECT_EQ(BodyOf(refused)["state"], "uninitialized");
}

TEST_F(ApiTest, ManifestsExportsTheHistory) {
  Json set = SetFirstManifest();
  net::HttpResponse response = api_->HandleUser(Request("GET", "/v1/manifests"));
  ASSERT_EQ(response.status, 200) << response.body;
  Json body = BodyOf(response);
  EXPECT_TRUE(wire::DecodeBase64Strict(body["latest"].get<std::string>(), "latest").ok());
  EXPECT_FALSE(body["history_key"].get<std::string>().empty());
  ASSERT_EQ(body["transitions"].size(), 1u);
  EXPECT_EQ(body["transitions"][0]["hash"], set["transition"]);
  const std::string manifest_hash = HexEncode(crypto::Sha256(Manifest()));
  ASSERT_TRUE(body["manifests"].contains(manifest_hash));
  auto manifest =
      wire::DecodeBase64Strict(body["manifests"][manifest_hash].get<std::string>(), "m");
  ASSERT_TRUE(manifest.ok());
  EXPECT_EQ(*manifest, Manifest());
  EXPECT_EQ(body["ca_bundles"].size(), 1u);
}

TEST_F(ApiTest, SeedSharesNeedsTheOwnersCertificate) {
  SetFirstManifest();
  ExpectError(api_->HandleUser(Request("GET", "/v1/seedshares")), 401, "UNAUTHENTICATED",
              "client certificate", "ready");
  net::HttpRequest stranger = Request("GET", "/v1/seedshares");
  stranger.peer = PeerFor(keys().stranger);
  ExpectError(api_->HandleUser(stranger), 403, "PERMISSION_DENIED", "", "ready");
  net::HttpRequest owner = Request("GET", "/v1/seedshares");
  owner.peer = PeerFor(keys().seed_owner);
  net::HttpResponse response = api_->HandleUser(owner);
  ASSERT_EQ(response.status, 200) << response.body;
  auto shares = seed::DecodeSeedSharesJson(response.body);
  ASSERT_TRUE(shares.ok()) << shares.status();
  EXPECT_TRUE(seed::RecoverSeedSecrets(*shares, keys().seed_owner).ok());
}

TEST_F(ApiTest, RecoverNeedsCertificateAndRightState) {
  const std::string body = absl::StrCat(
      "{\"seed\":\"", std::string(64, 'a'), "\",\"salt\":\"", std::string(64, 'b'),
      "\",\"expected_previous\":\"", std::string(64, 'c'), "\",\"authorization\":{\"owner_key\":\"",
      KeyHex(keys().seed_owner), "\",\"signature\":\"00\"}}");
  ExpectError(api_->HandleUser(Request("POST", "/v1/recover", body)), 401, "UNAUTHENTICATED",
              "client certificate", "uninitialized");
  SetFirstManifest();
  const std::map<std::string, Bytes> before = Snapshot(*memory_);
  net::HttpRequest request = Request("POST", "/v1/recover", body);
  request.peer = PeerFor(keys().seed_owner);
  net::HttpResponse response = api_->HandleUser(request);
  ExpectError(response, 412, "FAILED_PRECONDITION", "", "ready");
  // The seed never appears in the answer.
  EXPECT_THAT(response.body, Not(HasSubstr(std::string(64, 'a'))));
  net::HttpRequest bad = Request("POST", "/v1/recover", "{\"seed\":\"zz\"}");
  bad.peer = PeerFor(keys().seed_owner);
  ExpectError(api_->HandleUser(bad), 400, "INVALID_ARGUMENT", "seed: want 64 hex characters",
              "ready");
  EXPECT_EQ(Snapshot(*memory_), before);
}

// POST /v1/attest makes evidence for anyone: bounded per client address and
// for the replica, before any evidence is made; answered 503 + Retry-After.
TEST_F(ApiTest, AttestIsRateBoundedPerAddressAndPerReplica) {
  ApiOptions options;
  options.attest_rate = {.rate_per_second = 1, .burst = 3};
  options.attest_rate_per_source = {.rate_per_second = 1, .burst = 2};
  CONCORD_ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Api> api,
      Api::Create(std::move(options), ApiDeps{*coordinator_, clock_, log_}));
  const std::string body = absl::StrCat("{\"nonce\":\"", HexEncode(Bytes(32, 0x01)), "\"}");
  auto from = [&](absl::string_view address) {
    net::HttpRequest request = Request("POST", "/v1/attest", body);
    request.remote_address = std::string(address);
    return api->HandleUser(request);
  };
  EXPECT_EQ(from("127.0.0.2:1000").status, 200);
  EXPECT_EQ(from("127.0.0.2:1001").status, 200);
  net::HttpResponse third = from("127.0.0.2:1002");  // the same address, another port
  ExpectError(third, 503, "UNAVAILABLE", "too many attestation requests", "uninitialized");
  EXPECT_TRUE(third.Header("Retry-After").has_value());
  // Another address has its own budget, until the replica's runs out.
  EXPECT_EQ(from("127.0.0.3:1000").status, 200);
  EXPECT_EQ(from("127.0.0.4:1000").status, 503);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(from("127.0.0.2:1003").status, 200);
}

TEST_F(ApiTest, AttestAnswersInEveryStateWithTheStatement) {
  const std::string nonce = HexEncode(Bytes(32, 0x01));
  net::HttpResponse before =
      api_->HandleUser(Request("POST", "/v1/attest", absl::StrCat("{\"nonce\":\"", nonce, "\"}")));
  ASSERT_EQ(before.status, 200) << before.body;
  Json early = BodyOf(before);
  EXPECT_EQ(early["state"], "uninitialized");
  EXPECT_EQ(early["generation"], 0);
  EXPECT_EQ(early["transition"], std::string(64, '0'));
  EXPECT_TRUE(early["history_key"].is_null());
  EXPECT_TRUE(early["root_ca"].is_null());
  EXPECT_EQ(early["evidence"]["platform"], "simulated");
  EXPECT_EQ(early["evidence"]["certs"].size(), 3u);

  Json set = SetFirstManifest();
  Json body = BodyOf(
      api_->HandleUser(Request("POST", "/v1/attest", absl::StrCat("{\"nonce\":\"", nonce, "\"}"))));
  EXPECT_EQ(body["state"], "ready");
  EXPECT_EQ(body["generation"], 1);
  EXPECT_EQ(body["transition"], set["transition"]);
  EXPECT_EQ(body["root_ca"], set["root_ca"]);
  EXPECT_EQ(body["mesh_ca"], set["mesh_ca"]);
  EXPECT_NE(body["root_ca_spki_sha256"], std::string(64, '0'));
  EXPECT_NE(body["history_key_spki_sha256"], std::string(64, '0'));
  auto report = wire::DecodeBase64Strict(body["evidence"]["report"].get<std::string>(), "r");
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->size(), 1184u);

  ExpectError(api_->HandleUser(Request("POST", "/v1/attest", "{\"nonce\":\"00\"}")), 400,
              "INVALID_ARGUMENT", "nonce: want 64 hex characters, got 2", "ready");
}

TEST_F(ApiTest, MeshCertIssuesWithSecretOnlyInTheBody) {
  net::HttpResponse not_ready = api_->HandleMesh(MeshRequest(kSecretPolicy));
  ExpectError(not_ready, 503, "UNAVAILABLE", "", "uninitialized");

  SetFirstManifest();
  net::HttpRequest no_claims = Request("POST", "/v1/mesh/cert", "{}");
  ExpectError(api_->HandleMesh(no_claims), 401, "UNAUTHENTICATED", "attested", "ready");

  net::HttpResponse response = api_->HandleMesh(MeshRequest(kSecretPolicy));
  ASSERT_EQ(response.status, 200) << response.body;
  Json body = BodyOf(response);
  EXPECT_THAT(body["certificate"].get<std::string>(), HasSubstr("BEGIN CERTIFICATE"));
  EXPECT_THAT(body["chain"].get<std::string>(), HasSubstr("BEGIN CERTIFICATE"));
  EXPECT_THAT(body["mesh_ca"].get<std::string>(), HasSubstr("BEGIN CERTIFICATE"));
  EXPECT_THAT(body["root_ca"].get<std::string>(), HasSubstr("BEGIN CERTIFICATE"));
  EXPECT_EQ(body["workload_secret"].get<std::string>().size(), 64u);
  EXPECT_EQ(body["policy"], "frontend");
  EXPECT_EQ(body["generation"], 1);
  EXPECT_FALSE(body["not_after"].get<std::string>().empty());

  ExpectError(api_->HandleMesh(MeshRequest(kUnlistedPolicy)), 403, "PERMISSION_DENIED",
              "is not in the manifest", "ready");
  net::HttpRequest too_long = MeshRequest(kSecretPolicy);
  too_long.body = "{\"lifetime_seconds\":999999999}";
  ExpectError(api_->HandleMesh(too_long), 400, "INVALID_ARGUMENT", "lifetime_seconds", "ready");
}

TEST_F(ApiTest, PeerRecoverServesSecretsOnlyToACoordinatorPolicy) {
  // Not ready: 503, nothing served.
  ExpectError(api_->HandleMesh(PeerRequest("/v1/peer/recover", "{}", launch_.policy_hash)), 503,
              "UNAVAILABLE", "", "uninitialized");
  SetFirstManifest();
  ExpectError(api_->HandleMesh(Request("POST", "/v1/peer/recover", "{}")), 401, "UNAUTHENTICATED",
              "attested", "ready");

  net::HttpResponse response =
      api_->HandleMesh(PeerRequest("/v1/peer/recover", "", launch_.policy_hash));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Header("Cache-Control"), "no-store");
  Json body = BodyOf(response);
  EXPECT_EQ(body.size(), 5u);
  EXPECT_EQ(body["replica"], "coordinator-test");
  auto parsed = peer::ParsePeerRecoverResponse(response.body);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->grant.latest, *memory_->Get(store::kLatestKey));
  EXPECT_EQ(parsed->grant.seed.size(), 32u);
  EXPECT_EQ(parsed->grant.mesh_secret.size(), 32u);

  // A workload (not a coordinator policy) is refused without secrets.
  net::HttpResponse workload =
      api_->HandleMesh(PeerRequest("/v1/peer/recover", "{}", kSecretPolicy));
  ExpectError(workload, 403, "PERMISSION_DENIED", "", "ready");
  EXPECT_EQ(workload.Header("Cache-Control"), "no-store");
  EXPECT_THAT(workload.body, Not(HasSubstr(body["seed"].get<std::string>())));
  ExpectError(api_->HandleMesh(PeerRequest("/v1/peer/recover", "{\"x\":1}", launch_.policy_hash)),
              400, "INVALID_ARGUMENT", "x: unknown field", "ready");
}

TEST_F(ApiTest, PeerHeadAnswersWithTheSignedHeadAndRejectsATamperedOne) {
  ExpectError(api_->HandleMesh(PeerRequest("/v1/peer/head", "{}", launch_.policy_hash)), 412,
              "FAILED_PRECONDITION", "", "uninitialized");
  SetFirstManifest();
  const Bytes latest = *memory_->Get(store::kLatestKey);
  net::HttpResponse response = api_->HandleMesh(
      PeerRequest("/v1/peer/head", peer::EncodePeerHeadRequest(latest), launch_.policy_hash));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Header("Cache-Control"), "no-store");
  auto head = peer::ParsePeerHeadResponse(response.body);
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->latest, latest);
  EXPECT_EQ(head->state, "ready");
  EXPECT_EQ(head->peer, "coordinator-test");

  // A caller without a head (recovering) gets the head too.
  EXPECT_EQ(api_->HandleMesh(PeerRequest("/v1/peer/head", "{}", launch_.policy_hash)).status, 200);

  Bytes tampered = latest;
  tampered.back() ^= 0x01;
  ExpectError(api_->HandleMesh(PeerRequest("/v1/peer/head", peer::EncodePeerHeadRequest(tampered),
                                           launch_.policy_hash)),
              400, "INVALID_ARGUMENT", "latest", "ready");
  ExpectError(api_->HandleMesh(PeerRequest("/v1/peer/head", "{\"latest\":7}", launch_.policy_hash)),
              400, "INVALID_ARGUMENT", "latest: want a base64 string", "ready");
  ExpectError(api_->HandleMesh(
                  PeerRequest("/v1/peer/head", peer::EncodePeerHeadRequest(latest), kSecretPolicy)),
              403, "PERMISSION_DENIED", "", "ready");
}

TEST_F(ApiTest, ReadyzFailsOnceTheFreshnessLeaseExpires) {
  SetFirstManifest();
  EXPECT_EQ(api_->HandleHttp(Request("GET", "/readyz")).status, 200);
  // Cut off from the store (no peers configured): the lease runs out.
  faulty_.FailNext(1000000, FaultInjectingStore::kAll);
  clock_.Advance(absl::Seconds(11));
  net::HttpResponse expired = api_->HandleHttp(Request("GET", "/readyz"));
  EXPECT_EQ(expired.status, 503);
  EXPECT_THAT(expired.body, HasSubstr("freshness lease"));
  EXPECT_THAT(api_->MetricsText(), HasSubstr("concord_serving 0\n"));
  // Issuance stops too.
  EXPECT_EQ(api_->HandleMesh(MeshRequest(kSecretPolicy)).status, 503);
}

TEST_F(ApiTest, HealthzNeverDependsOnTheStore) {
  faulty_.FailNext(1000000, FaultInjectingStore::kAll);
  net::HttpResponse response = api_->HandleHttp(Request("GET", "/healthz"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok\n");
}

TEST_F(ApiTest, ReadyzFollowsStateAndDraining) {
  net::HttpResponse early = api_->HandleHttp(Request("GET", "/readyz"));
  EXPECT_EQ(early.status, 503);
  EXPECT_THAT(early.body, HasSubstr("uninitialized"));
  SetFirstManifest();
  net::HttpResponse ready = api_->HandleHttp(Request("GET", "/readyz"));
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "ready\n");
  api_->SetDraining();
  net::HttpResponse draining = api_->HandleHttp(Request("GET", "/readyz"));
  EXPECT_EQ(draining.status, 503);
  EXPECT_THAT(draining.body, HasSubstr("shutting down"));
  // Everything else still serves while draining.
  EXPECT_EQ(api_->HandleUser(Request("GET", "/v1/status")).status, 200);
}

TEST_F(ApiTest, MetricsCountRequestsAndParseLineByLine) {
  SetFirstManifest();
  // A refused set is counted as a request, not timed as a set.
  EXPECT_EQ(api_->HandleUser(Request("POST", "/v1/manifest", "{}")).status, 400);
  api_->HandleUser(Request("GET", "/v1/nothing"));
  api_->HandleMesh(MeshRequest(kSecretPolicy));
  api_->HandleHttp(Request("GET", "/healthz"));
  api_->SetServerStatsSource([] {
    net::ServerStats stats;
    stats.connections_accepted = 12;
    stats.open_connections = 3;
    stats.refused_source_limit = 5;
    stats.buffered_body_bytes = 2048;
    return stats;
  });
  api_->SetPeerStatsSource([] {
    peer::PeerNetworkStats stats;
    stats.recovery_rounds = 4;
    stats.recovery_grants = 1;
    stats.peer_failures = 3;
    return stats;
  });
  net::HttpResponse response = api_->HandleHttp(Request("GET", "/metrics"));
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = response.body;
  EXPECT_THAT(text, HasSubstr("concord_requests_total{listener=\"user\",endpoint=\"/v1/manifest\","
                              "code=\"200\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("concord_requests_total{listener=\"user\",endpoint=\"unknown\","
                              "code=\"404\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("concord_requests_total{listener=\"mesh\",endpoint=\"/v1/mesh/cert\","
                              "code=\"200\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("concord_mesh_cert_issue_seconds_count 1\n"));
  EXPECT_THAT(text, HasSubstr("concord_requests_total{listener=\"user\",endpoint=\"/v1/manifest\","
                              "code=\"400\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("concord_manifest_set_seconds_count 1\n"));
  EXPECT_THAT(text, HasSubstr("concord_state{state=\"ready\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("concord_state{state=\"uninitialized\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("concord_generation 1\n"));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("concord_alarms_total ",
                                           coordinator_->Status().alarms_raised, "\n")));
  EXPECT_THAT(text, HasSubstr("concord_server_connections_accepted_total 12\n"));
  EXPECT_THAT(text, HasSubstr("concord_server_open_connections 3\n"));
  EXPECT_THAT(text, HasSubstr("concord_server_refused_total{reason=\"source_connections\"} 5\n"));
  EXPECT_THAT(text, HasSubstr("concord_server_refused_total{reason=\"body_budget\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("concord_server_buffered_body_bytes 2048\n"));
  EXPECT_THAT(text, HasSubstr("concord_serving 1\n"));
  EXPECT_THAT(text, HasSubstr("concord_lease_remaining_seconds 10\n"));
  EXPECT_THAT(text, HasSubstr("concord_lease_confirmed_by_peer 0\n"));
  EXPECT_THAT(text, HasSubstr("concord_peer_recovery_attempts_total 4\n"));
  EXPECT_THAT(text, HasSubstr("concord_peer_recovery_grants_total 1\n"));
  EXPECT_THAT(text, HasSubstr("concord_peer_failures_total 3\n"));

  const std::regex sample(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? )"
      R"(([-+]?[0-9.]+(e[-+]?[0-9]+)?|\+Inf|NaN)$)");
  const std::regex comment(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$)");
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(text).substr(0, text.size() - 1), '\n')) {
    const std::string l(line);
    EXPECT_TRUE(std::regex_match(l, sample) || std::regex_match(l, comment)) << l;
  }
}

}  // namespace
}  // namespace concord::api

// Test doubles for the vendor side of collateral (TESTONLY): FakeFetcher
// serves canned HTTP responses by request target and records the requests;
// ServePhalaPcs fills one with Intel PCS answers for the phala TDX vector in
// testdata (TCB info, QE identity, PCK CRL, Root CA CRL with their issuer
// chain headers). Not thread-safe.
#pragma once

#include <cctype>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "concord/collateral/vendor_client.h"
#include "concord/common/bytes.h"
#include "concord/testing/testdata.h"

namespace concord::collateral::testing {

inline constexpr absl::string_view kPhalaDir = "attestation/tdx/v4-b0c06f-phala/";
inline constexpr absl::string_view kTdxCertsDir = "attestation/tdx/certs/";
inline constexpr absl::string_view kPhalaFmspc = "b0c06f000000";

inline std::string TestdataText(absl::string_view path) {
  return ToString(concord::testing::ReadTestdata(path));
}

// Percent-encodes as Intel PCS does its issuer chain headers.
inline std::string PercentEncode(absl::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

// A 200 response with `body` and `headers`.
inline net::HttpResponse Ok(std::string body,
                            std::vector<std::pair<std::string, std::string>> headers = {}) {
  net::HttpResponse r;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

// Serves canned responses by request target (the last one repeats); 404 for
// any other target. Records every request.
class FakeFetcher final : public HttpFetcher {
 public:
  absl::StatusOr<net::HttpResponse> Get(absl::string_view target) override {
    requests.emplace_back(target);
    auto it = responses.find(std::string(target));
    if (it == responses.end()) {
      net::HttpResponse r;
      r.status = 404;
      return r;
    }
    if (!it->second.empty()) {
      net::HttpResponse r = it->second.front();
      if (it->second.size() > 1) {
        it->second.erase(it->second.begin());
      }
      return r;
    }
    return absl::InternalError("no response");
  }
  void Serve(const std::string& target, net::HttpResponse response) {
    responses[target].push_back(std::move(response));
  }
  std::map<std::string, std::vector<net::HttpResponse>> responses;
  std::vector<std::string> requests;
};

// Intel PCS answers for the phala vector (all current at 2025-06-25).
inline void ServePhalaPcs(FakeFetcher& fetcher) {
  const std::string signing =
      PercentEncode(TestdataText(absl::StrCat(kTdxCertsDir, "tcb_signing_chain_2025.pem")));
  fetcher.Serve(absl::StrCat("/tdx/certification/v4/tcb?fmspc=", kPhalaFmspc),
                Ok(TestdataText(absl::StrCat(kPhalaDir, "tcb_info.json")),
                   {{"TCB-Info-Issuer-Chain", signing}}));
  fetcher.Serve("/tdx/certification/v4/qe/identity",
                Ok(TestdataText(absl::StrCat(kPhalaDir, "qe_identity.json")),
                   {{"SGX-Enclave-Identity-Issuer-Chain", signing}}));
  fetcher.Serve(
      "/sgx/certification/v4/pckcrl?ca=platform&encoding=der",
      Ok(TestdataText(absl::StrCat(kPhalaDir, "pck_crl.der")),
         {{"SGX-PCK-CRL-Issuer-Chain",
           PercentEncode(TestdataText(absl::StrCat(kTdxCertsDir, "pck_platform_ca_chain.pem")))}}));
  // Hex text, as older PCS versions serve it.
  fetcher.Serve(
      "/sgx/certification/v4/rootcacrl",
      Ok(absl::BytesToHexString(TestdataText(absl::StrCat(kPhalaDir, "root_ca_crl.der")))));
}

}  // namespace concord::collateral::testing

// `concord evidence verify --platform snp|simulated --report F --cert F ...`
// and `concord evidence verify --platform tdx --quote F --collateral DIR`:
// offline verification of one piece of evidence. Prints the parsed claims and
// the verdict as JSON. Exit 0 valid, 1 invalid, 2 usage or unreadable input.
#include <array>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "concord/attest/evidence.h"
#include "concord/attest/snp/report.h"
#include "concord/attest/snp/verifier.h"
#include "concord/attest/tdx/verifier.h"
#include "concord/cli/commands.h"
#include "concord/common/clock.h"
#include "concord/common/hex.h"
#include "concord/common/posix/files.h"
#include "concord/common/time_format.h"
#include "concord/crypto/x509.h"
#include "concord/manifest/reference_values_json.h"
#include "nlohmann/json.hpp"

namespace concord::cli {
namespace {

constexpr size_t kMaxReportFile = 64 * 1024;
constexpr size_t kMaxCertFile = 256 * 1024;
constexpr size_t kMaxReferenceValuesFile = 512 * 1024;

struct EvidenceVerifyArgs {
  std::string platform = "snp";
  std::string report;
  std::vector<std::string> certs;
  std::string reference_values;
  std::string at;
  std::string report_data_hex;
  std::string host_data_hex;
  // TDX.
  std::string quote;
  std::string collateral;
  std::string tcb_signing_chain;
};

// Reads a certificate file: one DER certificate, or one or more PEM blocks.
absl::Status AppendCerts(const std::string& path, std::vector<Bytes>& out) {
  absl::StatusOr<Bytes> data = posix::ReadFileBounded(path, kMaxCertFile);
  if (!data.ok()) {
    return data.status();
  }
  if (!data->empty() && (*data)[0] == 0x30) {
    out.push_back(*std::move(data));
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<crypto::SslPtr<X509>>> chain =
      crypto::ParseCertChainPem(AsStringView(*data), attest::kMaxEvidenceCerts);
  if (!chain.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", chain.status().message()));
  }
  for (const auto& cert : *chain) {
    absl::StatusOr<Bytes> der = crypto::CertToDer(cert.get());
    if (!der.ok()) {
      return der.status();
    }
    out.push_back(*std::move(der));
  }
  return absl::OkStatus();
}

template <size_t N>
absl::StatusOr<std::optional<std::array<uint8_t, N>>> OptionalHex(const std::string& hex,
                                                                  absl::string_view field) {
  if (hex.empty()) {
    return std::nullopt;
  }
  absl::StatusOr<Bytes> bytes = HexDecodeExact(hex, N, field);
  if (!bytes.ok()) {
    return bytes.status();
  }
  std::array<uint8_t, N> out;
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

void PrintVerdict(CommandContext& ctx, nlohmann::json result, const absl::Status& status) {
  result["verdict"] = status.ok() ? "valid" : "invalid";
  if (!status.ok()) {
    result["error"] = std::string(status.message());
  }
  ctx.out << result.dump(2) << "\n";
  ctx.exit_code = status.ok() ? kExitOk : kExitInvalid;
}

void RunTdxVerify(CommandContext& ctx, const EvidenceVerifyArgs& args,
                  const attest::VerifyOptions& options) {
  attest::Evidence evidence;
  evidence.platform = attest::Platform::kTdx;
  absl::StatusOr<Bytes> quote = posix::ReadFileBounded(args.quote, attest::kTdxMaxQuoteSize);
  if (!quote.ok()) {
    Fail(ctx, kExitUsage, quote.status());
    return;
  }
  evidence.report = *std::move(quote);
  absl::StatusOr<attest::TdxCollateral> collateral =
      attest::TdxCollateral::LoadDir(args.collateral, args.tcb_signing_chain);
  if (!collateral.ok()) {
    // Unreadable or oversized files are unusable input (2); collateral that
    // was read and is malformed is invalid (1).
    Fail(ctx, absl::IsNotFound(collateral.status()) ? kExitUsage : kExitInvalid,
         collateral.status());
    return;
  }
  nlohmann::json result = {{"platform", "tdx"}, {"at", FormatRfc3339(options.at)}};
  absl::StatusOr<std::unique_ptr<attest::TdxVerifier>> verifier =
      attest::TdxVerifier::Create({.collateral = {*std::move(collateral)}});
  if (!verifier.ok()) {
    PrintVerdict(ctx, std::move(result), verifier.status());
    return;
  }
  absl::StatusOr<attest::Claims> claims = (*verifier)->Verify(evidence, options);
  if (claims.ok()) {
    nlohmann::json c = attest::ClaimsToJson(*claims);
    c["tdx"] = attest::TdxClaimsToJson(*claims->tdx);
    result["claims"] = std::move(c);
  } else if (absl::StatusOr<attest::TdxQuote> parsed = attest::TdxQuote::Parse(evidence.report);
             parsed.ok()) {
    // Show what the quote claims even when it does not verify.
    result["quote"] = attest::TdxQuoteToJson(*parsed);
  }
  PrintVerdict(ctx, std::move(result), claims.status());
}

void RunEvidenceVerify(CommandContext& ctx, const EvidenceVerifyArgs& args) {
  // Everything the operator supplies is checked first: usage errors exit 2.
  absl::StatusOr<attest::Platform> platform = attest::ParsePlatform(args.platform);
  if (!platform.ok()) {
    Fail(ctx, kExitUsage, platform.status());
    return;
  }
  attest::VerifyOptions options;
  options.at = SystemClock::Get().Now();
  if (!args.at.empty()) {
    absl::StatusOr<absl::Time> at = ParseRfc3339(args.at, "--at");
    if (!at.ok()) {
      Fail(ctx, kExitUsage, at.status());
      return;
    }
    options.at = *at;
  }
  auto report_data = OptionalHex<64>(args.report_data_hex, "--report-data");
  auto host_data = OptionalHex<32>(args.host_data_hex, "--host-data");
  if (!report_data.ok() || !host_data.ok()) {
    Fail(ctx, kExitUsage, report_data.ok() ? host_data.status() : report_data.status());
    return;
  }
  options.report_data = *report_data;
  options.host_data = *host_data;
  options.check_reference_values = !args.reference_values.empty();
  if (options.check_reference_values) {
    absl::StatusOr<Bytes> rv_file =
        posix::ReadFileBounded(args.reference_values, kMaxReferenceValuesFile);
    if (!rv_file.ok()) {
      Fail(ctx, kExitUsage, rv_file.status());
      return;
    }
    absl::StatusOr<attest::ReferenceValues> rv = manifest::ParseReferenceValuesJson(*rv_file);
    if (!rv.ok()) {
      Fail(ctx, kExitUsage,
           absl::InvalidArgumentError(
               absl::StrCat(args.reference_values, ": ", rv.status().message())));
      return;
    }
    options.reference_values = *std::move(rv);
  }
  const bool tdx = *platform == attest::Platform::kTdx;
  if (tdx ? (args.quote.empty() || args.collateral.empty() || !args.report.empty() ||
             !args.certs.empty())
          : (args.report.empty() || args.certs.empty() || !args.quote.empty() ||
             !args.collateral.empty() || !args.tcb_signing_chain.empty())) {
    Fail(ctx, kExitUsage,
         absl::InvalidArgumentError(
             tdx ? "--platform tdx needs --quote and --collateral (not --report or --cert)"
                 : "--platform snp|simulated needs --report and --cert (not --quote or "
                   "--collateral)"));
    return;
  }
  if (tdx) {
    RunTdxVerify(ctx, args, options);
    return;
  }
  attest::Evidence evidence;
  evidence.platform = *platform;
  absl::StatusOr<Bytes> report = posix::ReadFileBounded(args.report, kMaxReportFile);
  if (!report.ok()) {
    Fail(ctx, kExitUsage, report.status());
    return;
  }
  evidence.report = *std::move(report);
  for (const std::string& path : args.certs) {
    if (absl::Status s = AppendCerts(path, evidence.certs); !s.ok()) {
      Fail(ctx, absl::IsInvalidArgument(s) ? kExitInvalid : kExitUsage, s);
      return;
    }
  }

  nlohmann::json result = {{"platform", args.platform}, {"at", FormatRfc3339(options.at)}};
  absl::StatusOr<std::unique_ptr<attest::SnpVerifier>> verifier = attest::SnpVerifier::Create(
      attest::SnpVerifier::Options{.allow_simulated = *platform == attest::Platform::kSimulated});
  if (!verifier.ok()) {
    Fail(ctx, kExitInvalid, verifier.status());
    return;
  }
  absl::StatusOr<attest::Claims> claims = (*verifier)->Verify(evidence, options);
  if (claims.ok()) {
    result["claims"] = attest::ClaimsToJson(*claims);
  } else if (absl::StatusOr<attest::SnpReport> parsed = attest::SnpReport::Parse(evidence.report);
             parsed.ok()) {
    // Show what the evidence claims even when it does not verify.
    result["report"] = attest::SnpReportToJson(*parsed, std::nullopt);
  }
  PrintVerdict(ctx, std::move(result), claims.status());
}

}  // namespace

void AddEvidenceCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* group = app.add_subcommand("evidence", "Verify attestation evidence offline");
  group->require_subcommand(1);
  auto args = std::make_shared<EvidenceVerifyArgs>();
  CLI::App* verify = group->add_subcommand(
      "verify", "Verify a report and its signing certificate; prints claims and verdict as JSON");
  verify->add_option("--platform", args->platform, "Evidence platform")
      ->check(CLI::IsMember({"snp", "simulated", "tdx"}))
      ->capture_default_str();
  verify->add_option("--report", args->report, "SNP/simulated: attestation report (binary)");
  verify->add_option(
      "--cert", args->certs,
      "Signing certificate (VCEK or VLEK; DER or PEM). For simulated evidence, a PEM "
      "file with the VCEK, ASK and ARK. May be repeated");
  verify->add_option("--quote", args->quote,
                     "TDX: DCAP quote (v4 or v5; trailing zero padding is accepted)");
  verify->add_option("--collateral", args->collateral,
                     "TDX: collateral directory (collateral.json, or tcb_info.json, "
                     "qe_identity.json, pck_crl.der, root_ca_crl.der, tcb_signing_chain.pem)");
  verify->add_option(
      "--tcb-signing-chain", args->tcb_signing_chain,
      "TDX: PEM Intel SGX TCB Signing chain, when the collateral directory has none");
  verify->add_option(
      "--reference-values", args->reference_values,
      "JSON file in the manifest's ReferenceValues form ({\"snp\": [...]} or "
      "{\"tdx\": [...]}); without "
      "it only authenticity, the no-debug policy and given report/host data are checked");
  verify->add_option("--at", args->at, "Verify certificates at this RFC 3339 time (default: now)");
  verify->add_option("--report-data", args->report_data_hex,
                     "Expected REPORT_DATA, 128 hex characters");
  verify->add_option("--host-data", args->host_data_hex,
                     "Expected HOST_DATA (TDX: MRCONFIGID[0:32]), 64 hex characters");
  verify->callback([&ctx, args] { RunEvidenceVerify(ctx, *args); });
}

}  // namespace concord::cli

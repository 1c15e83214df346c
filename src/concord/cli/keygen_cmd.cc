// `concord keygen owner|seedshare --out F`: generates an owner key (ECDSA
// P-384) or a seed-share key (RSA-4096). Writes the private key as PKCS#8 PEM
// (mode 0600) to F and the public key as PEM to F.pub, and prints the hex SPKI
// DER for the manifest's WorkloadOwnerKeys / SeedshareOwnerKeys.
#include <string>

#include "absl/strings/str_cat.h"
#include "concord/cli/commands.h"
#include "concord/common/hex.h"
#include "concord/common/posix/files.h"
#include "concord/crypto/keys.h"

namespace concord::cli {
namespace {

struct KeygenArgs {
  std::string out;
  bool force = false;
};

int RunKeygen(CommandContext& ctx, const KeygenArgs& args, bool seedshare) {
  absl::StatusOr<crypto::PrivateKey> key =
      seedshare ? crypto::PrivateKey::GenerateRsa(4096)
                : crypto::PrivateKey::GenerateEc(crypto::KeyType::kEcP384);
  if (!key.ok()) {
    return Fail(ctx, kExitInvalid, key.status());
  }
  absl::StatusOr<crypto::SecretBytes> pem = key->ToPkcs8Pem();
  if (!pem.ok()) {
    return Fail(ctx, kExitInvalid, pem.status());
  }
  if (absl::Status s =
          posix::WriteFileAtomic(args.out, pem->Reveal(), 0600,
                                 args.force ? posix::IfExists::kReplace : posix::IfExists::kRefuse);
      !s.ok()) {
    return Fail(ctx, kExitUsage, s);
  }
  std::string pub_path = absl::StrCat(args.out, ".pub");
  if (absl::Status s =
          posix::WriteFileAtomic(pub_path, AsBytes(key->public_key().ToPem()), 0644,
                                 args.force ? posix::IfExists::kReplace : posix::IfExists::kRefuse);
      !s.ok()) {
    return Fail(ctx, kExitUsage, s);
  }
  ctx.out << HexEncode(key->public_key().spki_der()) << "\n";
  ctx.err << "wrote " << (seedshare ? "seed-share key (RSA-4096)" : "owner key (ECDSA P-384)")
          << " to " << args.out << " (0600) and public key to " << pub_path << "\n";
  ctx.exit_code = kExitOk;
  return kExitOk;
}

}  // namespace

void AddKeygenCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* keygen = app.add_subcommand("keygen", "Generate owner or seed-share keys");
  keygen->require_subcommand(1);
  for (bool seedshare : {false, true}) {
    auto args = std::make_shared<KeygenArgs>();  // shared with the callback; lives in the app
    CLI::App* sub = keygen->add_subcommand(
        seedshare ? "seedshare" : "owner",
        seedshare ? "Generate an RSA-4096 seed-share owner key (prints its hex SPKI)"
                  : "Generate an ECDSA P-384 workload owner key (prints its hex SPKI)");
    sub->add_option("--out,-o", args->out,
                    "Private key file to write (0600); public key goes to FILE.pub")
        ->required();
    sub->add_flag("--force", args->force, "Overwrite existing files");
    sub->callback([&ctx, args, seedshare] { RunKeygen(ctx, *args, seedshare); });
  }
}

}  // namespace concord::cli

#include "concord/common/hex.h"

#include "absl/strings/str_cat.h"

namespace concord {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string HexEncode(ByteView data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.resize(data.size() * 2);
  for (size_t i = 0; i < data.size(); ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0x0f];
  }
  return out;
}

absl::StatusOr<Bytes> HexDecode(absl::string_view hex, absl::string_view field) {
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": want an even number of hex characters, got ", hex.size()));
  }
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": want hex characters, got a non-hex character at offset ",
                       hi < 0 ? 2 * i : 2 * i + 1));
    }
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

absl::StatusOr<Bytes> HexDecodeExact(absl::string_view hex, size_t want_bytes,
                                     absl::string_view field) {
  if (hex.size() != want_bytes * 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": want ", want_bytes * 2, " hex characters, got ", hex.size()));
  }
  return HexDecode(hex, field);
}

absl::Status HexDecodeInto(absl::string_view hex, std::span<uint8_t> out, absl::string_view field) {
  if (hex.size() != out.size() * 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": want ", out.size() * 2, " hex characters, got ", hex.size()));
  }
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": want hex characters"));
    }
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return absl::OkStatus();
}

}  // namespace concord

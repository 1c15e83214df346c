// PROXY protocol v2 (haproxy.org/download/2.8/doc/proxy-protocol.txt,
// section 2.2). Every length is checked against what is left before it is
// used; nothing is read past `header`.
#include "concord/net/internal/proxy_protocol.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace concord::net::internal {
namespace {

constexpr std::array<uint8_t, 12> kSignature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr uint8_t kVersion2 = 0x2;
constexpr uint8_t kCommandLocal = 0x0;
constexpr uint8_t kCommandProxy = 0x1;
constexpr uint8_t kFamilyUnspec = 0x00;
constexpr uint8_t kFamilyTcp4 = 0x11;
constexpr uint8_t kFamilyTcp6 = 0x21;
constexpr size_t kTcp4AddressSize = 12;
constexpr size_t kTcp6AddressSize = 36;
constexpr uint8_t kTlvCrc32c = 0x03;
constexpr size_t kTlvHeaderSize = 3;

absl::Status Invalid(absl::string_view detail) {
  return absl::InvalidArgumentError(absl::StrCat("PROXY header: ", detail));
}

uint16_t ReadBigEndian16(const uint8_t* p) {
  return static_cast<uint16_t>((static_cast<uint16_t>(p[0]) << 8) | p[1]);
}

size_t AddressBlockSize(uint8_t family) {
  switch (family) {
    case kFamilyTcp4:
      return kTcp4AddressSize;
    case kFamilyTcp6:
      return kTcp6AddressSize;
    default:
      return 0;
  }
}

std::string AddressText(int af, const uint8_t* raw) {
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(af, raw, text, sizeof(text)) == nullptr) {
    return std::string();
  }
  return std::string(text);
}

}  // namespace

uint32_t Crc32c(ByteView data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (uint8_t byte : data) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
  }
  return ~crc;
}

absl::StatusOr<size_t> ProxyV2HeaderSize(ByteView prefix) {
  if (prefix.size() < kProxyV2FixedSize) {
    return Invalid(
        absl::StrCat("want at least ", kProxyV2FixedSize, " bytes, got ", prefix.size()));
  }
  if (std::memcmp(prefix.data(), kSignature.data(), kSignature.size()) != 0) {
    if (std::memcmp(prefix.data(), "PROXY ", 6) == 0) {
      return Invalid("version 1 (text) header; only version 2 (binary) is accepted");
    }
    return Invalid("bad signature (want the 12-byte PROXY v2 signature)");
  }
  const uint8_t version = prefix[12] >> 4;
  const uint8_t command = prefix[12] & 0x0F;
  if (version != kVersion2) {
    return Invalid(absl::StrCat("version: want 2, got ", version));
  }
  if (command != kCommandLocal && command != kCommandProxy) {
    return Invalid(absl::StrCat("command: want LOCAL (0) or PROXY (1), got ", command));
  }
  const uint8_t family = prefix[13];
  if (family != kFamilyUnspec && family != kFamilyTcp4 && family != kFamilyTcp6) {
    return Invalid(absl::StrCat("family: want UNSPEC (0x00), TCP4 (0x11) or TCP6 (0x21), got 0x",
                                absl::Hex(family, absl::kZeroPad2)));
  }
  const size_t payload = ReadBigEndian16(prefix.data() + 14);
  if (payload > kMaxProxyV2PayloadSize) {
    return Invalid(
        absl::StrCat("length: ", payload, " bytes over the limit of ", kMaxProxyV2PayloadSize));
  }
  if (payload < AddressBlockSize(family)) {
    return Invalid(absl::StrCat("length: want at least ", AddressBlockSize(family),
                                " bytes for the addresses, got ", payload));
  }
  return kProxyV2FixedSize + payload;
}

absl::StatusOr<ProxyHeader> ParseProxyV2Header(ByteView header) {
  absl::StatusOr<size_t> size = ProxyV2HeaderSize(header);
  if (!size.ok()) {
    return size.status();
  }
  if (header.size() != *size) {
    return Invalid(absl::StrCat("want ", *size, " bytes, got ", header.size()));
  }
  ProxyHeader out;
  out.size = *size;
  out.command = (header[12] & 0x0F) == kCommandProxy ? ProxyCommand::kProxy : ProxyCommand::kLocal;
  const uint8_t family = header[13];
  const uint8_t* p = header.data() + kProxyV2FixedSize;
  if (family == kFamilyTcp4) {
    out.family = ProxyFamily::kTcp4;
    out.source_address = AddressText(AF_INET, p);
    out.destination_address = AddressText(AF_INET, p + 4);
    out.source_port = ReadBigEndian16(p + 8);
    out.destination_port = ReadBigEndian16(p + 10);
  } else if (family == kFamilyTcp6) {
    out.family = ProxyFamily::kTcp6;
    out.source_address = AddressText(AF_INET6, p);
    out.destination_address = AddressText(AF_INET6, p + 16);
    out.source_port = ReadBigEndian16(p + 32);
    out.destination_port = ReadBigEndian16(p + 34);
  } else {
    out.family = ProxyFamily::kUnspec;
  }
  if (out.family != ProxyFamily::kUnspec &&
      (out.source_address.empty() || out.destination_address.empty())) {
    return Invalid("address: cannot be formatted");
  }

  size_t offset = kProxyV2FixedSize + AddressBlockSize(family);
  bool have_crc = false;
  uint32_t crc_value = 0;
  size_t crc_offset = 0;
  while (offset < header.size()) {
    const size_t left = header.size() - offset;
    if (left < kTlvHeaderSize) {
      return Invalid(absl::StrCat("TLV at byte ", offset, ": want 3 header bytes, got ", left));
    }
    const uint8_t type = header[offset];
    const size_t length = ReadBigEndian16(header.data() + offset + 1);
    if (length > left - kTlvHeaderSize) {
      return Invalid(absl::StrCat("TLV type 0x", absl::Hex(type, absl::kZeroPad2), " at byte ",
                                  offset, ": length ", length, " runs past the header (",
                                  left - kTlvHeaderSize, " bytes left)"));
    }
    const uint8_t* value = header.data() + offset + kTlvHeaderSize;
    if (type == kTlvCrc32c) {
      if (have_crc) {
        return Invalid("TLV CRC32C: more than one");
      }
      if (length != 4) {
        return Invalid(absl::StrCat("TLV CRC32C: want 4 bytes, got ", length));
      }
      have_crc = true;
      crc_offset = offset + kTlvHeaderSize;
      crc_value = (static_cast<uint32_t>(value[0]) << 24) |
                  (static_cast<uint32_t>(value[1]) << 16) | (static_cast<uint32_t>(value[2]) << 8) |
                  value[3];
    }
    out.tlvs.push_back(ProxyTlv{type, Bytes(value, value + length)});
    offset += kTlvHeaderSize + length;
  }
  if (have_crc) {
    Bytes copy(header.begin(), header.end());
    std::memset(copy.data() + crc_offset, 0, 4);
    if (Crc32c(copy) != crc_value) {
      return Invalid("TLV CRC32C: checksum does not match the header");
    }
  }
  return out;
}

absl::StatusOr<Bytes> SerializeProxyV2Header(const ProxyHeader& header) {
  Bytes out(kSignature.begin(), kSignature.end());
  out.push_back(static_cast<uint8_t>(
      (kVersion2 << 4) | (header.command == ProxyCommand::kProxy ? kCommandProxy : kCommandLocal)));
  Bytes payload;
  auto put_addresses = [&](int af, size_t raw_size) -> absl::Status {
    std::array<uint8_t, 16> src{};
    std::array<uint8_t, 16> dst{};
    if (inet_pton(af, header.source_address.c_str(), src.data()) != 1) {
      return Invalid(absl::StrCat("source address: not of the family: ", header.source_address));
    }
    if (inet_pton(af, header.destination_address.c_str(), dst.data()) != 1) {
      return Invalid(
          absl::StrCat("destination address: not of the family: ", header.destination_address));
    }
    payload.insert(payload.end(), src.begin(), src.begin() + raw_size);
    payload.insert(payload.end(), dst.begin(), dst.begin() + raw_size);
    AppendBigEndian(payload, header.source_port, 2);
    AppendBigEndian(payload, header.destination_port, 2);
    return absl::OkStatus();
  };
  switch (header.family) {
    case ProxyFamily::kUnspec:
      out.push_back(kFamilyUnspec);
      break;
    case ProxyFamily::kTcp4: {
      out.push_back(kFamilyTcp4);
      absl::Status status = put_addresses(AF_INET, 4);
      if (!status.ok()) {
        return status;
      }
      break;
    }
    case ProxyFamily::kTcp6: {
      out.push_back(kFamilyTcp6);
      absl::Status status = put_addresses(AF_INET6, 16);
      if (!status.ok()) {
        return status;
      }
      break;
    }
  }
  for (const ProxyTlv& tlv : header.tlvs) {
    if (tlv.value.size() > 0xFFFF) {
      return Invalid("TLV: value over 65535 bytes");
    }
    payload.push_back(tlv.type);
    AppendBigEndian(payload, tlv.value.size(), 2);
    Append(payload, tlv.value);
  }
  if (payload.size() > kMaxProxyV2PayloadSize) {
    return Invalid(absl::StrCat("length: ", payload.size(), " bytes over the limit of ",
                                kMaxProxyV2PayloadSize));
  }
  AppendBigEndian(out, payload.size(), 2);
  Append(out, payload);
  return out;
}

}  // namespace concord::net::internal

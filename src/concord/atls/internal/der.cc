#include "concord/atls/internal/der.h"

#include "absl/strings/str_cat.h"

namespace concord::atls::internal {

void DerAppend(Bytes& out, uint8_t tag, ByteView value) {
  out.push_back(tag);
  size_t len = value.size();
  if (len < 0x80) {
    out.push_back(static_cast<uint8_t>(len));
  } else if (len <= 0xff) {
    out.push_back(0x81);
    AppendBigEndian(out, len, 1);
  } else if (len <= 0xffff) {
    out.push_back(0x82);
    AppendBigEndian(out, len, 2);
  } else {
    out.push_back(0x83);
    AppendBigEndian(out, len, 3);
  }
  Append(out, value);
}

absl::StatusOr<ByteView> DerReader::Read(uint8_t tag, absl::string_view field) {
  size_t remaining = data_.size() - pos_;
  if (remaining < 2) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": truncated (missing element)"));
  }
  if (data_[pos_] != tag) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": want tag 0x", absl::Hex(tag), ", got 0x", absl::Hex(data_[pos_])));
  }
  uint8_t first = data_[pos_ + 1];
  size_t header = 2;
  size_t len = 0;
  if (first < 0x80) {
    len = first;
  } else if (first == 0x80) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": indefinite length"));
  } else {
    size_t num = first & 0x7f;
    if (num > 3) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": length of ", num, " bytes, at most 3 allowed"));
    }
    if (remaining < 2 + num) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": truncated length"));
    }
    for (size_t i = 0; i < num; ++i) {
      len = (len << 8) | data_[pos_ + 2 + i];
    }
    if (data_[pos_ + 2] == 0 || len < 0x80) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": non-minimal length encoding"));
    }
    header += num;
  }
  if (remaining - header < len) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": length ", len, " exceeds the ", remaining - header, " bytes left"));
  }
  ByteView value = data_.subspan(pos_ + header, len);
  pos_ += header + len;
  return value;
}

absl::Status DerReader::ExpectEnd(absl::string_view field) const {
  if (pos_ != data_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", data_.size() - pos_, " trailing bytes"));
  }
  return absl::OkStatus();
}

}  // namespace concord::atls::internal

#!/usr/bin/env bash
# The layering check (scripts/check_layering.py, decision 0029): first shows
# that it refuses each kind of violation in a small tree of its own, then
# runs it over the real source tree, which must pass.
#   layering_test.sh SOURCE_DIR
set -euo pipefail
src=${1:?source dir}
check="$src/scripts/check_layering.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect_refused() {  # what, file, line, expected message
  rm -rf "$tmp/t"
  mkdir -p "$tmp/t/common" "$tmp/t/crypto" "$tmp/t/net" "$tmp/t/testing"
  mkdir -p "$(dirname "$tmp/t/$2")"
  printf '%s\n' "$3" >"$tmp/t/$2"
  if out=$(python3 "$check" "$tmp/t"); then
    echo "FAIL: $1 was not refused"; exit 1
  fi
  grep -q -- "$4" <<<"$out" || { echo "FAIL: $1: unexpected message: $out"; exit 1; }
  echo "ok: $1 refused"
}

expect_refused "an upward include" common/a.cc '#include "concord/crypto/b.h"' \
  "common may not depend on crypto"
expect_refused "another component's internal header" net/a.cc \
  '#include "concord/crypto/internal/x.h"' "another component's internal header"
expect_refused "testing from production code" crypto/a.cc '#include "concord/testing/fake.h"' \
  "testing is for test code only"
expect_refused "Asio outside net" crypto/a.cc '#include <boost/asio.hpp>' \
  "Boost.Beast/Asio only in net"
expect_refused "a component outside the order" bogus/a.cc '#include "concord/common/x.h"' \
  "not in the layering order"

python3 "$check" "$src/src/concord"
echo "ok: the source tree follows the layering"

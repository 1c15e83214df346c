#!/usr/bin/env bash
# The declared-dependencies check (scripts/check_deps.py, decision 0029):
# first shows that it refuses each kind of mismatch between the build and the
# includes in a small tree and target graph of its own, then runs it over the
# real build, which must pass.
#   declared_deps_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=${1:?source dir}
build=${2:?build dir}
check="$src/scripts/check_deps.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A tree of three components: low <- mid <- top.
make_tree() {
  rm -rf "$tmp/t"
  mkdir -p "$tmp/t/src/concord/low" "$tmp/t/src/concord/mid" "$tmp/t/src/concord/top" "$tmp/t/b"
  : >"$tmp/t/src/concord/low/low.h"
  : >"$tmp/t/src/concord/low/low.cc"
  printf '#include "concord/low/low.h"\n' >"$tmp/t/src/concord/mid/mid.h"
  : >"$tmp/t/src/concord/mid/mid.cc"
  printf '#include "concord/mid/mid.h"\n' >"$tmp/t/src/concord/top/top.cc"
}
# name type dir sources link interface_link public
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$tmp/t/b/target_graph.tsv"; }
good_graph() {
  : >"$tmp/t/b/target_graph.tsv"
  row concord_low STATIC_LIBRARY "$tmp/t/src/concord/low" "low.cc|low.h" "" "" ""
  row concord_mid STATIC_LIBRARY "$tmp/t/src/concord/mid" "mid.cc|mid.h" "concord_low" "concord_low" "concord_low"
  row top EXECUTABLE "$tmp/t/src/concord/top" "top.cc" "concord_mid" "" ""
}

expect_refused() {  # what, expected message
  if out=$(python3 "$check" "$tmp/t/b" "$tmp/t"); then
    echo "FAIL: $1 was not refused"; exit 1
  fi
  grep -q -- "$2" <<<"$out" || { echo "FAIL: $1: unexpected message: $out"; exit 1; }
  echo "ok: $1 refused"
}

make_tree; good_graph
python3 "$check" "$tmp/t/b" "$tmp/t" >/dev/null || { echo "FAIL: the good tree was refused"; exit 1; }
echo "ok: a tree whose build matches its includes passes"

make_tree; good_graph
printf '#include "concord/low/low.h"\n' >>"$tmp/t/src/concord/top/top.cc"
sed -i 's/^concord_mid\(.*\)\tconcord_low\tconcord_low\tconcord_low$/concord_mid\1\tconcord_low\t$<LINK_ONLY:concord_low>\t/' "$tmp/t/b/target_graph.tsv"
expect_refused "an include of a target reached only privately" "top does not declare a dependency on concord_low"

make_tree; good_graph
sed -i 's/^concord_mid\(.*\)\tconcord_low\tconcord_low\tconcord_low$/concord_mid\1\tconcord_low\t$<LINK_ONLY:concord_low>\t/' "$tmp/t/b/target_graph.tsv"
expect_refused "a public header including a private dependency" "a public header of concord_mid includes concord_low"

make_tree; good_graph
sed -i 's/^concord_mid\(.*\)\tconcord_low\tconcord_low\tconcord_low$/concord_mid\1\tconcord_low\tconcord_low\t/' "$tmp/t/b/target_graph.tsv"
printf '' >"$tmp/t/src/concord/mid/mid.h"
expect_refused "a private dependency re-exported on the interface" "re-exports concord_low"

make_tree; good_graph
printf '#include "concord/low/unlisted.h"\n' >>"$tmp/t/src/concord/top/top.cc"
: >"$tmp/t/src/concord/low/unlisted.h"
expect_refused "a header no target lists" "no target lists this header"

python3 "$check" "$build" "$src"
echo "ok: the build declares what the code includes"

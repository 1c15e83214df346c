#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) into build-fuzz/ and runs
# each one.
#   fuzz/run.sh                 # every target, 300 s each
#   fuzz/run.sh --smoke         # every target, 10 s each (CI)
#   fuzz/run.sh manifest_fuzz 600
# Seed corpora live in fuzz/corpus/<target>/ (read-only); new inputs go to
# fuzz/corpus-work/<target>/, crashes to fuzz/corpus-work/crashes/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=300
only=""
if [ "${1:-}" = "--smoke" ]; then
  seconds=10
elif [ -n "${1:-}" ]; then
  only=$1
  seconds=${2:-300}
fi
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
  -DCONCORD_BUILD_FUZZ=ON -DCONCORD_BUILD_TESTS=OFF -DCONCORD_BUILD_BENCH=OFF >/dev/null
targets=()
for src in fuzz/*_fuzz.cc; do
  name=$(basename "$src" .cc)
  if [ -z "$only" ] || [ "$only" = "$name" ]; then
    targets+=("$name")
  fi
done
ninja -C build-fuzz "${targets[@]}"
mkdir -p fuzz/corpus-work/crashes
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus-work/$t"
  seeds=()
  [ -d "fuzz/corpus/$t" ] && seeds=("fuzz/corpus/$t")
  echo "== $t (${seconds}s)"
  "build-fuzz/fuzz/$t" -max_total_time="$seconds" -max_len=600000 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix=fuzz/corpus-work/crashes/ \
    "fuzz/corpus-work/$t" "${seeds[@]}" 2>&1 | tail -n 12
done

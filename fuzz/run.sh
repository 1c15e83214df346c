#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each one.
#   fuzz/run.sh                 # every target, 300 s each, built in build-fuzz/
#   fuzz/run.sh --smoke         # every target, 10 s each, nproc targets at a time
#   fuzz/run.sh manifest_fuzz 600
#   fuzz/run.sh --build-dir build-san --smoke
#                               # use a build directory already configured with
#                               # clang and -DCONCORD_BUILD_FUZZ=ON (CI's
#                               # sanitizer build, which also holds the unit tests)
# Seed corpora live in fuzz/corpus/<target>/ (read-only); new inputs go to
# fuzz/corpus-work/<target>/, crashes to fuzz/corpus-work/crashes/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=300
only=""
smoke=0
build_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1; seconds=10; shift ;;
    --build-dir) build_dir=${2:?--build-dir needs a directory}; shift 2 ;;
    -*) echo "fuzz/run.sh: unknown option $1" >&2; exit 2 ;;
    *) only=$1; seconds=${2:-300}; shift $(($# >= 2 ? 2 : 1)) ;;
  esac
done

if [ -z "$build_dir" ]; then
  build_dir=build-fuzz
  CC=clang CXX=clang++ cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
    -DCONCORD_BUILD_FUZZ=ON -DCONCORD_BUILD_TESTS=OFF -DCONCORD_BUILD_BENCH=OFF >/dev/null
elif ! grep -q '^CONCORD_BUILD_FUZZ:BOOL=ON$' "$build_dir/CMakeCache.txt" 2>/dev/null; then
  echo "fuzz/run.sh: $build_dir is not a build directory configured with -DCONCORD_BUILD_FUZZ=ON" >&2
  exit 2
fi

targets=()
for src in fuzz/*_fuzz.cc; do
  name=$(basename "$src" .cc)
  if [ -z "$only" ] || [ "$only" = "$name" ]; then
    targets+=("$name")
  fi
done
[ ${#targets[@]} -gt 0 ] || { echo "fuzz/run.sh: no fuzz target named $only" >&2; exit 2; }
ninja -C "$build_dir" "${targets[@]}"
mkdir -p fuzz/corpus-work/crashes
logs=$(mktemp -d /tmp/concord-fuzz-XXXXXX)
trap 'rm -rf "$logs"' EXIT

# Runs one target; its output goes to $logs/<target>.log, its exit status to
# $logs/<target>.rc.
run_one() {
  local t=$1
  mkdir -p "fuzz/corpus-work/$t"
  local seeds=()
  [ -d "fuzz/corpus/$t" ] && seeds=("fuzz/corpus/$t")
  local rc=0
  "$build_dir/fuzz/$t" -max_total_time="$seconds" -max_len=600000 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix=fuzz/corpus-work/crashes/ \
    "fuzz/corpus-work/$t" "${seeds[@]}" >"$logs/$t.log" 2>&1 || rc=$?
  echo "$rc" >"$logs/$t.rc"
}

# Smoke runs use every core (each target is one process); long runs go one
# at a time so each gets the whole machine.
parallel=1
[ "$smoke" = 1 ] && parallel=$(nproc)
failed=0
for ((i = 0; i < ${#targets[@]}; i += parallel)); do
  batch=("${targets[@]:i:parallel}")
  for t in "${batch[@]}"; do
    run_one "$t" &
  done
  wait
  for t in "${batch[@]}"; do
    echo "== $t (${seconds}s)"
    tail -n 12 "$logs/$t.log"
    rc=$(cat "$logs/$t.rc")
    if [ "$rc" != 0 ]; then
      echo "FAILED: $t exited with $rc (full output below)"
      cat "$logs/$t.log"
      failed=1
    fi
  done
done
exit "$failed"

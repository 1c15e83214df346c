#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds, runs every end-to-end
# test on the optimized build, then every unit test and a short smoke run of
# every fuzz target on a clang ASan+UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
./scripts/setup.sh
log=$(mktemp /tmp/concord-test-XXXXXX.log)
trap 'rm -f "$log"' EXIT

# Two builds, each test run once:
# - build/: what ships (gcc, RelWithDebInfo, -Werror) without the unit-test
#   binaries; it runs the end-to-end scripts, the demo and the quick chaos
#   scenarios against the real binaries.
# - build-san/: clang, ASan+UBSan (libFuzzer coverage instrumentation on
#   top, -Werror): the unit tests, and the fuzz targets' smoke runs. -O1 keeps
#   the sanitized tests quick without hiding much from ASan; the tests' own
#   sources are compiled at -O0 with one precompiled gtest/gmock header (test
#   code is half of this build and gains nothing from optimization).
# ./scripts/build.sh alone builds build/ with the unit tests again.
echo "== build (RelWithDebInfo, -Werror)"
./scripts/build.sh -DCONCORD_BUILD_UNIT_TESTS=OFF
echo "== end-to-end tests"
# The long chaos scenarios (label chaos, minutes each) are run by hand:
# ctest --test-dir build -L chaos (docs/ha.md); their quick versions are here.
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 600 -LE chaos | tee -a "$log"

echo "== ASan+UBSan build (clang): unit tests and fuzz targets"
CC=clang CXX=clang++ cmake -S . -B build-san -G Ninja -DCONCORD_WERROR=ON -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DCONCORD_SANITIZE=address,undefined \
  -DCONCORD_BUILD_FUZZ=ON -DCONCORD_BUILD_BENCH=OFF \
  -DCONCORD_UNIT_TEST_FLAGS=-O0 -DCONCORD_UNIT_TEST_PCH=ON >/dev/null
ninja -C build-san
echo "== ASan+UBSan unit tests"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-san --output-on-failure -j "$jobs" -L unit --timeout 900 | tee -a "$log"

echo "== fuzz smoke run"
./fuzz/run.sh --smoke --build-dir build-san

# One closing line over both ctest runs.
awk '/tests passed, .* tests failed out of/ { failed += $4; total += $NF }
     END { printf "\ntests: %d passed, %d failed\n", total - failed, failed }' "$log"

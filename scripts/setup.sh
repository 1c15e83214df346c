#!/usr/bin/env bash
# Installs Concord's build and test dependencies on Debian 12 (run as root or
# with sudo available). Safe to run repeatedly.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config git
  libssl-dev openssl nettle-dev libgmp-dev
  libabsl-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev libboost-dev curl
  clang libclang-rt-14-dev
  python3 jq
  etcd-server etcd-client redis-server haproxy libhiredis-dev python3-yaml
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Checks that the Debian packages vdc needs are installed; as root on Debian it installs the missing ones,
# otherwise it prints the exact apt-get line. Usage: scripts/deps.sh [--bench]  (--bench adds ns-3 for comparisons)
set -euo pipefail

packages=(build-essential pkg-config libyaml-dev zlib1g-dev check libfdt-dev libsimgrid-dev libunicorn-dev device-tree-compiler tshark)
if [ "${1:-}" = "--bench" ]; then
  packages+=(g++ libns3-dev libgsl-dev)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "vdc: installing missing packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "vdc: missing packages: ${missing[*]}; install them with: sudo DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}" >&2
exit 1

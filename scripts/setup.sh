#!/usr/bin/env bash
# Set-up on a fresh Debian machine (as root): the Debian packages of scripts/debian-packages.txt, then npm ci.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/setup.sh: run as root (it installs Debian packages)" >&2
  exit 1
fi
mapfile -t packages < <(grep -v -e '^#' -e '^\s*$' scripts/debian-packages.txt)
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}"
npm ci --no-audit --no-fund

#!/usr/bin/env bash
# Set-up on a fresh Debian machine (as root): the Debian packages of scripts/debian-packages.txt, then npm ci,
# then a check that every command of scripts/external-commands.txt is on PATH.
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
# native modules (better-sqlite3) build from source: no prebuilt binaries are downloaded
npm_config_build_from_source=true npm ci --no-audit --no-fund

# Every command mplab runs must now be here (scripts/external-commands.txt names its package).
missing=0
while read -r command package; do
  if ! command -v "$command" >/dev/null 2>&1; then
    echo "scripts/setup.sh: command $command is not on PATH after the install (Debian package $package; is it in scripts/debian-packages.txt?)" >&2
    missing=1
  fi
done < <(grep -v -e '^#' -e '^\s*$' scripts/external-commands.txt)
[ "$missing" -eq 0 ] || exit 1
echo "scripts/setup.sh: every command of scripts/external-commands.txt is on PATH"

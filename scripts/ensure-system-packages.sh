#!/usr/bin/env bash
# Installs the Debian packages a test suite needs, when missing. Idempotent and safe to call
# from several test set-ups at once (one apt run at a time). Usage:
#   scripts/ensure-system-packages.sh openssh-server iputils-ping chromium
set -euo pipefail
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${missing[*]} (run as root, or install them: apt-get install ${missing[*]})" >&2
  exit 1
fi
exec 9>/tmp/nepi-apt.lock
flock 9
export DEBIAN_FRONTEND=noninteractive
# Another caller may have installed them while we waited for the lock.
still=()
for pkg in "${missing[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || still+=("$pkg")
done
[ ${#still[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${still[*]}" >&2
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${still[@]}" >/dev/null

#!/usr/bin/env bash
# Debian packages the tests need: Chromium and fonts without which Thai and Japanese render
# as empty boxes (browser tests), and Virtuoso 7 (one of the three store backends, started
# by the tests on loopback ports). Installs only what is missing; needs root (or sudo).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
dpkg -s fonts-thai-tlwg >/dev/null 2>&1 || missing+=(fonts-thai-tlwg)
command -v virtuoso-t >/dev/null 2>&1 || missing+=(virtuoso-opensource)
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "install-system-packages: need root to install: ${missing[*]}" >&2; exit 1; fi
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The Virtuoso package would start a system-wide server on all interfaces: the tests start
# their own, so package scripts may start no service while this runs (policy-rc.d, 101).
policy=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  made_policy=1
fi
trap 'if [ -n "$made_policy" ]; then $sudo rm -f "$policy"; fi' EXIT
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

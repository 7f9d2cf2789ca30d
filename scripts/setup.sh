#!/usr/bin/env bash
# Installs what Weir needs on a Debian/Ubuntu host, and nothing that is already there:
#   Debian packages  openvswitch-switch iproute2 iputils-ping iperf3 ethtool ca-certificates isc-dhcp-client
#                    (VMs take their addresses from the agent by DHCP), python3 (the tests
#                    read raw frames in VMs with it),
#                    postgresql and python3-openstackclient (the server tests run against both);
#                    keystone with WEIR_SETUP_TESTS=1 (the authentication tests run against it), and
#                    python3-tempest and neutron-tempest-plugin (OpenStack's API tests, npm run compat)
#   Node.js >= 24    Debian's nodejs+npm when node is missing, then node@24 into /usr/local when older
#   npm packages     npm ci, only when package-lock.json changed since the last install
# Running it twice changes nothing. Used by the README, CI (.ci/run) and developers alike.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

packages=(openvswitch-switch iproute2 iputils-ping iperf3 ethtool ca-certificates postgresql python3-openstackclient python3 isc-dhcp-client)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

apt_install() {
  [ "$(id -u)" -eq 0 ] || die "must run as root to install Debian packages: $*"
  command -v apt-get >/dev/null || die "apt-get not found: install these by hand: $*"
  say "installing Debian packages: $*"
  if [ -z "${apt_updated:-}" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

missing=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

# The tests start their own Keystone on loopback; Debian's package would start and enable a system one on
# port 5000. It installs with service starts refused (unless the host has a policy-rc.d of its own), and
# its service is left disabled.
if [ "${WEIR_SETUP_TESTS:-}" = 1 ] && ! installed keystone; then
  own_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ] && [ "$(id -u)" -eq 0 ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && own_policy=1
  fi
  status=0
  apt_install keystone || status=$?
  [ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
  [ "$status" -eq 0 ] || die "installing keystone failed"
  if command -v systemctl >/dev/null; then systemctl disable keystone >/dev/null 2>&1 || true; fi
fi

# OpenStack's API tests (tempest's and neutron-tempest-plugin's), run by `npm run compat` against a
# Keystone of its own. Installed as keystone is: with service starts refused, as their dependencies may
# bring services along.
if [ "${WEIR_SETUP_TESTS:-}" = 1 ]; then
  compat_missing=()
  for p in python3-tempest neutron-tempest-plugin; do installed "$p" || compat_missing+=("$p"); done
  if [ ${#compat_missing[@]} -gt 0 ]; then
    own_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ] && [ "$(id -u)" -eq 0 ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && own_policy=1
    fi
    status=0
    apt_install "${compat_missing[@]}" || status=$?
    [ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
    [ "$status" -eq 0 ] || die "installing ${compat_missing[*]} failed"
  fi
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  apt_install nodejs npm
fi
node_major() { node -p 'process.versions.node.split(".")[0]'; }
if [ "$(node_major)" -lt 24 ]; then
  say "node $(node --version) is older than 24: installing node@24 into /usr/local"
  # node@24 puts the binary in place from a preinstall script. Some npm 11 releases run it as is; others
  # want it allowed, and reject the flag when they pass it on to the script's own nested install. So:
  # plainly first (from / so that this repo is not taken as the project), with the flag only if needed.
  export PATH="/usr/local/bin:$PATH"
  (cd / && npm install -g --prefix /usr/local --no-fund --no-audit node@24 >/dev/null 2>&1) || true
  hash -r
  if [ "$(node_major)" -lt 24 ]; then
    (cd / && npm install -g --prefix /usr/local --no-fund --no-audit --allow-scripts=node node@24 >/dev/null)
    hash -r
  fi
  [ "$(node_major)" -ge 24 ] || die "node@24 install did not take effect: $(command -v node) is $(node --version)"
fi

# npm ci wipes node_modules; skip it when the lockfile is what was installed last time.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.weir-lock-hash ] || [ "$(cat node_modules/.weir-lock-hash)" != "$lock_hash" ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-fund --no-audit --loglevel=error
  echo "$lock_hash" > node_modules/.weir-lock-hash
fi
say "ready: node $(node --version), $(ovs-vsctl --version | head -1)"

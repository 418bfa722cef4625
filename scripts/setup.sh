#!/usr/bin/env bash
# Installs what keaops' tests need on a Debian machine, when missing: BIND's
# named and dig (the DNS server DDNS updates go to, and a way to read it),
# ISC dhcpd (whose configurations keaops import reads), busybox (udhcpc, a
# DHCP client for the on-the-wire tests), socat, rsync (for gitlab-ci-local
# in make test-pipelines), systemd-analyze (the agent's unit's security
# score) and buildah (the image). Safe to run again. Go itself is expected
# on the machine.
#
# Kea is not installed here: every test runs Kea 2.2, 2.6 and 3.0 from
# Debian root filesystems (scripts/kea-rootfs.sh), so the machine's own Kea
# — installed or not, running or not — is left as it was found. named and
# dhcpd are services too: a policy-rc.d keeps their packages from starting
# them, and the units added are disabled again, so they do not start at
# the next boot either; the tests run their own instances.
set -euo pipefail

services=()
# named: installed like a service, its unit left disabled.
command -v named >/dev/null 2>&1 || services+=(bind9)
# ISC dhcpd, which keaops import reads the configuration of: the import
# tests serve a dhcpd.conf with it on the wire.
sbin=${KEAOPS_SBIN:-/usr/sbin}   # moved by the script's own test
command -v dhcpd >/dev/null 2>&1 || [ -x "$sbin/dhcpd" ] || services+=(isc-dhcp-server)
tools=()
command -v busybox >/dev/null 2>&1 || tools+=(busybox)
command -v socat >/dev/null 2>&1 || tools+=(socat)
command -v rsync >/dev/null 2>&1 || tools+=(rsync)   # gitlab-ci-local copies the repository with it
command -v dig >/dev/null 2>&1 || tools+=(bind9-dnsutils)
# systemd-analyze scores the agent's unit (the package test); the package
# only installs the tools, no init is changed on a machine without one.
command -v systemd-analyze >/dev/null 2>&1 || tools+=(systemd)
# buildah builds the container image without a daemon or a registry.
command -v buildah >/dev/null 2>&1 || tools+=(buildah)

if [ ${#services[@]} -eq 0 ] && [ ${#tools[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  sudo=sudo
else
  sudo=
fi
export DEBIAN_FRONTEND=noninteractive
echo "setup: installing ${services[*]} ${tools[*]}" >&2
$sudo apt-get update -qq
if [ ${#tools[@]} -gt 0 ]; then
  $sudo apt-get install -y -qq --no-install-recommends "${tools[@]}" >/dev/null
fi
if [ ${#services[@]} -gt 0 ]; then
  policy=${KEAOPS_POLICY_RC:-/usr/sbin/policy-rc.d}   # moved by the script's own test
  own_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# keaops setup: no service starts while it installs\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    own_policy=1
  fi
  trap '[ -z "$own_policy" ] || $sudo rm -f "$policy"' EXIT
  $sudo apt-get install -y -qq --no-install-recommends "${services[@]}" >/dev/null
  for pkg in "${services[@]}"; do
    # Only the units of the packages installed just now.
    case $pkg in
      bind9) $sudo systemctl disable named >/dev/null 2>&1 || true ;;
      isc-dhcp-server) $sudo systemctl disable isc-dhcp-server >/dev/null 2>&1 || true ;;
    esac
  done
fi

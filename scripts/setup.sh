#!/usr/bin/env bash
# Installs what keaops' tests need on a Debian machine: Kea 2.2 from Debian's
# packages (the real servers the integration tests start — kea-dhcp4 with
# perfdhcp, the Control Agent, kea-dhcp-ddns), BIND's named and dig (the
# DNS server DDNS updates go to, and a way to read it), ISC dhcpd (whose
# configurations keaops import reads), busybox (udhcpc, a
# DHCP client for the on-the-wire tests), socat, and rsync (for
# gitlab-ci-local in make test-pipelines), systemd-analyze (the agent's
# unit's security score). Safe to run again:
# it installs only what is missing. Go itself is expected on the machine.
#
# The machine's own Kea is left as it was found. A Kea that is installed
# is never stopped, disabled or reconfigured: it may be serving a network.
# When this script installs Kea itself, a policy-rc.d keeps the packages'
# services from starting, and the units it added are disabled again, so
# they do not start at the next boot either; the tests run their own
# instances on 127.0.0.1 with their own configs.
set -euo pipefail

kea=()
command -v kea-dhcp4 >/dev/null 2>&1 || kea+=(kea-dhcp4-server)
command -v kea-ctrl-agent >/dev/null 2>&1 || kea+=(kea-ctrl-agent)
command -v kea-admin >/dev/null 2>&1 || kea+=(kea-admin)
command -v kea-dhcp-ddns >/dev/null 2>&1 || kea+=(kea-dhcp-ddns-server)
# named is a service too: installed like Kea, its unit left disabled.
command -v named >/dev/null 2>&1 || kea+=(bind9)
# ISC dhcpd, which keaops import reads the configuration of: the import
# tests serve a dhcpd.conf with it on the wire. A service like Kea.
command -v dhcpd >/dev/null 2>&1 || [ -x /usr/sbin/dhcpd ] || kea+=(isc-dhcp-server)
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

if [ ${#kea[@]} -eq 0 ] && [ ${#tools[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  sudo=sudo
else
  sudo=
fi
export DEBIAN_FRONTEND=noninteractive
echo "setup: installing ${kea[*]} ${tools[*]}" >&2
$sudo apt-get update -qq
if [ ${#tools[@]} -gt 0 ]; then
  $sudo apt-get install -y -qq --no-install-recommends "${tools[@]}" >/dev/null
fi
if [ ${#kea[@]} -gt 0 ]; then
  policy=${KEAOPS_POLICY_RC:-/usr/sbin/policy-rc.d}   # moved by the script's own test
  own_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# keaops setup: no service starts while it installs Kea\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    own_policy=1
  fi
  trap '[ -z "$own_policy" ] || $sudo rm -f "$policy"' EXIT
  $sudo apt-get install -y -qq --no-install-recommends "${kea[@]}" >/dev/null
  for pkg in "${kea[@]}"; do
    # Only the units of the packages installed just now.
    case $pkg in
      kea-dhcp4-server | kea-ctrl-agent | kea-dhcp-ddns-server) $sudo systemctl disable "$pkg" >/dev/null 2>&1 || true ;;
      bind9) $sudo systemctl disable named >/dev/null 2>&1 || true ;;
      isc-dhcp-server) $sudo systemctl disable isc-dhcp-server >/dev/null 2>&1 || true ;;
    esac
  done
fi

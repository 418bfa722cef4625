#!/usr/bin/env bash
# Installs what keaops' tests need on a Debian machine: Kea 2.2 from Debian's
# packages (the real server the integration tests start, with perfdhcp),
# busybox (udhcpc, a DHCP client for the on-the-wire tests), socat, and
# rsync (for gitlab-ci-local in make test-pipelines). Safe to run again:
# it installs only what is missing. Go itself is expected on the machine.
set -euo pipefail

need=()
command -v kea-dhcp4 >/dev/null 2>&1 || need+=(kea-dhcp4-server)
command -v kea-ctrl-agent >/dev/null 2>&1 || need+=(kea-ctrl-agent)
command -v kea-admin >/dev/null 2>&1 || need+=(kea-admin)
command -v busybox >/dev/null 2>&1 || need+=(busybox)
command -v socat >/dev/null 2>&1 || need+=(socat)
command -v rsync >/dev/null 2>&1 || need+=(rsync)   # gitlab-ci-local copies the repository with it

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  sudo=sudo
else
  sudo=
fi
echo "setup: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Debian starts the packaged services; the tests run their own instances on
# 127.0.0.1 with their own configs, so stop the system ones.
for svc in kea-dhcp4-server kea-ctrl-agent kea-dhcp6-server kea-dhcp-ddns-server; do
  $sudo systemctl disable --now "$svc" >/dev/null 2>&1 || true
done

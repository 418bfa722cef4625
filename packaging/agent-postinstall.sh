#!/bin/sh
# Puts keaops in Kea's group (_kea on Debian and Ubuntu, kea on RPM
# systems), which reads Kea's files and reaches its control socket. The
# units are not enabled: the agent needs /etc/keaops/agent.yaml first.
set -e
for g in _kea kea; do
  if getent group "$g" >/dev/null; then
    usermod --append --groups "$g" keaops
    break
  fi
done
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || true
fi
# First install only (deb: no previous version; rpm: one package instance).
if [ -z "$2" ] || [ "$1" = 1 ]; then
  echo "keaops-agent: edit /etc/keaops/agent.yaml, then: systemctl enable --now keaops-agent"
fi

#!/bin/sh
# On removal (not on upgrade) the agent is stopped and its units disabled.
set -e
case "$1" in
  remove | 0)
    if [ -d /run/systemd/system ]; then
      systemctl stop keaops-agent.service keaops-agent-prepare.service >/dev/null 2>&1 || true
    fi
    # Offline too (an image, a chroot): the enablement links go.
    systemctl disable keaops-agent.service keaops-agent-prepare.service >/dev/null 2>&1 ||
      rm -f /etc/systemd/system/multi-user.target.wants/keaops-agent.service \
        /etc/systemd/system/kea-dhcp4-server.service.wants/keaops-agent-prepare.service
    ;;
esac

#!/bin/sh
# deb purge (or rpm erase): the agent's state, user and group go too. Kea's
# own files are Kea's: they stay, running the last applied revision.
set -e
case "$1" in
  purge | 0)
    rm -rf /var/lib/keaops-agent
    if getent passwd keaops >/dev/null; then userdel keaops >/dev/null 2>&1 || true; fi
    if getent group keaops >/dev/null; then groupdel keaops >/dev/null 2>&1 || true; fi
    ;;
esac
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || true
fi

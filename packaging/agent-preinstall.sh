#!/bin/sh
# keaops-agent runs as its own system user, keaops, created before the
# package's files are unpacked (/etc/keaops belongs to its group).
set -e
if ! getent group keaops >/dev/null; then
  groupadd --system keaops
fi
if ! getent passwd keaops >/dev/null; then
  useradd --system --gid keaops --no-create-home --home-dir /var/lib/keaops-agent \
    --shell /usr/sbin/nologin --comment "keaops-agent" keaops
fi

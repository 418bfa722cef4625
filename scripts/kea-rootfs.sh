#!/usr/bin/env bash
# kea-rootfs.sh VERSION: prints the path of a Debian root filesystem that
# holds Kea VERSION from Debian's archive, building it first when this
# machine has none: 2.2 from bookworm, 2.6 from trixie, 3.0 from forky.
# `make example` runs Kea from it with chroot (every version), and the
# tests do for 2.6 and 3.0, so the machine's own Kea (or its absence) is
# left as it is.
#
# Built once per machine under ${KEAOPS_CACHE:-/var/cache/keaops}/rootfs
# (about 2 minutes and 250 MB per version the first time; nothing after).
# A half-built tree is never used: it is built beside, then renamed.
set -euo pipefail

version=${1:?usage: kea-rootfs.sh 2.2|2.6|3.0}
case $version in
  2.2) suite=bookworm script=bookworm ;;
  2.6) suite=trixie script=trixie ;;
  3.0) suite=forky script=sid ;;   # bookworm's debootstrap has no forky script; sid's fits
  *) echo "kea-rootfs.sh: Kea $version is not built here (2.2, 2.6 or 3.0)" >&2; exit 2 ;;
esac
# Bumped when the recipe below changes, so that machines rebuild.
recipe=2
cache=${KEAOPS_CACHE:-/var/cache/keaops}
root=$cache/rootfs/$suite
ready() { [ "$(cat "$root/.keaops-ready" 2>/dev/null)" = "$recipe" ]; }
if ready; then
  echo "$root"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "kea-rootfs.sh: building a root filesystem needs root" >&2
  exit 1
fi
# The machine's own mirror, so the build reaches what apt already reaches.
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}
if ! command -v debootstrap >/dev/null; then
  # A machine whose package lists were never fetched knows no debootstrap.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null 2>&1 ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
fi

mkdir -p "$cache/rootfs"
exec 9>"$cache/rootfs/.lock-$suite"
flock 9   # two test processes building at once: one builds, the other waits
if ready; then
  echo "$root"
  exit 0
fi
tmp=$root.building
rm -rf "$tmp"
echo "kea-rootfs: building Kea $version ($suite) in $root (once per machine, about 2 minutes)" >&2
start=$SECONDS
debootstrap --variant=minbase --include=ca-certificates "$suite" "$tmp" "$mirror" "/usr/share/debootstrap/scripts/$script" >"$tmp.log" 2>&1 ||
  { echo "kea-rootfs: debootstrap failed; see $tmp.log" >&2; exit 1; }
# forky/sid Release files can be past their Valid-Until in the archive.
echo 'Acquire::Check-Valid-Until "false";' >"$tmp/etc/apt/apt.conf.d/99keaops"
# No package may start a service in here.
printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
chmod 755 "$tmp/usr/sbin/policy-rc.d"
in_root() {
  unshare -m sh -c 'mount -t proc proc "$0/proc" && mount --rbind /dev "$0/dev" && exec chroot "$0" "$@"' "$tmp" "$@"
}
in_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$tmp.log" 2>&1
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  kea-dhcp4-server kea-ctrl-agent kea-dhcp-ddns-server kea-admin kea-common >>"$tmp.log" 2>&1 ||
  { echo "kea-rootfs: installing Kea failed; see $tmp.log" >&2; exit 1; }
in_root apt-get clean
# The directories Debian's units would create, and a place for the
# tests' files (bind-mounted over at run time).
mkdir -p "$tmp/run/kea" "$tmp/var/lib/kea" "$tmp/var/log/kea" "$tmp/tmp"
chmod 750 "$tmp/run/kea"
in_root kea-dhcp4 -v >"$tmp/.keaops-kea-version"
echo "$recipe" >"$tmp/.keaops-ready"
rm -rf "$root"
mv "$tmp" "$root"
mv "$tmp.log" "$root.log"
echo "kea-rootfs: Kea $(head -1 "$root/.keaops-kea-version") ready in $((SECONDS - start)) s" >&2
echo "$root"

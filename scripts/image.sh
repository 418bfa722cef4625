#!/usr/bin/env bash
# image.sh [DIST]: builds the keaops container image (packaging/Containerfile)
# from the release build in DIST (make snapshot) and writes it as an OCI
# archive beside the other artifacts: DIST/keaops-image_VERSION_linux_amd64.tar,
# added to DIST/checksums.txt. buildah keeps its storage in a temporary
# directory, so the machine's container storage is left as it was.
set -euo pipefail
cd "$(dirname "$0")/.."
dist=${1:-dist}
version=$(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' "$dist/metadata.json")
[ -n "$version" ] || { echo "image.sh: no version in $dist/metadata.json (run make snapshot)" >&2; exit 1; }
tag=${version//+/-}   # an image tag has no '+'
bin=$dist/keaops_linux_amd64_v1/keaops
[ -x "$bin" ] || { echo "image.sh: no $bin (run make snapshot)" >&2; exit 1; }
command -v buildah >/dev/null || { echo "image.sh: buildah is missing (make setup installs it)" >&2; exit 1; }

work=$(mktemp -d /tmp/keaops-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
ctx=$work/context
mkdir -p "$ctx/rootfs/usr/bin" "$ctx/rootfs/bin" "$ctx/rootfs/etc/ssl/certs" "$ctx/home/keaops"
install -d -m 1777 "$ctx/rootfs/tmp"
install -m 0755 "$bin" "$ctx/rootfs/usr/bin/keaops"
# Debian's static busybox: sh and the usual tools for a job's script.
(cd "$work" && { apt-get download -qq busybox-static 2>/dev/null || { apt-get update -qq && apt-get download -qq busybox-static; }; })
dpkg-deb -x "$work"/busybox-static_*.deb "$work/busybox"
install -m 0755 "$work/busybox/bin/busybox" "$ctx/rootfs/bin/busybox"
for applet in $("$ctx/rootfs/bin/busybox" --list); do
  [ -e "$ctx/rootfs/bin/$applet" ] || ln -s busybox "$ctx/rootfs/bin/$applet"
done
cp /etc/ssl/certs/ca-certificates.crt "$ctx/rootfs/etc/ssl/certs/"
printf 'root:x:0:0:root:/root:/bin/sh\nkeaops:x:65532:65532:keaops:/home/keaops:/bin/sh\n' >"$ctx/rootfs/etc/passwd"
printf 'root:x:0:\nkeaops:x:65532:\n' >"$ctx/rootfs/etc/group"

b() { buildah --root "$work/storage" --runroot "$work/run" --storage-driver vfs "$@"; }
# The commit's time, so that a rebuild of one commit is the same image.
epoch=$(git log -1 --format=%ct 2>/dev/null || date +%s)
b bud --quiet --isolation chroot --timestamp "$epoch" --build-arg "VERSION=$version" \
  -f packaging/Containerfile -t "keaops:$tag" "$ctx" >/dev/null
out=$dist/keaops-image_${version}_linux_amd64.tar
rm -f "$out"
b push --quiet "keaops:$tag" "oci-archive:$out:keaops:$tag"
(cd "$dist" && sed -i '/keaops-image_/d' checksums.txt && sha256sum "$(basename "$out")" >>checksums.txt)
echo "image: keaops:$tag → $out ($(du -h "$out" | cut -f1))"

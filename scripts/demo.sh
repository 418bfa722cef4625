#!/usr/bin/env bash
# The main job on the bundled example, end to end, on this machine:
# start a local Kea HA pair on 127.0.0.1 (control plane only, in a
# temporary directory) running the homelab site *without* its reservations,
# then check, diff, deploy the homelab example to it, diff again (no
# changes), deploy again (nothing to do), show both nodes' HA state, and
# stop the pair.
#
# The homelab site keeps its real addresses; an overrides file points its
# nodes at the local pair (the same feature staging pairs use).
#
# KEA_VERSION picks the Kea: 2.2 (Debian bookworm's, the default), 2.6
# (trixie's) or 3.0 (forky's), each from a root filesystem
# scripts/kea-rootfs.sh builds once and run with chroot. The machine's own
# Kea is never used: installed or not, enabled or not, running or not, it
# is as it was (scripts/example_test.go holds the demo to that).
set -euo pipefail
cd "$(dirname "$0")/.."
keaops=${KEAOPS:-$PWD/bin/keaops}
version=${KEA_VERSION:-2.2}
case $version in
  2.2 | 2.6 | 3.0) ;;
  *) echo "demo: KEA_VERSION=$version: use 2.2, 2.6 or 3.0" >&2; exit 2 ;;
esac
. scripts/lib/localpair.sh

work=$(mktemp -d /tmp/keaops-demo.XXXXXX)
cleanup() { lp_stop; rm -rf "$work"; }
trap cleanup EXIT INT TERM
LP_ROOT=$(scripts/kea-rootfs.sh "$version")
# The homelab site, targeting this version.
mkdir -p "$work/site"
sed "s/^kea-version: .*/kea-version: \"$version\"/" examples/homelab/keaops.yaml >"$work/site/keaops.yaml"
cp examples/homelab/subnets.yaml examples/homelab/reservations.yaml "$work/site/"
site=$work/site/keaops.yaml

# A throwaway password for the local pair; keaops reads it from here.
export KEA_API_PASSWORD="demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

lp_overrides "$work" kea-primary kea-secondary

step "keaops check (the homelab site)"
"$keaops" check --site "$site"

step "starting a local Kea pair running the homelab site without its reservations"
mkdir -p "$work/before"
cp "$site" "$(dirname "$site")/subnets.yaml" "$work/before/"
echo "reservations: []" >"$work/before/reservations.yaml"
lp_start "$work" "$work/before/keaops.yaml" kea-primary kea-secondary
echo "waiting for the pair (Kea $version) to reach its HA states (heartbeat-delay is 10 s)..."
lp_wait "$work" "$site"
"$keaops" status --site "$site" --override "$work/local.yaml"

step "keaops diff (what the deploy will do)"
"$keaops" diff --site "$site" --override "$work/local.yaml"

step "keaops deploy"
"$keaops" deploy --site "$site" --override "$work/local.yaml" --yes

step "keaops diff again"
"$keaops" diff --site "$site" --override "$work/local.yaml" --exit-code

step "keaops deploy again (nothing to do: no node is touched)"
"$keaops" deploy --site "$site" --override "$work/local.yaml" --yes

step "keaops status"
"$keaops" status --site "$site" --override "$work/local.yaml"

step "stopping the local pair"

#!/usr/bin/env bash
# The main job on the bundled example, end to end, on this machine:
# start a local Kea 2.2 HA pair on 127.0.0.1 (control plane only, in a
# temporary directory) running the homelab site *without* its reservations,
# then check, diff, deploy the homelab example to it, diff again (no
# changes), show both nodes' HA state, and stop the pair.
#
# The homelab site keeps its real addresses; an overrides file points its
# nodes at the local pair (the same feature staging pairs use).
set -euo pipefail
cd "$(dirname "$0")/.."
keaops=${KEAOPS:-./bin/keaops}
site=examples/homelab/keaops.yaml

work=$(mktemp -d /tmp/keaops-demo.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# A throwaway password for the local pair; keaops reads it from here.
export KEA_API_PASSWORD="demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
base=$((20000 + RANDOM % 20000))

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

cat >"$work/local.yaml" <<YAML
# Node-local settings of the local pair: listeners on 127.0.0.1, files in $work.
nodes:
YAML
i=0
for node in kea-primary kea-secondary; do
  mkdir -p "$work/$node/run" "$work/$node/lib" "$work/$node/log"
  chmod 750 "$work/$node/run"
  cat >>"$work/local.yaml" <<YAML
  $node:
    control-url: http://127.0.0.1:$((base + i))/
    ha-url: http://127.0.0.1:$((base + 10 + i))/
    interfaces: []
    paths:
      control-socket: $work/$node/run/kea4-ctrl.sock
      lease-file: $work/$node/lib/kea-leases4.csv
      log-file: $work/$node/log/kea-dhcp4.log
YAML
  i=$((i + 1))
done

step "keaops check (the homelab site)"
"$keaops" check --site "$site"

step "starting a local Kea pair running the homelab site without its reservations"
mkdir -p "$work/before"
cp examples/homelab/keaops.yaml examples/homelab/subnets.yaml "$work/before/"
echo "reservations: []" >"$work/before/reservations.yaml"
"$keaops" render --site "$work/before/keaops.yaml" --override "$work/local.yaml" -o "$work/rendered" >/dev/null
for node in kea-primary kea-secondary; do
  "$keaops" install-config --from "$work/rendered" --node "$node" --dir "$work/$node" >/dev/null
  for daemon in kea-dhcp4 kea-ctrl-agent; do
    (cd "$work/$node" && exec env KEA_PIDFILE_DIR="$work/$node/run" KEA_LOCKFILE_DIR="$work/$node/run" \
      "$daemon" -c "$work/$node/$daemon.json" >"$work/$node/log/$daemon.out" 2>&1) &
    pids+=($!)
  done
done
echo "waiting for the pair to reach its HA states (heartbeat-delay is 10 s)..."
for _ in $(seq 90); do
  if "$keaops" status --site "$site" --override "$work/local.yaml" --timeout 2s >/dev/null 2>&1; then break; fi
  sleep 2
done
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

# Shell helpers that run a site's Kea pair on this machine: listeners on
# 127.0.0.1, files under a work directory, started and stopped by PID.
# Used by scripts/demo.sh and scripts/test-pipelines.sh. Needs $keaops.
# With LP_ROOT set (a root filesystem from scripts/kea-rootfs.sh), Kea runs
# from it with chroot, in a private mount namespace that binds /tmp at the
# same path; the machine's own Kea is not used.

LP_PIDS=()
LP_ROOT=${LP_ROOT:-}

# lp_overrides WORK NODE...: write WORK/local.yaml pointing NODEs at
# free-ish 127.0.0.1 ports and files under WORK.
lp_overrides() {
  local work=$1; shift
  local base=$((20000 + RANDOM % 20000)) i=0
  echo "nodes:" >"$work/local.yaml"
  for node in "$@"; do
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
    kea-env: {KEA_CONTROL_SOCKET_DIR: $work/$node/run, KEA_DHCP_DATA_DIR: $work/$node/lib, KEA_LOG_FILE_DIR: $work/$node/log}
YAML
    i=$((i + 1))
  done
}

# lp_start WORK SITE NODE...: render SITE with WORK/local.yaml, install each
# node's files and start its kea-dhcp4 and kea-ctrl-agent.
lp_start() {
  local work=$1 site=$2; shift 2
  "$keaops" render --site "$site" --override "$work/local.yaml" -o "$work/rendered-start" >/dev/null
  for node in "$@"; do
    "$keaops" install-config --from "$work/rendered-start" --node "$node" --dir "$work/$node" >/dev/null
    for daemon in kea-dhcp4 kea-ctrl-agent; do
      local run=("$daemon")
      if [ -n "$LP_ROOT" ]; then
        run=(unshare -m sh -c 'mount --rbind /tmp "$0/tmp" && mount -t proc proc "$0/proc" && mount --rbind /dev "$0/dev" && exec chroot "$0" "$@"' "$LP_ROOT" "/usr/sbin/$daemon")   # by path: the host's PATH means nothing in there
      fi
      (cd "$work/$node" && exec env KEA_PIDFILE_DIR="$work/$node/run" KEA_LOCKFILE_DIR="$work/$node/run" \
        KEA_CONTROL_SOCKET_DIR="$work/$node/run" KEA_DHCP_DATA_DIR="$work/$node/lib" KEA_LOG_FILE_DIR="$work/$node/log" \
        "${run[@]}" -c "$work/$node/$daemon.conf" >"$work/$node/log/$daemon.out" 2>&1) &
      LP_PIDS+=($!)
    done
  done
}

# lp_wait WORK SITE: wait (at most 3 minutes) until every node is healthy.
lp_wait() {
  local work=$1 site=$2
  for _ in $(seq 90); do
    if "$keaops" status --site "$site" --override "$work/local.yaml" --timeout 2s >/dev/null 2>&1; then return 0; fi
    sleep 2
  done
  "$keaops" status --site "$site" --override "$work/local.yaml" || true
  return 1
}

# lp_stop: stop every daemon lp_start started (SIGTERM, then SIGKILL).
lp_stop() {
  local p
  for p in "${LP_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${LP_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  LP_PIDS=()
}

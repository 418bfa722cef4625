#!/usr/bin/env bash
# promtool.sh: puts Prometheus's promtool in .tools/, taken from Debian's
# prometheus package without installing it (no prometheus service is
# added to the machine). The tests lint the agent's metrics and check the
# alert rules and the dashboard's queries with it. Once per clone.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .tools/promtool ] && exit 0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && { apt-get download -qq prometheus 2>/dev/null || { apt-get update -qq && apt-get download -qq prometheus; }; })
dpkg-deb -x "$work"/prometheus_*.deb "$work/x"
mkdir -p .tools
install -m 0755 "$work/x/usr/bin/promtool" .tools/promtool
.tools/promtool --version | head -1

#!/usr/bin/env bash
# Runs the GitLab CI template for real with gitlab-ci-local (shell executor,
# no Docker) on a site repository built from the homelab example:
#   1. a merge request with a bad reservation: keaops:check fails, and the
#      Code Quality report points at the line;
#   2. a good merge request: check passes, keaops:plan writes the plan;
#   3. the default branch: keaops:render and keaops:publish to a bare Git
#      remote (pull mode), then the manual keaops:deploy to a local Kea 2.2
#      pair on 127.0.0.1 (push mode); the pair then runs what Git says;
#   4. a merge request whose target moved on: the plan is its change alone;
#   5. two pipelines of one merge request: one note on it (a GitLab-shaped
#      API on 127.0.0.1), added by the first, edited by the second.
# Also lints the GitHub workflow with actionlint.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
keaops=$root/bin/keaops
export PATH=$root/bin:$PATH
# The local pair runs Debian bookworm's Kea 2.2 from its root filesystem.
LP_ROOT=$(scripts/kea-rootfs.sh 2.2)
. scripts/lib/localpair.sh

if ! command -v gitlab-ci-local >/dev/null; then
  # 4.64.1: later releases need Node 22 (Set.union); Debian 12 ships Node 18/20.
  npm install -g --silent gitlab-ci-local@4.64.1 >/dev/null
fi
# actionlint, pinned, in the project's tool directory.
[ -x .tools/actionlint ] || GOBIN=$root/.tools go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
.tools/actionlint pipelines/github/keaops.yml
echo "ok: actionlint pipelines/github/keaops.yml"

work=$(mktemp -d /tmp/keaops-pipelines.XXXXXX)
gitlab_pid=
cleanup() { lp_stop; [ -z "$gitlab_pid" ] || kill "$gitlab_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM
export KEA_API_PASSWORD="pipelines-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
pass=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
fail() { echo "FAIL: $*" >&2; exit 1; }
gcl() {
  gitlab-ci-local --force-shell-executor --variable "KEA_API_PASSWORD=$KEA_API_PASSWORD" "$@" >"$work/gcl.log" 2>&1
}
g() { git -c user.name=ci -c user.email=ci@example.org "$@"; }

# The site repository, with the template included locally and a bare origin.
repo=$work/site
mkdir -p "$repo/ci" && cd "$repo"
g init -q -b main
cp "$root"/examples/homelab/*.yaml .
cp "$root/pipelines/gitlab/keaops.gitlab-ci.yml" ci/
printf 'include:\n  - local: ci/keaops.gitlab-ci.yml\n' >.gitlab-ci.yml
printf '.gitlab-ci-local/\n' >.gitignore
g add . && g commit -qm "homelab site"
g init -q --bare "$work/origin.git" && g remote add origin "$work/origin.git" && g push -q origin main

mr=(--ignore-predefined-vars CI_PIPELINE_SOURCE --variable CI_PIPELINE_SOURCE=merge_request_event --variable CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main)

# 1. A merge request that reserves an address twice.
g checkout -q -b mr-bad
printf '  - hostname: intruder\n    hw-address: "02:00:00:00:99:99"\n    ip-address: 10.30.30.57\n' >>reservations.yaml
g commit -qam "reserve 10.30.30.57 again"
if gcl "${mr[@]}" keaops:check; then cat "$work/gcl.log"; fail "the bad merge request passed keaops:check"; fi
report=$(find .gitlab-ci-local -name gl-code-quality-report.json -path '*keaops*check*' | head -1)
[ -n "$report" ] || { cat "$work/gcl.log"; fail "no Code Quality report"; }
grep -q '"path": "reservations.yaml"' "$report" && grep -q '"begin": 55' "$report" &&
  grep -q 'ip-address 10.30.30.57 is already reserved for printer-3' "$report" ||
  { cat "$report"; fail "the Code Quality report does not point at reservations.yaml:55"; }
ok "bad merge request: keaops:check fails, Code Quality points at reservations.yaml:55"

# 2. A good merge request.
g checkout -q main && g checkout -q -b mr-good
printf '  - hostname: printer-4\n    hw-address: "02:42:ac:11:00:08"\n    ip-address: 10.30.30.58\n' >>reservations.yaml
g commit -qam "printer-4"
gcl "${mr[@]}" keaops:check keaops:plan || { cat "$work/gcl.log"; fail "the good merge request failed"; }
plan=$(find .gitlab-ci-local -name keaops-plan.md | head -1)
grep -q '### keaops plan: 1 change on 1 of 1 node' "$plan" && grep -q 'reservation printer-4 02:42:ac:11:00:08 → 10.30.30.58 (IoT)' "$plan" ||
  { cat "$plan"; fail "the plan does not show the new reservation"; }
ok "good merge request: keaops:check passes, keaops:plan shows + reservation printer-4"

# 3. The default branch: a local pair runs main as it was; the merge goes out.
g checkout -q main
lp_overrides "$work" kea-primary kea-secondary
lp_start "$work" "$repo/keaops.yaml" kea-primary kea-secondary
lp_wait "$work" "$repo/keaops.yaml" || fail "the local pair did not come up"
g merge -q --ff-only mr-good && g push -q origin main

g init -q --bare "$work/rendered.git"
gcl --variable KEAOPS_MODE=pull --variable "KEAOPS_PUBLISH_REMOTE=$work/rendered.git" keaops:render keaops:publish ||
  { cat "$work/gcl.log"; fail "render and publish failed"; }
git --git-dir "$work/rendered.git" show keaops-rendered:kea-primary/kea-dhcp4.json | grep -q '"hostname": "printer-4"' ||
  fail "the published render lacks printer-4"
ok "default branch, pull mode: keaops:render + keaops:publish committed the render to a bare remote"

cp "$work/local.yaml" local.yaml
gcl --variable KEAOPS_MODE=push --variable "KEAOPS_DEPLOY_ARGS=--override $repo/local.yaml" --manual keaops:deploy \
  keaops:render keaops:check keaops:deploy || { cat "$work/gcl.log"; fail "the deploy job failed"; }
"$keaops" diff --site keaops.yaml --override local.yaml --exit-code >/dev/null || fail "after the deploy job the pair differs from Git"
ok "default branch, push mode: the manual keaops:deploy job deployed to the local pair (diff: no changes)"

# 4. A merge request whose target branch moved on: the plan is the MR's
# change alone, against the merge base, not others' merged changes reversed.
g checkout -q -b mr-late
printf '  - hostname: printer-6\n    hw-address: "02:42:ac:11:00:0a"\n    ip-address: 10.30.30.60\n' >>reservations.yaml
g commit -qam "printer-6"
g checkout -q main
printf '  - hostname: printer-5\n    hw-address: "02:42:ac:11:00:09"\n    ip-address: 10.30.30.59\n' >>reservations.yaml
g commit -qam "printer-5, merged meanwhile" && g push -q origin main
g checkout -q mr-late
for base in "" "$(g merge-base mr-late main)"; do
  # As GitLab runs it (CI_MERGE_REQUEST_DIFF_BASE_SHA), and without it.
  rm -rf .gitlab-ci-local
  gcl "${mr[@]}" ${base:+--variable "CI_MERGE_REQUEST_DIFF_BASE_SHA=$base"} keaops:plan || { cat "$work/gcl.log"; fail "keaops:plan failed"; }
  plan=$(find .gitlab-ci-local -name keaops-plan.md | head -1)
  grep -q '### keaops plan: 1 change on 1 of 1 node' "$plan" && grep -q 'reservation printer-6' "$plan" && ! grep -q 'printer-5' "$plan" ||
    { cat "$plan"; fail "the plan of a merge request whose target moved on is not its own change alone"; }
done
ok "merge request behind its target: keaops:plan shows + printer-6 only (merge base, with and without CI_MERGE_REQUEST_DIFF_BASE_SHA)"

# 5. Every pipeline of a merge request edits one note instead of adding one.
(cd "$root" && go build -o "$work/gitlab-server" ./internal/gitlabtest/server)
"$work/gitlab-server" -token glpat-pipelines -addr-file "$work/gitlab.addr" -notes-file "$work/notes.json" &
gitlab_pid=$!
for _ in $(seq 50); do [ -s "$work/gitlab.addr" ] && break; sleep 0.1; done
note=(--ignore-predefined-vars CI_PIPELINE_SOURCE,CI_API_V4_URL,CI_PROJECT_ID --variable CI_PIPELINE_SOURCE=merge_request_event
  --variable CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main --variable "CI_API_V4_URL=$(cat "$work/gitlab.addr")/api/v4"
  --variable CI_PROJECT_ID=42 --variable CI_MERGE_REQUEST_IID=7 --variable KEAOPS_GITLAB_TOKEN=glpat-pipelines)
for round in 1 2; do
  rm -rf .gitlab-ci-local
  gcl "${note[@]}" keaops:plan || { cat "$work/gcl.log"; fail "keaops:plan with a note failed"; }
  [ "$(grep -c 'keaops:plan' "$work/notes.json")" = 1 ] || { cat "$work/notes.json"; fail "pipeline $round: not exactly one keaops note"; }
  if [ $round = 1 ]; then
    grep -q "note [0-9]* added on !7" "$work/gcl.log" || { cat "$work/gcl.log"; fail "the first pipeline added no note"; }
    # The merge request gets another commit.
    printf '  - hostname: printer-7\n    hw-address: "02:42:ac:11:00:0b"\n    ip-address: 10.30.30.61\n' >>reservations.yaml
    g commit -qam "printer-7"
  fi
done
grep -q "note [0-9]* edited on !7" "$work/gcl.log" && grep -q 'printer-7' "$work/notes.json" && grep -q '2 changes on 1 of 1 node' "$work/notes.json" ||
  { cat "$work/gcl.log" "$work/notes.json"; fail "the second pipeline did not edit the note to its plan"; }
ok "two pipelines of one merge request: one note, added by the first, edited to the second's plan (printer-6 and printer-7)"

echo "$pass passed, 0 failed"

#!/usr/bin/env bash
# artifacts.sh DIST: verifies a release build's checksums and lists what
# it made, with sizes (the proof CI's log keeps of every snapshot build).
set -euo pipefail
cd "${1:-dist}"
sha256sum --check --quiet checksums.txt
while read -r _ file; do
  echo "$(stat -c %s "$file") $file"
done <checksums.txt | awk '
  { printf "%8.1f MB  %s\n", $1 / 1048576, $2; total += $1; n++ }
  END { printf "%8.1f MB  in %d artifacts; checksums.txt verified\n", total / 1048576, n }'

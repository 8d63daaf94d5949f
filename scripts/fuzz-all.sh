#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a short time each (default 5s).
# Usage: scripts/fuzz-all.sh [duration]
set -euo pipefail
cd "$(dirname "$0")/.."
dur="${1:-5s}"
count=0
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  targets=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u || true)
  for t in $targets; do
    echo "fuzz $pkg $t ($dur)"
    go test -run '^$' -fuzz "^${t}\$" -fuzztime "$dur" "$pkg"
    count=$((count+1))
  done
done
echo "fuzz targets run: $count"

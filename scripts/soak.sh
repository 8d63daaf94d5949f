#!/usr/bin/env bash
# soak.sh [DURATION] — mixed load against the real immudb server on
# 127.0.0.1 (tests/soak, TestSoak): writes, verified reads, scans and new
# sessions for DURATION (default $SOAK_DURATION or 10m), with the server's
# RSS, goroutines and open fds sampled. Fails on any error or a clear leak.
# Extra arguments after DURATION go to the test binary (e.g. -soak.seed=N).
# The last line printed is exactly:
#   duration=<d> ops=<n> errors=<n> rss_start=<MiB> rss_end=<MiB> goroutines_start=<n> goroutines_end=<n> fds_start=<n> fds_end=<n> p50=<d> p99=<d>
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-${SOAK_DURATION:-10m}}"
shift || true
go="${GO:-go}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$go" test -c -o "$tmp/soak.test" ./tests/soak
# A bound on the whole run: the duration plus 5 minutes for start and stop.
case "$duration" in
*h) secs=$((${duration%h} * 3600)) ;;
*m) secs=$((${duration%m} * 60)) ;;
*s) secs=${duration%s} ;;
*) echo "soak.sh: duration like 90s, 10m or 1h, not $duration" >&2; exit 2 ;;
esac
status=0
(cd tests/soak && "$tmp/soak.test" -test.run '^TestSoak$' -test.v \
	-test.timeout "$((secs + 300))s" -soak.duration "$duration" "$@") | tee "$tmp/out" | grep --line-buffered -v '^duration=' || status=$?
grep -q -- '^--- PASS: TestSoak' "$tmp/out" || status=1
summary="$(grep '^duration=' "$tmp/out" | tail -n 1 || true)"
echo "${summary:-duration=0 ops=0 errors=0 rss_start=0 rss_end=0 goroutines_start=0 goroutines_end=0 fds_start=0 fds_end=0 p50=0 p99=0}"
exit "$status"

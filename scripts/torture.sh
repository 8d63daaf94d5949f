#!/usr/bin/env bash
# torture.sh [CYCLES] — crash consistency of the real immudb server
# (tests/torture, TestCrashConsistency): SIGKILL under concurrent synced
# writes, restart, re-verify. Loopback only, everything in a temp dir.
# Extra arguments after CYCLES go to the test binary (e.g. -torture.seed=N).
# The last line printed is exactly:
#   cycles=<n> acknowledged=<n> lost=<n> verified=<n>
set -euo pipefail
cd "$(dirname "$0")/.."
cycles="${1:-50}"
shift || true
go="${GO:-go}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$go" test -c -o "$tmp/torture.test" ./tests/torture
# A bound on the whole run: 10 s per cycle plus the build of the server.
timeout=$((cycles * 10 + 300))
status=0
(cd tests/torture && "$tmp/torture.test" -test.run '^TestCrashConsistency$' -test.v \
	-test.timeout "${timeout}s" -torture.cycles "$cycles" "$@") | tee "$tmp/out" | grep --line-buffered -v '^cycles=' || status=$?
grep -q -- '^--- PASS: TestCrashConsistency' "$tmp/out" || status=1
summary="$(grep '^cycles=' "$tmp/out" | tail -n 1 || true)"
echo "${summary:-cycles=0 acknowledged=0 lost=0 verified=0}"
exit "$status"

#!/usr/bin/env bash
# tamper.sh [FLIPS] — tamper detection sweep (tests/torture,
# TestTamperDetection): single-bit flips over every file kind of a database
# at rest, each classified by the layer that catches it. Loopback only,
# everything in a temp dir. Extra arguments after FLIPS go to the test
# binary (e.g. -tamper.seed=N -tamper.txs=5000). The last line printed is:
#   flips=<n> detected=<n> undetected=<n>
set -euo pipefail
cd "$(dirname "$0")/.."
flips="${1:-300}"
shift || true
go="${GO:-go}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$go" test -c -o "$tmp/torture.test" ./tests/torture
# A bound on the whole run: 5 s per flip plus building the database.
timeout=$((flips * 5 + 300))
status=0
(cd tests/torture && "$tmp/torture.test" -test.run '^TestTamperDetection$' -test.v \
	-test.timeout "${timeout}s" -tamper.flips "$flips" "$@") | tee "$tmp/out" | grep --line-buffered -v '^flips=' || status=$?
grep -q -- '^--- PASS: TestTamperDetection' "$tmp/out" || status=1
summary="$(grep '^flips=' "$tmp/out" | tail -n 1 || true)"
echo "${summary:-flips=0 detected=0 undetected=0}"
exit "$status"

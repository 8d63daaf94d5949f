#!/usr/bin/env bash
# bench-server.sh: start immudb on 127.0.0.1 (free port, temporary data
# directory, metrics and web fronts off), run every `immubench server`
# workload against it for BENCH_DURATION each, stop it, and write the table
# into the "## server" section of docs/BENCHMARKS.md (between the
# bench-server markers) with the machine it ran on.
#
#   BENCH_DURATION   time per workload (default 10s)
#   BENCH_WORKLOADS  space-separated subset (default: all eight, and
#                    verifiedget-1: verifiedget over keys written one per tx,
#                    and grpc-floor / grpc-floor-history: grpc-go alone
#                    answering a Get / a 100-entry History that does no work,
#                    in a process of its own, not our server)
#   BENCH_DOC        file to update (default docs/BENCHMARKS.md; "-" prints only)
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION=${BENCH_DURATION:-10s}
# verifiedget-1 is verifiedget over keys written one per tx (20,000 of them):
# a verified read carries and proves its key's whole tx, so plain
# verifiedget (keys in 1000-entry txs) measures the size of that answer.
# setall runs last: its 5-6M entries leave minutes of index compaction
# behind, which would otherwise be measured as part of the reads after it
# (get fell from 33k to 21k ops/s when it followed setall).
# grpc-floor runs first, on the idle machine: it is the most any server built
# on grpc-go can answer here with the same load generator shape as get.
WORKLOADS=${BENCH_WORKLOADS:-"grpc-floor grpc-floor-history set verifiedset get verifiedget verifiedget-1 scan history mixed setall"}
DOC=${BENCH_DOC:-docs/BENCHMARKS.md}
GO=${GO:-go}

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-server.XXXXXX")
server_pid=""
cleanup() {
	if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

echo "building immudb and immubench into $work" >&2
"$GO" build -o "$work/immudb" ./cmd/immudb
"$GO" build -o "$work/immubench" ./cmd/immubench

# --port 0: the OS picks a free port, which the ready line reports.
"$work/immudb" --dir "$work/data" --address 127.0.0.1 --port 0 \
	--metrics-server=false --web-server=false >"$work/immudb.log" 2>&1 &
server_pid=$!
addr=""
for _ in $(seq 1 300); do
	addr=$(sed -n 's/.*immudb is ready.*grpc=\([0-9.]*:[0-9]*\).*/\1/p' "$work/immudb.log" | head -n1)
	[[ -n "$addr" ]] && break
	if ! kill -0 "$server_pid" 2>/dev/null; then
		echo "immudb exited before it was ready:" >&2
		cat "$work/immudb.log" >&2
		exit 1
	fi
	sleep 0.1
done
if [[ -z "$addr" ]]; then
	echo "immudb was not ready after 30s:" >&2
	cat "$work/immudb.log" >&2
	exit 1
fi
port=${addr##*:}
echo "immudb ready on $addr" >&2

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
load_start=$(loadavg)
rows=""
status=0
for w in $WORKLOADS; do
	echo "== $w ($DURATION)" >&2
	# A run with errors exits non-zero but still prints its summary line,
	# which goes into the table with its error count.
	args=(--workload "$w")
	if [[ "$w" == verifiedget-1 ]]; then
		args=(--workload verifiedget --preload-batch 1 --keys 20000)
	fi
	if [[ "$w" == grpc-floor* ]]; then
		fargs=()
		[[ "$w" == grpc-floor-history ]] && fargs=(--entries 100 --concurrency 16)
		if ! "$work/immubench" grpc-floor "${fargs[@]}" --duration "$DURATION" | tee "$work/$w.out" >&2; then
			status=1
		fi
	elif ! "$work/immubench" server --address 127.0.0.1 --port "$port" "${args[@]}" \
		--duration "$DURATION" | tee "$work/$w.out" >&2; then
		status=1
	fi
	line=$(tail -n1 "$work/$w.out")
	if [[ "$line" != workload=* ]]; then
		echo "no summary line for $w" >&2
		rows+="| $w | – | – | – | – | – | run failed |"$'\n'
		status=1
		continue
	fi
	get() { sed -n "s#.* $1=\([^ ]*\).*#\1#p" <<<" $line"; }
	fmt() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; } # thousands separators
	label=$w
	[[ "$w" == grpc-floor ]] && label="grpc-floor (grpc-go alone answering get's shape, no work; not our server)"
	[[ "$w" == grpc-floor-history ]] && label="grpc-floor-history (grpc-go alone answering history's 100 entries, no work; not our server)"
	rows+="| $label | $(get concurrency) | $(fmt "$(get ops/s)") | $(fmt "$(get entries/s)") | $(get p50) | $(get p99) | $(get errors) |"$'\n'
done
load_end=$(loadavg)

kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""

cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n1)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=""
if ! git diff --quiet HEAD -- 2>/dev/null; then dirty=" (working tree modified)"; fi
table="<!-- bench-server:begin -->
Run: \`scripts/bench-server.sh\` (\`make bench-server\`), BENCH_DURATION=$DURATION per workload,
server and load generator on the same machine, default synced mode, 127.0.0.1.
Machine: nproc = $(nproc), CPU \`$cpu\`, $(date -u '+%Y-%m-%d %H:%M UTC'), commit \`$commit\`$dirty,
$("$GO" version | cut -d' ' -f3-4). Load average (1/5/15 min) before: $load_start, after: $load_end.

| workload | concurrency | ops/s | entries/s | p50 | p99 | errors |
|---|---:|---:|---:|---:|---:|---:|
${rows}<!-- bench-server:end -->"

if [[ "$DOC" == "-" ]]; then
	echo "$table"
	exit $status
fi
if grep -q '<!-- bench-server:begin -->' "$DOC"; then
	# Replace the block between the markers, keeping the rest of the file.
	TABLE="$table" awk '
		/<!-- bench-server:begin -->/ { print ENVIRON["TABLE"]; skip = 1; next }
		/<!-- bench-server:end -->/ { skip = 0; next }
		!skip { print }
	' "$DOC" >"$work/doc.md"
	cat "$work/doc.md" >"$DOC"
else
	printf '\n## server\n\n%s\n' "$table" >>"$DOC"
fi
echo "updated $DOC" >&2
exit $status

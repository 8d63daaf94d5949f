#!/usr/bin/env bash
# bench-scale.sh: the server at scale (issue 8's memory and start-up
# targets). It starts immudb on 127.0.0.1 with a temporary data directory,
# loads SCALE_KEYS keys into defaultdb through gRPC (immubench's get
# preload, 1000 keys per tx) and reads them at random, stops the server,
# appends SCALE_TXS more txs to defaultdb with the embedded engine (the
# fastest way to get a log of that many txs), then restarts the server and
# reports how long it took to be ready and its resident memory, before and
# after another round of random reads.
#
#   SCALE_KEYS  keys written through the server (default 10000000)
#   SCALE_TXS   txs appended with the engine (default 10000000)
#   SCALE_READ  duration of each read round (default 10s)
#
# Prints one summary line per phase; nothing is written to the docs.
set -euo pipefail

cd "$(dirname "$0")/.."
KEYS=${SCALE_KEYS:-10000000}
TXS=${SCALE_TXS:-10000000}
READ=${SCALE_READ:-10s}
GO=${GO:-go}

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-scale.XXXXXX")
server_pid=""
cleanup() {
	if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

"$GO" build -o "$work/immudb" ./cmd/immudb
"$GO" build -o "$work/immubench" ./cmd/immubench

rss() { awk '/^VmRSS/ { printf "%dMiB", $2 / 1024 }' "/proc/$1/status"; }
hwm() { awk '/^VmHWM/ { printf "%dMiB", $2 / 1024 }' "/proc/$1/status"; }

# start launches the server, sets server_pid and port, and sets started to
# the time it took to be ready and its resident memory then.
start() {
	: >"$work/immudb.log"
	local t0 t1 addr=""
	t0=$(date +%s%N)
	"$work/immudb" --dir "$work/data" --address 127.0.0.1 --port 0 \
		--metrics-server=false --web-server=false >>"$work/immudb.log" 2>&1 &
	server_pid=$!
	for _ in $(seq 1 6000); do
		addr=$(sed -n 's/.*immudb is ready.*grpc=\([0-9.]*:[0-9]*\).*/\1/p' "$work/immudb.log" | head -n1)
		[[ -n "$addr" ]] && break
		if ! kill -0 "$server_pid" 2>/dev/null; then
			cat "$work/immudb.log" >&2
			exit 1
		fi
		sleep 0.01
	done
	[[ -n "$addr" ]] || { cat "$work/immudb.log" >&2; exit 1; }
	t1=$(date +%s%N)
	port=${addr##*:}
	started="ready_ms=$(((t1 - t0) / 1000000)) rss=$(rss "$server_pid")"
}

stop() {
	kill "$server_pid"
	wait "$server_pid" 2>/dev/null || true
	server_pid=""
}

start
echo "phase=first-start $started"
"$work/immubench" server --port "$port" --workload get --keys "$KEYS" --duration "$READ" --progress 0 | tail -n2
echo "phase=after-load keys=$KEYS rss=$(rss "$server_pid") peak=$(hwm "$server_pid")"
stop

"$work/immubench" engine --dir "$work/data/defaultdb" --workload set --concurrency 256 \
	--n "$TXS" --synced=false --keep | tail -n1

start
echo "phase=restart txs>=$TXS $started"
"$work/immubench" server --port "$port" --workload get --keys 100000 --duration "$READ" --progress 0 | tail -n1
echo "phase=after-reads rss=$(rss "$server_pid") peak=$(hwm "$server_pid")"
stop

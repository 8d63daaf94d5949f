#!/usr/bin/env bash
# container-check.sh: build the three images of build/ with podman and check
# the server image end to end (issue 6). Not run by CI: it needs root, podman
# and debootstrap, and takes ~10 minutes on 2 cores.
#
# Without a registry (the test machine reaches only Debian's mirror and the Go
# module proxy), it makes the two base images the Dockerfiles name itself:
#   debian:bookworm-slim  a debootstrap --variant=minbase bookworm rootfs
#   golang:1.26           the same rootfs + make, git, ca-certificates, the
#                         host's /usr/local/go, and the host's extra CAs from
#                         /usr/local/share/ca-certificates (for TLS-inspecting
#                         egress proxies); PATH/GOPATH/WORKDIR as the official
#                         image. Existing images of those names are kept
#                         unless REBUILD_BASE=1.
# Then it builds attestdb/immudb, attestdb/immuclient and attestdb/immuadmin
# (--format docker, so HEALTHCHECK is kept), runs the server with its ports
# published on 127.0.0.1 only and a named volume, and checks: non-root uid
# 3322, the HEALTHCHECK command, /metrics, /readyz, /livez, REST /api/health,
# REST login+set+get, immuclient (image) set/get, immuadmin (image) status,
# the data on the volume, and that the data survives a container restart.
# Leaves no container or volume behind; exits non-zero on the first failure.
#
#   WORK            base image rootfs folder (default /tmp/containers)
#   GOROOT_HOST     Go toolchain copied into golang:1.26 (default /usr/local/go)
#   REBUILD_BASE=1  rebuild the base images even if they exist
#   SKIP_BUILD=1    reuse the attestdb/* images already built
#   PODMAN_RUNTIME  OCI runtime (default: runc when installed; crun refuses
#                   hybrid cgroup v1/v2 hosts)
#   CHECK_SYSTEMD=1 also run `immudb service install|status|stop|start|uninstall`
#                   in a bookworm container booted with systemd (--systemd=always,
#                   --network none: the service's 0.0.0.0 stays in the container),
#                   then `immuclient audit-mode install|status|stop|start|uninstall`
#                   auditing that server (metrics: result ok, tx > 0)
#   SYSTEMD_ONLY=1  only the systemd part; reuses the attestdb/immudb and
#                   attestdb/immuclient images when they exist (no build)
#   IMMUCLIENT_BIN  static immuclient for the systemd part (default: the one
#                   in attestdb/immuclient), e.g. from `make immuclient-static`
set -euo pipefail

cd "$(dirname "$0")/.."
WORK=${WORK:-/tmp/containers}
GOROOT_HOST=${GOROOT_HOST:-/usr/local/go}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
NAME=attestdb-check
VOLUME=attestdb-check-data
GOLANG_PATH=/usr/local/go/bin:/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

[[ $(id -u) == 0 ]] || { echo "container-check: run as root (rootful podman, debootstrap)" >&2; exit 2; }
for tool in podman debootstrap curl; do
	command -v "$tool" >/dev/null || { echo "container-check: $tool missing (apt-get install -y podman debootstrap curl)" >&2; exit 2; }
done
mkdir -p "$WORK"

# Our own containers.conf: ulimits no higher than this host's hard limits
# (podman's default nofile=1048576 fails without CAP_SYS_RESOURCE) and a
# runtime that works on hybrid cgroups.
runtime=${PODMAN_RUNTIME:-}
if [[ -z $runtime ]] && command -v runc >/dev/null; then runtime=runc; fi
nofile=$(ulimit -Hn); [[ $nofile == unlimited ]] && nofile=1048576
{
	echo "[containers]"
	echo "default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=4096:4096\"]"
	if [[ -n $runtime ]]; then echo "[engine]"; echo "runtime = \"$runtime\""; fi
} >"$WORK/containers.conf"
export CONTAINERS_CONF=$WORK/containers.conf

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok   $*"; }

cleanup() {
	local c
	for c in "$NAME" "$NAME-systemd" "$NAME-extract"; do
		podman rm -f -v -t 5 "$c" >/dev/null 2>&1 || true
	done
	podman volume rm -f "$VOLUME" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup

# --- base images -----------------------------------------------------------
rootfs="$WORK/bookworm"
if [[ ${REBUILD_BASE:-} == 1 ]] || ! podman image exists docker.io/library/debian:bookworm-slim ||
	! podman image exists docker.io/library/golang:1.26; then
	if [[ ! -x $rootfs/bin/sh ]]; then
		rm -rf "$rootfs"
		debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR"
		rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
	fi
	podman rmi -f docker.io/library/debian:bookworm-slim >/dev/null 2>&1 || true
	tar -C "$rootfs" -c . | podman import - docker.io/library/debian:bookworm-slim

	golang="$WORK/golang"
	rm -rf "$golang"
	cp -a "$rootfs" "$golang"
	cp /etc/resolv.conf "$golang/etc/resolv.conf"
	chroot "$golang" sh -c 'apt-get update -q && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends make git ca-certificates &&
		apt-get clean && rm -rf /var/lib/apt/lists/*'
	if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
		cp /usr/local/share/ca-certificates/*.crt "$golang/usr/local/share/ca-certificates/"
		chroot "$golang" update-ca-certificates
	fi
	mkdir -p "$golang/usr/local" "$golang/go"
	rm -rf "$golang/usr/local/go"
	cp -a "$GOROOT_HOST" "$golang/usr/local/go"
	podman rmi -f docker.io/library/golang:1.26 >/dev/null 2>&1 || true
	tar -C "$golang" -c . | podman import \
		--change "ENV PATH=$GOLANG_PATH" --change 'ENV GOPATH=/go' --change 'WORKDIR /go' \
		- docker.io/library/golang:1.26
fi
ok "base images: $(podman run --rm --pull=never docker.io/library/golang:1.26 go version)"

# --- build -----------------------------------------------------------------
if [[ ${SYSTEMD_ONLY:-} == 1 ]] && podman image exists localhost/attestdb/immudb &&
	podman image exists localhost/attestdb/immuclient; then
	SKIP_BUILD=1
fi
if [[ ${SKIP_BUILD:-} != 1 ]]; then
	for img in immudb immuclient immuadmin; do
		df=build/Dockerfile; [[ $img != immudb ]] && df=build/Dockerfile.$img
		# podman 4.3 does not pick up <Dockerfile>.dockerignore by itself.
		podman build --format docker --pull=never --ignorefile "$df.dockerignore" \
			-f "$df" -t "attestdb/$img" . || fail "build $df"
		ok "built attestdb/$img"
	done
fi

# --- systemd service (optional) ---------------------------------------------
systemd_check() {
	sysimg=localhost/attestdb-systemd-test:bookworm
	if [[ ${REBUILD_BASE:-} == 1 ]] || ! podman image exists "$sysimg"; then
		sysroot="$WORK/systemd-root"
		rm -rf "$sysroot"
		cp -a "$rootfs" "$sysroot"
		cp /etc/resolv.conf "$sysroot/etc/resolv.conf"
		chroot "$sysroot" sh -c 'apt-get update -q && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q --no-install-recommends systemd systemd-sysv curl &&
			apt-get clean && rm -rf /var/lib/apt/lists/*'
		: >"$sysroot/etc/resolv.conf"
		podman rmi -f "$sysimg" >/dev/null 2>&1 || true
		tar -C "$sysroot" -c . | podman import --change 'CMD ["/sbin/init"]' - "$sysimg"
	fi
	podman create --name "$NAME-extract" localhost/attestdb/immudb >/dev/null
	podman cp "$NAME-extract:/usr/sbin/immudb" "$WORK/immudb-static"
	podman rm -v "$NAME-extract" >/dev/null
	podman run -d --name "$NAME-systemd" --systemd=always --network none \
		-v "$WORK/immudb-static:/opt/immudb:ro" "$sysimg" /sbin/init >/dev/null
	sx() { podman exec "$NAME-systemd" "$@"; }
	for _ in $(seq 30); do
		state=$(sx systemctl is-system-running 2>/dev/null || true)
		[[ $state == running || $state == degraded ]] && break
		sleep 1
	done
	[[ $state == running || $state == degraded ]] || fail "systemd did not boot: $state"
	sx install -m 0755 /opt/immudb /usr/local/bin/immudb
	sx immudb service install --dry-run >/dev/null || fail "service install --dry-run"
	sx immudb service install || fail "service install"
	sysready() {
		for _ in $(seq 30); do
			[[ $(sx curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9497/readyz) == 200 ]] && return 0
			sleep 1
		done
		sx immudb service status >&2 || true
		fail "service not ready in 30 s"
	}
	sysready
	sx immudb service status >/dev/null || fail "service status"
	[[ $(sx sh -c 'stat -c %U /proc/$(pidof immudb)') == immudb ]] || fail "service not running as immudb"
	ok "systemd: service install, active, ready, runs as user immudb"
	# immuclient audit-mode as a second service, auditing that server.
	local clientbin=${IMMUCLIENT_BIN:-}
	if [[ -z $clientbin ]]; then
		clientbin=$WORK/immuclient-static
		podman create --name "$NAME-extract" localhost/attestdb/immuclient >/dev/null
		podman cp "$NAME-extract:/usr/local/bin/immuclient" "$clientbin"
		podman rm -v "$NAME-extract" >/dev/null
	fi
	podman cp "$clientbin" "$NAME-systemd:/usr/local/bin/immuclient"
	sx chmod 0755 /usr/local/bin/immuclient
	plan=$(sx immuclient audit-mode install --dry-run) || fail "audit-mode install --dry-run"
	for want in 'useradd' '/var/lib/immuclient' 'write /etc/immudb/immuclient.toml' \
		'write /etc/systemd/system/immuclient.service' 'User=immuclient' \
		'ExecStart=/usr/local/bin/immuclient audit-mode --config /etc/immudb/immuclient.toml' \
		'systemctl enable immuclient.service'; do
		[[ $plan == *"$want"* ]] || fail "audit-mode install --dry-run lacks '$want': $plan"
	done
	sx test ! -e /etc/systemd/system/immuclient.service || fail "--dry-run wrote the unit"
	ok "systemd: audit-mode install --dry-run prints the plan, changes nothing"
	# Settings given to install go into its config (a 2 s interval keeps
	# the check short).
	sx immuclient audit-mode install --audit-username immudb --audit-password immudb \
		--audit-interval 2s || fail "audit-mode install"
	sx grep -qx 'audit-username = "immudb"' /etc/immudb/immuclient.toml ||
		fail "install did not write --audit-username into /etc/immudb/immuclient.toml"
	[[ $(sx stat -c '%a %U:%G' /etc/immudb/immuclient.toml) == '640 root:immuclient' ]] ||
		fail "config mode/owner: $(sx stat -c '%a %U:%G' /etc/immudb/immuclient.toml)"
	sx immuclient audit-mode stop || fail "audit-mode stop"
	[[ $(sx systemctl is-active immuclient || true) == inactive ]] || fail "auditor still active after stop"
	sx immuclient --immudb-address 127.0.0.1 --immudb-port 3322 --username immudb --password immudb \
		set audited-key audited-value >/dev/null || fail "immuclient set in the systemd container"
	sx immuclient audit-mode start || fail "audit-mode start"
	audited() { # waits for a round that proved a state with tx > 0
		local m
		for _ in $(seq 30); do
			m=$(sx curl -s http://127.0.0.1:9477/metrics || true)
			if grep -Eq '^immuclient_audit_result_per_server\{[^}]*\} 1$' <<<"$m" &&
				grep -Eq '^immuclient_audit_curr_root_per_server\{[^}]*\} [1-9][0-9]*$' <<<"$m"; then
				grep -E '^immuclient_audit_(result|prev_root|curr_root)_per_server' <<<"$m"
				return 0
			fi
			sleep 1
		done
		grep '^immuclient_audit' <<<"$m" >&2 || true
		sx journalctl -u immuclient --no-pager -n 30 >&2 || true
		fail "auditor reported no successful audit in 30 s"
	}
	audited
	out=$(sx immuclient audit-mode status) || fail "audit-mode status"
	[[ $out == *'Active: active (running)'* ]] || fail "audit-mode status: $out"
	[[ $(sx sh -c 'stat -c %U /proc/$(pidof immuclient)') == immuclient ]] || fail "auditor not running as immuclient"
	ok "systemd: audit-mode install, status '$(grep -o 'Active: [a-z]* ([a-z]*)' <<<"$out")', runs as user immuclient, metrics say ok with tx > 0"
	sx immuclient audit-mode stop || fail "audit-mode stop"
	[[ $(sx systemctl is-active immuclient || true) == inactive ]] || fail "auditor still active after stop"
	sx immuclient --immudb-address 127.0.0.1 --immudb-port 3322 --username immudb --password immudb \
		set audited-key audited-value-2 >/dev/null || fail "second immuclient set"
	sx immuclient audit-mode start || fail "audit-mode start"
	audited
	ok "systemd: audit-mode stop/start"
	sx immuclient audit-mode uninstall || fail "audit-mode uninstall"
	sx test ! -e /etc/systemd/system/immuclient.service || fail "auditor unit left after uninstall"
	sx sh -c 'ls /var/lib/immuclient/.state-*' >/dev/null || fail "uninstall removed the trusted states"
	sx test -f /etc/immudb/immuclient.toml || fail "uninstall removed the auditor config"
	ok "systemd: audit-mode uninstall removes the unit, keeps trusted states and config"
	sx immudb service stop || fail "service stop"
	[[ $(sx systemctl is-active immudb || true) == inactive ]] || fail "still active after stop"
	sx immudb service start || fail "service start"
	sysready
	ok "systemd: service stop/start"
	sx immudb service uninstall || fail "service uninstall"
	sx test ! -e /etc/systemd/system/immudb.service || fail "unit left after uninstall"
	sx test -d /var/lib/immudb/defaultdb || fail "uninstall removed the data"
	sx test -f /etc/immudb/immudb.toml || fail "uninstall removed the config"
	ok "systemd: service uninstall removes the unit, keeps data and config"
}

if [[ ${SYSTEMD_ONLY:-} == 1 ]]; then
	systemd_check
	echo "container-check: systemd checks passed"
	exit 0
fi

# --- run and check ---------------------------------------------------------
podman run -d --name "$NAME" \
	-p 127.0.0.1:3322:3322 -p 127.0.0.1:9497:9497 -p 127.0.0.1:8080:8080 \
	-v "$VOLUME:/var/lib/immudb" localhost/attestdb/immudb >/dev/null

wait_ready() {
	for _ in $(seq 60); do
		[[ $(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9497/readyz) == 200 ]] && return 0
		sleep 1
	done
	podman logs "$NAME" >&2 || true
	fail "server not ready in 60 s"
}
wait_ready
ok "readyz 200"

uid=$(podman exec "$NAME" id -u)
[[ $uid == 3322 ]] || fail "server runs as uid $uid, want 3322"
ok "non-root: $(podman exec "$NAME" id)"

podman healthcheck run "$NAME" || fail "HEALTHCHECK (immuadmin status) failed"
ok "HEALTHCHECK: $(podman inspect "$NAME" --format '{{.State.Health.Status}}')"

[[ $(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9497/livez) == 200 ]] || fail "livez"
ok "livez 200"
curl -s http://127.0.0.1:9497/metrics | grep -q '^immudb_db_size_bytes{db="defaultdb"}' || fail "metrics family immudb_db_size_bytes"
ok "/metrics has immudb_* families"

health=$(curl -s http://127.0.0.1:8080/api/health)
[[ $health == *'"status":true'* ]] || fail "REST health: $health"
ok "REST /api/health: $health"
token=$(curl -s -X POST http://127.0.0.1:8080/api/login -d '{"user":"aW1tdWRi","password":"aW1tdWRi"}' |
	sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[[ -n $token ]] || fail "REST login"
curl -s -H "Authorization: Bearer $token" -X POST http://127.0.0.1:8080/api/db/set \
	-d '{"KVs":[{"key":"cmVzdGtleQ==","value":"cmVzdHZhbHVl"}]}' | grep -q '"id"' || fail "REST set"
got=$(curl -s -H "Authorization: Bearer $token" 'http://127.0.0.1:8080/api/db/get/cmVzdGtleQ==')
[[ $got == *'"value":"cmVzdHZhbHVl"'* ]] || fail "REST get: $got"
ok "REST login/set/get: $got"

client() { podman run --rm --pull=never --network host localhost/attestdb/immuclient \
	--immudb-address 127.0.0.1 --immudb-port 3322 --username immudb --password immudb --database defaultdb "$@"; }
client set greeting hello-from-container >/dev/null || fail "immuclient set"
out=$(client get greeting) || fail "immuclient get"
[[ $out == *hello-from-container* ]] || fail "immuclient get printed: $out"
ok "immuclient image set/get"
out=$(podman run --rm --pull=never --network host localhost/attestdb/immuadmin status) || fail "immuadmin status"
[[ $out == *OK* ]] || fail "immuadmin status printed: $out"
ok "immuadmin image status"

mnt=$(podman volume inspect "$VOLUME" --format '{{.Mountpoint}}')
[[ -d $mnt/defaultdb ]] || fail "no defaultdb on the volume ($mnt)"
owner=$(stat -c %u "$mnt/defaultdb")
[[ $owner == 3322 ]] || fail "volume data owned by uid $owner"
ok "volume $VOLUME holds the data ($(du -sh "$mnt" | cut -f1), uid $owner)"

podman stop -t 60 "$NAME" >/dev/null
podman start "$NAME" >/dev/null
wait_ready
out=$(client get greeting) || fail "immuclient get after restart"
[[ $out == *hello-from-container* ]] || fail "after restart, get printed: $out"
got=$(curl -s -H "Authorization: Bearer $(curl -s -X POST http://127.0.0.1:8080/api/login \
	-d '{"user":"aW1tdWRi","password":"aW1tdWRi"}' | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')" \
	'http://127.0.0.1:8080/api/db/get/cmVzdGtleQ==')
[[ $got == *cmVzdHZhbHVl* ]] || fail "after restart, REST get: $got"
ok "data persists across stop/start"

# A new container on the same volume (an upgrade) sees the same data.
podman rm -f -v -t 60 "$NAME" >/dev/null
podman run -d --name "$NAME" \
	-p 127.0.0.1:3322:3322 -p 127.0.0.1:9497:9497 -p 127.0.0.1:8080:8080 \
	-v "$VOLUME:/var/lib/immudb" localhost/attestdb/immudb >/dev/null
wait_ready
out=$(client get greeting) || fail "immuclient get in a new container"
[[ $out == *hello-from-container* ]] || fail "new container, get printed: $out"
ok "a new container on the volume serves the same data"

if [[ ${CHECK_SYSTEMD:-} == 1 ]]; then systemd_check; fi
echo "container-check: all checks passed"

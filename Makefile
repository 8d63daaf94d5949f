# The whole test suite is `make test` (the command CI runs).
GO ?= go
FUZZTIME ?= 5s
CYCLES ?= 50
FLIPS ?= 300

.PHONY: all build test test-short vet fuzz-short compat torture tamper bench bench-server proto clean
.PHONY: immudb-static immuclient-static immuadmin-static static dist

all: build

build:
	$(GO) build -o bin/ ./cmd/...

vet:
	$(GO) vet ./...

# test: vet, every test with the race detector, each fuzz target briefly,
# then immudb's official clients (Go SDK and CLIs, Node.js SDK) against our
# server.
test: vet
	$(GO) test -race -count=1 -timeout 25m ./...
	$(MAKE) fuzz-short
	$(MAKE) compat
	$(MAKE) compat-node

test-short:
	$(GO) test -short -count=1 ./...

# fuzz-short runs every Fuzz* target of the module for FUZZTIME each.
fuzz-short:
	@./scripts/fuzz-all.sh $(FUZZTIME)

# compat: immudb's official Go SDK v1.11.1 and its immuclient/immuadmin
# against our server (tests/compat is a separate module, so immudb's code is
# never linked into ours).
compat:
	cd tests/compat && $(GO) test -count=1 -timeout 10m ./...

# compat-node: the official immudb Node.js SDK (immudb-node, pinned in
# tests/compat-node/package-lock.json) against our server; needs Node >= 20
# and the npm registry.
.PHONY: compat-node
compat-node:
	$(GO) build -o tests/compat-node/.bin/immudb ./cmd/immudb
	cd tests/compat-node && npm ci --no-audit --no-fund && \
		IMMUDB_BIN=$(CURDIR)/tests/compat-node/.bin/immudb node --test test/*.test.js

# torture: SIGKILL the real server under concurrent synced writes CYCLES
# times; last line cycles=<n> acknowledged=<n> lost=<n> verified=<n>.
torture:
	./scripts/torture.sh $(CYCLES)

# torture-ci: the crash suite at the CI size the issue asks for (50 cycles
# under go test, with -race like the rest of `make test`).
torture-ci:
	$(GO) test -race -count=1 -timeout 20m -run '^TestCrashConsistency$$' ./tests/torture -torture.cycles=50

# soak: SOAK_DURATION (10m) of mixed load against the real server with RSS,
# goroutines and fds sampled; last line duration=… p99=… (docs/RELIABILITY.md).
SOAK_DURATION ?= 10m
soak:
	SOAK_DURATION=$(SOAK_DURATION) ./scripts/soak.sh

.PHONY: torture-ci soak bench-scale

# tamper: FLIPS single-bit flips over every file of a database at rest;
# last line flips=<n> detected=<n> undetected=<n>. See docs/RELIABILITY.md.
tamper:
	./scripts/tamper.sh $(FLIPS)

# bench: Go micro-benchmarks of the hot paths, then the engine's standard set
# through the bench program (figures go into docs/BENCHMARKS.md by hand,
# with the machine they ran on).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1s ./proof/ ./embedded/index/ ./server/metrics/
	$(GO) build -o bin/immubench ./cmd/immubench
	bin/immubench engine --workload set     --concurrency 128 --n 300000
	bin/immubench engine --workload batch   --concurrency 16  --n 2000000
	bin/immubench engine --workload batch   --concurrency 16  --n 2000000 --synced=false
	bin/immubench engine --workload get     --concurrency 2   --n 300000
	bin/immubench engine --workload scan    --concurrency 2   --n 20000
	bin/immubench engine --workload history --concurrency 2   --n 100000

# bench-server: immudb + immubench server, every workload, table into docs/BENCHMARKS.md
bench-server:
	BENCH_DURATION=$${BENCH_DURATION:-10s} ./scripts/bench-server.sh

# bench-scale: the server with 10M keys and 10M txs: ready time and RSS.
bench-scale:
	./scripts/bench-scale.sh

proto:
	./scripts/genproto.sh

clean:
	rm -rf bin

# Static release builds (docs/INSTALL.md): no cgo, version information
# linked in, any GOOS/GOARCH, e.g.
#   make immudb-static GOOS=linux GOARCH=arm64
# writes $(STATIC_DIR)/immudb-v$(VERSION)-linux-arm64 (immudb's release
# file names); STATIC_SUFFIX= gives plain names (the Dockerfiles use that).
VERSION    ?= 1.11.1-attestdb
COMMIT     ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BUILD_DATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
GOOS       ?= $(shell $(GO) env GOOS)
GOARCH     ?= $(shell $(GO) env GOARCH)
STATIC_DIR ?= dist
STATIC_SUFFIX ?= -v$(VERSION)-$(GOOS)-$(GOARCH)$(if $(filter windows,$(GOOS)),.exe)
CLI_PKG    := github.com/attestdb/attestdb/internal/cli
# -X of a package a program does not link is ignored, so one set serves all.
STATIC_LDFLAGS := -s -w \
	-X $(CLI_PKG)/immudb.Version=$(VERSION) \
	-X $(CLI_PKG)/immudb.Commit=$(COMMIT) \
	-X $(CLI_PKG)/immudb.BuildDate=$(BUILD_DATE) \
	-X $(CLI_PKG)/immuclient.Version=$(VERSION) \
	-X $(CLI_PKG)/immuadmin.Version=$(VERSION)

immudb-static immuclient-static immuadmin-static:
	CGO_ENABLED=0 GOOS=$(GOOS) GOARCH=$(GOARCH) $(GO) build -trimpath \
		-ldflags '$(STATIC_LDFLAGS)' \
		-o $(STATIC_DIR)/$(@:-static=)$(STATIC_SUFFIX) ./cmd/$(@:-static=)

static: immudb-static immuclient-static immuadmin-static

# dist: the three static programs for each platform of DIST_PLATFORMS, and
# their SHA-256 sums.
DIST_PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 freebsd/amd64
dist:
	@set -e; for p in $(DIST_PLATFORMS); do \
		$(MAKE) --no-print-directory static GOOS=$${p%/*} GOARCH=$${p#*/}; \
	done
	cd $(STATIC_DIR) && sha256sum immu*-v$(VERSION)-* > SHA256SUMS

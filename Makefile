# The whole test suite is `make test` (the command CI runs).
GO ?= go
FUZZTIME ?= 5s

.PHONY: all build test test-short vet fuzz-short bench proto clean

all: build

build:
	$(GO) build -o bin/ ./cmd/...

vet:
	$(GO) vet ./...

# test: vet, every test with the race detector, then each fuzz target briefly.
test: vet
	$(GO) test -race -count=1 -timeout 25m ./...
	$(MAKE) fuzz-short

test-short:
	$(GO) test -short -count=1 ./...

# fuzz-short runs every Fuzz* target of the module for FUZZTIME each.
fuzz-short:
	@./scripts/fuzz-all.sh $(FUZZTIME)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./proof/...

proto:
	./scripts/genproto.sh

clean:
	rm -rf bin

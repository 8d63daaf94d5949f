#!/usr/bin/env bash
# genproto.sh regenerates the committed Go code under api/ from our .proto files.
#
# protoc comes from Debian's protobuf-compiler package; the plugins are built
# with `go install` at pinned versions into bin/tools, so two runs on any
# machine produce byte-identical output. Run it from anywhere: `make proto`.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

# Pinned plugin versions. protoc-gen-go must match google.golang.org/protobuf
# and the gateway plugins must match grpc-gateway/v2 in go.mod; the vtproto
# plugin must match github.com/planetscale/vtprotobuf in go.mod (its
# generated code calls that module's protohelpers at run time). That is the
# pseudo-version grpc v1.85 requires, not v0.6.0: go.mod cannot go lower
# without downgrading grpc, and v0.6.0 omits a oneof holding a nil message
# that proto.Marshal writes as an empty one.
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2
GRPC_GATEWAY_VERSION=v2.33.0
VTPROTO_VERSION=v0.6.1-0.20240319094008-0393e58bdf10

TOOLS="$ROOT/bin/tools"
mkdir -p "$TOOLS"

if ! command -v protoc >/dev/null 2>&1; then
	echo "genproto: protoc not found, installing protobuf-compiler" >&2
	apt-get install -y protobuf-compiler
fi

# install_tool PKG VERSION BINARY: build BINARY unless the pinned version is
# already there (a stamp file records which version was built).
install_tool() {
	local pkg=$1 version=$2 bin=$3
	local stamp="$TOOLS/.$bin.version"
	if [[ -x "$TOOLS/$bin" && -f "$stamp" && "$(cat "$stamp")" == "$version" ]]; then
		return
	fi
	echo "genproto: installing $pkg@$version" >&2
	# Outside our module so that go.mod is neither read nor changed.
	(cd "$TOOLS" && GOBIN="$TOOLS" GOFLAGS=-mod=mod go install "$pkg@$version")
	echo "$version" >"$stamp"
}

install_tool google.golang.org/protobuf/cmd/protoc-gen-go "$PROTOC_GEN_GO_VERSION" protoc-gen-go
install_tool google.golang.org/grpc/cmd/protoc-gen-go-grpc "$PROTOC_GEN_GO_GRPC_VERSION" protoc-gen-go-grpc
install_tool github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway "$GRPC_GATEWAY_VERSION" protoc-gen-grpc-gateway
install_tool github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2 "$GRPC_GATEWAY_VERSION" protoc-gen-openapiv2
install_tool github.com/planetscale/vtprotobuf/cmd/protoc-gen-go-vtproto "$VTPROTO_VERSION" protoc-gen-go-vtproto

export PATH="$TOOLS:$PATH"

# gen PKGDIR OPENAPI_NAME FILE...: compile the .proto files of one Go package
# (the first file gives the OpenAPI document its title). Paths are
# relative to the repository root, so the descriptors register names like
# api/schema/kv.proto that cannot clash with anything we import.
#
# The *_vtproto.pb.go files add reflection-free MarshalVT/UnmarshalVT/SizeVT
# methods that api/codec uses on the gRPC path. Only those three features:
# no pool (handlers keep references to messages), no clone/equal.
gen() {
	local dir=$1 openapi=$2
	shift 2
	rm -f "$dir"/*.pb.go "$dir"/*.pb.gw.go "api/openapi/$openapi.swagger.json"
	protoc -I . -I /usr/include \
		--go_out=. --go_opt=paths=source_relative \
		--go-grpc_out=. --go-grpc_opt=paths=source_relative \
		--go-vtproto_out=. --go-vtproto_opt=paths=source_relative,features=marshal+unmarshal+size \
		--grpc-gateway_out=. --grpc-gateway_opt=paths=source_relative \
		--grpc-gateway_opt=grpc_api_configuration="$dir/http.yaml" \
		--openapiv2_out=api/openapi \
		--openapiv2_opt=grpc_api_configuration="$dir/http.yaml" \
		--openapiv2_opt=openapi_configuration="$dir/openapi.yaml" \
		--openapiv2_opt=allow_merge=true,merge_file_name="$openapi" \
		"$@"
}

mkdir -p api/openapi
gen api/schema schema api/schema/service.proto api/schema/{database,kv,sql,tx,users}.proto
gen api/authorization authorization api/authorization/authorization.proto

# Generated code must already be gofmt-clean (CI runs gofmt and go vet).
unformatted=$(gofmt -l api)
if [[ -n "$unformatted" ]]; then
	echo "genproto: not gofmt-clean: $unformatted" >&2
	exit 1
fi
echo "genproto: done" >&2

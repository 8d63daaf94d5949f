// Package gateway builds the REST front of the immudb-compatible API: a
// grpc-gateway ServeMux configured the way immudb v1.11's REST clients expect,
// with the ImmuService and AuthorizationService handlers registered.
//
// The mux is mounted by the server under /api and /api/v2 (prefix stripped).
// It holds no state of its own beyond grpc-gateway's; it is safe for
// concurrent use once built.
package gateway

import (
	"context"
	"fmt"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/attestdb/attestdb/api/authorization"
	"github.com/attestdb/attestdb/api/schema"
)

// SessionHeader is the HTTP header (and gRPC metadata key) carrying a
// session id; immudb's gateway forwards it as is.
const SessionHeader = "sessionid"

// Marshaler is immudb's REST JSON: lowerCamelCase JSON names, default values
// omitted, 64-bit integers as strings, bytes as standard base64; unknown
// input fields are ignored. (grpc-gateway v2's own default would emit every
// unset field.)
func Marshaler() runtime.Marshaler {
	return &runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: true},
	}
}

// headerMatcher forwards the session header besides grpc-gateway's defaults
// (Authorization and Grpc-Metadata-* among them).
func headerMatcher(key string) (string, bool) {
	if strings.EqualFold(key, SessionHeader) {
		return SessionHeader, true
	}
	return runtime.DefaultHeaderMatcher(key)
}

// NewServeMux returns a mux with immudb's JSON mapping and header forwarding;
// extra options are applied after ours. Response metadata such as
// immudb-uuid reaches the client as Grpc-Metadata-Immudb-Uuid (the default).
func NewServeMux(opts ...runtime.ServeMuxOption) *runtime.ServeMux {
	all := []runtime.ServeMuxOption{
		runtime.WithMarshalerOption(runtime.MIMEWildcard, Marshaler()),
		runtime.WithIncomingHeaderMatcher(headerMatcher),
	}
	return runtime.NewServeMux(append(all, opts...)...)
}

// Register adds the ImmuService and AuthorizationService REST handlers to
// mux, forwarding every call over conn (usually a loopback connection to the
// server's own gRPC port, so interceptors and auth apply to REST too).
func Register(ctx context.Context, mux *runtime.ServeMux, conn grpc.ClientConnInterface) error {
	if err := schema.RegisterImmuServiceHandlerClient(ctx, mux, schema.NewImmuServiceClient(conn)); err != nil {
		return fmt.Errorf("gateway: register ImmuService: %w", err)
	}
	if err := authorization.RegisterAuthorizationServiceHandlerClient(ctx, mux, authorization.NewAuthorizationServiceClient(conn)); err != nil {
		return fmt.Errorf("gateway: register AuthorizationService: %w", err)
	}
	return nil
}

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
	"encoding/json"
	"fmt"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/attestdb/attestdb/api/authorization"
	"github.com/attestdb/attestdb/api/schema"
)

// SessionHeader is the HTTP header (and gRPC metadata key) carrying a
// session id; immudb's gateway forwards it as is.
const SessionHeader = "sessionid"

// Marshaler is the REST JSON of immudb's gateway (grpc-gateway v1 defaults):
// proto field names as written in the .proto (mostly lowerCamelCase already;
// DatabaseInfo's created_at stays snake case), default values omitted,
// 64-bit integers as strings, bytes as standard base64, enums by name.
// Unknown input fields are ignored; input accepts proto and JSON names.
func Marshaler() runtime.Marshaler {
	return &runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: true},
	}
}

// v1Error is the error body of grpc-gateway v1, which immudb's REST clients
// see: the message appears both as "error" and as "message".
type v1Error struct {
	Error   string            `json:"error"`
	Code    int32             `json:"code"`
	Message string            `json:"message"`
	Details []json.RawMessage `json:"details,omitempty"`
}

// rewriteError turns a gRPC status into the v1 error body; other responses
// pass unchanged. Details that cannot be rendered (unknown types) are left
// out rather than failing the whole reply.
func rewriteError(_ context.Context, m proto.Message) (any, error) {
	st, ok := m.(*spb.Status)
	if !ok {
		return m, nil
	}
	body := v1Error{Error: st.GetMessage(), Code: st.GetCode(), Message: st.GetMessage()}
	for _, d := range st.GetDetails() {
		b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(d)
		if err != nil {
			continue
		}
		body.Details = append(body.Details, b)
	}
	return body, nil
}

// headerMatcher forwards the session header besides grpc-gateway's defaults
// (Authorization and Grpc-Metadata-* among them).
func headerMatcher(key string) (string, bool) {
	if strings.EqualFold(key, SessionHeader) {
		return SessionHeader, true
	}
	return runtime.DefaultHeaderMatcher(key)
}

// NewServeMux returns a mux with immudb's JSON mapping, v1-style error bodies
// and header forwarding; extra options are applied after ours. Response metadata such as
// immudb-uuid reaches the client as Grpc-Metadata-Immudb-Uuid (the default).
func NewServeMux(opts ...runtime.ServeMuxOption) *runtime.ServeMux {
	all := []runtime.ServeMuxOption{
		runtime.WithMarshalerOption(runtime.MIMEWildcard, Marshaler()),
		runtime.WithIncomingHeaderMatcher(headerMatcher),
		runtime.WithForwardResponseRewriter(rewriteError),
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

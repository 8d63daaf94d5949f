package authorization_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/attestdb/attestdb/api/authorization"
)

func TestServiceDescriptor(t *testing.T) {
	sd := authorization.File_api_authorization_authorization_proto.Services().ByName("AuthorizationService")
	if sd == nil || sd.FullName() != "immudb.model.AuthorizationService" {
		t.Fatalf("service descriptor %v", sd)
	}
	want := []struct{ name, in, out string }{
		{"OpenSession", "OpenSessionRequest", "OpenSessionResponse"},
		{"KeepAlive", "KeepAliveRequest", "KeepAliveResponse"},
		{"CloseSession", "CloseSessionRequest", "CloseSessionResponse"},
	}
	if sd.Methods().Len() != len(want) {
		t.Fatalf("%d rpcs, want %d", sd.Methods().Len(), len(want))
	}
	for _, w := range want {
		md := sd.Methods().ByName(protoreflect.Name(w.name))
		if md == nil {
			t.Errorf("rpc %s missing", w.name)
			continue
		}
		if md.IsStreamingClient() || md.IsStreamingServer() {
			t.Errorf("%s streams", w.name)
		}
		if md.Input().FullName() != protoreflect.FullName("immudb.model."+w.in) ||
			md.Output().FullName() != protoreflect.FullName("immudb.model."+w.out) {
			t.Errorf("%s: %s -> %s", w.name, md.Input().FullName(), md.Output().FullName())
		}
	}
}

// TestOpenSessionWire pins field numbers and types by hand-encoding the
// messages as immudb's clients do.
func TestOpenSessionWire(t *testing.T) {
	var req []byte
	req = protowire.AppendTag(req, 1, protowire.BytesType)
	req = protowire.AppendString(req, "immudb")
	req = protowire.AppendTag(req, 2, protowire.BytesType)
	req = protowire.AppendString(req, "secret")
	req = protowire.AppendTag(req, 3, protowire.BytesType)
	req = protowire.AppendString(req, "defaultdb")
	var r authorization.OpenSessionRequest
	if err := proto.Unmarshal(req, &r); err != nil {
		t.Fatal(err)
	}
	if r.Username != "immudb" || r.Password != "secret" || r.Database != "defaultdb" || len(r.ProtoReflect().GetUnknown()) != 0 {
		t.Fatalf("decoded %v", &r)
	}

	var resp []byte
	resp = protowire.AppendTag(resp, 1, protowire.BytesType)
	resp = protowire.AppendString(resp, "sid")
	resp = protowire.AppendTag(resp, 2, protowire.BytesType)
	resp = protowire.AppendString(resp, "uuid")
	resp = protowire.AppendTag(resp, 3, protowire.VarintType)
	resp = protowire.AppendVarint(resp, 1700000000)
	resp = protowire.AppendTag(resp, 4, protowire.VarintType)
	resp = protowire.AppendVarint(resp, 1700000060)
	var s authorization.OpenSessionResponse
	if err := proto.Unmarshal(resp, &s); err != nil {
		t.Fatal(err)
	}
	if s.SessionID != "sid" || s.ServerUUID != "uuid" || s.ExpirationTimestamp != 1700000000 ||
		s.InactivityTimestamp != 1700000060 || len(s.ProtoReflect().GetUnknown()) != 0 {
		t.Fatalf("decoded %v", &s)
	}
}

func TestGatewayRoutes(t *testing.T) {
	mux := runtime.NewServeMux()
	if err := authorization.RegisterAuthorizationServiceHandlerServer(context.Background(), mux, authorization.UnimplementedAuthorizationServiceServer{}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct{ path, rpc string }{
		{"/authorization/session/open", "OpenSession"},
		{"/authorization/session/keepalive", "KeepAlive"},
		{"/authorization/session/close", "CloseSession"},
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("POST", r.path, strings.NewReader("{}")))
		var st struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &st)
		if rec.Code != http.StatusNotImplemented || st.Message != "method "+r.rpc+" not implemented" {
			t.Errorf("POST %s: %d %s", r.path, rec.Code, rec.Body)
		}
	}
}

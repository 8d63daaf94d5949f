package schema_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"

	"github.com/attestdb/attestdb/api/schema"
)

// wantRoutes are the REST bindings of immudb v1.11.1 (google.api.http options
// of its schema.proto), relative to the /api mount point.
var wantRoutes = []struct{ method, path, rpc string }{
	{"GET", "/user/list", "ListUsers"},
	{"POST", "/user", "CreateUser"},
	{"POST", "/user/password/change", "ChangePassword"},
	{"POST", "/user/changepermission", "ChangePermission"},
	{"POST", "/user/changesqlprivileges", "ChangeSQLPrivileges"},
	{"POST", "/user/setactiveUser", "SetActiveUser"},
	{"POST", "/login", "Login"},
	{"POST", "/logout", "Logout"},
	{"POST", "/db/set", "Set"},
	{"POST", "/db/verifiable/set", "VerifiableSet"},
	{"GET", "/db/get/a2V5", "Get"},
	{"POST", "/db/verifiable/get", "VerifiableGet"},
	{"POST", "/db/deletekey", "Delete"},
	{"POST", "/db/getall", "GetAll"},
	{"POST", "/db/execall", "ExecAll"},
	{"POST", "/db/scan", "Scan"},
	{"GET", "/db/count/cHJl", "Count"},
	{"GET", "/db/countall", "CountAll"},
	{"GET", "/db/tx/7", "TxById"},
	{"GET", "/db/verifiable/tx/7", "VerifiableTxById"},
	{"POST", "/db/tx", "TxScan"},
	{"POST", "/db/history", "History"},
	{"GET", "/serverinfo", "ServerInfo"},
	{"GET", "/health", "Health"},
	{"GET", "/db/health", "DatabaseHealth"},
	{"GET", "/db/state", "CurrentState"},
	{"POST", "/db/setreference", "SetReference"},
	{"POST", "/db/verifiable/setreference", "VerifiableSetReference"},
	{"POST", "/db/zadd", "ZAdd"},
	{"POST", "/db/verifiable/zadd", "VerifiableZAdd"},
	{"POST", "/db/zscan", "ZScan"},
	{"POST", "/db/create", "CreateDatabase"},
	{"POST", "/db/createwith", "CreateDatabaseWith"},
	{"POST", "/db/create/v2", "CreateDatabaseV2"},
	{"POST", "/db/load", "LoadDatabase"},
	{"POST", "/db/unload", "UnloadDatabase"},
	{"POST", "/db/delete", "DeleteDatabase"},
	{"POST", "/db/list", "DatabaseList"},
	{"POST", "/db/list/v2", "DatabaseListV2"},
	{"GET", "/db/use/defaultdb", "UseDatabase"},
	{"POST", "/db/update", "UpdateDatabase"},
	{"POST", "/db/update/v2", "UpdateDatabaseV2"},
	{"POST", "/db/settings", "GetDatabaseSettings"},
	{"POST", "/db/settings/v2", "GetDatabaseSettingsV2"},
	{"GET", "/db/flushindex", "FlushIndex"},
	{"GET", "/db/compactindex", "CompactIndex"},
	{"POST", "/db/truncate", "TruncateDatabase"},
	{"POST", "/db/sqlexec", "SQLExec"},
	{"GET", "/db/table/list", "ListTables"},
	{"POST", "/db/tables", "DescribeTable"},
	{"POST", "/db/verifiable/sqlget", "VerifiableSQLGet"},
}

// TestGatewayRoutes sends each REST request to the generated gateway over an
// in-process server that implements nothing: the Unimplemented error names
// the rpc the route reached.
func TestGatewayRoutes(t *testing.T) {
	mux := runtime.NewServeMux()
	if err := schema.RegisterImmuServiceHandlerServer(context.Background(), mux, schema.UnimplementedImmuServiceServer{}); err != nil {
		t.Fatal(err)
	}
	for _, r := range wantRoutes {
		t.Run(r.rpc, func(t *testing.T) {
			var body *strings.Reader
			if r.method == "POST" {
				body = strings.NewReader("{}")
			} else {
				body = strings.NewReader("")
			}
			req := httptest.NewRequest(r.method, r.path, body)
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			if rec.Code != http.StatusNotImplemented {
				t.Fatalf("%s %s: status %d, body %s", r.method, r.path, rec.Code, rec.Body)
			}
			var st struct {
				Message string `json:"message"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
				t.Fatalf("error body %q: %v", rec.Body, err)
			}
			if want := "method " + r.rpc + " not implemented"; st.Message != want {
				t.Errorf("%s %s reached %q, want %q", r.method, r.path, st.Message, want)
			}
		})
	}
}

func TestGatewayRejectsUnknownRoute(t *testing.T) {
	mux := runtime.NewServeMux()
	if err := schema.RegisterImmuServiceHandlerServer(context.Background(), mux, schema.UnimplementedImmuServiceServer{}); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/db/nosuch", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("status %d, want 404", rec.Code)
	}
}

// TestGatewaySQLQueryRoute: POST /db/sqlquery is bound to the streaming
// SQLQuery, which the in-process transport cannot serve; it must still be a
// known route (not 404).
func TestGatewaySQLQueryRoute(t *testing.T) {
	mux := runtime.NewServeMux()
	if err := schema.RegisterImmuServiceHandlerServer(context.Background(), mux, schema.UnimplementedImmuServiceServer{}); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("POST", "/db/sqlquery", strings.NewReader("{}")))
	if rec.Code == http.StatusNotFound {
		t.Fatalf("POST /db/sqlquery not routed: %s", rec.Body)
	}
}

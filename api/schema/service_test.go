package schema_test

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/attestdb/attestdb/api/schema"
)

type rpcKind int

const (
	unary rpcKind = iota
	serverStream
	clientStream
	bidiStream
)

// wantRPCs is every rpc of immudb v1.11.1's ImmuService in declaration order,
// with the priority API.md §9 gives it (P4: not planned / SQL extras).
var wantRPCs = []struct {
	name, in, out string
	kind          rpcKind
	prio          int
}{
	{"ListUsers", "google.protobuf.Empty", "UserList", unary, 2},
	{"CreateUser", "CreateUserRequest", "google.protobuf.Empty", unary, 2},
	{"ChangePassword", "ChangePasswordRequest", "google.protobuf.Empty", unary, 2},
	{"ChangePermission", "ChangePermissionRequest", "google.protobuf.Empty", unary, 2},
	{"ChangeSQLPrivileges", "ChangeSQLPrivilegesRequest", "ChangeSQLPrivilegesResponse", unary, 2},
	{"SetActiveUser", "SetActiveUserRequest", "google.protobuf.Empty", unary, 2},
	{"UpdateAuthConfig", "AuthConfig", "google.protobuf.Empty", unary, 2},
	{"UpdateMTLSConfig", "MTLSConfig", "google.protobuf.Empty", unary, 2},
	{"OpenSession", "OpenSessionRequest", "OpenSessionResponse", unary, 0},
	{"CloseSession", "google.protobuf.Empty", "google.protobuf.Empty", unary, 0},
	{"KeepAlive", "google.protobuf.Empty", "google.protobuf.Empty", unary, 0},
	{"NewTx", "NewTxRequest", "NewTxResponse", unary, 3},
	{"Commit", "google.protobuf.Empty", "CommittedSQLTx", unary, 3},
	{"Rollback", "google.protobuf.Empty", "google.protobuf.Empty", unary, 3},
	{"TxSQLExec", "SQLExecRequest", "google.protobuf.Empty", unary, 3},
	{"TxSQLQuery", "SQLQueryRequest", "SQLQueryResult", serverStream, 3},
	{"Login", "LoginRequest", "LoginResponse", unary, 0},
	{"Logout", "google.protobuf.Empty", "google.protobuf.Empty", unary, 0},
	{"Set", "SetRequest", "TxHeader", unary, 0},
	{"VerifiableSet", "VerifiableSetRequest", "VerifiableTx", unary, 0},
	{"Get", "KeyRequest", "Entry", unary, 0},
	{"VerifiableGet", "VerifiableGetRequest", "VerifiableEntry", unary, 0},
	{"Delete", "DeleteKeysRequest", "TxHeader", unary, 0},
	{"GetAll", "KeyListRequest", "Entries", unary, 1},
	{"ExecAll", "ExecAllRequest", "TxHeader", unary, 1},
	{"Scan", "ScanRequest", "Entries", unary, 1},
	{"Count", "KeyPrefix", "EntryCount", unary, 1},
	{"CountAll", "google.protobuf.Empty", "EntryCount", unary, 1},
	{"TxById", "TxRequest", "Tx", unary, 0},
	{"VerifiableTxById", "VerifiableTxRequest", "VerifiableTx", unary, 0},
	{"TxScan", "TxScanRequest", "TxList", unary, 1},
	{"History", "HistoryRequest", "Entries", unary, 1},
	{"ServerInfo", "ServerInfoRequest", "ServerInfoResponse", unary, 1},
	{"Health", "google.protobuf.Empty", "HealthResponse", unary, 0},
	{"DatabaseHealth", "google.protobuf.Empty", "DatabaseHealthResponse", unary, 1},
	{"CurrentState", "google.protobuf.Empty", "ImmutableState", unary, 0},
	{"SetReference", "ReferenceRequest", "TxHeader", unary, 1},
	{"VerifiableSetReference", "VerifiableReferenceRequest", "VerifiableTx", unary, 1},
	{"ZAdd", "ZAddRequest", "TxHeader", unary, 1},
	{"VerifiableZAdd", "VerifiableZAddRequest", "VerifiableTx", unary, 1},
	{"ZScan", "ZScanRequest", "ZEntries", unary, 1},
	{"CreateDatabase", "Database", "google.protobuf.Empty", unary, 2},
	{"CreateDatabaseWith", "DatabaseSettings", "google.protobuf.Empty", unary, 2},
	{"CreateDatabaseV2", "CreateDatabaseRequest", "CreateDatabaseResponse", unary, 2},
	{"LoadDatabase", "LoadDatabaseRequest", "LoadDatabaseResponse", unary, 2},
	{"UnloadDatabase", "UnloadDatabaseRequest", "UnloadDatabaseResponse", unary, 2},
	{"DeleteDatabase", "DeleteDatabaseRequest", "DeleteDatabaseResponse", unary, 2},
	{"DatabaseList", "google.protobuf.Empty", "DatabaseListResponse", unary, 2},
	{"DatabaseListV2", "DatabaseListRequestV2", "DatabaseListResponseV2", unary, 2},
	{"UseDatabase", "Database", "UseDatabaseReply", unary, 0},
	{"UpdateDatabase", "DatabaseSettings", "google.protobuf.Empty", unary, 2},
	{"UpdateDatabaseV2", "UpdateDatabaseRequest", "UpdateDatabaseResponse", unary, 2},
	{"GetDatabaseSettings", "google.protobuf.Empty", "DatabaseSettings", unary, 2},
	{"GetDatabaseSettingsV2", "DatabaseSettingsRequest", "DatabaseSettingsResponse", unary, 2},
	{"FlushIndex", "FlushIndexRequest", "FlushIndexResponse", unary, 2},
	{"CompactIndex", "google.protobuf.Empty", "google.protobuf.Empty", unary, 2},
	{"streamGet", "KeyRequest", "Chunk", serverStream, 3},
	{"streamSet", "Chunk", "TxHeader", clientStream, 3},
	{"streamVerifiableGet", "VerifiableGetRequest", "Chunk", serverStream, 3},
	{"streamVerifiableSet", "Chunk", "VerifiableTx", clientStream, 3},
	{"streamScan", "ScanRequest", "Chunk", serverStream, 3},
	{"streamZScan", "ZScanRequest", "Chunk", serverStream, 3},
	{"streamHistory", "HistoryRequest", "Chunk", serverStream, 3},
	{"streamExecAll", "Chunk", "TxHeader", clientStream, 3},
	{"exportTx", "ExportTxRequest", "Chunk", serverStream, 3},
	{"replicateTx", "Chunk", "TxHeader", clientStream, 3},
	{"streamExportTx", "ExportTxRequest", "Chunk", bidiStream, 3},
	{"SQLExec", "SQLExecRequest", "SQLExecResult", unary, 3},
	{"UnarySQLQuery", "SQLQueryRequest", "SQLQueryResult", unary, 3},
	{"SQLQuery", "SQLQueryRequest", "SQLQueryResult", serverStream, 3},
	{"ListTables", "google.protobuf.Empty", "SQLQueryResult", unary, 3},
	{"DescribeTable", "Table", "SQLQueryResult", unary, 3},
	{"VerifiableSQLGet", "VerifiableSQLGetRequest", "VerifiableSQLEntry", unary, 3},
	{"TruncateDatabase", "TruncateDatabaseRequest", "TruncateDatabaseResponse", unary, 3},
}

func kindOf(md protoreflect.MethodDescriptor) rpcKind {
	switch {
	case md.IsStreamingClient() && md.IsStreamingServer():
		return bidiStream
	case md.IsStreamingClient():
		return clientStream
	case md.IsStreamingServer():
		return serverStream
	}
	return unary
}

func qualify(name string) protoreflect.FullName {
	if strings.HasPrefix(name, "google.protobuf.") {
		return protoreflect.FullName(name)
	}
	return protoreflect.FullName("immudb.schema." + name)
}

func TestImmuServiceDescriptor(t *testing.T) {
	sd := schema.File_api_schema_service_proto.Services().ByName("ImmuService")
	if sd == nil {
		t.Fatal("ImmuService not in service.proto")
	}
	if sd.FullName() != "immudb.schema.ImmuService" {
		t.Fatalf("service is %s", sd.FullName())
	}
	methods := sd.Methods()
	if methods.Len() != len(wantRPCs) {
		t.Errorf("service has %d rpcs, want %d", methods.Len(), len(wantRPCs))
	}
	for i, w := range wantRPCs {
		md := methods.ByName(protoreflect.Name(w.name))
		if md == nil {
			t.Errorf("P%d rpc %s missing", w.prio, w.name)
			continue
		}
		if md.Index() != i {
			t.Errorf("%s at index %d, want %d (declaration order)", w.name, md.Index(), i)
		}
		if got := md.Input().FullName(); got != qualify(w.in) {
			t.Errorf("%s input %s, want %s", w.name, got, qualify(w.in))
		}
		if got := md.Output().FullName(); got != qualify(w.out) {
			t.Errorf("%s output %s, want %s", w.name, got, qualify(w.out))
		}
		if got := kindOf(md); got != w.kind {
			t.Errorf("%s streaming kind %d, want %d", w.name, got, w.kind)
		}
	}
	// The generated gRPC service description must agree with the descriptor:
	// unary rpcs in Methods, the others in Streams.
	if n := len(schema.ImmuService_ServiceDesc.Methods) + len(schema.ImmuService_ServiceDesc.Streams); n != len(wantRPCs) {
		t.Errorf("ServiceDesc lists %d rpcs, want %d", n, len(wantRPCs))
	}
	if schema.ImmuService_ServiceDesc.ServiceName != "immudb.schema.ImmuService" {
		t.Errorf("ServiceDesc name %q", schema.ImmuService_ServiceDesc.ServiceName)
	}
}

// TestUnknownFieldsDetected proves the strictness check can fail: a field
// number we do not declare, nested two levels deep, must be reported.
func TestUnknownFieldsDetected(t *testing.T) {
	m := &schema.VerifiableTx{Tx: &schema.Tx{Header: &schema.TxHeader{Id: 1}}}
	var extra []byte
	extra = protowire.AppendTag(extra, 99, protowire.VarintType)
	extra = protowire.AppendVarint(extra, 7)
	m.Tx.Header.ProtoReflect().SetUnknown(extra)
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var got schema.VerifiableTx
	if err := proto.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	bad := unknownFields(got.ProtoReflect(), "VerifiableTx")
	if len(bad) != 1 || bad[0] != "VerifiableTx.tx.header" {
		t.Fatalf("unknownFields = %v, want [VerifiableTx.tx.header]", bad)
	}
	if clean := unknownFields((&schema.VerifiableTx{Tx: &schema.Tx{}}).ProtoReflect(), "x"); len(clean) != 0 {
		t.Fatalf("clean message reported %v", clean)
	}
}

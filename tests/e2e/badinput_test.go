package e2e

import (
	"bytes"
	"context"
	"maps"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/schema"
)

// Malformed or oversized requests get an error status; the server stays up
// and writes nothing.
func TestBadInputIsRefused(t *testing.T) {
	e := startServer(t, nil)
	ctx := e.session(t, "immudb", "immudb", "defaultdb")
	cases := []struct {
		name string
		call func() error
		code codes.Code
	}{
		{"empty key", func() error {
			_, err := e.cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{{Key: nil, Value: []byte("v")}}})
			return err
		}, codes.InvalidArgument},
		{"no entries", func() error {
			_, err := e.cli.Set(ctx, &schema.SetRequest{})
			return err
		}, codes.Unknown},
		{"key too long", func() error {
			_, err := e.cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{kv(string(bytes.Repeat([]byte("k"), 1024)), "v")}})
			return err
		}, codes.Unknown},
		{"message over 32 MiB", func() error {
			_, err := e.cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{{Key: []byte("k"), Value: make([]byte, 33<<20)}}})
			return err
		}, codes.ResourceExhausted},
		{"limit over 2500", func() error {
			_, err := e.cli.Scan(ctx, &schema.ScanRequest{Limit: 2501})
			return err
		}, codes.Unknown},
		{"nil get request", func() error {
			_, err := e.cli.Get(ctx, &schema.KeyRequest{})
			return err
		}, codes.InvalidArgument},
		{"verifiable set without request", func() error {
			_, err := e.cli.VerifiableSet(ctx, &schema.VerifiableSetRequest{})
			return err
		}, codes.InvalidArgument},
		{"unknown tx", func() error {
			_, err := e.cli.VerifiableTxById(ctx, &schema.VerifiableTxRequest{Tx: 0})
			return err
		}, codes.InvalidArgument},
		{"bad database name", func() error {
			_, err := e.cli.UseDatabase(ctx, &schema.Database{DatabaseName: "../../etc"})
			return err
		}, codes.NotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if err == nil {
				t.Fatal("accepted")
			}
			if got := status.Code(err); got != c.code {
				t.Fatalf("code %v (%v), want %v", got, err, c.code)
			}
		})
	}
	st, err := e.cli.CurrentState(ctx, &emptypb.Empty{})
	if err != nil || st.TxId != 0 {
		t.Fatalf("after bad input: state %v, %v", st, err)
	}
}

// badCase is one malformed request and the exact status it must get.
type badCase struct {
	name string
	call func(ctx context.Context, cli schema.ImmuServiceClient) error
	code codes.Code
	msg  string // the whole message, or a prefix when it ends with "…"
}

func setKVs(kvs ...*schema.KeyValue) func(context.Context, schema.ImmuServiceClient) error {
	return func(ctx context.Context, cli schema.ImmuServiceClient) error {
		_, err := cli.Set(ctx, &schema.SetRequest{KVs: kvs})
		return err
	}
}

// The table of malformed requests: each gets its precise status,
// the server answers Health after each, and nothing is written (no
// database's state moves, no database appears).
func TestBadInputTable(t *testing.T) {
	e := startServer(t, nil)
	ctx := e.session(t, "immudb", "immudb", "defaultdb")
	if _, err := e.cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{kv("seed", "v")}}); err != nil {
		t.Fatal(err)
	}
	// The default value limit (32 MiB) equals the message limit, so an
	// oversized value is checked on a database with a 1 KiB limit.
	if _, err := e.cli.CreateDatabaseV2(ctx, &schema.CreateDatabaseRequest{Name: "smallvals",
		Settings: &schema.DatabaseNullableSettings{MaxValueLen: &schema.NullableUint32{Value: 1024}}}); err != nil {
		t.Fatal(err)
	}
	small := e.session(t, "immudb", "immudb", "smallvals")
	big := func(n int) []byte { return bytes.Repeat([]byte("x"), n) }
	cases := []badCase{
		{"oversized key", setKVs(&schema.KeyValue{Key: big(1025), Value: []byte("v")}), codes.Unknown, "max key length exceeded"},
		{"oversized value", func(context.Context, schema.ImmuServiceClient) error {
			_, err := e.cli.Set(small, &schema.SetRequest{KVs: []*schema.KeyValue{{Key: []byte("k"), Value: big(1025)}}})
			return err
		}, codes.Unknown, "max value length exceeded"},
		{"oversized message", setKVs(&schema.KeyValue{Key: []byte("k"), Value: big(33 << 20)}), codes.ResourceExhausted, "grpc: received message larger than max …"},
		{"zero entries Set", setKVs(), codes.Unknown, "no entries provided"},
		{"zero entries ExecAll", func(ctx context.Context, cli schema.ImmuServiceClient) error {
			_, err := cli.ExecAll(ctx, &schema.ExecAllRequest{})
			return err
		}, codes.InvalidArgument, "illegal arguments"},
		{"duplicate keys Set", setKVs(kv("d", "1"), kv("d", "2")), codes.InvalidArgument, "duplicated keys are not supported in single batch transaction"},
		{"duplicate keys ExecAll", func(ctx context.Context, cli schema.ImmuServiceClient) error {
			op := func(v string) *schema.Op { return &schema.Op{Operation: &schema.Op_Kv{Kv: kv("d", v)}} }
			_, err := cli.ExecAll(ctx, &schema.ExecAllRequest{Operations: []*schema.Op{op("1"), op("2")}})
			return err
		}, codes.InvalidArgument, "duplicated keys are not supported in single batch transaction"},
		// The Go client cannot even marshal these: the bytes go raw.
		{"invalid UTF-8 db name (create)", e.rawCall("CreateDatabaseV2", 1, "db\xff\xfe", &schema.CreateDatabaseResponse{}), codes.Internal, utf8Refused},
		{"invalid UTF-8 db name (use)", e.rawCall("UseDatabase", 1, "db\xff", &schema.UseDatabaseReply{}), codes.Internal, utf8Refused},
		{"path traversal in db name (create)", createDB("../../etc"), codes.Unknown, badDBName},
		{"path traversal in db name (create, absolute)", createDB("/tmp/x"), codes.Unknown, badDBName},
		{"path traversal in db name (create, dot)", createDB(".."), codes.Unknown, badDBName},
		{"path traversal in db name (use)", useDB("../defaultdb"), codes.NotFound, "'../defaultdb' does not exist"},
		{"path traversal in db name (open session)", func(ctx context.Context, cli schema.ImmuServiceClient) error {
			_, err := cli.OpenSession(context.Background(), &schema.OpenSessionRequest{Username: []byte("immudb"), Password: []byte("immudb"), DatabaseName: "../systemdb"})
			return err
		}, codes.Unknown, "database does not exist"},
		{"path traversal in user name", func(ctx context.Context, cli schema.ImmuServiceClient) error {
			_, err := cli.CreateUser(ctx, &schema.CreateUserRequest{User: []byte("../x"), Password: []byte("Str0ng!pw"), Permission: 1, Database: "defaultdb"})
			return err
		}, codes.Unknown, "invalid user name: use 1 to 63 letters, digits or underscores: \"../x\""},
		{"negative history limit", func(ctx context.Context, cli schema.ImmuServiceClient) error {
			_, err := cli.History(ctx, &schema.HistoryRequest{Key: []byte("seed"), Limit: -1})
			return err
		}, codes.InvalidArgument, "illegal arguments"},
		{"scan limit over 2500", func(ctx context.Context, cli schema.ImmuServiceClient) error {
			_, err := cli.Scan(ctx, &schema.ScanRequest{Limit: 1 << 63})
			return err
		}, codes.Unknown, "result size limit exceeded: the specified limit (9223372036854775808) is larger than the maximum allowed one (2500)"},
		{"huge sinceTx", func(ctx context.Context, cli schema.ImmuServiceClient) error {
			_, err := cli.Get(ctx, &schema.KeyRequest{Key: []byte("seed"), SinceTx: 1<<64 - 1})
			return err
		}, codes.Unknown, "illegal arguments: SinceTx must not be greater than the current transaction ID"},
	}
	before := e.snapshotStates(t, ctx)
	defer func() {
		if after := e.snapshotStates(t, ctx); !maps.Equal(before, after) {
			t.Fatalf("bad input wrote: databases and last txs %v, then %v", before, after)
		}
	}()
	// Offsets and starts past the end page past the end: an empty answer,
	// not an error and not a wrap-around (immudb answers the same way).
	pastEnd := []struct {
		name string
		call func() (int, error)
	}{
		{"huge history offset", func() (int, error) {
			r, err := e.cli.History(ctx, &schema.HistoryRequest{Key: []byte("seed"), Offset: 1<<64 - 1})
			return len(r.GetEntries()), err
		}},
		{"huge scan offset", func() (int, error) {
			r, err := e.cli.Scan(ctx, &schema.ScanRequest{Offset: 1<<64 - 1})
			return len(r.GetEntries()), err
		}},
		{"huge zscan offset", func() (int, error) {
			r, err := e.cli.ZScan(ctx, &schema.ZScanRequest{Set: []byte("s"), Offset: 1<<64 - 1})
			return len(r.GetEntries()), err
		}},
		{"huge tx scan start", func() (int, error) {
			r, err := e.cli.TxScan(ctx, &schema.TxScanRequest{InitialTx: 1<<64 - 1})
			return len(r.GetTxs()), err
		}},
	}
	for _, c := range pastEnd {
		t.Run(c.name, func(t *testing.T) {
			n, err := c.call()
			if err != nil || n != 0 {
				t.Errorf("%d results, %v; want an empty answer", n, err)
			}
			if _, err := e.cli.Health(context.Background(), &emptypb.Empty{}); err != nil {
				t.Fatalf("server down: %v", err)
			}
		})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call(ctx, e.cli)
			st := status.Convert(err)
			if err == nil {
				t.Fatal("accepted")
			}
			if st.Code() != c.code {
				t.Errorf("code %v (%q), want %v", st.Code(), st.Message(), c.code)
			}
			if p, ok := strings.CutSuffix(c.msg, "…"); ok {
				if !strings.HasPrefix(st.Message(), p) {
					t.Errorf("message %q, want prefix %q", st.Message(), p)
				}
			} else if st.Message() != c.msg {
				t.Errorf("message %q, want %q", st.Message(), c.msg)
			}
			if _, err := e.cli.Health(context.Background(), &emptypb.Empty{}); err != nil {
				t.Fatalf("server down: %v", err)
			}
		})
	}
}

const (
	badDBName   = "invalid database name provided: only letters, digits and '_' are allowed"
	utf8Refused = "grpc: failed to unmarshal the received message: string field contains invalid UTF-8"
)

// rawCall sends method a request whose string field `field` holds raw
// bytes (the Go protobuf runtime refuses to marshal invalid UTF-8, a
// hostile client does not).
func (e *env) rawCall(method string, field protowire.Number, raw string, out proto.Message) func(context.Context, schema.ImmuServiceClient) error {
	return func(ctx context.Context, _ schema.ImmuServiceClient) error {
		b := protowire.AppendTag(nil, field, protowire.BytesType)
		b = protowire.AppendBytes(b, []byte(raw))
		return e.conn.Invoke(ctx, "/immudb.schema.ImmuService/"+method, rawMsg(b), out, grpc.ForceCodec(rawCodec{}))
	}
}

type rawMsg []byte

// rawCodec sends rawMsg as is and decodes answers as protobuf.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) {
	if m, ok := v.(rawMsg); ok {
		return m, nil
	}
	return proto.Marshal(v.(proto.Message))
}
func (rawCodec) Unmarshal(b []byte, v any) error { return proto.Unmarshal(b, v.(proto.Message)) }
func (rawCodec) Name() string                    { return "proto" }

func createDB(name string) func(context.Context, schema.ImmuServiceClient) error {
	return func(ctx context.Context, cli schema.ImmuServiceClient) error {
		_, err := cli.CreateDatabaseV2(ctx, &schema.CreateDatabaseRequest{Name: name})
		return err
	}
}

func useDB(name string) func(context.Context, schema.ImmuServiceClient) error {
	return func(ctx context.Context, cli schema.ImmuServiceClient) error {
		_, err := cli.UseDatabase(ctx, &schema.Database{DatabaseName: name})
		return err
	}
}

// snapshotStates maps every database to its last tx (and lists the users
// as a pseudo-database), as the sysadmin sees them.
func (e *env) snapshotStates(t *testing.T, root context.Context) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	dl, err := e.cli.DatabaseListV2(root, &schema.DatabaseListRequestV2{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dl.Databases {
		s := e.session(t, "immudb", "immudb", d.Name)
		st, err := e.cli.CurrentState(s, &emptypb.Empty{})
		if err != nil {
			t.Fatalf("state of %s: %v", d.Name, err)
		}
		out[d.Name] = st.TxId
	}
	ul, err := e.cli.ListUsers(root, &emptypb.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	out["users:"] = uint64(len(ul.Users))
	return out
}

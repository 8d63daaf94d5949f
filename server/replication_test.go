package server

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/proof"
)

// realServer starts a server over the real database layer (the export and
// replication rpcs need the engine) and returns a client and a context
// logged in as immudb.
func realServer(t *testing.T) (schema.ImmuServiceClient, context.Context) {
	t.Helper()
	opts := DefaultOptions(filepath.Join(t.TempDir(), "data"))
	opts.Address = "127.0.0.1:0"
	opts.BcryptCost = bcrypt.MinCost
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient("passthrough:///"+s.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
	})
	cli := schema.NewImmuServiceClient(conn)
	ctx := callCtx(t)
	lr, err := cli.Login(ctx, &schema.LoginRequest{User: []byte("immudb"), Password: []byte("immudb")})
	if err != nil {
		t.Fatal(err)
	}
	return cli, metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+string(lr.Token))
}

func useDB(t *testing.T, cli schema.ImmuServiceClient, ctx context.Context, name string) context.Context {
	t.Helper()
	r, err := cli.UseDatabase(ctx, &schema.Database{DatabaseName: name})
	if err != nil {
		t.Fatal(err)
	}
	base, _ := metadata.FromOutgoingContext(ctx)
	md := base.Copy()
	md.Set("authorization", "Bearer "+r.Token)
	return metadata.NewOutgoingContext(ctx, md)
}

// export reads one tx with exportTx and unframes it.
func export(t *testing.T, cli schema.ImmuServiceClient, ctx context.Context, id uint64) ([]byte, map[string][]byte) {
	t.Helper()
	st, err := cli.ExportTx(ctx, &schema.ExportTxRequest{Tx: id})
	if err != nil {
		t.Fatal(err)
	}
	var buf []byte
	var md map[string][]byte
	for {
		c, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("export %d: %v", id, err)
		}
		if md == nil {
			md = c.Metadata
		}
		buf = append(buf, c.Content...)
	}
	if len(buf) < 8 || binary.BigEndian.Uint64(buf) != uint64(len(buf)-8) {
		t.Fatalf("export %d: bad framing", id)
	}
	return buf[8:], md
}

func replicate(cli schema.ImmuServiceClient, ctx context.Context, payload []byte) (*schema.TxHeader, error) {
	st, err := cli.ReplicateTx(ctx)
	if err != nil {
		return nil, err
	}
	framed := binary.BigEndian.AppendUint64(nil, uint64(len(payload)))
	framed = append(framed, payload...)
	for len(framed) > 0 {
		n := min(len(framed), 4096)
		if err := st.Send(&schema.Chunk{Content: framed[:n]}); err != nil {
			break // the server answered early; CloseAndRecv reports it
		}
		framed = framed[n:]
	}
	return st.CloseAndRecv()
}

func alhOf(t *testing.T, h *schema.TxHeader) proof.Hash {
	t.Helper()
	ph := &proof.TxHeader{ID: h.Id, Ts: h.Ts, Version: int(h.Version), NEntries: int(h.Nentries), BlTxID: h.BlTxId}
	copy(ph.PrevAlh[:], h.PrevAlh)
	copy(ph.Eh[:], h.EH)
	copy(ph.BlRoot[:], h.BlRoot)
	if m := h.Metadata; m != nil {
		ph.Metadata = proof.TxMetadata{TruncatedUptoTx: m.TruncatedTxID, Extra: m.Extra}
	}
	a, err := ph.Alh()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestExportReplicateRoundTrip(t *testing.T) {
	cli, ctx := realServer(t)
	src := useDB(t, cli, ctx, "defaultdb")
	var want []*schema.TxHeader
	for i := 0; i < 4; i++ {
		h, err := cli.Set(src, &schema.SetRequest{KVs: []*schema.KeyValue{
			{Key: []byte{'k', byte('0' + i)}, Value: []byte(strings.Repeat("v", 5000*i))},
			{Key: []byte("exp"), Value: []byte("x"), Metadata: &schema.KVMetadata{Expiration: &schema.Expiration{ExpiresAt: 4102444800}}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, h)
	}
	if _, err := cli.CreateDatabaseV2(ctx, &schema.CreateDatabaseRequest{Name: "rep", Settings: &schema.DatabaseNullableSettings{
		ReplicationSettings: &schema.ReplicationNullableSettings{Replica: &schema.NullableBool{Value: true}, PrimaryDatabase: &schema.NullableString{Value: "dummy"}},
	}}); err != nil {
		t.Fatal(err)
	}
	dst := useDB(t, cli, ctx, "rep")

	// defaultdb is not a replica.
	p1, md := export(t, cli, src, 1)
	if got := binary.BigEndian.Uint64(md[mdCommittedTxID]); got != 4 {
		t.Fatalf("committed-txid-bin %d", got)
	}
	if _, err := replicate(cli, src, p1); err == nil || !strings.Contains(err.Error(), "database is NOT a replica") {
		t.Fatalf("replicate on a primary: %v", err)
	}
	// Wrong id first.
	p2, _ := export(t, cli, src, 2)
	if _, err := replicate(cli, dst, p2); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("tx 2 first: %v", err)
	}
	// Altered value: same length, so only eH differs.
	bad := append([]byte(nil), p1...)
	bad[len(bad)-4] ^= 1
	if _, err := replicate(cli, dst, bad); status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "eH") {
		t.Fatalf("altered tx: %v", err)
	}
	if _, err := replicate(cli, dst, bad[:10]); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("malformed tx: %v", err)
	}
	for i := uint64(1); i <= 4; i++ {
		p, _ := export(t, cli, src, i)
		h, err := replicate(cli, dst, p)
		if err != nil {
			t.Fatalf("replicate %d: %v", i, err)
		}
		if alhOf(t, h) != alhOf(t, want[i-1]) {
			t.Fatalf("tx %d alh differs", i)
		}
	}
	// A replica refuses ordinary writes.
	if _, err := cli.Set(dst, &schema.SetRequest{KVs: []*schema.KeyValue{{Key: []byte("a"), Value: []byte("b")}}}); err == nil ||
		!strings.Contains(err.Error(), "database is read-only because it's a replica") {
		t.Fatalf("write on replica: %v", err)
	}
	// streamExportTx: one framed message per request.
	st, err := cli.StreamExportTx(src)
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(1); i <= 4; i++ {
		if err := st.Send(&schema.ExportTxRequest{Tx: i}); err != nil {
			t.Fatal(err)
		}
		c, err := st.Recv()
		if err != nil {
			t.Fatal(err)
		}
		n := binary.BigEndian.Uint64(c.Content)
		got := append([]byte(nil), c.Content[8:]...)
		for uint64(len(got)) < n {
			c, err := st.Recv()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, c.Content...)
		}
		if p, _ := export(t, cli, src, i); string(p) != string(got) {
			t.Fatalf("streamExportTx %d differs", i)
		}
	}
	_ = st.CloseSend()
	if _, err := cli.ExportTx(src, &schema.ExportTxRequest{Tx: 99}); err == nil {
		// the error arrives on Recv
		s2, _ := cli.ExportTx(src, &schema.ExportTxRequest{Tx: 99})
		if _, err := s2.Recv(); err == nil || !strings.Contains(err.Error(), "tx not found") {
			t.Fatalf("export of a missing tx: %v", err)
		}
	}
}

package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/server"
	"github.com/attestdb/attestdb/server/metrics"
)

// lateStats lets the metrics be built before the server they describe.
type lateStats struct{ srv atomic.Pointer[server.Server] }

func (l *lateStats) DatabaseStats() []metrics.DBStats {
	if s := l.srv.Load(); s != nil {
		return s.DatabaseStats()
	}
	return nil
}

// The metrics interceptors see every call (refused ones too) and the
// per-database families come from the server.
func TestMetricsWiring(t *testing.T) {
	stats := &lateStats{}
	m := metrics.New(metrics.Options{Stats: stats})
	e := startServer(t, func(o *server.Options) {
		o.UnaryInterceptors = []grpc.UnaryServerInterceptor{m.UnaryInterceptor()}
		o.StreamInterceptors = []grpc.StreamServerInterceptor{m.StreamInterceptor()}
	})
	stats.srv.Store(e.srv)
	m.InitializeMethods(e.srv.GRPCServer())

	if _, err := e.cli.CurrentState(callCtx(t), &emptypb.Empty{}); err == nil {
		t.Fatal("unauthenticated call accepted")
	}
	ctx := e.session(t, "immudb", "immudb", "defaultdb")
	if _, err := e.cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{kv("k", "v")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{kv("k2", "v"), kv("k3", "v")}}); err != nil {
		t.Fatal(err)
	}

	rec := httptest.NewRecorder()
	m.Handler(metrics.HandlerOptions{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: %d", rec.Code)
	}
	body, _ := io.ReadAll(rec.Body)
	text := string(body)
	for _, want := range []string{
		`immudb_number_of_rpcs_per_client{ip="127.0.0.1"} 4`,
		`grpc_server_handled_total{grpc_code="Unknown",grpc_method="CurrentState",grpc_service="immudb.schema.ImmuService",grpc_type="unary"} 1`,
		`immudb_last_committed_trx_id{db="defaultdb"} 2`,
		`immudb_number_of_stored_entries{db="defaultdb"} 3`, // entries since the database was opened
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

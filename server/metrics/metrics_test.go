package metrics

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
)

// fakeStats is a DBStatsSource with fixed numbers.
type fakeStats []DBStats

func (f fakeStats) DatabaseStats() []DBStats { return f }

// harness is a gRPC health server behind the interceptors and a metrics
// HTTP server, both on loopback.
type harness struct {
	m    *Metrics
	conn *grpc.ClientConn
	url  string
}

func newHarness(t *testing.T, opts Options, hopts HandlerOptions) *harness {
	t.Helper()
	m := New(opts)
	gs := grpc.NewServer(
		grpc.ChainUnaryInterceptor(m.UnaryInterceptor()),
		grpc.ChainStreamInterceptor(m.StreamInterceptor()),
	)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(gs, hs)
	m.InitializeMethods(gs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Serve(ln) }()
	t.Cleanup(gs.Stop)

	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })

	srv, err := Listen("127.0.0.1:0", m.Handler(hopts))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return &harness{m: m, conn: conn, url: "http://" + srv.Addr().String()}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (h *harness) get(t *testing.T, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), http.MethodGet, h.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func (h *harness) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := h.get(t, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// find returns the metric of family name whose labels include want.
func find(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	t.Helper()
	if _, ok := fams[name]; !ok {
		t.Fatalf("family %s missing", name)
	}
	m := lookup(fams, name, want)
	if m == nil {
		t.Fatalf("family %s has no series with labels %v", name, want)
	}
	return m
}

// lookup is find without failing: nil when there is no such series.
func lookup(fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
next:
	for _, m := range fams[name].GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		return m
	}
	return nil
}

func TestScrapeAfterCalls(t *testing.T) {
	stats := fakeStats{
		{Name: "defaultdb", SizeBytes: 4096, Entries: 7, CommittedTxID: 9, IndexedTxID: 6},
		{Name: "systemdb", SizeBytes: 100, Entries: 2, CommittedTxID: 3, IndexedTxID: 3},
		{Name: "defaultdb", SizeBytes: 1}, // duplicate: ignored, scrape still works
	}
	h := newHarness(t, Options{Stats: stats, Start: time.Now().Add(-2 * time.Hour)}, HandlerOptions{})
	ctx := testCtx(t)
	client := healthpb.NewHealthClient(h.conn)
	const calls = 5
	for range calls {
		if _, err := client.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	// A failing call is counted as well.
	if _, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: "nope"}); err == nil {
		t.Fatal("unknown service: want error")
	}
	// One server stream, ended by the client after its first message.
	sctx, cancel := context.WithCancel(ctx)
	ws, err := client.Watch(sctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ws.Recv(); err != nil {
		t.Fatal(err)
	}
	cancel()
	// The server side of the stream ends asynchronously; wait for its
	// handled counter instead of sleeping.
	var fams map[string]*dto.MetricFamily
	for deadline := time.Now().Add(5 * time.Second); ; {
		fams = h.scrape(t)
		h := lookup(fams, "grpc_server_handling_seconds", map[string]string{"grpc_method": "Watch"})
		if (h.GetHistogram().GetSampleCount() == 1 &&
			lookup(fams, "grpc_server_handled_total", map[string]string{"grpc_method": "Watch"}) != nil) ||
			time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}

	if got := find(t, fams, "immudb_number_of_rpcs_per_client", map[string]string{"ip": "127.0.0.1"}).GetCounter().GetValue(); got != calls+2 {
		t.Errorf("rpcs per client = %v, want %d", got, calls+2)
	}
	last := find(t, fams, "immudb_clients_last_message_at_unix_seconds", map[string]string{"ip": "127.0.0.1"}).GetGauge().GetValue()
	if now := float64(time.Now().Unix()); last < now-60 || last > now+1 {
		t.Errorf("last message at %v, now %v", last, now)
	}
	if up := find(t, fams, "immudb_uptime_hours", nil).GetCounter().GetValue(); up < 2 || up > 3 {
		t.Errorf("uptime hours = %v, want about 2", up)
	}
	for _, c := range []struct {
		family string
		db     string
		want   float64
	}{
		{"immudb_db_size_bytes", "defaultdb", 4096},
		{"immudb_number_of_stored_entries", "defaultdb", 7},
		{"immudb_last_committed_trx_id", "defaultdb", 9},
		{"immudb_last_indexed_trx_id", "defaultdb", 6},
		{"immudb_index_lag_txs", "defaultdb", 3},
		{"immudb_db_size_bytes", "systemdb", 100},
		{"immudb_index_lag_txs", "systemdb", 0},
	} {
		if got := find(t, fams, c.family, map[string]string{"db": c.db}).GetGauge().GetValue(); got != c.want {
			t.Errorf("%s{db=%q} = %v, want %v", c.family, c.db, got, c.want)
		}
	}
	if n := len(fams["immudb_db_size_bytes"].GetMetric()); n != 2 {
		t.Errorf("db_size_bytes has %d series, want 2", n)
	}
	hist := find(t, fams, "grpc_server_handling_seconds", map[string]string{
		"grpc_type": "unary", "grpc_service": "grpc.health.v1.Health", "grpc_method": "Check",
	}).GetHistogram()
	if hist.GetSampleCount() != calls+1 {
		t.Errorf("Check histogram count = %d, want %d", hist.GetSampleCount(), calls+1)
	}
	find(t, fams, "grpc_server_handled_total", map[string]string{
		"grpc_method": "Check", "grpc_code": "NotFound",
	})
	watch := map[string]string{"grpc_type": "server_stream", "grpc_service": "grpc.health.v1.Health", "grpc_method": "Watch"}
	if got := find(t, fams, "grpc_server_handling_seconds", watch).GetHistogram().GetSampleCount(); got != 1 {
		t.Errorf("Watch histogram count = %d, want 1", got)
	}
	for _, c := range []struct {
		family string
		want   float64
	}{
		{"grpc_server_started_total", 1},
		{"grpc_server_msg_received_total", 1},
	} {
		if got := find(t, fams, c.family, watch).GetCounter().GetValue(); got != c.want {
			t.Errorf("%s{Watch} = %v, want %v", c.family, got, c.want)
		}
	}
	if got := find(t, fams, "grpc_server_msg_sent_total", watch).GetCounter().GetValue(); got < 1 {
		t.Errorf("Watch sent %v messages, want >= 1", got)
	}
	if got := find(t, fams, "grpc_server_handled_total", map[string]string{"grpc_method": "Check", "grpc_code": "OK"}).GetCounter().GetValue(); got != calls {
		t.Errorf("Check handled OK = %v, want %d", got, calls)
	}
	// Calls only started so far (InitializeMethods) have zero series.
	if got := find(t, fams, "grpc_server_started_total", map[string]string{"grpc_method": "List"}).GetCounter().GetValue(); got != 0 {
		t.Errorf("List started = %v, want 0", got)
	}
	// immuadmin stats reads the Go runtime's memstats.
	for _, name := range []string{"go_memstats_sys_bytes", "go_memstats_heap_alloc_bytes", "go_memstats_heap_inuse_bytes"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("family %s missing", name)
		}
	}
}

func TestNoHistograms(t *testing.T) {
	h := newHarness(t, Options{NoHistograms: true}, HandlerOptions{})
	if _, err := healthpb.NewHealthClient(h.conn).Check(testCtx(t), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	fams := h.scrape(t)
	if _, ok := fams["grpc_server_handling_seconds"]; ok {
		t.Error("histogram present with NoHistograms")
	}
	if got := find(t, fams, "grpc_server_handled_total", map[string]string{"grpc_method": "Check", "grpc_code": "OK"}).GetCounter().GetValue(); got != 1 {
		t.Errorf("handled = %v, want 1", got)
	}
	if _, ok := fams["immudb_db_size_bytes"]; ok {
		t.Error("db families present without a stats source")
	}
}

func TestForwardedClient(t *testing.T) {
	h := newHarness(t, Options{}, HandlerOptions{})
	// What grpc-gateway sends on behalf of an HTTP client: it appends its
	// own view of the remote host last.
	ctx := metadata.AppendToOutgoingContext(testCtx(t), "x-forwarded-for", "10.9.9.9, 192.0.2.7")
	if _, err := healthpb.NewHealthClient(h.conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	fams := h.scrape(t)
	if got := find(t, fams, "immudb_number_of_rpcs_per_client", map[string]string{"ip": "192.0.2.7"}).GetCounter().GetValue(); got != 1 {
		t.Errorf("forwarded client count = %v, want 1", got)
	}
}

func TestHealthEndpoints(t *testing.T) {
	var ready atomic.Bool
	h := newHarness(t, Options{}, HandlerOptions{
		Ready:   ready.Load,
		Version: &VersionInfo{Component: "immudb", Version: "1.11.1"},
	})
	want := func(path string, code int) {
		t.Helper()
		if got, body := h.get(t, path); got != code {
			t.Errorf("GET %s = %d %q, want %d", path, got, body, code)
		}
	}
	want("/livez", 200)
	want("/readyz", 503)
	want("/initz", 503)
	ready.Store(true)
	want("/readyz", 200)
	want("/initz", 200)
	want("/debug/pprof/", 404)
	if code, body := h.get(t, "/debug/vars"); code != 200 || !strings.Contains(body, `"memstats"`) {
		t.Errorf("/debug/vars = %d %.80q", code, body)
	}
	if code, body := h.get(t, "/version"); code != 200 || !strings.Contains(body, `"version":"1.11.1"`) {
		t.Errorf("/version = %d %q", code, body)
	}
}

func TestPprofEnabled(t *testing.T) {
	h := newHarness(t, Options{}, HandlerOptions{Pprof: true})
	if code, body := h.get(t, "/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("/debug/pprof/ = %d", code)
	}
	if code, _ := h.get(t, "/version"); code != 404 {
		t.Errorf("/version without info = %d, want 404", code)
	}
}

func TestCORSPreflight(t *testing.T) {
	h := newHarness(t, Options{}, HandlerOptions{})
	req, _ := http.NewRequestWithContext(testCtx(t), http.MethodOptions, h.url+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("preflight = %d %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
}

// Two servers in one process must not share series.
func TestRegistriesAreIndependent(t *testing.T) {
	a := newHarness(t, Options{}, HandlerOptions{})
	b := newHarness(t, Options{}, HandlerOptions{})
	if _, err := healthpb.NewHealthClient(a.conn).Check(testCtx(t), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	if n := len(b.scrape(t)["immudb_number_of_rpcs_per_client"].GetMetric()); n != 0 {
		t.Errorf("second server sees %d client series", n)
	}
}

func TestListenBadAddress(t *testing.T) {
	if _, err := Listen("256.0.0.1:bad", http.NotFoundHandler()); err == nil {
		t.Fatal("want error")
	}
}

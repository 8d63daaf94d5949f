package web

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/attestdb/attestdb/server/metrics"
)

// REST calls pass the server's interceptors over the loopback connection;
// the metrics attribute them to the HTTP client, not to loopback, through
// the X-Forwarded-For entry the gateway appends.
func TestRESTCountedPerHTTPClient(t *testing.T) {
	m := metrics.New(metrics.Options{})
	gs := grpc.NewServer(
		grpc.ChainUnaryInterceptor(m.UnaryInterceptor(), uuidInterceptor),
		grpc.ChainStreamInterceptor(m.StreamInterceptor()),
	)
	newFakeImmu().register(gs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Serve(ln) }()
	t.Cleanup(gs.Stop)
	conn, err := Dial(ln.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	h, err := NewHandler(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Listen("127.0.0.1:0", h, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	f := &front{url: "http://" + srv.Addr().String(), client: &http.Client{Timeout: 10 * time.Second}}

	for range 3 {
		if r := f.do(t, "GET", "/api/health", ""); r.code != 200 {
			t.Fatalf("health: %d", r.code)
		}
	}
	// A client-supplied X-Forwarded-For cannot take the place of the
	// address the gateway saw.
	if r := f.do(t, "GET", "/api/v2/health", "", "X-Forwarded-For", "203.0.113.5"); r.code != 200 {
		t.Fatalf("v2 health: %d", r.code)
	}

	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]float64{}
	for _, fam := range fams {
		if fam.GetName() != "immudb_number_of_rpcs_per_client" {
			continue
		}
		for _, s := range fam.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "ip" {
					counts[l.GetValue()] = s.GetCounter().GetValue()
				}
			}
		}
	}
	if counts["127.0.0.1"] != 4 || len(counts) != 1 {
		t.Errorf("rpcs per client = %v, want 127.0.0.1: 4 only", counts)
	}
}

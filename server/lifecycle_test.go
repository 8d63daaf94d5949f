package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/schema"
)

// An in-flight write finishes and is acknowledged during Stop, and the
// databases are closed only after it.
func TestGracefulStopFinishesInFlightCalls(t *testing.T) {
	ts := startTestServer(t, nil)
	ctx := withSession(callCtx(t), openSession(t, ts, "immudb", "immudb", "defaultdb"))
	d := ts.dbs.dbs["defaultdb"]
	d.setGate, d.setEntered = make(chan struct{}), make(chan struct{})

	type result struct {
		hdr *schema.TxHeader
		err error
	}
	got := make(chan result, 1)
	go func() {
		h, err := ts.cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{{Key: []byte("k"), Value: []byte("v")}}})
		got <- result{h, err}
	}()
	<-d.setEntered

	stopped := make(chan error, 1)
	go func() {
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		stopped <- ts.Stop(sctx)
	}()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned while a call was in flight: %v", err)
	case r := <-got:
		t.Fatalf("call returned before release: %v", r)
	default:
	}
	ts.dbs.mu.Lock()
	closedEarly := ts.dbs.closed
	ts.dbs.mu.Unlock()
	if closedEarly {
		t.Fatal("databases closed while a call was in flight")
	}
	close(d.setGate)
	r := <-got
	if r.err != nil || r.hdr.Id != 1 {
		t.Fatalf("in-flight Set: %v %v", r.hdr, r.err)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if !ts.dbs.closed {
		t.Fatal("databases not closed by Stop")
	}
	// New calls are refused once stopped.
	if _, err := ts.cli.Health(callCtx(t), &emptypb.Empty{}); err == nil {
		t.Fatal("call accepted after Stop")
	}
	if err := ts.Start(); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Start after Stop: %v", err)
	}
}

func TestReflectionListsServices(t *testing.T) {
	ts := startTestServer(t, nil)
	rc := rpb.NewServerReflectionClient(ts.conn)
	stream, err := rc.ServerReflectionInfo(callCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"immudb.schema.ImmuService": false, "immudb.model.AuthorizationService": false}
	for _, s := range resp.GetListServicesResponse().GetService() {
		if _, ok := want[s.Name]; ok {
			want[s.Name] = true
		}
	}
	for name, seen := range want {
		if !seen {
			t.Errorf("reflection does not list %s", name)
		}
	}
}

func TestStartListensOnLoopback(t *testing.T) {
	dbs := newFakeDBs()
	opts := DefaultOptions(t.TempDir())
	opts.Address = "127.0.0.1:0"
	opts.BcryptCost = 4
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := newServer(opts, dbs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
	})
	conn, err := grpc.NewClient("passthrough:///"+s.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	h, err := schema.NewImmuServiceClient(conn).Health(callCtx(t), &emptypb.Empty{})
	if err != nil || !h.Status {
		t.Fatalf("health %v %v", h, err)
	}
	if err := s.Start(); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("second Start: %v", err)
	}
}

func TestBadOptions(t *testing.T) {
	cases := map[string]func(*Options){
		"no dir":        func(o *Options) { o.Dir = "" },
		"cert no key":   func(o *Options) { o.TLSCertFile = "x" },
		"mtls no cas":   func(o *Options) { o.TLSCertFile, o.TLSKeyFile, o.MTLS = "x", "y", true },
		"negative":      func(o *Options) { o.MaxSessions = -1 },
		"missing key":   func(o *Options) { o.SigningKeyPath = "/nonexistent/key.pem" },
		"bad admin pwd": func(o *Options) { o.AdminPassword = "enc:!!!" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			o := DefaultOptions(t.TempDir())
			o.BcryptCost = 4
			mutate(&o)
			if _, err := newServer(o, newFakeDBs(), nil); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

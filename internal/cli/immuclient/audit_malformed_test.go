package immuclient

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/client"
	"github.com/attestdb/attestdb/server"
)

// mutatingProxy forwards every unary ImmuService call to a real server and
// lets the test rewrite the answers: it stands for a server that returns
// malformed states.
type mutatingProxy struct {
	up   *grpc.ClientConn
	port int

	mu     sync.Mutex
	mutate func(method string, resp proto.Message)
	stall  string // a method that never answers (until the caller gives up)
}

func newMutatingProxy(t *testing.T, upstream string) *mutatingProxy {
	t.Helper()
	up, err := grpc.NewClient(upstream, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = up.Close() })
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &mutatingProxy{up: up, port: lis.Addr().(*net.TCPAddr).Port}
	srv := grpc.NewServer(grpc.UnknownServiceHandler(p.serve))
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return p
}

func (p *mutatingProxy) set(f func(method string, resp proto.Message)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mutate = f
}

func (p *mutatingProxy) serve(_ any, stream grpc.ServerStream) error {
	full, _ := grpc.MethodFromServerStream(stream)
	parts := strings.Split(strings.TrimPrefix(full, "/"), "/")
	if len(parts) != 2 {
		return status.Errorf(codes.Unimplemented, "bad method %s", full)
	}
	sd, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(parts[0]))
	if err != nil {
		return status.Errorf(codes.Unimplemented, "unknown service %s", parts[0])
	}
	md := sd.(protoreflect.ServiceDescriptor).Methods().ByName(protoreflect.Name(parts[1]))
	if md == nil || md.IsStreamingClient() || md.IsStreamingServer() {
		return status.Errorf(codes.Unimplemented, "proxy: no %s", full)
	}
	in, err := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
	if err != nil {
		return err
	}
	out, err := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
	if err != nil {
		return err
	}
	req, resp := in.New().Interface(), out.New().Interface()
	if err := stream.RecvMsg(req); err != nil {
		return err
	}
	p.mu.Lock()
	stall := p.stall == parts[1]
	p.mu.Unlock()
	if stall {
		<-stream.Context().Done()
		return stream.Context().Err()
	}
	inMD, _ := metadata.FromIncomingContext(stream.Context())
	ctx := metadata.NewOutgoingContext(stream.Context(), inMD)
	var hdr metadata.MD
	if err := p.up.Invoke(ctx, full, req, resp, grpc.Header(&hdr)); err != nil {
		return err
	}
	_ = stream.SetHeader(hdr)
	p.mu.Lock()
	f := p.mutate
	p.mu.Unlock()
	if f != nil {
		f(parts[1], resp)
	}
	return stream.SendMsg(resp)
}

// TestAuditMalformedStates: a server whose current state is malformed
// (short hash, tx 0, a tx it cannot prove, another database's state)
// makes the audit fail with a clear line and exit status 1; the trusted
// state is neither created from it nor moved.
func TestAuditMalformedStates(t *testing.T) {
	dir := t.TempDir()
	opts := server.DefaultOptions(filepath.Join(dir, "data"))
	opts.Address = "127.0.0.1:0"
	opts.BcryptCost = bcrypt.MinCost
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = srv.Stop(ctx)
	})
	_, port, _ := net.SplitHostPort(srv.Addr().String())
	cl, err := client.New(client.DefaultOptions().WithAddress("127.0.0.1").WithPort(mustAtoi(t, port)).
		WithStateStore(client.NewMemStateStore()).WithKeepAliveInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := cl.OpenSession(ctx, []byte("immudb"), []byte("immudb"), "defaultdb"); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := cl.Set(ctx, []byte("k"), []byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	_ = cl.Close()
	proxy := newMutatingProxy(t, "127.0.0.1:"+port)
	statePath := func(roots string) string { return filepath.Join(roots, ".state-"+srv.UUID()) }

	audit := func(roots string) (int, string) {
		args := []string{"audit-mode", "-a", "127.0.0.1", "-p", strconv.Itoa(proxy.port),
			"--audit-username", "immudb", "--audit-password", "immudb",
			"--audit-databases", "defaultdb", "--roots-filepath", roots,
			"--audit-runs", "1", "--audit-monitoring-port", "0"}
		var out, errb bytes.Buffer
		code := Main(args, strings.NewReader(""), &out, &errb)
		return code, errb.String()
	}
	onState := func(f func(st *schema.ImmutableState)) func(string, proto.Message) {
		return func(method string, resp proto.Message) {
			if method == "CurrentState" {
				f(resp.(*schema.ImmutableState))
			}
		}
	}
	tests := []struct {
		name    string
		trusted bool // a trusted state exists before the audit
		mutate  func(string, proto.Message)
		want    string
	}{
		{"short hash, first sight", false, onState(func(st *schema.ImmutableState) { st.TxHash = st.TxHash[:31] }),
			`db=defaultdb result=failed .*server state hash of 31 bytes at tx 3`},
		{"no hash, first sight", false, onState(func(st *schema.ImmutableState) { st.TxHash = nil }),
			`db=defaultdb result=failed .*server state hash of 0 bytes at tx 3`},
		{"another database's state, first sight", false, onState(func(st *schema.ImmutableState) { st.Db = "otherdb" }),
			`db=defaultdb result=failed .*the server sent the state of database \\"otherdb\\"`},
		{"short hash, same tx", true, onState(func(st *schema.ImmutableState) { st.TxHash = st.TxHash[:31] }),
			`db=defaultdb result=failed .*data is corrupted: server state hash of 31 bytes at tx 3`},
		{"tx 0", true, onState(func(st *schema.ImmutableState) { st.TxId = 0 }),
			`db=defaultdb result=failed .*server at tx 0, trusted state at tx 3`},
		{"tx 0 without hash", true, onState(func(st *schema.ImmutableState) { st.TxId, st.TxHash = 0, nil }),
			`db=defaultdb result=failed .*server at tx 0, trusted state at tx 3`},
		{"tx ahead of the server", true, onState(func(st *schema.ImmutableState) { st.TxId = 1 << 40 }),
			`db=defaultdb result=error .*curr_tx=1099511627776`},
		{"another database's state", true, onState(func(st *schema.ImmutableState) { st.Db = "otherdb" }),
			`db=defaultdb result=failed .*the server sent the state of database \\"otherdb\\"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			roots := t.TempDir()
			var before []byte
			if tc.trusted {
				proxy.set(nil)
				if code, stderr := audit(roots); code != 0 {
					t.Fatalf("clean audit: exit %d\n%s", code, stderr)
				}
				var err error
				if before, err = os.ReadFile(statePath(roots)); err != nil {
					t.Fatal(err)
				}
			}
			proxy.set(tc.mutate)
			defer proxy.set(nil)
			code, stderr := audit(roots)
			if code != 1 {
				t.Fatalf("exit status %d, want 1; stderr:\n%s", code, stderr)
			}
			if !regexp.MustCompile(tc.want).MatchString(stderr) {
				t.Fatalf("stderr does not match %q:\n%s", tc.want, stderr)
			}
			if strings.Contains(stderr, "panic") {
				t.Fatalf("panic:\n%s", stderr)
			}
			after, err := os.ReadFile(statePath(roots))
			switch {
			case !tc.trusted && err == nil:
				t.Fatalf("a trusted state was written from a malformed one:\n%s", after)
			case tc.trusted && !bytes.Equal(before, after):
				t.Fatalf("the trusted state moved (err %v):\n%s\nwas\n%s", err, after, before)
			}
		})
	}
}

// TestAuditServerStalls: a server that takes a call and never answers
// (login, database list, current state or proof) makes the round an
// error once auditCallTimeout has passed; audit-mode --audit-runs 1 ends
// with status 1 instead of waiting for ever.
func TestAuditServerStalls(t *testing.T) {
	old := auditCallTimeout
	auditCallTimeout = 300 * time.Millisecond
	t.Cleanup(func() { auditCallTimeout = old })

	dir := t.TempDir()
	opts := server.DefaultOptions(filepath.Join(dir, "data"))
	opts.Address = "127.0.0.1:0"
	opts.BcryptCost = bcrypt.MinCost
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = srv.Stop(ctx)
	})
	_, port, _ := net.SplitHostPort(srv.Addr().String())
	proxy := newMutatingProxy(t, "127.0.0.1:"+port)

	for _, tc := range []struct{ stall, want string }{
		{"Login", `msg="audit aborted: cannot list the databases" run=1 .*error="the server did not answer within 300ms`},
		{"DatabaseListV2", `msg="audit aborted: cannot list the databases" run=1 .*error="the server did not answer within 300ms`},
		{"CurrentState", `db=defaultdb result=error .*error="the server did not answer within 300ms`},
	} {
		t.Run(tc.stall, func(t *testing.T) {
			proxy.mu.Lock()
			proxy.stall = tc.stall
			proxy.mu.Unlock()
			defer func() {
				proxy.mu.Lock()
				proxy.stall = ""
				proxy.mu.Unlock()
			}()
			args := []string{"audit-mode", "-a", "127.0.0.1", "-p", strconv.Itoa(proxy.port),
				"--audit-username", "immudb", "--audit-password", "immudb",
				"--roots-filepath", t.TempDir(), "--audit-runs", "1", "--audit-monitoring-port", "0"}
			var out, errb bytes.Buffer
			done := make(chan int, 1)
			go func() { done <- Main(args, strings.NewReader(""), &out, &errb) }()
			var code int
			select {
			case code = <-done:
			case <-time.After(2 * time.Minute): // only so that a hang fails instead of blocking the suite
				t.Fatal("audit-mode did not return: it waits for the stalled call")
			}
			if code != 1 {
				t.Fatalf("exit status %d, want 1; stderr:\n%s", code, errb.String())
			}
			if !regexp.MustCompile(tc.want).MatchString(errb.String()) {
				t.Fatalf("stderr does not match %q:\n%s", tc.want, errb.String())
			}
		})
	}
}

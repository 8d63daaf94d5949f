package server

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/schema"
)

// TestDialInProcessUnderMTLS: the in-process connection reaches an mTLS
// server without a client certificate, still through the interceptors
// (credentials are checked), while a socket client without a certificate
// is still refused.
func TestDialInProcessUnderMTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t)
	certPath, keyPath, _ := ca.issue(t, dir, "server", x509.ExtKeyUsageServerAuth)
	caPath := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caPath, ca.pem, 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startTestServer(t, func(o *Options) {
		o.TLSCertFile, o.TLSKeyFile, o.MTLS, o.ClientCAsFile = certPath, keyPath, true, caPath
	})

	conn, err := ts.DialInProcess()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	cli := schema.NewImmuServiceClient(conn)
	if _, err := cli.Health(callCtx(t), &emptypb.Empty{}); err != nil {
		t.Fatalf("health in process: %v", err)
	}
	// Not a bypass of authentication: a data call without credentials is
	// refused as from any client.
	_, err = cli.CurrentState(callCtx(t), &emptypb.Empty{})
	wantStatus(t, err, codes.Unknown, "not logged in", "28000")
	r, err := cli.OpenSession(callCtx(t), &schema.OpenSessionRequest{Username: []byte("immudb"), Password: []byte("immudb"), DatabaseName: "defaultdb"})
	if err != nil {
		t.Fatalf("OpenSession in process: %v", err)
	}
	if _, err := cli.CurrentState(withSession(callCtx(t), r.SessionID), &emptypb.Empty{}); err != nil {
		t.Fatalf("CurrentState in process: %v", err)
	}

	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	anon := dialTLS(t, ts.addr, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
	if _, err := anon.Health(callCtx(t), &emptypb.Empty{}); err == nil {
		t.Fatal("mTLS socket accepted a client without a certificate")
	}
}

func TestDialInProcessAfterStop(t *testing.T) {
	opts := DefaultOptions(t.TempDir())
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := newServer(opts, newFakeDBs(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(callCtx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DialInProcess(); err != ErrServerClosed {
		t.Fatalf("want ErrServerClosed, got %v", err)
	}
}

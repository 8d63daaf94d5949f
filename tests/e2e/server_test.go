package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/server"
)

// env is one running server and a raw client connection to it.
type env struct {
	srv  *server.Server
	dir  string
	conn *grpc.ClientConn
	cli  schema.ImmuServiceClient
	pub  *ecdsa.PublicKey
}

// startServer runs a server with a fresh signing key on 127.0.0.1:0 in a
// temp dir; it is stopped when the test ends.
func startServer(t testing.TB, mutate func(*server.Options)) *env {
	t.Helper()
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, "signing.key")
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := server.DefaultOptions(filepath.Join(dir, "data"))
	opts.Address = "127.0.0.1:0"
	opts.SigningKeyPath = keyPath
	opts.BcryptCost = bcrypt.MinCost
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if mutate != nil {
		mutate(&opts)
	}
	e := &env{dir: opts.Dir, pub: &key.PublicKey}
	e.start(t, opts)
	return e
}

func (e *env) start(t testing.TB, opts server.Options) {
	t.Helper()
	srv, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient("passthrough:///"+srv.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	e.srv, e.conn, e.cli = srv, conn, schema.NewImmuServiceClient(conn)
	t.Cleanup(func() { e.stop(t) })
}

// stop closes the client and stops the server (idempotent).
func (e *env) stop(t testing.TB) {
	t.Helper()
	_ = e.conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.srv.Stop(ctx); err != nil {
		t.Errorf("stop: %v", err)
	}
}

func callCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func withSession(ctx context.Context, id string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "sessionid", id, "authorization", "Bearer ")
}

func withToken(ctx context.Context, tok string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
}

func (e *env) session(t testing.TB, user, pw, db string) context.Context {
	t.Helper()
	r, err := e.cli.OpenSession(callCtx(t), &schema.OpenSessionRequest{Username: []byte(user), Password: []byte(pw), DatabaseName: db})
	if err != nil {
		t.Fatalf("OpenSession: %v", err)
	}
	return withSession(callCtx(t), r.SessionID)
}

// optsForRestart rebuilds the options of the first start (same dir and
// key) for a restart.
func (e *env) optsForRestart() server.Options {
	opts := server.DefaultOptions(e.dir)
	opts.Address = "127.0.0.1:0"
	opts.SigningKeyPath = filepath.Join(filepath.Dir(e.dir), "signing.key")
	opts.BcryptCost = bcrypt.MinCost
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return opts
}

// startBenchServer is startServer for benchmarks (synced, as by default).
func startBenchServer(b *testing.B) *env {
	b.Helper()
	return startServer(b, nil)
}

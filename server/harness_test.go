package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/database"
)

// fakeDB stands in for database.DB in the interceptor and auth tests; the
// real database layer is exercised by tests/e2e. Methods it does not
// override hit the nil embedded interface and panic, which the server must
// recover from.
type fakeDB struct {
	Database
	name string

	mu  sync.Mutex
	txs uint64

	// setGate, when set, blocks Set until closed (graceful stop test).
	setGate    chan struct{}
	setEntered chan struct{}
}

func (d *fakeDB) Name() string { return d.name }

func (d *fakeDB) Health() (uint32, int64) { return 0, 0 }

func (d *fakeDB) CurrentState(context.Context) (*schema.ImmutableState, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	h := sha256.Sum256([]byte{byte(d.txs)})
	if d.txs == 0 {
		h = sha256.Sum256(nil)
	}
	return &schema.ImmutableState{TxId: d.txs, TxHash: h[:]}, nil
}

func (d *fakeDB) Get(_ context.Context, req *schema.KeyRequest) (*schema.Entry, error) {
	if string(req.Key) == "panic" {
		panic("boom")
	}
	return nil, errors.New("tbtree: key not found")
}

func (d *fakeDB) Set(_ context.Context, req *schema.SetRequest) (*schema.TxHeader, error) {
	if d.setGate != nil {
		close(d.setEntered)
		<-d.setGate
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.txs++
	return &schema.TxHeader{Id: d.txs, Nentries: int32(len(req.KVs))}, nil
}

type fakeDBs struct {
	mu     sync.Mutex
	dbs    map[string]*fakeDB
	closed bool
}

func newFakeDBs() *fakeDBs {
	return &fakeDBs{dbs: map[string]*fakeDB{
		"systemdb":  {name: "systemdb"},
		"defaultdb": {name: "defaultdb"},
	}}
}

func (f *fakeDBs) Get(name string) (Database, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.dbs[name]
	if !ok {
		return nil, errors.New("database does not exist")
	}
	return d, nil
}

func (f *fakeDBs) Exists(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.dbs[name]
	return ok
}

func (f *fakeDBs) Create(name, _ string, s *schema.DatabaseNullableSettings) (*schema.DatabaseNullableSettings, error) {
	if database.IsReserved(name) {
		return nil, database.ErrDatabaseReserved
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.dbs[name]; ok {
		return nil, database.ErrDatabaseAlreadyExists
	}
	f.dbs[name] = &fakeDB{name: name}
	return &schema.DatabaseNullableSettings{}, nil
}

func (f *fakeDBs) Update(string, *schema.DatabaseNullableSettings) (*schema.DatabaseNullableSettings, error) {
	return &schema.DatabaseNullableSettings{}, nil
}

func (f *fakeDBs) Settings(string) (*schema.DatabaseNullableSettings, error) {
	return &schema.DatabaseNullableSettings{MaxKeyLen: &schema.NullableUint32{Value: 1024}}, nil
}

func (f *fakeDBs) Load(string) error   { return nil }
func (f *fakeDBs) Unload(string) error { return nil }
func (f *fakeDBs) Delete(string) error { return nil }

func (f *fakeDBs) List() []DatabaseInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []DatabaseInfo
	for n := range f.dbs {
		if n != "systemdb" {
			out = append(out, DatabaseInfo{Name: n, Loaded: true})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (f *fakeDBs) TxCount() uint64  { return 0 }
func (f *fakeDBs) DiskSize() uint64 { return 0 }

func (f *fakeDBs) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

// testServer is a server on 127.0.0.1:0 over a fake backend, stopped at
// the end of the test.
type testServer struct {
	*Server
	dbs  *fakeDBs
	addr string
	conn *grpc.ClientConn
	cli  schema.ImmuServiceClient
	key  *ecdsa.PrivateKey
}

func startTestServer(t *testing.T, mutate func(*Options)) *testServer {
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
	opts := DefaultOptions(filepath.Join(dir, "data"))
	opts.Address = "127.0.0.1:0"
	opts.SigningKeyPath = keyPath
	opts.BcryptCost = bcrypt.MinCost
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if mutate != nil {
		mutate(&opts)
	}
	dbs := newFakeDBs()
	s, err := newServer(opts, dbs, nil)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///"+lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return &testServer{Server: s, dbs: dbs, addr: lis.Addr().String(), conn: conn, cli: schema.NewImmuServiceClient(conn), key: key}
}

// callCtx is a per-call context with a deadline, so that no test hangs.
func callCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

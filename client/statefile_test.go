package client

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/proof"
)

func stateAt(db string, tx uint64) *schema.ImmutableState {
	h := proof.Sum([]byte{byte(tx), byte(tx >> 8)})
	return &schema.ImmutableState{Db: db, TxId: tx, TxHash: h[:]}
}

func TestFileStateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	fs, err := NewFileStateStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := fs.Get("u1", "defaultdb"); err != nil || st != nil {
		t.Fatalf("empty store: %v %v", st, err)
	}
	for _, st := range []*schema.ImmutableState{stateAt("defaultdb", 3), stateAt("db2", 9), stateAt("", 1), stateAt("defaultdb", 4)} {
		if err := fs.Set("u1", st); err != nil {
			t.Fatal(err)
		}
	}
	for db, tx := range map[string]uint64{"defaultdb": 4, "db2": 9, "": 1} {
		st, err := fs.Get("u1", db)
		if err != nil || st == nil || !sameState(st, stateAt(db, tx)) {
			t.Fatalf("Get(%q) = %v, %v", db, st, err)
		}
	}
	// immudb's layout: .state-<uuid>, lines <db>:<base64 proto>.
	b, err := os.ReadFile(filepath.Join(dir, ".state-u1"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], ":") || !strings.HasPrefix(lines[1], "db2:") {
		t.Fatalf("file layout:\n%s", b)
	}
	if _, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(lines[1], "db2:")); err != nil {
		t.Fatalf("not base64: %v", err)
	}
	// Another server's states are separate.
	if st, _ := fs.Get("u2", "db2"); st != nil {
		t.Fatal("state leaked across servers")
	}
}

func TestDecodeStateFileRejectsTampering(t *testing.T) {
	good, err := EncodeStateFile(map[string]*schema.ImmutableState{"defaultdb": stateAt("defaultdb", 5)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeStateFile(good); err != nil {
		t.Fatalf("good file: %v", err)
	}
	short := &schema.ImmutableState{Db: "x", TxId: 1, TxHash: []byte{1, 2}}
	shortLine, _ := EncodeStateFile(map[string]*schema.ImmutableState{"x": short})
	cases := map[string][]byte{
		"no colon":        []byte("defaultdb\n"),
		"bad base64":      []byte("defaultdb:!!!\n"),
		"not proto":       []byte("defaultdb:" + base64.StdEncoding.EncodeToString([]byte{0xff, 0xff, 0xff}) + "\n"),
		"db mismatch":     bytes.Replace(good, []byte("defaultdb:"), []byte("otherdb:"), 1),
		"short hash":      shortLine,
		"duplicated line": append(append([]byte{}, good...), good...),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeStateFile(b); !errors.Is(err, ErrStateCorrupt) {
				t.Fatalf("err = %v, want ErrStateCorrupt", err)
			}
		})
	}
	// A corrupt file is reported by the store, with its path, not ignored.
	dir := t.TempDir()
	fs, _ := NewFileStateStore(dir)
	if err := os.WriteFile(fs.StatePath("u"), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Get("u", "defaultdb"); !errors.Is(err, ErrStateCorrupt) || !strings.Contains(err.Error(), ".state-u") {
		t.Fatalf("Get on corrupt file: %v", err)
	}
	if err := fs.Set("u", stateAt("defaultdb", 1)); !errors.Is(err, ErrStateCorrupt) {
		t.Fatalf("Set over corrupt file: %v", err)
	}
}

func TestFileStateRejectsPathUUID(t *testing.T) {
	fs, _ := NewFileStateStore(t.TempDir())
	for _, u := range []string{"../x", "a/b", ".."} {
		if _, err := fs.Get(u, "db"); !errors.Is(err, ErrIllegalArgument) {
			t.Errorf("Get(%q): %v", u, err)
		}
		if _, err := fs.Lock(u); !errors.Is(err, ErrIllegalArgument) {
			t.Errorf("Lock(%q): %v", u, err)
		}
	}
}

// TestStateLockSerialises runs read-modify-write cycles from many
// goroutines (two stores over one directory, as two clients would): with
// the lock no increment is lost.
func TestStateLockSerialises(t *testing.T) {
	dir := t.TempDir()
	stores := make([]StateStore, 2)
	for i := range stores {
		fs, err := NewFileStateStore(dir)
		if err != nil {
			t.Fatal(err)
		}
		stores[i] = fs
	}
	mem := NewMemStateStore()
	for name, ss := range map[string][]StateStore{"file": stores, "mem": {mem, mem}} {
		t.Run(name, func(t *testing.T) {
			const workers, rounds = 8, 10
			var wg sync.WaitGroup
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func(s StateStore) {
					defer wg.Done()
					for r := 0; r < rounds; r++ {
						unlock, err := s.Lock("u")
						if err != nil {
							t.Error(err)
							return
						}
						st, err := s.Get("u", "db")
						if err != nil {
							t.Error(err)
						}
						var n uint64
						if st != nil {
							n = st.TxId
						}
						if err := s.Set("u", stateAt("db", n+1)); err != nil {
							t.Error(err)
						}
						if err := unlock(); err != nil {
							t.Error(err)
						}
					}
				}(ss[w%2])
			}
			wg.Wait()
			st, err := ss[0].Get("u", "db")
			if err != nil || st.GetTxId() != workers*rounds {
				t.Fatalf("final tx = %d (%v), want %d", st.GetTxId(), err, workers*rounds)
			}
		})
	}
}

func TestIdentityPinning(t *testing.T) {
	dir := t.TempDir()
	fs, _ := NewFileStateStore(dir)
	for name, s := range map[string]StateStore{"file": fs, "mem": NewMemStateStore()} {
		t.Run(name, func(t *testing.T) {
			if err := s.CheckIdentity("uuid-a", "127.0.0.1:3322"); err != nil {
				t.Fatal(err)
			}
			if err := s.CheckIdentity("uuid-a", "127.0.0.1:3322"); err != nil {
				t.Fatal(err)
			}
			if err := s.CheckIdentity("uuid-b", "127.0.0.1:3322"); !errors.Is(err, ErrServerIdentityChanged) {
				t.Fatalf("changed UUID: %v", err)
			}
			if err := s.CheckIdentity("uuid-b", "127.0.0.1:3323"); err != nil {
				t.Fatalf("other address: %v", err)
			}
		})
	}
	// File name as immudb's: .identity-<base64url(sha256(addr)[:16])>.
	sum := sha256.Sum256([]byte("127.0.0.1:3322"))
	path := filepath.Join(dir, ".identity-"+base64.URLEncoding.EncodeToString(sum[:16]))
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), `"serverUUID":"uuid-a"`) || !strings.Contains(string(b), `"serverIdentity":"127.0.0.1:3322"`) {
		t.Fatalf("identity file %s: %s %v", path, b, err)
	}
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := fs.CheckIdentity("uuid-a", "127.0.0.1:3322"); !errors.Is(err, ErrStateCorrupt) {
		t.Fatalf("corrupt identity file: %v", err)
	}
}

// FuzzDecodeStateFile: any input either fails with ErrStateCorrupt or
// decodes to states that encode and decode back to the same states.
func FuzzDecodeStateFile(f *testing.F) {
	good, _ := EncodeStateFile(map[string]*schema.ImmutableState{"defaultdb": stateAt("defaultdb", 5), "db2": stateAt("db2", 1)})
	f.Add(good)
	f.Add([]byte("defaultdb:\n"))
	f.Add([]byte(":" + base64.StdEncoding.EncodeToString([]byte{0x12, 0x00})))
	f.Fuzz(func(t *testing.T, b []byte) {
		states, err := DecodeStateFile(b)
		if err != nil {
			if !errors.Is(err, ErrStateCorrupt) {
				t.Fatalf("error without ErrStateCorrupt: %v", err)
			}
			return
		}
		enc, err := EncodeStateFile(states)
		if err != nil {
			return // e.g. a db name with a newline cannot be written back
		}
		again, err := DecodeStateFile(enc)
		if err != nil || len(again) != len(states) {
			t.Fatalf("re-decode: %v", err)
		}
		for db, st := range states {
			if !sameState(st, again[db]) {
				t.Fatalf("state of %q changed", db)
			}
		}
	})
}

// An existing state file that was emptied is refused, not read as "no
// states": that would let the server start this client's trust afresh.
func TestFileStateRejectsEmptiedFile(t *testing.T) {
	dir := t.TempDir()
	fs, err := NewFileStateStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Set("u1", stateAt("defaultdb", 3)); err != nil {
		t.Fatal(err)
	}
	for _, content := range []string{"", "\n", "  \n\n"} {
		if err := os.WriteFile(filepath.Join(dir, ".state-u1"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if st, err := fs.Get("u1", "defaultdb"); !errors.Is(err, ErrStateCorrupt) || st != nil {
			t.Fatalf("emptied file %q: %v, %v; want ErrStateCorrupt", content, st, err)
		}
	}
}

package index

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// buildFlushed writes n keys (one tx per 100 keys), closes the index so
// everything is in sstables, and returns the model of what was written.
func buildFlushed(t *testing.T, dir string, n int) map[string]string {
	t.Helper()
	ix := openTest(t, dir)
	want := map[string]string{}
	var txs [][]kv
	for i := 0; i < n; i++ {
		k, v := fmt.Sprintf("key-%06d", i), fmt.Sprintf("value-%06d-%s", i, strings.Repeat("x", 40))
		if i%100 == 0 {
			txs = append(txs, nil)
		}
		txs[len(txs)-1] = append(txs[len(txs)-1], kv{k, v})
		want[k] = v
	}
	applyTxs(t, ix, txs...)
	if err := ix.Compact(); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	return want
}

func tables(t *testing.T, dir string) []string {
	t.Helper()
	ssts, err := filepath.Glob(filepath.Join(dir, "*.sst"))
	if err != nil || len(ssts) == 0 {
		t.Fatalf("no sstables in %s (%v)", dir, err)
	}
	return ssts
}

// flip inverts one byte of a file.
func flip(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xFF
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// A damaged data block makes reads fail with ErrCorrupt and marks the index
// damaged, instead of Pebble exiting the process; answers that do come back
// are right.
func TestCorruptTableIsAnError(t *testing.T) {
	for _, where := range []float64{0.1, 0.5, 0.9} {
		t.Run(fmt.Sprint(where), func(t *testing.T) {
			dir := t.TempDir()
			want := buildFlushed(t, dir, 3000)
			sst := tables(t, dir)[0]
			st, err := os.Stat(sst)
			if err != nil {
				t.Fatal(err)
			}
			flip(t, sst, int64(float64(st.Size())*where))

			ix, err := Open(Options{Dir: dir, MemTableSize: testMemTable, CacheSize: testCache, Logger: discard{}})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer ix.Close()
			if ix.Reset() != nil {
				// Open met the damage (the block held the watermark): it
				// must have started over empty.
				if ix.IndexedUpTo() != 0 {
					t.Fatalf("reset index at tx %d", ix.IndexedUpTo())
				}
				return
			}
			corrupt := 0
			for k, v := range want {
				got, err := ix.Get([]byte(k), 0)
				switch {
				case errors.Is(err, ErrCorrupt):
					corrupt++
				case err != nil:
					t.Fatalf("Get(%s): unexpected error %v", k, err)
				case string(got.Payload) != v:
					t.Fatalf("Get(%s) = %q, want %q", k, got.Payload, v)
				}
			}
			it, err := ix.Scan(ScanOptions{})
			if err != nil && !errors.Is(err, ErrCorrupt) {
				t.Fatal(err)
			}
			scanErr := err
			if it != nil {
				for it.Next() {
					if want[string(it.Key())] != string(it.Version().Payload) {
						t.Fatalf("scan %s = %q", it.Key(), it.Version().Payload)
					}
				}
				scanErr = it.Err()
				it.Close()
			}
			if corrupt == 0 && scanErr == nil {
				t.Fatalf("a flipped byte at %.0f%% of %s was not noticed", where*100, sst)
			}
			if scanErr != nil && !errors.Is(scanErr, ErrCorrupt) {
				t.Fatalf("scan error %v, want ErrCorrupt", scanErr)
			}
			if err := ix.Damaged(); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Damaged() = %v after corrupt reads", err)
			}
		})
	}
}

// Every byte of a small table flipped in turn: the index never exits the
// process and never returns a wrong payload; what it cannot read is
// ErrCorrupt (or Open starts over empty).
func TestCorruptTableSweep(t *testing.T) {
	src := t.TempDir()
	want := buildFlushed(t, src, 200)
	sst := tables(t, src)[0]
	st, err := os.Stat(sst)
	if err != nil {
		t.Fatal(err)
	}
	step := st.Size()/25 + 1
	noticed := 0
	for off := int64(0); off < st.Size(); off += step {
		dir := t.TempDir()
		if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
			t.Fatal(err)
		}
		flip(t, filepath.Join(dir, filepath.Base(sst)), off)
		ix, err := Open(Options{Dir: dir, MemTableSize: testMemTable, CacheSize: testCache, Logger: discard{}})
		if err != nil {
			t.Fatalf("off %d: Open: %v", off, err)
		}
		bad := ix.Reset() != nil
		for k, v := range want {
			got, err := ix.Get([]byte(k), 0)
			switch {
			case err != nil && (errors.Is(err, ErrCorrupt) || bad && errors.Is(err, ErrKeyNotFound)):
				bad = true
			case err != nil:
				t.Fatalf("off %d: Get(%s): %v", off, k, err)
			case string(got.Payload) != v:
				t.Fatalf("off %d: Get(%s) = %q, want %q", off, k, got.Payload, v)
			}
		}
		if bad {
			noticed++
		}
		if err := ix.Close(); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("off %d: Close: %v", off, err)
		}
	}
	t.Logf("%d flips noticed out of %d", noticed, (st.Size()+step-1)/step)
}

// Damage to the MANIFEST that Pebble cannot open past makes Open start over
// with an empty index rather than fail or exit.
func TestCorruptManifestResets(t *testing.T) {
	dir := t.TempDir()
	buildFlushed(t, dir, 500)
	ms, _ := filepath.Glob(filepath.Join(dir, "MANIFEST-*"))
	if len(ms) == 0 {
		t.Fatal("no MANIFEST")
	}
	for _, m := range ms {
		st, err := os.Stat(m)
		if err != nil {
			t.Fatal(err)
		}
		for off := int64(0); off < st.Size(); off += 7 {
			flip(t, m, off)
		}
	}
	ix, err := Open(Options{Dir: dir, MemTableSize: testMemTable, CacheSize: testCache, Logger: discard{}})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer ix.Close()
	if ix.Reset() == nil || !errors.Is(ix.Reset(), ErrCorrupt) {
		t.Fatalf("Reset() = %v, want the damage", ix.Reset())
	}
	if ix.IndexedUpTo() != 0 {
		t.Fatalf("IndexedUpTo = %d after reset", ix.IndexedUpTo())
	}
	applyTxs(t, ix, []kv{{"a", "1"}})
	if v, err := ix.Get([]byte("a"), 0); err != nil || string(v.Payload) != "1" {
		t.Fatalf("Get after reset: %v %v", v, err)
	}
}

type discard struct{}

func (discard) Infof(string, ...any)  {}
func (discard) Errorf(string, ...any) {}
func (discard) Fatalf(string, ...any) {}

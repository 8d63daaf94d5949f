package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// A flipped byte in a Pebble table of the key index: the store notices it
// (Pebble's block checksum), rebuilds the index from the log, and every read
// returns the right answer; the process does not exit.
func TestDamagedIndexIsRebuilt(t *testing.T) {
	src := t.TempDir()
	o := DefaultOptions()
	o.FileSize = 4 << 20
	s := openTest(t, src, &o)
	want := map[string]string{}
	for tx := 0; tx < 40; tx++ {
		var req TxRequest
		for i := 0; i < 50; i++ {
			k, v := fmt.Sprintf("k%04d", (tx*50+i)%1500), fmt.Sprintf("v%d-%d", tx, i)
			req.Entries = append(req.Entries, Entry{Key: []byte(k), Value: []byte(v)})
			want[k] = v
		}
		if _, err := s.Commit(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	waitIndexed(t, s)
	if err := s.ix().Compact(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ssts, _ := filepath.Glob(filepath.Join(src, indexDir, "*.sst"))
	if len(ssts) == 0 {
		t.Fatal("no index tables")
	}
	repaired := 0
	defer func() {
		if repaired == 0 && !t.Failed() {
			t.Error("no flip made the store rebuild its index")
		}
	}()
	for _, where := range []float64{0.05, 0.3, 0.6, 0.9, 0.999} {
		t.Run(fmt.Sprint(where), func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
				t.Fatal(err)
			}
			sst := filepath.Join(dir, indexDir, filepath.Base(ssts[0]))
			b, err := os.ReadFile(sst)
			if err != nil {
				t.Fatal(err)
			}
			b[int(float64(len(b))*where)] ^= 0x10
			if err := os.WriteFile(sst, b, 0o644); err != nil {
				t.Fatal(err)
			}
			s := openTest(t, dir, &o)
			defer s.Close()
			waitIndexed(t, s)
			for k, v := range want {
				kv, err := s.Get([]byte(k), 0)
				if err != nil || string(kv.Value) != v {
					t.Fatalf("Get(%s) = %v, %v; want %q", k, kv, err, v)
				}
			}
			kvs, err := s.Scan(ScanOptions{})
			if err != nil || len(kvs) != len(want) {
				t.Fatalf("Scan: %d keys, %v; want %d", len(kvs), err, len(want))
			}
			for _, kv := range kvs {
				if want[string(kv.Key)] != string(kv.Value) {
					t.Fatalf("Scan %s = %q", kv.Key, kv.Value)
				}
			}
			t.Logf("flip at %.1f%%: %d repairs", where*100, s.IndexRepairs())
			if s.IndexRepairs() > 0 {
				repaired++
			}
		})
	}
}

package index

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func verifyTestOptions(dir string) Options {
	return Options{Dir: dir, MemTableSize: testMemTable, CacheSize: testCache, Compress: os.Getenv("IX_COMPRESS") != ""}
}

// buildVerifyIndex writes keys with several revisions each (so that tables
// hold value blocks for older versions) and closes the index.
func buildVerifyIndex(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ix := openTest(t, dir)
	for round := 0; round < 4; round++ {
		var txs [][]kv
		for i := 0; i < 50; i++ {
			var tx []kv
			for j := 0; j < 10; j++ {
				tx = append(tx, kv{fmt.Sprintf("key-%04d", (i*10+j)%400), strings.Repeat(fmt.Sprint(round), 100)})
			}
			txs = append(txs, tx)
		}
		applyTxs(t, ix, txs...)
		if err := ix.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func flipFile(t *testing.T, path string, off int64) (restore func()) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	orig := b[off]
	b[off] ^= 1 << (off % 8)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return func() {
		b[off] = orig
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestVerifyDirEveryFileKind flips bits spread over every non-empty file of
// a closed index; VerifyDir must report each one.
func TestVerifyDirEveryFileKind(t *testing.T) {
	dir := buildVerifyIndex(t)
	opts := verifyTestOptions(dir)
	if err := VerifyDir(opts); err != nil {
		t.Fatalf("clean index: %v", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil || fi.Size() == 0 {
			continue
		}
		name := e.Name()
		switch {
		case strings.HasSuffix(name, ".sst"):
			kinds["table"] = true
		case strings.HasPrefix(name, "MANIFEST-"):
			kinds["manifest"] = true
		case strings.HasPrefix(name, "OPTIONS-"):
			kinds["options"] = true
		case strings.HasSuffix(name, ".log"):
			kinds["wal"] = true
		case name == filterFileName:
			kinds["filter"] = true
		default:
			t.Fatalf("unexpected non-empty file %s", name)
		}
		path := filepath.Join(dir, name)
		step := max(fi.Size()/40, 1)
		for off := int64(0); off < fi.Size(); off += step {
			for _, o := range []int64{off, min(off+step/2, fi.Size()-1)} {
				restore := flipFile(t, path, o)
				err := VerifyDir(opts)
				restore()
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("%s: byte %d of %d flipped: VerifyDir = %v", name, o, fi.Size(), err)
				}
			}
		}
	}
	for _, k := range []string{"table", "manifest", "options", "wal", "filter"} {
		if !kinds[k] {
			t.Errorf("no %s file was checked", k)
		}
	}
	if err := VerifyDir(opts); err != nil {
		t.Fatalf("restored: %v", err)
	}
}

// TestVerifyFilesOpenIndex: the files of an open index, changed while it
// runs, are reported; a clean one passes, and a closed one says ErrClosed.
func TestVerifyFilesOpenIndex(t *testing.T) {
	dir := buildVerifyIndex(t)
	opts := verifyTestOptions(dir)
	ix := openTest(t, dir)
	if err := ix.VerifyFiles(opts); err != nil {
		t.Fatalf("clean open index: %v", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, ".sst") && !strings.HasPrefix(name, "OPTIONS-") && name != filterFileName {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		for _, off := range []int64{0, fi.Size() / 2, fi.Size() - 1} {
			restore := flipFile(t, filepath.Join(dir, name), off)
			err := ix.VerifyFiles(opts)
			restore()
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%s: byte %d flipped: VerifyFiles = %v", name, off, err)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no file checked")
	}
	if err := ix.VerifyFiles(opts); err != nil {
		t.Fatalf("restored: %v", err)
	}
	if err := ix.Damaged(); err != nil {
		t.Fatalf("VerifyFiles marked the index damaged: %v", err)
	}
	// Options other than the ones the index runs with do not match its
	// OPTIONS file.
	other := opts
	other.CacheSize = max(opts.CacheSize, DefaultCacheSize) * 2
	if err := ix.VerifyFiles(other); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("other options: %v", err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ix.VerifyFiles(opts); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed: %v", err)
	}
}

// FuzzVerifyRecords: MANIFEST bytes of any shape get an answer, never a
// panic or a hang; a clean MANIFEST passes and any single flipped bit of it
// is reported.
func FuzzVerifyRecords(f *testing.F) {
	dir := f.TempDir()
	ix, err := Open(Options{Dir: dir})
	if err != nil {
		f.Fatal(err)
	}
	b := ix.NewBatch()
	b.Begin(1)
	b.Add([]byte("k"), []byte("v"))
	if err := ix.Apply(b); err != nil {
		f.Fatal(err)
	}
	b.Close()
	if err := ix.Close(); err != nil {
		f.Fatal(err)
	}
	var manifest []byte
	ents, err := os.ReadDir(dir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "MANIFEST-") {
			if manifest, err = os.ReadFile(filepath.Join(dir, e.Name())); err != nil {
				f.Fatal(err)
			}
		}
	}
	if len(manifest) == 0 {
		f.Fatal("no MANIFEST")
	}
	if err := verifyRecords(manifest); err != nil {
		f.Fatalf("clean MANIFEST: %v", err)
	}
	f.Add(manifest, uint32(0))
	f.Add(manifest[:len(manifest)/2], uint32(3))
	f.Add(make([]byte, recordBlockSize+3), uint32(1))
	f.Fuzz(func(t *testing.T, data []byte, flip uint32) {
		err := verifyRecords(data) // any answer, no panic
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("error does not wrap ErrCorrupt: %v", err)
		}
		m := append([]byte(nil), manifest...)
		bit := int(flip) % (8 * len(m))
		m[bit/8] ^= 1 << (bit % 8)
		if err := verifyRecords(m); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("bit %d of the MANIFEST flipped: %v", bit, err)
		}
	})
}

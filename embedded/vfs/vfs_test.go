package vfs

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

func exercise(t *testing.T, f FS, dir string) {
	t.Helper()
	if err := f.MkdirAll(filepath.Join(dir, "a/b"), 0o755); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "a/b/f")
	h, err := Create(f, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Preallocate(0, 1<<16); err != nil {
		t.Fatal(err)
	}
	if _, err := h.WriteAt([]byte("hello"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := h.WriteAt([]byte("world"), 10); err != nil {
		t.Fatal(err)
	}
	if sz, _ := h.Size(); sz != 15 {
		t.Fatalf("size %d, want 15 (preallocation must not change it)", sz)
	}
	buf := make([]byte, 15)
	if _, err := h.ReadAt(buf, 0); err != nil {
		t.Fatal(err)
	}
	if want := []byte("hello\x00\x00\x00\x00\x00world"); !bytes.Equal(buf, want) {
		t.Fatalf("read %q, want %q", buf, want)
	}
	if _, err := h.ReadAt(buf, 10); err != io.EOF {
		t.Fatalf("short read: err %v, want EOF", err)
	}
	if err := h.Truncate(3); err != nil {
		t.Fatal(err)
	}
	if err := h.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	// A closed file refuses everything, the same way on every FS (the store
	// relies on it to report reads racing with Close as ErrClosed).
	if _, err := h.ReadAt(buf, 0); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("read after close: %v", err)
	}
	if _, err := h.WriteAt(buf, 0); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	if err := h.Sync(); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("sync after close: %v", err)
	}
	if err := h.Close(); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("second close: %v", err)
	}
	if err := WriteFileAtomic(f, dir, filepath.Join(dir, "x"), []byte("xyz")); err != nil {
		t.Fatal(err)
	}
	b, err := ReadFile(f, filepath.Join(dir, "x"))
	if err != nil || string(b) != "xyz" {
		t.Fatalf("ReadFile %q %v", b, err)
	}
	names, err := f.ReadDir(dir)
	if err != nil || len(names) != 2 || names[0] != "a" || names[1] != "x" {
		t.Fatalf("ReadDir %v %v", names, err)
	}
	fi, err := f.Stat(name)
	if err != nil || fi.Size != 3 || fi.IsDir {
		t.Fatalf("Stat %+v %v", fi, err)
	}
	if _, err := f.Stat(filepath.Join(dir, "nope")); !IsNotExist(err) {
		t.Fatalf("Stat missing: %v", err)
	}
	if _, err := f.OpenFile(filepath.Join(dir, "nope"), os.O_RDONLY, 0); !IsNotExist(err) {
		t.Fatalf("open missing: %v", err)
	}
	if err := f.Rename(name, filepath.Join(dir, "g")); err != nil {
		t.Fatal(err)
	}
	if err := f.RemoveAll(filepath.Join(dir, "a")); err != nil {
		t.Fatal(err)
	}
	if err := f.Remove(filepath.Join(dir, "g")); err != nil {
		t.Fatal(err)
	}
}

func TestOS(t *testing.T) { exercise(t, OS, t.TempDir()) }

func TestMem(t *testing.T) {
	m := NewMem()
	m.MkdirAll("/d", 0o755)
	exercise(t, m, "/d")
}

func TestMemCrashClone(t *testing.T) {
	m := NewMem()
	h, _ := Create(m, "/f")
	h.WriteAt([]byte("synced"), 0)
	h.Sync()
	h.WriteAt([]byte("-unsynced-1"), 6)
	h.WriteAt([]byte("-unsynced-2"), 17)

	c := m.CrashClone(nil)
	if b, _ := ReadFile(c, "/f"); string(b) != "synced" {
		t.Fatalf("clone without rng kept %q", b)
	}
	full := "synced-unsynced-1-unsynced-2"
	seen := map[int]bool{}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		b, _ := ReadFile(m.CrashClone(rng), "/f")
		if !bytes.HasPrefix([]byte(full), b) || len(b) < 6 {
			t.Fatalf("clone %q is not a prefix of %q keeping the synced part", b, full)
		}
		seen[len(b)] = true
	}
	if len(seen) < 10 {
		t.Fatalf("only %d distinct torn lengths", len(seen))
	}
	// The original is untouched.
	if b, _ := ReadFile(m, "/f"); string(b) != full {
		t.Fatalf("original changed: %q", b)
	}
}

func TestFaulty(t *testing.T) {
	for _, tc := range []struct {
		name   string
		short  bool
		err    error
		sticky bool
	}{
		{"eio", false, EIO, false},
		{"enospc-short", true, ENOSPC, false},
		{"sticky", false, EIO, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFaulty(NewMem())
			h, _ := Create(f, "/f")
			f.FailWrite(2, tc.err, tc.short, tc.sticky)
			if _, err := h.WriteAt([]byte("abcd"), 0); err != nil {
				t.Fatal(err)
			}
			n, err := h.WriteAt([]byte("efgh"), 4)
			if !errors.Is(err, tc.err) {
				t.Fatalf("2nd write: %v, want %v", err, tc.err)
			}
			if tc.short != (n == 2) {
				t.Fatalf("short write wrote %d", n)
			}
			_, err = h.WriteAt([]byte("ijkl"), 8)
			if tc.sticky != (err != nil) {
				t.Fatalf("3rd write err %v, sticky %v", err, tc.sticky)
			}
			f.FailSync(1, tc.err, false)
			if err := h.Sync(); !errors.Is(err, tc.err) {
				t.Fatalf("sync: %v", err)
			}
			f.Heal()
			if err := h.Sync(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

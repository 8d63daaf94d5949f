package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/attestdb/attestdb/embedded/index"
	"github.com/attestdb/attestdb/embedded/vfs"
)

// flipAt xors one byte of a file of fsys and returns a function that
// restores it.
func flipAt(t *testing.T, fsys vfs.FS, name string, off int64) func() {
	t.Helper()
	f, err := fsys.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b [1]byte
	if _, err := f.ReadAt(b[:], off); err != nil {
		t.Fatalf("%s at %d: %v", name, off, err)
	}
	if _, err := f.WriteAt([]byte{b[0] ^ 0x10}, off); err != nil {
		t.Fatal(err)
	}
	return func() {
		f, err := fsys.OpenFile(name, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteAt(b[:], off); err != nil {
			t.Fatal(err)
		}
	}
}

func wantCorrupted(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, ErrCorruptedData) {
		t.Fatalf("%s: got %v, want ErrCorruptedData", what, err)
	}
}

// TestVerifyFilesLogTail: every byte after the last record of each segment,
// and every byte of a segment no record reaches, must be zero.
func TestVerifyFilesLogTail(t *testing.T) {
	m := vfs.NewMem()
	o := testOptions(m) // 1 MiB segments
	o.DisableIndex = true
	s := openTest(t, "/s", o)
	defer s.Close()
	if err := s.VerifyAll(); err != nil {
		t.Fatalf("empty store: %v", err)
	}
	big := strings.Repeat("v", 300<<10)
	for i := 0; i < 8; i++ { // three records per segment: the log reaches segment 2
		set(t, s, fmt.Sprintf("k%d", i), big)
	}
	set(t, s, "small", "x")
	if err := s.VerifyAll(); err != nil {
		t.Fatalf("clean store: %v", err)
	}
	last, _ := s.LastCommitted()
	e, err := s.entryOf(last)
	if err != nil {
		t.Fatal(err)
	}
	seg, end := splitPos(e.Pos + uint64(e.Len))
	if seg < 2 {
		t.Fatalf("log ends in segment %d, want ≥ 2", seg)
	}
	first, err := s.entryOf(1)
	if err != nil {
		t.Fatal(err)
	}
	seg0End := int64(first.Pos) + int64(first.Len)*3 // three records fit in segment 0
	cases := []struct {
		name string
		seg  uint32
		off  int64
	}{
		{"first byte after the last record", seg, end},
		{"middle of the last segment's tail", seg, (end + o.FileSize) / 2},
		{"last byte of the last segment", seg, o.FileSize - 1},
		{"tail of segment 0", 0, seg0End + 17},
		{"last byte of segment 0", 0, o.FileSize - 1},
	}
	for _, c := range cases {
		restore := flipAt(t, m, segName("/s/log", c.seg), c.off)
		wantCorrupted(t, c.name, s.VerifyFiles())
		restore()
		if err := s.VerifyFiles(); err != nil {
			t.Fatalf("%s restored: %v", c.name, err)
		}
	}

	// A valid record that does not carry the next tx id (a copy of the
	// last one) is not part of the log either.
	rec := make([]byte, e.Len)
	if err := s.log.readAt(rec, e.Pos); err != nil {
		t.Fatal(err)
	}
	f, err := m.OpenFile(segName("/s/log", seg), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(rec, end); err != nil {
		t.Fatal(err)
	}
	wantCorrupted(t, "copied record after the end", s.VerifyFiles())
	if _, err := f.WriteAt([]byte{0xff, 0xff, 0xff, 0xff}, end); err != nil { // a length past the segment
		t.Fatal(err)
	}
	wantCorrupted(t, "huge frame length after the end", s.VerifyFiles())
	if _, err := f.WriteAt(make([]byte, len(rec)), end); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := s.VerifyFiles(); err != nil {
		t.Fatalf("zeroed again: %v", err)
	}

	// A spare segment ahead of the log must be all zeros.
	spare, err := vfs.Create(m, segName("/s/log", seg+1))
	if err != nil {
		t.Fatal(err)
	}
	if err := spare.Truncate(o.FileSize); err != nil {
		t.Fatal(err)
	}
	spare.Close()
	if err := s.VerifyFiles(); err != nil {
		t.Fatalf("zero spare segment: %v", err)
	}
	restore := flipAt(t, m, segName("/s/log", seg+1), 12345)
	wantCorrupted(t, "spare segment", s.VerifyFiles())
	restore()

	// Commits go on: the tail moves and stays verified.
	set(t, s, "after", "y")
	if err := s.VerifyAll(); err != nil {
		t.Fatalf("after another commit: %v", err)
	}
}

// TestVerifyFilesConcurrentCommits: records written while the tail is
// scanned are not damage.
func TestVerifyFilesConcurrentCommits(t *testing.T) {
	m := vfs.NewMem()
	o := testOptions(m)
	o.DisableIndex = true
	s := openTest(t, "/s", o)
	defer s.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 300; i++ {
			set(t, s, fmt.Sprintf("c%d", i), strings.Repeat("w", 1+i*37%5000))
		}
	}()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		if err := s.VerifyFiles(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.VerifyAll(); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyFilesCheckpoint: any byte of CHECKPOINT, changed while the
// store is open or at rest before Open.
func TestVerifyFilesCheckpoint(t *testing.T) {
	m := vfs.NewMem()
	o := testOptions(m)
	o.DisableIndex = true
	o.CheckpointInterval = time.Hour // only Close checkpoints
	s := openTest(t, "/s", o)
	for i := 0; i < 5; i++ {
		set(t, s, fmt.Sprintf("k%d", i), "v")
	}
	if err := s.VerifyFiles(); err != nil {
		t.Fatalf("no checkpoint yet: %v", err)
	}
	s.Close()
	if err := VerifyDir("/s", o); err != nil {
		t.Fatalf("closed store: %v", err)
	}
	s = openTest(t, "/s", o)
	if err := s.VerifyAll(); err != nil {
		t.Fatalf("reopened: %v", err)
	}
	for off := int64(0); off < checkpointLen; off++ {
		restore := flipAt(t, m, "/s/CHECKPOINT", off)
		wantCorrupted(t, fmt.Sprintf("open store, byte %d", off), s.VerifyFiles())
		restore()
	}
	if err := s.VerifyFiles(); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// At rest: VerifyDir sees it; Open starts from tx 0 and VerifyFiles
	// still reports the file until a checkpoint replaces it.
	for off := int64(0); off < checkpointLen; off++ {
		restore := flipAt(t, m, "/s/CHECKPOINT", off)
		wantCorrupted(t, fmt.Sprintf("VerifyDir, byte %d", off), VerifyDir("/s", o))
		s := openTest(t, "/s", o)
		wantCorrupted(t, fmt.Sprintf("reopened, byte %d", off), s.VerifyFiles())
		s.Close() // writes a good CHECKPOINT
		restore()
	}
	// A valid CHECKPOINT that Open could not use (it names a tx the tx
	// index no longer vouches for) is reported too.
	if err := vfs.WriteFileAtomic(m, "/s", "/s/CHECKPOINT", encodeCheckpoint(3)); err != nil {
		t.Fatal(err)
	}
	restore := flipAt(t, m, "/s/txindex", 2*txEntryLen+5) // entry of tx 3
	s = openTest(t, "/s", o)
	restore()
	wantCorrupted(t, "unusable checkpoint", s.VerifyFiles())
	s.Close()
	s = openTest(t, "/s", o)
	defer s.Close()
	if err := s.VerifyAll(); err != nil {
		t.Fatalf("after a clean close: %v", err)
	}
}

// TestVerifyFilesIndex: a changed byte in the key filter, a Pebble table,
// the current OPTIONS file (open store) or the WAL and OPTIONS at rest.
func TestVerifyFilesIndex(t *testing.T) {
	dir := t.TempDir()
	o := DefaultOptions()
	o.FileSize = 1 << 20
	o.CheckpointInterval = time.Hour
	s := openTest(t, dir, &o)
	for i := 0; i < 200; i++ {
		set(t, s, fmt.Sprintf("key-%03d", i%150), fmt.Sprintf("value-%d", i))
	}
	waitIndexed(t, s)
	s.Close() // flushes the index and saves the key filter
	if err := VerifyDir(dir, &o); err != nil {
		t.Fatalf("closed store: %v", err)
	}
	ixDir := filepath.Join(dir, indexDir)
	find := func(match func(string) bool) string {
		t.Helper()
		ents, err := os.ReadDir(ixDir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if fi, _ := e.Info(); fi != nil && fi.Size() > 0 && match(e.Name()) {
				return filepath.Join(ixDir, e.Name())
			}
		}
		t.Fatalf("no such file in %s", ixDir)
		return ""
	}
	size := func(p string) int64 {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	isWAL := func(n string) bool { return strings.HasSuffix(n, ".log") }
	isOptions := func(n string) bool { return strings.HasPrefix(n, "OPTIONS-") }
	isTable := func(n string) bool { return strings.HasSuffix(n, ".sst") }
	isFilter := func(n string) bool { return strings.HasSuffix(n, ".filter") }

	// At rest: the files Open replaces.
	for _, kind := range []func(string) bool{isWAL, isOptions, isTable, isFilter} {
		p := find(kind)
		for _, off := range []int64{0, size(p) / 2, size(p) - 1} {
			restore := flipAt(t, vfs.OS, p, off)
			err := VerifyDir(dir, &o)
			restore()
			wantCorrupted(t, fmt.Sprintf("at rest: %s byte %d", filepath.Base(p), off), err)
			if !errors.Is(err, index.ErrCorrupt) {
				t.Fatalf("%s: %v does not wrap index.ErrCorrupt", p, err)
			}
		}
	}

	// Open: a flipped table, filter or OPTIONS file is reported.
	s = openTest(t, dir, &o)
	defer s.Close()
	if err := s.VerifyAll(); err != nil {
		t.Fatalf("open store: %v", err)
	}
	for _, kind := range []func(string) bool{isOptions, isTable, isFilter} {
		p := find(kind)
		for _, off := range []int64{0, size(p) / 3, size(p) - 1} {
			restore := flipAt(t, vfs.OS, p, off)
			err := s.VerifyFiles()
			restore()
			wantCorrupted(t, fmt.Sprintf("open: %s byte %d", filepath.Base(p), off), err)
		}
	}
	if err := s.VerifyAll(); err != nil {
		t.Fatalf("restored: %v", err)
	}
}

func TestVerifyFilesAfterClose(t *testing.T) {
	o := DefaultOptions()
	s := openTest(t, t.TempDir(), &o)
	set(t, s, "k", "v")
	if err := s.VerifyAll(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.VerifyFiles(); !errors.Is(err, ErrClosed) {
		t.Fatalf("VerifyFiles after Close: %v", err)
	}
	if err := s.VerifyAll(); !errors.Is(err, ErrClosed) {
		t.Fatalf("VerifyAll after Close: %v", err)
	}
	if err := VerifyDir(t.TempDir(), &o); err == nil || errors.Is(err, ErrCorruptedData) {
		t.Fatalf("VerifyDir of an empty directory: %v, want a read error", err)
	}
}

package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/attestdb/attestdb/embedded/vfs"
	"github.com/attestdb/attestdb/proof"
)

// logWrite is one write to a log segment, in the order it was made.
type logWrite struct {
	name     string
	off, n   int64
	allZeros bool
	create   bool // the file was created (or truncated) here
}

// writeLog is a file system that records the writes to log segments and
// can fail the zero writes.
type writeLog struct {
	vfs.FS
	mu        sync.Mutex
	writes    []logWrite
	failZeros bool
	failed    int // zero writes refused
	// failRecordIn names a segment whose next record write fails (once).
	failRecordIn string
}

func (w *writeLog) OpenFile(name string, flag int, perm fs.FileMode) (vfs.File, error) {
	f, err := w.FS.OpenFile(name, flag, perm)
	if err != nil || !strings.HasSuffix(name, ".seg") {
		return f, err
	}
	if flag&os.O_TRUNC != 0 {
		w.mu.Lock()
		w.writes = append(w.writes, logWrite{name: name, create: true})
		w.mu.Unlock()
	}
	return &writeLogFile{File: f, w: w, name: name}, nil
}

type writeLogFile struct {
	vfs.File
	w    *writeLog
	name string
}

func (f *writeLogFile) WriteAt(p []byte, off int64) (int, error) {
	zeros := len(p) >= zeroAheadLow && bytes.Count(p, []byte{0}) == len(p)
	f.w.mu.Lock()
	fail := zeros && f.w.failZeros
	if !zeros && f.w.failRecordIn != "" && strings.HasSuffix(f.name, f.w.failRecordIn) {
		fail, f.w.failRecordIn = true, ""
	}
	if fail && zeros {
		f.w.failed++
	}
	if !fail {
		f.w.writes = append(f.w.writes, logWrite{name: f.name, off: off, n: int64(len(p)), allZeros: zeros})
	}
	f.w.mu.Unlock()
	if fail {
		return 0, syscall.EIO
	}
	return f.File.WriteAt(p, off)
}

// zeroAheadOptions turns zeros ahead on for stores on w (for the test) and
// returns index-less options with segments of fileSize bytes on it.
func zeroAheadOptions(t *testing.T, w *writeLog, fileSize int64) *Options {
	old := zeroAheadOn
	zeroAheadOn = func(f vfs.FS, _ string) bool { return f == w }
	t.Cleanup(func() { zeroAheadOn = old })
	o := testOptions(w)
	o.FileSize = fileSize
	o.DisableIndex = true
	return o
}

func commitValues(t *testing.T, s *Store, from, n, size int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		v := bytes.Repeat([]byte{byte(i) | 1}, size)
		if _, err := s.Commit(context.Background(), TxRequest{Entries: []Entry{{Key: fmt.Appendf(nil, "k%d", i), Value: v}}}); err != nil {
			t.Fatalf("commit %d: %v", i, err)
		}
	}
}

// TestZeroAhead: the committer writes zeros ahead of the log's end, never
// over a record (every zero write starts at or past everything written to
// its segment before it), within the segment's size, across a segment
// change; and the log reads back whole after a reopen.
func TestZeroAhead(t *testing.T) {
	w := &writeLog{FS: vfs.NewMem()}
	o := zeroAheadOptions(t, w, 5<<20) // the second chunk is cut at the segment's end
	s := openTest(t, "/s", o)
	const txs, size = 800, 16000 // ~12.8 MB: three segments
	commitValues(t, s, 0, txs, size)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	w.mu.Lock()
	writes := append([]logWrite(nil), w.writes...)
	w.mu.Unlock()
	written := map[string]int64{} // end of the records written to each segment so far
	zeroed := map[string]int64{}  // bytes of zeros written to each segment
	for i, wr := range writes {
		if wr.off+wr.n > o.FileSize {
			t.Fatalf("write %d %+v goes past the segment size %d", i, wr, o.FileSize)
		}
		if !wr.allZeros {
			written[wr.name] = max(written[wr.name], wr.off+wr.n)
			continue
		}
		if wr.off < written[wr.name] {
			t.Fatalf("write %d: zeros at %d in %s, below records written up to %d", i, wr.off, wr.name, written[wr.name])
		}
		zeroed[wr.name] += wr.n
	}
	if len(written) < 3 {
		t.Fatalf("records went to %d segments, want at least 3", len(written))
	}
	for seg := range written {
		if zeroed[seg] == 0 {
			t.Errorf("no zeros written ahead in %s", seg)
		}
	}

	s = openTest(t, "/s", o)
	defer s.Close()
	if last, _ := s.LastCommitted(); last != txs {
		t.Fatalf("reopened at tx %d, want %d", last, txs)
	}
	if err := s.VerifyIntegrity(1, txs); err != nil {
		t.Fatal(err)
	}
}

// TestZeroAheadSkipsLargeRuns: while the runs are large (here 1 MiB txs)
// the committer stops writing zeros after the first few; when small txs
// come back, so do the zeros.
func TestZeroAheadSkipsLargeRuns(t *testing.T) {
	w := &writeLog{FS: vfs.NewMem()}
	o := zeroAheadOptions(t, w, 20<<20) // small: the in-memory file system copies a segment on every sync
	s := openTest(t, "/s", o)
	defer s.Close()
	zeros := func() (n int64) {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, wr := range w.writes {
			if wr.allZeros {
				n += wr.n
			}
		}
		return n
	}
	commitValues(t, s, 0, 16, 1<<20) // 16 MiB of records
	large := zeros()
	if large > 2*zeroAheadChunk {
		t.Fatalf("%d MiB of zeros written ahead of 16 runs of 1 MiB, want at most %d", large>>20, 2*zeroAheadChunk>>20)
	}
	commitValues(t, s, 16, 40, 1000) // small txs: the average falls, zeros resume
	if zeros() == large {
		t.Fatal("no zeros written ahead once the runs were small again")
	}
	if err := s.VerifyIntegrity(1, 56); err != nil {
		t.Fatal(err)
	}
}

// TestZeroAheadWriteFails: a failed zero write is not a failed commit; the
// store stops writing zeros and keeps committing.
func TestZeroAheadWriteFails(t *testing.T) {
	w := &writeLog{FS: vfs.NewMem(), failZeros: true}
	o := zeroAheadOptions(t, w, 6<<20)
	s := openTest(t, "/s", o)
	defer s.Close()
	commitValues(t, s, 0, 40, 16000)
	w.mu.Lock()
	if w.failed == 0 {
		t.Fatal("no zero write was attempted: the test would check nothing")
	}
	w.failZeros = false
	w.mu.Unlock()
	commitValues(t, s, 40, 40, 16000)
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, wr := range w.writes {
		if wr.allZeros {
			t.Fatalf("zeros written after a zero write failed: %+v", wr)
		}
	}
	if err := s.VerifyIntegrity(1, 80); err != nil && !errors.Is(err, ErrClosed) {
		t.Fatal(err)
	}
}

// TestZeroAheadAfterRollback: a run that fails in the segment it opened is
// rolled back (the segment removed, the committer back in the previous
// one). The zeros written afterwards still land past every record of their
// segment, in the re-created one too, and a crash keeps every
// acknowledged tx.
func TestZeroAheadAfterRollback(t *testing.T) {
	m := vfs.NewMem()
	w := &writeLog{FS: m}
	o := zeroAheadOptions(t, w, 3<<20)
	s := openTest(t, "/s", o)
	defer s.Close()
	alhs := map[uint64]proof.Hash{}
	commit := func(key string, size int) error {
		h, err := s.Commit(context.Background(), TxRequest{Entries: []Entry{{Key: []byte(key), Value: bytes.Repeat([]byte{7}, size)}}})
		if err == nil {
			alhs[h.ID], _ = h.Alh()
		}
		return err
	}
	for i := range 150 { // ~2.4 MB of the 3 MiB segment
		if err := commit(fmt.Sprint("a", i), 16000); err != nil {
			t.Fatal(err)
		}
	}
	w.mu.Lock()
	w.failRecordIn = "00000001.seg"
	w.mu.Unlock()
	if err := commit("big", 1<<20); !errors.Is(err, syscall.EIO) { // opens segment 1
		t.Fatalf("commit into a failing segment: %v", err)
	}
	for i := range 150 { // fills segment 0, then a re-created segment 1
		if err := commit(fmt.Sprint("b", i), 16000); err != nil {
			t.Fatal(err)
		}
	}

	w.mu.Lock()
	writes := append([]logWrite(nil), w.writes...)
	w.mu.Unlock()
	written := map[string]int64{}
	creates, zerosAfterRecreate := 0, false
	for i, wr := range writes {
		switch {
		case wr.create:
			delete(written, wr.name) // a new file: nothing written yet
			if strings.HasSuffix(wr.name, "00000001.seg") {
				creates++
			}
		case !wr.allZeros:
			written[wr.name] = max(written[wr.name], wr.off+wr.n)
		case wr.off < written[wr.name]:
			t.Fatalf("write %d: zeros at %d in %s, below records written up to %d", i, wr.off, wr.name, written[wr.name])
		case creates == 2 && strings.HasSuffix(wr.name, "00000001.seg"):
			zerosAfterRecreate = true
		}
	}
	if creates != 2 || !zerosAfterRecreate {
		t.Fatalf("segment 1 created %d times (want 2), zeros in the re-created one: %v", creates, zerosAfterRecreate)
	}

	cs, err := Open("/s", &Options{FS: m.CrashClone(nil), FileSize: o.FileSize, DisableIndex: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	for id, want := range alhs {
		if got, err := cs.Alh(id); err != nil || got != want {
			t.Fatalf("acknowledged tx %d lost after a crash: %v", id, err)
		}
	}
	last, _ := cs.LastCommitted()
	if err := cs.VerifyIntegrity(1, last); err != nil {
		t.Fatal(err)
	}
	if err := cs.VerifyFiles(); err != nil {
		t.Fatal(err)
	}
}

// TestZeroAheadAfterReopen: a reopened store writes zeros ahead of its
// first small tx; the log written before the reopen is not one large run.
func TestZeroAheadAfterReopen(t *testing.T) {
	w := &writeLog{FS: vfs.NewMem()}
	o := zeroAheadOptions(t, w, 8<<20)
	s := openTest(t, "/s", o)
	commitValues(t, s, 0, 4, 1<<20)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	before := len(w.writes)
	w.mu.Unlock()
	s = openTest(t, "/s", o)
	commitValues(t, s, 4, 1, 100)
	// The committer writes the zeros after handing the run to the syncer,
	// so the commit can be acknowledged first: Close waits for it.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, wr := range w.writes[before:] {
		if wr.allZeros {
			return
		}
	}
	t.Fatalf("no zeros written ahead of the first tx after a reopen: %+v", w.writes[before:])
}

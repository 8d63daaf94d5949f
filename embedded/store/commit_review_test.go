package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attestdb/attestdb/embedded/vfs"
	"github.com/attestdb/attestdb/proof"
)

// gateFS holds the next fsync of a log segment until released, so a test
// can keep the syncer busy while the committer builds a pending run.
type gateFS struct {
	vfs.FS
	mu      sync.Mutex
	armed   bool
	entered chan struct{}
	release chan struct{}
}

func newGateFS(inner vfs.FS) *gateFS {
	return &gateFS{FS: inner, entered: make(chan struct{}, 1), release: make(chan struct{})}
}

func (g *gateFS) arm() {
	g.mu.Lock()
	g.armed = true
	g.mu.Unlock()
}

func (g *gateFS) OpenFile(name string, flag int, perm fs.FileMode) (vfs.File, error) {
	f, err := g.FS.OpenFile(name, flag, perm)
	if err != nil || !strings.Contains(name, "/log/") {
		return f, err
	}
	return &gateFile{File: f, g: g}, nil
}

type gateFile struct {
	vfs.File
	g *gateFS
}

func (f *gateFile) Sync() error {
	f.g.mu.Lock()
	armed := f.g.armed
	f.g.armed = false
	f.g.mu.Unlock()
	if armed {
		f.g.entered <- struct{}{}
		<-f.g.release
	}
	return f.File.Sync()
}

// runTestStore opens a Synced store where every tx is its own commit group
// (tiny MaxGroupBytes), so a pending run holds several groups.
func runTestStore(t *testing.T, fsys vfs.FS) *Store {
	t.Helper()
	o := crashOptions(fsys)
	o.Synced = true
	o.CheckpointInterval = time.Hour // no derived-file writes in the fault counts
	o.MaxGroupBytes = 64
	return openTest(t, "/s", o)
}

// waitBuilt waits until the committer has built tx id (its tree leaf).
func waitBuilt(t *testing.T, s *Store, id uint64) {
	t.Helper()
	want := 2*id - uint64(popcount(id))
	deadline := time.Now().Add(20 * time.Second)
	for s.nodes.Count() < want {
		if time.Now().After(deadline) {
			t.Fatalf("tx %d never built (nodes %d, want %d)", id, s.nodes.Count(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

func popcount(x uint64) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

func commitAsync(s *Store, key string, n int) chan error {
	ch := make(chan error, 1)
	go func() {
		_, err := s.Commit(context.Background(), TxRequest{Entries: []Entry{{Key: []byte(key), Value: make([]byte, n)}}})
		ch <- err
	}()
	return ch
}

// TestReviewRunWriteFailureSeveralGroups: a pending run of several groups
// whose write fails fails every one of its txs, publishes none, and leaves
// a store that commits, verifies and reopens at the same tx.
func TestReviewRunWriteFailureSeveralGroups(t *testing.T) {
	m := vfs.NewMem()
	g := newGateFS(m)
	f := vfs.NewFaulty(g)
	s := runTestStore(t, f)
	for i := 0; i < 3; i++ {
		set(t, s, fmt.Sprintf("k%d", i), "v")
	}
	g.arm()
	a := commitAsync(s, "a", 10)
	<-g.entered // tx 4 written, its fsync held
	f.FailWrite(1, vfs.EIO, true, false)
	b := commitAsync(s, "b", 3000)
	waitBuilt(t, s, 5)
	c := commitAsync(s, "c", 3000)
	waitBuilt(t, s, 6)
	close(g.release)
	if err := <-a; err != nil {
		t.Fatalf("tx 4: %v", err)
	}
	for name, ch := range map[string]chan error{"b": b, "c": c} {
		if err := <-ch; !errors.Is(err, vfs.EIO) {
			t.Fatalf("%s: %v, want EIO", name, err)
		}
	}
	if last, _ := s.LastCommitted(); last != 4 {
		t.Fatalf("last %d, want 4", last)
	}
	f.Heal()
	if h := set(t, s, "d", "v"); h.ID != 5 {
		t.Fatalf("next tx %d, want 5", h.ID)
	}
	if err := s.VerifyIntegrity(1, 5); err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyFiles(); err != nil {
		t.Fatalf("after a failed run: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, "/s", crashOptions(m))
	defer s.Close()
	if last, _ := s.LastCommitted(); last != 5 {
		t.Fatalf("reopened at %d, want 5", last)
	}
	if err := s.VerifyIntegrity(1, 5); err != nil {
		t.Fatal(err)
	}
}

// TestReviewCloseWithPendingRun: Close while the syncer is busy and the
// committer holds a built, unwritten run commits every queued tx.
func TestReviewCloseWithPendingRun(t *testing.T) {
	m := vfs.NewMem()
	g := newGateFS(m)
	s := runTestStore(t, g)
	set(t, s, "k", "v")
	g.arm()
	a := commitAsync(s, "a", 10)
	<-g.entered
	b := commitAsync(s, "b", 100)
	waitBuilt(t, s, 3)
	c := commitAsync(s, "c", 100)
	waitBuilt(t, s, 4)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	time.Sleep(10 * time.Millisecond) // let Close start (not needed for correctness)
	close(g.release)
	for name, ch := range map[string]chan error{"a": a, "b": b, "c": c} {
		if err := <-ch; err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	s = openTest(t, "/s", crashOptions(m))
	defer s.Close()
	if last, _ := s.LastCommitted(); last != 4 {
		t.Fatalf("reopened at %d, want 4", last)
	}
	if err := s.VerifyIntegrity(1, 4); err != nil {
		t.Fatal(err)
	}
}

// TestReviewReplicaMismatchMidRun: a replicated tx refused by the committer
// while earlier groups are pending fails alone; the pending groups commit.
func TestReviewReplicaMismatchMidRun(t *testing.T) {
	m := vfs.NewMem()
	g := newGateFS(m)
	s := runTestStore(t, g)
	defer s.Close()
	set(t, s, "k", "v")
	last, alh := s.LastCommitted()
	g.arm()
	a := commitAsync(s, "a", 10)
	<-g.entered // tx 2 written, not published
	b := commitAsync(s, "b", 100)
	waitBuilt(t, s, 3)
	// Passes ReplicateTx's checks against the published tx 1, then meets
	// tx 2 and 3 in the committer.
	hdr := &proof.TxHeader{ID: last + 1, PrevAlh: alh, Version: s.opts.HeaderVersion, NEntries: 1, BlTxID: last}
	rep := make(chan error, 1)
	go func() {
		_, err := s.ReplicateTx(context.Background(), &ExportedTx{Header: hdr, Entries: []Entry{{Key: []byte("r"), Value: []byte("v")}}})
		rep <- err
	}()
	// Refused at build time, while tx 2's fsync is still held.
	if err := <-rep; !errors.Is(err, ErrUnexpectedTxID) {
		t.Fatalf("replicated: %v", err)
	}
	c := commitAsync(s, "c", 100)
	waitBuilt(t, s, 4)
	close(g.release)
	for name, ch := range map[string]chan error{"a": a, "b": b, "c": c} {
		if err := <-ch; err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if last, _ := s.LastCommitted(); last != 4 {
		t.Fatalf("last %d, want 4", last)
	}
	if err := s.VerifyIntegrity(1, 4); err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyFiles(); err != nil {
		t.Fatal(err)
	}
}

// TestReviewFailedRunAcrossSegmentsKeepsSyncer: a run that wrote into two
// new segments and failed on a third is rolled back (the new segments are
// removed); a group written before it and still waiting for the syncer
// must then be fsynced and published normally, and the store must not be
// marked broken by an fsync of a removed segment.
func TestReviewFailedRunAcrossSegmentsKeepsSyncer(t *testing.T) {
	m := vfs.NewMem()
	g := newGateFS(m)
	f := vfs.NewFaulty(g)
	s := runTestStore(t, f) // 16 KiB segments
	set(t, s, "k", "v")
	g.arm()
	a := commitAsync(s, "a", 10)
	<-g.entered // tx 2 written; the syncer is held in its fsync
	// Tx 3 is over the run threshold: written at once (a segment of its
	// own) and queued for the syncer.
	x := commitAsync(s, "x", 70<<10)
	waitBuilt(t, s, 3)
	for s.written.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	// Txs 4-6 take a new segment each; the run is written when it passes
	// the threshold, and its third write fails.
	f.FailWrite(3, vfs.EIO, false, false)
	var fails []chan error
	for i := 0; i < 3; i++ {
		fails = append(fails, commitAsync(s, fmt.Sprint("b", i), 25<<10))
		if i < 2 { // the third one triggers the write (and its rollback)
			waitBuilt(t, s, uint64(4+i))
		}
	}
	for i, ch := range fails {
		if err := <-ch; !errors.Is(err, vfs.EIO) {
			t.Fatalf("run tx %d: %v, want EIO", i, err)
		}
	}
	f.Heal()
	close(g.release)
	if err := <-a; err != nil {
		t.Fatalf("tx 2: %v", err)
	}
	if err := <-x; err != nil {
		t.Fatalf("tx 3 (written and synced before the failed run): %v", err)
	}
	if h := set(t, s, "after", "v"); h.ID != 4 {
		t.Fatalf("next tx %d, want 4", h.ID)
	}
	if err := s.VerifyIntegrity(1, 4); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, "/s", crashOptions(m))
	defer s.Close()
	if last, _ := s.LastCommitted(); last != 4 {
		t.Fatalf("reopened at %d, want 4", last)
	}
	if err := s.VerifyIntegrity(1, 4); err != nil {
		t.Fatal(err)
	}
}

// TestReviewPreconditionSeesPendingRun: a tx with a precondition on a key
// written by a tx still in the pending run (not written, not published)
// is checked after that tx is published.
func TestReviewPreconditionSeesPendingRun(t *testing.T) {
	g := newGateFS(vfs.OS)
	o := testOptions(g)
	o.Synced = true
	o.MaxGroupBytes = 64
	dir := t.TempDir()
	s := openTest(t, dir, o)
	defer s.Close()
	set(t, s, "k", "v")
	g.arm()
	a := commitAsync(s, "a", 10)
	<-g.entered
	b := commitAsync(s, "b", 100) // built, pending behind the held fsync
	waitBuilt(t, s, 3)
	c := make(chan error, 1)
	go func() {
		_, err := s.Commit(context.Background(), TxRequest{
			Entries:       []Entry{{Key: []byte("c"), Value: []byte("v")}},
			Preconditions: []Precondition{{Kind: MustExist, Key: []byte("b")}},
		})
		c <- err
	}()
	close(g.release)
	for name, ch := range map[string]chan error{"a": a, "b": b, "c (precondition on b)": c} {
		if err := <-ch; err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/attestdb/attestdb/embedded/vfs"
	"github.com/attestdb/attestdb/proof"
)

// crashOptions use tiny segments and frequent checkpoints so that crashes
// land on rollovers and checkpoints too.
func crashOptions(fsys vfs.FS) *Options {
	o := testOptions(fsys)
	o.FileSize = 16 << 10
	o.CheckpointInterval = time.Millisecond
	o.DisableIndex = true
	return o
}

// TestCrashClones commits concurrently and takes crash clones of the
// in-memory file system at random moments (keeping random prefixes of the
// unsynced writes). Every clone must open, hold every tx acknowledged before
// the clone was taken with the same Alh, verify, and accept new commits.
func TestCrashClones(t *testing.T) {
	m := vfs.NewMem()
	s := openTest(t, "/s", crashOptions(m))
	var alhs sync.Map // id -> Alh of acknowledged txs
	var acked atomic.Uint64
	var wg sync.WaitGroup
	const writers, perWriter = 8, 150
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := 0; i < perWriter; i++ {
				req := TxRequest{}
				for e := 0; e < 1+rng.IntN(3); e++ {
					req.Entries = append(req.Entries, Entry{Key: []byte(fmt.Sprintf("k%d-%d-%d", w, i, e)), Value: make([]byte, rng.IntN(3000))})
				}
				h, err := s.Commit(context.Background(), req)
				if err != nil {
					t.Error(err)
					return
				}
				alh, _ := h.Alh()
				alhs.Store(h.ID, alh)
				for {
					cur := acked.Load()
					if h.ID <= cur || acked.CompareAndSwap(cur, h.ID) {
						break
					}
				}
			}
		}(w)
	}
	type clone struct {
		fs    *vfs.Mem
		acked uint64
	}
	var clones []clone
	rng := rand.New(rand.NewPCG(42, 42))
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
loop:
	for {
		select {
		case <-done:
			break loop
		case <-time.After(time.Duration(rng.IntN(3000)) * time.Microsecond):
		}
		if len(clones) >= 30 {
			continue
		}
		// Every tx acknowledged so far was synced before the clone.
		a := acked.Load()
		var r *rand.Rand
		if len(clones)%4 != 0 {
			r = rng
		}
		clones = append(clones, clone{m.CrashClone(r), a})
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	clones = append(clones, clone{m.CrashClone(rng), acked.Load()})
	if len(clones) < 5 {
		t.Fatalf("only %d clones", len(clones))
	}
	for i, c := range clones {
		// Each acknowledged id ≤ c.acked must be there. Ids are not
		// acknowledged in order, but an id ≤ the max acked was written
		// before it, so it is durable too (one log, written in order).
		cs, err := Open("/s", crashOptions(c.fs))
		if err != nil {
			t.Fatalf("clone %d: open: %v", i, err)
		}
		last, _ := cs.LastCommitted()
		if last < c.acked {
			t.Fatalf("clone %d: recovered %d txs, %d were acknowledged", i, last, c.acked)
		}
		for id := uint64(1); id <= c.acked; id++ {
			want, ok := alhs.Load(id)
			if !ok {
				continue // in flight when acked was read: written before it, so present, but its Alh is unknown here
			}
			if got, err := cs.Alh(id); err != nil || got != want.(proof.Hash) {
				t.Fatalf("clone %d: tx %d alh %x (%v), want %x", i, id, got, err, want)
			}
		}
		if last > 0 {
			if err := cs.VerifyIntegrity(1, last); err != nil {
				t.Fatalf("clone %d: %v", i, err)
			}
		}
		set(t, cs, "after-crash", "v")
		if err := cs.Close(); err != nil {
			t.Fatalf("clone %d: close: %v", i, err)
		}
		cs, err = Open("/s", crashOptions(c.fs))
		if err != nil {
			t.Fatalf("clone %d: reopen: %v", i, err)
		}
		if l2, _ := cs.LastCommitted(); l2 != last+1 {
			t.Fatalf("clone %d: reopen at %d, want %d", i, l2, last+1)
		}
		if err := cs.VerifyIntegrity(1, last+1); err != nil {
			t.Fatalf("clone %d: after reopen: %v", i, err)
		}
		cs.Close()
	}
}

// TestTornTailEveryByte cuts the last record of a log at every byte and
// checks recovery drops exactly that tx.
func TestTornTailEveryByte(t *testing.T) {
	m := vfs.NewMem()
	o := crashOptions(m)
	o.CheckpointInterval = time.Hour
	s := openTest(t, "/s", o)
	for i := 0; i < 5; i++ {
		set(t, s, fmt.Sprintf("k%d", i), "some value")
	}
	e4, _ := s.txi.read(4)
	e5, _ := s.txi.read(5)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	seg, off := splitPos(e5.Pos)
	for cut := int64(0); cut < int64(e5.Len); cut++ {
		c := m.CrashClone(nil)
		f, err := c.OpenFile(segName("/s/log", seg), 2, 0)
		if err != nil {
			t.Fatal(err)
		}
		// Zero the record from cut on, as if only cut bytes were written.
		f.WriteAt(make([]byte, int64(e5.Len)-cut), off+cut)
		f.Close()
		// Forget the checkpoint so recovery must scan the tail.
		c.Remove("/s/CHECKPOINT")
		cs, err := Open("/s", crashOptions(c))
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		if last, alh := cs.LastCommitted(); last != 4 || alh != e4.Alh {
			t.Fatalf("cut %d: recovered to %d", cut, last)
		}
		set(t, cs, "new", "v")
		if err := cs.VerifyIntegrity(1, 5); err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		cs.Close()
	}
}

// TestFaultInjection fails writes and syncs of the commit path.
func TestFaultInjection(t *testing.T) {
	cases := []struct {
		name  string
		apply func(f *vfs.Faulty)
		want  error
		// broken: later commits fail until reopen (fsync failures)
		broken bool
	}{
		{"log write EIO", func(f *vfs.Faulty) { f.FailWrite(1, vfs.EIO, false, false) }, vfs.EIO, false},
		{"log write ENOSPC short", func(f *vfs.Faulty) { f.FailWrite(1, vfs.ENOSPC, true, false) }, vfs.ENOSPC, false},
		{"sync EIO", func(f *vfs.Faulty) { f.FailSync(1, vfs.EIO, false) }, vfs.EIO, true},
		{"sticky ENOSPC", func(f *vfs.Faulty) { f.FailWrite(1, vfs.ENOSPC, true, true) }, vfs.ENOSPC, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := vfs.NewMem()
			f := vfs.NewFaulty(m)
			o := crashOptions(f)
			o.CheckpointInterval = time.Hour // keep background syncs out of the count
			s := openTest(t, "/s", o)
			for i := 0; i < 3; i++ {
				set(t, s, fmt.Sprintf("k%d", i), "v")
			}
			tc.apply(f)
			// Larger than the next commit, so its bytes would outlast it.
			_, err := s.Commit(context.Background(), TxRequest{Entries: []Entry{{Key: []byte("x"), Value: bytes.Repeat([]byte("v"), 3000)}}})
			if !errors.Is(err, tc.want) {
				t.Fatalf("commit: %v, want %v", err, tc.want)
			}
			if last, _ := s.LastCommitted(); last != 3 {
				t.Fatalf("a failed commit was published: last %d", last)
			}
			f.Heal()
			_, err = s.Commit(context.Background(), TxRequest{Entries: []Entry{{Key: []byte("y"), Value: []byte("v")}}})
			if tc.broken {
				if !errors.Is(err, ErrIllegalState) {
					t.Fatalf("commit after failed sync: %v", err)
				}
			} else if err != nil {
				t.Fatalf("commit after a failed write: %v", err)
			}
			if err := s.VerifyIntegrity(1, 3); err != nil {
				t.Fatal(err)
			}
			if !tc.broken && tc.name != "sticky ENOSPC" {
				// The failed run's bytes were zeroed, so the tail past the
				// next record is zeros again (a sticky fault also fails
				// the zeroing: best effort).
				if err := s.VerifyFiles(); err != nil {
					t.Fatalf("after a failed write and a good commit: %v", err)
				}
			}
			s.Close()
			s = openTest(t, "/s", crashOptions(m))
			defer s.Close()
			last, _ := s.LastCommitted()
			if last < 3 {
				t.Fatalf("reopened at %d", last)
			}
			if err := s.VerifyIntegrity(1, last); err != nil {
				t.Fatal(err)
			}
			set(t, s, "z", "v")
		})
	}
}

// TestCheckpointFailure: the derived files failing to write or sync costs
// only recovery time, never commits or consistency.
func TestCheckpointFailure(t *testing.T) {
	m := vfs.NewMem()
	f := vfs.NewFaulty(m)
	o := crashOptions(f)
	o.CheckpointInterval = time.Hour
	s := openTest(t, "/s", o)
	for i := 0; i < 5; i++ {
		set(t, s, fmt.Sprintf("k%d", i), "v")
	}
	f.FailWrite(1, vfs.EIO, true, true)
	if err := s.checkpoint(); !errors.Is(err, vfs.EIO) {
		t.Fatalf("checkpoint: %v", err)
	}
	f.Heal()
	f.FailSync(1, vfs.EIO, false)
	if err := s.checkpoint(); !errors.Is(err, vfs.EIO) {
		t.Fatalf("checkpoint sync: %v", err)
	}
	f.Heal()
	set(t, s, "after", "v")
	if err := s.VerifyIntegrity(1, 6); err != nil {
		t.Fatal(err)
	}
	crash := m.CrashClone(nil)
	s.Close()
	for _, fsys := range []vfs.FS{m, crash} {
		s = openTest(t, "/s", crashOptions(fsys))
		if last, _ := s.LastCommitted(); last != 6 {
			t.Fatalf("reopened at %d", last)
		}
		if err := s.VerifyIntegrity(1, 6); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
}

// TestRecoveryReadError: an I/O error while recovery reads the log must
// fail Open, not be taken for the end of the log (which would drop
// acknowledged txs and let new commits overwrite them).
func TestRecoveryReadError(t *testing.T) {
	for _, withCheckpoint := range []bool{true, false} {
		t.Run(fmt.Sprint("checkpoint=", withCheckpoint), func(t *testing.T) {
			m := vfs.NewMem()
			s := openTest(t, "/s", crashOptions(m))
			for i := 0; i < 5; i++ {
				set(t, s, fmt.Sprintf("k%d", i), "v")
			}
			_, alh := s.LastCommitted()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if !withCheckpoint {
				m.Remove("/s/CHECKPOINT")
			}
			f := vfs.NewFaulty(m)
			f.FailReads(".seg", vfs.EIO)
			if cs, err := Open("/s", crashOptions(f)); !errors.Is(err, vfs.EIO) {
				if err == nil {
					last, _ := cs.LastCommitted()
					cs.Close()
					t.Fatalf("open with an unreadable log succeeded at tx %d", last)
				}
				t.Fatalf("open with an unreadable log: %v, want EIO", err)
			}
			cs := openTest(t, "/s", crashOptions(m))
			defer cs.Close()
			if last, got := cs.LastCommitted(); last != 5 || got != alh {
				t.Fatalf("after the read error: last %d", last)
			}
			if err := cs.VerifyIntegrity(1, 5); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestFaultEveryOperation fails, in turn, each write and each sync of a run
// of commits that crosses segment rollovers and checkpoints. The failing
// commit gets the injected error, later ones either succeed or report the
// store broken, and every acknowledged tx survives both a clean reopen and a
// crash right after the fault.
func TestFaultEveryOperation(t *testing.T) {
	for _, kind := range []string{"write", "sync"} {
		for nth := int64(1); nth <= 24; nth++ {
			t.Run(fmt.Sprintf("%s-%d", kind, nth), func(t *testing.T) {
				m := vfs.NewMem()
				f := vfs.NewFaulty(m)
				o := crashOptions(f)
				o.CheckpointInterval = time.Hour
				s := openTest(t, "/s", o)
				if kind == "write" {
					f.FailWrite(nth, vfs.ENOSPC, true, false)
				} else {
					f.FailSync(nth, vfs.EIO, false)
				}
				alhs := map[uint64]proof.Hash{}
				failed := false
				for i := 0; i < 16; i++ {
					h, err := s.Commit(context.Background(), TxRequest{Entries: []Entry{{Key: []byte(fmt.Sprintf("k%d", i)), Value: make([]byte, 3000)}}})
					if err != nil {
						if !errors.Is(err, vfs.ENOSPC) && !errors.Is(err, vfs.EIO) && !errors.Is(err, ErrIllegalState) {
							t.Fatalf("commit %d: %v", i, err)
						}
						failed = true
						continue
					}
					alh, _ := h.Alh()
					alhs[h.ID] = alh
					if i == 8 {
						s.checkpoint() // may fail too: derived data only
					}
				}
				if !failed {
					t.Skip("fewer operations than nth")
				}
				crash := m.CrashClone(nil)
				f.Heal()
				s.Close()
				for name, fsys := range map[string]vfs.FS{"reopen": m, "crash": crash} {
					cs, err := Open("/s", crashOptions(fsys))
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					last, _ := cs.LastCommitted()
					for id, want := range alhs {
						if got, err := cs.Alh(id); err != nil || got != want {
							t.Fatalf("%s: acknowledged tx %d lost (last %d): %v", name, id, last, err)
						}
					}
					if last > 0 {
						if err := cs.VerifyIntegrity(1, last); err != nil {
							t.Fatalf("%s: %v", name, err)
						}
					}
					set(t, cs, "after", "v")
					cs.Close()
				}
			})
		}
	}
}

// TestDerivedFilesDamaged: the tx index and tree node files are derived
// from the log; whatever state they are in (longer, shorter, missing,
// garbage, a checkpoint ahead of them), reopening recovers every tx and
// the same chain. A damaged FORMAT file is refused, never rewritten.
func TestDerivedFilesDamaged(t *testing.T) {
	m := vfs.NewMem()
	o := crashOptions(m)
	s := openTest(t, "/s", o)
	for i := 0; i < 40; i++ {
		set(t, s, fmt.Sprintf("k%d", i), "a value long enough to spread over segments ..........")
	}
	last, alh := s.LastCommitted()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	size := func(fsys *vfs.Mem, name string) int64 {
		fi, err := fsys.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size
	}
	resize := func(name string, delta int64, fill byte) func(*vfs.Mem) {
		return func(c *vfs.Mem) {
			f, err := c.OpenFile(name, 2, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			n := size(c, name)
			if delta < 0 {
				f.Truncate(max(0, n+delta))
				return
			}
			f.WriteAt(bytes.Repeat([]byte{fill}, int(delta)), n)
		}
	}
	for _, tc := range []struct {
		name   string
		damage func(*vfs.Mem)
	}{
		{"txindex shorter", resize("/s/txindex", -3*txEntryLen-5, 0)},
		{"txindex longer (zeros)", resize("/s/txindex", 5*txEntryLen, 0)},
		{"txindex longer (garbage)", resize("/s/txindex", 5*txEntryLen+3, 0xA5)},
		{"aht shorter", resize("/s/aht", -100, 0)},
		{"aht longer", resize("/s/aht", 64*7, 0x5A)},
		{"txindex missing", func(c *vfs.Mem) { c.Remove("/s/txindex") }},
		{"aht missing", func(c *vfs.Mem) { c.Remove("/s/aht") }},
		{"both missing", func(c *vfs.Mem) { c.Remove("/s/aht"); c.Remove("/s/txindex") }},
		{"checkpoint ahead", func(c *vfs.Mem) {
			vfs.WriteFileAtomic(c, "/s", "/s/CHECKPOINT", encodeCheckpoint(last+100))
		}},
		{"checkpoint garbage", func(c *vfs.Mem) {
			vfs.WriteFileAtomic(c, "/s", "/s/CHECKPOINT", []byte("garbage!"))
		}},
		{"txindex entry flipped", func(c *vfs.Mem) {
			f, _ := c.OpenFile("/s/txindex", 2, 0)
			f.WriteAt([]byte{0xFF}, int64(last-1)*txEntryLen+3)
			f.Close()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := m.CrashClone(nil)
			tc.damage(c)
			cs, err := Open("/s", crashOptions(c))
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			defer cs.Close()
			if l, a := cs.LastCommitted(); l != last || a != alh {
				t.Fatalf("recovered to %d", l)
			}
			if err := cs.VerifyIntegrity(1, last); err != nil {
				t.Fatal(err)
			}
			if _, err := cs.TreeInclusionProof(1, last); err != nil {
				t.Fatal(err)
			}
			set(t, cs, "after", "v")
		})
	}
	for name, b := range map[string][]byte{"empty": {}, "truncated": []byte("A")} {
		t.Run("FORMAT "+name, func(t *testing.T) {
			c := m.CrashClone(nil)
			f, _ := c.OpenFile("/s/FORMAT", 2, 0)
			f.Truncate(int64(len(b)))
			f.WriteAt(b, 0)
			f.Close()
			if cs, err := Open("/s", crashOptions(c)); err == nil {
				cs.Close()
				t.Fatal("opened with a damaged FORMAT file")
			}
		})
	}
}

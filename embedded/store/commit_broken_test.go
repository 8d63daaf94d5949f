package store

import (
	"errors"
	"fmt"
	"testing"

	"github.com/attestdb/attestdb/embedded/vfs"
)

// TestRunBuiltBeforeFailedSyncIsNotWritten: a run built while the syncer's
// fsync was running, which then fails, is refused without touching the log
// (the store is broken: nothing more is written until it is reopened), so
// after a reopen only the txs that were written before the failure can be
// there, never the refused run.
func TestRunBuiltBeforeFailedSyncIsNotWritten(t *testing.T) {
	m := vfs.NewMem()
	f := vfs.NewFaulty(m)
	g := newGateFS(f)
	s := runTestStore(t, g)
	for i := 0; i < 3; i++ {
		set(t, s, fmt.Sprintf("k%d", i), "v")
	}
	g.arm()
	a := commitAsync(s, "a", 10)
	<-g.entered // tx 4 written, its fsync held
	b := commitAsync(s, "b", 3000)
	waitBuilt(t, s, 5) // tx 5 built into the pending run, not written
	f.FailSync(1, vfs.EIO, false)
	close(g.release)
	if err := <-a; !errors.Is(err, vfs.EIO) {
		t.Fatalf("tx 4: %v, want EIO", err)
	}
	if err := <-b; !errors.Is(err, ErrIllegalState) {
		t.Fatalf("tx 5: %v, want the store-broken error", err)
	}
	s.Close()
	f.Heal()
	s = openTest(t, "/s", crashOptions(m))
	defer s.Close()
	last, _ := s.LastCommitted()
	if last > 4 {
		t.Fatalf("reopened at tx %d: the run refused after the failed fsync reached the log", last)
	}
	if err := s.VerifyIntegrity(1, last); err != nil {
		t.Fatal(err)
	}
}

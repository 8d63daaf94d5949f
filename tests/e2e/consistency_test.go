package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/attestdb/attestdb/api/schema"
)

// The consistency check passes on intact data and reports a changed byte
// in a database's log.
func TestConsistencyCheckDetectsTampering(t *testing.T) {
	e := startServer(t, nil)
	ctx := e.session(t, "immudb", "immudb", "defaultdb")
	for i := 0; i < 5; i++ {
		if _, err := e.cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{kv(fmt.Sprintf("key%d", i), "some value worth keeping")}}); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.srv.CheckConsistency(callCtx(t)); n != 0 {
		t.Fatalf("%d databases failed on intact data", n)
	}
	segs, err := filepath.Glob(filepath.Join(e.dir, "defaultdb", "data", "log", "*"))
	if err != nil || len(segs) == 0 {
		t.Fatalf("no log segment found: %v", err)
	}
	f, err := os.OpenFile(segs[0], os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Somewhere inside the records of the first txs.
	var b [1]byte
	const off = 100
	if _, err := f.ReadAt(b[:], off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x01
	if _, err := f.WriteAt(b[:], off); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if n := e.srv.CheckConsistency(callCtx(t)); n != 1 {
		t.Fatalf("%d databases failed after a byte of defaultdb's log changed, want 1", n)
	}
	if e.srv.ConsistencyFailures() != 1 {
		t.Fatalf("failures = %d", e.srv.ConsistencyFailures())
	}
}

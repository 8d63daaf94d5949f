package store

import (
	"fmt"
	"testing"

	"github.com/attestdb/attestdb/embedded/vfs"
)

// A value length read from a damaged index payload must be refused before
// a buffer of that length is allocated: lengths that run past the segment
// are corruption, not a reason to allocate terabytes.
func TestReadValueAtBoundsLength(t *testing.T) {
	s := openTest(t, "/s", testOptions(vfs.NewMem()))
	set(t, s, "k", fmt.Sprintf("%0100d", 7))
	e, err := s.txi.read(1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadValueAt(e.Pos, int(e.Len)); err != nil {
		t.Fatalf("in-range read: %v", err)
	}
	for _, n := range []int{-1, 1 << 40, int(s.opts.FileSize) + 1} {
		if _, err := s.ReadValueAt(e.Pos, n); !errorsIs(err, ErrCorruptedData) {
			t.Errorf("length %d: err = %v, want ErrCorruptedData", n, err)
		}
	}
}

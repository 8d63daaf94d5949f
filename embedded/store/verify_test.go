package store

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/attestdb/attestdb/embedded/vfs"
	"github.com/attestdb/attestdb/proof"
)

// TestVerifyIntegrityCatchesEveryByte flips each byte of each data file in
// turn and expects VerifyIntegrity to fail.
func TestVerifyIntegrityCatchesEveryByte(t *testing.T) {
	m := vfs.NewMem()
	o := testOptions(m)
	o.DisableIndex = true
	s := openTest(t, "/s", o)
	for i := 0; i < 20; i++ {
		set(t, s, fmt.Sprintf("key-%d", i), fmt.Sprintf("value-%d", i), fmt.Sprintf("other-%d", i), "x")
	}
	last, _ := s.LastCommitted()
	end := s.cm.end
	s.Close()
	s = openTest(t, "/s", o)
	defer s.Close()
	if err := s.VerifyIntegrity(1, last); err != nil {
		t.Fatal(err)
	}
	files := map[string]int64{"/s/log/00000000.seg": end, "/s/txindex": int64(last) * txEntryLen, "/s/aht": int64(nodeCount(last)) * proof.HashSize}
	for name, size := range files {
		f, err := m.OpenFile(name, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		for off := int64(0); off < size; off++ {
			var b [1]byte
			f.ReadAt(b[:], off)
			f.WriteAt([]byte{b[0] ^ 0x01}, off)
			err := s.VerifyIntegrity(1, last)
			f.WriteAt(b[:], off)
			if !errors.Is(err, ErrCorruptedData) {
				t.Fatalf("%s byte %d changed: VerifyIntegrity = %v", name, off, err)
			}
		}
		f.Close()
	}
	if err := s.VerifyIntegrity(1, last); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRejectsUnknownFormat(t *testing.T) {
	m := vfs.NewMem()
	o := testOptions(m)
	o.DisableIndex = true
	s := openTest(t, "/s", o)
	s.Close()
	if err := vfs.WriteFileAtomic(m, "/s", "/s/FORMAT", encodeFormat(formatInfo{Version: FormatVersion + 1, FileSize: 1 << 20})); err != nil {
		t.Fatal(err)
	}
	if _, err := Open("/s", o); !errors.Is(err, ErrUnsupportedFormat) {
		t.Fatalf("open: %v", err)
	}
}

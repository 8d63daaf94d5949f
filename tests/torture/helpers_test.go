package torture

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestKind(t *testing.T) {
	for _, tc := range []struct {
		rel     string
		off     int64
		dataEnd int64
		want    string
	}{
		{"immudb.identifier", 0, 0, KindIdentity},
		{"defaultdb/settings.json", 0, 0, KindSettings},
		{"defaultdb/data/log/00000000.seg", 10, 100, KindLog},
		{"defaultdb/data/log/00000000.seg", 100, 100, KindLogTail},
		{"defaultdb/data/txindex", 0, 0, KindTxIndex},
		{"defaultdb/data/aht", 0, 0, KindTree},
		{"systemdb/data/CHECKPOINT", 0, 0, KindCheckpoint},
		{"systemdb/data/FORMAT", 0, 0, KindFormat},
		{"defaultdb/data/index/000004.sst", 0, 0, KindPebbleSST},
		{"defaultdb/data/index/000002.log", 0, 0, KindPebbleWAL},
		{"defaultdb/data/index/MANIFEST-000001", 0, 0, KindPebbleMan},
		{"defaultdb/data/index/OPTIONS-000003", 0, 0, KindPebbleOpts},
		{"defaultdb/data/index/attestdb-keys.filter", 0, 0, KindKeyFilter},
		{"defaultdb/data/index/LOCK", 0, 0, KindPebbleMisc},
		{"README", 0, 0, KindOther},
	} {
		if got := Kind(tc.rel, tc.off, tc.dataEnd); got != tc.want {
			t.Errorf("Kind(%q, %d, %d) = %q, want %q", tc.rel, tc.off, tc.dataEnd, got, tc.want)
		}
	}
}

func TestEngineDir(t *testing.T) {
	for rel, want := range map[string]string{
		"defaultdb/data/log/00000000.seg": "defaultdb/data",
		"systemdb/data/aht":               "systemdb/data",
		"defaultdb/settings.json":         "",
		"immudb.identifier":               "",
		"a/b/data/x":                      "",
	} {
		if got := EngineDir(rel); got != want {
			t.Errorf("EngineDir(%q) = %q, want %q", rel, got, want)
		}
	}
}

// A snapshot materializes to the same bytes, sparse tails included, and
// FlipBit changes exactly one bit.
func TestSnapshotRoundTripAndFlip(t *testing.T) {
	src := t.TempDir()
	big := make([]byte, 3*chunkSize+100)
	copy(big[chunkSize+7:], "written")
	files := map[string][]byte{"a/big": big, "small": []byte("xyz"), "empty": nil}
	for rel, b := range files {
		p := filepath.Join(src, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	snap, err := TakeSnapshot(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Files) != 3 {
		t.Fatalf("%d files, want 3", len(snap.Files))
	}
	for _, f := range snap.Files {
		if f.Path == "a/big" {
			if f.DataEnd != chunkSize+14 || len(f.Chunks) != 1 {
				t.Errorf("big: DataEnd %d, %d chunks", f.DataEnd, len(f.Chunks))
			}
			if f.ByteAt(chunkSize+7) != 'w' || f.ByteAt(5) != 0 {
				t.Error("ByteAt reads the wrong bytes")
			}
		}
	}
	dst := filepath.Join(t.TempDir(), "copy")
	if err := snap.Materialize(dst); err != nil {
		t.Fatal(err)
	}
	for rel, want := range files {
		got, err := os.ReadFile(filepath.Join(dst, rel))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: materialized %d bytes (err %v), want %d", rel, len(got), err, len(want))
		}
	}
	if err := FlipBit(dst, "small", 1, 3); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dst, "small"))
	if want := []byte{'x', 'y' ^ 8, 'z'}; !bytes.Equal(got, want) {
		t.Errorf("after flip: %q, want %q", got, want)
	}
	if err := FlipBit(dst, "small", 3, 0); err == nil {
		t.Error("flip past the end succeeded")
	}
	if err := snap.Materialize(dst); err == nil {
		t.Error("materialize over an existing tree succeeded")
	}
}

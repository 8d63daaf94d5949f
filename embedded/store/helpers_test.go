package store

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/attestdb/attestdb/embedded/vfs"
	"github.com/attestdb/attestdb/proof"
)

type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == nil {
		*h = nil
		return nil
	}
	d, err := hex.DecodeString(*s)
	*h = d
	return err
}

type hexHash proof.Hash

func (h *hexHash) UnmarshalJSON(b []byte) error {
	var x hexBytes
	if err := json.Unmarshal(b, &x); err != nil {
		return err
	}
	copy(h[:], x)
	return nil
}

func loadJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "vectors", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

type jsonHeader struct {
	ID       uint64  `json:"id"`
	PrevAlh  hexHash `json:"prevAlh"`
	Ts       int64   `json:"ts"`
	Version  int     `json:"version"`
	Metadata *struct {
		TruncatedTxID uint64   `json:"truncatedTxID"`
		Extra         hexBytes `json:"extra"`
	} `json:"metadata"`
	NEntries int     `json:"nentries"`
	Eh       hexHash `json:"eh"`
	EH       hexHash `json:"eH"`
	BlTxID   uint64  `json:"blTxId"`
	BlRoot   hexHash `json:"blRoot"`
}

func (j *jsonHeader) header() *proof.TxHeader {
	if j == nil {
		return nil
	}
	h := &proof.TxHeader{ID: j.ID, PrevAlh: proof.Hash(j.PrevAlh), Ts: j.Ts, Version: j.Version,
		NEntries: j.NEntries, Eh: proof.Hash(j.Eh), BlTxID: j.BlTxID, BlRoot: proof.Hash(j.BlRoot)}
	if h.Eh == (proof.Hash{}) {
		h.Eh = proof.Hash(j.EH)
	}
	if j.Metadata != nil {
		h.Metadata = proof.TxMetadata{TruncatedUptoTx: j.Metadata.TruncatedTxID}
		if len(j.Metadata.Extra) > 0 {
			h.Metadata.Extra = j.Metadata.Extra
		}
	}
	return h
}

type vecEntry struct {
	Key     hexBytes `json:"key"`
	Md      hexBytes `json:"kvMetadataBytes"`
	Value   hexBytes `json:"value"`
	HValue  hexHash  `json:"hValue"`
	VLen    int      `json:"vLen"`
	Digest  hexHash  `json:"digest"`
	Index   int      `json:"index"`
	IsValue bool
}

type vecTx struct {
	ID        uint64     `json:"id"`
	Header    jsonHeader `json:"header"`
	Alh       hexHash    `json:"alh"`
	InnerHash hexHash    `json:"innerHash"`
	Entries   []vecEntry `json:"entries"`
}

func loadChain(t testing.TB) []vecTx {
	var f struct {
		Txs []vecTx `json:"txs"`
	}
	loadJSON(t, "tx_chain.json", &f)
	if len(f.Txs) != 23 {
		t.Fatalf("tx_chain.json has %d txs", len(f.Txs))
	}
	return f.Txs
}

// testOptions are small-segment options for tests on fsys.
func testOptions(fsys vfs.FS) *Options {
	o := DefaultOptions()
	o.FS = fsys
	o.FileSize = 1 << 20
	return &o
}

// clockAt is a settable clock.
type clockAt struct{ ts int64 }

func (c *clockAt) now() int64 { return c.ts }

func openTest(t testing.TB, dir string, o *Options) *Store {
	t.Helper()
	if o != nil && o.IndexDir == "" && !o.DisableIndex && !onRealDisk(o.FS) {
		o.IndexDir = memIndexDir(t, o.FS)
	}
	s, err := Open(dir, o)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// onRealDisk tells whether fsys stores its files on the real disk.
func onRealDisk(fsys vfs.FS) bool {
	switch f := fsys.(type) {
	case nil:
		return true
	case *vfs.Faulty:
		return onRealDisk(f.FS)
	default:
		return fsys == vfs.OS
	}
}

// memIndexDirs holds, for each in-memory file system a test opens a store
// on, the real directory of that store's key index (Pebble writes to the
// real disk): the same one for every reopening within the test, and never
// a path like "/s/index" shared by every test and test process.
var memIndexDirs sync.Map // vfs.FS -> string

func memIndexDir(t testing.TB, fsys vfs.FS) string {
	if d, ok := memIndexDirs.Load(fsys); ok {
		return d.(string)
	}
	d := filepath.Join(t.TempDir(), "index")
	t.Cleanup(func() { memIndexDirs.Delete(fsys) })
	actual, _ := memIndexDirs.LoadOrStore(fsys, d)
	return actual.(string)
}

// bounded runs f and fails the test if it has not returned within d: a
// hang becomes a failure that names what hung.
func bounded(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s: still running after %v", what, d)
	}
}

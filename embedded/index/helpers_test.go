package index

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

type kv struct{ k, v string }

func openTest(t testing.TB, dir string) *Index {
	t.Helper()
	ix, err := Open(Options{Dir: dir, MemTableSize: testMemTable, CacheSize: testCache,
		Compress: os.Getenv("IX_COMPRESS") != ""})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return ix
}

// applyTxs applies txs (one batch) starting at IndexedUpTo()+1.
func applyTxs(t testing.TB, ix *Index, txs ...[]kv) {
	t.Helper()
	b := ix.NewBatch()
	defer b.Close()
	tx := ix.IndexedUpTo()
	for _, entries := range txs {
		tx++
		b.Begin(tx)
		for _, e := range entries {
			b.Add([]byte(e.k), []byte(e.v))
		}
	}
	if err := ix.Apply(b); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

// model is the reference: key -> versions, in revision order.
type model struct {
	versions map[string][]Version
	last     uint64
}

func newModel() *model { return &model{versions: map[string][]Version{}} }

func (m *model) add(tx uint64, key, payload string) {
	vs := m.versions[key]
	m.versions[key] = append(vs, Version{TxID: tx, Revision: uint64(len(vs) + 1), Payload: []byte(payload)})
}

// visible returns the versions of key with TxID <= atTx (all if atTx is 0).
func (m *model) visible(key string, atTx uint64) []Version {
	vs := m.versions[key]
	if atTx == 0 {
		return vs
	}
	n := 0
	for n < len(vs) && vs[n].TxID <= atTx {
		n++
	}
	return vs[:n]
}

func sameVersion(a, b Version) bool {
	return a.TxID == b.TxID && a.Revision == b.Revision && string(a.Payload) == string(b.Payload)
}

func fmtVersion(v Version) string {
	return fmt.Sprintf("{tx %d rev %d %q}", v.TxID, v.Revision, v.Payload)
}

func fmtVersions(vs []Version) string {
	s := "["
	for i, v := range vs {
		if i > 0 {
			s += " "
		}
		s += fmtVersion(v)
	}
	return s + "]"
}

func errIs(err, want error) bool {
	if want == nil {
		return err == nil
	}
	return errors.Is(err, want)
}

// collect runs a scan to the end.
func collect(t testing.TB, ix *Index, o ScanOptions) ([]string, []Version) {
	t.Helper()
	it, err := ix.Scan(o)
	if err != nil {
		t.Fatalf("Scan(%+v): %v", o, err)
	}
	defer it.Close()
	var keys []string
	var vers []Version
	for it.Next() {
		keys = append(keys, string(it.Key()))
		v := it.Version()
		v.Payload = append([]byte(nil), v.Payload...)
		vers = append(vers, v)
	}
	if err := it.Err(); err != nil {
		t.Fatalf("Scan(%+v): %v", o, err)
	}
	return keys, vers
}

func osMkdirTemp() (string, error) { return os.MkdirTemp("", "indexbench") }

// IX_CACHE_MB / IX_MEMTABLE_MB override the defaults in tests and benchmarks.
var testCache = func() int64 {
	n, _ := strconv.Atoi(os.Getenv("IX_CACHE_MB"))
	return int64(n) << 20
}()

var testMemTable uint64 = func() uint64 {
	if s := os.Getenv("IX_MEMTABLE_MB"); s != "" {
		n, _ := strconv.Atoi(s)
		return uint64(n) << 20
	}
	return 0
}()

// scan is the model of Index.Scan.
func (m *model) scan(o ScanOptions) ([]string, []Version) {
	var keys []string
	for k := range m.versions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if o.Desc {
		slices.Reverse(keys)
	}
	var outK []string
	var outV []Version
	for _, k := range keys {
		if !strings.HasPrefix(k, string(o.Prefix)) {
			continue
		}
		if len(o.SeekKey) > 0 {
			c := strings.Compare(k, string(o.SeekKey))
			if o.Desc {
				c = -c
			}
			if c < 0 || (c == 0 && !o.InclusiveSeek) {
				continue
			}
		}
		if len(o.EndKey) > 0 {
			c := strings.Compare(k, string(o.EndKey))
			if o.Desc {
				c = -c
			}
			if c > 0 || (c == 0 && !o.InclusiveEnd) {
				continue
			}
		}
		vs := m.visible(k, o.AtTx)
		if len(vs) == 0 {
			continue
		}
		outK = append(outK, k)
		outV = append(outV, vs[len(vs)-1])
	}
	return outK, outV
}

func (m *model) count(prefix string, atTx uint64) uint64 {
	var n uint64
	for k := range m.versions {
		if strings.HasPrefix(k, prefix) && len(m.visible(k, atTx)) > 0 {
			n++
		}
	}
	return n
}

func removeFilterFile(dir string) error { return os.Remove(dir + "/" + filterFileName) }

// reopenHeld closes ix, removes its saved key filter and opens it again
// with the filter's background rebuild held at testBuildGate: the caller
// closes the gate to let the scan run; the gate is reset when the test ends.
func reopenHeld(t *testing.T, ix *Index, dir string) *Index {
	t.Helper()
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if err := removeFilterFile(dir); err != nil {
		t.Fatal(err)
	}
	testBuildGate = make(chan struct{})
	t.Cleanup(func() { testBuildGate = nil })
	return openTest(t, dir)
}

package index

import (
	"fmt"
	"slices"
	"testing"
)

func TestScanCases(t *testing.T) {
	ix := openFixture(t)
	all := []string{"\x00", "a", "a\x00", "ab", "b", "c", "\xff"}
	rev := slices.Clone(all)
	slices.Reverse(rev)
	tests := []struct {
		o    ScanOptions
		want []string
	}{
		{ScanOptions{}, all},
		{ScanOptions{Desc: true}, rev},
		{ScanOptions{Prefix: []byte("a")}, []string{"a", "a\x00", "ab"}},
		{ScanOptions{Prefix: []byte("a"), Desc: true}, []string{"ab", "a\x00", "a"}},
		{ScanOptions{Prefix: []byte("a\x00")}, []string{"a\x00"}},
		{ScanOptions{Prefix: []byte("\xff")}, []string{"\xff"}},
		{ScanOptions{SeekKey: []byte("a")}, []string{"a\x00", "ab", "b", "c", "\xff"}},
		{ScanOptions{SeekKey: []byte("a"), InclusiveSeek: true}, []string{"a", "a\x00", "ab", "b", "c", "\xff"}},
		{ScanOptions{SeekKey: []byte("a"), Desc: true}, []string{"\x00"}},
		{ScanOptions{SeekKey: []byte("a"), InclusiveSeek: true, Desc: true}, []string{"a", "\x00"}},
		{ScanOptions{EndKey: []byte("ab")}, []string{"\x00", "a", "a\x00"}},
		{ScanOptions{EndKey: []byte("ab"), InclusiveEnd: true}, []string{"\x00", "a", "a\x00", "ab"}},
		{ScanOptions{EndKey: []byte("ab"), Desc: true}, []string{"\xff", "c", "b"}},
		{ScanOptions{EndKey: []byte("ab"), InclusiveEnd: true, Desc: true}, []string{"\xff", "c", "b", "ab"}},
		{ScanOptions{SeekKey: []byte("a0"), EndKey: []byte("c")}, []string{"ab", "b"}},
		{ScanOptions{SeekKey: []byte("c"), EndKey: []byte("a"), Desc: true, InclusiveSeek: true}, []string{"c", "b", "ab", "a\x00"}},
		{ScanOptions{SeekKey: []byte("c"), EndKey: []byte("a")}, nil},
		{ScanOptions{SeekKey: []byte("b"), EndKey: []byte("b"), InclusiveSeek: true, InclusiveEnd: true}, []string{"b"}},
		{ScanOptions{SeekKey: []byte("b"), EndKey: []byte("b"), InclusiveSeek: true}, nil},
		{ScanOptions{Prefix: []byte("a"), SeekKey: []byte("b")}, nil},
		{ScanOptions{Prefix: []byte("a"), SeekKey: []byte("a\x00"), InclusiveSeek: true}, []string{"a\x00", "ab"}},
		{ScanOptions{AtTx: 1}, []string{"a", "b"}},
		{ScanOptions{AtTx: 3, Desc: true}, []string{"c", "b", "a"}},
		{ScanOptions{AtTx: 5, Prefix: []byte("a")}, []string{"a", "a\x00", "ab"}},
		{ScanOptions{Prefix: []byte("zz")}, nil},
	}
	m := fixtureModel()
	for _, tc := range tests {
		keys, vers := collect(t, ix, tc.o)
		if !slices.Equal(keys, tc.want) {
			t.Errorf("Scan(%+v) = %q, want %q", tc.o, keys, tc.want)
			continue
		}
		for i, k := range keys {
			want := m.visible(k, tc.o.AtTx)
			if !sameVersion(vers[i], want[len(want)-1]) {
				t.Errorf("Scan(%+v) %q: %s, want %s", tc.o, k, fmtVersion(vers[i]), fmtVersion(want[len(want)-1]))
			}
		}
	}
}

// TestScanCombinations runs every combination of prefix / seek / end /
// inclusive flags / direction / snapshot against the model.
func TestScanCombinations(t *testing.T) {
	ix := openFixture(t)
	m := fixtureModel()
	probes := []string{"", "\x00", "a", "a\x00", "a\x00\x00", "aa", "ab", "b", "bb", "c", "\xff", "\xff\xff"}
	prefixes := []string{"", "a", "a\x00", "b", "\x00", "\xff", "q"}
	n := 0
	for _, p := range prefixes {
		for _, s := range probes {
			for _, e := range probes {
				for flags := 0; flags < 8; flags++ {
					for _, at := range []uint64{0, 1, 2, 4, 5, 6} {
						o := ScanOptions{
							Prefix: []byte(p), SeekKey: []byte(s), EndKey: []byte(e),
							InclusiveSeek: flags&1 != 0, InclusiveEnd: flags&2 != 0, Desc: flags&4 != 0,
							AtTx: at,
						}
						keys, vers := collect(t, ix, o)
						wk, wv := m.scan(o)
						if !slices.Equal(keys, wk) || !slices.EqualFunc(vers, wv, sameVersion) {
							t.Fatalf("Scan(%s) = %q %s; want %q %s", fmtScan(o), keys, fmtVersions(vers), wk, fmtVersions(wv))
						}
						n++
					}
				}
			}
		}
	}
	t.Logf("%d scans checked", n)
}

func fmtScan(o ScanOptions) string {
	return fmt.Sprintf("prefix %q seek %q end %q inclSeek %v inclEnd %v desc %v at %d",
		o.Prefix, o.SeekKey, o.EndKey, o.InclusiveSeek, o.InclusiveEnd, o.Desc, o.AtTx)
}

func TestIteratorPayloadReuse(t *testing.T) {
	ix := openFixture(t)
	it, err := ix.Scan(ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var n int
	for it.Next() {
		k, ver := it.Key(), it.Version()
		if want := fmt.Sprintf("%s@%d", k, ver.TxID); string(ver.Payload) != want {
			t.Errorf("key %q payload %q, want %q", k, ver.Payload, want)
		}
		n++
	}
	if n != 7 || it.Err() != nil {
		t.Fatalf("n %d err %v", n, it.Err())
	}
	if it.Next() {
		t.Fatal("Next after end")
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if err := it.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
}

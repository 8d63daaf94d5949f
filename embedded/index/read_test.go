package index

import (
	"math"
	"slices"
	"testing"
)

// fixture txs (tx ids 1..6); payloads are "key@tx".
//
//	a      : r1 tx1, r2 tx2, r3 tx5
//	b      : r1 tx1, r2 tx4
//	c      : r1 tx2, r2 tx6
//	"a\0"  : r1 tx4
//	ab     : r1 tx4
//	"\0"   : r1 tx6
//	"\xff" : r1 tx6
var fixtureTxs = [][]kv{
	{{"a", "a@1"}, {"b", "b@1"}},
	{{"a", "a@2"}, {"c", "c@2"}},
	{},
	{{"b", "b@4"}, {"a\x00", "a\x00@4"}, {"ab", "ab@4"}},
	{{"a", "a@5"}},
	{{"c", "c@6"}, {"\x00", "\x00@6"}, {"\xff", "\xff@6"}},
}

func fixtureModel() *model {
	m := newModel()
	for i, tx := range fixtureTxs {
		for _, e := range tx {
			m.add(uint64(i+1), e.k, e.v)
		}
	}
	m.last = uint64(len(fixtureTxs))
	return m
}

// openFixture applies the fixture in two batches (txs 1-3 and 4-6).
func openFixture(t *testing.T) *Index {
	t.Helper()
	ix := openTest(t, t.TempDir())
	t.Cleanup(func() { ix.Close() })
	applyTxs(t, ix, fixtureTxs[:3]...)
	applyTxs(t, ix, fixtureTxs[3:]...)
	if got := ix.IndexedUpTo(); got != 6 {
		t.Fatalf("IndexedUpTo = %d, want 6", got)
	}
	return ix
}

func v(tx, rev uint64, payload string) Version {
	return Version{TxID: tx, Revision: rev, Payload: []byte(payload)}
}

func TestGet(t *testing.T) {
	ix := openFixture(t)
	tests := []struct {
		key  string
		atTx uint64
		want Version
		err  error
	}{
		{"a", 0, v(5, 3, "a@5"), nil},
		{"a", 100, v(5, 3, "a@5"), nil},
		{"a", 5, v(5, 3, "a@5"), nil},
		{"a", 4, v(2, 2, "a@2"), nil},
		{"a", 3, v(2, 2, "a@2"), nil},
		{"a", 1, v(1, 1, "a@1"), nil},
		{"b", 3, v(1, 1, "b@1"), nil},
		{"b", 0, v(4, 2, "b@4"), nil},
		{"c", 1, Version{}, ErrKeyNotFound},
		{"c", 6, v(6, 2, "c@6"), nil},
		{"a\x00", 3, Version{}, ErrKeyNotFound},
		{"a\x00", 4, v(4, 1, "a\x00@4"), nil},
		{"a\x00\x00", 0, Version{}, ErrKeyNotFound},
		{"\x00", 0, v(6, 1, "\x00@6"), nil},
		{"\x00\x00", 0, Version{}, ErrKeyNotFound},
		{"\xff", 5, Version{}, ErrKeyNotFound},
		{"\xff", 0, v(6, 1, "\xff@6"), nil},
		{"zz", 0, Version{}, ErrKeyNotFound},
		{"", 0, Version{}, ErrInvalidKey},
		{string(make([]byte, DefaultMaxKeyLen+1)), 0, Version{}, ErrInvalidKey},
	}
	for _, tc := range tests {
		got, err := ix.Get([]byte(tc.key), tc.atTx)
		if !errIs(err, tc.err) || (tc.err == nil && !sameVersion(got, tc.want)) {
			t.Errorf("Get(%q, %d) = %s, %v; want %s, %v", tc.key, tc.atTx, fmtVersion(got), err, fmtVersion(tc.want), tc.err)
		}
	}
}

func TestGetRevision(t *testing.T) {
	ix := openFixture(t)
	tests := []struct {
		key  string
		rev  int64
		atTx uint64
		want Version
		err  error
	}{
		{"a", 0, 0, v(5, 3, "a@5"), nil},
		{"a", 1, 0, v(1, 1, "a@1"), nil},
		{"a", 2, 0, v(2, 2, "a@2"), nil},
		{"a", 3, 0, v(5, 3, "a@5"), nil},
		{"a", 4, 0, Version{}, ErrInvalidRevision},
		{"a", math.MaxInt64, 0, Version{}, ErrInvalidRevision},
		{"a", -1, 0, v(2, 2, "a@2"), nil},
		{"a", -2, 0, v(1, 1, "a@1"), nil},
		{"a", -3, 0, Version{}, ErrInvalidRevision},
		{"a", math.MinInt64, 0, Version{}, ErrInvalidRevision},
		// at a snapshot, revisions past it do not exist
		{"a", 0, 4, v(2, 2, "a@2"), nil},
		{"a", 2, 4, v(2, 2, "a@2"), nil},
		{"a", 3, 4, Version{}, ErrInvalidRevision},
		{"a", -1, 4, v(1, 1, "a@1"), nil},
		{"a", -2, 4, Version{}, ErrInvalidRevision},
		{"c", 1, 1, Version{}, ErrKeyNotFound},
		{"c", 0, 1, Version{}, ErrKeyNotFound},
		{"nope", 1, 0, Version{}, ErrKeyNotFound},
		{"nope", -1, 0, Version{}, ErrKeyNotFound},
		{"", 1, 0, Version{}, ErrInvalidKey},
	}
	for _, tc := range tests {
		got, err := ix.GetRevision([]byte(tc.key), tc.rev, tc.atTx)
		if !errIs(err, tc.err) || (tc.err == nil && !sameVersion(got, tc.want)) {
			t.Errorf("GetRevision(%q, %d, %d) = %s, %v; want %s, %v", tc.key, tc.rev, tc.atTx, fmtVersion(got), err, fmtVersion(tc.want), tc.err)
		}
	}
}

func TestHistory(t *testing.T) {
	ix := openFixture(t)
	a1, a2, a5 := v(1, 1, "a@1"), v(2, 2, "a@2"), v(5, 3, "a@5")
	tests := []struct {
		key    string
		offset uint64
		limit  int
		desc   bool
		atTx   uint64
		want   []Version
		err    error
	}{
		{"a", 0, 0, false, 0, []Version{a1, a2, a5}, nil},
		{"a", 0, 0, true, 0, []Version{a5, a2, a1}, nil},
		{"a", 0, -1, false, 0, []Version{a1, a2, a5}, nil},
		{"a", 0, 10, false, 0, []Version{a1, a2, a5}, nil},
		{"a", 0, 2, false, 0, []Version{a1, a2}, nil},
		{"a", 0, 2, true, 0, []Version{a5, a2}, nil},
		{"a", 1, 1, false, 0, []Version{a2}, nil},
		{"a", 1, 1, true, 0, []Version{a2}, nil},
		{"a", 1, 0, true, 0, []Version{a2, a1}, nil},
		{"a", 1, 0, false, 0, []Version{a2, a5}, nil},
		{"a", 2, 5, true, 0, []Version{a1}, nil},
		{"a", 2, 5, false, 0, []Version{a5}, nil},
		{"a", 3, 0, false, 0, []Version{}, nil},
		{"a", 3, 0, true, 0, []Version{}, nil},
		{"a", math.MaxUint64, 1, true, 0, []Version{}, nil},
		{"a", 0, 0, false, 4, []Version{a1, a2}, nil},
		{"a", 0, 1, true, 4, []Version{a2}, nil},
		{"a", 1, 0, true, 4, []Version{a1}, nil},
		{"a", 2, 0, true, 4, []Version{}, nil},
		{"a", 0, 0, false, 1, []Version{a1}, nil},
		{"c", 0, 0, false, 1, nil, ErrKeyNotFound},
		{"nope", 0, 0, false, 0, nil, ErrKeyNotFound},
		{"", 0, 0, false, 0, nil, ErrInvalidKey},
	}
	for _, tc := range tests {
		got, err := ix.History([]byte(tc.key), tc.offset, tc.limit, tc.desc, tc.atTx)
		if !errIs(err, tc.err) || (tc.err == nil && !slices.EqualFunc(got, tc.want, sameVersion)) {
			t.Errorf("History(%q, off %d, lim %d, desc %v, at %d) = %s, %v; want %s, %v",
				tc.key, tc.offset, tc.limit, tc.desc, tc.atTx, fmtVersions(got), err, fmtVersions(tc.want), tc.err)
		}
		if tc.err == nil && got == nil {
			t.Errorf("History(%q, ...) returned nil slice without error", tc.key)
		}
	}
}

// History's payloads share one allocation: each must still be a value of
// its own, so that a caller appending to one cannot change the next.
func TestHistoryPayloadsIndependent(t *testing.T) {
	ix := openFixture(t)
	for _, desc := range []bool{false, true} {
		got, err := ix.History([]byte("a"), 0, 0, desc, 0)
		if err != nil || len(got) != 3 {
			t.Fatalf("History(a, desc %v) = %s, %v", desc, fmtVersions(got), err)
		}
		want := fmtVersions(got)
		for i := range got {
			_ = append(got[i].Payload, 'X')
		}
		if after := fmtVersions(got); after != want {
			t.Errorf("desc %v: appending to the payloads changed them: %s, was %s", desc, after, want)
		}
	}
}

func TestCount(t *testing.T) {
	ix := openFixture(t)
	tests := []struct {
		prefix string
		atTx   uint64
		want   uint64
	}{
		{"", 0, 7},
		{"", 1, 2},
		{"", 2, 3},
		{"", 3, 3},
		{"", 4, 5},
		{"", 6, 7},
		{"", 99, 7},
		{"a", 0, 3},
		{"a", 1, 1},
		{"a", 3, 1},
		{"a", 4, 3},
		{"a\x00", 0, 1},
		{"ab", 0, 1},
		{"\x00", 0, 1},
		{"\x00", 5, 0},
		{"\xff", 0, 1},
		{"\xff\xff", 0, 0},
		{"zz", 0, 0},
	}
	for _, tc := range tests {
		got, err := ix.Count([]byte(tc.prefix), tc.atTx)
		if err != nil || got != tc.want {
			t.Errorf("Count(%q, %d) = %d, %v; want %d", tc.prefix, tc.atTx, got, err, tc.want)
		}
	}
}

package index

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// Review tests for the word-at-a-time terminator search and the one-pass
// escaping: unusual bytes, every offset, long keys, reused buffers.

// nearMiss are the bytes around the ones the masks look for (0x00, 0x01)
// and the ones that break borrow-based SWAR tricks (0x80, 0x7F, 0xFF).
var nearMiss = []byte{0x00, 0x01, 0x02, 0x7F, 0x80, 0x81, 0xFE, 0xFF}

// TestSplitKeyExhaustiveShort: every key of length ≤ 4 over nearMiss, then
// every 10-byte key over {0x00, 0x01, 0x80} (spans the window boundary
// at offset 7/8, with a byte after it), agrees with the byte-by-byte rule.
func TestSplitKeyExhaustiveShort(t *testing.T) {
	check := func(k []byte) {
		want := splitKeyRef(k)
		if got := splitKey(k); got != want {
			t.Fatalf("splitKey(%x) = %d, want %d", k, got, want)
		}
	}
	var gen func(k []byte, n int, alpha []byte)
	gen = func(k []byte, n int, alpha []byte) {
		check(k)
		if len(k) == n {
			return
		}
		for _, c := range alpha {
			gen(append(k, c), n, alpha)
		}
	}
	gen(nil, 4, nearMiss)
	alpha := []byte{0x00, 0x01, 0x80}
	k := make([]byte, 10)
	for i := 0; i < 59049; i++ { // 3^10
		x := i
		for j := range k {
			k[j] = alpha[x%3]
			x /= 3
		}
		check(k)
	}
}

// TestSplitKeyPatterns puts overlapping and near-miss patterns at every
// offset of keys of every length 0..80 over several backgrounds, and
// checks keys up to and beyond the maximum key length.
func TestSplitKeyPatterns(t *testing.T) {
	patterns := [][]byte{
		{0x00, 0x01}, {0x00, 0x00, 0x01}, {0x00, 0x01, 0x00, 0x01}, {0xFF, 0x01},
		{0x00, 0xFF, 0x01}, {0x80, 0x01}, {0x00, 0x81}, {0x7F, 0x00, 0x01},
		{0x00, 0x00}, {0x01, 0x00}, {0x00, 0x02}, {0x01, 0x01, 0x00},
	}
	for _, bg := range nearMiss {
		for n := 0; n <= 80; n++ {
			for _, p := range patterns {
				for at := 0; at+len(p) <= n; at++ {
					k := bytes.Repeat([]byte{bg}, n)
					copy(k[at:], p)
					want := splitKeyRef(k)
					if got := splitKey(k); got != want {
						t.Fatalf("splitKey(%x) = %d, want %d", k, got, want)
					}
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{1023, 1024, 1025, 1031, 1032, 1033, 2050, 4096} {
		for trial := 0; trial < 200; trial++ {
			k := make([]byte, n)
			for i := range k {
				k[i] = nearMiss[r.IntN(len(nearMiss))]
			}
			// Mostly no terminator until late: clear pairs, then maybe put
			// one at a random spot.
			for i := 0; i+1 < n; i++ {
				if k[i] == 0 && k[i+1] == 1 {
					k[i+1] = 0xFF
				}
			}
			if trial%2 == 0 {
				at := r.IntN(n - 1)
				k[at], k[at+1] = 0, 1
			}
			want := splitKeyRef(k)
			if got := splitKey(k); got != want {
				t.Fatalf("splitKey(len %d) = %d, want %d", n, got, want)
			}
		}
	}
}

// zeroHeavyKey draws a user key of length 1..maxLen from bytes that are
// mostly 0x00 and 0x01 (user keys holding 0x00 0x01 must be escaped so that
// they never look like a terminator).
func zeroHeavyKey(r *rand.Rand, maxLen int) []byte {
	k := make([]byte, 1+r.IntN(maxLen))
	for i := range k {
		switch r.IntN(6) {
		case 0, 1:
			k[i] = 0
		case 2:
			k[i] = 1
		default:
			k[i] = nearMiss[r.IntN(len(nearMiss))]
		}
	}
	return k
}

// TestEncodedZeroHeavyKeys: for user keys full of zeros, the encoded prefix
// ends at the first terminator, decodes back, and the seek bounds built
// from it (appendAfter, appendUserPrefix) sort where the scans need them.
func TestEncodedZeroHeavyKeys(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	var users [][]byte
	for _, n := range []int{1, 2, 7, 8, 9, 15, 16, 17, 40, 80} {
		for i := 0; i < 30; i++ {
			users = append(users, zeroHeavyKey(r, n))
		}
	}
	for _, n := range []int{1, 7, 8, 9, 1023, 1024} {
		users = append(users, make([]byte, n), bytes.Repeat([]byte{0, 1}, n/2+1))
	}
	users = append(users, []byte("a"), []byte("a\x00"), []byte("a\x00\x00"), []byte("a\x00\x01"), []byte("a\x01"))
	slices.SortFunc(users, bytes.Compare)
	users = slices.CompactFunc(users, bytes.Equal)

	var keys [][]byte
	for _, u := range users {
		p := appendPrefix(nil, u)
		for _, rev := range []uint64{1 << 40, 256, 255, 2, 1} { // newest first
			k := appendRev(slices.Clone(p), rev)
			if got := splitKey(k); got != len(p) {
				t.Fatalf("split of %x = %d, want %d", k, got, len(p))
			}
			gp, grev, err := decodeVersionKey(k)
			if err != nil || grev != rev || !bytes.Equal(gp, p) {
				t.Fatalf("decode %x: %x %d %v", k, gp, grev, err)
			}
			gu, err := appendUserKey(nil, gp)
			if err != nil || !bytes.Equal(gu, u) {
				t.Fatalf("user key of %x = %x, %v; want %x", k, gu, err, u)
			}
			keys = append(keys, k)
		}
	}
	if !slices.IsSortedFunc(keys, bytes.Compare) {
		t.Fatal("encoded zero-heavy keys not in (user key, revision desc) order")
	}
	// Pebble's Split contract on a sample of pairs (all pairs is too slow).
	sample := keys
	if len(sample) > 400 {
		sample = nil
		for i := 0; i < len(keys); i += len(keys)/400 + 1 {
			sample = append(sample, keys[i])
		}
	}
	checkComparer(t, sample)

	for i, u := range users {
		after := appendAfter(nil, u)
		before := appendPrefix(nil, u)
		lastVersion := appendRev(slices.Clone(before), 1)
		if bytes.Compare(before, lastVersion) >= 0 || bytes.Compare(lastVersion, after) >= 0 {
			t.Fatalf("bounds of %x: before %x, version %x, after %x", u, before, lastVersion, after)
		}
		if i+1 < len(users) {
			next := appendRev(appendPrefix(nil, users[i+1]), 1<<40)
			if bytes.Compare(after, next) >= 0 {
				t.Fatalf("after(%x) = %x not before next key %x", u, after, next)
			}
		}
		// A user-key prefix covers exactly the keys that start with it.
		for _, plen := range []int{1, len(u) / 2, len(u)} {
			if plen == 0 {
				continue
			}
			pre := appendUserPrefix(nil, u[:plen])
			for _, v := range users[max(0, i-5):min(len(users), i+6)] {
				want := bytes.HasPrefix(v, u[:plen])
				got := bytes.HasPrefix(appendRev(appendPrefix(nil, v), 3), pre)
				if got != want {
					t.Fatalf("user prefix %x vs key %x: covered %v, want %v", u[:plen], v, got, want)
				}
			}
		}
	}
}

// TestAppendPrefixReusedBuffer: dst with spare capacity holding stale bytes
// (as Apply's encBuf does), exactly enough capacity, and too little; the
// bytes before dst's length are never touched.
func TestAppendPrefixReusedBuffer(t *testing.T) {
	ref := func(key []byte) []byte {
		w := []byte{nsVersion}
		for _, c := range key {
			w = append(w, c)
			if c == 0 {
				w = append(w, escByte)
			}
		}
		return append(w, 0, termByte)
	}
	r := rand.New(rand.NewPCG(5, 5))
	for i := 0; i < 2000; i++ {
		key := zeroHeavyKey(r, 70)
		if i%5 == 0 {
			key = bytes.Repeat([]byte{'k'}, 1+r.IntN(20)) // no zero: the other path
		}
		want := ref(key)
		head := []byte("head")
		for _, spare := range []int{0, 1, len(want) - 1, len(want), len(want) + 13} {
			dst := make([]byte, len(head), len(head)+spare)
			copy(dst, head)
			for j := len(head); j < cap(dst); j++ {
				dst[:cap(dst)][j] = 0xEE // stale bytes
			}
			got := appendPrefix(dst, key)
			if !bytes.Equal(got[:len(head)], head) || !bytes.Equal(got[len(head):], want) {
				t.Fatalf("appendPrefix(cap spare %d, %x) = %x, want head+%x", spare, key, got, want)
			}
			// After: the same with the terminator bumped.
			got = appendAfter(dst[:len(head)], key)
			wantAfter := slices.Clone(want)
			wantAfter[len(wantAfter)-1] = afterByte
			if !bytes.Equal(got[len(head):], wantAfter) {
				t.Fatalf("appendAfter(%x) = %x, want %x", key, got[len(head):], wantAfter)
			}
		}
	}
	// Many keys appended one after another into one buffer, as Apply does.
	var enc []byte
	var offs []int
	var users [][]byte
	for i := 0; i < 500; i++ {
		u := zeroHeavyKey(r, 30)
		offs = append(offs, len(enc))
		enc = appendRev(appendPrefix(enc, u), uint64(i+1))
		users = append(users, u)
	}
	offs = append(offs, len(enc))
	for i, u := range users {
		k := enc[offs[i]:offs[i+1]]
		p, rev, err := decodeVersionKey(k)
		if err != nil || rev != uint64(i+1) {
			t.Fatalf("key %d: %x %d %v", i, k, rev, err)
		}
		if got, _ := appendUserKey(nil, p); !bytes.Equal(got, u) {
			t.Fatalf("key %d: user key %x, want %x", i, got, u)
		}
	}
}

// TestModelZeroHeavyKeys is TestModel's end-to-end check for binary keys:
// keys made of zeros and ones of lengths across the 8-byte windows, keys
// that differ only in trailing zeros, several revisions each, reopening on
// the way; every read is compared with the model.
func TestModelZeroHeavyKeys(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	pool := []string{"a", "a\x00", "a\x00\x00", "a\x00\x00\x00", "a\x00\x01", "a\x01", "\x00", "\x00\x00", "\x00\x01", "\x01\x00"}
	for _, n := range []int{7, 8, 9, 15, 16, 17, 31, 64} {
		for i := 0; i < 4; i++ {
			pool = append(pool, string(zeroHeavyKey(r, n)))
		}
		z := make([]byte, n)
		pool = append(pool, string(z), string(append(z, 1)), string(append(z, 0, 1, 0)))
	}
	pool = append(pool, string(make([]byte, DefaultMaxKeyLen)), string(append(make([]byte, DefaultMaxKeyLen-1), 1)))
	pick := func() string { return pool[r.IntN(len(pool))] }

	dir := t.TempDir()
	ix := openTest(t, dir)
	defer func() { ix.Close() }()
	m := newModel()
	steps := 60
	if testing.Short() || raceEnabled {
		steps = 25
	}
	for step := 0; step < steps; step++ {
		b := ix.NewBatch()
		for ntx := 1 + r.IntN(4); ntx > 0; ntx-- {
			tx := m.last + 1
			b.Begin(tx)
			seen := map[string]bool{}
			for j := r.IntN(8); j > 0; j-- {
				k := pick()
				if seen[k] {
					continue
				}
				seen[k] = true
				p := fmt.Sprintf("%d@%d", len(k), tx)
				b.Add([]byte(k), []byte(p))
				m.add(tx, k, p)
			}
			m.last = tx
		}
		if err := ix.Apply(b); err != nil {
			t.Fatalf("step %d: Apply: %v", step, err)
		}
		b.Close()
		if step%15 == 14 {
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			ix = openTest(t, dir)
		}
		checkReadsOf(t, ix, m, r, pool)
	}
}

// checkReadsOf compares Get, GetRevision, History and prefix scans (both
// directions, every bound kind) of every key of pool with the model.
func checkReadsOf(t *testing.T, ix *Index, m *model, r *rand.Rand, pool []string) {
	t.Helper()
	for _, k := range pool {
		at := uint64(0)
		if r.IntN(2) == 0 {
			at = r.Uint64N(m.last + 1)
		}
		vis := m.visible(k, at)
		got, err := ix.Get([]byte(k), at)
		if len(vis) == 0 {
			if !errIs(err, ErrKeyNotFound) {
				t.Fatalf("Get(%x, %d) = %s, %v; want not found", k, at, fmtVersion(got), err)
			}
			continue
		}
		if err != nil || !sameVersion(got, vis[len(vis)-1]) {
			t.Fatalf("Get(%x, %d) = %s, %v; want %s", k, at, fmtVersion(got), err, fmtVersion(vis[len(vis)-1]))
		}
		for rev := 1; rev <= len(vis); rev++ {
			got, err := ix.GetRevision([]byte(k), int64(rev), at)
			if err != nil || !sameVersion(got, vis[rev-1]) {
				t.Fatalf("GetRevision(%x, %d, %d) = %s, %v; want %s", k, rev, at, fmtVersion(got), err, fmtVersion(vis[rev-1]))
			}
		}
		hist, err := ix.History([]byte(k), 0, 0, false, at)
		if err != nil || !slices.EqualFunc(hist, vis, sameVersion) {
			t.Fatalf("History(%x, %d) = %s, %v; want %s", k, at, fmtVersions(hist), err, fmtVersions(vis))
		}
	}
	for i := 0; i < 12; i++ {
		a, c := pool[r.IntN(len(pool))], pool[r.IntN(len(pool))]
		o := ScanOptions{Desc: i%2 == 0, InclusiveSeek: r.IntN(2) == 0, InclusiveEnd: r.IntN(2) == 0}
		switch r.IntN(3) {
		case 0:
			o.Prefix = []byte(a[:1+r.IntN(len(a))])
		case 1:
			o.SeekKey, o.EndKey = []byte(a), []byte(c)
		default:
			o.Prefix, o.SeekKey = []byte(a[:1]), []byte(c)
		}
		if r.IntN(3) == 0 {
			o.AtTx = r.Uint64N(m.last + 1)
		}
		keys, vers := collect(t, ix, o)
		wk, wv := m.scan(o)
		if !slices.Equal(keys, wk) || !slices.EqualFunc(vers, wv, sameVersion) {
			t.Fatalf("Scan(%s) = %q %s; want %q %s", fmtScan(o), keys, fmtVersions(vers), wk, fmtVersions(wv))
		}
		cnt, err := ix.Count(o.Prefix, o.AtTx)
		if wc := m.count(string(o.Prefix), o.AtTx); err != nil || cnt != wc {
			t.Fatalf("Count(%x, %d) = %d, %v; want %d", o.Prefix, o.AtTx, cnt, err, wc)
		}
	}
}

// TestZeroHeavyLookupsThroughSSTables: with the key filter not ready (its
// rebuild held), Apply finds each key's latest revision by a prefix seek,
// which Pebble answers through the sstables' prefix bloom filters, built
// from Split. Binary keys (zeros, 0x00 0x01 pairs, trailing zeros) written
// and compacted to the last level must all be found: a Split that cut a
// key's prefix wrongly would make the bloom filter say "absent" and give
// revision 1 again.
func TestZeroHeavyLookupsThroughSSTables(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	seen := map[string]bool{}
	var users []string
	for try := 0; len(users) < 600; try++ {
		k := string(zeroHeavyKey(r, 1+try%70))
		if try%50 == 0 {
			k = "z" + string(make([]byte, try/50)) // trailing zeros
		}
		if !seen[k] {
			seen[k] = true
			users = append(users, k)
		}
	}
	dir := t.TempDir()
	ix := openTest(t, dir)
	for i := 0; i < len(users); i += 100 {
		var tx []kv
		for _, k := range users[i:min(i+100, len(users))] {
			tx = append(tx, kv{k, "1"})
		}
		applyTxs(t, ix, tx)
	}
	if err := ix.Compact(); err != nil {
		t.Fatal(err)
	}
	ix = reopenHeld(t, ix, dir)
	defer ix.Close()
	defer close(testBuildGate)
	var tx []kv
	for _, k := range users {
		tx = append(tx, kv{k, "2"})
	}
	applyTxs(t, ix, tx)
	if filterReadyOf(ix) {
		t.Fatal("the key filter was used (test premise)")
	}
	for _, k := range users {
		v, err := ix.Get([]byte(k), 0)
		if err != nil || v.Revision != 2 {
			t.Fatalf("Get(%x) = %s, %v; want revision 2", k, fmtVersion(v), err)
		}
	}
}

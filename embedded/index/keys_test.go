package index

import (
	"bytes"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestKeyLayout(t *testing.T) {
	// Golden encodings, as documented in doc.go.
	tests := []struct {
		key string
		rev uint64
		hex string
	}{
		{"a\x00b", 2, "016100ff620001fefd"},
		{"a", 1, "61"},
		{"\x00", 1, "00ff"},
		{"a", 255, "61"},
		{"a", 256, "61"},
	}
	revHex := map[uint64]string{1: "fefe", 2: "fefd", 255: "fe00", 256: "fdfeff"}
	for i, tc := range tests {
		k := appendRev(appendPrefix(nil, []byte(tc.key)), tc.rev)
		want := tc.hex
		if i > 0 {
			want = "01" + tc.hex + "0001" + revHex[tc.rev]
		}
		if got := hex.EncodeToString(k); got != want {
			t.Errorf("key %q rev %d = %s, want %s", tc.key, tc.rev, got, want)
		}
	}
	if got := hex.EncodeToString(appendRev(nil, math.MaxUint64)); got != "f70000000000000000" {
		t.Errorf("max revision = %s", got)
	}
}

// TestKeyOrder: encoded keys sort like (user key asc, revision desc), and
// Split / Compare obey Pebble's rules on them.
func TestKeyOrder(t *testing.T) {
	users := []string{"\x00", "\x00\x00", "\x00\x01", "\x00\xff", "\x01", "a", "a\x00", "a\x00\x00", "a\x00\x01", "a\x01", "ab", "\xff", "\xff\x00", "\xff\xff"}
	revs := []uint64{math.MaxUint64, 1 << 32, 65536, 65535, 65534, 256, 255, 2, 1}
	var keys [][]byte
	for _, u := range users { // already in user-key order
		for _, r := range revs { // newest first
			keys = append(keys, appendRev(appendPrefix(nil, []byte(u)), r))
		}
	}
	if !slices.IsSortedFunc(keys, bytes.Compare) {
		t.Fatal("encoded keys are not in (user key, revision desc) order")
	}
	for _, k := range keys {
		p, rev, err := decodeVersionKey(k)
		if err != nil {
			t.Fatal(err)
		}
		if splitKey(p) != len(p) || splitKey(k) != len(p) {
			t.Fatalf("split of %x", k)
		}
		u, err := appendUserKey(nil, p)
		if err != nil || !bytes.Equal(appendRev(appendPrefix(nil, u), rev), k) {
			t.Fatalf("round trip of %x: %q %d %v", k, u, rev, err)
		}
	}
	checkComparer(t, keys)
}

// checkComparer checks Pebble's Split contract on all pairs of keys:
// comparing prefixes then suffixes equals comparing the whole keys, and
// ImmediateSuccessor of a prefix is a prefix key greater than it.
func checkComparer(t testing.TB, keys [][]byte) {
	for _, a := range keys {
		pa := a[:splitKey(a)]
		s := immediateSuccessor(nil, pa)
		if splitKey(s) != len(s) || bytes.Compare(pa, s) >= 0 || bytes.Compare(a, s) >= 0 {
			t.Fatalf("ImmediateSuccessor(%x) = %x", pa, s)
		}
		for _, b := range keys {
			pb := b[:splitKey(b)]
			want := bytes.Compare(a, b)
			got := bytes.Compare(pa, pb)
			if got == 0 {
				got = bytes.Compare(a[len(pa):], b[len(pb):])
			}
			if got != want {
				t.Fatalf("split compare of %x, %x = %d, want %d", a, b, got, want)
			}
		}
	}
}

func TestScanBoundsEmpty(t *testing.T) {
	// SeekKey past EndKey gives an empty range without touching Pebble.
	lo, hi := scanBounds(&ScanOptions{SeekKey: []byte("b"), EndKey: []byte("a")})
	if bytes.Compare(lo, hi) < 0 {
		t.Fatalf("bounds %x %x", lo, hi)
	}
}

func FuzzVersionKey(f *testing.F) {
	f.Add([]byte("a\x00b"), uint64(2))
	f.Add([]byte{0}, uint64(1))
	f.Add([]byte{0xff, 0, 1}, uint64(math.MaxUint64))
	f.Fuzz(func(t *testing.T, user []byte, rev uint64) {
		if len(user) == 0 || rev == 0 {
			return
		}
		k := appendRev(appendPrefix(nil, user), rev)
		p, r, err := decodeVersionKey(k)
		if err != nil || r != rev {
			t.Fatalf("decode(%x) = %d, %v", k, r, err)
		}
		u, err := appendUserKey(nil, p)
		if err != nil || !bytes.Equal(u, user) {
			t.Fatalf("user key of %x = %q, %v", k, u, err)
		}
		if splitKey(k) != len(p) || splitKey(p) != len(p) {
			t.Fatalf("split of %x: %d and of its prefix %d, want %d", k, splitKey(k), splitKey(p), len(p))
		}
	})
}

// TestSplitKeyKinds: the split equals the byte-by-byte rule on every kind
// of key the index writes or seeks with,
// including user keys full of 0x00/0x01/0xFF bytes and revisions whose
// complemented bytes hold 0x00 0x01 pairs.
func TestSplitKeyKinds(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte{0x00, 0x01, 0x02, 0xfd, 0xfe, 0xff, 'a'}
	revs := []uint64{1, 2, 254, 255, 256, 0xfffe01ab, 0xfffe, 0xfeff, 0x01fe, 0xfffffffe, math.MaxUint64, math.MaxUint64 - 1}
	for i := 0; i < 20000; i++ {
		user := make([]byte, 1+rng.IntN(12))
		for j := range user {
			user[j] = alphabet[rng.IntN(len(alphabet))]
		}
		rev := revs[rng.IntN(len(revs))]
		if rng.IntN(2) == 0 {
			rev = rng.Uint64() >> rng.IntN(64)
			rev = max(rev, 1)
		}
		prefix := appendPrefix(nil, user)
		for _, k := range [][]byte{appendRev(append([]byte(nil), prefix...), rev), prefix, appendAfter(nil, user), appendUserPrefix(nil, user)} {
			if got, want := splitKey(k), splitKeyRef(k); got != want {
				t.Fatalf("split of %x: %d, want %d", k, got, want)
			}
		}
	}
}

// FuzzDecodeVersionKey feeds arbitrary bytes to the key decoders: they must
// not panic, and what they accept must re-encode to the same bytes.
func FuzzDecodeVersionKey(f *testing.F) {
	f.Add(appendRev(appendPrefix(nil, []byte("a\x00b")), 2))
	f.Add(appendRev(appendPrefix(nil, []byte{0xff}), 300))
	f.Add([]byte{1, 0, 1, 0xfe, 0xfe})
	f.Add([]byte{1, 0x61, 0, 1, 0xf7, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0, 'w'})
	f.Fuzz(func(t *testing.T, k []byte) {
		_ = splitKey(k)
		_ = immediateSuccessor(nil, k)
		p, rev, err := decodeVersionKey(k)
		if err != nil {
			return
		}
		u, err := appendUserKey(nil, p)
		if err != nil {
			return
		}
		if len(u) == 0 {
			t.Fatalf("empty user key accepted from %x", k)
		}
		if re := appendRev(appendPrefix(nil, u), rev); !bytes.Equal(re, k) {
			t.Fatalf("%x decodes to %q rev %d which encodes to %x", k, u, rev, re)
		}
	})
}

func FuzzDecodeRev(f *testing.F) {
	for _, r := range []uint64{1, 255, 256, 65534, math.MaxUint64} {
		f.Add(appendRev(nil, r))
	}
	f.Add([]byte{0xfe, 0xff})
	f.Add([]byte{0xf6, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, s []byte) {
		rev, err := decodeRev(s)
		if err != nil {
			return
		}
		if rev == 0 || !bytes.Equal(appendRev(nil, rev), s) {
			t.Fatalf("%x decodes to %d", s, rev)
		}
	})
}

func FuzzDecodeValue(f *testing.F) {
	for _, tx := range []uint64{1, 127, 128, math.MaxUint64} {
		p := []byte("payload")
		v := make([]byte, valueLen(tx, p))
		putValue(v, tx, p)
		f.Add(v)
	}
	f.Add([]byte{0})
	f.Add([]byte{0x80, 0})
	f.Fuzz(func(t *testing.T, v []byte) {
		tx, p, err := decodeValue(v)
		if err != nil {
			return
		}
		re := make([]byte, valueLen(tx, p))
		putValue(re, tx, p)
		if tx == 0 || !bytes.Equal(re, v) {
			t.Fatalf("%x decodes to tx %d payload %x", v, tx, p)
		}
	})
}

func FuzzDecodeWatermark(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 7})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, v []byte) {
		w, err := decodeWatermark(v)
		if err == nil && (len(v) != 8 || putWatermarkBytes(w) != string(v)) {
			t.Fatalf("%x decodes to %d", v, w)
		}
	})
}

func putWatermarkBytes(w uint64) string {
	var b [8]byte
	return string(putWatermark(&b, w))
}

// FuzzComparer checks Pebble's Split contract on arbitrary keys.
func FuzzComparer(f *testing.F) {
	f.Add([]byte{1, 'a', 0, 1, 0xfe, 0xfe}, []byte{1, 'a', 0, 0xff, 0, 1, 0xfe, 0xfe})
	f.Add([]byte{1, 'a', 0, 1}, []byte{1, 'a', 0, 2})
	f.Add([]byte{0, 1, 0, 1}, []byte{0, 1})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		checkComparer(t, [][]byte{a, b})
	})
}

func FuzzUnmarshalFilter(f *testing.F) {
	kf := &keyFilter{}
	for i := 0; i < 100; i++ {
		kf.add(keyHash([]byte{byte(i)}))
	}
	f.Add(kf.marshal(42))
	f.Add((&keyFilter{}).marshal(0))
	f.Add([]byte("AIXF"))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, wm, err := unmarshalFilter(b)
		if err != nil {
			return
		}
		if !bytes.Equal(g.marshal(wm), b) {
			t.Fatal("accepted filter file does not re-encode identically")
		}
		g.mayContain(1)
	})
}

func TestKeyFilter(t *testing.T) {
	kf := &keyFilter{}
	const n = filterFirstCap + filterFirstCap/2 // several segments (keys of 3 bytes: n < 1<<24)
	for i := 0; i < n; i++ {
		kf.add(keyHash([]byte{byte(i), byte(i >> 8), byte(i >> 16), 'k'}))
	}
	for i := 0; i < n; i++ {
		if !kf.mayContain(keyHash([]byte{byte(i), byte(i >> 8), byte(i >> 16), 'k'})) {
			t.Fatalf("false negative for key %d", i)
		}
	}
	fp := 0
	for i := 0; i < n; i++ {
		if kf.mayContain(keyHash([]byte{byte(i), byte(i >> 8), byte(i >> 16), 'x'})) {
			fp++
		}
	}
	if len(kf.segs) < 2 {
		t.Fatalf("%d segments", len(kf.segs))
	}
	// Not a timing assertion: a sanity bound on the false-positive rate
	// (sized for ~1%, several segments add up).
	if fp > n/10 {
		t.Fatalf("false positive rate %d/%d", fp, n)
	}
	g, wm, err := unmarshalFilter(kf.marshal(9))
	if err != nil || wm != 9 || len(g.segs) != len(kf.segs) {
		t.Fatalf("round trip: %v %d", err, wm)
	}
}

// splitKeyRef is the first-terminator rule written plainly, byte by byte:
// the reference the word-at-a-time splitKey must match.
func splitKeyRef(k []byte) int {
	for i := 0; i+1 < len(k); i++ {
		if k[i] == 0 && k[i+1] == termByte {
			return i + 2
		}
	}
	return len(k)
}

// FuzzSplitKey: the word-at-a-time splitKey answers exactly like the
// byte-by-byte rule for the first terminator, on any bytes.
func FuzzSplitKey(f *testing.F) {
	f.Add([]byte{1, 'a', 0, 1, 0xfe, 0xfe})
	f.Add([]byte{0, 1, 0, 1})
	f.Add([]byte{1, 0, 1, 0, 1, 0xfe, 1})
	f.Add([]byte{1, 'a', 0, 0xff, 0, 1, 0xfb, 0, 1, 0xfe, 0x54})
	f.Fuzz(func(t *testing.T, k []byte) {
		want := splitKeyRef(k)
		if got := splitKey(k); got != want {
			t.Fatalf("splitKey(%x) = %d, want %d", k, got, want)
		}
	})
}

// TestSplitKeyWindows puts one terminator at every offset of keys of
// every length up to 40, over backgrounds of 0x00, 0x01, 0xFF and near-miss
// bytes, so every window position and the tail loop are exercised.
func TestSplitKeyWindows(t *testing.T) {
	for _, bg := range []byte{0x00, 0x01, 0xFF, 0x80, 0x7F, 'a'} {
		for n := 0; n <= 40; n++ {
			for at := -1; at+1 < n; at++ {
				k := bytes.Repeat([]byte{bg}, n)
				if at >= 0 {
					k[at], k[at+1] = 0x00, termByte
				}
				if got, want := splitKey(k), splitKeyRef(k); got != want {
					t.Fatalf("splitKey(%x) = %d, want %d", k, got, want)
				}
			}
		}
	}
}

// TestAppendPrefixEscapes: the encoding of keys with and without zeros
// matches the escaping rule written plainly, and appends after dst.
func TestAppendPrefixEscapes(t *testing.T) {
	for _, key := range [][]byte{{0}, {0, 0, 0}, []byte("abc"), {'a', 0, 'b', 0}, {0xff, 0, 1, 0}, bytes.Repeat([]byte{0}, 40)} {
		want := []byte{'x', nsVersion}
		for _, c := range key {
			want = append(want, c)
			if c == 0 {
				want = append(want, escByte)
			}
		}
		want = append(want, 0, termByte)
		if got := appendPrefix([]byte{'x'}, key); !bytes.Equal(got, want) {
			t.Errorf("appendPrefix(%x) = %x, want %x", key, got, want)
		}
	}
}

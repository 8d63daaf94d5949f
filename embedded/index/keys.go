package index

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// Pebble key layout (see doc.go for the full description).
const (
	nsMeta    = 0x00 // index metadata (the IndexedUpTo watermark)
	nsVersion = 0x01 // one key per version of a user key

	escByte  = 0xFF // 0x00 in a user key is written as 0x00 0xFF
	termByte = 0x01 // the user key ends with 0x00 0x01
	// afterByte replaces termByte to build a key that sorts after every
	// version of a user key and before every greater user key.
	afterByte = 0x02
)

// watermarkKey holds IndexedUpTo as 8 bytes big-endian.
var watermarkKey = []byte{nsMeta, 'w'}

// appendPrefix appends the encoded user key (namespace, escaped bytes,
// terminator): the Pebble "prefix" shared by all versions of key.
func appendPrefix(dst, key []byte) []byte {
	dst = append(dst, nsVersion)
	zeros := bytes.Count(key, zeroByte)
	if zeros == 0 {
		dst = append(dst, key...)
		return append(dst, 0x00, termByte)
	}
	// Binary keys (big-endian numbers, hashes) can hold many zeros: one
	// pass over a buffer grown once beats an append per zero.
	n := len(dst)
	dst = slices.Grow(dst, len(key)+zeros+2)[:n+len(key)+zeros+2]
	w := dst[n:]
	i := 0
	for _, c := range key {
		w[i] = c
		i++
		if c == 0 {
			w[i] = escByte
			i++
		}
	}
	w[i], w[i+1] = 0x00, termByte
	return dst
}

var zeroByte = []byte{0}

// appendAfter appends a key that sorts after every version of key and
// before every greater user key (the encoded prefix with its terminator
// bumped by one).
func appendAfter(dst, key []byte) []byte {
	dst = appendPrefix(dst, key)
	dst[len(dst)-1] = afterByte
	return dst
}

// appendUserPrefix appends the encoding of a user-key prefix p: every
// encoded key whose user key starts with p starts with these bytes, and no
// other does (the escaping is a prefix code).
func appendUserPrefix(dst, p []byte) []byte {
	dst = appendPrefix(dst, p)
	return dst[:len(dst)-2]
}

// revLen is the number of big-endian bytes needed for rev (1..8).
func revLen(rev uint64) int {
	n := (bits.Len64(rev) + 7) / 8
	if n == 0 {
		n = 1
	}
	return n
}

// appendRev appends the revision suffix: one length byte 0xFF-n followed by
// the n significant big-endian bytes of rev, complemented. Higher revisions
// sort first (more bytes -> smaller length byte; same length -> complemented
// bytes compare inversely), so the latest version is the first key of a
// user key.
func appendRev(dst []byte, rev uint64) []byte {
	n := revLen(rev)
	dst = append(dst, byte(0xFF-n))
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, ^byte(rev>>(8*uint(i))))
	}
	return dst
}

// decodeRev decodes a revision suffix written by appendRev. Only the
// canonical (shortest) form of a revision >= 1 is accepted.
func decodeRev(s []byte) (uint64, error) {
	if len(s) < 2 {
		return 0, fmt.Errorf("%w: revision suffix of %d bytes", ErrCorrupt, len(s))
	}
	n := 0xFF - int(s[0])
	if n < 1 || n > 8 || len(s) != 1+n {
		return 0, fmt.Errorf("%w: revision suffix length byte %#x for %d bytes", ErrCorrupt, s[0], len(s))
	}
	if s[1] == 0xFF { // leading zero byte of rev: not canonical
		return 0, fmt.Errorf("%w: non-canonical revision suffix", ErrCorrupt)
	}
	var rev uint64
	for _, b := range s[1:] {
		rev = rev<<8 | uint64(^b)
	}
	return rev, nil
}

// splitKey is the Pebble Split function: the prefix of a version key ends
// right after the first 0x00 0x01 pair (the terminator; escaped user keys
// never contain that pair). Keys without it (metadata, bounds) are all
// prefix. Because the prefixes that end in a terminator are prefix-free,
// comparing prefixes bytewise and then suffixes bytewise is the same as
// comparing whole keys bytewise, which is what Pebble requires. It is
// exactly the first-terminator rule on every input (FuzzSplitKey,
// FuzzComparer).
//
// Pebble calls it many times per seek and once per key it writes, so it
// looks eight bytes at a time: 7–9 ns on a 30-byte string key, 12 ns on a
// zero-padded binary one (a byte search per 0x00 took 169 ns there, and
// was 12% of a batch load's CPU). Windows of 8 bytes advance by 7, so every
// adjacent pair of bytes lies inside one window; in a window, the pairs
// 0x00 0x01 are the bytes equal to 0x01 whose predecessor is 0x00, found
// with exact per-byte masks.
func splitKey(k []byte) int {
	j := 0
	for ; j+8 <= len(k); j += 7 {
		x := binary.LittleEndian.Uint64(k[j:])
		if m := (zeroBytes(x) << 8) & zeroBytes(x^0x0101010101010101); m != 0 {
			// m marks the 0x01 byte of the first pair (little-endian: the
			// lowest marked byte comes first in k).
			return j + bits.TrailingZeros64(m)/8 + 1
		}
	}
	for ; j+1 < len(k); j++ {
		if k[j] == 0 && k[j+1] == termByte {
			return j + 2
		}
	}
	return len(k)
}

// zeroBytes has the high bit of each byte of x that is 0x00 set, and no
// other bit: exact, unlike the borrow trick (x − 0x01…01) & ^x, because
// the low seven bits are summed without carries between bytes.
func zeroBytes(x uint64) uint64 {
	const low7 = 0x7F7F7F7F7F7F7F7F
	return ^((x&low7 + low7) | x | low7)
}

// immediateSuccessor appends the smallest prefix key greater than the
// prefix key a: for a terminated prefix, the same bytes with the terminator
// bumped (all of a's versions sort before it); otherwise a plus a zero byte.
func immediateSuccessor(dst, a []byte) []byte {
	if n := len(a); n >= 2 && a[n-2] == 0 && a[n-1] == termByte && splitKey(a) == n {
		dst = append(dst, a...)
		dst[len(dst)-1] = afterByte
		return dst
	}
	return append(append(dst, a...), 0)
}

// comparer orders keys bytewise (so the layout in doc.go is the order) and
// tells Pebble where the user key ends, for prefix bloom filters, prefix
// seeks and NextPrefix. Its name is stored by Pebble; changing the layout
// means changing the name.
var comparer = func() *pebble.Comparer {
	c := *pebble.DefaultComparer
	c.Split = splitKey
	c.ImmediateSuccessor = immediateSuccessor
	c.Name = "attestdb.index.v1"
	return &c
}()

// decodeVersionKey splits a stored version key into its encoded prefix and
// revision.
func decodeVersionKey(k []byte) (prefix []byte, rev uint64, err error) {
	p := splitKey(k)
	if len(k) == 0 || k[0] != nsVersion || p < 4 || p >= len(k) || k[p-2] != 0 {
		return nil, 0, fmt.Errorf("%w: malformed version key %x", ErrCorrupt, k)
	}
	rev, err = decodeRev(k[p:])
	if err != nil {
		return nil, 0, err
	}
	return k[:p], rev, nil
}

// appendUserKey appends the user key encoded in prefix (as returned by
// decodeVersionKey) to dst.
func appendUserKey(dst, prefix []byte) ([]byte, error) {
	if len(prefix) < 4 || prefix[0] != nsVersion || prefix[len(prefix)-2] != 0 || prefix[len(prefix)-1] != termByte {
		return dst, fmt.Errorf("%w: malformed key prefix %x", ErrCorrupt, prefix)
	}
	body := prefix[1 : len(prefix)-2]
	for len(body) > 0 {
		i := bytes.IndexByte(body, 0)
		if i < 0 {
			dst = append(dst, body...)
			break
		}
		if i+1 >= len(body) || body[i+1] != escByte {
			return dst, fmt.Errorf("%w: bad escape in key prefix %x", ErrCorrupt, prefix)
		}
		dst = append(dst, body[:i+1]...)
		body = body[i+2:]
	}
	return dst, nil
}

// Value layout: uvarint(TxID) followed by the payload.

func valueLen(tx uint64, payload []byte) int {
	return uvarintLen(tx) + len(payload)
}

func uvarintLen(x uint64) int {
	return (bits.Len64(x|1) + 6) / 7
}

// putValue writes the value into dst, which has exactly valueLen bytes.
func putValue(dst []byte, tx uint64, payload []byte) {
	n := binary.PutUvarint(dst, tx)
	copy(dst[n:], payload)
}

// decodeValue returns the tx id and the payload (aliasing v).
func decodeValue(v []byte) (uint64, []byte, error) {
	tx, n := binary.Uvarint(v)
	if n <= 0 || tx == 0 || n != uvarintLen(tx) {
		return 0, nil, fmt.Errorf("%w: malformed version value", ErrCorrupt)
	}
	return tx, v[n:], nil
}

// decodeWatermark decodes the value stored under watermarkKey.
func decodeWatermark(v []byte) (uint64, error) {
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: watermark of %d bytes", ErrCorrupt, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

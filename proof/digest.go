package proof

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"sync"
)

// EmptyHash is H(""): the prevAlh of tx 1, the state hash of an empty
// database and the root of an empty entries tree.
var EmptyHash = Sum(nil)

// Sum returns SHA-256 of b.
func Sum(b []byte) Hash { return sha256.Sum256(b) }

// Prefixes that separate leaves from inner nodes in both Merkle trees.
const (
	leafPrefix = 0x00
	nodePrefix = 0x01
)

// LeafHash is L(d) = H(0x00 ‖ d).
func LeafHash(d Hash) Hash {
	var b [1 + HashSize]byte
	b[0] = leafPrefix
	copy(b[1:], d[:])
	return sha256.Sum256(b[:])
}

// NodeHash is N(l, r) = H(0x01 ‖ l ‖ r).
func NodeHash(l, r Hash) Hash {
	var b [1 + 2*HashSize]byte
	b[0] = nodePrefix
	copy(b[1:], l[:])
	copy(b[1+HashSize:], r[:])
	return sha256.Sum256(b[:])
}

// maxStackKey is the longest store key hashed from a stack buffer; it is the
// server's key limit, so longer keys (legal only in the byte layout) take the
// slower pooled path.
const maxStackKey = 1024

// smallStackKey is the longest key hashed from the small stack buffer, which
// holds the keys most applications use.
const smallStackKey = 128

var hasherPool = sync.Pool{New: func() any { return sha256.New() }}

// EntryDigest is the digest of one tx entry (HASHING.md §2): for version 0
// H(key ‖ hValue), for version 1
// H(u16(len(md)) ‖ md ‖ u16(len(key)) ‖ key ‖ hValue). md is the encoded KV
// metadata (KVMetadata.Bytes), empty for none.
func EntryDigest(version int, key, md []byte, hValue Hash) (Hash, error) {
	if len(key) > 0xffff {
		return Hash{}, invalid("entry key of %d bytes", len(key))
	}
	switch version {
	case TxHeaderV0:
		if len(md) > 0 {
			return Hash{}, invalid("kv metadata in a version 0 tx")
		}
		if len(key) <= maxStackKey {
			var b [maxStackKey + HashSize]byte
			n := copy(b[:], key)
			n += copy(b[n:], hValue[:])
			return sha256.Sum256(b[:n]), nil
		}
		return pooledSum(nil, key, hValue), nil
	case TxHeaderV1:
		if len(md) > MaxKVMetadataLen {
			return Hash{}, invalid("kv metadata of %d bytes", len(md))
		}
		// Go zeroes a stack buffer where it is declared: the small one
		// costs a few words, the 1 KiB one ~30 ns per entry.
		if len(key) <= smallStackKey {
			var b [2 + MaxKVMetadataLen + 2 + smallStackKey + HashSize]byte
			return digestV1(b[:], key, md, hValue), nil
		}
		if len(key) <= maxStackKey {
			var b [2 + MaxKVMetadataLen + 2 + maxStackKey + HashSize]byte
			return digestV1(b[:], key, md, hValue), nil
		}
		var pre [2 + MaxKVMetadataLen + 2]byte
		binary.BigEndian.PutUint16(pre[0:], uint16(len(md)))
		n := 2 + copy(pre[2:], md)
		binary.BigEndian.PutUint16(pre[n:], uint16(len(key)))
		return pooledSum(pre[:n+2], key, hValue), nil
	default:
		return Hash{}, invalid("unknown tx header version %d", version)
	}
}

// digestV1 hashes the version 1 entry layout assembled in b, which is long
// enough for it.
func digestV1(b, key, md []byte, hValue Hash) Hash {
	binary.BigEndian.PutUint16(b[0:], uint16(len(md)))
	n := 2 + copy(b[2:], md)
	binary.BigEndian.PutUint16(b[n:], uint16(len(key)))
	n += 2
	n += copy(b[n:], key)
	n += copy(b[n:], hValue[:])
	return sha256.Sum256(b[:n])
}

// pooledSum hashes a ‖ b ‖ c with a pooled hasher (rare: oversize keys).
// c is passed by value so that only this slow path pays for its escape.
func pooledSum(a, b []byte, c Hash) Hash {
	h := hasherPool.Get().(hash.Hash)
	h.Reset()
	h.Write(a)
	h.Write(b)
	h.Write(c[:])
	var out Hash
	h.Sum(out[:0])
	hasherPool.Put(h)
	return out
}

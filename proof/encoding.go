package proof

import (
	"encoding/binary"
	"math"
)

// Key spaces: the first byte of a store key (HASHING.md §1.1).
const (
	PrefixKV   = 0x00 // plain keys, deletions, references
	PrefixZSet = 0x01 // sorted-set members
	PrefixSQL  = 0x02 // SQL engine rows and catalog
	PrefixDoc  = 0x03 // document engine
)

// Kinds of value in the plain key space: the first byte of a store value.
const (
	ValuePlain     = 0x00
	ValueReference = 0x01
)

// EncodeKVKey is the store key of a plain key: 0x00 ‖ key.
func EncodeKVKey(key []byte) []byte {
	return append(append(make([]byte, 0, 1+len(key)), PrefixKV), key...)
}

// DecodeKVKey strips the plain key-space prefix from a store key.
func DecodeKVKey(storeKey []byte) ([]byte, error) {
	if len(storeKey) == 0 || storeKey[0] != PrefixKV {
		return nil, malformed("not a plain store key")
	}
	return storeKey[1:], nil
}

// EncodePlainValue is the store value of a plain value: 0x00 ‖ v.
func EncodePlainValue(v []byte) []byte {
	return append(append(make([]byte, 0, 1+len(v)), ValuePlain), v...)
}

// EncodeReferenceValue is the store value of a reference to the user key
// refKey, bound at atTx (0 = unbound): 0x01 ‖ u64(atTx) ‖ 0x00 ‖ refKey.
func EncodeReferenceValue(atTx uint64, refKey []byte) []byte {
	b := make([]byte, 0, 1+8+1+len(refKey))
	b = append(b, ValueReference)
	b = binary.BigEndian.AppendUint64(b, atTx)
	b = append(b, PrefixKV)
	return append(b, refKey...)
}

// EncodeZAddKey is the store key of a sorted-set member:
// 0x01 ‖ u64(len(set)) ‖ set ‖ u64(float64bits(score)) ‖ u64(len(ek)) ‖ ek ‖ u64(atTx)
// with ek = 0x00 ‖ key.
func EncodeZAddKey(set []byte, score float64, key []byte, atTx uint64) []byte {
	b := make([]byte, 0, 1+8+len(set)+8+8+1+len(key)+8)
	b = append(b, PrefixZSet)
	b = binary.BigEndian.AppendUint64(b, uint64(len(set)))
	b = append(b, set...)
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(score))
	b = binary.BigEndian.AppendUint64(b, uint64(len(key)+1))
	b = append(b, PrefixKV)
	b = append(b, key...)
	return binary.BigEndian.AppendUint64(b, atTx)
}

// DecodeZAddKey splits a sorted-set store key; key is the member's user key
// (without its 0x00 prefix). The returned slices alias storeKey.
func DecodeZAddKey(storeKey []byte) (set, key []byte, score float64, atTx uint64, err error) {
	b := storeKey
	if len(b) < 1+8 || b[0] != PrefixZSet {
		return nil, nil, 0, 0, malformed("not a sorted-set store key")
	}
	b = b[1:]
	setLen := binary.BigEndian.Uint64(b)
	b = b[8:]
	if setLen > uint64(len(b)) {
		return nil, nil, 0, 0, malformed("sorted-set key: truncated set name")
	}
	set, b = b[:setLen], b[setLen:]
	if len(b) < 16 {
		return nil, nil, 0, 0, malformed("sorted-set key: truncated score")
	}
	score = math.Float64frombits(binary.BigEndian.Uint64(b))
	keyLen := binary.BigEndian.Uint64(b[8:])
	b = b[16:]
	if keyLen == 0 || keyLen > uint64(len(b)) || uint64(len(b))-keyLen != 8 {
		return nil, nil, 0, 0, malformed("sorted-set key: bad member length")
	}
	ek := b[:keyLen]
	if ek[0] != PrefixKV {
		return nil, nil, 0, 0, malformed("sorted-set key: member is not a plain key")
	}
	atTx = binary.BigEndian.Uint64(b[keyLen:])
	return set, ek[1:], score, atTx, nil
}

// KVValue is a decoded store value of the plain key space.
type KVValue struct {
	Kind   byte   // ValuePlain or ValueReference
	Value  []byte // the user value (ValuePlain)
	AtTx   uint64 // the bound tx, 0 = unbound (ValueReference)
	RefKey []byte // the referenced user key, without prefix (ValueReference)
}

// DecodeKVValue decodes a store value of the plain key space. An empty value
// (a deletion) is ErrMalformed: the caller knows from the KV metadata that
// the entry is deleted and must not decode it. Slices alias storeValue.
func DecodeKVValue(storeValue []byte) (KVValue, error) {
	if len(storeValue) == 0 {
		return KVValue{}, malformed("empty store value")
	}
	if storeValue[0] != ValueReference {
		// The server treats every non-reference first byte as the plain
		// prefix and drops it.
		return KVValue{Kind: ValuePlain, Value: storeValue[1:]}, nil
	}
	if len(storeValue) < 1+8+1 {
		return KVValue{}, malformed("reference value: truncated")
	}
	if storeValue[9] != PrefixKV {
		return KVValue{}, malformed("reference value: referenced key is not a plain key")
	}
	return KVValue{Kind: ValueReference, AtTx: binary.BigEndian.Uint64(storeValue[1:]), RefKey: storeValue[10:]}, nil
}

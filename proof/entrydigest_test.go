package proof

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"testing"
)

type jsonKVMetadata struct {
	Deleted    bool `json:"deleted"`
	Expiration *struct {
		ExpiresAt int64 `json:"expiresAt"`
	} `json:"expiration"`
	NonIndexable bool `json:"nonIndexable"`
}

func (j *jsonKVMetadata) md() KVMetadata {
	if j == nil {
		return KVMetadata{}
	}
	m := KVMetadata{Deleted: j.Deleted, NonIndexable: j.NonIndexable}
	if j.Expiration != nil {
		m.HasExpiry, m.ExpiresAt = true, j.Expiration.ExpiresAt
	}
	return m
}

type entryDigestCase struct {
	Name  string `json:"name"`
	Input struct {
		Op            string          `json:"op"`
		Key           hexBytes        `json:"key"`
		Value         hexBytes        `json:"value"`
		Metadata      *jsonKVMetadata `json:"metadata"`
		ReferencedKey hexBytes        `json:"referencedKey"`
		AtTx          uint64          `json:"atTx"`
		Set           hexBytes        `json:"set"`
		Score         json.RawMessage `json:"score"`
	} `json:"input"`
	StoreKey         hexBytes `json:"storeKey"`
	StoreValue       hexBytes `json:"storeValue"`
	KVMetadataBytes  hexBytes `json:"kvMetadataBytes"`
	VLen             int      `json:"vLen"`
	HValue           hexHash  `json:"hValue"`
	DigestV0Preimage hexBytes `json:"digestV0Preimage"`
	DigestV0         *hexHash `json:"digestV0"`
	DigestV1Preimage hexBytes `json:"digestV1Preimage"`
	DigestV1         hexHash  `json:"digestV1"`
}

func TestEntryDigestVectors(t *testing.T) {
	var f struct {
		Cases []entryDigestCase `json:"cases"`
	}
	loadVectors(t, "entry_digests.json", &f)
	if len(f.Cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range f.Cases {
		t.Run(c.Name, func(t *testing.T) {
			in := c.Input
			var key, value []byte
			var md KVMetadata
			switch in.Op {
			case "set", "set (synthetic)":
				key, value, md = EncodeKVKey(in.Key), EncodePlainValue(in.Value), in.Metadata.md()
			case "delete":
				key, value, md = EncodeKVKey(in.Key), []byte{}, KVMetadata{Deleted: true}
			case "setReference":
				key, value = EncodeKVKey(in.Key), EncodeReferenceValue(in.AtTx, in.ReferencedKey)
			case "zAdd":
				var score float64
				var s string
				if json.Unmarshal(in.Score, &s) == nil {
					if s != "+Inf" {
						t.Fatalf("score %q", s)
					}
					score = math.Inf(1)
				} else if err := json.Unmarshal(in.Score, &score); err != nil {
					t.Fatal(err)
				}
				key, value = EncodeZAddKey(in.Set, score, in.Key, in.AtTx), []byte{}
				set, k, sc, at, err := DecodeZAddKey(key)
				if err != nil || !bytes.Equal(set, in.Set) || !bytes.Equal(k, in.Key) || sc != score || at != in.AtTx {
					t.Fatalf("DecodeZAddKey round trip: %x %x %v %d %v", set, k, sc, at, err)
				}
			default:
				t.Fatalf("unknown op %q", in.Op)
			}
			if !bytes.Equal(key, c.StoreKey) {
				t.Fatalf("store key %x, want %x", key, c.StoreKey)
			}
			if !bytes.Equal(value, c.StoreValue) || len(value) != c.VLen {
				t.Fatalf("store value %x, want %x (vLen %d)", value, c.StoreValue, c.VLen)
			}
			mdb := md.Bytes()
			if !bytes.Equal(mdb, c.KVMetadataBytes) {
				t.Fatalf("metadata %x, want %x", mdb, c.KVMetadataBytes)
			}
			back, err := ParseKVMetadata(mdb)
			if err != nil || back != md {
				t.Fatalf("ParseKVMetadata: %+v %v", back, err)
			}
			if Sum(value) != Hash(c.HValue) {
				t.Fatal("hValue")
			}
			if Sum(c.DigestV1Preimage) != Hash(c.DigestV1) {
				t.Fatal("vector preimage v1 inconsistent")
			}
			d1, err := EntryDigest(TxHeaderV1, key, mdb, Sum(value))
			if err != nil || d1 != Hash(c.DigestV1) {
				t.Fatalf("digest v1 %x (%v), want %x", d1, err, c.DigestV1)
			}
			d0, err := EntryDigest(TxHeaderV0, key, mdb, Sum(value))
			if c.DigestV0 == nil {
				if !errors.Is(err, ErrInvalidArgument) {
					t.Fatalf("v0 digest with metadata: err %v", err)
				}
			} else if err != nil || d0 != Hash(*c.DigestV0) || Sum(c.DigestV0Preimage) != d0 {
				t.Fatalf("digest v0 %x (%v), want %x", d0, err, *c.DigestV0)
			}
			if in.Op == "setReference" {
				v, err := DecodeKVValue(value)
				if err != nil || v.Kind != ValueReference || v.AtTx != in.AtTx || !bytes.Equal(v.RefKey, in.ReferencedKey) {
					t.Fatalf("DecodeKVValue %+v %v", v, err)
				}
			}
		})
	}
}

func TestEntryDigestLongKey(t *testing.T) {
	// Keys beyond the stack buffer take the pooled path; both must agree
	// with the formula.
	for _, n := range []int{maxStackKey - 1, maxStackKey, maxStackKey + 1, 5000} {
		key := bytes.Repeat([]byte{7}, n)
		hv := Sum([]byte("v"))
		md := KVMetadata{Deleted: true}.Bytes()
		d1, err := EntryDigest(1, key, md, hv)
		if err != nil {
			t.Fatal(err)
		}
		pre := []byte{0, 1, 0}
		pre = append(pre, byte(n>>8), byte(n))
		pre = append(append(pre, key...), hv[:]...)
		if d1 != Sum(pre) {
			t.Fatalf("v1 len %d", n)
		}
		d0, err := EntryDigest(0, key, nil, hv)
		if err != nil || d0 != Sum(append(append([]byte{}, key...), hv[:]...)) {
			t.Fatalf("v0 len %d", n)
		}
	}
	if _, err := EntryDigest(2, nil, nil, Hash{}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal("version 2 accepted")
	}
	if _, err := EntryDigest(1, make([]byte, 70000), nil, Hash{}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal("oversize key accepted")
	}
	if _, err := EntryDigest(1, nil, make([]byte, 12), Hash{}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal("oversize metadata accepted")
	}
}

func TestHashingDoesNotAllocate(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 64)
	md := []byte{0}
	var h Hash
	hdr := &TxHeader{ID: 9, Version: 1, NEntries: 3, Metadata: TxMetadata{TruncatedUptoTx: 3, Extra: []byte("xy")}}
	digests := make([]Hash, 1000)
	scratch := make([]Hash, 1000)
	cases := map[string]func(){
		"LeafHash":       func() { h = LeafHash(h) },
		"NodeHash":       func() { h = NodeHash(h, h) },
		"EntryDigest v1": func() { h, _ = EntryDigest(1, key, md, h) },
		"EntryDigest v0": func() { h, _ = EntryDigest(0, key, nil, h) },
		"HTreeRootInto":  func() { h = HTreeRootInto(scratch, digests) },
		"Alh":            func() { h, _ = hdr.Alh() },
	}
	for name, f := range cases {
		if a := testing.AllocsPerRun(50, f); a != 0 {
			t.Errorf("%s: %v allocs per run", name, a)
		}
	}
}

func TestKVMetadataParseStrict(t *testing.T) {
	bad := [][]byte{
		{0, 0},                               // repeated
		{2, 0},                               // out of order
		{1, 0, 0},                            // truncated expiresAt
		{3},                                  // unknown code
		{0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 2, 2}, // repeated nonIndexable
	}
	for _, b := range bad {
		if _, err := ParseKVMetadata(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%x: err %v", b, err)
		}
	}
	m, err := ParseKVMetadata([]byte{0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 2})
	if err != nil || m != (KVMetadata{Deleted: true, HasExpiry: true, ExpiresAt: 1, NonIndexable: true}) {
		t.Fatalf("%+v %v", m, err)
	}
	if (KVMetadata{}).Bytes() != nil || !(KVMetadata{}).IsZero() {
		t.Fatal("zero metadata")
	}
	if got := (KVMetadata{HasExpiry: true}).Bytes(); !bytes.Equal(got, []byte{1, 0, 0, 0, 0, 0, 0, 0, 0}) {
		t.Fatalf("expiresAt 0 must be present: %x", got)
	}
}

func TestTxMetadataParseStrict(t *testing.T) {
	bad := [][]byte{
		{0, 0, 0, 0, 0, 0, 0, 0, 0}, // truncatedUptoTx 0
		{0, 0, 0, 0, 0, 0, 0, 0},    // truncated
		{1, 0, 0},                   // empty extra
		{1, 0, 2, 'a'},              // truncated extra
		{1, 1, 1},                   // extra of 257
		{1, 0, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 0, 1}, // out of order
		{2}, // unknown
	}
	for _, b := range bad {
		if _, err := ParseTxMetadata(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%x: err %v", b, err)
		}
	}
	m := TxMetadata{TruncatedUptoTx: 5, Extra: bytes.Repeat([]byte{9}, MaxTxExtraLen)}
	b := m.Bytes()
	if len(b) != MaxTxMetadataLen {
		t.Fatalf("max metadata is %d bytes", len(b))
	}
	back, err := ParseTxMetadata(b)
	if err != nil || back.TruncatedUptoTx != 5 || !bytes.Equal(back.Extra, m.Extra) {
		t.Fatalf("%+v %v", back, err)
	}
	if err := (TxMetadata{Extra: make([]byte, 257)}).Validate(); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal("extra of 257 validated")
	}
}

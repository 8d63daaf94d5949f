package proof

import (
	"encoding/binary"
	"testing"
)

func benchLeaves(n int) []Hash {
	out := make([]Hash, n)
	for i := range out {
		binary.BigEndian.PutUint64(out[i][:], uint64(i))
		out[i] = Sum(out[i][:])
	}
	return out
}

func BenchmarkEntryDigestV1(b *testing.B) {
	key := EncodeKVKey([]byte("some-user-key-0001"))
	md := KVMetadata{HasExpiry: true, ExpiresAt: 4102444800}.Bytes()
	hv := Sum([]byte("value"))
	b.ReportAllocs()
	for b.Loop() {
		hv, _ = EntryDigest(TxHeaderV1, key, md, hv)
	}
}

func BenchmarkEntryDigestV0(b *testing.B) {
	key := EncodeKVKey([]byte("some-user-key-0001"))
	hv := Sum([]byte("value"))
	b.ReportAllocs()
	for b.Loop() {
		hv, _ = EntryDigest(TxHeaderV0, key, nil, hv)
	}
}

func benchHTree(b *testing.B, n int) {
	d := benchLeaves(n)
	scratch := make([]Hash, n)
	b.ReportAllocs()
	for b.Loop() {
		_ = HTreeRootInto(scratch, d)
	}
}

func BenchmarkHTreeRoot1(b *testing.B)    { benchHTree(b, 1) }
func BenchmarkHTreeRoot1000(b *testing.B) { benchHTree(b, 1000) }

func BenchmarkHTreeInclusionProof1000(b *testing.B) {
	d := benchLeaves(1000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_, _ = HTreeInclusionProof(d, i%1000)
		i += 7
	}
}

func BenchmarkTxHeaderAlh(b *testing.B) {
	h := &TxHeader{ID: 12345, PrevAlh: Sum(nil), Ts: 1700000000, Version: 1, NEntries: 10,
		Eh: Sum([]byte("eh")), BlTxID: 12344, BlRoot: Sum([]byte("bl"))}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = h.Alh()
	}
}

func BenchmarkAHTAppend(b *testing.B) {
	tree := must(OpenAHT(NewMemNodeStore()))
	alh := Sum(nil)
	b.ReportAllocs()
	for b.Loop() {
		alh, _ = tree.Append(alh)
	}
}

// benchTree is an AHT of 2^16+3 leaves (not a power of two, so proofs
// combine several peaks).
func benchTree(b *testing.B) (*AHT, []Hash) {
	leaves := benchLeaves(1<<16 + 3)
	tree := must(OpenAHT(NewMemNodeStore()))
	for _, l := range leaves {
		must(tree.Append(l))
	}
	return tree, leaves
}

func BenchmarkAHTInclusionProof(b *testing.B) {
	tree, _ := benchTree(b)
	n := tree.Size()
	b.ReportAllocs()
	i := uint64(0)
	for b.Loop() {
		_, _ = tree.InclusionProof(1+i%n, n)
		i += 7919
	}
}

func BenchmarkAHTConsistencyProof(b *testing.B) {
	tree, _ := benchTree(b)
	n := tree.Size()
	b.ReportAllocs()
	i := uint64(0)
	for b.Loop() {
		_, _ = tree.ConsistencyProof(1+i%n, n)
		i += 7919
	}
}

func BenchmarkVerifyInclusion(b *testing.B) {
	tree, leaves := benchTree(b)
	n := tree.Size()
	p := must(tree.InclusionProof(12345, n))
	root := must(tree.Root())
	leaf := LeafHash(leaves[12344])
	b.ReportAllocs()
	for b.Loop() {
		if VerifyInclusion(p, 12345, n, leaf, root) != nil {
			b.Fatal("verify")
		}
	}
}

func BenchmarkVerifyConsistency(b *testing.B) {
	tree, _ := benchTree(b)
	n := tree.Size()
	p := must(tree.ConsistencyProof(12345, n))
	ri, rj := must(tree.RootAt(12345)), must(tree.Root())
	b.ReportAllocs()
	for b.Loop() {
		if VerifyConsistency(p, 12345, n, ri, rj) != nil {
			b.Fatal("verify")
		}
	}
}

// benchLedger is a synchronously linked chain of n headers.
func benchLedger(b *testing.B, n int) *MemLedger {
	l := must(NewMemLedger(nil))
	prev := EmptyHash
	for id := uint64(1); id <= uint64(n); id++ {
		h := &TxHeader{ID: id, PrevAlh: prev, Ts: int64(id), Version: 1, NEntries: 1, Eh: Sum([]byte{byte(id)}), BlTxID: id - 1}
		if id > 1 {
			h.BlRoot = must(l.Tree().RootAt(id - 1))
		}
		if err := l.Append(h); err != nil {
			b.Fatal(err)
		}
		prev = must(h.Alh())
	}
	return l
}

func BenchmarkBuildDualProof(b *testing.B) {
	l := benchLedger(b, 10000)
	src, dst := must(l.Header(1234)), must(l.Header(9999))
	b.ReportAllocs()
	for b.Loop() {
		_, _ = BuildDualProof(l, src, dst)
	}
}

func BenchmarkVerifyDualProof(b *testing.B) {
	l := benchLedger(b, 10000)
	p := must(BuildDualProof(l, must(l.Header(1234)), must(l.Header(9999))))
	sa, ta := must(l.Alh(1234)), must(l.Alh(9999))
	b.ReportAllocs()
	for b.Loop() {
		if VerifyDualProof(p, 1234, 9999, sa, ta) != nil {
			b.Fatal("verify")
		}
	}
}

func BenchmarkBuildHTree1000(b *testing.B) {
	d := benchLeaves(1000)
	b.ReportAllocs()
	for b.Loop() {
		_ = BuildHTree(d)
	}
}

func BenchmarkHTreeLevelsProof1000(b *testing.B) {
	tree := BuildHTree(benchLeaves(1000))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_, _ = tree.InclusionProof(i % 1000)
		i += 7
	}
}

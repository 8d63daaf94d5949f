package proof

import (
	"errors"
	"fmt"
	"testing"
)

type htreeProofVec struct {
	Leaf             int       `json:"leaf"`
	Width            int       `json:"width"`
	EntryDigest      hexHash   `json:"entryDigest"`
	LeafHash         hexHash   `json:"leafHash"`
	Terms            []hexHash `json:"terms"`
	ExpectedVerified bool      `json:"expected_verified"`
}

type htreeVec struct {
	TxID    uint64          `json:"txId"`
	Eh      *hexHash        `json:"eh"`
	Width   int             `json:"width"`
	Digests []hexHash       `json:"digests"`
	Root    hexHash         `json:"root"`
	Proofs  []htreeProofVec `json:"proofs"`
}

func TestHTreeVectors(t *testing.T) {
	var f struct {
		FromChain []htreeVec `json:"fromChain"`
		Synthetic struct {
			Trees         []htreeVec `json:"trees"`
			EmptyTreeRoot hexHash    `json:"emptyTreeRoot"`
		} `json:"synthetic"`
	}
	loadVectors(t, "htree_proofs.json", &f)
	if HTreeRoot(nil) != Hash(f.Synthetic.EmptyTreeRoot) || EmptyHash != Hash(f.Synthetic.EmptyTreeRoot) {
		t.Fatal("empty tree root")
	}
	trees := append(append([]htreeVec{}, f.FromChain...), f.Synthetic.Trees...)
	if len(trees) != 18 {
		t.Fatalf("%d trees", len(trees))
	}
	checked := 0
	for ti, tr := range trees {
		t.Run(fmt.Sprintf("tree%d-tx%d-width%d", ti, tr.TxID, tr.Width), func(t *testing.T) {
			digests := hashes(tr.Digests)
			if len(digests) != tr.Width {
				t.Fatalf("width %d, %d digests", tr.Width, len(digests))
			}
			root := HTreeRoot(digests)
			if root != Hash(tr.Root) || (tr.Eh != nil && root != Hash(*tr.Eh)) {
				t.Fatalf("root %x, want %x", root, tr.Root)
			}
			for _, p := range tr.Proofs {
				checked++
				if digests[p.Leaf] != Hash(p.EntryDigest) || LeafHash(digests[p.Leaf]) != Hash(p.LeafHash) {
					t.Fatalf("leaf %d: digest/leafHash", p.Leaf)
				}
				got, err := HTreeInclusionProof(digests, p.Leaf)
				if err != nil {
					t.Fatal(err)
				}
				want := InclusionProof{Leaf: p.Leaf, Width: p.Width, Terms: hashes(p.Terms)}
				if got.Leaf != want.Leaf || got.Width != want.Width || !equalHashes(got.Terms, want.Terms) {
					t.Fatalf("leaf %d: proof %x, want %x", p.Leaf, got.Terms, want.Terms)
				}
				err = VerifyHTreeInclusion(want, Hash(p.EntryDigest), root)
				if (err == nil) != p.ExpectedVerified {
					t.Fatalf("leaf %d: verify %v, expected %v", p.Leaf, err, p.ExpectedVerified)
				}
				checkHTreeTampered(t, want, Hash(p.EntryDigest), root)
			}
		})
	}
	if checked != 74 {
		t.Fatalf("%d proofs checked", checked)
	}
}

// checkHTreeTampered asserts that every single change of a valid proof is
// rejected with a VerificationError.
func checkHTreeTampered(t *testing.T, p InclusionProof, digest, root Hash) {
	t.Helper()
	reject := func(what string, p InclusionProof, digest, root Hash) {
		err := VerifyHTreeInclusion(p, digest, root)
		var ve *VerificationError
		if !errors.Is(err, ErrVerificationFailed) || !errors.As(err, &ve) {
			t.Fatalf("leaf %d/%d %s: err %v", p.Leaf, p.Width, what, err)
		}
	}
	flip := func(h Hash) Hash { h[3] ^= 1; return h }
	reject("digest", p, flip(digest), root)
	reject("root", p, digest, flip(root))
	for i := range p.Terms {
		q := p
		q.Terms = append([]Hash{}, p.Terms...)
		q.Terms[i] = flip(q.Terms[i])
		reject("term", q, digest, root)
	}
	if len(p.Terms) > 0 {
		q := p
		q.Terms = p.Terms[:len(p.Terms)-1]
		reject("short", q, digest, root)
	}
	q := p
	q.Terms = append(append([]Hash{}, p.Terms...), root)
	reject("long", q, digest, root)
	for _, leaf := range []int{p.Leaf - 1, p.Leaf + 1, -1, p.Width} {
		q := p
		q.Leaf = leaf
		reject("leaf", q, digest, root)
	}
}

func equalHashes(a, b []Hash) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// refMTH is a straightforward recursive RFC 6962 Merkle Tree Hash over leaf
// data, the reference the optimised code is compared with.
func refMTH(d []Hash) Hash {
	switch len(d) {
	case 0:
		return EmptyHash
	case 1:
		return LeafHash(d[0])
	}
	k := int(largestPow2Below(uint64(len(d))))
	return NodeHash(refMTH(d[:k]), refMTH(d[k:]))
}

// refPath is RFC 6962 PATH(m, D), bottom-up.
func refPath(m int, d []Hash) []Hash {
	if len(d) <= 1 {
		return nil
	}
	k := int(largestPow2Below(uint64(len(d))))
	if m < k {
		return append(refPath(m, d[:k]), refMTH(d[k:]))
	}
	return append(refPath(m-k, d[k:]), refMTH(d[:k]))
}

func TestHTreeAgainstReference(t *testing.T) {
	var digests []Hash
	for n := 0; n <= 70; n++ {
		if refMTH(digests) != HTreeRoot(digests) {
			t.Fatalf("root of %d", n)
		}
		for m := 0; m < n; m++ {
			p, err := HTreeInclusionProof(digests, m)
			if err != nil || !equalHashes(p.Terms, refPath(m, digests)) {
				t.Fatalf("path %d of %d", m, n)
			}
			if err := VerifyHTreeInclusion(p, digests[m], refMTH(digests)); err != nil {
				t.Fatalf("verify %d of %d: %v", m, n, err)
			}
		}
		tree := BuildHTree(digests)
		if tree.Root() != refMTH(digests) || tree.Width() != n {
			t.Fatalf("HTree root of %d", n)
		}
		for m := 0; m < n; m++ {
			p, err := tree.InclusionProof(m)
			if err != nil || !equalHashes(p.Terms, refPath(m, digests)) || p.Leaf != m || p.Width != n {
				t.Fatalf("HTree path %d of %d", m, n)
			}
		}
		if _, err := tree.InclusionProof(n); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("HTree leaf %d of %d accepted", n, n)
		}
		if _, err := HTreeInclusionProof(digests, n); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("leaf %d of %d accepted", n, n)
		}
		digests = append(digests, Sum([]byte(fmt.Sprint("d", n))))
	}
}

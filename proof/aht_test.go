package proof

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

type ahtTreeVec struct {
	Size       uint64    `json:"size"`
	LeafData   []hexHash `json:"leafData"`
	LeafHashes []hexHash `json:"leafHashes"`
	Roots      []struct {
		Size uint64  `json:"size"`
		Root hexHash `json:"root"`
	} `json:"roots"`
	InclusionProofs []struct {
		I, J             uint64
		LeafData         hexHash   `json:"leafData"`
		LeafHash         hexHash   `json:"leafHash"`
		Terms            []hexHash `json:"terms"`
		RootJ            hexHash   `json:"rootJ"`
		ExpectedVerified bool      `json:"expected_verified"`
	} `json:"inclusionProofs"`
	ConsistencyProofs []struct {
		I, J             uint64
		Terms            []hexHash `json:"terms"`
		RootI            hexHash   `json:"rootI"`
		RootJ            hexHash   `json:"rootJ"`
		ExpectedVerified bool      `json:"expected_verified"`
	} `json:"consistencyProofs"`
	NegativeCases []struct {
		Kind             string `json:"kind"`
		I, J             uint64
		LeafHash         hexHash   `json:"leafHash"`
		Terms            []hexHash `json:"terms"`
		RootI            hexHash   `json:"rootI"`
		RootJ            hexHash   `json:"rootJ"`
		ExpectedVerified bool      `json:"expected_verified"`
	} `json:"negativeCases"`
}

func buildAHT(t testing.TB, leaves []Hash) *AHT {
	t.Helper()
	tree, err := OpenAHT(NewMemNodeStore())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range leaves {
		if _, err := tree.Append(l); err != nil {
			t.Fatal(err)
		}
	}
	return tree
}

func TestAHTVectors(t *testing.T) {
	var f struct {
		MainChain   ahtTreeVec `json:"mainChain"`
		Synthetic70 ahtTreeVec `json:"synthetic70"`
	}
	loadVectors(t, "aht_proofs.json", &f)
	chain := loadChain(t, "tx_chain.json")
	for name, v := range map[string]ahtTreeVec{"mainChain": f.MainChain, "synthetic70": f.Synthetic70} {
		t.Run(name, func(t *testing.T) {
			leaves := hashes(v.LeafData)
			if uint64(len(leaves)) != v.Size || len(v.LeafHashes) != len(leaves) {
				t.Fatalf("size %d, %d leaves", v.Size, len(leaves))
			}
			if name == "mainChain" {
				for k := range leaves {
					if leaves[k] != Hash(chain[k].Alh) {
						t.Fatalf("leaf %d is not the Alh of tx %d", k, k+1)
					}
				}
			} else {
				for k := range leaves {
					if leaves[k] != Sum([]byte(fmt.Sprintf("aht-leaf-%d", k+1))) {
						t.Fatalf("synthetic leaf %d", k)
					}
				}
			}
			tree := buildAHT(t, leaves)
			for k, l := range leaves {
				if LeafHash(l) != Hash(v.LeafHashes[k]) {
					t.Fatalf("leaf hash %d", k)
				}
			}
			for _, r := range v.Roots {
				if got := must(tree.RootAt(r.Size)); got != Hash(r.Root) {
					t.Fatalf("root(%d) = %x, want %x", r.Size, got, r.Root)
				}
			}
			if r := must(tree.Root()); r != must(tree.RootAt(v.Size)) {
				t.Fatal("Root != RootAt(size)")
			}
			for _, p := range v.InclusionProofs {
				terms := hashes(p.Terms)
				if Hash(p.LeafHash) != LeafHash(Hash(p.LeafData)) || Hash(p.RootJ) != must(tree.RootAt(p.J)) {
					t.Fatalf("incl(%d,%d): vector leaf/root", p.I, p.J)
				}
				got := must(tree.InclusionProof(p.I, p.J))
				if !equalHashes(got, terms) {
					t.Fatalf("incl(%d,%d) = %x, want %x", p.I, p.J, got, terms)
				}
				err := VerifyInclusion(terms, p.I, p.J, Hash(p.LeafHash), Hash(p.RootJ))
				if (err == nil) != p.ExpectedVerified {
					t.Fatalf("incl(%d,%d): %v", p.I, p.J, err)
				}
				if p.I == p.J {
					if err := VerifyLastInclusion(terms, p.I, Hash(p.LeafHash), Hash(p.RootJ)); err != nil {
						t.Fatalf("last incl(%d): %v", p.I, err)
					}
				}
				checkInclusionTampered(t, terms, p.I, p.J, Hash(p.LeafHash), Hash(p.RootJ))
			}
			for _, p := range v.ConsistencyProofs {
				terms := hashes(p.Terms)
				if Hash(p.RootI) != must(tree.RootAt(p.I)) || Hash(p.RootJ) != must(tree.RootAt(p.J)) {
					t.Fatalf("cons(%d,%d): vector roots", p.I, p.J)
				}
				got := must(tree.ConsistencyProof(p.I, p.J))
				if !equalHashes(got, terms) {
					t.Fatalf("cons(%d,%d) = %x, want %x", p.I, p.J, got, terms)
				}
				err := VerifyConsistency(terms, p.I, p.J, Hash(p.RootI), Hash(p.RootJ))
				if (err == nil) != p.ExpectedVerified {
					t.Fatalf("cons(%d,%d): %v", p.I, p.J, err)
				}
				checkConsistencyTampered(t, terms, p.I, p.J, Hash(p.RootI), Hash(p.RootJ))
			}
			if len(v.NegativeCases) == 0 {
				t.Fatal("no negative cases")
			}
			for _, n := range v.NegativeCases {
				var err error
				switch n.Kind {
				case "inclusion":
					err = VerifyInclusion(hashes(n.Terms), n.I, n.J, Hash(n.LeafHash), Hash(n.RootJ))
				case "consistency":
					err = VerifyConsistency(hashes(n.Terms), n.I, n.J, Hash(n.RootI), Hash(n.RootJ))
				default:
					t.Fatalf("kind %q", n.Kind)
				}
				if n.ExpectedVerified || !errors.Is(err, ErrVerificationFailed) {
					t.Fatalf("negative %s(%d,%d): err %v", n.Kind, n.I, n.J, err)
				}
			}
		})
	}
}

func flipHash(h Hash) Hash { h[7] ^= 0x40; return h }

func checkInclusionTampered(t *testing.T, terms []Hash, i, j uint64, leaf, root Hash) {
	t.Helper()
	if VerifyInclusion(terms, i, j, flipHash(leaf), root) == nil ||
		VerifyInclusion(terms, i, j, leaf, flipHash(root)) == nil ||
		VerifyInclusion(terms, 0, j, leaf, root) == nil ||
		VerifyInclusion(terms, j+1, j, leaf, root) == nil {
		t.Fatalf("incl(%d,%d): tampered input accepted", i, j)
	}
	for k := range terms {
		bad := append([]Hash{}, terms...)
		bad[k] = flipHash(bad[k])
		if VerifyInclusion(bad, i, j, leaf, root) == nil {
			t.Fatalf("incl(%d,%d): flipped term %d accepted", i, j, k)
		}
	}
	if i < j && VerifyInclusion(nil, i, j, leaf, root) == nil {
		t.Fatalf("incl(%d,%d): empty proof accepted", i, j)
	}
}

func checkConsistencyTampered(t *testing.T, terms []Hash, i, j uint64, ri, rj Hash) {
	t.Helper()
	if VerifyConsistency(terms, i, j, flipHash(ri), rj) == nil ||
		VerifyConsistency(terms, i, j, ri, flipHash(rj)) == nil ||
		VerifyConsistency(terms, 0, j, ri, rj) == nil ||
		VerifyConsistency(terms, j+1, j, ri, rj) == nil {
		t.Fatalf("cons(%d,%d): tampered input accepted", i, j)
	}
	for k := range terms {
		bad := append([]Hash{}, terms...)
		bad[k] = flipHash(bad[k])
		if VerifyConsistency(bad, i, j, ri, rj) == nil {
			t.Fatalf("cons(%d,%d): flipped term %d accepted", i, j, k)
		}
	}
}

// refConsistency is RFC 6962 PROOF(m, D) plus immudb's two differences,
// written recursively from the definition.
func refConsistency(m int, d []Hash) []Hash {
	n := len(d)
	if m == n {
		if n == 1 {
			return nil
		}
		k := int(largestPow2Below(uint64(n)))
		return []Hash{refMTH(d[k:]), refMTH(d[:k])}
	}
	var sub func(m int, d []Hash, b bool) []Hash
	sub = func(m int, d []Hash, b bool) []Hash {
		if m == len(d) {
			if b {
				return nil
			}
			return []Hash{refMTH(d)}
		}
		k := int(largestPow2Below(uint64(len(d))))
		if m <= k {
			return append(sub(m, d[:k], b), refMTH(d[k:]))
		}
		return append(sub(m-k, d[k:], false), refMTH(d[:k]))
	}
	p := sub(m, d, true)
	if m&(m-1) == 0 {
		p = append([]Hash{refMTH(d[:m])}, p...)
	}
	return p
}

func TestAHTAgainstReference(t *testing.T) {
	const max = 130
	leaves := make([]Hash, max)
	for k := range leaves {
		leaves[k] = Sum([]byte(fmt.Sprint("leaf", k)))
	}
	store := NewMemNodeStore()
	tree := must(OpenAHT(store))
	for n := 1; n <= max; n++ {
		root := must(tree.Append(leaves[n-1]))
		if root != refMTH(leaves[:n]) {
			t.Fatalf("root after %d appends", n)
		}
		if store.Count() != nodeCount(uint64(n)) {
			t.Fatalf("%d nodes stored for %d leaves", store.Count(), n)
		}
	}
	// Reopening from the store gives the same tree.
	reopened := must(OpenAHT(store))
	if reopened.Size() != max || must(reopened.Root()) != must(tree.Root()) {
		t.Fatal("reopen")
	}
	for j := 1; j <= max; j++ {
		rootJ := refMTH(leaves[:j])
		if must(reopened.RootAt(uint64(j))) != rootJ {
			t.Fatalf("RootAt(%d)", j)
		}
		for i := 1; i <= j; i++ {
			if i%5 != 0 && j%7 != 0 && i > 3 && j-i > 3 && j < max-3 {
				continue // sample the middle, cover all edges
			}
			incl := must(reopened.InclusionProof(uint64(i), uint64(j)))
			if !equalHashes(incl, refPath(i-1, leaves[:j])) {
				t.Fatalf("incl(%d,%d)", i, j)
			}
			if err := VerifyInclusion(incl, uint64(i), uint64(j), LeafHash(leaves[i-1]), rootJ); err != nil {
				t.Fatalf("verify incl(%d,%d): %v", i, j, err)
			}
			if i == j {
				if err := VerifyLastInclusion(incl, uint64(i), LeafHash(leaves[i-1]), rootJ); err != nil {
					t.Fatalf("verify last incl(%d): %v", i, err)
				}
			}
			cons := must(reopened.ConsistencyProof(uint64(i), uint64(j)))
			if !equalHashes(cons, refConsistency(i, leaves[:j])) {
				t.Fatalf("cons(%d,%d) = %d terms, want %d", i, j, len(cons), len(refConsistency(i, leaves[:j])))
			}
			rootI := refMTH(leaves[:i])
			if err := VerifyConsistency(cons, uint64(i), uint64(j), rootI, rootJ); err != nil {
				t.Fatalf("verify cons(%d,%d): %v", i, j, err)
			}
			if i < j && VerifyConsistency(cons, uint64(i), uint64(j), rootI, refMTH(leaves[:j-1])) == nil {
				t.Fatalf("cons(%d,%d) verified against root(%d)", i, j, j-1)
			}
		}
	}
}

func TestAHTErrors(t *testing.T) {
	empty := must(OpenAHT(NewMemNodeStore()))
	if _, err := empty.Root(); !errors.Is(err, ErrEmptyTree) {
		t.Fatalf("Root of empty: %v", err)
	}
	if _, err := empty.RootAt(0); !errors.Is(err, ErrEmptyTree) {
		t.Fatalf("RootAt(0) of empty: %v", err)
	}
	tree := buildAHT(t, []Hash{{1}, {2}, {3}})
	for _, c := range [][2]uint64{{0, 1}, {2, 1}, {1, 4}, {0, 0}} {
		if _, err := tree.InclusionProof(c[0], c[1]); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("incl%v: %v", c, err)
		}
		if _, err := tree.ConsistencyProof(c[0], c[1]); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("cons%v: %v", c, err)
		}
	}
	if _, err := tree.RootAt(4); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("RootAt beyond size: %v", err)
	}
	// A store holding a count no tree can have is refused.
	s := NewMemNodeStore()
	s.AppendNodes(make([]Hash, 2)) // 1 leaf = 1 node, 2 leaves = 3 nodes
	if _, err := OpenAHT(s); !errors.Is(err, ErrCorruptStore) {
		t.Fatalf("open with 2 nodes: %v", err)
	}
	if _, err := OpenAHT(nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal("nil store")
	}
}

// failingStore fails appends after a number of calls.
type failingStore struct {
	*MemNodeStore
	left int
}

func (f *failingStore) AppendNodes(n []Hash) error {
	if f.left == 0 {
		return errors.New("disk full")
	}
	f.left--
	return f.MemNodeStore.AppendNodes(n)
}

func TestAHTAppendFailure(t *testing.T) {
	tree := must(OpenAHT(&failingStore{MemNodeStore: NewMemNodeStore(), left: 2}))
	must(tree.Append(Hash{1}))
	must(tree.Append(Hash{2}))
	if _, err := tree.Append(Hash{3}); err == nil {
		t.Fatal("append on a failing store succeeded")
	}
	if _, err := tree.Append(Hash{4}); err == nil {
		t.Fatal("tree still appends after a store failure")
	}
	if tree.Size() != 2 {
		t.Fatalf("size %d", tree.Size())
	}
}

func TestNodePos(t *testing.T) {
	// Positions follow the append order exactly.
	pos := uint64(0)
	for m := uint64(0); m < 300; m++ {
		if NodePos(0, m) != pos {
			t.Fatalf("leaf %d at %d, want %d", m, NodePos(0, m), pos)
		}
		pos++
		for l := uint(1); (m+1)%(1<<l) == 0; l++ {
			if NodePos(l, (m+1)>>l-1) != pos {
				t.Fatalf("node (%d,%d)", l, (m+1)>>l-1)
			}
			pos++
		}
		if pos != nodeCount(m+1) {
			t.Fatalf("count after leaf %d", m)
		}
		if n, ok := leavesForCount(pos); !ok || n != m+1 {
			t.Fatalf("leavesForCount(%d) = %d %v", pos, n, ok)
		}
	}
}

func TestAHTConcurrentReaders(t *testing.T) {
	const n = 300
	leaves := make([]Hash, n)
	for k := range leaves {
		leaves[k] = Sum([]byte{byte(k), byte(k >> 8)})
	}
	roots := make([]Hash, n+1)
	for k := 1; k <= n; k++ {
		roots[k] = refMTH(leaves[:k])
	}
	tree := must(OpenAHT(NewMemNodeStore()))
	must(tree.Append(leaves[0]))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			for iter := 0; iter < 400; iter++ {
				size := tree.Size()
				j := 1 + uint64(iter*7+r)%size
				i := 1 + uint64(iter*3)%j
				root, err := tree.RootAt(j)
				if err != nil || root != roots[j] {
					errs <- fmt.Errorf("RootAt(%d): %v", j, err)
					return
				}
				p, err := tree.InclusionProof(i, j)
				if err == nil {
					err = VerifyInclusion(p, i, j, LeafHash(leaves[i-1]), root)
				}
				if err != nil {
					errs <- err
					return
				}
				c, err := tree.ConsistencyProof(i, j)
				if err == nil {
					err = VerifyConsistency(c, i, j, roots[i], root)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}(r)
	}
	for _, l := range leaves[1:] {
		if _, err := tree.Append(l); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestAHTAppendAllocs(t *testing.T) {
	// MemNodeStore grows its slice; the tree itself must not allocate.
	store := &nullStore{}
	tree := must(OpenAHT(store))
	var h Hash
	if a := testing.AllocsPerRun(1000, func() { h, _ = tree.Append(h) }); a != 0 {
		t.Fatalf("%v allocs per append", a)
	}
}

// nullStore counts nodes without keeping them.
type nullStore struct{ n uint64 }

func (s *nullStore) ReadNode(uint64) (Hash, error) { return Hash{}, nil }
func (s *nullStore) AppendNodes(n []Hash) error    { s.n += uint64(len(n)); return nil }
func (s *nullStore) Count() uint64                 { return s.n }

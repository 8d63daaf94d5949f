package proof

import "fmt"

// VerifyInclusion checks incl(i, j): that leafHash is leaf i of the tree of
// size j whose root is rootJ (HASHING.md §5.4). The number of terms is not
// checked, exactly like the reference client.
func VerifyInclusion(proof []Hash, i, j uint64, leafHash, rootJ Hash) error {
	if i == 0 || i > j {
		return failCheck(fmt.Sprintf("aht inclusion: leaf %d outside a tree of size %d", i, j))
	}
	if i < j && len(proof) == 0 {
		return failCheck(fmt.Sprintf("aht inclusion: empty proof for leaf %d of %d", i, j))
	}
	a, b := i-1, j-1
	c := leafHash
	for _, h := range proof {
		if a%2 == 0 && a != b {
			c = NodeHash(c, h)
		} else {
			c = NodeHash(h, c)
		}
		a >>= 1
		b >>= 1
	}
	if c != rootJ {
		return mismatch("aht inclusion: root", rootJ, c)
	}
	return nil
}

// VerifyLastInclusion checks incl(i, i): that leafHash is the last leaf of
// the tree of size i whose root is root; every term is a left sibling.
func VerifyLastInclusion(proof []Hash, i uint64, leafHash, root Hash) error {
	if i == 0 {
		return failCheck("aht last inclusion: empty tree")
	}
	c := leafHash
	for _, h := range proof {
		c = NodeHash(h, c)
	}
	if c != root {
		return mismatch("aht last inclusion: root", root, c)
	}
	return nil
}

// VerifyConsistency checks cons(i, j): that the tree of size i with root
// rootI is a prefix of the tree of size j with root rootJ (HASHING.md §5.4).
func VerifyConsistency(proof []Hash, i, j uint64, rootI, rootJ Hash) error {
	if i == 0 || i > j {
		return failCheck(fmt.Sprintf("aht consistency: sizes out of order (%d to %d)", i, j))
	}
	if i < j && len(proof) == 0 {
		return failCheck(fmt.Sprintf("aht consistency: empty proof from size %d to %d", i, j))
	}
	if i == j && len(proof) == 0 {
		if rootI != rootJ {
			return mismatch("aht consistency: equal sizes", rootJ, rootI)
		}
		return nil
	}
	fn, sn := i-1, j-1
	for fn%2 == 1 {
		fn >>= 1
		sn >>= 1
	}
	ci, cj := proof[0], proof[0]
	for _, h := range proof[1:] {
		if fn%2 == 1 || fn == sn {
			ci = NodeHash(h, ci)
			cj = NodeHash(h, cj)
			for fn%2 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			cj = NodeHash(cj, h)
		}
		fn >>= 1
		sn >>= 1
	}
	if ci != rootI {
		return mismatch("aht consistency: old root", rootI, ci)
	}
	if cj != rootJ {
		return mismatch("aht consistency: new root", rootJ, cj)
	}
	return nil
}

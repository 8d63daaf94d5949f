package proof

import (
	"fmt"
	"sync"
)

// MemLedger is an in-memory Ledger built from a chain of headers: it keeps
// every header, its inner hash and Alh, and the AHT of the Alhs. Tests use
// it to rebuild reference proofs; small tools may use it too. It is safe for
// one appender concurrent with readers.
type MemLedger struct {
	mu      sync.RWMutex
	headers []*TxHeader
	inner   []Hash
	alhs    []Hash
	tree    *AHT
}

// NewMemLedger returns a ledger holding headers, which must be the chain
// from tx 1 on (see Append).
func NewMemLedger(headers []*TxHeader) (*MemLedger, error) {
	tree, err := OpenAHT(NewMemNodeStore())
	if err != nil {
		return nil, err
	}
	l := &MemLedger{tree: tree}
	for _, h := range headers {
		if err := l.Append(h); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// Append adds the next tx. Its id must follow the last one, its prevAlh must
// be the last Alh (EmptyHash for tx 1) and its blRoot must be the AHT root
// at its blTxId: a chain that does not link is refused.
func (l *MemLedger) Append(h *TxHeader) error {
	if h == nil {
		return invalid("nil header")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	n := uint64(len(l.headers))
	if h.ID != n+1 {
		return invalid("ledger: tx %d appended after tx %d", h.ID, n)
	}
	prev := EmptyHash
	if n > 0 {
		prev = l.alhs[n-1]
	}
	if h.PrevAlh != prev {
		return fmt.Errorf("%w: ledger: tx %d prevAlh does not match tx %d", ErrVerificationFailed, h.ID, n)
	}
	if h.BlTxID > n {
		return invalid("ledger: tx %d blTxId %d", h.ID, h.BlTxID)
	}
	var blRoot Hash
	if h.BlTxID > 0 {
		r, err := l.tree.RootAt(h.BlTxID)
		if err != nil {
			return err
		}
		blRoot = r
	}
	if blRoot != h.BlRoot {
		return fmt.Errorf("%w: ledger: tx %d blRoot is not the tree root at %d", ErrVerificationFailed, h.ID, h.BlTxID)
	}
	inner, err := h.InnerHash()
	if err != nil {
		return err
	}
	alh := AlhFrom(h.ID, h.PrevAlh, inner)
	if _, err := l.tree.Append(alh); err != nil {
		return err
	}
	hc := *h
	l.headers = append(l.headers, &hc)
	l.inner = append(l.inner, inner)
	l.alhs = append(l.alhs, alh)
	return nil
}

// Len is the number of txs.
func (l *MemLedger) Len() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return uint64(len(l.headers))
}

func (l *MemLedger) index(id uint64) (int, error) {
	if id == 0 || id > uint64(len(l.headers)) {
		return 0, invalid("tx %d not in the ledger of %d txs", id, len(l.headers))
	}
	return int(id - 1), nil
}

// Header returns a copy of the header of tx id.
func (l *MemLedger) Header(id uint64) (*TxHeader, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	i, err := l.index(id)
	if err != nil {
		return nil, err
	}
	h := *l.headers[i]
	return &h, nil
}

// Alh implements Ledger.
func (l *MemLedger) Alh(id uint64) (Hash, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	i, err := l.index(id)
	if err != nil {
		return Hash{}, err
	}
	return l.alhs[i], nil
}

// InnerHash implements Ledger.
func (l *MemLedger) InnerHash(id uint64) (Hash, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	i, err := l.index(id)
	if err != nil {
		return Hash{}, err
	}
	return l.inner[i], nil
}

// TreeInclusionProof implements Ledger.
func (l *MemLedger) TreeInclusionProof(i, j uint64) ([]Hash, error) {
	return l.tree.InclusionProof(i, j)
}

// TreeConsistencyProof implements Ledger.
func (l *MemLedger) TreeConsistencyProof(i, j uint64) ([]Hash, error) {
	return l.tree.ConsistencyProof(i, j)
}

// Tree returns the ledger's AHT (for roots and direct proofs).
func (l *MemLedger) Tree() *AHT { return l.tree }

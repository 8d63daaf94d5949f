package store

import (
	"crypto/sha256"
	"fmt"

	"github.com/attestdb/attestdb/proof"
)

// VerifyIntegrity re-reads txs from..to (inclusive, 1 ≤ from ≤ to ≤ last
// committed) from disk and recomputes everything: record checksums, entry
// digests and eh, innerHash, the Alh chain, the tx index entries, blRoot
// against the tree, and every tree node the range completed. It returns
// the first mismatch, wrapping ErrCorruptedData.
func (s *Store) VerifyIntegrity(from, to uint64) error {
	last := s.committed.Load()
	if from == 0 || from > to || to > last {
		return fmt.Errorf("%w: verify range [%d, %d] with %d txs committed", ErrIllegalArguments, from, to, last)
	}
	prevAlh := proof.EmptyHash
	if from > 1 {
		e, err := s.entryOf(from - 1)
		if err != nil {
			return err
		}
		prevAlh = e.Alh
	}
	aht := s.aht.Load()
	var ents []recordEntry
	var digests, scratch []proof.Hash
	var nextPos uint64
	for id := from; id <= to; id++ {
		rec, e, err := s.readRecord(id)
		if err != nil {
			return err
		}
		if id > from && e.Pos != nextPos {
			if seg, off := splitPos(e.Pos); off != 0 || seg != uint32(nextPos>>segShift)+1 {
				return fmt.Errorf("%w: tx %d is not where the previous record ends", ErrCorruptedData, id)
			}
		}
		nextPos = e.Pos + uint64(e.Len)
		hdr, hlen, es, err := decodeRecord(rec, ents[:0])
		ents = es
		if err != nil {
			return fmt.Errorf("tx %d: %w", id, err)
		}
		if hdr.ID != id {
			return fmt.Errorf("%w: record of tx %d holds tx %d", ErrCorruptedData, id, hdr.ID)
		}
		if hdr.PrevAlh != prevAlh {
			return fmt.Errorf("%w: tx %d prevAlh does not chain", ErrCorruptedData, id)
		}
		if hdr.NEntries != len(ents) {
			return fmt.Errorf("%w: tx %d has %d entries, header says %d", ErrCorruptedData, id, len(ents), hdr.NEntries)
		}
		digests = digests[:0]
		for i, re := range ents {
			if _, err := proof.ParseKVMetadata(re.Md); err != nil {
				return fmt.Errorf("%w: tx %d entry %d metadata: %v", ErrCorruptedData, id, i, err)
			}
			d, err := proof.EntryDigest(hdr.Version, re.Key, re.Md, sha256.Sum256(re.Value))
			if err != nil {
				return fmt.Errorf("%w: tx %d entry %d: %v", ErrCorruptedData, id, i, err)
			}
			digests = append(digests, d)
		}
		if cap(scratch) < len(digests) {
			scratch = make([]proof.Hash, len(digests))
		}
		if eh := proof.HTreeRootInto(scratch[:cap(scratch)], digests); eh != hdr.Eh {
			return fmt.Errorf("%w: tx %d eh mismatch", ErrCorruptedData, id)
		}
		if hdr.BlTxID >= id {
			return fmt.Errorf("%w: tx %d blTxId %d", ErrCorruptedData, id, hdr.BlTxID)
		}
		if hdr.BlTxID == 0 {
			if hdr.BlRoot != (proof.Hash{}) {
				return fmt.Errorf("%w: tx %d blRoot without blTxId", ErrCorruptedData, id)
			}
		} else if root, err := aht.RootAt(hdr.BlTxID); err != nil || root != hdr.BlRoot {
			return fmt.Errorf("%w: tx %d blRoot does not match the tree (%v)", ErrCorruptedData, id, err)
		}
		inner := sha256.Sum256(rec[frameLen+8+proof.HashSize : frameLen+hlen])
		alh := proof.AlhFrom(id, prevAlh, inner)
		if alh != e.Alh {
			return fmt.Errorf("%w: tx %d alh differs from the tx index", ErrCorruptedData, id)
		}
		if err := s.verifyNodes(id, alh); err != nil {
			return err
		}
		prevAlh = alh
	}
	return nil
}

// verifyNodes checks the tree leaf of tx id and every node it completes.
func (s *Store) verifyNodes(id uint64, alh proof.Hash) error {
	leaf, err := s.nodes.ReadNode(proof.NodePos(0, id-1))
	if err != nil {
		return err
	}
	if leaf != proof.LeafHash(alh) {
		return fmt.Errorf("%w: tree leaf of tx %d", ErrCorruptedData, id)
	}
	h := leaf
	for l := uint(1); id%(uint64(1)<<l) == 0; l++ {
		k := id>>l - 1
		left, err := s.nodes.ReadNode(proof.NodePos(l-1, 2*k))
		if err != nil {
			return err
		}
		want := proof.NodeHash(left, h)
		got, err := s.nodes.ReadNode(proof.NodePos(l, k))
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("%w: tree node (%d, %d) completed by tx %d", ErrCorruptedData, l, k, id)
		}
		h = got
	}
	return nil
}

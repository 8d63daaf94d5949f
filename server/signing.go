package server

import (
	"crypto/ecdsa"
	"errors"
	"fmt"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/proof"
)

// errBadHeader: a header from the database layer that cannot be hashed,
// which would make the signature meaningless.
var errBadHeader = errors.New("cannot sign: malformed tx header")

// signState fills st.Signature when the server has a signing key
// (HASHING.md §10) and the database layer did not sign already. st.Db must
// already be set.
func (s *Server) signState(st *schema.ImmutableState) error {
	if s.signer == nil || st == nil || st.Signature != nil {
		return nil
	}
	sig, pub, err := proof.SignState(s.signer, st.Db, st.TxId, st.TxHash)
	if err != nil {
		return fmt.Errorf("signing state: %w", err)
	}
	st.Signature = &schema.Signature{Signature: sig, PublicKey: pub}
	return nil
}

// signVerifiableTx signs (db, T.id, Alh(T)) with T the dual proof's target
// header, into vtx.Signature, unless the database layer signed already.
func (s *Server) signVerifiableTx(db string, vtx *schema.VerifiableTx) error {
	if s.signer == nil || vtx == nil || vtx.Signature != nil || vtx.DualProof == nil || vtx.DualProof.TargetTxHeader == nil {
		return nil
	}
	t := vtx.DualProof.TargetTxHeader
	alh, err := headerAlh(t)
	if err != nil {
		return err
	}
	sig, pub, err := proof.SignState(s.signer, db, t.Id, alh[:])
	if err != nil {
		return fmt.Errorf("signing state: %w", err)
	}
	vtx.Signature = &schema.Signature{Signature: sig, PublicKey: pub}
	return nil
}

// headerAlh computes Alh from a proto header (HASHING.md §4).
func headerAlh(h *schema.TxHeader) (proof.Hash, error) {
	ph := proof.TxHeader{
		ID:       h.Id,
		Ts:       h.Ts,
		Version:  int(h.Version),
		NEntries: int(h.Nentries),
		BlTxID:   h.BlTxId,
	}
	if err := copyHash(&ph.PrevAlh, h.PrevAlh); err != nil {
		return proof.Hash{}, err
	}
	if err := copyHash(&ph.Eh, h.EH); err != nil {
		return proof.Hash{}, err
	}
	if len(h.BlRoot) > 0 {
		if err := copyHash(&ph.BlRoot, h.BlRoot); err != nil {
			return proof.Hash{}, err
		}
	}
	if md := h.Metadata; md != nil {
		ph.Metadata = proof.TxMetadata{TruncatedUptoTx: md.TruncatedTxID, Extra: md.Extra}
	}
	alh, err := ph.Alh()
	if err != nil {
		return proof.Hash{}, fmt.Errorf("%w: %w", errBadHeader, err)
	}
	return alh, nil
}

func copyHash(dst *proof.Hash, b []byte) error {
	if len(b) != len(dst) {
		return fmt.Errorf("%w: hash of %d bytes", errBadHeader, len(b))
	}
	copy(dst[:], b)
	return nil
}

// stateSigner signs states with the server key for the database layer
// (database.Signer), so that every database signs with the same key.
type stateSigner struct{ key *ecdsa.PrivateKey }

// SignState signs (db, txID, txHash) as HASHING.md §10 says.
func (k stateSigner) SignState(db string, txID uint64, txHash []byte) (*schema.Signature, error) {
	sig, pub, err := proof.SignState(k.key, db, txID, txHash)
	if err != nil {
		return nil, fmt.Errorf("signing state: %w", err)
	}
	return &schema.Signature{Signature: sig, PublicKey: pub}, nil
}

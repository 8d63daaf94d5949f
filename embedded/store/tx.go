package store

import (
	"fmt"

	"github.com/attestdb/attestdb/proof"
)

// Entry is one key/value of a transaction to commit. Keys and values are
// store-level bytes (the database layer adds its prefixes).
type Entry struct {
	Key      []byte
	Metadata proof.KVMetadata
	Value    []byte
}

// PreconditionKind selects what a Precondition checks.
type PreconditionKind int

const (
	// MustExist: the key has a live (not deleted, not expired) version.
	MustExist PreconditionKind = iota + 1
	// MustNotExist: the key has no live version.
	MustNotExist
	// NotModifiedAfter: the latest version of the key (if any) was written by
	// a tx ≤ TxID.
	NotModifiedAfter
)

// Precondition is checked atomically with the commit of its tx.
type Precondition struct {
	Kind PreconditionKind
	Key  []byte
	TxID uint64 // for NotModifiedAfter
}

func (p Precondition) String() string {
	switch p.Kind {
	case MustExist:
		return fmt.Sprintf("key %q must exist", p.Key)
	case MustNotExist:
		return fmt.Sprintf("key %q must not exist", p.Key)
	case NotModifiedAfter:
		return fmt.Sprintf("key %q must not be modified after tx %d", p.Key, p.TxID)
	}
	return fmt.Sprintf("unknown precondition %d", p.Kind)
}

// TxRequest is a transaction to commit.
type TxRequest struct {
	Entries       []Entry
	Metadata      proof.TxMetadata
	Preconditions []Precondition

	replay *proof.TxHeader // see ReplicateTx
}

// Tx is a committed transaction as read back from the log.
type Tx struct {
	Header  *proof.TxHeader
	Entries []TxEntry
}

// TxEntry is one entry of a committed tx. Value is nil when the tx was read
// without values.
type TxEntry struct {
	Key      []byte
	Metadata proof.KVMetadata
	MdBytes  []byte
	Value    []byte
	HValue   proof.Hash
	VLen     int
}

// Digests returns the entry digests of tx (the leaves of its entries tree).
func (tx *Tx) Digests() ([]proof.Hash, error) {
	ds := make([]proof.Hash, len(tx.Entries))
	for i := range tx.Entries {
		d, err := proof.EntryDigest(tx.Header.Version, tx.Entries[i].Key, tx.Entries[i].MdBytes, tx.Entries[i].HValue)
		if err != nil {
			return nil, err
		}
		ds[i] = d
	}
	return ds, nil
}

// IndexOf returns the index of the entry with key, or -1.
func (tx *Tx) IndexOf(key []byte) int {
	for i := range tx.Entries {
		if string(tx.Entries[i].Key) == string(key) {
			return i
		}
	}
	return -1
}

// InclusionProof proves that entry i belongs to the tx (against Header.Eh).
func (tx *Tx) InclusionProof(i int) (proof.InclusionProof, error) {
	ds, err := tx.Digests()
	if err != nil {
		return proof.InclusionProof{}, err
	}
	return proof.HTreeInclusionProof(ds, i)
}

package proof

// This file fixes the nouns every other layer (engine, server, client) is
// written against. The functions that work on them live in one file per
// concept (digest.go, htree.go, header.go, aht.go, linear.go, dual.go,
// signature.go, encoding.go).

// HashSize is the size of every digest in the protocol (SHA-256).
const HashSize = 32

// Hash is a SHA-256 digest. It is an array so that it can be compared with ==
// and kept in structs without an extra allocation.
type Hash [HashSize]byte

// Header versions understood by the protocol.
const (
	TxHeaderV0 = 0 // no tx metadata, at most 65535 entries, digest H(key ‖ hValue)
	TxHeaderV1 = 1 // tx metadata allowed, digest covers KV metadata; written by default
)

// Limits that come from the byte layouts themselves (not configurable).
const (
	MaxKVMetadataLen = 11  // deleted + expiresAt + nonIndexable
	MaxTxMetadataLen = 268 // truncatedUptoTx + extra of 256 bytes
	MaxTxExtraLen    = 256
	MaxV0Entries     = 65535
)

// KVMetadata is the per-entry metadata of HASHING.md §1.3. The zero value
// means "no metadata" and encodes to zero bytes.
type KVMetadata struct {
	Deleted      bool
	HasExpiry    bool  // an expiresAt attribute is present (even with value 0)
	ExpiresAt    int64 // unix seconds; meaningful only when HasExpiry
	NonIndexable bool
}

// TxMetadata is the per-transaction metadata of HASHING.md §1.4 (header
// version 1 only). The zero value means "no metadata".
type TxMetadata struct {
	TruncatedUptoTx uint64 // attribute present iff > 0
	Extra           []byte // attribute present iff non-empty; at most 256 bytes
}

// TxHeader is the hashed header of a transaction (HASHING.md §4).
type TxHeader struct {
	ID       uint64
	PrevAlh  Hash
	Ts       int64 // unix seconds
	Version  int
	Metadata TxMetadata
	NEntries int
	Eh       Hash   // root of the entries tree
	BlTxID   uint64 // size of the binary-linking tree that BlRoot commits to
	BlRoot   Hash   // zero when BlTxID == 0
}

// InclusionProof is the proof that one entry belongs to a transaction's
// entries tree (proto InclusionProof{leaf, width, terms}); terms bottom-up.
type InclusionProof struct {
	Leaf  int
	Width int
	Terms []Hash
}

// LinearProof chains Alh(Source) to Alh(Target) (HASHING.md §6.1).
type LinearProof struct {
	SourceTxID uint64
	TargetTxID uint64
	Terms      []Hash // [Alh(s), innerHash(s+1), …, innerHash(t)]
}

// LinearAdvanceProof shows that the linear chain between two tree sizes is
// contained in the newer binary-linking tree (HASHING.md §6.2).
type LinearAdvanceProof struct {
	LinearProofTerms []Hash
	InclusionProofs  [][]Hash
}

// DualProof proves that the history up to Source is a prefix of the history
// up to Target (HASHING.md §7). LinearAdvanceProof is nil when not needed.
type DualProof struct {
	SourceTxHeader     *TxHeader
	TargetTxHeader     *TxHeader
	InclusionProof     []Hash
	ConsistencyProof   []Hash
	TargetBlTxAlh      Hash
	LastInclusionProof []Hash
	LinearProof        *LinearProof
	LinearAdvanceProof *LinearAdvanceProof
}

// DualProofV2 is the simpler proof used by the document API (HASHING.md §7.3).
type DualProofV2 struct {
	SourceTxHeader   *TxHeader
	TargetTxHeader   *TxHeader
	InclusionProof   []Hash
	ConsistencyProof []Hash
}

// Ledger is what proof generation needs from whoever stores the history:
// per-tx hashes and the binary-linking tree. The engine implements it from
// disk; tests implement it in memory.
type Ledger interface {
	// Alh returns the accumulated linear hash of tx id (id ≥ 1).
	Alh(id uint64) (Hash, error)
	// InnerHash returns the inner hash of the header of tx id (id ≥ 1).
	InnerHash(id uint64) (Hash, error)
	// TreeInclusionProof is incl(i, j) of HASHING.md §5.2 over the tree of Alhs.
	TreeInclusionProof(i, j uint64) ([]Hash, error)
	// TreeConsistencyProof is cons(i, j) of HASHING.md §5.3.
	TreeConsistencyProof(i, j uint64) ([]Hash, error)
}

// NodeStore persists the binary-linking tree (AHT). The tree keeps the hash of
// every complete subtree in post-order (leaf, then each node the leaf
// completes, lowest first), so node (level l, index k) — the subtree over
// leaves [k·2^l, (k+1)·2^l) — sits at position NodePos(l, k) and the store
// only ever appends. Implementations: memory (tests) and files (engine).
type NodeStore interface {
	// ReadNode returns the hash at position pos (0-based, < Count()).
	ReadNode(pos uint64) (Hash, error)
	// AppendNodes appends hashes at the end, in order.
	AppendNodes(nodes []Hash) error
	// Count is the number of hashes stored.
	Count() uint64
}

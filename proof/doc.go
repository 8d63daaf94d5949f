// Package proof implements every hash, byte encoding and proof of the
// immudb v1.11 protocol, byte for byte (see HASHING.md in the shared
// protocol notes): entry digests, the per-transaction entries tree (htree),
// transaction headers with their inner hash and accumulated linear hash
// (Alh), the appendable binary-linking tree (AHT) with its inclusion and
// consistency proofs, linear, linear-advance and dual proofs, the export
// format, the database-layer key/value encodings and the signed state.
//
// Files: digest.go (H, L, N, entry digests), metadata.go (KV and tx
// metadata), encoding.go (database-layer keys and values), htree.go and
// htree_levels.go (entries tree), header.go (header bytes, innerHash, Alh),
// aht.go and ahtverify.go (binary-linking tree), linear.go, dual.go,
// memledger.go (an in-memory Ledger), export.go, signature.go, errors.go.
//
// It depends on the standard library only, so the engine, the server and the
// client SDK can all import it.
//
// Invariants:
//   - Hashing on the commit path (LeafHash, NodeHash, EntryDigest for keys up
//     to 1024 bytes, HTreeRootInto, TxHeader.InnerHash/Alh, AHT.Append) does
//     not allocate per entry.
//   - Decoders are strict: anything that would not re-encode to the same
//     bytes is rejected with an error wrapping ErrMalformed. No input makes a
//     function of this package panic.
//   - Verifiers accept every proof the reference client accepts from an
//     honest server and reject some forgeries it misses (see
//     VerifyDualProof); they never loop or allocate by an attacker's count.
//   - Verifiers return nil or an error wrapping ErrVerificationFailed; where
//     a comparison of two values failed the error is a *VerificationError
//     carrying both.
//
// Locking: the functions are pure and safe for concurrent use. AHT allows one
// appender together with any number of concurrent readers asking about sizes
// up to Size(); MemNodeStore and MemLedger are safe for the same pattern.
package proof

package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/proof"
)

// verifiedFunc runs one verified call against the trusted state st (never
// nil) and returns the state proven by the answer.
type verifiedFunc func(st *schema.ImmutableState) (*schema.ImmutableState, error)

// withTrustedState is the frame of every Verified* call (API.md §4): pin
// the server identity, lock the state of the current server, load the
// trusted state (or trust the server's current state on first use), run
// fn, check the signature of the new state and store it. The stored state
// moves only after fn verified its proof; on any error it is untouched.
func (c *Client) withTrustedState(ctx context.Context, fn verifiedFunc) error {
	c.mu.RLock()
	uuid, db, closed := c.serverUUID, c.db, c.closed
	c.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	if uuid == "" {
		return ErrNoServerUUID
	}
	if err := c.store.CheckIdentity(uuid, c.opts.identityAddress()); err != nil {
		return err
	}
	unlock, err := c.store.Lock(uuid)
	if err != nil {
		return err
	}
	defer unlock()

	st, err := c.store.Get(uuid, db)
	if err != nil {
		return err
	}
	if st == nil {
		if st, err = c.CurrentState(ctx); err != nil {
			return err
		}
		st = &schema.ImmutableState{Db: db, TxId: st.GetTxId(), TxHash: st.GetTxHash(), Signature: st.GetSignature()}
		if len(st.GetTxHash()) != proof.HashSize {
			return corrupted(fmt.Sprintf("server state hash of %d bytes", len(st.GetTxHash())), nil)
		}
		// Trusted on first use (its signature was checked): kept at once, like
		// immudb's client, so the next call proves from it.
		if err := c.store.Set(uuid, st); err != nil {
			return err
		}
	}
	if len(st.GetTxHash()) != proof.HashSize {
		return fmt.Errorf("%w: trusted state of %q has a %d-byte hash", ErrStateCorrupt, db, len(st.GetTxHash()))
	}

	next, err := fn(st)
	if err != nil {
		if errors.Is(err, ErrIllegalState) {
			return c.explainIllegalState(ctx, st, err)
		}
		return err
	}
	next.Db = db
	if err := c.checkSignature(next); err != nil {
		return err
	}
	if next.GetTxId() == st.GetTxId() && bytes.Equal(next.GetTxHash(), st.GetTxHash()) {
		return nil
	}
	if next.GetTxId() < st.GetTxId() {
		return fmt.Errorf("%w: proof would move the state back from tx %d to %d", ErrCorruptedData, st.GetTxId(), next.GetTxId())
	}
	return c.store.Set(uuid, next)
}

// explainIllegalState turns the server's "illegal state" (proveSinceTx
// beyond its last tx) into ErrServerStateIsOlder when the server is indeed
// behind the trusted state.
func (c *Client) explainIllegalState(ctx context.Context, st *schema.ImmutableState, cause error) error {
	cur, err := c.svc.CurrentState(ctx, &emptypb.Empty{})
	if err != nil {
		return cause
	}
	if cur.GetTxId() < st.GetTxId() {
		return fmt.Errorf("%w: server at tx %d, client trusts tx %d: %w", ErrServerStateIsOlder, cur.GetTxId(), st.GetTxId(), cause)
	}
	return cause
}

// checkSignature verifies the state signature when a key is configured.
// The configured key is used; the key sent with the signature is ignored.
func (c *Client) checkSignature(st *schema.ImmutableState) error {
	k := c.opts.ServerSigningPubKey
	if k == nil {
		return nil
	}
	sig := st.GetSignature()
	if sig == nil || len(sig.GetSignature()) == 0 {
		return fmt.Errorf("%w: %w", ErrCorruptedData, ErrNoSignature)
	}
	if err := proof.VerifyStateSignature(k, st.GetDb(), st.GetTxId(), st.GetTxHash(), sig.GetSignature()); err != nil {
		return corrupted("unable to verify signature", err)
	}
	return nil
}

// CurrentState returns the server's state of the current database, with
// its signature checked when a key is configured.
func (c *Client) CurrentState(ctx context.Context) (*schema.ImmutableState, error) {
	st, err := c.svc.CurrentState(ctx, &emptypb.Empty{})
	if err != nil {
		return nil, wrapRPC(err)
	}
	if err := c.checkSignature(st); err != nil {
		return nil, err
	}
	return st, nil
}

// TrustedState returns the local trusted state of the current database
// (nil when there is none).
func (c *Client) TrustedState() (*schema.ImmutableState, error) {
	c.mu.RLock()
	uuid, db := c.serverUUID, c.db
	c.mu.RUnlock()
	if uuid == "" {
		return nil, ErrNoServerUUID
	}
	st, err := c.store.Get(uuid, db)
	if st != nil {
		st = proto.Clone(st).(*schema.ImmutableState)
	}
	return st, err
}

// verifyDual checks that tx s (Alh alhS) is in the history of tx t (alhT),
// first fetching the linear-advance proof from a legacy server that did not
// send it (HASHING.md §7.2).
func (c *Client) verifyDual(ctx context.Context, dp *proof.DualProof, s, t uint64, alhS, alhT proof.Hash) error {
	if dp.LinearAdvanceProof == nil && dp.SourceTxHeader != nil && dp.TargetTxHeader != nil {
		start := dp.SourceTxHeader.BlTxID
		end := min(s, dp.TargetTxHeader.BlTxID)
		if end > start+1 {
			lap, err := c.fetchLinearAdvance(ctx, start, end, t)
			if err != nil {
				return err
			}
			dp.LinearAdvanceProof = lap
		}
	}
	if err := proof.VerifyDualProof(dp, s, t, alhS, alhT); err != nil {
		return corrupted("dual proof", err)
	}
	return nil
}

// fetchLinearAdvance rebuilds LinearAdvanceProof(start, end, T.blTxId) from
// ordinary dual proofs: the inclusion proof of each tx start+1 … end−1 in
// the target's tree and the linear chain from start+1 to end. Whatever the
// server sends is checked by VerifyDualProof afterwards.
func (c *Client) fetchLinearAdvance(ctx context.Context, start, end, target uint64) (*proof.LinearAdvanceProof, error) {
	spec := &schema.EntriesSpec{KvEntriesSpec: &schema.EntryTypeSpec{Action: schema.EntryTypeAction_EXCLUDE}}
	lap := &proof.LinearAdvanceProof{}
	for k := start + 1; k < end; k++ {
		vtx, err := c.svc.VerifiableTxById(ctx, &schema.VerifiableTxRequest{Tx: target, ProveSinceTx: k, EntriesSpec: spec})
		if err != nil {
			return nil, fmt.Errorf("fetch linear advance proof: %w", wrapRPC(err))
		}
		terms, err := toHashes(vtx.GetDualProof().GetInclusionProof(), "inclusion proof term")
		if err != nil {
			return nil, err
		}
		lap.InclusionProofs = append(lap.InclusionProofs, terms)
	}
	vtx, err := c.svc.VerifiableTxById(ctx, &schema.VerifiableTxRequest{Tx: end, ProveSinceTx: start + 1, EntriesSpec: spec})
	if err != nil {
		return nil, fmt.Errorf("fetch linear advance proof: %w", wrapRPC(err))
	}
	if lap.LinearProofTerms, err = toHashes(vtx.GetDualProof().GetLinearProof().GetTerms(), "linear proof term"); err != nil {
		return nil, err
	}
	return lap, nil
}

// stateHash is the trusted Alh of st.
func stateHash(st *schema.ImmutableState) (proof.Hash, error) {
	var h proof.Hash
	if len(st.GetTxHash()) != proof.HashSize {
		return h, fmt.Errorf("%w: trusted hash of %d bytes", ErrStateCorrupt, len(st.GetTxHash()))
	}
	copy(h[:], st.GetTxHash())
	return h, nil
}

// sides picks source and target of a proof about tx vTx given the trusted
// state (HASHING.md §9): the older of the two is the source. It returns the
// header of vTx's side too.
type proofSides struct {
	s, t       uint64
	alhS, alhT proof.Hash
	vHeader    *proof.TxHeader // header of tx vTx in the proof
}

func pickSides(dp *proof.DualProof, st *schema.ImmutableState, vTx uint64) (proofSides, error) {
	var ps proofSides
	stAlh, err := stateHash(st)
	if err != nil {
		return ps, err
	}
	if st.GetTxId() <= vTx {
		h := dp.TargetTxHeader
		if h.ID != vTx {
			return ps, corrupted(fmt.Sprintf("proof target is tx %d, want %d", h.ID, vTx), nil)
		}
		alh, err := alhOf(h)
		if err != nil {
			return ps, err
		}
		return proofSides{s: st.GetTxId(), t: vTx, alhS: stAlh, alhT: alh, vHeader: h}, nil
	}
	h := dp.SourceTxHeader
	if h.ID != vTx {
		return ps, corrupted(fmt.Sprintf("proof source is tx %d, want %d", h.ID, vTx), nil)
	}
	alh, err := alhOf(h)
	if err != nil {
		return ps, err
	}
	return proofSides{s: vTx, t: st.GetTxId(), alhS: alh, alhT: stAlh, vHeader: h}, nil
}

// finish runs the dual proof of ps (skipped while the trusted state is the
// empty tx 0) and returns the proven target state.
func (c *Client) finish(ctx context.Context, dp *proof.DualProof, st *schema.ImmutableState, ps proofSides, sig *schema.Signature) (*schema.ImmutableState, error) {
	if st.GetTxId() > 0 {
		if err := c.verifyDual(ctx, dp, ps.s, ps.t, ps.alhS, ps.alhT); err != nil {
			return nil, err
		}
	}
	return &schema.ImmutableState{TxId: ps.t, TxHash: append([]byte(nil), ps.alhT[:]...), Signature: sig}, nil
}

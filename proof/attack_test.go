package proof

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
)

// Hostile input: what a malicious server, peer or file can hand to the
// decoders and verifiers. Each must answer with a precise error, never a
// panic, a hang or an allocation sized by the attacker.

const maxU64 = math.MaxUint64

// v1HeaderBytes is a well-formed v1 header to mutate.
func v1HeaderBytes(t testing.TB) []byte {
	h := &TxHeader{ID: 7, PrevAlh: EmptyHash, Ts: 5, Version: TxHeaderV1, NEntries: 1, BlTxID: 6}
	return must(h.Bytes())
}

// exportWith returns an export payload made of a header and raw body bytes.
func exportWith(hb, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(hb)))
	return append(append(b, hb...), body...)
}

func TestDecodersRejectHostileInput(t *testing.T) {
	hdr := v1HeaderBytes(t)
	with := func(off int, v ...byte) []byte {
		b := append([]byte{}, hdr...)
		copy(b[off:], v)
		return b
	}
	verOff, mdOff := 48, 50 // u64 id ‖ prevAlh ‖ u64 ts, then u16 version, u16 mdLen
	allNEntries := with(mdOff+2, 0xff, 0xff, 0xff, 0xff)
	ed := must(x509.MarshalPKIXPublicKey(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize))))
	p256 := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	pkcs8 := must(x509.MarshalPKCS8PrivateKey(p256))
	offCurve := append([]byte{4}, make([]byte, 64)...)
	offCurve[64] = 1
	cases := []struct {
		name string
		run  func() error
		want error
	}{
		{"header: nil", func() error { _, _, err := ParseTxHeader(nil); return err }, ErrMalformed},
		{"header: every prefix", func() error {
			for n := range hdr {
				if _, _, err := ParseTxHeader(hdr[:n]); !errors.Is(err, ErrMalformed) {
					return errors.New("truncated header accepted")
				}
			}
			return ErrMalformed
		}, ErrMalformed},
		{"header: version 2", func() error { _, _, err := ParseTxHeader(with(verOff, 0, 2)); return err }, ErrMalformed},
		{"header: version 0xffff", func() error { _, _, err := ParseTxHeader(with(verOff, 0xff, 0xff)); return err }, ErrMalformed},
		{"header: tx metadata of 0xffff bytes", func() error { _, _, err := ParseTxHeader(with(mdOff, 0xff, 0xff)); return err }, ErrMalformed},
		{"header: tx metadata beyond the buffer", func() error { _, _, err := ParseTxHeader(with(mdOff, 0, 200)); return err }, ErrMalformed},
		{"header: nentries 2^32-1 is never negative", func() error {
			h, _, err := ParseTxHeader(allNEntries)
			if err == nil && (h.NEntries < 0 || uint64(h.NEntries) != 0xffffffff) {
				return errors.New("nentries read as a negative int")
			}
			return ErrMalformed // an error is only allowed on 32-bit platforms
		}, ErrMalformed},
		{"header: nil receiver", func() error {
			var h *TxHeader
			_, e1 := h.Bytes()
			_, e2 := h.AppendBytes(nil)
			_, e3 := h.InnerHash()
			_, e4 := h.Alh()
			for _, e := range []error{e1, e2, e3, e4} {
				if !errors.Is(e, ErrInvalidArgument) {
					return fmt.Errorf("nil header: %v", e)
				}
			}
			return ErrInvalidArgument
		}, ErrInvalidArgument},
		{"kv metadata: 12 bytes", func() error { _, err := ParseKVMetadata(make([]byte, 12)); return err }, ErrMalformed},
		{"tx metadata: extra of 257", func() error {
			_, err := ParseTxMetadata(append([]byte{1, 1, 1}, make([]byte, 257)...))
			return err
		}, ErrMalformed},
		{"tx metadata: 269 bytes", func() error { _, err := ParseTxMetadata(make([]byte, 269)); return err }, ErrMalformed},
		{"tx metadata: extra length 0xffff", func() error { _, err := ParseTxMetadata([]byte{1, 0xff, 0xff, 1}); return err }, ErrMalformed},
		{"zadd: set length 2^64-1", func() error {
			_, _, _, _, err := DecodeZAddKey(append([]byte{PrefixZSet}, binary.BigEndian.AppendUint64(nil, maxU64)...))
			return err
		}, ErrMalformed},
		{"zadd: member length 2^64-1", func() error {
			b := append([]byte{PrefixZSet}, make([]byte, 16)...)
			b = binary.BigEndian.AppendUint64(b, maxU64)
			_, _, _, _, err := DecodeZAddKey(append(b, make([]byte, 9)...))
			return err
		}, ErrMalformed},
		{"zadd: member length 0", func() error {
			_, _, _, _, err := DecodeZAddKey(append([]byte{PrefixZSet}, make([]byte, 32)...))
			return err
		}, ErrMalformed},
		{"kv value: empty", func() error { _, err := DecodeKVValue(nil); return err }, ErrMalformed},
		{"kv value: reference of 9 bytes", func() error {
			_, err := DecodeKVValue(append([]byte{ValueReference}, make([]byte, 8)...))
			return err
		}, ErrMalformed},
		{"kv key: empty", func() error { _, err := DecodeKVKey(nil); return err }, ErrMalformed},
		{"kv key: sql key", func() error { _, err := DecodeKVKey([]byte{PrefixSQL, 'k'}); return err }, ErrMalformed},
		{"export: empty", func() error { _, err := DecodeExportedTx(nil); return err }, ErrMalformed},
		{"export: header length 2^32-1", func() error {
			_, err := DecodeExportedTx(append(binary.BigEndian.AppendUint32(nil, 0xffffffff), hdr...))
			return err
		}, ErrMalformed},
		{"export: header length shorter than the header", func() error {
			b := exportWith(hdr, []byte{0, 1, 0})
			binary.BigEndian.PutUint32(b, uint32(len(hdr)-1))
			_, err := DecodeExportedTx(b)
			return err
		}, ErrMalformed},
		{"export: 2^32-1 entries announced, none sent", func() error {
			_, err := DecodeExportedTx(exportWith(allNEntries, []byte{0, 1, 0}))
			return err
		}, ErrMalformed},
		{"export: value length 2^32-1", func() error {
			body := []byte{0, 1, 'k', 0, 0, 0xff, 0xff, 0xff, 0xff, 'v', 0, 1, 0}
			_, err := DecodeExportedTx(exportWith(hdr, body))
			return err
		}, ErrMalformed},
		{"export: kv metadata of 0xffff bytes", func() error {
			body := []byte{0, 1, 'k', 0xff, 0xff, 0, 0, 0, 0, 0, 1, 0}
			_, err := DecodeExportedTx(exportWith(hdr, body))
			return err
		}, ErrMalformed},
		{"export: truncated flag with a short value", func() error {
			body := []byte{0, 1, 'k', 0, 0, 0, 0, 0, 1, 'v', 0, 1, 1}
			_, err := DecodeExportedTx(exportWith(hdr, body))
			return err
		}, ErrMalformed},
		{"export: trailing bytes", func() error {
			body := []byte{0, 1, 'k', 0, 0, 0, 0, 0, 1, 'v', 0, 1, 0, 0}
			_, err := DecodeExportedTx(exportWith(hdr, body))
			return err
		}, ErrMalformed},
		{"signing key: empty", func() error { _, err := ParseSigningKeyPEM(nil); return err }, ErrMalformed},
		{"signing key: PKCS#8", func() error {
			_, err := ParseSigningKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}))
			return err
		}, ErrMalformed},
		{"signing key: PKCS#8 bytes labelled EC", func() error {
			_, err := ParseSigningKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: pkcs8}))
			return err
		}, ErrMalformed},
		{"public key: ed25519", func() error {
			_, err := ParsePublicKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ed}))
			return err
		}, ErrInvalidArgument},
		{"public key: garbage DER", func() error {
			_, err := ParsePublicKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{0x30, 0x80}}))
			return err
		}, ErrMalformed},
		{"public key bytes: nil", func() error { _, err := ParsePublicKeyBytes(nil); return err }, ErrMalformed},
		{"public key bytes: off the curve", func() error { _, err := ParsePublicKeyBytes(offCurve); return err }, ErrMalformed},
		{"public key bytes: compressed", func() error {
			_, err := ParsePublicKeyBytes(elliptic.MarshalCompressed(elliptic.P256(), p256.X, p256.Y))
			return err
		}, ErrMalformed},
		{"public key bytes: infinity", func() error { _, err := ParsePublicKeyBytes([]byte{0}); return err }, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.run(); !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
		})
	}
}

// An announced entry count must not size an allocation.
func TestDecodeExportedTxDoesNotTrustCounts(t *testing.T) {
	hdr := v1HeaderBytes(t)
	copy(hdr[52:], []byte{0xff, 0xff, 0xff, 0xff})
	in := exportWith(hdr, []byte{0, 1, 'k'})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := DecodeExportedTx(in)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("err %v", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Fatalf("%d bytes allocated for a %d-byte input", n, len(in))
	}
}

// answeringLedger answers for any tx id (as a corrupt or hostile store
// might) and counts the calls, failing after limit of them.
type answeringLedger struct{ calls, limit int }

func (l *answeringLedger) call() error {
	if l.calls++; l.calls > l.limit {
		return errors.New("ledger asked too often")
	}
	return nil
}
func (l *answeringLedger) Alh(id uint64) (Hash, error) { return Sum([]byte{byte(id)}), l.call() }
func (l *answeringLedger) InnerHash(id uint64) (Hash, error) {
	return Sum([]byte{1, byte(id)}), l.call()
}
func (l *answeringLedger) TreeInclusionProof(i, j uint64) ([]Hash, error) {
	return []Hash{{1}}, l.call()
}
func (l *answeringLedger) TreeConsistencyProof(i, j uint64) ([]Hash, error) {
	return []Hash{{2}}, l.call()
}

// Builders at the top of the id space: counting ids up to 2^64-1 must not
// wrap around to 0 and loop.
func TestBuildersAtTopOfIDSpace(t *testing.T) {
	l := &answeringLedger{limit: 10}
	if p, err := BuildLinearProof(l, maxU64-1, maxU64); err != nil || len(p.Terms) != 2 || l.calls != 2 {
		t.Errorf("linear proof to 2^64-1: %v after %d ledger calls", err, l.calls)
	}
	if p, err := BuildLinearProof(&answeringLedger{limit: 10}, maxU64, maxU64); err != nil || len(p.Terms) != 1 {
		t.Errorf("linear proof of 2^64-1 alone: %v", err)
	}
	if la, err := BuildLinearAdvanceProof(&answeringLedger{}, maxU64, maxU64, maxU64); la != nil || err != nil {
		t.Errorf("linear advance proof where none is needed: %v %v", la, err)
	}
	if err := VerifyLinearAdvanceProof(nil, maxU64, maxU64, Hash{}, Hash{}, maxU64); err != nil {
		t.Errorf("linear advance verify where none is needed: %v", err)
	}
	if la, err := BuildLinearAdvanceProof(&answeringLedger{limit: 10}, maxU64-3, maxU64, maxU64); err != nil ||
		len(la.LinearProofTerms) != 3 || len(la.InclusionProofs) != 2 {
		t.Errorf("linear advance proof to 2^64-1: %v", err)
	}
	if _, err := BuildLinearProof(&answeringLedger{limit: 10}, 1, maxU64); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("linear proof over 2^64 txs: %v", err)
	}
}

func TestVerifiersRejectHostileInput(t *testing.T) {
	ledger, _ := chainLedger(t, loadChain(t, "tx_chain.json"))
	alh := func(id uint64) Hash { return must(ledger.Alh(id)) }
	dual := func(s, d uint64) *DualProof {
		return must(BuildDualProof(ledger, must(ledger.Header(s)), must(ledger.Header(d))))
	}
	v2 := func(s, d uint64) *DualProofV2 {
		return must(BuildDualProofV2(ledger, must(ledger.Header(s)), must(ledger.Header(d))))
	}
	withSource := func(p *DualProof, h *TxHeader) *DualProof { c := *p; c.SourceTxHeader = h; return &c }
	withTarget := func(p *DualProof, h *TxHeader) *DualProof { c := *p; c.TargetTxHeader = h; return &c }
	badHeader := func(f func(h *TxHeader)) *TxHeader { h := must(ledger.Header(9)); f(h); return h }
	many := make([]Hash, 1<<17)
	good, goodV2 := dual(3, 9), v2(3, 9)
	root := must(ledger.Tree().RootAt(9))
	cases := []struct {
		name string
		err  error
	}{
		{"inclusion: i = 0", VerifyInclusion(nil, 0, 5, Hash{}, Hash{})},
		{"inclusion: i > j", VerifyInclusion([]Hash{{}}, 6, 5, Hash{}, Hash{})},
		{"inclusion: i = j = 2^64-1", VerifyInclusion(nil, maxU64, maxU64, Hash{1}, Hash{2})},
		{"inclusion: 1 of 2^64-1, huge proof", VerifyInclusion(many, 1, maxU64, Hash{1}, Hash{2})},
		{"inclusion: empty proof, i < j", VerifyInclusion(nil, 1, 2, Hash{}, Hash{})},
		{"last inclusion: i = 0", VerifyLastInclusion(nil, 0, Hash{}, Hash{})},
		{"last inclusion: huge proof", VerifyLastInclusion(many, maxU64, Hash{1}, Hash{2})},
		{"consistency: i = 0", VerifyConsistency([]Hash{{}}, 0, 5, Hash{}, Hash{})},
		{"consistency: i > j", VerifyConsistency([]Hash{{}}, 6, 5, Hash{}, Hash{})},
		{"consistency: 2^64-1 both, different roots", VerifyConsistency(nil, maxU64, maxU64, Hash{1}, Hash{2})},
		{"consistency: 2^63 to 2^64-1, huge proof", VerifyConsistency(many, 1<<63, maxU64, Hash{1}, Hash{2})},
		{"consistency: proof valid for 3→9 used for 4→9", VerifyConsistency(must(ledger.TreeConsistencyProof(3, 9)), 4, 9, must(ledger.Tree().RootAt(4)), root)},
		{"inclusion: proof valid for 3 of 9 used for 4", VerifyInclusion(must(ledger.TreeInclusionProof(3, 9)), 4, 9, LeafHash(alh(4)), root)},
		{"htree: width 0", VerifyHTreeInclusion(InclusionProof{}, Hash{}, Hash{})},
		{"htree: leaf -1", VerifyHTreeInclusion(InclusionProof{Leaf: -1, Width: 2}, Hash{}, Hash{})},
		{"htree: leaf = width", VerifyHTreeInclusion(InclusionProof{Leaf: 2, Width: 2}, Hash{}, Hash{})},
		{"htree: width MaxInt, no terms", VerifyHTreeInclusion(InclusionProof{Leaf: 0, Width: math.MaxInt}, Hash{}, Hash{})},
		{"htree: huge proof", VerifyHTreeInclusion(InclusionProof{Leaf: 0, Width: 2, Terms: many}, Hash{}, Hash{})},
		{"linear: nil", VerifyLinearProof(nil, 1, 2, Hash{}, Hash{})},
		{"linear: s = 0", VerifyLinearProof(&LinearProof{TargetTxID: 1, Terms: []Hash{{}, {}}}, 0, 1, Hash{}, Hash{})},
		{"linear: s > t", VerifyLinearProof(&LinearProof{SourceTxID: 2, TargetTxID: 1, Terms: []Hash{{}}}, 2, 1, Hash{}, Hash{})},
		{"linear: 1 to 2^64-1 with 2 terms", VerifyLinearProof(&LinearProof{SourceTxID: 1, TargetTxID: maxU64, Terms: []Hash{{}, {}}}, 1, maxU64, Hash{}, Hash{})},
		{"linear: 2^64-1 alone, other Alh", VerifyLinearProof(&LinearProof{SourceTxID: maxU64, TargetTxID: maxU64, Terms: []Hash{{1}}}, maxU64, maxU64, Hash{1}, Hash{2})},
		{"linear: proof for 3→9 asked as 3→10", VerifyLinearProof(must(BuildLinearProof(ledger, 3, 9)), 3, 10, alh(3), alh(10))},
		{"linear advance: end < start", VerifyLinearAdvanceProof(nil, 5, 4, Hash{}, Hash{}, 9)},
		{"linear advance: missing", VerifyLinearAdvanceProof(nil, 0, 3, Hash{}, Hash{}, 9)},
		{"linear advance: 0 to 2^64-1, short proof", VerifyLinearAdvanceProof(&LinearAdvanceProof{LinearProofTerms: many, InclusionProofs: [][]Hash{many}}, 0, maxU64, Hash{}, Hash{}, maxU64)},
		{"linear advance: terms but no inclusion proofs", VerifyLinearAdvanceProof(&LinearAdvanceProof{LinearProofTerms: []Hash{{}, {}}}, 0, 2, Hash{}, Hash{}, 9)},
		{"dual: nil", VerifyDualProof(nil, 3, 9, alh(3), alh(9))},
		{"dual: empty", VerifyDualProof(&DualProof{}, 3, 9, alh(3), alh(9))},
		{"dual: nil source header", VerifyDualProof(withSource(good, nil), 3, 9, alh(3), alh(9))},
		{"dual: nil target header", VerifyDualProof(withTarget(good, nil), 3, 9, alh(3), alh(9))},
		{"dual: nil linear proof", VerifyDualProof(&DualProof{SourceTxHeader: good.SourceTxHeader, TargetTxHeader: good.TargetTxHeader}, 3, 9, alh(3), alh(9))},
		{"dual: swapped ends", VerifyDualProof(good, 9, 3, alh(9), alh(3))},
		{"dual: swapped headers", VerifyDualProof(&DualProof{SourceTxHeader: good.TargetTxHeader, TargetTxHeader: good.SourceTxHeader}, 9, 3, alh(9), alh(3))},
		{"dual: s = t = 0", VerifyDualProof(withTarget(withSource(good, &TxHeader{}), &TxHeader{}), 0, 0, Hash{}, Hash{})},
		{"dual: valid for 3→9, asked 4→9", VerifyDualProof(good, 4, 9, alh(4), alh(9))},
		{"dual: valid for 3→9, asked 3→10", VerifyDualProof(good, 3, 10, alh(3), alh(10))},
		{"dual: headers 4 and 9 for 3→9", VerifyDualProof(withSource(good, must(ledger.Header(4))), 3, 9, alh(3), alh(9))},
		{"dual: 3→9 proof with header 4 asked as 4→9", VerifyDualProof(withSource(good, must(ledger.Header(4))), 4, 9, alh(4), alh(9))},
		{"dual: target header 10 for 3→9", VerifyDualProof(withTarget(good, must(ledger.Header(10))), 3, 10, alh(3), alh(10))},
		{"dual: same tx, two Alhs", VerifyDualProof(dual(9, 9), 9, 9, alh(9), alh(8))},
		{"dual: target nentries -1", VerifyDualProof(withTarget(good, badHeader(func(h *TxHeader) { h.NEntries = -1 })), 3, 9, alh(3), alh(9))},
		{"dual: target nentries MaxInt (> 2^32-1 on 64-bit)", VerifyDualProof(withTarget(good, badHeader(func(h *TxHeader) { h.NEntries = math.MaxInt })), 3, 9, alh(3), alh(9))},
		{"dual: target v0 with 65536 entries", VerifyDualProof(withTarget(good, badHeader(func(h *TxHeader) { h.Version, h.NEntries = 0, 65536 })), 3, 9, alh(3), alh(9))},
		{"dual: target version 2", VerifyDualProof(withTarget(good, badHeader(func(h *TxHeader) { h.Version = 2 })), 3, 9, alh(3), alh(9))},
		{"dual: target version -1", VerifyDualProof(withTarget(good, badHeader(func(h *TxHeader) { h.Version = -1 })), 3, 9, alh(3), alh(9))},
		{"dual: target extra of 257", VerifyDualProof(withTarget(good, badHeader(func(h *TxHeader) { h.Metadata.Extra = make([]byte, 257) })), 3, 9, alh(3), alh(9))},
		{"dual: target v0 with tx metadata", VerifyDualProof(withTarget(good, badHeader(func(h *TxHeader) { h.Version, h.Metadata.TruncatedUptoTx = 0, 1 })), 3, 9, alh(3), alh(9))},
		{"dual: target blTxId 2^64-1", VerifyDualProof(withTarget(good, badHeader(func(h *TxHeader) { h.BlTxID = maxU64 })), 3, 9, alh(3), alh(9))},
		{"v2: nil", VerifyDualProofV2(nil, 3, 9, alh(3), alh(9))},
		{"v2: empty", VerifyDualProofV2(&DualProofV2{}, 3, 9, alh(3), alh(9))},
		{"v2: swapped ends", VerifyDualProofV2(goodV2, 9, 3, alh(9), alh(3))},
		{"v2: valid for 3→9, asked 4→9", VerifyDualProofV2(goodV2, 4, 9, alh(4), alh(9))},
		{"v2: same tx, two Alhs", VerifyDualProofV2(v2(9, 9), 9, 9, alh(9), alh(8))},
		{"v2: no terms", VerifyDualProofV2(&DualProofV2{SourceTxHeader: goodV2.SourceTxHeader, TargetTxHeader: goodV2.TargetTxHeader}, 3, 9, alh(3), alh(9))},
		{"v2: consistency terms as inclusion", VerifyDualProofV2(&DualProofV2{SourceTxHeader: goodV2.SourceTxHeader, TargetTxHeader: goodV2.TargetTxHeader,
			InclusionProof: goodV2.ConsistencyProof, ConsistencyProof: goodV2.InclusionProof}, 3, 9, alh(3), alh(9))},
		{"signature: nil key", VerifyStateSignature(nil, "db", 1, nil, []byte{1})},
		{"signature: empty", VerifyStateSignature(mustPubKey(t), "db", 1, nil, nil)},
		{"signature: garbage DER", VerifyStateSignature(mustPubKey(t), "db", 1, nil, []byte{0x30, 0xff, 1})},
	}
	if err := VerifyDualProof(good, 3, 9, alh(3), alh(9)); err != nil {
		t.Fatalf("the proof the cases start from does not verify: %v", err)
	}
	if err := VerifyDualProofV2(goodV2, 3, 9, alh(3), alh(9)); err != nil {
		t.Fatalf("the v2 proof the cases start from does not verify: %v", err)
	}
	for _, c := range cases {
		if c.err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if !errors.Is(c.err, ErrVerificationFailed) && !errors.Is(c.err, ErrInvalidArgument) {
			t.Errorf("%s: error %v wraps no sentinel", c.name, c.err)
		}
	}
}

// Failed checks say what was expected and what was found.
func TestVerificationErrorsCarryValues(t *testing.T) {
	cases := []struct {
		err  error
		want []string
	}{
		{VerifyLinearProof(&LinearProof{SourceTxID: 2, TargetTxID: 5, Terms: []Hash{{}}}, 2, 5, Hash{}, Hash{}), []string{"1 terms", "expected 4"}},
		{VerifyLinearProof(&LinearProof{SourceTxID: 2, TargetTxID: 5}, 3, 5, Hash{}, Hash{}), []string{"tx 2 to tx 5", "expected tx 3 to tx 5"}},
		{VerifyLinearAdvanceProof(&LinearAdvanceProof{}, 2, 6, Hash{}, Hash{}, 9), []string{"0 linear terms", "expected 4"}},
		{VerifyLinearAdvanceProof(&LinearAdvanceProof{LinearProofTerms: make([]Hash, 4)}, 2, 6, Hash{}, Hash{}, 9), []string{"0 inclusion proofs", "expected 3"}},
		{VerifyLinearAdvanceProof(nil, 2, 6, Hash{}, Hash{}, 9), []string{"tx 2 to tx 6"}},
		{VerifyDualProof(&DualProof{SourceTxHeader: &TxHeader{ID: 4}, TargetTxHeader: &TxHeader{ID: 8}}, 3, 9, Hash{}, Hash{}), []string{"tx 4 and tx 8", "expected tx 3 and tx 9"}},
		{VerifyInclusion(nil, 7, 5, Hash{}, Hash{}), []string{"leaf 7", "size 5"}},
		{VerifyConsistency(nil, 7, 5, Hash{}, Hash{}), []string{"7 to 5"}},
		{VerifyHTreeInclusion(InclusionProof{Leaf: 3, Width: 2}, Hash{}, Hash{}), []string{"leaf 3", "width 2"}},
		{VerifyHTreeInclusion(InclusionProof{Leaf: 0, Width: 4}, Hash{}, Hash{}), []string{"0 terms", "width 4"}},
		{func() error { _, err := BuildDualProof(&answeringLedger{}, &TxHeader{}, &TxHeader{ID: 2}); return err }(), []string{"tx 0 does not exist"}},
	}
	for _, c := range cases {
		if c.err == nil {
			t.Fatalf("accepted; want an error with %q", c.want)
		}
		for _, w := range c.want {
			if !strings.Contains(c.err.Error(), w) {
				t.Errorf("%q does not say %q", c.err, w)
			}
		}
	}
}

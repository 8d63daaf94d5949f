package proof

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// The live session uses the protobuf JSON mapping: base64 bytes, 64-bit
// integers as strings, defaults omitted.

type pbU64 uint64

func (u *pbU64) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := strconv.ParseUint(s, 10, 64)
	*u = pbU64(v)
	return err
}

type pbBytes []byte

func (p *pbBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d, err := base64.StdEncoding.DecodeString(s)
	*p = d
	return err
}

func pbHash(b pbBytes) Hash {
	var h Hash
	copy(h[:], b)
	return h
}

type pbHeader struct {
	ID       pbU64   `json:"id"`
	PrevAlh  pbBytes `json:"prevAlh"`
	Ts       pbU64   `json:"ts"`
	Version  int     `json:"version"`
	Metadata *struct {
		TruncatedTxID pbU64   `json:"truncatedTxID"`
		Extra         pbBytes `json:"extra"`
	} `json:"metadata"`
	NEntries int     `json:"nentries"`
	EH       pbBytes `json:"eH"`
	BlTxID   pbU64   `json:"blTxId"`
	BlRoot   pbBytes `json:"blRoot"`
}

func (p *pbHeader) header() *TxHeader {
	if p == nil {
		return nil
	}
	h := &TxHeader{ID: uint64(p.ID), PrevAlh: pbHash(p.PrevAlh), Ts: int64(p.Ts), Version: p.Version,
		NEntries: p.NEntries, Eh: pbHash(p.EH), BlTxID: uint64(p.BlTxID), BlRoot: pbHash(p.BlRoot)}
	if p.Metadata != nil {
		h.Metadata = TxMetadata{TruncatedUptoTx: uint64(p.Metadata.TruncatedTxID), Extra: p.Metadata.Extra}
	}
	return h
}

type pbDualProof struct {
	SourceTxHeader     *pbHeader `json:"sourceTxHeader"`
	TargetTxHeader     *pbHeader `json:"targetTxHeader"`
	InclusionProof     []pbBytes `json:"inclusionProof"`
	ConsistencyProof   []pbBytes `json:"consistencyProof"`
	TargetBlTxAlh      pbBytes   `json:"targetBlTxAlh"`
	LastInclusionProof []pbBytes `json:"lastInclusionProof"`
	LinearProof        *struct {
		SourceTxID pbU64     `json:"sourceTxId"`
		TargetTxID pbU64     `json:"TargetTxId"`
		Terms      []pbBytes `json:"terms"`
	} `json:"linearProof"`
	LinearAdvanceProof *struct {
		LinearProofTerms []pbBytes `json:"linearProofTerms"`
		InclusionProofs  []struct {
			Terms []pbBytes `json:"terms"`
		} `json:"inclusionProofs"`
	} `json:"LinearAdvanceProof"`
}

func pbHashes(in []pbBytes) []Hash {
	out := make([]Hash, len(in))
	for i, b := range in {
		out[i] = pbHash(b)
	}
	return out
}

func (p *pbDualProof) proof() *DualProof {
	d := &DualProof{SourceTxHeader: p.SourceTxHeader.header(), TargetTxHeader: p.TargetTxHeader.header(),
		InclusionProof: pbHashes(p.InclusionProof), ConsistencyProof: pbHashes(p.ConsistencyProof),
		TargetBlTxAlh: pbHash(p.TargetBlTxAlh), LastInclusionProof: pbHashes(p.LastInclusionProof)}
	if lp := p.LinearProof; lp != nil {
		d.LinearProof = &LinearProof{SourceTxID: uint64(lp.SourceTxID), TargetTxID: uint64(lp.TargetTxID), Terms: pbHashes(lp.Terms)}
	}
	if la := p.LinearAdvanceProof; la != nil {
		d.LinearAdvanceProof = &LinearAdvanceProof{LinearProofTerms: pbHashes(la.LinearProofTerms)}
		for _, ip := range la.InclusionProofs {
			d.LinearAdvanceProof.InclusionProofs = append(d.LinearAdvanceProof.InclusionProofs, pbHashes(ip.Terms))
		}
	}
	return d
}

type pbVerifiableTx struct {
	Tx *struct {
		Header  *pbHeader `json:"header"`
		Entries []struct {
			Key    pbBytes `json:"key"`
			HValue pbBytes `json:"hValue"`
		} `json:"entries"`
	} `json:"tx"`
	DualProof *pbDualProof `json:"dualProof"`
	Signature *struct {
		PublicKey pbBytes `json:"publicKey"`
		Signature pbBytes `json:"signature"`
	} `json:"signature"`
}

type pbResponse struct {
	pbVerifiableTx
	pbHeader
	VerifiableTx *pbVerifiableTx `json:"verifiableTx"`
	// CurrentState
	DB     string  `json:"db"`
	TxID   pbU64   `json:"txId"`
	TxHash pbBytes `json:"txHash"`
}

func TestLiveSessionVectors(t *testing.T) {
	var f struct {
		PublicKeyPem string            `json:"publicKeyPem"`
		DBForCall    map[string]string `json:"dbForCall"`
		Calls        []struct {
			Method     string          `json:"method"`
			StatusCode string          `json:"statusCode"`
			Response   json.RawMessage `json:"response"`
		} `json:"calls"`
	}
	loadVectors(t, "live_session.json", &f)
	pub := must(ParsePublicKeyPEM([]byte(f.PublicKeyPem)))
	if !pub.Equal(mustPubKey(t)) {
		t.Fatal("live session key differs from signed_state.json")
	}
	headers := map[string]map[uint64]*TxHeader{}
	addHeader := func(db string, h *TxHeader) {
		if h == nil || h.ID == 0 {
			return
		}
		if headers[db] == nil {
			headers[db] = map[uint64]*TxHeader{}
		}
		if old, ok := headers[db][h.ID]; ok {
			if must(old.Alh()) != must(h.Alh()) {
				t.Fatalf("%s tx %d: two different headers", db, h.ID)
			}
		}
		headers[db][h.ID] = h
	}
	type verifiable struct {
		db     string
		method string
		vt     *pbVerifiableTx
	}
	var proofs []verifiable
	states := 0
	for i, c := range f.Calls {
		if c.StatusCode != "OK" || len(c.Response) == 0 {
			continue
		}
		db := f.DBForCall[strconv.Itoa(i)]
		method := c.Method[strings.LastIndex(c.Method, "/")+1:]
		var r pbResponse
		switch method {
		case "CurrentState", "Set", "Delete", "VerifiableSet", "VerifiableSetReference", "VerifiableZAdd", "VerifiableTxById", "VerifiableGet":
			if err := json.Unmarshal(c.Response, &r); err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
		}
		switch method {
		case "CurrentState":
			states++
			sig := r.Signature
			if sig == nil {
				t.Fatalf("call %d: unsigned state", i)
			}
			if err := VerifyStateSignature(pub, r.DB, uint64(r.TxID), r.TxHash, sig.Signature); err != nil {
				t.Fatalf("call %d: state signature: %v", i, err)
			}
			if VerifyStateSignature(pub, r.DB, uint64(r.TxID)+1, r.TxHash, sig.Signature) == nil {
				t.Fatalf("call %d: signature accepted for another tx id", i)
			}
			if r.TxID == 0 && pbHash(r.TxHash) != EmptyHash {
				t.Fatalf("call %d: empty state hash", i)
			}
		case "Set", "Delete":
			addHeader(db, r.pbHeader.header())
		case "VerifiableSet", "VerifiableSetReference", "VerifiableZAdd", "VerifiableTxById", "VerifiableGet":
			vt := &r.pbVerifiableTx
			if r.VerifiableTx != nil {
				vt = r.VerifiableTx
			}
			addHeader(db, vt.Tx.Header.header())
			addHeader(db, vt.DualProof.SourceTxHeader.header())
			addHeader(db, vt.DualProof.TargetTxHeader.header())
			proofs = append(proofs, verifiable{db, method, vt})
		}
	}
	if states < 5 || len(proofs) != 8 {
		t.Fatalf("%d states, %d verifiable responses", states, len(proofs))
	}
	ledgers := map[string]*MemLedger{}
	for db, hs := range headers {
		chain := make([]*TxHeader, 0, len(hs))
		for id := uint64(1); hs[id] != nil; id++ {
			chain = append(chain, hs[id])
		}
		if len(chain) != len(hs) {
			t.Fatalf("%s: headers are not contiguous", db)
		}
		ledgers[db] = must(NewMemLedger(chain))
	}
	for _, p := range proofs {
		dp := p.vt.DualProof.proof()
		src, dst := dp.SourceTxHeader, dp.TargetTxHeader
		sa, ta := must(src.Alh()), must(dst.Alh())
		if err := VerifyDualProof(dp, src.ID, dst.ID, sa, ta); err != nil {
			t.Fatalf("%s %s %d→%d: %v", p.db, p.method, src.ID, dst.ID, err)
		}
		l := ledgers[p.db]
		compareDual(t, must(BuildDualProof(l, must(l.Header(src.ID)), must(l.Header(dst.ID)))), dp)
		if err := VerifyStateSignature(pub, p.db, dst.ID, ta[:], p.vt.Signature.Signature); err != nil {
			t.Fatalf("%s %s: signature: %v", p.db, p.method, err)
		}
		if pk := must(ParsePublicKeyBytes(p.vt.Signature.PublicKey)); !pk.Equal(pub) {
			t.Fatal("signature carries another public key")
		}
		// The entries of the returned tx rebuild its eh.
		h := p.vt.Tx.Header.header()
		digests := make([]Hash, len(p.vt.Tx.Entries))
		for i, e := range p.vt.Tx.Entries {
			digests[i] = must(EntryDigest(h.Version, e.Key, nil, pbHash(e.HValue)))
		}
		if HTreeRoot(digests) != h.Eh {
			t.Fatalf("%s: entries do not rebuild eh", p.method)
		}
	}
}

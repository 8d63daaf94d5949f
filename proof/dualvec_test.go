package proof

import (
	"crypto/ecdsa"
	"fmt"
	"strings"
	"testing"
)

type jsonLinearProof struct {
	SourceTxID uint64    `json:"sourceTxId"`
	TargetTxID uint64    `json:"TargetTxId"`
	Terms      []hexHash `json:"terms"`
}

func (j *jsonLinearProof) proof() *LinearProof {
	if j == nil {
		return nil
	}
	return &LinearProof{SourceTxID: j.SourceTxID, TargetTxID: j.TargetTxID, Terms: hashes(j.Terms)}
}

type jsonInclusionProof struct {
	Leaf  int       `json:"leaf"`
	Width int       `json:"width"`
	Terms []hexHash `json:"terms"`
}

type jsonLinearAdvance struct {
	LinearProofTerms []hexHash            `json:"linearProofTerms"`
	InclusionProofs  []jsonInclusionProof `json:"inclusionProofs"`
}

func (j *jsonLinearAdvance) proof() *LinearAdvanceProof {
	if j == nil {
		return nil
	}
	p := &LinearAdvanceProof{LinearProofTerms: hashes(j.LinearProofTerms)}
	for _, ip := range j.InclusionProofs {
		p.InclusionProofs = append(p.InclusionProofs, hashes(ip.Terms))
	}
	return p
}

type jsonDualProof struct {
	SourceTxHeader     *jsonHeader        `json:"sourceTxHeader"`
	TargetTxHeader     *jsonHeader        `json:"targetTxHeader"`
	InclusionProof     []hexHash          `json:"inclusionProof"`
	ConsistencyProof   []hexHash          `json:"consistencyProof"`
	TargetBlTxAlh      hexHash            `json:"targetBlTxAlh"`
	LastInclusionProof []hexHash          `json:"lastInclusionProof"`
	LinearProof        *jsonLinearProof   `json:"linearProof"`
	LinearAdvanceProof *jsonLinearAdvance `json:"LinearAdvanceProof"`
}

func (j *jsonDualProof) proof() *DualProof {
	if j == nil {
		return nil
	}
	return &DualProof{
		SourceTxHeader: j.SourceTxHeader.header(), TargetTxHeader: j.TargetTxHeader.header(),
		InclusionProof: hashes(j.InclusionProof), ConsistencyProof: hashes(j.ConsistencyProof),
		TargetBlTxAlh: Hash(j.TargetBlTxAlh), LastInclusionProof: hashes(j.LastInclusionProof),
		LinearProof: j.LinearProof.proof(), LinearAdvanceProof: j.LinearAdvanceProof.proof(),
	}
}

// describeDual renders every field of a dual proof, one per line, so two
// proofs can be compared term by term with a readable difference.
func describeDual(p *DualProof) []string {
	hdr := func(h *TxHeader) string {
		if h == nil {
			return "nil"
		}
		b, err := h.Bytes()
		return fmt.Sprintf("%x %v", b, err)
	}
	out := []string{"source " + hdr(p.SourceTxHeader), "target " + hdr(p.TargetTxHeader)}
	list := func(name string, hs []Hash) {
		out = append(out, fmt.Sprintf("%s len %d", name, len(hs)))
		for i, h := range hs {
			out = append(out, fmt.Sprintf("%s[%d] %x", name, i, h))
		}
	}
	list("inclusion", p.InclusionProof)
	list("consistency", p.ConsistencyProof)
	out = append(out, fmt.Sprintf("targetBlTxAlh %x", p.TargetBlTxAlh))
	list("lastInclusion", p.LastInclusionProof)
	if p.LinearProof == nil {
		out = append(out, "linear nil")
	} else {
		out = append(out, fmt.Sprintf("linear %d→%d", p.LinearProof.SourceTxID, p.LinearProof.TargetTxID))
		list("linear", p.LinearProof.Terms)
	}
	if p.LinearAdvanceProof == nil {
		out = append(out, "linearAdvance nil")
	} else {
		list("linearAdvance", p.LinearAdvanceProof.LinearProofTerms)
		out = append(out, fmt.Sprintf("linearAdvance incl len %d", len(p.LinearAdvanceProof.InclusionProofs)))
		for i, ip := range p.LinearAdvanceProof.InclusionProofs {
			list(fmt.Sprintf("linearAdvance incl[%d]", i), ip)
		}
	}
	return out
}

func compareDual(t *testing.T, got, want *DualProof) {
	t.Helper()
	g, w := describeDual(got), describeDual(want)
	if strings.Join(g, "\n") == strings.Join(w, "\n") {
		return
	}
	for i := 0; i < len(g) || i < len(w); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			t.Fatalf("dual proof differs at line %d:\n got  %s\n want %s", i, a, b)
		}
	}
}

// tamperedDuals returns copies of a valid dual proof with one part changed
// each; every one must be rejected by VerifyDualProof.
func tamperedDuals(p *DualProof) map[string]*DualProof {
	out := map[string]*DualProof{}
	clone := func() *DualProof {
		c := *p
		s, d := *p.SourceTxHeader, *p.TargetTxHeader
		c.SourceTxHeader, c.TargetTxHeader = &s, &d
		c.InclusionProof = append([]Hash{}, p.InclusionProof...)
		c.ConsistencyProof = append([]Hash{}, p.ConsistencyProof...)
		c.LastInclusionProof = append([]Hash{}, p.LastInclusionProof...)
		if p.LinearProof != nil {
			lp := *p.LinearProof
			lp.Terms = append([]Hash{}, lp.Terms...)
			c.LinearProof = &lp
		}
		if p.LinearAdvanceProof != nil {
			la := LinearAdvanceProof{LinearProofTerms: append([]Hash{}, p.LinearAdvanceProof.LinearProofTerms...)}
			for _, ip := range p.LinearAdvanceProof.InclusionProofs {
				la.InclusionProofs = append(la.InclusionProofs, append([]Hash{}, ip...))
			}
			c.LinearAdvanceProof = &la
		}
		return &c
	}
	for k := range p.InclusionProof {
		c := clone()
		c.InclusionProof[k] = flipHash(c.InclusionProof[k])
		out[fmt.Sprintf("inclusion[%d]", k)] = c
	}
	for k := range p.ConsistencyProof {
		c := clone()
		c.ConsistencyProof[k] = flipHash(c.ConsistencyProof[k])
		out[fmt.Sprintf("consistency[%d]", k)] = c
	}
	for k := range p.LastInclusionProof {
		c := clone()
		c.LastInclusionProof[k] = flipHash(c.LastInclusionProof[k])
		out[fmt.Sprintf("lastInclusion[%d]", k)] = c
	}
	if p.TargetTxHeader.BlTxID > 0 {
		c := clone()
		c.TargetBlTxAlh = flipHash(c.TargetBlTxAlh)
		out["targetBlTxAlh"] = c
	}
	if p.LinearProof != nil {
		for k := range p.LinearProof.Terms {
			c := clone()
			c.LinearProof.Terms[k] = flipHash(c.LinearProof.Terms[k])
			out[fmt.Sprintf("linear[%d]", k)] = c
		}
	}
	c := clone()
	c.LinearProof = nil
	out["no linear proof"] = c
	if la := p.LinearAdvanceProof; la != nil {
		for k := range la.LinearProofTerms {
			c := clone()
			c.LinearAdvanceProof.LinearProofTerms[k] = flipHash(c.LinearAdvanceProof.LinearProofTerms[k])
			out[fmt.Sprintf("linearAdvance[%d]", k)] = c
		}
		for k := range la.InclusionProofs {
			for m := range la.InclusionProofs[k] {
				c := clone()
				c.LinearAdvanceProof.InclusionProofs[k][m] = flipHash(c.LinearAdvanceProof.InclusionProofs[k][m])
				out[fmt.Sprintf("linearAdvance incl[%d][%d]", k, m)] = c
			}
		}
		c := clone()
		c.LinearAdvanceProof = nil
		out["no linear advance proof"] = c
	}
	c = clone()
	c.SourceTxHeader.Ts++
	out["source ts"] = c
	c = clone()
	c.TargetTxHeader.BlRoot = flipHash(c.TargetTxHeader.BlRoot)
	out["target blRoot"] = c
	c = clone()
	c.SourceTxHeader = nil
	out["no source header"] = c
	return out
}

func checkDualRejects(t *testing.T, p *DualProof, s, tt uint64, alhS, alhT Hash) {
	t.Helper()
	for name, bad := range tamperedDuals(p) {
		if err := VerifyDualProof(bad, s, tt, alhS, alhT); err == nil {
			t.Fatalf("tampered %s accepted", name)
		}
	}
	if s > 1 {
		if VerifyDualProof(p, s-1, tt, alhS, alhT) == nil {
			t.Fatal("accepted for another source id")
		}
	}
	if VerifyDualProof(p, s, tt, flipHash(alhS), alhT) == nil || VerifyDualProof(p, s, tt, alhS, flipHash(alhT)) == nil {
		t.Fatal("accepted against other Alhs")
	}
	if VerifyDualProof(nil, s, tt, alhS, alhT) == nil {
		t.Fatal("nil proof accepted")
	}
}

func mustPubKey(t testing.TB) *ecdsa.PublicKey {
	var f struct {
		PublicKeyPem string `json:"publicKeyPem"`
	}
	loadVectors(t, "signed_state.json", &f)
	return must(ParsePublicKeyPEM([]byte(f.PublicKeyPem)))
}

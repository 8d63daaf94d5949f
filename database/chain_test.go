package database

import (
	"encoding/hex"
	"testing"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/proof"
	"google.golang.org/protobuf/proto"
)

// buildChain commits the 23 txs of tx_chain.json through the database
// layer, checking every header, Alh and entry. It returns the database and
// the responses of the three Verifiable* writes (txs 19–21).
func buildChain(t testing.TB, signer Signer) (*DB, map[uint64]proto.Message) {
	t.Helper()
	chain := loadJSON(t, "tx_chain.json")
	d := openTestDB(t, true, &Options{LogRequestMetadata: true, Signer: signer})
	writes := map[uint64]proto.Message{}
	for _, x := range chain["txs"].([]any) {
		tx := x.(map[string]any)
		id := num(tx["id"])
		req := tx["request"].(map[string]any)
		var (
			hdr *schema.TxHeader
			err error
		)
		switch req["rpc"] {
		case "Set":
			ctx := bg
			if id == 15 {
				ctx = WithRequestMetadata(bg, "immudb", "")
			}
			hdr, err = d.Set(ctx, &schema.SetRequest{KVs: kvsFromJSON(t, req["KVs"])})
		case "ZAdd":
			hdr, err = d.ZAdd(bg, zaddFromJSON(t, req))
		case "SetReference":
			hdr, err = d.SetReference(bg, refFromJSON(t, req))
		case "Delete":
			var keys [][]byte
			for _, k := range req["keys"].([]any) {
				keys = append(keys, hx(t, k))
			}
			hdr, err = d.Delete(bg, &schema.DeleteKeysRequest{Keys: keys})
		case "ExecAll":
			var ops []*schema.Op
			for _, o := range req["operations"].([]any) {
				om := o.(map[string]any)
				switch {
				case om["kv"] != nil:
					kv := om["kv"].(map[string]any)
					ops = append(ops, &schema.Op{Operation: &schema.Op_Kv{Kv: &schema.KeyValue{Key: hx(t, kv["key"]), Value: hx(t, kv["value"]), Metadata: kvMDFromJSON(kv["metadata"])}}})
				case om["ref"] != nil:
					ops = append(ops, &schema.Op{Operation: &schema.Op_Ref{Ref: refFromJSON(t, om["ref"].(map[string]any))}})
				case om["zAdd"] != nil:
					ops = append(ops, &schema.Op{Operation: &schema.Op_ZAdd{ZAdd: zaddFromJSON(t, om["zAdd"].(map[string]any))}})
				}
			}
			hdr, err = d.ExecAll(bg, &schema.ExecAllRequest{Operations: ops})
		case "VerifiableSet":
			var vtx *schema.VerifiableTx
			vtx, err = d.VerifiableSet(bg, &schema.VerifiableSetRequest{SetRequest: &schema.SetRequest{KVs: kvsFromJSON(t, req["KVs"])}, ProveSinceTx: num(req["proveSinceTx"])})
			if err == nil {
				hdr, writes[id] = vtx.Tx.Header, vtx
			}
		case "VerifiableSetReference":
			var vtx *schema.VerifiableTx
			vtx, err = d.VerifiableSetReference(bg, &schema.VerifiableReferenceRequest{ReferenceRequest: refFromJSON(t, req), ProveSinceTx: num(req["proveSinceTx"])})
			if err == nil {
				hdr, writes[id] = vtx.Tx.Header, vtx
			}
		case "VerifiableZAdd":
			var vtx *schema.VerifiableTx
			vtx, err = d.VerifiableZAdd(bg, &schema.VerifiableZAddRequest{ZAddRequest: zaddFromJSON(t, req), ProveSinceTx: num(req["proveSinceTx"])})
			if err == nil {
				hdr, writes[id] = vtx.Tx.Header, vtx
			}
		default: // the truncator's metadata-only tx
			var h *proof.TxHeader
			h, err = d.st.CommitMetadataOnly(bg, proof.TxMetadata{TruncatedUptoTx: 5})
			hdr = headerToProto(h)
		}
		if err != nil {
			t.Fatalf("tx %d (%s): %v", id, tx["operation"], err)
		}
		checkChainTx(t, d, tx, hdr)
	}
	return d, writes
}

func checkChainTx(t testing.TB, d *DB, tx map[string]any, hdr *schema.TxHeader) {
	t.Helper()
	id := num(tx["id"])
	h := tx["header"].(map[string]any)
	want := map[string]any{
		"id": h["id"], "prevAlh": h["prevAlh"], "ts": h["ts"], "version": h["version"], "nentries": h["nentries"],
		"eH": h["eh"], "blTxId": h["blTxId"], "blRoot": h["blRoot"], "metadata": h["metadata"],
	}
	compareMsg(t, "header of tx "+tx["operation"].(string), hdr, want)
	alh, err := d.st.Alh(id)
	if err != nil || hex.EncodeToString(alh[:]) != tx["alh"] {
		t.Errorf("tx %d: alh %x (%v), want %s", id, alh, err, tx["alh"])
	}
	stx, err := d.st.TxByID(id)
	if err != nil {
		t.Fatal(err)
	}
	entries := tx["entries"].([]any)
	if len(stx.Entries) != len(entries) {
		t.Fatalf("tx %d: %d entries, want %d", id, len(stx.Entries), len(entries))
	}
	for i, x := range entries {
		e := x.(map[string]any)
		g := stx.Entries[i]
		if hex.EncodeToString(g.Key) != e["key"] || hex.EncodeToString(g.MdBytes) != e["kvMetadataBytes"] ||
			hex.EncodeToString(g.HValue[:]) != e["hValue"] || g.VLen != int(num(e["vLen"])) {
			t.Errorf("tx %d entry %d: got key %x md %x hValue %x vLen %d, want %v", id, i, g.Key, g.MdBytes, g.HValue, g.VLen, e)
		}
		if e["value"] != nil && hex.EncodeToString(g.Value) != e["value"] {
			t.Errorf("tx %d entry %d: value %x, want %s", id, i, g.Value, e["value"])
		}
	}
}

// checkSig verifies a response signature over (db, T.id, Alh(T)).
func checkSig(t testing.TB, name string, vtx *schema.VerifiableTx, check func(txID uint64, alh, sig []byte) error) {
	t.Helper()
	if vtx.Signature == nil {
		t.Errorf("%s: no signature", name)
		return
	}
	tt := vtx.DualProof.TargetTxHeader
	ph := proof.TxHeader{ID: tt.Id, Ts: tt.Ts, Version: int(tt.Version), NEntries: int(tt.Nentries), BlTxID: tt.BlTxId}
	copy(ph.PrevAlh[:], tt.PrevAlh)
	copy(ph.Eh[:], tt.EH)
	copy(ph.BlRoot[:], tt.BlRoot)
	if tt.Metadata != nil {
		ph.Metadata = proof.TxMetadata{TruncatedUptoTx: tt.Metadata.TruncatedTxID, Extra: tt.Metadata.Extra}
	}
	alh, err := ph.Alh()
	if err != nil {
		t.Fatal(err)
	}
	if err := check(tt.Id, alh[:], vtx.Signature.Signature); err != nil {
		t.Errorf("%s: signature: %v", name, err)
	}
}

func TestChainVectors(t *testing.T) {
	signer, pub := loadTestSigner(t)
	d, writes := buildChain(t, signer)
	verify := func(txID uint64, alh, sig []byte) error {
		return proof.VerifyStateSignature(pub, "defaultdb", txID, alh, sig)
	}
	dp := loadJSON(t, "dual_proofs.json")

	for i, x := range dp["verifiableWrites"].([]any) {
		c := x.(map[string]any)
		got := writes[uint64(19+i)].(*schema.VerifiableTx)
		compareMsg(t, c["name"].(string), got, c["response"], "signature")
		checkSig(t, c["name"].(string), got, verify)
	}

	for _, x := range dp["verifiableTxById"].([]any) {
		c := x.(map[string]any)
		r := c["request"].(map[string]any)
		got, err := d.VerifiableTxByID(bg, &schema.VerifiableTxRequest{Tx: num(r["tx"]), ProveSinceTx: num(r["proveSinceTx"])})
		if err != nil {
			t.Errorf("%s: %v", c["name"], err)
			continue
		}
		compareMsg(t, c["name"].(string), got, c["response"], "signature")
		checkSig(t, c["name"].(string), got, verify)
	}

	for _, x := range dp["verifiableGet"].([]any) {
		c := x.(map[string]any)
		r := c["request"].(map[string]any)
		kr := r["keyRequest"].(map[string]any)
		req := &schema.VerifiableGetRequest{
			KeyRequest: &schema.KeyRequest{Key: hx(t, kr["key"]), AtTx: num(kr["atTx"]), SinceTx: num(kr["sinceTx"]),
				NoWait: kr["noWait"] == true, AtRevision: int64(kr["atRevision"].(float64))},
			ProveSinceTx: num(r["proveSinceTx"]),
		}
		got, err := d.VerifiableGet(bg, req)
		if err != nil {
			t.Errorf("%s: %v", c["name"], err)
			continue
		}
		compareMsg(t, c["name"].(string), got, c["response"], "signature")
		checkSig(t, c["name"].(string), got.VerifiableTx, verify)
	}

	// CurrentState: the last tx and its Alh, signed.
	st, err := d.CurrentState(bg)
	if err != nil {
		t.Fatal(err)
	}
	last := loadJSON(t, "tx_chain.json")["txs"].([]any)[22].(map[string]any)
	if st.TxId != 23 || hex.EncodeToString(st.TxHash) != last["alh"] || st.Db != "defaultdb" {
		t.Errorf("CurrentState = %d %x %s", st.TxId, st.TxHash, st.Db)
	}
	if err := verify(st.TxId, st.TxHash, st.Signature.GetSignature()); err != nil {
		t.Errorf("CurrentState signature: %v", err)
	}
}

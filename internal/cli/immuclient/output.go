package immuclient

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/proof"
)

// emit prints a result: text for humans, or v as one JSON document.
func (a *app) emit(text string, v any) error {
	if a.jsonMode {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fmt.Errorf("encoding output: %w", err)
		}
		_, err = fmt.Fprintf(a.out, "%s\n", b)
		return err
	}
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	_, err := fmt.Fprint(a.out, text)
	return err
}

// message prints a one-line result ({"result": ...} in JSON).
func (a *app) message(text string) error {
	return a.emit(text, map[string]string{"result": text})
}

func (a *app) printError(err error) {
	msg := errorText(err)
	if a.jsonMode {
		b, _ := json.Marshal(map[string]string{"error": msg})
		fmt.Fprintf(a.out, "%s\n", b)
		return
	}
	fmt.Fprintf(a.errOut, "Error: %s\n", msg)
}

// kvJSON is the JSON form of an entry.
type kvJSON struct {
	Tx           uint64 `json:"tx"`
	Revision     uint64 `json:"revision,omitempty"`
	Key          string `json:"key"`
	Value        string `json:"value"`
	ReferencedBy string `json:"referencedBy,omitempty"`
	Deleted      bool   `json:"deleted,omitempty"`
	Verified     bool   `json:"verified,omitempty"`
}

func entryJSON(e *schema.Entry, verified bool) kvJSON {
	j := kvJSON{Tx: e.GetTx(), Revision: e.GetRevision(), Key: string(e.GetKey()), Value: string(e.GetValue()),
		Deleted: e.GetMetadata().GetDeleted(), Verified: verified}
	if r := e.GetReferencedBy(); r != nil {
		j.ReferencedBy = string(r.GetKey())
	}
	return j
}

// entryText prints an entry as immudb's immuclient does.
func (a *app) entryText(e *schema.Entry, verified bool) string {
	if a.cfg.ValueOnly {
		return string(e.GetValue()) + "\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "tx:       %d\n", e.GetTx())
	if e.GetRevision() != 0 {
		fmt.Fprintf(&b, "rev:      %d\n", e.GetRevision())
	}
	fmt.Fprintf(&b, "key:      %s\n", e.GetKey())
	if r := e.GetReferencedBy(); r != nil {
		fmt.Fprintf(&b, "ref:      %s\n", r.GetKey())
	}
	if md := e.GetMetadata(); md != nil {
		fmt.Fprintf(&b, "metadata: {%s}\n", metadataText(md))
	}
	fmt.Fprintf(&b, "value:    %s\n", e.GetValue())
	if verified {
		fmt.Fprintf(&b, "verified: %t\n", verified)
	}
	return b.String()
}

func metadataText(md *schema.KVMetadata) string {
	var parts []string
	if md.GetDeleted() {
		parts = append(parts, "deleted:true")
	}
	if md.GetNonIndexable() {
		parts = append(parts, "nonIndexable:true")
	}
	if ex := md.GetExpiration(); ex != nil {
		parts = append(parts, "expiration:"+time.Unix(ex.GetExpiresAt(), 0).UTC().Format(time.RFC3339))
	}
	return strings.Join(parts, " ")
}

func (a *app) emitEntry(e *schema.Entry, verified bool) error {
	return a.emit(a.entryText(e, verified), entryJSON(e, verified))
}

func (a *app) emitEntries(list []*schema.Entry, verified bool, empty string) error {
	js := make([]kvJSON, 0, len(list))
	var b strings.Builder
	for i, e := range list {
		js = append(js, entryJSON(e, verified))
		if i > 0 && !a.cfg.ValueOnly {
			b.WriteString("\n")
		}
		b.WriteString(a.entryText(e, verified))
	}
	if len(list) == 0 {
		b.WriteString(empty)
	}
	return a.emit(b.String(), js)
}

// txHeaderJSON is the JSON form of a written tx.
type txHeaderJSON struct {
	Tx       uint64 `json:"tx"`
	Entries  int32  `json:"entries"`
	Hash     string `json:"hash"`
	Verified bool   `json:"verified,omitempty"`
}

// alhHex is the tx hash immuclient shows: the accumulated linear hash.
func alhHex(h *schema.TxHeader) string {
	ph := &proof.TxHeader{
		ID: h.GetId(), Ts: h.GetTs(), Version: int(h.GetVersion()), NEntries: int(h.GetNentries()), BlTxID: h.GetBlTxId(),
	}
	if copy(ph.PrevAlh[:], h.GetPrevAlh()) != len(ph.PrevAlh) || copy(ph.Eh[:], h.GetEH()) != len(ph.Eh) {
		return ""
	}
	copy(ph.BlRoot[:], h.GetBlRoot())
	if md := h.GetMetadata(); md != nil {
		ph.Metadata = proof.TxMetadata{TruncatedUptoTx: md.GetTruncatedTxID(), Extra: md.GetExtra()}
	}
	alh, err := ph.Alh()
	if err != nil {
		return ""
	}
	return hex.EncodeToString(alh[:])
}

// txJSON is the JSON form of a tx read back.
type txJSON struct {
	Tx       uint64        `json:"tx"`
	Time     string        `json:"time"`
	Entries  int32         `json:"entriesCount"`
	Hash     string        `json:"hash"`
	Keys     []txEntryJSON `json:"entries,omitempty"`
	Verified bool          `json:"verified,omitempty"`
}

type txEntryJSON struct {
	Key    string `json:"key"`
	HValue string `json:"hValue"`
	VLen   int32  `json:"vLen"`
}

func (a *app) emitTx(tx *schema.Tx, verified bool) error {
	h := tx.GetHeader()
	ts := time.Unix(h.GetTs(), 0).UTC()
	j := txJSON{Tx: h.GetId(), Time: ts.Format(time.RFC3339), Entries: h.GetNentries(), Hash: alhHex(h), Verified: verified}
	var b strings.Builder
	fmt.Fprintf(&b, "tx:\t\t%d\n", h.GetId())
	fmt.Fprintf(&b, "time:\t\t%s\n", ts.Format(time.RFC3339))
	fmt.Fprintf(&b, "entries:\t%d\n", h.GetNentries())
	fmt.Fprintf(&b, "hash:\t\t%s\n", j.Hash)
	for _, e := range tx.GetEntries() {
		j.Keys = append(j.Keys, txEntryJSON{Key: string(e.GetKey()), HValue: hex.EncodeToString(e.GetHValue()), VLen: e.GetVLen()})
		fmt.Fprintf(&b, "key:\t\t%s\n", e.GetKey())
	}
	if verified {
		fmt.Fprintf(&b, "verified:\t%t\n", verified)
	}
	return a.emit(b.String(), j)
}

// stateJSON is the JSON form of CurrentState.
type stateJSON struct {
	Db     string `json:"database"`
	TxID   uint64 `json:"txID"`
	TxHash string `json:"hash,omitempty"`
}

func (a *app) emitState(st *schema.ImmutableState) error {
	j := stateJSON{Db: st.GetDb(), TxID: st.GetTxId()}
	if st.GetTxId() == 0 {
		return a.emit(fmt.Sprintf("database '%s' is empty\n", st.GetDb()), j)
	}
	j.TxHash = hex.EncodeToString(st.GetTxHash())
	text := fmt.Sprintf("database:  %s\ntxID:      %d\nhash:      %s\n", j.Db, j.TxID, j.TxHash)
	return a.emit(text, j)
}

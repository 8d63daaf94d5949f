package proof

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// vectorDir holds the reference vectors, relative to this package.
const vectorDir = "../testdata/vectors"

func loadVectors(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectorDir, name))
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
}

// hexBytes decodes a lowercase hex JSON string.
type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d, err := hex.DecodeString(s)
	if err != nil {
		return err
	}
	*h = d
	return nil
}

// hexHash decodes a 32-byte hex JSON string.
type hexHash Hash

func (h *hexHash) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var d hexBytes
	if err := d.UnmarshalJSON(b); err != nil {
		return err
	}
	if len(d) != HashSize {
		return &json.UnsupportedValueError{Str: string(b)}
	}
	copy(h[:], d)
	return nil
}

func hashes(in []hexHash) []Hash {
	out := make([]Hash, len(in))
	for i, h := range in {
		out[i] = Hash(h)
	}
	return out
}

// jsonTxMetadata is a TxMetadata message as written in the vectors.
type jsonTxMetadata struct {
	TruncatedTxID uint64   `json:"truncatedTxID"`
	Extra         hexBytes `json:"extra"`
}

// jsonHeader is a TxHeader message as written in the vectors.
type jsonHeader struct {
	ID            uint64          `json:"id"`
	PrevAlh       hexHash         `json:"prevAlh"`
	Ts            int64           `json:"ts"`
	Version       int             `json:"version"`
	Metadata      *jsonTxMetadata `json:"metadata"`
	MetadataBytes *hexBytes       `json:"metadataBytes"`
	NEntries      int             `json:"nentries"`
	Eh            hexHash         `json:"eH"`
	EhLower       *hexHash        `json:"eh"`
	BlTxID        uint64          `json:"blTxId"`
	BlRoot        hexHash         `json:"blRoot"`
}

func (j *jsonHeader) header() *TxHeader {
	if j == nil {
		return nil
	}
	h := &TxHeader{ID: j.ID, PrevAlh: Hash(j.PrevAlh), Ts: j.Ts, Version: j.Version,
		NEntries: j.NEntries, Eh: Hash(j.Eh), BlTxID: j.BlTxID, BlRoot: Hash(j.BlRoot)}
	if j.EhLower != nil {
		h.Eh = Hash(*j.EhLower)
	}
	if j.Metadata != nil {
		h.Metadata = TxMetadata{TruncatedUptoTx: j.Metadata.TruncatedTxID}
		if len(j.Metadata.Extra) > 0 {
			h.Metadata.Extra = []byte(j.Metadata.Extra)
		}
	}
	return h
}

// must returns v, panicking (which fails the test) on err.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

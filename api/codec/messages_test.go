package codec

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/attestdb/attestdb/api/schema"
)

// Representative messages shared by the table test, the fuzz seeds and the
// benchmarks.

func kvMetadata(i int) *schema.KVMetadata {
	switch i % 3 {
	case 0:
		return nil
	case 1:
		return &schema.KVMetadata{NonIndexable: true}
	}
	return &schema.KVMetadata{Deleted: true, Expiration: &schema.Expiration{ExpiresAt: 1_700_000_000 + int64(i)}}
}

// entries is an answer of n history entries, as a history or scan returns.
func entries(n int) *schema.Entries {
	out := &schema.Entries{}
	for i := range n {
		e := &schema.Entry{
			Tx:       uint64(1000 + i),
			Key:      fmt.Appendf(nil, "key-%08d", i),
			Value:    fmt.Appendf(nil, "value of entry %d with some payload bytes", i),
			Metadata: kvMetadata(i),
			Revision: uint64(i + 1),
		}
		if i%10 == 0 {
			e.ReferencedBy = &schema.Reference{Tx: uint64(i), Key: []byte("ref"), AtTx: 7, Revision: 2, Metadata: kvMetadata(i + 1)}
		}
		out.Entries = append(out.Entries, e)
	}
	return out
}

// setRequest is a SetAll of n KVs with one precondition of each kind.
func setRequest(n int) *schema.SetRequest {
	out := &schema.SetRequest{NoWait: true}
	for i := range n {
		out.KVs = append(out.KVs, &schema.KeyValue{
			Key:      fmt.Appendf(nil, "bench-key-%08d", i),
			Value:    fmt.Appendf(nil, "bench-value-%08d-0123456789abcdef", i),
			Metadata: kvMetadata(i),
		})
	}
	out.Preconditions = []*schema.Precondition{
		{Precondition: &schema.Precondition_KeyMustExist{KeyMustExist: &schema.Precondition_KeyMustExistPrecondition{Key: []byte("a")}}},
		{Precondition: &schema.Precondition_KeyMustNotExist{KeyMustNotExist: &schema.Precondition_KeyMustNotExistPrecondition{Key: []byte("b")}}},
		{Precondition: &schema.Precondition_KeyNotModifiedAfterTX{KeyNotModifiedAfterTX: &schema.Precondition_KeyNotModifiedAfterTXPrecondition{Key: []byte("c"), TxID: 42}}},
	}
	return out
}

func hashes(n int, seed byte) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		h := make([]byte, 32)
		for j := range h {
			h[j] = seed + byte(i*7+j)
		}
		out[i] = h
	}
	return out
}

func txHeader(id uint64) *schema.TxHeader {
	return &schema.TxHeader{
		Id: id, PrevAlh: hashes(1, 1)[0], Ts: 1_700_000_000, Nentries: 3, EH: hashes(1, 2)[0],
		BlTxId: id - 1, BlRoot: hashes(1, 3)[0], Version: 1,
		Metadata: &schema.TxMetadata{TruncatedTxID: 2, Extra: []byte("x")},
	}
}

// verifiableTx is a VerifiableTx with a full DualProof.
func verifiableTx() *schema.VerifiableTx {
	tx := &schema.Tx{Header: txHeader(9)}
	for i := range 3 {
		tx.Entries = append(tx.Entries, &schema.TxEntry{Key: fmt.Appendf(nil, "k%d", i), HValue: hashes(1, byte(i))[0], VLen: int32(10 + i)})
	}
	return &schema.VerifiableTx{
		Tx: tx,
		DualProof: &schema.DualProof{
			SourceTxHeader:     txHeader(5),
			TargetTxHeader:     txHeader(9),
			InclusionProof:     hashes(3, 10),
			ConsistencyProof:   hashes(2, 20),
			TargetBlTxAlh:      hashes(1, 30)[0],
			LastInclusionProof: hashes(4, 40),
			LinearProof:        &schema.LinearProof{SourceTxId: 8, TargetTxId: 9, Terms: hashes(2, 50)},
			LinearAdvanceProof: &schema.LinearAdvanceProof{
				LinearProofTerms: hashes(2, 60),
				InclusionProofs:  []*schema.InclusionProof{{Leaf: 1, Width: 4, Terms: hashes(2, 70)}},
			},
		},
		Signature: &schema.Signature{PublicKey: []byte("pk"), Signature: []byte("sig")},
	}
}

// Recorded answers of immudb v1.11.1 (the repository's shared vectors): the
// codec must read them and write them back byte for byte.

var vectorsDir = filepath.Join("..", "..", "testdata", "vectors")

type recorded struct {
	name string
	msg  proto.Message // empty message of the answer's type
	wire []byte
}

func recordedAnswers(t testing.TB) []recorded {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectorsDir, "dual_proofs.json"))
	if err != nil {
		t.Fatalf("read vectors: %v", err)
	}
	var d struct {
		VerifiableTxByID []struct {
			Name string `json:"name"`
			B64  string `json:"response_protobuf_base64"`
		} `json:"verifiableTxById"`
		VerifiableGet []struct {
			Name string `json:"name"`
			B64  string `json:"response_protobuf_base64"`
		} `json:"verifiableGet"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("parse dual_proofs.json: %v", err)
	}
	var out []recorded
	add := func(name, b64 string, m proto.Message) {
		w, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, recorded{name: name, msg: m, wire: w})
	}
	for _, c := range d.VerifiableTxByID {
		add(c.Name, c.B64, &schema.VerifiableTx{})
	}
	for _, c := range d.VerifiableGet {
		add(c.Name, c.B64, &schema.VerifiableEntry{})
	}
	if len(out) < 10 {
		t.Fatalf("only %d recorded answers", len(out))
	}
	return out
}

// sqlValues covers every branch of the SQLValue oneof, the null one holding
// the well-known enum google.protobuf.NullValue.
func sqlValues() []*schema.SQLValue {
	return []*schema.SQLValue{
		{Value: &schema.SQLValue_Null{Null: structpb.NullValue_NULL_VALUE}},
		{Value: &schema.SQLValue_N{N: -5}},
		{Value: &schema.SQLValue_S{S: "héllo"}},
		{Value: &schema.SQLValue_B{B: true}},
		{Value: &schema.SQLValue_Bs{Bs: []byte{0, 1, 2}}},
		{Value: &schema.SQLValue_Ts{Ts: 1_700_000_000_000_000}},
		{Value: &schema.SQLValue_F{F: 2.5}},
	}
}

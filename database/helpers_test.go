package database

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/embedded/store"
	"github.com/attestdb/attestdb/proof"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

const vectorsDir = "../testdata/vectors"

func loadJSON(t testing.TB, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectorsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func hx(t testing.TB, v any) []byte {
	t.Helper()
	s, _ := v.(string)
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func num(v any) uint64 { f, _ := v.(float64); return uint64(f) }

// testSigner signs with the test key of signed_state.json.
type testSigner struct{ k *ecdsa.PrivateKey }

func (s testSigner) SignState(db string, txID uint64, txHash []byte) (*schema.Signature, error) {
	sig, pub, err := proof.SignState(s.k, db, txID, txHash)
	if err != nil {
		return nil, err
	}
	return &schema.Signature{Signature: sig, PublicKey: pub}, nil
}

func loadTestSigner(t testing.TB) (testSigner, *ecdsa.PublicKey) {
	m := loadJSON(t, "signed_state.json")
	k, err := proof.ParseSigningKeyPEM([]byte(m["privateKeyPem"].(string)))
	if err != nil {
		t.Fatal(err)
	}
	return testSigner{k}, &k.PublicKey
}

// openTestDB opens a fresh database in a temp dir. With chainClock the
// commit time is 1700000000 + 10*id, the clock of tx_chain.json.
func openTestDB(t testing.TB, chainClock bool, o *Options) *DB {
	t.Helper()
	so := store.DefaultOptions()
	so.Synced = false
	var d *DB
	var ready atomic.Bool
	if chainClock {
		so.Clock = func() int64 {
			if !ready.Load() {
				return 1700000000
			}
			id, _ := d.st.LastCommitted()
			return 1700000000 + 10*int64(id+1)
		}
	}
	var opts Options
	if o != nil {
		opts = *o
	}
	opts.Store = &so
	d, err := Open("defaultdb", t.TempDir(), &opts)
	if err != nil {
		t.Fatal(err)
	}
	ready.Store(true)
	t.Cleanup(func() { d.Close() })
	return d
}

func kvMDFromJSON(v any) *schema.KVMetadata {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	md := &schema.KVMetadata{Deleted: m["deleted"] == true, NonIndexable: m["nonIndexable"] == true}
	if e, ok := m["expiration"].(map[string]any); ok {
		md.Expiration = &schema.Expiration{ExpiresAt: int64(e["expiresAt"].(float64))}
	}
	return md
}

func kvsFromJSON(t testing.TB, v any) []*schema.KeyValue {
	var out []*schema.KeyValue
	for _, x := range v.([]any) {
		m := x.(map[string]any)
		out = append(out, &schema.KeyValue{Key: hx(t, m["key"]), Value: hx(t, m["value"]), Metadata: kvMDFromJSON(m["metadata"])})
	}
	return out
}

func refFromJSON(t testing.TB, m map[string]any) *schema.ReferenceRequest {
	return &schema.ReferenceRequest{Key: hx(t, m["key"]), ReferencedKey: hx(t, m["referencedKey"]),
		AtTx: num(m["atTx"]), BoundRef: m["boundRef"] == true}
}

func zaddFromJSON(t testing.TB, m map[string]any) *schema.ZAddRequest {
	return &schema.ZAddRequest{Set: hx(t, m["set"]), Score: m["score"].(float64), Key: hx(t, m["key"]),
		AtTx: num(m["atTx"]), BoundRef: m["boundRef"] == true}
}

// toJSONish renders a message the way the vectors do: proto field names,
// bytes as lowercase hex, numbers as float64, absent messages as nil.
func toJSONish(m protoreflect.Message) any {
	if !m.IsValid() {
		return nil
	}
	out := map[string]any{}
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		name := string(fd.Name())
		v := m.Get(fd)
		switch {
		case fd.IsList():
			l := v.List()
			arr := make([]any, l.Len())
			for j := 0; j < l.Len(); j++ {
				arr[j] = scalarJSONish(fd, l.Get(j))
			}
			out[name] = arr
		case fd.Kind() == protoreflect.MessageKind:
			if m.Has(fd) {
				out[name] = toJSONish(v.Message())
			} else {
				out[name] = nil
			}
		default:
			out[name] = scalarJSONish(fd, v)
		}
	}
	return out
}

func scalarJSONish(fd protoreflect.FieldDescriptor, v protoreflect.Value) any {
	switch fd.Kind() {
	case protoreflect.MessageKind:
		return toJSONish(v.Message())
	case protoreflect.BytesKind:
		return hex.EncodeToString(v.Bytes())
	case protoreflect.BoolKind:
		return v.Bool()
	case protoreflect.StringKind:
		return v.String()
	case protoreflect.DoubleKind, protoreflect.FloatKind:
		return v.Float()
	case protoreflect.Int32Kind, protoreflect.Int64Kind, protoreflect.Sint32Kind, protoreflect.Sint64Kind, protoreflect.Sfixed32Kind, protoreflect.Sfixed64Kind:
		return float64(v.Int())
	case protoreflect.EnumKind:
		return float64(v.Enum())
	default:
		return float64(v.Uint())
	}
}

// normalize folds the equivalent forms the vectors use: default scalars,
// empty lists and all-default messages all equal an absent field.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if n := normalize(e); n != nil {
				out[k] = n
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		if len(x) == 0 {
			return nil
		}
		out := make([]any, len(x))
		for i := range x {
			out[i] = normalize(x[i])
		}
		return out
	case string:
		if x == "" {
			return nil
		}
	case float64:
		if x == 0 {
			return nil
		}
	case bool:
		if !x {
			return nil
		}
	}
	return v
}

// diff lists the paths where got and want differ, skipping keys in skip.
func diff(path string, got, want any, skip map[string]bool, out *[]string) {
	gm, gok := got.(map[string]any)
	wm, wok := want.(map[string]any)
	if gok && wok {
		keys := map[string]bool{}
		for k := range gm {
			keys[k] = true
		}
		for k := range wm {
			keys[k] = true
		}
		var ks []string
		for k := range keys {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for _, k := range ks {
			if skip[k] {
				continue
			}
			diff(path+"."+k, gm[k], wm[k], skip, out)
		}
		return
	}
	gl, gok := got.([]any)
	wl, wok := want.([]any)
	if gok && wok && len(gl) == len(wl) {
		for i := range gl {
			diff(fmt.Sprintf("%s[%d]", path, i), gl[i], wl[i], skip, out)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		*out = append(*out, fmt.Sprintf("%s: got %v want %v", path, short(got), short(want)))
	}
}

func short(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// compareMsg compares a response with its recorded JSON, field by field;
// fields named in skip (e.g. signature) are left to the caller.
func compareMsg(t testing.TB, name string, got proto.Message, want any, skip ...string) {
	t.Helper()
	sk := map[string]bool{}
	for _, s := range skip {
		sk[s] = true
	}
	var ds []string
	diff("", normalize(toJSONish(got.ProtoReflect())), normalize(want), sk, &ds)
	if len(ds) > 0 {
		t.Errorf("%s: %d differences:\n%s", name, len(ds), strings.Join(ds, "\n"))
	}
}

var bg = context.Background()

package immuadmin

import (
	"bytes"
	"strings"
	"testing"

	"github.com/attestdb/attestdb/api/schema"
)

func TestEmitTree(t *testing.T) {
	hash := bytes.Repeat([]byte{0xab}, 32)
	root := bytes.Repeat([]byte{0x01}, 32)
	for _, tc := range []struct {
		name string
		st   *schema.ImmutableState
		hdr  *schema.TxHeader
		json bool
		want []string
	}{
		{"empty db", &schema.ImmutableState{Db: "d"}, nil, false, []string{"database 'd' is empty\n"}},
		{"first tx", &schema.ImmutableState{Db: "d", TxId: 1, TxHash: hash}, &schema.TxHeader{Id: 1}, false,
			[]string{"tx id:      1\n", "tx hash:    " + strings.Repeat("ab", 32), "binary-linking tree: empty"}},
		{"later tx", &schema.ImmutableState{Db: "d", TxId: 4, TxHash: hash}, &schema.TxHeader{Id: 4, BlTxId: 3, BlRoot: root}, false,
			[]string{"hashes of txs 1..3, committed by tx 4", "  size:     3\n", "  root:     " + strings.Repeat("01", 32)}},
		{"json", &schema.ImmutableState{Db: "d", TxId: 4, TxHash: hash}, &schema.TxHeader{Id: 4, BlTxId: 3, BlRoot: root}, true,
			[]string{`"treeSize": 3`, `"treeRoot": "` + strings.Repeat("01", 32) + `"`, `"txID": 4`}},
	} {
		var out bytes.Buffer
		a := &app{out: &out, jsonMode: tc.json}
		if err := a.emitTree(tc.st, tc.hdr); err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: output lacks %q:\n%s", tc.name, w, out.String())
			}
		}
	}
}

package index

import "testing"

func TestSmoke(t *testing.T) {
	ix := openTest(t, t.TempDir())
	defer ix.Close()
	applyTxs(t, ix, []kv{{"a", "1"}, {"b", "2"}}, []kv{{"a", "3"}})
	v, err := ix.Get([]byte("a"), 0)
	if err != nil || v.TxID != 2 || v.Revision != 2 || string(v.Payload) != "3" {
		t.Fatalf("got %v %v", fmtVersion(v), err)
	}
	keys, _ := collect(t, ix, ScanOptions{})
	t.Log(keys)
}

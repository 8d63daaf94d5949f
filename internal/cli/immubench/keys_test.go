package immubench

import (
	"bytes"
	"fmt"
	"math"
	"testing"
)

// TestKeyFormats: the hand-made key formatting is fmt's, digit for digit,
// including numbers wider than their padding.
func TestKeyFormats(t *testing.T) {
	for _, v := range []uint64{0, 7, 42, 9999, 10000, 123456789, 999999999999, 1000000000000, math.MaxUint64} {
		for _, width := range []int{0, 1, 4, 9, 12, 25} {
			if got, want := string(appendDec([]byte("x"), v, width)), fmt.Sprintf("x%0*d", width, v); got != want {
				t.Fatalf("appendDec(%d, %d) = %q, want %q", v, width, got, want)
			}
		}
	}
	w := newWorkload(serverConfig{workload: "setall", valueSize: 100}, "run1")
	if got, want := string(w.writeKey(12345, 7)), fmt.Sprintf("%sw/%012d/%04d", w.prefix, 12345, 7); got != want {
		t.Fatalf("writeKey = %q, want %q", got, want)
	}
	r := newWorkload(serverConfig{workload: "get", valueSize: 32, keys: 10}, "run1")
	if got, want := string(r.readKey(31)), fmt.Sprintf("%sk/%09d", r.prefix, 31); got != want {
		t.Fatalf("readKey = %q, want %q", got, want)
	}
}

// TestFillSetAll: the reused setall request holds, call after call, the
// keys and values that writeKey and valueFor give, none overlapping.
func TestFillSetAll(t *testing.T) {
	w := newWorkload(serverConfig{workload: "setall", valueSize: 100}, "run1")
	var bt setAllBatch
	for _, op := range []int64{3, 1234567} {
		req := w.fillSetAll(&bt, op)
		if len(req.KVs) != setAllEntries {
			t.Fatalf("%d KVs", len(req.KVs))
		}
		for j, kv := range req.KVs {
			k := w.writeKey(op, j)
			if !bytes.Equal(kv.Key, k) || !bytes.Equal(kv.Value, w.valueFor(k)) {
				t.Fatalf("op %d entry %d: %q=%q", op, j, kv.Key, kv.Value)
			}
			if cap(kv.Key) != len(kv.Key) || cap(kv.Value) != len(kv.Value) {
				t.Fatalf("op %d entry %d: an append could overwrite the next entry", op, j)
			}
		}
	}
}

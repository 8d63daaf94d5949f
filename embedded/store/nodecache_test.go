package store

import (
	"os"
	"testing"

	"github.com/attestdb/attestdb/embedded/vfs"
	"github.com/attestdb/attestdb/proof"
)

func nodeHash(gen byte, i int) proof.Hash {
	var h proof.Hash
	h[0], h[1], h[2] = gen, byte(i), byte(i>>8)
	return h
}

// The node cache must never serve a node that a truncate replaced.
func TestNodeCacheTruncateAndRewrite(t *testing.T) {
	fs := vfs.NewMem()
	f, err := fs.OpenFile("aht", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	n, err := openNodeFile(f)
	if err != nil {
		t.Fatal(err)
	}
	n.keep = nodesPerBlock / 2 // most nodes go through the block cache
	const total = 5*nodesPerBlock + 17
	write := func(gen byte, from, to int) {
		t.Helper()
		var hs []proof.Hash
		for i := from; i < to; i++ {
			hs = append(hs, nodeHash(gen, i))
		}
		if err := n.AppendNodes(hs); err != nil {
			t.Fatal(err)
		}
		if err := n.flush(); err != nil {
			t.Fatal(err)
		}
	}
	check := func(gen func(i int) byte) {
		t.Helper()
		for i := 0; i < total; i++ {
			h, err := n.ReadNode(uint64(i))
			if err != nil {
				t.Fatalf("node %d: %v", i, err)
			}
			if want := nodeHash(gen(i), i); h != want {
				t.Fatalf("node %d = %x, want %x", i, h[:3], want[:3])
			}
		}
	}
	write(1, 0, total)
	check(func(int) byte { return 1 })
	check(func(int) byte { return 1 }) // now from the cache
	if n.memFrom == 0 || n.memFrom+n.keep > total {
		t.Fatalf("memory keeps nodes from %d of %d (keep %d)", n.memFrom, total, n.keep)
	}
	if want := (n.memFrom + nodesPerBlock - 1) / nodesPerBlock; uint64(len(n.cache.blocks)) != want {
		t.Fatalf("%d blocks cached, want the %d that hold nodes below %d", len(n.cache.blocks), want, n.memFrom)
	}
	cut := 2*nodesPerBlock + 5
	if err := n.truncate(uint64(cut)); err != nil {
		t.Fatal(err)
	}
	write(2, cut, total)
	check(func(i int) byte {
		if i < cut {
			return 1
		}
		return 2
	})
	if _, err := n.ReadNode(total); err == nil {
		t.Fatal("a node past the end was read")
	}
}

// Eviction keeps the cache bounded and first in, first out.
func TestNodeCacheBounded(t *testing.T) {
	c := newNodeCache()
	for b := uint64(0); b < nodeBlockCacheSize+10; b++ {
		c.put(b, new(nodeBlock), c.generation())
	}
	if len(c.blocks) != nodeBlockCacheSize {
		t.Fatalf("%d blocks, want %d", len(c.blocks), nodeBlockCacheSize)
	}
	if c.get(0) != nil || c.get(9) != nil || c.get(10) == nil || c.get(nodeBlockCacheSize+9) == nil {
		t.Fatal("eviction is not first in, first out")
	}
	g := c.generation()
	c.reset()
	c.put(1, new(nodeBlock), g)
	if c.get(1) != nil {
		t.Fatal("a block read before a reset was kept")
	}
}

// The tx index keeps a bounded in-memory tail and reads older entries from
// the file; a truncate below the file's end is honoured by both.
func TestTxIndexMemoryTail(t *testing.T) {
	fs := vfs.NewMem()
	f, err := fs.OpenFile("txindex", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	x, err := openTxIndex(f)
	if err != nil {
		t.Fatal(err)
	}
	x.keep = 10
	entry := func(gen byte, id uint64) txEntry {
		e := txEntry{Pos: id * 100, Len: uint32(frameLen + id)}
		e.Alh[0], e.Alh[1] = gen, byte(id)
		return e
	}
	add := func(gen byte, from, to uint64) {
		t.Helper()
		var b []byte
		for id := from; id <= to; id++ {
			b = appendTxEntry(b, entry(gen, id))
		}
		x.append(b)
		if err := x.flush(); err != nil {
			t.Fatal(err)
		}
	}
	check := func(to uint64, gen func(id uint64) byte) {
		t.Helper()
		if x.count() != to {
			t.Fatalf("count %d, want %d", x.count(), to)
		}
		for id := uint64(1); id <= to; id++ {
			e, err := x.read(id)
			if err != nil {
				t.Fatalf("entry %d: %v", id, err)
			}
			if e != entry(gen(id), id) {
				t.Fatalf("entry %d = %+v", id, e)
			}
		}
		if _, err := x.read(to + 1); err == nil {
			t.Fatalf("entry %d past the end was read", to+1)
		}
	}
	add(1, 1, 25)
	add(1, 26, 50)
	if x.memFrom == 0 || x.count()-x.memFrom > 2*x.keep {
		t.Fatalf("memory holds entries after %d of %d (keep %d)", x.memFrom, x.count(), x.keep)
	}
	check(50, func(uint64) byte { return 1 })
	if err := x.truncate(30); err != nil { // below the in-memory tail
		t.Fatal(err)
	}
	add(2, 31, 45)
	check(45, func(id uint64) byte {
		if id <= 30 {
			return 1
		}
		return 2
	})
	if err := x.close(); err != nil {
		t.Fatal(err)
	}
	if _, err := x.read(45); err != ErrClosed {
		t.Fatalf("read after close: %v, want ErrClosed", err)
	}
}

func TestFIFO(t *testing.T) {
	f := fifo[int]{max: 3}
	for k := 1; k <= 3; k++ {
		if _, full := f.add(k); full {
			t.Fatalf("add %d: full before max", k)
		}
	}
	for _, step := range []struct{ add, evict int }{{4, 1}, {5, 2}, {6, 3}, {7, 4}} {
		if got, full := f.add(step.add); !full || got != step.evict {
			t.Fatalf("add %d evicted %d (full %v), want %d", step.add, got, full, step.evict)
		}
	}
	f.reset()
	if _, full := f.add(9); full {
		t.Fatal("full after reset")
	}
}

package database

import (
	"context"
	"testing"

	"github.com/attestdb/attestdb/api/schema"
)

func sizeOfDB(t *testing.T, m *Manager, name string) uint64 {
	t.Helper()
	for _, i := range m.List() {
		if i.Name == name {
			return i.DiskSize
		}
	}
	t.Fatalf("%s not listed", name)
	return 0
}

// TestDiskSizeIsWrittenBytes: sizes count what was written, not the
// preallocated log segments (512 MB each by default), grow with writes,
// and survive an unload.
func TestDiskSizeIsWrittenBytes(t *testing.T) {
	m, err := OpenManager(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Create("db1", nil); err != nil {
		t.Fatal(err)
	}
	empty := sizeOfDB(t, m, "db1")
	if empty == 0 || empty >= 64<<20 {
		t.Fatalf("empty database: %d bytes (a preallocated segment is %d)", empty, 512<<20)
	}
	t.Logf("empty database: %d bytes", empty)
	if again := sizeOfDB(t, m, "db1"); again != empty {
		t.Fatalf("unchanged database: %d then %d", empty, again)
	}
	db, err := m.Get("db1")
	if err != nil {
		t.Fatal(err)
	}
	value := make([]byte, 64<<10)
	for i := 0; i < 8; i++ {
		if _, err := db.Set(context.Background(), &schema.SetRequest{KVs: []*schema.KeyValue{{Key: []byte{'k', byte(i)}, Value: value}}}); err != nil {
			t.Fatal(err)
		}
	}
	grown := sizeOfDB(t, m, "db1")
	if grown < empty+8*uint64(len(value)) {
		t.Fatalf("after 512 KiB of values: %d bytes, was %d", grown, empty)
	}
	t.Logf("after 8 × 64 KiB values: %d bytes", grown)
	if total := m.DiskSize(); total < grown || total >= 3*(64<<20) {
		t.Fatalf("DiskSize %d (db1 alone %d)", total, grown)
	}
	if err := m.Unload("db1"); err != nil {
		t.Fatal(err)
	}
	if unloaded := sizeOfDB(t, m, "db1"); unloaded != grown {
		t.Fatalf("unloaded: %d, loaded it was %d", unloaded, grown)
	}
}

// BenchmarkDiskSize compares the answer for an unchanged database (the
// metrics scrape case) with walking its whole directory.
func BenchmarkDiskSize(b *testing.B) {
	m, err := OpenManager(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	db, _ := m.Get(DefaultDBName)
	for i := 0; i < 100; i++ {
		if _, err := db.Set(context.Background(), &schema.SetRequest{KVs: []*schema.KeyValue{{Key: []byte{'k', byte(i)}, Value: []byte("v")}}}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("memo", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			_ = m.DiskSize()
		}
	})
	b.Run("walk", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			_ = walkSize(m.dir, "")
		}
	})
}

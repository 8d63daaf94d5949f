package database

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
)

// FuzzReadRecord: the settings-file decoder never panics, and whatever it
// accepts survives a write/read round trip unchanged.
func FuzzReadRecord(f *testing.F) {
	m := &Manager{dir: f.TempDir()}
	seed := &dbRecord{name: "db", settings: DefaultSettings(), createdAt: time.Unix(1700000000, 0), createdBy: "immudb"}
	if err := m.writeRecord(seed); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(m.dir, "db", settingsFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"name":"db","settings":{}}`))
	f.Add([]byte(`{"name":"db","settings":{"maxKeyLen":{"value":1}}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "db"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "db", settingsFile), data, 0o644); err != nil {
			t.Fatal(err)
		}
		rec, err := readRecord(filepath.Join(dir, "db"), "db")
		if err != nil {
			return
		}
		m := &Manager{dir: dir}
		if err := m.writeRecord(rec); err != nil {
			t.Fatal(err)
		}
		again, err := readRecord(filepath.Join(dir, "db"), "db")
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		if !proto.Equal(rec.settings, again.settings) || rec.createdBy != again.createdBy || !rec.createdAt.Equal(again.createdAt) {
			t.Fatalf("round trip changed the record")
		}
	})
}

func TestHealth(t *testing.T) {
	d := openTestDB(t, false, nil)
	if p, last := d.Health(); p != 0 || last != 0 {
		t.Errorf("fresh: %d %d", p, last)
	}
	mustSet(t, d, kv("a", "1"))
	if p, last := d.Health(); p != 0 || last == 0 {
		t.Errorf("after a call: %d %d", p, last)
	}
	// A call in flight counts as pending.
	done, err := d.begin()
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := d.Health(); p != 1 {
		t.Errorf("pending %d", p)
	}
	done()
}

package database

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/attestdb/attestdb/api/schema"
	"google.golang.org/protobuf/proto"
)

func TestNormalizeName(t *testing.T) {
	for _, c := range []struct {
		in, out string
		err     error
	}{
		{"db1", "db1", nil},
		{"MyDB_2", "mydb_2", nil},
		{strings.Repeat("a", 128), strings.Repeat("a", 128), nil},
		{strings.Repeat("a", 129), "", ErrInvalidDatabaseName},
		{"", "", ErrInvalidDatabaseName},
		{"a-b", "", ErrInvalidDatabaseName},
		{"../x", "", ErrInvalidDatabaseName},
		{"a b", "", ErrInvalidDatabaseName},
		{"é", "", ErrInvalidDatabaseName},
	} {
		got, err := NormalizeName(c.in)
		if got != c.out || !errors.Is(err, c.err) && !(err == nil && c.err == nil) {
			t.Errorf("%q: %q %v", c.in, got, err)
		}
	}
}

func TestManagerLifecycle(t *testing.T) {
	dir := t.TempDir()
	m, err := OpenManager(dir, &ManagerOptions{MaxActiveDatabases: 4})
	if err != nil {
		t.Fatal(err)
	}
	// First start: systemdb and defaultdb, empty.
	def, err := m.Get("defaultdb")
	if err != nil {
		t.Fatal(err)
	}
	st, _ := def.CurrentState(bg)
	if st.TxId != 0 || fmt.Sprintf("%x", st.TxHash) != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("fresh defaultdb state %v", st)
	}
	if _, err := m.SystemDB(); err != nil {
		t.Fatal(err)
	}
	if l := m.List(); len(l) != 1 || l[0].Name != "defaultdb" || !l[0].Loaded {
		t.Errorf("list %v", l)
	}
	if !proto.Equal(m.List()[0].Settings, DefaultSettings()) {
		t.Errorf("defaultdb settings are not the defaults")
	}

	s, err := m.Create("DB2", &schema.DatabaseNullableSettings{MaxKeyLen: &schema.NullableUint32{Value: 32}})
	if err != nil {
		t.Fatal(err)
	}
	if s.MaxKeyLen.Value != 32 || s.MaxValueLen.Value != 33554432 || s.FileSize.Value != 536870912 || s.MaxTxEntries.Value != 1024 || s.ExcludeCommitTime.Value {
		t.Errorf("settings %v", s)
	}
	db2, err := m.Get("db2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db2.Set(bg, &schema.SetRequest{KVs: []*schema.KeyValue{kv(strings.Repeat("k", 32), "v")}}); !errors.Is(err, ErrMaxKeyLenExceeded) {
		t.Errorf("maxKeyLen setting not applied: %v", err)
	}
	mustSet(t, db2, kv("k", "v"))

	for _, c := range []struct {
		name string
		err  error
		f    func() error
	}{
		{"create existing", ErrDatabaseAlreadyExists, func() error { _, err := m.Create("db2", nil); return err }},
		{"create reserved", ErrDatabaseReserved, func() error { _, err := m.Create("defaultdb", nil); return err }},
		{"create bad name", ErrInvalidDatabaseName, func() error { _, err := m.Create("a/b", nil); return err }},
		{"create bad settings", ErrIllegalArguments, func() error {
			_, err := m.Create("db9", &schema.DatabaseNullableSettings{MaxKeyLen: &schema.NullableUint32{}})
			return err
		}},
		{"get unknown", ErrDatabaseNotExists, func() error { _, err := m.Get("nope"); return err }},
		{"delete loaded", ErrDatabaseLoaded, func() error { return m.Delete("db2") }},
		{"delete reserved", ErrDatabaseReserved, func() error { return m.Delete("defaultdb") }},
		{"unload reserved", ErrDatabaseReserved, func() error { return m.Unload("systemdb") }},
		{"load loaded", ErrDatabaseAlreadyLoaded, func() error { return m.Load("db2") }},
		{"update systemdb", ErrDatabaseReserved, func() error { _, err := m.Update("systemdb", nil); return err }},
	} {
		if err := c.f(); !errors.Is(err, c.err) {
			t.Errorf("%s: %v, want %v", c.name, err, c.err)
		}
	}

	// Replica flag: stored and applied at once.
	if _, err := m.Update("db2", &schema.DatabaseNullableSettings{ReplicationSettings: &schema.ReplicationNullableSettings{Replica: &schema.NullableBool{Value: true}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db2.Set(bg, &schema.SetRequest{KVs: []*schema.KeyValue{kv("k", "v")}}); !errors.Is(err, ErrIsReplica) {
		t.Errorf("replica: %v", err)
	}
	got, _ := m.Settings("db2")
	if !got.ReplicationSettings.Replica.Value || got.MaxKeyLen.Value != 32 {
		t.Errorf("updated settings %v", got)
	}

	// Max active databases: systemdb, defaultdb, db2, db3 = 4.
	if _, err := m.Create("db3", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Create("db4", nil); !errors.Is(err, ErrMaxActiveDatabases) {
		t.Errorf("max active: %v", err)
	}

	if err := m.Unload("db3"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get("db3"); !errors.Is(err, ErrAlreadyClosed) || err.Error() != "already closed" {
		t.Errorf("get unloaded: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopen: settings, data and the unloaded state survive.
	m, err = OpenManager(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	db2, err = m.Get("db2")
	if err != nil {
		t.Fatal(err)
	}
	if !db2.IsReplica() {
		t.Error("replica flag lost")
	}
	if e, err := db2.Get(bg, &schema.KeyRequest{Key: []byte("k")}); err != nil || string(e.Value) != "v" {
		t.Errorf("data lost: %v %v", e, err)
	}
	var names []string
	for _, i := range m.List() {
		names = append(names, fmt.Sprintf("%s:%v", i.Name, i.Loaded))
	}
	if s := strings.Join(names, ","); s != "db2:true,db3:false,defaultdb:true" {
		t.Errorf("after reopen: %s", s)
	}
	if err := m.Delete("db3"); err != nil {
		t.Fatal(err)
	}
	if m.Exists("db3") {
		t.Error("db3 still exists")
	}
	if err := m.Load("db2"); !errors.Is(err, ErrDatabaseAlreadyLoaded) {
		t.Errorf("load: %v", err)
	}
	if m.TxCount() != 1 || m.DiskSize() == 0 {
		t.Errorf("txCount %d diskSize %d", m.TxCount(), m.DiskSize())
	}
}

// TestManagerConcurrent runs database management and KV calls together;
// run with -race.
func TestManagerConcurrent(t *testing.T) {
	m, err := OpenManager(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			name := fmt.Sprintf("db%d", i)
			for j := 0; j < 3; j++ {
				if _, err := m.Create(name, nil); err != nil {
					t.Error(err)
					return
				}
				db, err := m.Get(name)
				if err != nil {
					t.Error(err)
					return
				}
				mustSet(t, db, kv("k", name))
				_ = m.List()
				_ = m.TxCount()
				if err := m.Unload(name); err != nil {
					t.Error(err)
				}
				if err := m.Delete(name); err != nil {
					t.Error(err)
				}
			}
		}(i)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		db, _ := m.Get("defaultdb")
		for j := 0; j < 50; j++ {
			mustSet(t, db, kv(fmt.Sprint("k", j), "v"))
		}
	}()
	wg.Wait()
}

func TestUserRecords(t *testing.T) {
	dir := t.TempDir()
	m, err := OpenManager(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	sys, _ := m.SystemDB()
	u := NewUserRecords(sys)
	if got, err := u.Load(); err != nil || len(got) != 0 {
		t.Fatalf("empty: %v %v", got, err)
	}
	if err := u.Save("immudb", []byte(`{"v":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := u.Save("alice", []byte(`{"v":2}`)); err != nil {
		t.Fatal(err)
	}
	if err := u.Save("immudb", []byte(`{"v":3}`)); err != nil {
		t.Fatal(err)
	}
	if err := u.Save("", nil); !errors.Is(err, ErrIllegalArguments) {
		t.Errorf("empty name: %v", err)
	}
	m.Close()
	m, err = OpenManager(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	sys, _ = m.SystemDB()
	got, err := NewUserRecords(sys).Load()
	if err != nil || len(got) != 2 || string(got["immudb"]) != `{"v":3}` || string(got["alice"]) != `{"v":2}` {
		t.Errorf("after reopen: %q %v", got, err)
	}
	// Users are ordinary, verifiable entries of systemdb.
	if _, err := sys.VerifiableGet(bg, &schema.VerifiableGetRequest{KeyRequest: &schema.KeyRequest{Key: []byte("user:alice")}}); err != nil {
		t.Errorf("verifiable user read: %v", err)
	}
}

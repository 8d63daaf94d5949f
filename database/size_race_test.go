package database

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/attestdb/attestdb/api/schema"
)

// TestDiskSizeConcurrentLifecycle asks for sizes (List, DiskSize) while
// other goroutines write to, create, unload, load and delete databases;
// run with -race. Every answer must come without a panic, and once the
// churn stops the sizes must be those of the databases left.
func TestDiskSizeConcurrentLifecycle(t *testing.T) {
	m, err := OpenManager(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	const churners, rounds = 2, 6
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var sizers sync.WaitGroup
	sizers.Add(2)
	go func() { // sizes, as a metrics scrape asks them
		defer sizers.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			_ = m.DiskSize()
			for _, i := range m.List() {
				_ = i.DiskSize
			}
		}
	}()
	go func() { // writes to defaultdb, which moves its size
		defer sizers.Done()
		db, err := m.Get(DefaultDBName)
		if err != nil {
			t.Error(err)
			return
		}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := db.Set(context.Background(), &schema.SetRequest{KVs: []*schema.KeyValue{{Key: []byte(fmt.Sprint("k", i)), Value: []byte("v")}}}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for c := 0; c < churners; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				name := fmt.Sprintf("churn%d%d", c, r)
				if _, err := m.Create(name, nil); err != nil {
					t.Error(err)
					return
				}
				if db, err := m.Get(name); err == nil {
					_, _ = db.Set(context.Background(), &schema.SetRequest{KVs: []*schema.KeyValue{{Key: []byte("k"), Value: []byte("v")}}})
				}
				steps := []func(string) error{m.Unload, m.Load, m.Unload}
				if r%2 == 0 {
					steps = append(steps, m.Delete)
				}
				for _, step := range steps {
					if err := step(name); err != nil {
						t.Errorf("%s: %v", name, err)
						return
					}
				}
			}
		}(c)
	}
	wg.Wait()
	close(stop)
	sizers.Wait()

	var sum uint64
	names := map[string]bool{}
	for _, i := range m.List() {
		names[i.Name] = true
		if i.DiskSize == 0 {
			t.Errorf("%s: size 0", i.Name)
		}
		sum += i.DiskSize
	}
	for c := 0; c < churners; c++ {
		for r := 0; r < rounds; r++ {
			name := fmt.Sprintf("churn%d%d", c, r)
			if names[name] == (r%2 == 0) {
				t.Errorf("%s listed: %v", name, names[name])
			}
		}
	}
	// DiskSize also counts systemdb, which List leaves out.
	if total := m.DiskSize(); total <= sum {
		t.Errorf("DiskSize %d, listed databases alone %d", total, sum)
	}
}

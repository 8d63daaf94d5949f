package session

import (
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fakeClock struct{ ns atomic.Int64 }

func newClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func newTestManager(t *testing.T, mod func(*Options)) (*Manager, *fakeClock) {
	t.Helper()
	clk := newClock()
	o := DefaultOptions()
	o.Now = clk.Now
	if mod != nil {
		mod(&o)
	}
	m, err := NewManager(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m, clk
}

func TestSessionIDFormat(t *testing.T) {
	m, _ := newTestManager(t, nil)
	seen := map[string]bool{}
	for range 50 {
		s, err := m.Open("immudb", "defaultdb")
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.URLEncoding.DecodeString(s.ID)
		if err != nil || len(raw) != 32 || len(s.ID) != 44 || s.ID[43] != '=' {
			t.Fatalf("id %q: %d bytes, %v", s.ID, len(raw), err)
		}
		if seen[s.ID] {
			t.Fatal("duplicate session id")
		}
		seen[s.ID] = true
	}
}

func TestOpenGetSetDatabaseClose(t *testing.T) {
	m, clk := newTestManager(t, nil)
	s, err := m.Open("alice", "defaultdb")
	if err != nil {
		t.Fatal(err)
	}
	if s.Username != "alice" || s.Database != "defaultdb" || !s.CreatedAt.Equal(clk.Now()) {
		t.Fatalf("info %+v", s)
	}
	if err := m.SetDatabase(s.ID, "db1"); err != nil {
		t.Fatal(err)
	}
	got, err := m.Get(s.ID)
	if err != nil || got.Database != "db1" {
		t.Fatalf("%+v %v", got, err)
	}
	if err := m.CloseSession(s.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get(s.ID); !errors.Is(err, ErrSessionNotFound) {
		t.Fatalf("after close: %v", err)
	}
	if err := m.CloseSession(s.ID); !errors.Is(err, ErrSessionNotFound) {
		t.Fatalf("double close: %v", err)
	}
}

func TestErrorsAndTexts(t *testing.T) {
	m, _ := newTestManager(t, nil)
	for name, f := range map[string]func(string) error{
		"get":       func(id string) error { _, err := m.Get(id); return err },
		"keepalive": m.KeepAlive,
		"close":     m.CloseSession,
		"setdb":     func(id string) error { return m.SetDatabase(id, "x") },
	} {
		if err := f(""); !errors.Is(err, ErrNoSessionID) {
			t.Errorf("%s(\"\"): %v", name, err)
		}
		if err := f("bm9wZQ=="); !errors.Is(err, ErrSessionNotFound) {
			t.Errorf("%s(unknown): %v", name, err)
		}
	}
	texts := map[error]string{
		ErrSessionNotFound:    "session not found",
		ErrNoSessionID:        "no sessionID provided",
		ErrMaxSessionsReached: "can not create new session: max sessions number reached",
	}
	for err, s := range texts {
		if err.Error() != s {
			t.Errorf("%q != %q", err, s)
		}
	}
}

func TestTimeoutAndRefresh(t *testing.T) {
	m, clk := newTestManager(t, nil) // timeout 2m
	s, _ := m.Open("alice", "defaultdb")
	idle, _ := m.Open("bob", "defaultdb")
	// Keep s alive by calls every 90 s; idle gets none.
	for range 3 {
		clk.Advance(90 * time.Second)
		if err := m.KeepAlive(s.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Get(idle.ID); !errors.Is(err, ErrSessionNotFound) {
		t.Fatalf("idle session still usable: %v", err)
	}
	if m.Len() != 2 {
		t.Fatalf("dead session removed before the guard ran: %d", m.Len())
	}
	if n := m.Sweep(); n != 1 {
		t.Fatalf("sweep deleted %d", n)
	}
	if _, err := m.Get(s.ID); err != nil {
		t.Fatalf("refreshed session expired: %v", err)
	}
	// Exactly at the timeout it is alive, just after it is not.
	clk.Advance(2 * time.Minute)
	if _, err := m.Get(s.ID); err != nil {
		t.Fatalf("at timeout: %v", err)
	}
	clk.Advance(2*time.Minute + 1)
	if _, err := m.Get(s.ID); !errors.Is(err, ErrSessionNotFound) {
		t.Fatalf("after timeout: %v", err)
	}
}

func TestMaxAge(t *testing.T) {
	m, clk := newTestManager(t, func(o *Options) { o.MaxAge = 5 * time.Minute })
	s, _ := m.Open("alice", "defaultdb")
	for range 5 {
		clk.Advance(time.Minute)
		if err := m.KeepAlive(s.ID); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(1)
	if err := m.KeepAlive(s.ID); !errors.Is(err, ErrSessionNotFound) {
		t.Fatalf("past max age: %v", err)
	}
}

func TestNoTimeout(t *testing.T) {
	m, clk := newTestManager(t, func(o *Options) { o.Timeout = 0 })
	s, _ := m.Open("alice", "defaultdb")
	clk.Advance(1000 * time.Hour)
	if m.Sweep() != 0 {
		t.Fatal("swept a session although there is no timeout")
	}
	if _, err := m.Get(s.ID); err != nil {
		t.Fatal(err)
	}
}

func TestStatsInactive(t *testing.T) {
	m, clk := newTestManager(t, func(o *Options) { o.Timeout = 10 * time.Minute })
	a, _ := m.Open("a", "d")
	m.Open("b", "d")
	clk.Advance(3*time.Minute + 1)
	_ = m.KeepAlive(a.ID)
	if act, inact := m.Stats(); act != 1 || inact != 1 {
		t.Fatalf("active %d inactive %d", act, inact)
	}
}

func TestMaxSessions(t *testing.T) {
	m, clk := newTestManager(t, func(o *Options) { o.MaxSessions = 3 })
	var ids []string
	for range 3 {
		s, err := m.Open("u", "d")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, s.ID)
	}
	if _, err := m.Open("u", "d"); !errors.Is(err, ErrMaxSessionsReached) || err.Error() != "can not create new session: max sessions number reached" {
		t.Fatalf("4th: %v", err)
	}
	if err := m.CloseSession(ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Open("u", "d"); err != nil {
		t.Fatalf("after close: %v", err)
	}
	// Dead sessions do not count even before the guard runs.
	clk.Advance(3 * time.Minute)
	if _, err := m.Open("u", "d"); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if m.Len() != 1 {
		t.Fatalf("len %d", m.Len())
	}
}

type fakeTx struct {
	rolledBack atomic.Int32
	panics     bool
}

func (f *fakeTx) Rollback() error {
	f.rolledBack.Add(1)
	if f.panics {
		panic("boom")
	}
	return nil
}

func TestTransactionsRolledBackWhenSessionDies(t *testing.T) {
	var expired []Info
	m, clk := newTestManager(t, func(o *Options) { o.OnExpire = func(i Info) { expired = append(expired, i) } })
	s, _ := m.Open("alice", "db")
	tx1, tx2 := &fakeTx{}, &fakeTx{panics: true}
	id1, err := m.AddTransaction(s.ID, tx1)
	if err != nil {
		t.Fatal(err)
	}
	id2, _ := m.AddTransaction(s.ID, tx2)
	if got, err := m.Transaction(s.ID, id1); err != nil || got != tx1 {
		t.Fatalf("lookup: %v", err)
	}
	if _, err := m.Transaction(s.ID, "nope"); !errors.Is(err, ErrTransactionNotFound) {
		t.Fatal(err)
	}
	if _, err := m.Transaction(s.ID, ""); !errors.Is(err, ErrNoTransactionID) {
		t.Fatal(err)
	}
	if info, _ := m.Get(s.ID); info.Transactions != 2 {
		t.Fatalf("transactions %d", info.Transactions)
	}
	clk.Advance(time.Hour)
	if m.Sweep() != 1 {
		t.Fatal("not swept")
	}
	if tx1.rolledBack.Load() != 1 || tx2.rolledBack.Load() != 1 {
		t.Fatal("transactions not rolled back")
	}
	if len(expired) != 1 || expired[0].Username != "alice" || expired[0].Transactions != 2 {
		t.Fatalf("OnExpire got %+v", expired)
	}
	_ = id2

	// Commit path: RemoveTransaction hands it back and it is not rolled back later.
	s2, _ := m.Open("bob", "db")
	tx3 := &fakeTx{}
	id3, _ := m.AddTransaction(s2.ID, tx3)
	if got, err := m.RemoveTransaction(s2.ID, id3); err != nil || got != tx3 {
		t.Fatal(err)
	}
	if _, err := m.RemoveTransaction(s2.ID, id3); !errors.Is(err, ErrTransactionNotFound) {
		t.Fatal(err)
	}
	if err := m.CloseSession(s2.ID); err != nil {
		t.Fatal(err)
	}
	if tx3.rolledBack.Load() != 0 {
		t.Fatal("committed transaction rolled back")
	}
}

func TestCloseUser(t *testing.T) {
	m, _ := newTestManager(t, nil)
	a1, _ := m.Open("alice", "d")
	m.Open("alice", "d")
	b, _ := m.Open("bob", "d")
	if n := m.CloseUser("alice"); n != 2 {
		t.Fatalf("closed %d", n)
	}
	if _, err := m.Get(a1.ID); !errors.Is(err, ErrSessionNotFound) {
		t.Fatal(err)
	}
	if _, err := m.Get(b.ID); err != nil {
		t.Fatal(err)
	}
}

func TestGuardRunsOnTick(t *testing.T) {
	tick := make(chan time.Time)
	clk := newClock()
	o := DefaultOptions()
	o.Now = clk.Now
	m, err := NewManager(o)
	if err != nil {
		t.Fatal(err)
	}
	m.tick = tick
	m.Start()
	s, _ := m.Open("alice", "d")
	clk.Advance(3 * time.Minute)
	tick <- time.Time{}
	tick <- time.Time{} // the guard takes this only after the first sweep finished
	if m.Len() != 0 {
		t.Fatalf("guard did not delete the dead session (%d left)", m.Len())
	}
	_ = s
	m.Close()
	m.Close() // idempotent
	if _, err := m.Open("x", "d"); !errors.Is(err, ErrManagerClosed) {
		t.Fatalf("open after close: %v", err)
	}
}

func TestCloseRollsBackEverything(t *testing.T) {
	m, _ := newTestManager(t, nil)
	m.Start()
	s, _ := m.Open("alice", "d")
	tx := &fakeTx{}
	if _, err := m.AddTransaction(s.ID, tx); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if tx.rolledBack.Load() != 1 {
		t.Fatal("Close did not roll back")
	}
}

func TestBadOptions(t *testing.T) {
	for name, mod := range map[string]func(*Options){
		"max 0":     func(o *Options) { o.MaxSessions = 0 },
		"neg tmo":   func(o *Options) { o.Timeout = -1 },
		"neg age":   func(o *Options) { o.MaxAge = -1 },
		"neg inact": func(o *Options) { o.MaxInactivityTime = -1 },
		"guard 0":   func(o *Options) { o.GuardInterval = 0 },
	} {
		o := DefaultOptions()
		mod(&o)
		if _, err := NewManager(o); !errors.Is(err, ErrBadOptions) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestConcurrentSessions(t *testing.T) {
	m, clk := newTestManager(t, func(o *Options) { o.MaxSessions = 1000 })
	m.Start()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				s, err := m.Open(fmt.Sprintf("u%d", g), "d")
				if err != nil {
					t.Error(err)
					return
				}
				_ = m.KeepAlive(s.ID)
				_ = m.SetDatabase(s.ID, "x")
				id, _ := m.AddTransaction(s.ID, &fakeTx{})
				_, _ = m.Transaction(s.ID, id)
				if i%3 == 0 {
					_ = m.CloseSession(s.ID)
				}
				clk.Advance(time.Second)
				m.Sweep()
				m.Stats()
			}
		}()
	}
	wg.Wait()
}

func BenchmarkGetParallel(b *testing.B) {
	m, err := NewManager(DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	s, _ := m.Open("u", "d")
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := m.Get(s.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package compat

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestRestartKeepsState: the client's local state, saved before a restart,
// must still be proven against the restarted server (same UUID, same
// history), in both flows.
func TestRestartKeepsState(t *testing.T) {
	s := startServer(t, true)
	sessDir, tokDir := t.TempDir(), t.TempDir()
	uuid := s.uuid

	c, err := openSession(t, s, "immudb", "immudb", "defaultdb", signingPub, sessDir)
	noErr(t, "OpenSession", err)
	ctx := ctxT(t)
	h1, err := c.VerifiedSet(ctx, []byte("before"), []byte("1"))
	noErr(t, "VerifiedSet before restart", err)
	noErr(t, "CloseSession", c.CloseSession(ctx))

	s.restart()
	if s.uuid != uuid {
		t.Fatalf("server UUID changed across restart: %s -> %s", uuid, s.uuid)
	}

	// Another client moves the server ahead, so the old state needs a real
	// consistency proof.
	other := mustSession(t, s, "immudb", "immudb", "defaultdb", signingPub)
	for i := 0; i < 5; i++ {
		_, err := other.Set(ctx, []byte(fmt.Sprintf("mid%d", i)), []byte("x"))
		noErr(t, "Set after restart", err)
	}

	c, err = openSession(t, s, "immudb", "immudb", "defaultdb", signingPub, sessDir)
	noErr(t, "OpenSession after restart", err)
	e, err := c.VerifiedGet(ctx, []byte("before"))
	noErr(t, "VerifiedGet after restart (stored state)", err)
	wantEntry(t, "VerifiedGet after restart", e, "before", "1", h1.Id)
	if _, err := os.Stat(filepath.Join(sessDir, ".state-"+uuid)); err != nil {
		t.Errorf("client state file for UUID %s: %v", uuid, err)
	}
	_, err = c.VerifiedSet(ctx, []byte("after"), []byte("2"))
	noErr(t, "VerifiedSet after restart", err)
	noErr(t, "CloseSession", c.CloseSession(ctx))

	// Token flow: same check with a client that logs in again.
	tok := tokenClientDir(t, s, tokDir)
	_, err = tok.VerifiedSet(ctx, []byte("tok"), []byte("3"))
	noErr(t, "VerifiedSet (token) before 2nd restart", err)
	s.restart()
	if s.uuid != uuid {
		t.Fatalf("server UUID changed across 2nd restart: %s -> %s", uuid, s.uuid)
	}
	_, err = other.Set(ctx, []byte("x"), []byte("y"))
	if err == nil {
		t.Errorf("a session from before the restart is still accepted")
	}
	tok = tokenClientDir(t, s, tokDir)
	e, err = tok.VerifiedGet(ctx, []byte("before"))
	noErr(t, "VerifiedGet (token) after 2nd restart", err)
	wantEntry(t, "VerifiedGet (token) after 2nd restart", e, "before", "1", h1.Id)
	ents, err := os.ReadDir(tokDir)
	noErr(t, "ReadDir", err)
	for _, de := range ents {
		if strings.HasPrefix(de.Name(), ".state-") && de.Name() != ".state-"+uuid {
			t.Errorf("token client keyed its state by %q, want UUID %s", de.Name(), uuid)
		}
	}
}

// TestConcurrentClients: many official clients at once, each with its own
// session and local state, interleaving verified writes and reads; every
// proof must verify and every read must see its own write.
func TestConcurrentClients(t *testing.T) {
	const clients, rounds = 8, 15
	s := startServer(t, true)
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := 0; i < clients; i++ {
		c := mustSession(t, s, "immudb", "immudb", "defaultdb", signingPub)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ctx := ctxT(t)
			for r := 0; r < rounds; r++ {
				k := []byte(fmt.Sprintf("c%d-%d", i, r))
				h, err := c.VerifiedSet(ctx, k, []byte(fmt.Sprint(r)))
				if err != nil {
					errs <- fmt.Errorf("client %d VerifiedSet %s: %w", i, k, err)
					return
				}
				e, err := c.VerifiedGet(ctx, k)
				if err != nil {
					errs <- fmt.Errorf("client %d VerifiedGet %s: %w", i, k, err)
					return
				}
				if e.Tx != h.Id || string(e.Value) != fmt.Sprint(r) {
					errs <- fmt.Errorf("client %d read %s = %q at tx %d, want %d at tx %d", i, k, e.Value, e.Tx, r, h.Id)
					return
				}
				// An older key of another client: proof from a newer state
				// back to an older tx.
				if r > 0 {
					old := []byte(fmt.Sprintf("c%d-0", (i+1)%clients))
					if _, err := c.VerifiedGet(ctx, old); err != nil && !strings.Contains(err.Error(), "key not found") {
						errs <- fmt.Errorf("client %d VerifiedGet %s: %w", i, old, err)
						return
					}
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	c := mustSession(t, s, "immudb", "immudb", "defaultdb", signingPub)
	n, err := c.CountAll(ctxT(t))
	noErr(t, "CountAll", err)
	if n.Count != clients*rounds {
		t.Errorf("CountAll = %d, want %d", n.Count, clients*rounds)
	}
	st, err := c.CurrentState(ctxT(t))
	noErr(t, "CurrentState", err)
	if st.TxId != clients*rounds {
		t.Errorf("CurrentState tx %d, want %d", st.TxId, clients*rounds)
	}
}

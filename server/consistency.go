package server

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/attestdb/attestdb/database"
)

// Consistency-check defaults (--consistency-check).
const (
	DefaultConsistencyInterval = time.Minute
	// consistencyWindow is how many of the latest txs every round
	// re-verifies, on top of everything committed since the last round; it
	// bounds the cost of a round on a big database.
	consistencyWindow = 1000
)

// integrityChecker is implemented by the database layer adapter: it
// re-verifies a database's txs from..last from disk and returns last.
type integrityChecker interface {
	VerifyIntegrity(name string, from uint64) (uint64, error)
}

// VerifyIntegrity re-hashes txs from..last of a loaded database from disk.
// With nothing new committed it returns last and no error.
func (m *managerDatabases) VerifyIntegrity(name string, from uint64) (uint64, error) {
	db, err := m.Manager.Get(name)
	if err != nil {
		return 0, err
	}
	st := db.Store()
	last, _ := st.LastCommitted()
	if from == 0 {
		from = 1
	}
	if last < from {
		return last, nil
	}
	return last, st.VerifyIntegrity(from, last)
}

// consistencyMonitor periodically re-verifies the txs of every loaded
// database (systemdb included) and logs and counts any mismatch. Each round
// covers the last consistencyWindow txs and everything committed since the
// previous round, so every tx is verified at least once and recent ones
// again and again.
type consistencyMonitor struct {
	s        *Server
	checker  integrityChecker
	interval time.Duration

	mu       sync.Mutex
	verified map[string]uint64 // last tx verified per database

	failures atomic.Int64
	started  bool // run was started (guarded by Server.mu)
	stop     chan struct{}
	done     chan struct{}
}

func newConsistencyMonitor(s *Server, c integrityChecker, interval time.Duration) *consistencyMonitor {
	return &consistencyMonitor{s: s, checker: c, interval: interval, verified: map[string]uint64{},
		stop: make(chan struct{}), done: make(chan struct{})}
}

func (m *consistencyMonitor) run() {
	defer close(m.done)
	t := time.NewTicker(m.interval)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.round(context.Background())
		}
	}
}

// round checks every loaded database once and returns how many failed.
func (m *consistencyMonitor) round(ctx context.Context) int {
	names := []string{database.SystemDBName}
	for _, d := range m.s.dbs.List() {
		if d.Loaded {
			names = append(names, d.Name)
		}
	}
	failed := 0
	for _, name := range names {
		if ctx.Err() != nil {
			break
		}
		m.mu.Lock()
		prev, seen := m.verified[name]
		m.mu.Unlock()
		last, err := m.checkOne(name, prev, seen)
		switch {
		case errors.Is(err, database.ErrDatabaseNotLoaded), errors.Is(err, database.ErrAlreadyClosed), errors.Is(err, database.ErrDatabaseNotExists), errors.Is(err, database.ErrDBClosed):
			// Unloaded or deleted meanwhile: nothing to check.
		case err != nil:
			failed++
			m.failures.Add(1)
			m.s.log.Error("consistency check failed: database data does not match its hashes", "db", name, "err", err)
		default:
			m.mu.Lock()
			m.verified[name] = last
			m.mu.Unlock()
		}
	}
	return failed
}

// checkOne verifies one database from min(prev, last-window+1) to its
// last tx and returns that last tx.
func (m *consistencyMonitor) checkOne(name string, prev uint64, seen bool) (uint64, error) {
	// A from beyond any tx verifies nothing and reports the last tx.
	last, err := m.checker.VerifyIntegrity(name, ^uint64(0))
	if err != nil {
		return 0, err
	}
	from := uint64(1)
	if last > consistencyWindow {
		from = last - consistencyWindow + 1
	}
	if seen && prev >= 1 && prev < from {
		from = prev
	}
	return m.checker.VerifyIntegrity(name, from)
}

// close stops run if it was started; call it once.
func (m *consistencyMonitor) close() {
	close(m.stop)
	if m.started {
		<-m.done
	}
}

// ConsistencyFailures is the number of failed consistency checks since
// start.
func (s *Server) ConsistencyFailures() int64 {
	if s.monitor == nil {
		return 0
	}
	return s.monitor.failures.Load()
}

// CheckConsistency runs one consistency round now and returns how many
// databases failed it (also when the periodic monitor is off).
func (s *Server) CheckConsistency(ctx context.Context) int {
	if s.monitor == nil {
		return 0
	}
	return s.monitor.round(ctx)
}

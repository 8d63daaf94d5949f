package session

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Errors with the texts clients see (API.md §2.2).
var (
	ErrSessionNotFound    = errors.New("session not found")
	ErrNoSessionID        = errors.New("no sessionID provided")
	ErrMaxSessionsReached = errors.New("can not create new session: max sessions number reached")
)

// Errors of our own wording.
var (
	ErrTransactionNotFound = errors.New("transaction not found")
	ErrNoTransactionID     = errors.New("no transactionID provided")
	ErrManagerClosed       = errors.New("session manager is closed")
	ErrBadOptions          = errors.New("invalid session options")
)

// Transaction is an interactive transaction held by a session. The
// database layer will provide the real type; the manager only needs to
// roll it back when the session dies.
type Transaction interface {
	Rollback() error
}

// Info is a snapshot of a session.
type Info struct {
	ID           string
	Username     string
	Database     string
	CreatedAt    time.Time
	LastActivity time.Time
	Transactions int
}

type session struct {
	id        string
	username  string
	createdAt time.Time

	lastActivity atomic.Int64 // unix nanoseconds

	mu       sync.Mutex
	database string
	txs      map[string]Transaction
}

func (s *session) info() Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Info{
		ID:           s.id,
		Username:     s.username,
		Database:     s.database,
		CreatedAt:    s.createdAt,
		LastActivity: time.Unix(0, s.lastActivity.Load()),
		Transactions: len(s.txs),
	}
}

// newID returns 32 random bytes as URL-safe base64 with padding (44
// characters).
func newID() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generating session id: %w", err)
	}
	return base64.URLEncoding.EncodeToString(b[:]), nil
}

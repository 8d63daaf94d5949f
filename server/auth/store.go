package auth

import (
	"sync"
)

// UserStore persists users. The database layer implements it on systemdb;
// MemStore and FileStore are the other implementations (see doc.go).
//
// LoadUsers returns every stored user (any order). SaveUser inserts or
// replaces the user with the same Username; it must be durable when it
// returns nil. Users are never deleted (immudb has no DeleteUser: users are
// deactivated instead). Implementations must be safe for concurrent use.
type UserStore interface {
	LoadUsers() ([]User, error)
	SaveUser(u User) error
}

// MemStore is an in-memory UserStore for tests. FailSave, when set, makes
// SaveUser return it (to test error paths).
type MemStore struct {
	mu       sync.Mutex
	users    map[string]User
	FailSave error
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{users: map[string]User{}} }

// LoadUsers implements UserStore.
func (s *MemStore) LoadUsers() ([]User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u.clone())
	}
	return out, nil
}

// SaveUser implements UserStore.
func (s *MemStore) SaveUser(u User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.FailSave != nil {
		return s.FailSave
	}
	s.users[u.Username] = u.clone()
	return nil
}

package client

import (
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/attestdb/attestdb/api/schema"
)

// StateStore keeps the last trusted state per (server UUID, database) and
// the server identity pinned per address.
//
// A Verified* call runs Lock, then Get and (after its proof verified) Set,
// then the unlock function: the store must make that sequence exclusive
// among all clients sharing it (other goroutines, and for the file store
// other processes).
type StateStore interface {
	// Lock takes the exclusive lock of the states of serverUUID.
	Lock(serverUUID string) (unlock func() error, err error)
	// Get returns the state of db, or nil when there is none.
	Get(serverUUID, db string) (*schema.ImmutableState, error)
	// Set stores st as the state of st.Db.
	Set(serverUUID string, st *schema.ImmutableState) error
	// CheckIdentity pins serverUUID to address on first use and fails with
	// ErrServerIdentityChanged when another UUID was pinned before.
	CheckIdentity(serverUUID, address string) error
}

// MemStateStore is a StateStore in memory: state is lost with the process.
type MemStateStore struct {
	mu     sync.Mutex // guards states and ids
	locks  sync.Map   // serverUUID → *sync.Mutex
	states map[string]map[string]*schema.ImmutableState
	ids    map[string]string // address → serverUUID
}

// NewMemStateStore returns an empty in-memory store.
func NewMemStateStore() *MemStateStore {
	return &MemStateStore{
		states: map[string]map[string]*schema.ImmutableState{},
		ids:    map[string]string{},
	}
}

// Lock implements StateStore.
func (m *MemStateStore) Lock(serverUUID string) (func() error, error) {
	l, _ := m.locks.LoadOrStore(serverUUID, &sync.Mutex{})
	mu := l.(*sync.Mutex)
	mu.Lock()
	return func() error { mu.Unlock(); return nil }, nil
}

// Get implements StateStore.
func (m *MemStateStore) Get(serverUUID, db string) (*schema.ImmutableState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.states[serverUUID][db]
	if st == nil {
		return nil, nil
	}
	return proto.Clone(st).(*schema.ImmutableState), nil
}

// Set implements StateStore.
func (m *MemStateStore) Set(serverUUID string, st *schema.ImmutableState) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.states[serverUUID] == nil {
		m.states[serverUUID] = map[string]*schema.ImmutableState{}
	}
	m.states[serverUUID][st.GetDb()] = proto.Clone(st).(*schema.ImmutableState)
	return nil
}

// CheckIdentity implements StateStore.
func (m *MemStateStore) CheckIdentity(serverUUID, address string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.ids[address]; ok && old != serverUUID {
		return identityError(address, old, serverUUID, "")
	}
	m.ids[address] = serverUUID
	return nil
}

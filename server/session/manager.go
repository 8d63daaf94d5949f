package session

import (
	"fmt"
	"sync"
	"time"
)

// Options configure a Manager. Zero durations mean "no limit" except
// GuardInterval; use DefaultOptions for immudb's defaults.
type Options struct {
	MaxSessions       int           // --max-sessions
	Timeout           time.Duration // --session-timeout: idle time after which a session is deleted
	MaxInactivityTime time.Duration // --max-session-inactivity-time: idle time after which it counts as inactive
	MaxAge            time.Duration // --max-session-age-time: 0 = unlimited
	GuardInterval     time.Duration // how often the guard sweeps (hidden flag)
	Now               func() time.Time
	// OnExpire, if set, is called (with no lock held) for every session the
	// guard deletes, e.g. to log it.
	OnExpire func(Info)
}

// DefaultOptions returns immudb's defaults.
func DefaultOptions() Options {
	return Options{
		MaxSessions:       100,
		Timeout:           2 * time.Minute,
		MaxInactivityTime: 3 * time.Minute,
		MaxAge:            0,
		GuardInterval:     time.Minute,
	}
}

// Manager owns every session. Safe for concurrent use.
type Manager struct {
	opts Options
	now  func() time.Time

	mu       sync.RWMutex
	sessions map[string]*session
	closed   bool
	started  bool

	guardOnce sync.Once
	stop      chan struct{}
	done      chan struct{}
	tick      <-chan time.Time // test hook: replaces the ticker when set
}

// NewManager checks the options and returns a manager. Call Start to run
// the guard and Close to stop it.
func NewManager(o Options) (*Manager, error) {
	if o.MaxSessions <= 0 {
		return nil, fmt.Errorf("%w: max sessions must be positive, got %d", ErrBadOptions, o.MaxSessions)
	}
	if o.Timeout < 0 || o.MaxInactivityTime < 0 || o.MaxAge < 0 {
		return nil, fmt.Errorf("%w: negative duration", ErrBadOptions)
	}
	if o.GuardInterval <= 0 {
		return nil, fmt.Errorf("%w: guard interval must be positive, got %v", ErrBadOptions, o.GuardInterval)
	}
	m := &Manager{opts: o, now: o.Now, sessions: map[string]*session{}, stop: make(chan struct{}), done: make(chan struct{})}
	if m.now == nil {
		m.now = time.Now
	}
	return m, nil
}

// Start runs the guard in the background until Close. Calling it more than
// once, or after Close, has no effect.
func (m *Manager) Start() {
	m.guardOnce.Do(func() {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return
		}
		m.started = true
		m.mu.Unlock()
		tick := m.tick
		var t *time.Ticker
		if tick == nil {
			t = time.NewTicker(m.opts.GuardInterval)
			tick = t.C
		}
		go func() {
			defer close(m.done)
			if t != nil {
				defer t.Stop()
			}
			for {
				select {
				case <-m.stop:
					return
				case <-tick:
					m.Sweep()
				}
			}
		}()
	})
}

// Close stops the guard, deletes every session and rolls back their
// transactions. Later calls to Open fail with ErrManagerClosed.
func (m *Manager) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	started := m.started
	dead := make([]*session, 0, len(m.sessions))
	for id, s := range m.sessions {
		dead = append(dead, s)
		delete(m.sessions, id)
	}
	m.mu.Unlock()
	close(m.stop)
	if started {
		<-m.done
	}
	for _, s := range dead {
		rollbackAll(s)
	}
}

// Open creates a session for an authenticated user on database.
func (m *Manager) Open(username, database string) (Info, error) {
	id, err := newID()
	if err != nil {
		return Info{}, err
	}
	now := m.now()
	s := &session{id: id, username: username, createdAt: now, database: database}
	s.lastActivity.Store(now.UnixNano())

	var dead []*session
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return Info{}, ErrManagerClosed
	}
	if len(m.sessions) >= m.opts.MaxSessions {
		// Dead sessions the guard has not reached yet do not count.
		dead = m.removeDeadLocked(now)
	}
	if len(m.sessions) >= m.opts.MaxSessions {
		m.mu.Unlock()
		m.finish(dead)
		return Info{}, ErrMaxSessionsReached
	}
	m.sessions[id] = s
	m.mu.Unlock()
	m.finish(dead)
	return s.info(), nil
}

// lookup finds a live session and refreshes it.
func (m *Manager) lookup(id string) (*session, error) {
	if id == "" {
		return nil, ErrNoSessionID
	}
	now := m.now()
	m.mu.RLock()
	defer m.mu.RUnlock()
	s, ok := m.sessions[id]
	if !ok || m.dead(s, now) {
		return nil, ErrSessionNotFound
	}
	s.lastActivity.Store(now.UnixNano())
	return s, nil
}

// Get returns the session and refreshes it: every call made with a
// session counts as activity. An empty id gives ErrNoSessionID; an unknown,
// closed or timed-out one ErrSessionNotFound.
func (m *Manager) Get(id string) (Info, error) {
	s, err := m.lookup(id)
	if err != nil {
		return Info{}, err
	}
	return s.info(), nil
}

// KeepAlive refreshes the session.
func (m *Manager) KeepAlive(id string) error {
	_, err := m.lookup(id)
	return err
}

// SetDatabase switches the session's current database (UseDatabase).
func (m *Manager) SetDatabase(id, database string) error {
	s, err := m.lookup(id)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.database = database
	s.mu.Unlock()
	return nil
}

// CloseSession deletes the session and rolls back its transactions.
func (m *Manager) CloseSession(id string) error {
	if id == "" {
		return ErrNoSessionID
	}
	m.mu.Lock()
	s, ok := m.sessions[id]
	if ok {
		delete(m.sessions, id)
	}
	m.mu.Unlock()
	if !ok {
		return ErrSessionNotFound
	}
	rollbackAll(s)
	return nil
}

// CloseUser deletes every session of username (e.g. after the user is
// deactivated) and returns how many.
func (m *Manager) CloseUser(username string) int {
	var dead []*session
	m.mu.Lock()
	for id, s := range m.sessions {
		if s.username == username {
			dead = append(dead, s)
			delete(m.sessions, id)
		}
	}
	m.mu.Unlock()
	for _, s := range dead {
		rollbackAll(s)
	}
	return len(dead)
}

// Sweep is one guard pass: it deletes dead sessions and returns how many.
func (m *Manager) Sweep() int {
	now := m.now()
	m.mu.Lock()
	dead := m.removeDeadLocked(now)
	m.mu.Unlock()
	m.finish(dead)
	return len(dead)
}

// Stats counts live sessions: active ones and those idle longer than
// MaxInactivityTime.
func (m *Manager) Stats() (active, inactive int) {
	now := m.now()
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, s := range m.sessions {
		if m.dead(s, now) {
			continue
		}
		idle := now.Sub(time.Unix(0, s.lastActivity.Load()))
		if m.opts.MaxInactivityTime > 0 && idle > m.opts.MaxInactivityTime {
			inactive++
		} else {
			active++
		}
	}
	return active, inactive
}

// Len returns the number of sessions in the table, dead ones not yet swept
// included.
func (m *Manager) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.sessions)
}

// dead reports whether s has timed out or is too old at now.
func (m *Manager) dead(s *session, now time.Time) bool {
	if m.opts.MaxAge > 0 && now.Sub(s.createdAt) > m.opts.MaxAge {
		return true
	}
	idle := now.Sub(time.Unix(0, s.lastActivity.Load()))
	return m.opts.Timeout > 0 && idle > m.opts.Timeout
}

func (m *Manager) removeDeadLocked(now time.Time) []*session {
	var dead []*session
	for id, s := range m.sessions {
		if m.dead(s, now) {
			dead = append(dead, s)
			delete(m.sessions, id)
		}
	}
	return dead
}

// finish rolls back and reports sessions already removed from the map.
func (m *Manager) finish(dead []*session) {
	for _, s := range dead {
		info := s.info()
		rollbackAll(s)
		if m.opts.OnExpire != nil {
			m.opts.OnExpire(info)
		}
	}
}

package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"sync"
	"time"
)

// Token defaults.
const (
	// DefaultTokenExpiry is --token-expiry-time's default (1440 min).
	DefaultTokenExpiry = 24 * time.Hour
	// DefaultMaxTokens bounds the table so repeated logins cannot exhaust
	// memory; expired tokens are purged before refusing.
	DefaultMaxTokens = 100_000

	tokenBytes = 32
)

// TokenOptions configure a token table.
type TokenOptions struct {
	Expiry    time.Duration    // 0 means DefaultTokenExpiry
	MaxTokens int              // 0 means DefaultMaxTokens
	Now       func() time.Time // nil means time.Now
}

// TokenInfo is what a token stands for.
type TokenInfo struct {
	Username  string
	Database  string // "" until UseDatabase (or single-db mode at Login)
	ExpiresAt time.Time
}

type tokenKey [sha256.Size]byte

// Tokens is the server-side table of legacy Login tokens (doc.go explains
// the design). Safe for concurrent use.
type Tokens struct {
	expiry time.Duration
	max    int
	now    func() time.Time

	mu sync.RWMutex
	m  map[tokenKey]TokenInfo
}

// NewTokens returns an empty table.
func NewTokens(o TokenOptions) *Tokens {
	t := &Tokens{expiry: o.Expiry, max: o.MaxTokens, now: o.Now, m: map[tokenKey]TokenInfo{}}
	if t.expiry <= 0 {
		t.expiry = DefaultTokenExpiry
	}
	if t.max <= 0 {
		t.max = DefaultMaxTokens
	}
	if t.now == nil {
		t.now = time.Now
	}
	return t
}

// Issue creates a token for username bound to database ("" = none yet).
func (t *Tokens) Issue(username, database string) (string, TokenInfo, error) {
	var raw [tokenBytes]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", TokenInfo{}, fmt.Errorf("generating token: %w", err)
	}
	now := t.now()
	info := TokenInfo{Username: username, Database: database, ExpiresAt: now.Add(t.expiry)}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= t.max {
		t.purgeLocked(now)
		if len(t.m) >= t.max {
			return "", TokenInfo{}, ErrTooManyTokens
		}
	}
	t.m[sha256.Sum256(raw[:])] = info
	return base64.RawURLEncoding.EncodeToString(raw[:]), info, nil
}

// keyOf decodes a token string; malformed tokens give ErrInvalidToken.
func keyOf(token string) (tokenKey, error) {
	if token == "" {
		return tokenKey{}, ErrNotLoggedIn
	}
	if base64.RawURLEncoding.DecodedLen(len(token)) != tokenBytes {
		return tokenKey{}, ErrInvalidToken
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) != tokenBytes {
		return tokenKey{}, ErrInvalidToken
	}
	return sha256.Sum256(raw), nil
}

// Verify returns what token stands for. An empty token gives
// ErrNotLoggedIn, a malformed one ErrInvalidToken, and an unknown (logged
// out, revoked, from before a restart) or expired one ErrTokenExpired, which
// makes immuclient and immuadmin log in again by themselves.
func (t *Tokens) Verify(token string) (TokenInfo, error) {
	k, err := keyOf(token)
	if err != nil {
		return TokenInfo{}, err
	}
	t.mu.RLock()
	info, ok := t.m[k]
	t.mu.RUnlock()
	if !ok {
		return TokenInfo{}, ErrTokenExpired
	}
	if !t.now().Before(info.ExpiresAt) {
		t.mu.Lock()
		delete(t.m, k)
		t.mu.Unlock()
		return TokenInfo{}, ErrTokenExpired
	}
	return info, nil
}

// Revoke deletes token (Logout). It reports whether the token was live.
func (t *Tokens) Revoke(token string) bool {
	k, err := keyOf(token)
	if err != nil {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	info, ok := t.m[k]
	delete(t.m, k)
	return ok && t.now().Before(info.ExpiresAt)
}

// RevokeUser deletes every token of username (password change,
// deactivation) and returns how many were deleted.
func (t *Tokens) RevokeUser(username string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for k, info := range t.m {
		if info.Username == username {
			delete(t.m, k)
			n++
		}
	}
	return n
}

// Purge deletes expired tokens and returns how many; the server calls it
// periodically (e.g. from the session guard).
func (t *Tokens) Purge() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.purgeLocked(t.now())
}

func (t *Tokens) purgeLocked(now time.Time) int {
	n := 0
	for k, info := range t.m {
		if !now.Before(info.ExpiresAt) {
			delete(t.m, k)
			n++
		}
	}
	return n
}

// Len returns the number of tokens in the table (expired ones included
// until purged).
func (t *Tokens) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.m)
}

package auth

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func TestTokenLifecycle(t *testing.T) {
	clk := &fakeClock{}
	tk := NewTokens(TokenOptions{Expiry: time.Minute, Now: clk.Now})
	tok, info, err := tk.Issue("alice", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != 43 || info.Username != "alice" || !info.ExpiresAt.Equal(clk.Now().Add(time.Minute)) {
		t.Fatalf("token %q info %+v", tok, info)
	}
	got, err := tk.Verify(tok)
	if err != nil || got != info {
		t.Fatalf("verify: %+v %v", got, err)
	}
	// Bound to a database after UseDatabase: a new token.
	tok2, _, _ := tk.Issue("alice", "db1")
	if got, _ := tk.Verify(tok2); got.Database != "db1" {
		t.Fatalf("db binding lost: %+v", got)
	}
	if tok2 == tok {
		t.Fatal("tokens repeat")
	}
	clk.Advance(time.Minute - 1)
	if _, err := tk.Verify(tok); err != nil {
		t.Fatal("expired early")
	}
	clk.Advance(1)
	if _, err := tk.Verify(tok); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("after expiry: %v", err)
	}
}

func TestTokenErrors(t *testing.T) {
	tk := NewTokens(TokenOptions{})
	cases := map[string]error{
		"":                          ErrNotLoggedIn,
		"abc":                       ErrInvalidToken,
		"v2.public.eyJzdWIiOiJ4In0": ErrInvalidToken, // a PASETO from immudb
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!": ErrInvalidToken,
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA": ErrTokenExpired, // well-formed, unknown
	}
	for tok, want := range cases {
		if _, err := tk.Verify(tok); !errors.Is(err, want) {
			t.Errorf("%q: %v, want %v", tok, err, want)
		}
	}
}

func TestTokenRevocation(t *testing.T) {
	tk := NewTokens(TokenOptions{})
	a1, _, _ := tk.Issue("alice", "")
	a2, _, _ := tk.Issue("alice", "db1")
	b, _, _ := tk.Issue("bob", "")
	if !tk.Revoke(a1) || tk.Revoke(a1) {
		t.Fatal("Revoke must report a live token once")
	}
	if _, err := tk.Verify(a1); !errors.Is(err, ErrTokenExpired) {
		t.Fatal("revoked token still valid")
	}
	if n := tk.RevokeUser("alice"); n != 1 {
		t.Fatalf("RevokeUser = %d", n)
	}
	if _, err := tk.Verify(a2); err == nil {
		t.Fatal("token of revoked user valid")
	}
	if _, err := tk.Verify(b); err != nil {
		t.Fatal("other user's token revoked")
	}
}

func TestTokenTableBound(t *testing.T) {
	clk := &fakeClock{}
	tk := NewTokens(TokenOptions{Expiry: time.Minute, MaxTokens: 3, Now: clk.Now})
	for range 3 {
		if _, _, err := tk.Issue("u", ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := tk.Issue("u", ""); !errors.Is(err, ErrTooManyTokens) {
		t.Fatalf("4th token: %v", err)
	}
	clk.Advance(time.Minute)
	if _, _, err := tk.Issue("u", ""); err != nil {
		t.Fatalf("after expiry purge: %v", err)
	}
	if tk.Len() != 1 {
		t.Fatalf("len %d", tk.Len())
	}
	clk.Advance(time.Minute)
	if n := tk.Purge(); n != 1 || tk.Len() != 0 {
		t.Fatalf("purge %d len %d", n, tk.Len())
	}
}

func TestTokensConcurrent(t *testing.T) {
	clk := &fakeClock{}
	tk := NewTokens(TokenOptions{Expiry: time.Second, Now: clk.Now})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				tok, _, err := tk.Issue("u", "db")
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = tk.Verify(tok)
				clk.Advance(time.Millisecond)
				tk.Revoke(tok)
				tk.Purge()
			}
		}()
	}
	wg.Wait()
	if tk.Len() != 0 {
		t.Fatalf("%d tokens left", tk.Len())
	}
}

func FuzzVerifyToken(f *testing.F) {
	tk := NewTokens(TokenOptions{})
	good, _, _ := tk.Issue("u", "db")
	f.Add(good)
	f.Add("")
	f.Add("v2.public.xxx")
	f.Fuzz(func(t *testing.T, s string) {
		info, err := tk.Verify(s)
		if err == nil && (s != good || info.Username != "u") {
			t.Fatalf("%q verified as %+v", s, info)
		}
	})
}

func TestNonCanonicalTokenRejected(t *testing.T) {
	tk := NewTokens(TokenOptions{})
	tok, _, _ := tk.Issue("u", "")
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, tok[len(tok)-1])
	// 32 bytes use only the top 4 bits of the last character; setting the
	// unused low bits must not give a second spelling of the same token.
	alt := tok[:len(tok)-1] + string(alphabet[last|1])
	if _, err := tk.Verify(alt); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("non-canonical spelling: %v", err)
	}
}

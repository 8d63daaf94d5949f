package compat

import (
	"context"
	"crypto/ecdsa"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/codenotary/immudb/pkg/api/schema"
	"github.com/codenotary/immudb/pkg/client"
)

// callTimeout bounds every client call.
const callTimeout = 30 * time.Second

// ctxT returns a context cancelled at test end or after callTimeout.
func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	t.Cleanup(cancel)
	return ctx
}

// clientOpts points the official client at s, keeping its local state
// (state and identity files) in dir.
func clientOpts(s *server, dir string) *client.Options {
	return client.DefaultOptions().
		WithAddress("127.0.0.1").
		WithPort(s.port).
		WithDir(dir).
		WithTokenFileName(filepath.Join(dir, "token"))
}

// openSession opens a session as user on db with the official client; pub,
// when set, is the server signing key the client checks states against.
// dir holds the client's local state ("" = a fresh temp dir).
func openSession(t testing.TB, s *server, user, pass, db string, pub *ecdsa.PublicKey, dir string) (client.ImmuClient, error) {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	c := client.NewClient().WithOptions(clientOpts(s, dir))
	if pub != nil {
		c.WithServerSigningPubKey(pub)
	}
	if err := c.OpenSession(ctxT(t), []byte(user), []byte(pass), db); err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.CloseSession(ctx)
	})
	return c, nil
}

// mustSession is openSession that fails the test on error.
func mustSession(t testing.TB, s *server, user, pass, db string, pub *ecdsa.PublicKey) client.ImmuClient {
	t.Helper()
	c, err := openSession(t, s, user, pass, db, pub, "")
	if err != nil {
		t.Fatalf("OpenSession(%s, %s): %v", user, db, err)
	}
	return c
}

// tokenClient connects with the legacy flow (NewImmuClient + Login, then
// UseDatabase when db != ""); pubFile, when set, is the signing key file.
func tokenClient(t testing.TB, s *server, user, pass, db, pubFile string) client.ImmuClient {
	t.Helper()
	return tokenClientIn(t, s, user, pass, db, pubFile, t.TempDir())
}

// tokenClientDir is a superuser token client on defaultdb, checking the test
// signing key, whose local state lives in dir.
func tokenClientDir(t testing.TB, s *server, dir string) client.ImmuClient {
	t.Helper()
	return tokenClientIn(t, s, "immudb", "immudb", "", signingPubFile, dir)
}

func tokenClientIn(t testing.TB, s *server, user, pass, db, pubFile, dir string) client.ImmuClient {
	t.Helper()
	opts := clientOpts(s, dir)
	if pubFile != "" {
		opts = opts.WithServerSigningPubKey(pubFile)
	}
	c, err := client.NewImmuClient(opts)
	if err != nil {
		t.Fatalf("NewImmuClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Disconnect() })
	ctx := ctxT(t)
	if _, err := c.Login(ctx, []byte(user), []byte(pass)); err != nil {
		t.Fatalf("Login(%s): %v", user, err)
	}
	if db != "" {
		if _, err := c.UseDatabase(ctx, &schema.Database{DatabaseName: db}); err != nil {
			t.Fatalf("UseDatabase(%s): %v", db, err)
		}
	}
	return c
}

// wantErr fails unless err's text is exactly want (the string a user of the
// official client sees, as recorded in live_session.json).
func wantErr(t testing.TB, what string, err error, want string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %q", what, want)
		return
	}
	if err.Error() != want {
		t.Errorf("%s: error %q, want %q", what, err.Error(), want)
	}
}

// wantErrContains fails unless err contains sub.
func wantErrContains(t testing.TB, what string, err error, sub string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want one containing %q", what, sub)
		return
	}
	if !strings.Contains(err.Error(), sub) {
		t.Errorf("%s: error %q, want one containing %q", what, err.Error(), sub)
	}
}

// noErr fails the test now on err.
func noErr(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Error strings recorded from the reference server (live_session.json
// clientErrorString and API.md §3).
const (
	errKeyNotFound   = "rpc error: code = Unknown desc = tbtree: key not found"
	errTxNotFound    = "rpc error: code = Unknown desc = tx not found"
	errBadLogin      = "rpc error: code = Unknown desc = invalid user name or password"
	errNoDB          = "rpc error: code = Unknown desc = database does not exist"
	errDupKeys       = "rpc error: code = InvalidArgument desc = duplicated keys are not supported in single batch transaction"
	errKeyTooLong    = "rpc error: code = Unknown desc = max key length exceeded"
	errIllegalState  = "rpc error: code = InvalidArgument desc = illegal state"
	errSinceTooBig   = "rpc error: code = Unknown desc = illegal arguments: SinceTx must not be greater than the current transaction ID"
	errNotLoggedIn   = "rpc error: code = Unknown desc = not logged in"
	errSelectDBFirst = "rpc error: code = Unknown desc = please select a database first"
	errSessionGone   = "rpc error: code = PermissionDenied desc = session not found"
)

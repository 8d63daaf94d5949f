package immuclient

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/attestdb/attestdb/client"
)

// ErrUnreachable reports a server that does not answer Health.
var ErrUnreachable = errors.New("immudb server unreachable")

// ErrNotLoggedIn reports a command that needs a login while none is saved
// and no credentials are configured.
var ErrNotLoggedIn = errors.New("not logged in: run `immuclient login <user>` or set IMMUCLIENT_USERNAME and IMMUCLIENT_PASSWORD")

// conn returns the connected client, making the connection on first use:
// client.New, a Health call (which also teaches the client the server UUID)
// and the saved token.
func (a *app) conn(ctx context.Context) (*client.Client, error) {
	if a.cl != nil {
		return a.cl, nil
	}
	opts := client.DefaultOptions().
		WithAddress(a.cfg.Address).
		WithPort(a.cfg.Port).
		WithDir(a.cfg.Dir).
		WithMaxRecvMsgSize(a.cfg.MaxRecvMsgSize).
		WithKeepAliveInterval(0)
	if a.cfg.MTLS {
		opts = opts.WithMTLs(true).WithMTLsOptions(client.MTLSOptions{
			ServerName:  a.cfg.ServerName,
			Certificate: a.cfg.Certificate,
			Pkey:        a.cfg.Pkey,
			ClientCAs:   a.cfg.ClientCAs,
		})
	}
	if a.cfg.ServerPubKey != "" {
		k, err := client.LoadServerSigningPubKey(a.cfg.ServerPubKey)
		if err != nil {
			return nil, fmt.Errorf("loading server signing public key: %w", err)
		}
		opts = opts.WithServerSigningPubKey(k)
	}
	cl, err := client.New(opts)
	if err != nil {
		return nil, err
	}
	if _, err := cl.Health(ctx); err != nil {
		_ = cl.Close()
		return nil, fmt.Errorf("%w at %s: %s", ErrUnreachable, opts.Target(), statusMessage(err))
	}
	db, token, err := readToken(tokenPath(a.cfg.TokenFile))
	if err != nil {
		// Reported by commands that need the login; login and logout
		// replace or remove the file.
		a.tokenErr = err
	} else if token != "" {
		cl.SetToken(token, db)
	}
	a.cl = cl
	return cl, nil
}

// needsLogin reports the errors after which immuclient logs in again and
// retries (API.md §2.3).
func needsLogin(err error) bool {
	if err == nil {
		return false
	}
	if client.IsNotLoggedIn(err) || errors.Is(err, client.ErrNoDatabaseSelected) || errors.Is(err, client.ErrNoSession) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "not logged in") || strings.Contains(msg, "invalid token") || strings.Contains(msg, "token has expired") ||
		strings.Contains(msg, "please select a database first")
}

// do runs f on the connection; when the server wants a login and
// credentials are configured, it logs in, selects the database and retries
// once.
func (a *app) do(ctx context.Context, f func(*client.Client) error) error {
	cl, err := a.conn(ctx)
	if err != nil {
		return err
	}
	if a.tokenErr != nil && (a.cfg.Username == "" || a.cfg.Password == "") {
		return a.tokenErr
	}
	err = f(cl)
	if !needsLogin(err) {
		return err
	}
	if a.cfg.Username == "" || a.cfg.Password == "" {
		if !cl.IsConnected() {
			return ErrNotLoggedIn
		}
		return err
	}
	if lerr := a.relogin(ctx, cl); lerr != nil {
		return lerr
	}
	return f(cl)
}

// relogin logs in with the configured credentials and selects the
// configured (or previously used) database.
func (a *app) relogin(ctx context.Context, cl *client.Client) error {
	db := a.cfg.Database
	if db == "" {
		db = cl.CurrentDatabase()
	}
	if cl.IsConnected() {
		// The old token is dead; forget it before logging in again.
		cl.SetToken("", "")
	}
	if _, err := cl.Login(ctx, []byte(a.cfg.Username), []byte(a.cfg.Password)); err != nil {
		return fmt.Errorf("automatic login as %s failed: %w", a.cfg.Username, err)
	}
	if db != "" {
		if _, err := cl.UseDatabase(ctx, db); err != nil {
			return err
		}
	}
	a.tokenErr = nil
	return writeToken(tokenPath(a.cfg.TokenFile), cl.CurrentDatabase(), cl.Token())
}

// statusMessage is the text users see for an error: the server's own
// message for a status error (immuclient prints the text after "desc ="),
// the error text otherwise.
func statusMessage(err error) string {
	var se *client.ServerError
	if errors.As(err, &se) && se.Status != nil {
		return se.Status.Message()
	}
	var gs interface{ GRPCStatus() *status.Status }
	if errors.As(err, &gs) {
		if st := gs.GRPCStatus(); st != nil && st.Code() != codes.OK {
			return st.Message()
		}
	}
	return err.Error()
}

// errorText renders err for the user: wrapped context first, then the
// server's message without the gRPC boilerplate.
func errorText(err error) string {
	full := err.Error()
	msg := statusMessage(err)
	if msg == full {
		return full
	}
	// Keep the context the CLI added in front of the status error.
	if i := strings.Index(full, "rpc error: code = "); i > 0 {
		return full[:i] + msg
	}
	return msg
}

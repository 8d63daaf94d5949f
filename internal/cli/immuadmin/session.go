package immuadmin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/attestdb/attestdb/client"
)

// ErrUnreachable reports a server that does not answer Health.
var ErrUnreachable = errors.New("immudb server unreachable")

// ErrNotLoggedIn reports a command that needs a login while none is saved.
var ErrNotLoggedIn = errors.New("not logged in: run `immuadmin login immudb` first")

// callTimeout bounds every command's server calls, so that a stuck server
// cannot hang the tool (stats -v is the only long-running command and
// bounds each refresh on its own).
const callTimeout = 30 * time.Second

// healthTimeout bounds the connect check.
const healthTimeout = 10 * time.Second

// conn connects on first use: client.New, a Health call (so an unreachable
// server is reported at once) and the saved token, if any.
func (a *app) conn(ctx context.Context) (*client.Client, error) {
	if a.cl != nil {
		return a.cl, nil
	}
	opts := client.DefaultOptions().
		WithAddress(a.cfg.Address).
		WithPort(a.cfg.Port).
		// immuadmin verifies nothing itself, so it keeps no state files.
		WithStateStore(client.NewMemStateStore()).
		WithKeepAliveInterval(0)
	if a.cfg.MTLS {
		opts = opts.WithMTLs(true).WithMTLsOptions(client.MTLSOptions{
			ServerName:  a.cfg.ServerName,
			Certificate: a.cfg.Certificate,
			Pkey:        a.cfg.Pkey,
			ClientCAs:   a.cfg.ClientCAs,
		})
	}
	cl, err := client.New(opts)
	if err != nil {
		return nil, err
	}
	hctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	if _, err := cl.Health(hctx); err != nil {
		_ = cl.Close()
		return nil, fmt.Errorf("%w at %s: %s", ErrUnreachable, opts.Target(), statusMessage(err))
	}
	a.cl = cl
	return cl, nil
}

// authed is conn plus the saved login; commands that need one use it.
func (a *app) authed(ctx context.Context) (*client.Client, error) {
	cl, err := a.conn(ctx)
	if err != nil {
		return nil, err
	}
	if cl.IsConnected() {
		return cl, nil
	}
	db, token, err := readToken(tokenPath(a.cfg.TokenFile))
	if err != nil {
		return nil, err
	}
	if token == "" {
		return nil, ErrNotLoggedIn
	}
	cl.SetToken(token, db)
	return cl, nil
}

// run calls f on the logged-in client under the command time bound.
func (a *app) run(ctx context.Context, f func(context.Context, *client.Client) error) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	cl, err := a.authed(ctx)
	if err != nil {
		return err
	}
	return explainLogin(f(ctx, cl))
}

// deadLogin reports the server errors that mean the saved login is gone.
func deadLogin(err error) bool {
	msg := statusMessage(err)
	return msg == "not logged in" || strings.Contains(msg, "token has expired") || strings.Contains(msg, "invalid token")
}

// explainLogin turns the server's login errors into a hint to log in.
func explainLogin(err error) error {
	if err == nil {
		return nil
	}
	msg := statusMessage(err)
	switch {
	case deadLogin(err):
		return fmt.Errorf("%s: run `immuadmin login <username>` again", msg)
	case strings.Contains(msg, "please select a database first"):
		return fmt.Errorf("%s: run `immuadmin database use <name>`", msg)
	}
	return err
}

// statusMessage is the server's own message for a status error, the error
// text otherwise.
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

// errorText renders err for the user: the context the CLI added, then the
// server's message without the gRPC boilerplate.
func errorText(err error) string {
	full := err.Error()
	msg := statusMessage(err)
	if msg == full {
		return full
	}
	if i := strings.Index(full, "rpc error: code = "); i > 0 {
		return full[:i] + msg
	}
	return msg
}

package immuadmin

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/crypto/bcrypt"

	"github.com/attestdb/attestdb/internal/testpki"
	"github.com/attestdb/attestdb/server"
)

// TestTLSScripts runs testdata/tls/*.txtar against a real server that
// requires client certificates. The work dir holds ca.pem, admin.pem and
// admin.key; the server certificate names localhost and 127.0.0.1.
func TestTLSScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/tls",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			for _, kv := range os.Environ() {
				if strings.HasPrefix(kv, "IMMUADMIN_") {
					env.Setenv(kv[:strings.IndexByte(kv, '=')], "")
				}
			}
			dir, err := os.MkdirTemp("", "immuadmin-tls-")
			if err != nil {
				return err
			}
			env.Defer(func() { _ = os.RemoveAll(dir) })
			if err := testpki.Write(env.WorkDir, dir, "admin"); err != nil {
				return err
			}
			opts := server.DefaultOptions(filepath.Join(dir, "data"))
			opts.Address = "127.0.0.1:0"
			opts.BcryptCost = bcrypt.MinCost
			opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
			opts.TLSCertFile = filepath.Join(dir, "server.pem")
			opts.TLSKeyFile = filepath.Join(dir, "server.key")
			opts.MTLS = true
			opts.ClientCAsFile = filepath.Join(env.WorkDir, "ca.pem")
			srv, err := server.New(opts)
			if err != nil {
				return err
			}
			if err := srv.Start(); err != nil {
				return err
			}
			env.Defer(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				_ = srv.Stop(ctx)
			})
			_, port, _ := net.SplitHostPort(srv.Addr().String())
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("IMMUADMIN_IMMUDB_ADDRESS", "127.0.0.1")
			env.Setenv("IMMUADMIN_IMMUDB_PORT", port)
			return nil
		},
	})
}

package immuadmin

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/crypto/bcrypt"

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
			if err := makePKI(env.WorkDir, dir); err != nil {
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

// makePKI writes a CA and an admin client pair to clientDir and the
// server pair to serverDir, all P-256 and valid for a day.
func makePKI(clientDir, serverDir string) error {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "immuadmin test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	if ca, err = x509.ParseCertificate(caDER); err != nil {
		return err
	}
	if err := pemFile(filepath.Join(clientDir, "ca.pem"), "CERTIFICATE", caDER); err != nil {
		return err
	}
	issue := func(serial int64, cn string, usage x509.ExtKeyUsage, path string) error {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			return err
		}
		kder, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return err
		}
		if err := pemFile(path+".pem", "CERTIFICATE", der); err != nil {
			return err
		}
		return pemFile(path+".key", "PRIVATE KEY", kder)
	}
	if err := issue(2, "localhost", x509.ExtKeyUsageServerAuth, filepath.Join(serverDir, "server")); err != nil {
		return err
	}
	return issue(3, "immuadmin", x509.ExtKeyUsageClientAuth, filepath.Join(clientDir, "admin"))
}

func pemFile(path, typ string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
}

package immuclient

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
// requires client certificates (--mtls). The work dir holds ca.pem,
// client.pem and client.key; the server's certificate is for "localhost"
// and 127.0.0.1.
func TestTLSScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/tls",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			for _, kv := range os.Environ() {
				if strings.HasPrefix(kv, "IMMUCLIENT_") {
					env.Setenv(kv[:strings.IndexByte(kv, '=')], "")
				}
			}
			certDir, err := os.MkdirTemp("", "immuclient-tls-")
			if err != nil {
				return err
			}
			env.Defer(func() { _ = os.RemoveAll(certDir) })
			if err := writeTestPKI(env.WorkDir, certDir); err != nil {
				return err
			}
			opts := server.DefaultOptions(filepath.Join(certDir, "data"))
			opts.Address = "127.0.0.1:0"
			opts.BcryptCost = bcrypt.MinCost
			opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
			opts.TLSCertFile = filepath.Join(certDir, "server.pem")
			opts.TLSKeyFile = filepath.Join(certDir, "server.key")
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
			_, port, err := net.SplitHostPort(srv.Addr().String())
			if err != nil {
				return err
			}
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("IMMUCLIENT_IMMUDB_PORT", port)
			return nil
		},
	})
}

// writeTestPKI writes a CA (ca.pem) and a client pair (client.pem,
// client.key) to clientDir, and the server pair to serverDir.
func writeTestPKI(clientDir, serverDir string) error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "immuclient test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	if err := writePEM(filepath.Join(clientDir, "ca.pem"), "CERTIFICATE", caDER); err != nil {
		return err
	}
	leaf := func(serial int64, name string, usage x509.ExtKeyUsage, dir, base string) error {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: name},
			DNSNames:     []string{"localhost"},
			IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			return err
		}
		kder, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return err
		}
		if err := writePEM(filepath.Join(dir, base+".pem"), "CERTIFICATE", der); err != nil {
			return err
		}
		return writePEM(filepath.Join(dir, base+".key"), "PRIVATE KEY", kder)
	}
	if err := leaf(2, "localhost", x509.ExtKeyUsageServerAuth, serverDir, "server"); err != nil {
		return err
	}
	return leaf(3, "immuclient", x509.ExtKeyUsageClientAuth, clientDir, "client")
}

func writePEM(path, typ string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
}

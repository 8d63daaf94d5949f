package client

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/attestdb/attestdb/api/schema"
)

type testCert struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
	keyPEM  []byte
}

func makeCert(t *testing.T, name string, parent *testCert, isCA bool, usage x509.ExtKeyUsage) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		IsCA:         isCA, BasicConstraintsValid: true,
		DNSNames:    []string{name},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	if !isCA {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{usage}
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kb, _ := x509.MarshalECPrivateKey(key)
	return &testCert{cert, key,
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})}
}

// TestMTLS connects with a client certificate to a server that requires
// one, and checks that a client without it, or trusting another CA, fails.
func TestMTLS(t *testing.T) {
	ca := makeCert(t, "ca", nil, true, 0)
	srv := makeCert(t, "localhost", ca, false, x509.ExtKeyUsageServerAuth)
	cli := makeCert(t, "client", ca, false, x509.ExtKeyUsageClientAuth)
	other := makeCert(t, "other-ca", nil, true, 0)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caFile, otherFile := write("ca.pem", ca.certPEM), write("other.pem", other.certPEM)
	certFile, keyFile := write("client.pem", cli.certPEM), write("client.key", cli.keyPEM)

	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	serverCert, err := tls.X509KeyPair(srv.certPEM, srv.keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	creds := credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{serverCert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert})
	f := newFakeServer(t, "u", func(m string, _ metadata.MD, _ proto.Message) (proto.Message, error) {
		if m == "Health" {
			return &schema.HealthResponse{Status: true}, nil
		}
		return nil, unexpected(m)
	}, grpc.Creds(creds))

	for _, tc := range []struct {
		name string
		m    MTLSOptions
		ok   bool
	}{
		{"client certificate", MTLSOptions{ServerName: "localhost", Certificate: certFile, Pkey: keyFile, ClientCAs: caFile}, true},
		{"no client certificate", MTLSOptions{ServerName: "localhost", ClientCAs: caFile}, false},
		{"other CA", MTLSOptions{ServerName: "localhost", Certificate: certFile, Pkey: keyFile, ClientCAs: otherFile}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testClient(t, f, func(o *Options) { o.MTLs = true; o.MTLsOptions = tc.m })
			_, err := c.Health(testCtx(t))
			if (err == nil) != tc.ok {
				t.Fatalf("Health: %v", err)
			}
		})
	}
}

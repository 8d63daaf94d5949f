package immudb

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attestdb/attestdb/internal/testpki"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var webAddrRE = regexp.MustCompile(`immudb is ready.* web=(127\.0\.0\.1:\d+)`)

// TestRESTOverMutualTLS runs the real server with --mtls and the REST
// front over HTTPS: a client with a certificate from --clientcas logs in
// and writes and reads through the gateway; a client without one is
// refused at the TLS handshake.
func TestRESTOverMutualTLS(t *testing.T) {
	dir := t.TempDir()
	if err := testpki.Write(dir, dir, "client"); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuf{}
	cfg := DefaultConfig()
	cfg.Dir = filepath.Join(dir, "data")
	cfg.Address, cfg.Port = "127.0.0.1", 0
	cfg.MetricsServer = false
	cfg.WebServerPort = 0
	cfg.Certificate, cfg.Pkey = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key")
	cfg.MTLS, cfg.ClientCAs = true, filepath.Join(dir, "ca.pem")
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- RunServer(ctx, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("RunServer: %v", err)
		}
	})

	var addr string
	for deadline := time.Now().Add(time.Minute); addr == ""; {
		if m := webAddrRE.FindStringSubmatch(logs.String()); m != nil {
			addr = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("server ended: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no web address after 1m:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	caPEM, err := os.ReadFile(cfg.ClientCAs)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key"))
	if err != nil {
		t.Fatal(err)
	}
	client := func(certs ...tls.Certificate) *http.Client {
		return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs, MinVersion: tls.VersionTLS12},
		}}
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	call := func(c *http.Client, method, path, body, token string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(method, "https://"+addr+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var out map[string]any
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
		}
		return resp.StatusCode, out
	}

	mtls := client(pair)
	if code, h := call(mtls, "GET", "/api/health", "", ""); code != 200 || h["status"] != true {
		t.Fatalf("health: %d %v", code, h)
	}
	code, login := call(mtls, "POST", "/api/login", `{"user":"`+b64("immudb")+`","password":"`+b64("immudb")+`"}`, "")
	tok, _ := login["token"].(string)
	if code != 200 || tok == "" {
		t.Fatalf("login: %d %v", code, login)
	}
	if code, r := call(mtls, "POST", "/api/db/set", `{"KVs":[{"key":"`+b64("k")+`","value":"`+b64("over mtls")+`"}]}`, tok); code != 200 {
		t.Fatalf("set: %d %v", code, r)
	}
	code, got := call(mtls, "GET", "/api/db/get/"+b64("k"), "", tok)
	if code != 200 || got["value"] != b64("over mtls") {
		t.Fatalf("get: %d %v", code, got)
	}
	// Authentication still applies to REST calls under mTLS.
	if code, r := call(mtls, "GET", "/api/db/get/"+b64("k"), "", ""); code == 200 || r["message"] != "not logged in" {
		t.Fatalf("get without token: %d %v", code, r)
	}

	if _, err := client().Get("https://" + addr + "/api/health"); err == nil {
		t.Fatal("the REST front under --mtls accepted a client without a certificate")
	}
}

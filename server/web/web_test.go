package web

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
)

// front is a fake gRPC server on loopback behind a real web server.
type front struct {
	url    string
	client *http.Client
}

func startGRPC(t testing.TB) string {
	t.Helper()
	gs := grpc.NewServer(grpc.ChainUnaryInterceptor(uuidInterceptor))
	newFakeImmu().register(gs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Serve(ln) }()
	t.Cleanup(gs.Stop)
	return ln.Addr().String()
}

func startFront(t testing.TB, tlsConfig *tls.Config) *front {
	t.Helper()
	conn, err := Dial(startGRPC(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	h, err := NewHandler(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Listen("127.0.0.1:0", h, tlsConfig)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	f := &front{url: "http://" + srv.Addr().String(), client: &http.Client{Timeout: 10 * time.Second}}
	if tlsConfig != nil {
		f.url = "https://" + srv.Addr().String()
	}
	return f
}

type reply struct {
	code   int
	header http.Header
	body   string
}

// json decodes the body into a generic map.
func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

func (f *front) do(t testing.TB, method, path, body string, headers ...string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, string(b)}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// wantFields checks the listed top-level JSON fields exactly.
func wantFields(t *testing.T, what string, got map[string]any, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: field %q = %#v, want %#v (body %v)", what, k, got[k], v, got)
		}
	}
}

// wantError checks the v1 gateway error body: error and message carry the
// gRPC message, code the gRPC code.
func wantError(t *testing.T, what string, r reply, httpCode int, grpcCode float64, msg string) {
	t.Helper()
	if r.code != httpCode {
		t.Errorf("%s: HTTP %d, want %d (%s)", what, r.code, httpCode, r.body)
	}
	wantFields(t, what, r.json(t), map[string]any{"code": grpcCode, "error": msg, "message": msg})
}

func TestREST(t *testing.T) {
	f := startFront(t, nil)
	bearer := []string{"Authorization", "Bearer " + fakeToken}

	r := f.do(t, "GET", "/api/health", "")
	if r.code != 200 {
		t.Fatalf("health: %d %s", r.code, r.body)
	}
	wantFields(t, "health", r.json(t), map[string]any{"status": true, "version": "1.11.1"})
	if got := r.header.Get("Grpc-Metadata-Immudb-Uuid"); got != fakeUUID {
		t.Errorf("Grpc-Metadata-Immudb-Uuid = %q, want %q", got, fakeUUID)
	}

	r = f.do(t, "POST", "/api/login", `{"user":"`+b64("immudb")+`","password":"`+b64("immudb")+`"}`)
	if r.code != 200 {
		t.Fatalf("login: %d %s", r.code, r.body)
	}
	wantFields(t, "login", r.json(t), map[string]any{"token": fakeToken})
	if _, ok := r.json(t)["warning"]; ok {
		t.Error("login: empty warning must be omitted")
	}
	wantError(t, "bad login", f.do(t, "POST", "/api/login", `{"user":"`+b64("immudb")+`","password":"`+b64("x")+`"}`),
		http.StatusForbidden, 7, "invalid user name or password")

	// Set with base64 key and value; 64-bit ids come back as strings.
	r = f.do(t, "POST", "/api/db/set", `{"KVs":[{"key":"`+b64("key1")+`","value":"`+b64("value1")+`"}]}`, bearer...)
	if r.code != 200 {
		t.Fatalf("set: %d %s", r.code, r.body)
	}
	wantFields(t, "set", r.json(t), map[string]any{"id": "1", "nentries": 1.0})
	if r.header.Get("Grpc-Metadata-Immudb-Uuid") != fakeUUID {
		t.Error("set: uuid header missing")
	}
	wantError(t, "set without auth", f.do(t, "POST", "/api/db/set", `{"KVs":[{"key":"`+b64("k")+`"}]}`),
		http.StatusUnauthorized, 16, "no session or token")
	wantError(t, "set nothing", f.do(t, "POST", "/api/db/set", `{}`, bearer...),
		http.StatusBadRequest, 3, "no entries provided")

	r = f.do(t, "GET", "/api/db/get/"+b64("key1"), "", bearer...)
	if r.code != 200 {
		t.Fatalf("get: %d %s", r.code, r.body)
	}
	wantFields(t, "get", r.json(t), map[string]any{"tx": "1", "key": b64("key1"), "value": b64("value1"), "revision": "1"})

	// Errors keep their details, rendered as JSON with the type URL.
	r = f.do(t, "GET", "/api/db/get/"+b64("missing"), "", bearer...)
	wantError(t, "get missing", r, http.StatusNotFound, 5, "key not found")
	det, _ := r.json(t)["details"].([]any)
	if len(det) != 1 || !strings.Contains(r.body, "google.rpc.ErrorInfo") {
		t.Errorf("get missing: details %v", r.body)
	}

	r = f.do(t, "GET", "/api/db/state", "", bearer...)
	if r.code != 200 {
		t.Fatalf("state: %d %s", r.code, r.body)
	}
	wantFields(t, "state", r.json(t), map[string]any{
		"db": "defaultdb", "txId": "1",
		"txHash": base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\xab", 32))),
	})

	// An RPC the server does not implement.
	r = f.do(t, "POST", "/api/db/verifiable/set", `{}`, bearer...)
	if r.code != http.StatusNotImplemented || r.json(t)["code"] != 12.0 {
		t.Errorf("unimplemented: %d %s", r.code, r.body)
	}
	// A path no RPC maps to.
	if r = f.do(t, "GET", "/api/no/such/thing", ""); r.code != http.StatusNotFound {
		t.Errorf("unknown REST path: %d %s", r.code, r.body)
	}
	// Malformed JSON is the caller's error, not the server's.
	if r = f.do(t, "POST", "/api/db/set", `{"KVs":`, bearer...); r.code != http.StatusBadRequest {
		t.Errorf("malformed JSON: %d %s", r.code, r.body)
	}
}

func TestRESTv2(t *testing.T) {
	f := startFront(t, nil)
	r := f.do(t, "POST", "/api/v2/authorization/session/open", `{"username":"immudb","password":"immudb","database":"defaultdb"}`)
	if r.code != 200 {
		t.Fatalf("open session: %d %s", r.code, r.body)
	}
	wantFields(t, "open session", r.json(t), map[string]any{"sessionID": fakeSession, "serverUUID": fakeUUID})

	// The sessionid header reaches the server as metadata.
	r = f.do(t, "POST", "/api/v2/db/set", `{"KVs":[{"key":"`+b64("k2")+`","value":"`+b64("v2")+`"}]}`, "sessionid", fakeSession)
	if r.code != 200 {
		t.Fatalf("v2 set: %d %s", r.code, r.body)
	}
	wantFields(t, "v2 set", r.json(t), map[string]any{"id": "1"})
	r = f.do(t, "GET", "/api/v2/db/get/"+b64("k2"), "", "sessionid", fakeSession)
	wantFields(t, "v2 get", r.json(t), map[string]any{"value": b64("v2")})
	wantError(t, "v2 wrong session", f.do(t, "GET", "/api/v2/db/get/"+b64("k2"), "", "sessionid", "other"),
		http.StatusUnauthorized, 16, "no session or token")
	wantError(t, "v2 bad password", f.do(t, "POST", "/api/v2/authorization/session/open", `{"username":"immudb","password":"no"}`),
		http.StatusForbidden, 7, "invalid user name or password")
}

func TestDocsAndPages(t *testing.T) {
	f := startFront(t, nil)
	for _, c := range []struct {
		path, ctype, contains string
	}{
		{"/", "text/html", "api/docs/"},
		{"/api/docs/", "text/html", "swagger-ui-bundle.js"},
		{"/api/docs/assets/docs.js", "javascript", "SwaggerUIBundle"},
		{"/api/docs/assets/swagger-ui/swagger-ui-bundle.js", "javascript", "SwaggerUIBundle"},
		{"/api/docs/assets/swagger-ui/swagger-ui.css", "text/css", ".swagger-ui"},
		{"/api/docs/assets/swagger-ui/LICENSE", "text/plain", "Apache License"},
	} {
		r := f.do(t, "GET", c.path, "")
		if r.code != 200 || !strings.Contains(r.header.Get("Content-Type"), c.ctype) || !strings.Contains(r.body, c.contains) {
			t.Errorf("GET %s: %d %q, body has %q: %v", c.path, r.code, r.header.Get("Content-Type"), c.contains, strings.Contains(r.body, c.contains))
		}
	}
	for _, c := range []struct {
		path, base, somePath string
	}{
		{"/api/docs/swagger.json", "/api", "/db/set"},
		{"/api/docs/authorization.swagger.json", "/api/v2", "/authorization/session/open"},
	} {
		r := f.do(t, "GET", c.path, "")
		if r.code != 200 || r.header.Get("Content-Type") != "application/json" {
			t.Fatalf("GET %s: %d %q", c.path, r.code, r.header.Get("Content-Type"))
		}
		doc := r.json(t)
		wantFields(t, c.path, doc, map[string]any{"swagger": "2.0", "basePath": c.base})
		paths, _ := doc["paths"].(map[string]any)
		if _, ok := paths[c.somePath]; !ok {
			t.Errorf("%s: no path %s", c.path, c.somePath)
		}
	}
	for _, p := range []string{"/nope", "/api/docs/nope.json", "/api/docs/assets/nope.js"} {
		if r := f.do(t, "GET", p, ""); r.code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, r.code)
		}
	}
}

func TestBodyLimit(t *testing.T) {
	old := maxBodyBytes
	maxBodyBytes = 1 << 10
	t.Cleanup(func() { maxBodyBytes = old })
	f := startFront(t, nil)
	big := `{"KVs":[{"key":"` + b64("k") + `","value":"` + b64(strings.Repeat("x", 4<<10)) + `"}]}`
	r := f.do(t, "POST", "/api/db/set", big, "Authorization", "Bearer "+fakeToken)
	if r.code != http.StatusBadRequest {
		t.Errorf("oversized body: %d %s", r.code, r.body)
	}
}

func TestTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	f := startFront(t, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	f.client.Transport = &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"},
		ForceAttemptHTTP2: true,
	}
	resp, err := f.client.Get(f.url + "/api/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil || resp.ProtoMajor != 2 {
		t.Errorf("https health: %d tls=%v proto=%s", resp.StatusCode, resp.TLS != nil, resp.Proto)
	}
	// Plain HTTP to the TLS port does not reach the API.
	plain := &http.Client{Timeout: 5 * time.Second}
	if resp, err := plain.Get(strings.Replace(f.url, "https", "http", 1) + "/api/health"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP served on the TLS port")
		}
	}
}

func TestNewHandlerNoConn(t *testing.T) {
	if _, err := NewHandler(context.Background(), nil); !errors.Is(err, ErrNoConn) {
		t.Fatalf("err = %v, want ErrNoConn", err)
	}
}

func TestDialAddresses(t *testing.T) {
	for _, c := range []struct {
		addr, target string
		ok           bool
	}{
		{"0.0.0.0:3322", "127.0.0.1:3322", true},
		{"[::]:3322", "[::1]:3322", true},
		{":3322", "127.0.0.1:3322", true},
		{"10.1.2.3:3322", "10.1.2.3:3322", true},
		{"localhost:3322", "localhost:3322", true},
		{"no-port", "", false},
	} {
		conn, err := Dial(c.addr, nil)
		if (err == nil) != c.ok {
			t.Errorf("Dial(%q) err = %v", c.addr, err)
			continue
		}
		if err == nil {
			if conn.Target() != c.target {
				t.Errorf("Dial(%q) target %q, want %q", c.addr, conn.Target(), c.target)
			}
			conn.Close()
		}
	}
}

func TestListenBadAddress(t *testing.T) {
	if _, err := Listen("256.0.0.1:bad", http.NotFoundHandler(), nil); err == nil {
		t.Fatal("want error")
	}
}

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// Keys travel base64 in GET paths; every way a client may write one that
// holds "/" or "+" must reach the same key.
func TestKeyInPath(t *testing.T) {
	f := startFront(t, nil)
	bearer := []string{"Authorization", "Bearer " + fakeToken}
	key := "\xff\xff\xfe" // standard base64 "///+", URL-safe "___-"
	if r := f.do(t, "POST", "/api/db/set", `{"KVs":[{"key":"`+b64(key)+`","value":"`+b64("v")+`"}]}`, bearer...); r.code != 200 {
		t.Fatalf("set: %d %s", r.code, r.body)
	}
	for _, c := range []struct {
		name, seg string
		code      int
	}{
		{"escaped slash", "%2F%2F%2F+", 200},
		{"all escaped", "%2F%2F%2F%2B", 200},
		{"url-safe", "___-", 200},
		{"raw slashes split the path", "///+", 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := f.do(t, "GET", "/api/db/get/"+c.seg, "", bearer...)
			if r.code != c.code {
				t.Fatalf("GET %s: %d %s", c.seg, r.code, r.body)
			}
			if c.code == 200 {
				wantFields(t, c.name, r.json(t), map[string]any{"key": b64(key), "value": b64("v")})
			}
		})
	}
}

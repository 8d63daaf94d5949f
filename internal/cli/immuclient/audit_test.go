package immuclient

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/spf13/viper"
	"golang.org/x/crypto/bcrypt"

	"github.com/attestdb/attestdb/client"
	"github.com/attestdb/attestdb/server"
)

// freePortCmd VAR sets $VAR to a port of 127.0.0.1 that was free a moment ago.
func freePortCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport VAR")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	port := l.Addr().(*net.TCPAddr).Port
	ts.Check(l.Close())
	ts.Setenv(args[0], strconv.Itoa(port))
}

// forkServerCmd [newid] stops the script's server and starts another one
// on the same port with a fresh data directory: the same identity file
// (so the same server UUID) but none of the history, which the script then
// rewrites differently. With newid the identity is new too, and
// $NEW_SERVER_UUID is set.
func forkServerCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) > 1 || (len(args) == 1 && args[0] != "newid") {
		ts.Fatalf("usage: forkserver [newid]")
	}
	s := ts.Value(testServerKey{}).(*testServer)
	s.stop()
	dir, err := os.MkdirTemp(ts.Getenv("WORK"), "forked-data-")
	ts.Check(err)
	if len(args) == 0 {
		const idFile = "immudb.identifier"
		b, err := os.ReadFile(filepath.Join(s.dir, idFile))
		ts.Check(err)
		ts.Check(os.WriteFile(filepath.Join(dir, idFile), b, 0o600))
	}
	s.dir = dir
	ts.Check(s.start())
	ts.Setenv("NEW_SERVER_UUID", s.srv.UUID())
	if len(args) == 0 && s.srv.UUID() != ts.Getenv("SERVER_UUID") {
		ts.Fatalf("forked server has UUID %s, want %s", s.srv.UUID(), ts.Getenv("SERVER_UUID"))
	}
}

// scrapeCmd URL REGEXP fetches URL until its body matches REGEXP (the
// background auditor finished the round the script waits for), then
// prints the body for the stdout assertions that follow. It gives up after
// a minute: a condition that never comes fails the script, it does not hang.
func scrapeCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: scrape URL REGEXP")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	hc := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(time.Minute)
	var last string
	for time.Now().Before(deadline) {
		resp, err := hc.Get(args[0])
		if err == nil {
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr == nil {
				last = string(b)
				if re.MatchString(last) {
					_, _ = ts.Stdout().Write(b)
					return
				}
			}
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	ts.Fatalf("%s never matched %q; last answer:\n%s", args[0], args[1], last)
}

// notifyServerCmd VAR starts an HTTP server on 127.0.0.1 that stands for
// an audit notification receiver: it appends each request (method, content
// type, body) as one line to $WORK/notifications and answers 204, or 500
// for paths under /fail. $VAR is set to its URL; it stops with the script.
func notifyServerCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: notifyserver VAR")
	}
	path := filepath.Join(ts.Getenv("WORK"), "notifications")
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err == nil {
			fmt.Fprintf(f, "%s %s %s %s\n", r.Method, r.URL.Path, r.Header.Get("Content-Type"), bytes.TrimSpace(body))
			f.Close()
		}
		if strings.HasPrefix(r.URL.Path, "/fail") {
			http.Error(w, "receiver is down", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	ts.Defer(srv.Close)
	ts.Setenv(args[0], srv.URL)
}

// TestAuditSignature runs one audit round against a server that signs its
// states: with its public key the audit passes, with another key it fails
// (exit status 1) and the trusted state is not written.
func TestAuditSignature(t *testing.T) {
	dir := t.TempDir()
	writeECKey(t, filepath.Join(dir, "server.key"), filepath.Join(dir, "server.pub"))
	writeECKey(t, filepath.Join(dir, "other.key"), filepath.Join(dir, "other.pub"))

	opts := server.DefaultOptions(filepath.Join(dir, "data"))
	opts.Address = "127.0.0.1:0"
	opts.BcryptCost = bcrypt.MinCost
	opts.SigningKeyPath = filepath.Join(dir, "server.key")
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = srv.Stop(ctx)
	})
	_, port, _ := net.SplitHostPort(srv.Addr().String())

	// Some history, written with the SDK.
	cl, err := client.New(client.DefaultOptions().WithAddress("127.0.0.1").WithPort(mustAtoi(t, port)).
		WithStateStore(client.NewMemStateStore()).WithKeepAliveInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := cl.OpenSession(ctx, []byte("immudb"), []byte("immudb"), "defaultdb"); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := cl.Set(ctx, []byte("k"), []byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	_ = cl.Close()

	audit := func(roots string, extra ...string) (int, string) {
		args := append([]string{"audit-mode", "-a", "127.0.0.1", "-p", port,
			"--audit-username", "immudb", "--audit-password", "immudb",
			"--audit-databases", "defaultdb", "--roots-filepath", roots,
			"--audit-runs", "1", "--audit-monitoring-port", "0"}, extra...)
		var out, errb bytes.Buffer
		code := Main(args, strings.NewReader(""), &out, &errb)
		return code, errb.String()
	}
	tests := []struct {
		name     string
		extra    []string
		wantCode int
		want     string
		trusted  bool
	}{
		{"right key", []string{"--server-signing-pub-key", filepath.Join(dir, "server.pub")}, 0, `db=defaultdb result=ok`, true},
		{"embedded key", nil, 0, `(?s)level=WARN msg="signed states are checked with the public key the server sends.*db=defaultdb result=ok`, true},
		{"wrong key", []string{"--server-signing-pub-key", filepath.Join(dir, "other.pub")}, 1, `db=defaultdb result=failed .*data is corrupted: unable to verify signature`, false},
		{"wrong key ignored", []string{"--audit-signature", "ignore", "--server-signing-pub-key", filepath.Join(dir, "other.pub")}, 0, `db=defaultdb result=ok`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			roots := t.TempDir()
			code, stderr := audit(roots, tc.extra...)
			if code != tc.wantCode {
				t.Fatalf("exit status %d, want %d; stderr:\n%s", code, tc.wantCode, stderr)
			}
			if !regexp.MustCompile(tc.want).MatchString(stderr) {
				t.Fatalf("stderr does not match %q:\n%s", tc.want, stderr)
			}
			_, err := os.Stat(filepath.Join(roots, ".state-"+srv.UUID()))
			if tc.trusted && err != nil {
				t.Fatalf("no trusted state written: %v", err)
			}
			if !tc.trusted && err == nil {
				t.Fatal("a trusted state was written by a failed audit")
			}
		})
	}
}

func mustAtoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// writeECKey writes a new P-256 private key (PEM "EC PRIVATE KEY") and its
// public key (PEM "PUBLIC KEY").
func writeECKey(t *testing.T, privPath, pubPath string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(privPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestAuditServiceConfig checks the config file `audit-mode install`
// writes: it is TOML, every key is an immuclient flag, and audit-mode
// accepts its values.
func TestAuditServiceConfig(t *testing.T) {
	spec, err := auditServiceSpec("/usr/local/bin/immuclient", AuditServiceConfigFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.Validate(); err != nil {
		t.Fatal(err)
	}
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(strings.NewReader(spec.ConfigData)); err != nil {
		t.Fatalf("config does not parse: %v\n%s", err, spec.ConfigData)
	}
	a := &app{out: io.Discard, errOut: io.Discard}
	root := a.newRoot()
	audit, _, err := root.Find([]string{"audit-mode"})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range v.AllKeys() {
		if audit.Flags().Lookup(k) == nil && root.PersistentFlags().Lookup(k) == nil {
			t.Errorf("config key %q is not a flag of immuclient audit-mode", k)
		}
	}
	// With credentials filled in, the settings resolve.
	av := viper.New()
	_ = av.BindPFlags(audit.Flags())
	if err := av.MergeConfigMap(v.AllSettings()); err != nil {
		t.Fatal(err)
	}
	av.Set("audit-username", "auditor")
	cfg, err := auditConfigFrom(av, audit)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RootsDir != AuditServiceRootsDir || cfg.Interval != DefaultAuditInterval || cfg.Signature != "validate" ||
		cfg.MonitoringAddr != fmt.Sprintf("%s:%d", DefaultAuditMonitoringHost, DefaultAuditMonitoringPort) {
		t.Fatalf("settings from the service config: %+v", cfg)
	}
}

// TestAuditServiceSpecSettings checks that settings given to install land
// in the config it writes (still valid TOML) and that bad ones are refused.
func TestAuditServiceSpecSettings(t *testing.T) {
	tests := []struct {
		name    string
		set     map[string]string
		want    map[string]any // config key -> value read back
		roots   string
		wantErr string
	}{
		{name: "defaults", want: map[string]any{"audit-username": "", "immudb-port": int64(3322)}, roots: AuditServiceRootsDir},
		{name: "given", set: map[string]string{"audit-username": "au", "audit-password": `p"w\`, "immudb-port": "4000", "roots-filepath": "/srv/a/"},
			want: map[string]any{"audit-username": "au", "audit-password": `p"w\`, "immudb-port": int64(4000), "roots-filepath": "/srv/a/"}, roots: "/srv/a"},
		{name: "port not a number", set: map[string]string{"audit-monitoring-port": "x"}, wantErr: `--audit-monitoring-port "x" is not a number`},
		{name: "control character", set: map[string]string{"audit-password": "a\nb"}, wantErr: "--audit-password holds a control character"},
		{name: "relative roots", set: map[string]string{"roots-filepath": "r"}, wantErr: "the service needs an absolute path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := auditServiceSpec("/usr/local/bin/immuclient", AuditServiceConfigFile, tc.set)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			v := viper.New()
			v.SetConfigType("toml")
			if err := v.ReadConfig(strings.NewReader(spec.ConfigData)); err != nil {
				t.Fatalf("config does not parse: %v\n%s", err, spec.ConfigData)
			}
			for k, w := range tc.want {
				if got := v.Get(k); got != w {
					t.Errorf("%s = %#v, want %#v", k, got, w)
				}
			}
			if spec.Dirs[0].Path != tc.roots {
				t.Errorf("roots dir %q, want %q", spec.Dirs[0].Path, tc.roots)
			}
		})
	}
}

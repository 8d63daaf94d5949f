package immudb

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/attestdb/attestdb/server/auth"
)

// runMain runs Main with a RunFunc that records the Config.
func runMain(t *testing.T, args ...string) (Config, string, int) {
	t.Helper()
	var got Config
	var stdout, stderr bytes.Buffer
	code := Main(args, &stdout, &stderr, func(ctx context.Context, cfg Config) error {
		if ctx == nil || ctx.Err() != nil {
			t.Error("RunFunc got no live context")
		}
		got = cfg
		return nil
	})
	return got, stderr.String(), code
}

func TestDefaultsMatchDefaultConfig(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir) // no ./configs/immudb.toml here
	t.Setenv("HOME", dir)
	cfg, stderr, code := runMain(t)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := DefaultConfig()
	cfg.Logger, want.Logger = nil, nil
	if cfg != want {
		t.Fatalf("parsed defaults differ from DefaultConfig:\n got %+v\nwant %+v", cfg, want)
	}
	if want.ListenAddress() != "0.0.0.0:3322" {
		t.Fatal(want.ListenAddress())
	}
}

func TestFlagsReachConfig(t *testing.T) {
	t.Chdir(t.TempDir())
	enc := "enc:" + base64.StdEncoding.EncodeToString([]byte("S3cret!pw"))
	cfg, stderr, code := runMain(t,
		"--dir", "d", "-a", "::1", "-p", "0", "--admin-password", enc, "--force-admin-password",
		"--token-expiry-time", "30", "--max-session-age-time", "1h", "--sessions-guard-check-interval", "5s",
		"--certificate", "c.pem", "--pkey", "k.pem", "-m", "--clientcas", "ca.pem", "--logformat", "json",
		"--synced=false", "--grpc-reflection=false", "--consistency-check=false", "--max-active-databases", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if pw, err := auth.DecodeAdminPassword(cfg.AdminPassword); err != nil || pw != "S3cret!pw" || cfg.AdminPassword != enc || !cfg.ForceAdminPassword {
		t.Errorf("admin password %q force %v", cfg.AdminPassword, cfg.ForceAdminPassword)
	}
	if cfg.TokenExpiry != 30*time.Minute || cfg.MaxSessionAgeTime != time.Hour || cfg.SessionsGuardCheckInterval != 5*time.Second {
		t.Errorf("durations %v %v %v", cfg.TokenExpiry, cfg.MaxSessionAgeTime, cfg.SessionsGuardCheckInterval)
	}
	if !cfg.MTLS || !cfg.TLSEnabled() || cfg.ClientCAs != "ca.pem" || cfg.LogFormat != "json" {
		t.Errorf("tls/log %+v", cfg)
	}
	if cfg.Synced || cfg.GRPCReflection || cfg.ConsistencyCheck || cfg.MaxActiveDatabases != 3 {
		t.Errorf("bools %+v", cfg)
	}
	if cfg.ListenAddress() != "[::1]:0" {
		t.Errorf("listen %s", cfg.ListenAddress())
	}
	if cfg.Logger == nil {
		t.Error("no logger")
	}
}

func TestValidateTable(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"ok", func(*Config) {}, ""},
		{"port", func(c *Config) { c.Port = 65536 }, "port 65536"},
		{"web port", func(c *Config) { c.WebServerPort = -2 }, "web-server-port -2"},
		{"address", func(c *Config) { c.Address = "" }, "address"},
		{"address slash", func(c *Config) { c.Address = "a/b" }, "address"},
		{"pkey missing", func(c *Config) { c.Certificate = "c" }, "pkey is missing"},
		{"mtls clientcas", func(c *Config) { c.MTLS, c.Certificate, c.Pkey = true, "c", "k" }, "mtls needs clientcas"},
		{"guard zero", func(c *Config) { c.SessionsGuardCheckInterval = 0 }, "sessions-guard-check-interval must be positive"},
		{"tiny timeout", func(c *Config) { c.SessionTimeout = 5 }, "too small"},
		{"age negative", func(c *Config) { c.MaxSessionAgeTime = -time.Second }, "must not be negative"},
		{"admin pw long", func(c *Config) { c.AdminPassword = strings.Repeat("x", 73) }, "longer than 72"},
		{"admin pw empty", func(c *Config) { c.AdminPassword = "" }, "admin-password"},
		{"admin pw bad enc", func(c *Config) { c.AdminPassword = "enc:%%" }, "not base64"},
		{"active dbs", func(c *Config) { c.MaxActiveDatabases = 0 }, "max-active-databases"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			c.mod(&cfg)
			err := cfg.Validate()
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestRunErrorIsExitCode1(t *testing.T) {
	t.Chdir(t.TempDir())
	var stderr bytes.Buffer
	failing := func(context.Context, Config) error {
		return errors.New("listening on 0.0.0.0:3322: address already in use")
	}
	code := Main(nil, &bytes.Buffer{}, &stderr, failing)
	if code != 1 || strings.TrimSpace(stderr.String()) != "immudb: listening on 0.0.0.0:3322: address already in use" {
		t.Fatalf("exit %d stderr %q", code, stderr.String())
	}
	// Cancellation is a clean stop.
	code = Main(nil, &bytes.Buffer{}, &stderr, func(context.Context, Config) error { return context.Canceled })
	if code != 0 {
		t.Fatalf("cancelled run exit %d", code)
	}
}

func TestPidfile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run", "immudb.pid")
	if err := writePidfile(path); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Fatalf("pidfile holds %q", b)
	}
	// Our own pid again is fine (the detached parent may have written it).
	if err := writePidfile(path); err != nil {
		t.Fatal(err)
	}
	// A live other process blocks the start.
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getppid())), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writePidfile(path); !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("live pid: %v", err)
	}
	// removePidfile leaves another process's file alone.
	removePidfile(path)
	if _, err := os.Stat(path); err != nil {
		t.Fatal("removed another process's pidfile")
	}
	// Stale and garbage files are replaced.
	for _, content := range []string{"999999999", "garbage", ""} {
		os.WriteFile(path, []byte(content), 0o644)
		if err := writePidfile(path); err != nil {
			t.Fatalf("%q: %v", content, err)
		}
	}
	removePidfile(path)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("own pidfile not removed")
	}
}

func TestLogfileAndFormat(t *testing.T) {
	t.Chdir(t.TempDir())
	log := filepath.Join(t.TempDir(), "x", "immudb.log")
	var stderr bytes.Buffer
	code := Main([]string{"--logfile", log, "--logformat", "json"}, &bytes.Buffer{}, &stderr, func(_ context.Context, cfg Config) error {
		cfg.Logger.Info("hello", "k", 1)
		return nil
	})
	if code != 0 {
		t.Fatal(stderr.String())
	}
	b, err := os.ReadFile(log)
	if err != nil || !strings.Contains(string(b), `"msg":"hello"`) || !strings.Contains(string(b), `"k":1`) {
		t.Fatalf("log %q %v", b, err)
	}
}

package service

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// fake records every command and file change instead of doing it.
type fake struct {
	root, systemd bool
	users         map[string]bool
	files         map[string]string
	modes         map[string]fs.FileMode
	log           []string
	fail          map[string]error // command line -> error
}

func newFake() *fake {
	return &fake{root: true, systemd: true, users: map[string]bool{}, files: map[string]string{},
		modes: map[string]fs.FileMode{}, fail: map[string]error{}}
}

func (f *fake) Run(_ context.Context, name string, args ...string) (string, error) {
	line := strings.Join(append([]string{name}, args...), " ")
	f.log = append(f.log, "run "+line)
	if err := f.fail[line]; err != nil {
		return "boom output\n", err
	}
	if name == "systemctl" && len(args) > 0 && args[0] == "status" {
		return "active (running)\n", nil
	}
	return "", nil
}

func (f *fake) WriteFile(path string, data []byte, mode fs.FileMode) error {
	f.log = append(f.log, "write "+path)
	f.files[path] = string(data)
	f.modes[path] = mode
	return nil
}

func (f *fake) Remove(path string) error {
	f.log = append(f.log, "remove "+path)
	delete(f.files, path)
	return nil
}

func (f *fake) Exists(path string) (bool, error) { _, ok := f.files[path]; return ok, nil }
func (f *fake) IsRoot() bool                     { return f.root }
func (f *fake) HasSystemd() bool                 { return f.systemd }
func (f *fake) UserExists(n string) bool         { return f.users[n] }

func testSpec() Spec {
	return Spec{
		Name:        "immudb",
		Description: "immudb - the immutable database",
		Exec:        "/usr/local/bin/immudb",
		Args:        []string{"--config", "/etc/immudb/immudb.toml"},
		User:        "immudb",
		Dirs:        []Dir{{Path: "/var/lib/immudb", Mode: 0o750}, {Path: "/var/log/immudb", Mode: 0o750}},
		LimitNOFILE: 65536,
		ConfigFile:  "/etc/immudb/immudb.toml",
		ConfigData:  "dir = \"/var/lib/immudb\"\n",
	}
}

func manager(f *fake, out *strings.Builder) *Manager {
	return &Manager{Spec: testSpec(), Run: f, FS: f, Sys: f, Out: out}
}

func TestUnit(t *testing.T) {
	s := testSpec()
	u := s.Unit()
	for _, want := range []string{
		"[Unit]\nDescription=immudb - the immutable database\n",
		"\nUser=immudb\nGroup=immudb\n",
		"\nWorkingDirectory=/var/lib/immudb\n",
		"\nExecStart=/usr/local/bin/immudb --config /etc/immudb/immudb.toml\n",
		"\nLimitNOFILE=65536\n",
		"\nRestart=on-failure\n",
		"[Install]\nWantedBy=multi-user.target\n",
	} {
		if !strings.Contains(u, want) {
			t.Errorf("unit lacks %q:\n%s", want, u)
		}
	}
	s.LimitNOFILE = 0
	if strings.Contains(s.Unit(), "LimitNOFILE") {
		t.Error("LimitNOFILE=0 must leave systemd's default")
	}
	if p := s.UnitPath(); p != "/etc/systemd/system/immudb.service" {
		t.Errorf("UnitPath = %s", p)
	}
}

func TestExecQuote(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"--config", "--config"},
		{"/a b/c", `"/a b/c"`},
		{`say "hi"`, `"say \"hi\""`},
		{`a\b`, `"a\\b"`},
		{"100%", "100%%"},
		{"$HOME", "$$HOME"},
		{"", `""`},
		{";", `";"`},
	} {
		if got := execQuote(c.in); got != c.want {
			t.Errorf("execQuote(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestValidate(t *testing.T) {
	for name, mut := range map[string]func(*Spec){
		"empty name":      func(s *Spec) { s.Name = "" },
		"name with slash": func(s *Spec) { s.Name = "a/b" },
		"user with space": func(s *Spec) { s.User = "im mu" },
		"user dash first": func(s *Spec) { s.User = "-r" },
		"relative exec":   func(s *Spec) { s.Exec = "immudb" },
		"relative dir":    func(s *Spec) { s.Dirs = []Dir{{Path: "data"}} },
		"relative config": func(s *Spec) { s.ConfigFile = "immudb.toml" },
		"newline in arg":  func(s *Spec) { s.Args = []string{"a\nExecStartPre=/bin/evil"} },
		"newline in desc": func(s *Spec) { s.Description = "x\n[Service]" },
		"bad group":       func(s *Spec) { s.Group = "a:b" },
		"negative limit":  func(s *Spec) { s.LimitNOFILE = -1 },
	} {
		s := testSpec()
		mut(&s)
		if err := s.Validate(); !errors.Is(err, ErrInvalidSpec) {
			t.Errorf("%s: Validate = %v, want ErrInvalidSpec", name, err)
		}
	}
	s := testSpec()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestInstall(t *testing.T) {
	f := newFake()
	var out strings.Builder
	if err := manager(f, &out).Do(context.Background(), "install"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"run useradd --system --user-group --no-create-home --home-dir /var/lib/immudb --shell /usr/sbin/nologin immudb",
		"run install -d -m 0750 -o immudb -g immudb /var/lib/immudb",
		"run install -d -m 0750 -o immudb -g immudb /var/log/immudb",
		"run install -d -m 0755 /etc/immudb",
		"write /etc/immudb/immudb.toml",
		"run chown root:immudb /etc/immudb/immudb.toml",
		"write /etc/systemd/system/immudb.service",
		"run systemctl daemon-reload",
		"run systemctl enable immudb.service",
		"run systemctl start immudb.service",
	}
	if got := strings.Join(f.log, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("install did:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if f.modes["/etc/immudb/immudb.toml"] != 0o640 || f.modes["/etc/systemd/system/immudb.service"] != 0o644 {
		t.Errorf("modes = %v", f.modes)
	}
	if s := testSpec(); f.files["/etc/systemd/system/immudb.service"] != s.Unit() {
		t.Error("unit file content differs from Unit()")
	}
	if !strings.Contains(out.String(), "+ systemctl start immudb.service") {
		t.Errorf("steps not echoed:\n%s", out.String())
	}
}

func TestInstallKeepsUserAndConfig(t *testing.T) {
	f := newFake()
	f.users["immudb"] = true
	f.files["/etc/immudb/immudb.toml"] = "port = 4000\n"
	var out strings.Builder
	if err := manager(f, &out).Do(context.Background(), "install"); err != nil {
		t.Fatal(err)
	}
	log := strings.Join(f.log, "\n")
	if strings.Contains(log, "useradd") || strings.Contains(log, "write /etc/immudb/immudb.toml") {
		t.Errorf("existing user or config touched:\n%s", log)
	}
	if f.files["/etc/immudb/immudb.toml"] != "port = 4000\n" {
		t.Error("config overwritten")
	}
	if !strings.Contains(out.String(), "user immudb exists") || !strings.Contains(out.String(), "immudb.toml exists: kept") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestInstallSeparateGroup(t *testing.T) {
	f := newFake()
	m := manager(f, &strings.Builder{})
	m.Spec.Group = "audit"
	if err := m.Do(context.Background(), "install"); err != nil {
		t.Fatal(err)
	}
	if f.log[0] != "run groupadd --system --force audit" || !strings.HasPrefix(f.log[1], "run useradd --system --gid audit ") {
		t.Errorf("log = %q", f.log[:2])
	}
}

func TestDryRunTouchesNothing(t *testing.T) {
	for _, op := range Ops {
		f := newFake()
		f.root, f.systemd = false, false // a dry run needs neither
		var out strings.Builder
		m := manager(f, &out)
		m.DryRun = true
		if err := m.Do(context.Background(), op); err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		if len(f.log) != 0 {
			t.Errorf("%s dry run acted: %q", op, f.log)
		}
		if !strings.Contains(out.String(), "dry run, nothing is changed") {
			t.Errorf("%s: output %q", op, out.String())
		}
	}
	f := newFake()
	var out strings.Builder
	m := manager(f, &out)
	m.DryRun = true
	_ = m.Do(context.Background(), "install")
	for _, want := range []string{
		"useradd --system",
		"write /etc/systemd/system/immudb.service (mode 0644)\n    | # Written by",
		"    | LimitNOFILE=65536\n",
		"write /etc/immudb/immudb.toml (mode 0640), unless it already exists\n    | dir = \"/var/lib/immudb\"\n",
		"systemctl enable immudb.service\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry run lacks %q:\n%s", want, out.String())
		}
	}
}

func TestPreconditions(t *testing.T) {
	cases := []struct {
		op            string
		root, systemd bool
		want          error
	}{
		{"install", false, true, ErrNotRoot},
		{"uninstall", false, true, ErrNotRoot},
		{"start", false, true, ErrNotRoot},
		{"stop", false, true, ErrNotRoot},
		{"status", false, true, nil},
		{"install", true, false, ErrNoSystemd},
		{"status", true, false, ErrNoSystemd},
		{"restart", true, true, ErrUnknownOp},
	}
	for _, c := range cases {
		f := newFake()
		f.root, f.systemd = c.root, c.systemd
		err := manager(f, &strings.Builder{}).Do(context.Background(), c.op)
		if !errors.Is(err, c.want) && !(c.want == nil && err == nil) {
			t.Errorf("%s root=%v systemd=%v: err = %v, want %v", c.op, c.root, c.systemd, err, c.want)
		}
		if c.want != nil && len(f.log) != 0 {
			t.Errorf("%s: acted before failing: %q", c.op, f.log)
		}
	}
}

func TestUninstallKeepsData(t *testing.T) {
	f := newFake()
	f.files["/etc/systemd/system/immudb.service"] = "x"
	f.files["/etc/immudb/immudb.toml"] = "y"
	f.fail["systemctl stop immudb.service"] = errors.New("exit status 5") // not loaded
	var out strings.Builder
	if err := manager(f, &out).Do(context.Background(), "uninstall"); err != nil {
		t.Fatal(err)
	}
	want := "run systemctl stop immudb.service\nrun systemctl disable immudb.service\nremove /etc/systemd/system/immudb.service\nrun systemctl daemon-reload"
	if got := strings.Join(f.log, "\n"); got != want {
		t.Errorf("uninstall did:\n%s", got)
	}
	if _, ok := f.files["/etc/immudb/immudb.toml"]; !ok {
		t.Error("config removed")
	}
	if !strings.Contains(out.String(), "kept: user immudb, /var/lib/immudb, /var/log/immudb, /etc/immudb/immudb.toml") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestStepFailureStopsThePlan(t *testing.T) {
	f := newFake()
	f.fail["systemctl daemon-reload"] = errors.New("exit status 1")
	err := manager(f, &strings.Builder{}).Do(context.Background(), "install")
	if !errors.Is(err, ErrStep) || !strings.Contains(err.Error(), "systemctl daemon-reload") || !strings.Contains(err.Error(), "boom output") {
		t.Fatalf("err = %v", err)
	}
	if last := f.log[len(f.log)-1]; last != "run systemctl daemon-reload" {
		t.Errorf("went on after the failure: %s", last)
	}
}

func TestStatusPrintsOutput(t *testing.T) {
	f := newFake()
	f.root = false
	var out strings.Builder
	if err := manager(f, &out).Do(context.Background(), "status"); err != nil {
		t.Fatal(err)
	}
	if out.String() != "active (running)\n" || f.log[0] != "run systemctl status --no-pager immudb.service" {
		t.Errorf("out=%q log=%q", out.String(), f.log)
	}
}

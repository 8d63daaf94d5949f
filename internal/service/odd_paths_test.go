package service

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnitOddPaths: paths with spaces, quotes, '%' and '$' are written the
// way systemd reads them back. The program path is not subject to $VAR
// expansion (a doubled dollar would stay two dollars), the arguments are,
// and WorkingDirectory= takes no quotes at all (systemd-analyze verify
// calls a quoted one "not absolute").
func TestUnitOddPaths(t *testing.T) {
	s := testSpec()
	s.Exec = "/opt/my apps/im$mu%n"
	s.Args = []string{"--config", `/etc/my "cfg"/$x%i.toml`}
	s.WorkingDir = "/var/lib/im mu%d"
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	u := s.Unit()
	for _, want := range []string{
		"\nWorkingDirectory=/var/lib/im mu%%d\n",
		"\nExecStart=\"/opt/my apps/im$mu%%n\" --config \"/etc/my \\\"cfg\\\"/$$x%%i.toml\"\n",
	} {
		if !strings.Contains(u, want) {
			t.Errorf("unit lacks %q:\n%s", want, u)
		}
	}
}

// TestDryRunQuotesWords: the dry run prints commands a shell reads back
// as the same words, so a path with a space stays one argument.
func TestDryRunQuotesWords(t *testing.T) {
	f := newFake()
	var out strings.Builder
	m := manager(f, &out)
	m.Spec.ConfigFile = "/etc/my dir/it's.toml"
	m.Spec.Dirs = []Dir{{Path: "/var/lib/im mu", Mode: 0o750}}
	m.DryRun = true
	if err := m.Do(context.Background(), "install"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\ninstall -d -m 0750 -o immudb -g immudb '/var/lib/im mu'\n",
		"\ninstall -d -m 0755 '/etc/my dir'\n",
		"\nwrite '/etc/my dir/it'\\''s.toml' (mode 0640), unless it already exists\n",
		"\nchown root:immudb '/etc/my dir/it'\\''s.toml'\n",
		"\nuseradd --system --user-group --no-create-home --home-dir '/var/lib/im mu' --shell /usr/sbin/nologin immudb\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry run lacks %q:\n%s", want, out.String())
		}
	}
	for _, c := range []struct{ in, want string }{
		{"plain-word_1.0/a:b,c=d+e@f%g", "plain-word_1.0/a:b,c=d+e@f%g"},
		{"", "''"},
		{"a b", "'a b'"},
		{"$HOME", "'$HOME'"},
		{"a;b", "'a;b'"},
		{"it's", `'it'\''s'`},
	} {
		if got := shellQuote(c.in); got != c.want {
			t.Errorf("shellQuote(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

// TestConfigFileMustBeAFile: a config path naming a directory would be
// "kept as it is" and then chowned to the service group.
func TestConfigFileMustBeAFile(t *testing.T) {
	for _, cf := range []string{"/", "/etc/", "/etc/immudb/../immudb.toml", "/etc//immudb.toml"} {
		s := testSpec()
		s.ConfigFile = cf
		if err := s.Validate(); !errors.Is(err, ErrInvalidSpec) {
			t.Errorf("config file %q: Validate = %v, want ErrInvalidSpec", cf, err)
		}
	}
	dir := t.TempDir()
	if ok, err := (osFS{}).Exists(dir); err == nil || ok {
		t.Errorf("Exists(a directory) = %v, %v; want an error", ok, err)
	}
	file := filepath.Join(dir, "immudb.toml")
	if ok, err := (osFS{}).Exists(file); err != nil || ok {
		t.Errorf("Exists(missing) = %v, %v", ok, err)
	}
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if ok, err := (osFS{}).Exists(file); err != nil || !ok {
		t.Errorf("Exists(file) = %v, %v", ok, err)
	}

	// Install stops at the config step: nothing is chowned.
	f := newFake()
	var out strings.Builder
	m := manager(f, &out)
	m.FS = dirFS{f}
	if err := m.Do(context.Background(), "install"); !errors.Is(err, ErrStep) {
		t.Fatalf("install over a directory: %v", err)
	}
	for _, l := range f.log {
		if strings.HasPrefix(l, "run chown") {
			t.Errorf("ran %s", l)
		}
	}
}

// dirFS is the fake whose config path is a directory.
type dirFS struct{ *fake }

func (d dirFS) Exists(p string) (bool, error) {
	if strings.HasSuffix(p, ".toml") {
		return false, errors.New(p + " exists and is not a regular file")
	}
	return d.fake.Exists(p)
}

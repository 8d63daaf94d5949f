package immudb

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/pflag"
)

// FuzzConfigFile feeds arbitrary immudb.toml content through the loader:
// it must give a valid Config or an error, never a panic.
func FuzzConfigFile(f *testing.F) {
	for _, s := range []string{
		"port = 6000\ndir = \"/x\"\n",
		"session-timeout = \"5m\"\nmax-sessions = 3\n",
		"session-timeout = 120\n",
		"port = \"abc\"\n",
		"mtls = true\n",
		"admin-password = \"enc:aW1tdWRi\"\n",
		"[section]\nport = 1\n",
		"port = = 1",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content []byte) {
		path := filepath.Join(dir, "immudb.toml")
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		fs := pflag.NewFlagSet("immudb", pflag.ContinueOnError)
		addFlags(fs)
		if err := fs.Parse([]string{"--config", path}); err != nil {
			t.Fatal(err)
		}
		v, err := newViper(fs)
		if err != nil {
			t.Fatal(err)
		}
		file, err := readConfigFile(v)
		if err != nil {
			return
		}
		cfg, err := configFrom(v, file)
		if err != nil {
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("error %v does not wrap ErrInvalidConfig", err)
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("loader returned an invalid config: %v", err)
		}
	})
}

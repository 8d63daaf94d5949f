package immudb

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// serviceCondition adds the script conditions [root] (effective uid 0) and
// [systemd] (systemd is PID 1), so the service scripts can check the
// refusal that applies on this machine and never really install anything.
func serviceCondition(cond string) (bool, error) {
	switch cond {
	case "root":
		return os.Geteuid() == 0, nil
	case "systemd":
		st, err := os.Stat("/run/systemd/system")
		return err == nil && st.IsDir(), nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}

// The config file install writes is one the server reads without error or
// unknown key, and it points at the service's folders.
func TestServiceConfigIsValid(t *testing.T) {
	spec := serviceSpec("/usr/local/bin/immudb", ServiceConfigFile)
	path := filepath.Join(t.TempDir(), "immudb.toml")
	if err := os.WriteFile(path, []byte(spec.ConfigData), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := NewCommand(io.Discard, io.Discard, nil)
	if err := cmd.Flags().Set("config", path); err != nil {
		t.Fatal(err)
	}
	v, err := newViper(cmd.Flags())
	if err != nil {
		t.Fatal(err)
	}
	file, err := readConfigFile(v)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := configFrom(v, file)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Dir != ServiceDataDir || cfg.Logfile != ServiceLogDir+"/immudb.log" || cfg.Port != DefaultPort {
		t.Errorf("config = dir %q logfile %q port %d", cfg.Dir, cfg.Logfile, cfg.Port)
	}
	if k := unknownKeys(v); len(k) != 0 {
		t.Errorf("unknown keys %v", k)
	}
	if err := spec.Validate(); err != nil {
		t.Error(err)
	}
}

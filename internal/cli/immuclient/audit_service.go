package immuclient

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/attestdb/attestdb/internal/service"
)

// Paths of the installed auditor (immudb's Linux layout: config under
// /etc/immudb, state under /var/lib).
const (
	AuditServiceConfigFile = "/etc/immudb/immuclient.toml"
	AuditServiceRootsDir   = "/var/lib/immuclient"
	AuditServiceUser       = "immuclient"
)

// auditServiceKey is a setting of the installed config: a flag name and
// the service's default (a string or an int).
type auditServiceKey struct {
	key string
	def any
}

// auditServiceKeys are the settings the installed config file lists, in
// order, with the service's defaults; install replaces a default with the
// value of the same flag when it is given on its command line.
var auditServiceKeys = []auditServiceKey{
	{"immudb-address", "127.0.0.1"},
	{"immudb-port", 3322},
	{"audit-username", ""},
	{"audit-password", ""},
	{"audit-databases", ""},
	{"audit-interval", DefaultAuditInterval.String()},
	{"audit-signature", "validate"},
	{"server-signing-pub-key", ""},
	{"roots-filepath", AuditServiceRootsDir},
	{"audit-monitoring-host", DefaultAuditMonitoringHost},
	{"audit-monitoring-port", DefaultAuditMonitoringPort},
}

// auditServiceSpec is the unit of `immuclient audit-mode`: this program in
// audit mode with the given config file, which holds the audit credentials
// (so it is readable by the service group only). set holds the settings
// given to install (flag name to value); the others keep their defaults.
func auditServiceSpec(exe, configFile string, set map[string]string) (service.Spec, error) {
	var b strings.Builder
	b.WriteString(`# immuclient audit-mode configuration written by "immuclient audit-mode install"
# (a reinstall keeps it). Keys are immuclient's flag names. Set the audit
# credentials, then: immuclient audit-mode stop && immuclient audit-mode start
`)
	for _, k := range auditServiceKeys {
		val, given := set[k.key]
		switch d := k.def.(type) {
		case int:
			if given {
				n, err := strconv.Atoi(val)
				if err != nil {
					return service.Spec{}, fmt.Errorf("--%s %q is not a number", k.key, val)
				}
				d = n
			}
			fmt.Fprintf(&b, "%s = %d\n", k.key, d)
		case string:
			if given {
				// TOML basic strings have no \x escapes, which %q would use.
				if strings.IndexFunc(val, unicode.IsControl) >= 0 {
					return service.Spec{}, fmt.Errorf("--%s holds a control character", k.key)
				}
				d = val
			}
			fmt.Fprintf(&b, "%s = %q\n", k.key, d)
		}
	}
	roots := AuditServiceRootsDir
	if r, ok := set["roots-filepath"]; ok {
		if !filepath.IsAbs(r) {
			return service.Spec{}, fmt.Errorf("--roots-filepath %q: the service needs an absolute path", r)
		}
		roots = filepath.Clean(r)
	}
	return service.Spec{
		Name:        "immuclient",
		Command:     "immuclient audit-mode",
		Description: "immuclient audit-mode - periodic consistency audit of an immudb server",
		Exec:        exe,
		Args:        []string{"audit-mode", "--config", configFile},
		User:        AuditServiceUser,
		Dirs:        []service.Dir{{Path: roots, Mode: 0o750}},
		ConfigFile:  configFile,
		ConfigData:  b.String(),
	}, nil
}

// givenAuditSettings returns the config-file settings set on the command
// line, so that `install --audit-username …` writes them instead of
// silently dropping them. The old --prometheus-* names count as the new.
func givenAuditSettings(cmd *cobra.Command) map[string]string {
	alias := map[string]string{"prometheus-host": "audit-monitoring-host", "prometheus-port": "audit-monitoring-port"}
	set := map[string]string{}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		name := f.Name
		if n, ok := alias[name]; ok {
			name = n
		}
		if slices.ContainsFunc(auditServiceKeys, func(k auditServiceKey) bool { return k.key == name }) {
			set[name] = f.Value.String()
		}
	})
	return set
}

// auditService is `immuclient audit-mode install|uninstall|start|stop|status`,
// carried out by package service (systemd).
func (a *app) auditService(cmd *cobra.Command, v *viper.Viper, op string) error {
	if !slices.Contains(service.Ops, op) {
		return fmt.Errorf("unknown audit-mode operation %q (want one of %s)", op, strings.Join(service.Ops, ", "))
	}
	dryRun, _ := cmd.Flags().GetBool("dry-run")
	configFile, _ := cmd.Flags().GetString("service-config")
	if !filepath.IsAbs(configFile) {
		return fmt.Errorf("--service-config %q: the service needs an absolute path", configFile)
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("audit-mode %s: cannot find this program's path: %w", op, err)
	}
	if p, err := filepath.EvalSymlinks(exe); err == nil {
		exe = p
	}
	if strings.HasPrefix(exe, os.TempDir()) && !dryRun {
		fmt.Fprintf(a.errOut, "warning: the unit will run %s, a temporary file\n", exe)
	}
	set := givenAuditSettings(cmd)
	if len(set) > 0 {
		if op != "install" {
			return fmt.Errorf("audit-mode %s: settings flags are only for install (the service reads %s)", op, configFile)
		}
		if _, err := os.Stat(configFile); err == nil {
			fmt.Fprintf(a.errOut, "warning: %s exists and is kept: the settings given are not written; edit that file\n", configFile)
		}
	}
	spec, err := auditServiceSpec(exe, configFile, set)
	if err != nil {
		return fmt.Errorf("audit-mode %s: %w", op, err)
	}
	m := &service.Manager{Spec: spec, Out: a.out, DryRun: dryRun}
	return m.Do(cmd.Context(), op)
}

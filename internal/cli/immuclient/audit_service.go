package immuclient

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
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

// auditServiceSpec is the unit of `immuclient audit-mode`: this program in
// audit mode with the given config file, which holds the audit credentials
// (so it is readable by the service group only).
func auditServiceSpec(exe, configFile string) service.Spec {
	return service.Spec{
		Name:        "immuclient",
		Command:     "immuclient audit-mode",
		Description: "immuclient audit-mode - periodic consistency audit of an immudb server",
		Exec:        exe,
		Args:        []string{"audit-mode", "--config", configFile},
		User:        AuditServiceUser,
		Dirs:        []service.Dir{{Path: AuditServiceRootsDir, Mode: 0o750}},
		ConfigFile:  configFile,
		ConfigData: fmt.Sprintf(`# immuclient audit-mode configuration written by "immuclient audit-mode install"
# (a reinstall keeps it). Keys are immuclient's flag names. Set the audit
# credentials, then: immuclient audit-mode stop && immuclient audit-mode start
immudb-address = %q
immudb-port = %d
audit-username = ""
audit-password = ""
audit-databases = ""
audit-interval = %q
audit-signature = "validate"
server-signing-pub-key = ""
roots-filepath = %q
audit-monitoring-host = %q
audit-monitoring-port = %d
`, "127.0.0.1", 3322, DefaultAuditInterval.String(), AuditServiceRootsDir, DefaultAuditMonitoringHost, DefaultAuditMonitoringPort),
	}
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
	m := &service.Manager{Spec: auditServiceSpec(exe, configFile), Out: a.out, DryRun: dryRun}
	return m.Do(cmd.Context(), op)
}

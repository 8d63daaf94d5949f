package immudb

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/attestdb/attestdb/internal/service"
)

// Paths of the installed service (as issue 6 and immudb's Linux layout:
// config under /etc, data under /var/lib, logs under /var/log).
const (
	ServiceConfigFile = "/etc/immudb/immudb.toml"
	ServiceDataDir    = "/var/lib/immudb"
	ServiceLogDir     = "/var/log/immudb"
	ServiceUser       = "immudb"
)

// serviceSpec is the immudb unit: the running program, started with the
// given config file, as user immudb with 65536 open files (one database
// keeps several segment files open per store).
func serviceSpec(exe, configFile string) service.Spec {
	return service.Spec{
		Name:        "immudb",
		Description: "immudb - the immutable database",
		Exec:        exe,
		Args:        []string{"--config", configFile},
		User:        ServiceUser,
		Dirs: []service.Dir{
			{Path: ServiceDataDir, Mode: 0o750},
			{Path: ServiceLogDir, Mode: 0o750},
		},
		LimitNOFILE: 65536,
		ConfigFile:  configFile,
		ConfigData: fmt.Sprintf(`# immudb configuration written by "immudb service install" (a reinstall keeps it).
# Keys are immudb's flag names; see docs/CONFIGURATION.md. Restart the
# service after an edit: immudb service stop && immudb service start
dir = %q
logfile = %q
address = %q
port = %d
`, ServiceDataDir, ServiceLogDir+"/immudb.log", DefaultAddress, DefaultPort),
	}
}

// newServiceCommand is `immudb service install|uninstall|start|stop|status`.
func newServiceCommand(stdout io.Writer) *cobra.Command {
	var dryRun bool
	var configFile string
	cmd := &cobra.Command{
		Use:   "service install|uninstall|start|stop|status",
		Short: "Manage immudb as a systemd service",
		Long: `Manage immudb as a systemd service (Linux).

install creates the system user immudb, the folders /var/lib/immudb and
/var/log/immudb, the config file (unless it exists), the unit
/etc/systemd/system/immudb.service (LimitNOFILE=65536), then enables and
starts it. The unit runs this very program file: put it where it will stay
(e.g. /usr/local/bin/immudb) before installing.
uninstall stops, disables and removes the unit; data, logs, config and the
user are kept. status does not need root; the others do.
--dry-run prints every step (and the files it would write) and changes nothing.
FreeBSD and Windows: see docs/OPERATIONS.md.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("missing operation: install, uninstall, start, stop or status")
		},
	}
	cmd.PersistentFlags().BoolVar(&dryRun, "dry-run", false, "print what would be done, change nothing")
	cmd.PersistentFlags().StringVar(&configFile, "config", ServiceConfigFile, "config file the service reads (written by install unless it exists)")
	for _, op := range service.Ops {
		cmd.AddCommand(&cobra.Command{
			Use:   op,
			Short: serviceOpHelp[op],
			Args:  cobra.NoArgs,
			RunE: func(c *cobra.Command, _ []string) error {
				if !filepath.IsAbs(configFile) {
					return fmt.Errorf("--config %q: the service needs an absolute path", configFile)
				}
				exe, err := os.Executable()
				if err != nil {
					return fmt.Errorf("service: cannot find this program's path: %w", err)
				}
				if p, err := filepath.EvalSymlinks(exe); err == nil {
					exe = p
				}
				if op == "install" && !dryRun && strings.HasPrefix(exe, os.TempDir()) {
					fmt.Fprintf(c.ErrOrStderr(), "warning: the unit will run %s, a temporary file\n", exe)
				}
				m := &service.Manager{Spec: serviceSpec(exe, configFile), Out: stdout, DryRun: dryRun}
				return m.Do(c.Context(), op)
			},
		})
	}
	return cmd
}

var serviceOpHelp = map[string]string{
	"install":   "Create user and folders, write the unit and config, enable and start it",
	"uninstall": "Stop, disable and remove the unit (data, logs, config and user are kept)",
	"start":     "Start the service",
	"stop":      "Stop the service",
	"status":    "Show systemctl status of the service",
}

package immudb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Main runs the immudb program with args (without the program name) and
// returns the exit code. run starts the server; nil means RunServer. It
// also sets the server's garbage-collector target unless GOGC is set (gc.go).
func Main(args []string, stdout, stderr io.Writer, run RunFunc) int {
	if run == nil {
		run = RunServer
	}
	tuneGC()
	cmd := NewCommand(stdout, stderr, run)
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		fmt.Fprintf(stderr, "immudb: %v\n", err)
		return 1
	}
	return 0
}

// NewCommand returns the root command: `immudb [flags]` runs the server,
// `immudb version` prints build information.
func NewCommand(stdout, stderr io.Writer, run RunFunc) *cobra.Command {
	root := &cobra.Command{
		Use:   "immudb",
		Short: "immudb - the lightweight, high-speed immutable database",
		Long: `immudb - the lightweight, high-speed immutable database for systems and applications.

Flags can also be set with environment variables (IMMUDB_<FLAG>, upper case,
dashes as underscores, e.g. IMMUDB_MAX_SESSIONS=50) or in the immudb.toml
config file; a flag beats the environment, which beats the file.`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetOut(stdout)
	root.SetErr(stderr)
	addFlags(root.Flags())
	root.Flags().String("print-config", "", "print the effective configuration as toml or json and exit")
	root.Flags().Lookup("print-config").NoOptDefVal = "toml"
	_ = root.Flags().MarkHidden("print-config")
	root.Flags().SortFlags = true
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%w\nRun 'immudb --help' for usage.", err)
	})

	root.RunE = func(c *cobra.Command, _ []string) error {
		v, err := newViper(c.Flags())
		if err != nil {
			return err
		}
		file, err := readConfigFile(v)
		if err != nil {
			return err
		}
		cfg, err := configFrom(v, file)
		if err != nil {
			return err
		}
		if format, _ := c.Flags().GetString("print-config"); format != "" {
			return printConfig(stdout, &cfg, format)
		}
		if cfg.Detached {
			return detach(&cfg, os.Args[1:], stdout)
		}
		return runForeground(c.Context(), &cfg, unknownKeys(v), stderr, run)
	}

	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Show the immudb version",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return printVersion(stdout)
		},
	})
	root.AddCommand(newServiceCommand(stdout))
	return root
}

// runForeground sets up logging and the pidfile, then runs the server
// until SIGINT/SIGTERM.
func runForeground(parent context.Context, cfg *Config, ignored []string, stderr io.Writer, run RunFunc) error {
	logger, closer, err := newLogger(cfg, stderr)
	if err != nil {
		return err
	}
	defer closer.Close()
	cfg.Logger = logger
	if cfg.Pidfile != "" {
		if err := writePidfile(cfg.Pidfile); err != nil {
			return err
		}
		defer removePidfile(cfg.Pidfile)
	}
	if parent == nil {
		parent = context.Background()
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.ConfigFile != "" {
		logger.Info("configuration file read", "path", cfg.ConfigFile)
	}
	for _, k := range ignored {
		logger.Warn("unknown configuration key ignored", "key", k)
	}
	// Main prints a returned error; with --logfile that output goes to the
	// log too when detached (the child's stderr is the log file).
	if err := run(ctx, *cfg); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

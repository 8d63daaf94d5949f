package immuadmin

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/attestdb/attestdb/client"
)

// Version is the immuadmin version printed by `version`.
var Version = "1.11.1-attestdb"

// DefaultTokenFile is the token file name kept in the home directory; the
// _admin suffix keeps it apart from immuclient's.
const DefaultTokenFile = "token_admin"

// DefaultMetricsPort is the port of the server's Prometheus endpoint.
const DefaultMetricsPort = 9497

// ErrBadConfig reports an unusable configuration value or file.
var ErrBadConfig = errors.New("invalid configuration")

// ErrBadArgument reports a command argument that does not parse.
var ErrBadArgument = errors.New("invalid argument")

// Config is the resolved configuration: flags, then IMMUADMIN_* variables,
// then the config file, then defaults.
type Config struct {
	Address     string
	Port        int
	MTLS        bool
	Certificate string
	Pkey        string
	ClientCAs   string
	ServerName  string
	TokenFile   string
	Password    string // IMMUADMIN_PASSWORD (no flag: passwords stay off command lines)
	Output      string
}

// app is one run of the program.
type app struct {
	cfg      Config
	stdin    io.Reader
	in       *bufio.Reader
	out      io.Writer
	errOut   io.Writer
	cl       *client.Client
	jsonMode bool
	// interrupt, when set, replaces the Ctrl-C wait of the live stats view
	// (tests).
	interrupt <-chan struct{}
}

// Main runs immuadmin with args (without the program name) and returns the
// exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, in: bufio.NewReader(stdin), out: stdout, errOut: stderr}
	defer a.close()
	root := a.newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(context.Background()); err != nil {
		a.printError(err)
		return 1
	}
	return 0
}

func (a *app) close() {
	if a.cl != nil {
		_ = a.cl.Close()
		a.cl = nil
	}
}

func (a *app) newRoot() *cobra.Command {
	v := viper.New()
	root := &cobra.Command{
		Use:   "immuadmin",
		Short: "CLI admin client for attestdb, an immudb-compatible immutable database",
		Long: `CLI admin client for attestdb (and any immudb v1.11 compatible server).

Environment variables:
  IMMUADMIN_IMMUDB_ADDRESS=127.0.0.1
  IMMUADMIN_IMMUDB_PORT=3322
  IMMUADMIN_PASSWORD       password for login when stdin is not a terminal
  IMMUADMIN_TOKENFILE=token_admin
  (every flag has an IMMUADMIN_<FLAG> variable, dashes as underscores)`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		DisableAutoGenTag: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.loadConfig(v)
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	f := root.PersistentFlags()
	f.StringP("immudb-address", "a", client.DefaultAddress, "immudb host address")
	f.IntP("immudb-port", "p", client.DefaultPort, "immudb port number")
	f.BoolP("mtls", "m", false, "enable mutual tls")
	f.String("certificate", "", "client certificate file path (mtls)")
	f.String("pkey", "", "client private key path (mtls)")
	f.String("clientcas", "", "certificate authority file that signed the server certificate")
	f.String("servername", "localhost", "used to verify the hostname on the returned certificates")
	f.String("config", "", "config file (default: immuadmin.toml in the current or home directory)")
	f.String("tokenfile", DefaultTokenFile, "authentication token file (a bare name is kept in the home directory)")
	f.StringP("output", "o", "text", "output format: text or json")
	_ = v.BindPFlags(f)
	v.SetEnvPrefix("IMMUADMIN")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	_ = v.BindEnv("password")

	root.AddCommand(a.loginCommands()...)
	root.AddCommand(a.userCommand(), a.databaseCommand(), a.statsCommand(), a.printCommand(), a.setCommand())
	root.AddCommand(a.backupCommands()...)
	return root
}

// ConfigFileName is the configuration file looked up in the current
// directory, ./configs and the home directory, in that order.
const ConfigFileName = "immuadmin.toml"

// findConfig returns the first immuadmin.toml found, or "".
func findConfig() string {
	dirs := []string{".", "configs"}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, home)
	}
	for _, d := range dirs {
		fn := filepath.Join(d, ConfigFileName)
		if st, err := os.Stat(fn); err == nil && st.Mode().IsRegular() {
			return fn
		}
	}
	return ""
}

func (a *app) loadConfig(v *viper.Viper) error {
	v.SetConfigType("toml")
	if fn := v.GetString("config"); fn != "" {
		v.SetConfigFile(fn)
		if err := v.ReadInConfig(); err != nil {
			return fmt.Errorf("%w: reading config file %s: %v", ErrBadConfig, fn, err)
		}
	} else if fn := findConfig(); fn != "" {
		// Looked up by full name: viper's own search also takes a file
		// named just "immuadmin", which is the program itself when run
		// from its own directory.
		v.SetConfigFile(fn)
		if err := v.ReadInConfig(); err != nil {
			return fmt.Errorf("%w: reading config file %s: %v", ErrBadConfig, fn, err)
		}
	}
	a.cfg = Config{
		Address:     v.GetString("immudb-address"),
		Port:        v.GetInt("immudb-port"),
		MTLS:        v.GetBool("mtls"),
		Certificate: v.GetString("certificate"),
		Pkey:        v.GetString("pkey"),
		ClientCAs:   v.GetString("clientcas"),
		ServerName:  v.GetString("servername"),
		TokenFile:   v.GetString("tokenfile"),
		Password:    v.GetString("password"),
		Output:      strings.ToLower(v.GetString("output")),
	}
	switch a.cfg.Output {
	case "text", "":
		a.jsonMode = false
	case "json":
		a.jsonMode = true
	default:
		return fmt.Errorf("%w: --output must be text or json, not %q", ErrBadConfig, a.cfg.Output)
	}
	if a.cfg.Port <= 0 || a.cfg.Port > 65535 {
		return fmt.Errorf("%w: port %d out of range", ErrBadConfig, a.cfg.Port)
	}
	return nil
}

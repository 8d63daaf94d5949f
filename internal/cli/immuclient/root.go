package immuclient

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
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/attestdb/attestdb/client"
)

// Version is the immuclient version printed by `version`.
var Version = "1.11.1-attestdb"

// Config is the resolved configuration: flags, then IMMUCLIENT_* variables,
// then the config file, then defaults.
type Config struct {
	Address        string
	Port           int
	MTLS           bool
	Certificate    string
	Pkey           string
	ClientCAs      string
	ServerName     string
	TokenFile      string
	ValueOnly      bool
	Dir            string
	MaxRecvMsgSize int
	Username       string
	Password       string
	Database       string
	Output         string
	ServerPubKey   string
}

// app is one run of the program (or of the shell, which reuses it).
type app struct {
	cfg      Config
	loaded   bool
	stdin    io.Reader
	in       *bufio.Reader
	out      io.Writer
	errOut   io.Writer
	cl       *client.Client
	tokenErr error // the saved token file did not parse
	inShell  bool
	jsonMode bool
}

// Main runs immuclient with args (without the program name) and returns the
// exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, in: bufio.NewReader(stdin), out: stdout, errOut: stderr}
	defer a.close()
	return a.execute(args)
}

// execute runs one command line and reports its exit status.
func (a *app) execute(args []string) int {
	root := a.newRoot()
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return 0
	}
	a.printError(err)
	return 1
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
		Use:   "immuclient",
		Short: "CLI client for attestdb, an immudb-compatible immutable database",
		Long: `CLI client for attestdb (and any immudb v1.11 compatible server).

Environment variables:
  IMMUCLIENT_IMMUDB_ADDRESS=127.0.0.1
  IMMUCLIENT_IMMUDB_PORT=3322
  IMMUCLIENT_USERNAME / IMMUCLIENT_PASSWORD  log in automatically when needed
  IMMUCLIENT_DATABASE                        database selected after login
  (every flag has an IMMUCLIENT_<FLAG> variable, dashes as underscores)`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		DisableAutoGenTag: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if a.loaded {
				// In the shell the configuration is loaded once; flags
				// given on a line apply to it (and credentials after it).
				return a.overlayFlags(cmd)
			}
			return a.loadConfig(v, cmd)
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
	f.String("config", "", "config file (default: immuclient.toml in the current or home directory)")
	f.String("tokenfile", "token", "authentication token file (a bare name is kept in the home directory)")
	f.Bool("value-only", false, "print only values for get operations")
	f.String("dir", client.DefaultDir, "directory of the local state files (.state-<server uuid>)")
	f.Int("max-recv-msg-size", client.DefaultMaxRecvMsgSize, "max message size in bytes the client can receive")
	f.String("username", "", "user name for automatic login")
	f.String("password", "", "password for automatic login")
	f.String("database", "", "database to use after an automatic login")
	f.StringP("output", "o", "text", "output format: text or json")
	f.String("server-signing-pub-key", "", "PEM public key that verifies the server's signed states")
	_ = v.BindPFlags(f)
	v.SetEnvPrefix("IMMUCLIENT")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()

	root.AddCommand(a.loginCommands()...)
	root.AddCommand(a.kvCommands()...)
	root.AddCommand(a.scanCommands()...)
	root.AddCommand(a.txCommands()...)
	root.AddCommand(a.infoCommands()...)
	root.AddCommand(a.adminCommands()...)
	if !a.inShell {
		root.AddCommand(a.shellCommand())
		root.AddCommand(a.auditCommand(v))
	}
	return root
}

// configFileName is looked up in ., ./configs and the home directory when
// --config is not given.
const configFileName = "immuclient.toml"

func findConfig() string {
	dirs := []string{".", "configs"}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, home)
	}
	for _, d := range dirs {
		fn := filepath.Join(d, configFileName)
		if st, err := os.Stat(fn); err == nil && st.Mode().IsRegular() {
			return fn
		}
	}
	return ""
}

// ErrBadConfig reports an unusable configuration value or file.
var ErrBadConfig = errors.New("invalid configuration")

func (a *app) loadConfig(v *viper.Viper, cmd *cobra.Command) error {
	v.SetConfigType("toml")
	if fn := v.GetString("config"); fn != "" {
		v.SetConfigFile(fn)
		if err := v.ReadInConfig(); err != nil {
			return fmt.Errorf("%w: reading config file %s: %v", ErrBadConfig, fn, err)
		}
	} else if fn := findConfig(); fn != "" {
		// Looked up by its full name: viper's own search also takes a file
		// named just "immuclient", which is the program itself when it is
		// run from its own directory.
		v.SetConfigFile(fn)
		if err := v.ReadInConfig(); err != nil {
			return fmt.Errorf("%w: reading config file %s: %v", ErrBadConfig, fn, err)
		}
	}
	a.cfg = Config{
		Address:        v.GetString("immudb-address"),
		Port:           v.GetInt("immudb-port"),
		MTLS:           v.GetBool("mtls"),
		Certificate:    v.GetString("certificate"),
		Pkey:           v.GetString("pkey"),
		ClientCAs:      v.GetString("clientcas"),
		ServerName:     v.GetString("servername"),
		TokenFile:      v.GetString("tokenfile"),
		ValueOnly:      v.GetBool("value-only"),
		Dir:            v.GetString("dir"),
		MaxRecvMsgSize: v.GetInt("max-recv-msg-size"),
		Username:       v.GetString("username"),
		Password:       v.GetString("password"),
		Database:       v.GetString("database"),
		Output:         strings.ToLower(v.GetString("output")),
		ServerPubKey:   v.GetString("server-signing-pub-key"),
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
	a.loaded = true
	return nil
}

// flagChanged is a helper for commands with optional flags.
func flagChanged(fs *pflag.FlagSet, name string) bool {
	f := fs.Lookup(name)
	return f != nil && f.Changed
}

// overlayFlags applies the per-line flags of a shell command that make
// sense there (credentials, database, output shape).
func (a *app) overlayFlags(cmd *cobra.Command) error {
	fs := cmd.Flags()
	str := func(name string, dst *string) {
		if flagChanged(fs, name) {
			*dst, _ = fs.GetString(name)
		}
	}
	str("username", &a.cfg.Username)
	str("password", &a.cfg.Password)
	str("database", &a.cfg.Database)
	if flagChanged(fs, "value-only") {
		a.cfg.ValueOnly, _ = fs.GetBool("value-only")
	}
	if flagChanged(fs, "output") {
		out, _ := fs.GetString("output")
		switch strings.ToLower(out) {
		case "text":
			a.jsonMode = false
		case "json":
			a.jsonMode = true
		default:
			return fmt.Errorf("%w: --output must be text or json, not %q", ErrBadConfig, out)
		}
	}
	return nil
}

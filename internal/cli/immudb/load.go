package immudb

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cast"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// newViper binds flags, IMMUDB_* variables and defaults.
func newViper(fs *pflag.FlagSet) (*viper.Viper, error) {
	v := viper.New()
	v.SetEnvPrefix(envPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	for _, d := range flagDefs {
		v.SetDefault(d.name, d.def)
		if err := v.BindPFlag(d.name, fs.Lookup(d.name)); err != nil {
			return nil, fmt.Errorf("binding flag %s: %w", d.name, err)
		}
	}
	return v, nil
}

// readConfigFile reads --config / IMMUDB_CONFIG, or the first immudb.toml
// found in ./configs or $HOME. It returns the file used ("" if none).
func readConfigFile(v *viper.Viper) (string, error) {
	path, err := cast.ToStringE(v.Get("config"))
	if err != nil {
		return "", fmt.Errorf("%w: config: %v", ErrInvalidConfig, err)
	}
	v.SetConfigType("toml") // whatever the file's extension
	if path != "" {
		v.SetConfigFile(path)
		if err := v.ReadInConfig(); err != nil {
			return "", fmt.Errorf("reading config file %s: %w", path, err)
		}
		return path, nil
	}
	candidates := []string{filepath.Join("configs", DefaultConfigName)}
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates, filepath.Join(home, DefaultConfigName))
	}
	for _, c := range candidates {
		if fi, err := os.Stat(c); err != nil || fi.IsDir() {
			continue
		}
		v.SetConfigFile(c)
		if err := v.ReadInConfig(); err != nil {
			return "", fmt.Errorf("reading config file %s: %w", c, err)
		}
		return c, nil
	}
	return "", nil
}

// getter reads values strictly, collecting one error per bad key.
type getter struct {
	v    *viper.Viper
	errs []error
}

func (g *getter) fail(key string, err error) {
	g.errs = append(g.errs, fmt.Errorf("%w: %s: %v", ErrInvalidConfig, key, err))
}

func (g *getter) str(key string) string {
	s, err := cast.ToStringE(g.v.Get(key))
	if err != nil {
		g.fail(key, err)
	}
	return s
}

func (g *getter) int(key string) int {
	raw := g.v.Get(key)
	if s, ok := raw.(string); ok {
		raw = strings.TrimSpace(s)
	}
	n, err := cast.ToIntE(raw)
	if err != nil {
		g.fail(key, fmt.Errorf("not an integer: %v", raw))
	}
	return n
}

func (g *getter) bool(key string) bool {
	raw := g.v.Get(key)
	if s, ok := raw.(string); ok {
		raw = strings.TrimSpace(s)
	}
	b, err := cast.ToBoolE(raw)
	if err != nil {
		g.fail(key, fmt.Errorf("not a boolean: %v", raw))
	}
	return b
}

func (g *getter) duration(key string) time.Duration {
	raw := g.v.Get(key)
	if s, ok := raw.(string); ok {
		raw = strings.TrimSpace(s)
	}
	d, err := cast.ToDurationE(raw)
	if err != nil {
		g.fail(key, fmt.Errorf("not a duration: %v", raw))
	}
	return d
}

// configFrom builds and validates the Config.
func configFrom(v *viper.Viper, configFile string) (Config, error) {
	g := &getter{v: v}
	c := Config{
		Dir:                        g.str("dir"),
		Address:                    g.str("address"),
		Port:                       g.int("port"),
		ConfigFile:                 configFile,
		Pidfile:                    g.str("pidfile"),
		Logfile:                    g.str("logfile"),
		LogFormat:                  g.str("logformat"),
		MTLS:                       g.bool("mtls"),
		Auth:                       g.bool("auth"),
		MaxRecvMsgSize:             g.int("max-recv-msg-size"),
		NoHistograms:               g.bool("no-histograms"),
		Detached:                   g.bool("detached"),
		Certificate:                g.str("certificate"),
		Pkey:                       g.str("pkey"),
		ClientCAs:                  g.str("clientcas"),
		DevMode:                    g.bool("devmode"),
		ForceAdminPassword:         g.bool("force-admin-password"),
		Maintenance:                g.bool("maintenance"),
		SigningKey:                 g.str("signingKey"),
		Synced:                     g.bool("synced"),
		MetricsServer:              g.bool("metrics-server"),
		MetricsServerPort:          g.int("metrics-server-port"),
		Pprof:                      g.bool("pprof"),
		WebServer:                  g.bool("web-server"),
		WebServerPort:              g.int("web-server-port"),
		SwaggerUI:                  g.bool("swaggerui"),
		MaxSessions:                g.int("max-sessions"),
		MaxSessionInactivityTime:   g.duration("max-session-inactivity-time"),
		MaxSessionAgeTime:          g.duration("max-session-age-time"),
		SessionTimeout:             g.duration("session-timeout"),
		SessionsGuardCheckInterval: g.duration("sessions-guard-check-interval"),
		GRPCReflection:             g.bool("grpc-reflection"),
		ConsistencyCheck:           g.bool("consistency-check"),
		MaxActiveDatabases:         g.int("max-active-databases"),
	}
	minutes := g.int("token-expiry-time")
	c.TokenExpiry = time.Duration(minutes) * time.Minute
	if minutes > int(time.Duration(1<<62)/time.Minute) {
		g.fail("token-expiry-time", fmt.Errorf("%d minutes is too long", minutes))
	}
	c.AdminPassword = g.str("admin-password") // Validate checks it decodes
	if err := errors.Join(g.errs...); err != nil {
		return Config{}, err
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// unknownKeys lists config-file keys that are not flags. immudb's own
// config files carry keys we do not implement (pgsql-server, network, …);
// they are ignored, and logged so typos do not go unnoticed.
func unknownKeys(v *viper.Viper) []string {
	known := map[string]bool{}
	for _, d := range flagDefs {
		known[strings.ToLower(d.name)] = true
	}
	var out []string
	for _, k := range v.AllKeys() {
		if !known[k] {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

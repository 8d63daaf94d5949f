package immudb

import (
	"encoding/json"
	"fmt"
	"io"

	toml "github.com/pelletier/go-toml/v2"
)

// asMap renders the effective configuration with the flag names as keys,
// in a form that can be read back as immudb.toml. The admin password is
// left out: it is a secret and only matters at first start.
func (c *Config) asMap() map[string]any {
	return map[string]any{
		"dir":                           c.Dir,
		"address":                       c.Address,
		"port":                          c.Port,
		"pidfile":                       c.Pidfile,
		"logfile":                       c.Logfile,
		"logformat":                     c.LogFormat,
		"mtls":                          c.MTLS,
		"auth":                          c.Auth,
		"max-recv-msg-size":             c.MaxRecvMsgSize,
		"no-histograms":                 c.NoHistograms,
		"detached":                      c.Detached,
		"certificate":                   c.Certificate,
		"pkey":                          c.Pkey,
		"clientcas":                     c.ClientCAs,
		"devmode":                       c.DevMode,
		"force-admin-password":          c.ForceAdminPassword,
		"maintenance":                   c.Maintenance,
		"signingKey":                    c.SigningKey,
		"synced":                        c.Synced,
		"token-expiry-time":             int(c.TokenExpiry.Minutes()),
		"metrics-server":                c.MetricsServer,
		"metrics-server-port":           c.MetricsServerPort,
		"pprof":                         c.Pprof,
		"web-server":                    c.WebServer,
		"web-server-port":               c.WebServerPort,
		"swaggerui":                     c.SwaggerUI,
		"max-sessions":                  c.MaxSessions,
		"max-session-inactivity-time":   c.MaxSessionInactivityTime.String(),
		"max-session-age-time":          c.MaxSessionAgeTime.String(),
		"session-timeout":               c.SessionTimeout.String(),
		"sessions-guard-check-interval": c.SessionsGuardCheckInterval.String(),
		"grpc-reflection":               c.GRPCReflection,
		"consistency-check":             c.ConsistencyCheck,
		"max-active-databases":          c.MaxActiveDatabases,
	}
}

// printConfig writes the effective configuration as "toml" or "json".
func printConfig(w io.Writer, c *Config, format string) error {
	m := c.asMap()
	switch format {
	case "toml":
		b, err := toml.Marshal(m)
		if err != nil {
			return fmt.Errorf("encoding config: %w", err)
		}
		src := c.ConfigFile
		if src == "" {
			src = "none"
		}
		_, err = fmt.Fprintf(w, "# effective configuration (config file: %s; admin-password not shown)\n%s", src, b)
		return err
	case "json":
		b, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			return fmt.Errorf("encoding config: %w", err)
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	return fmt.Errorf("%w: print-config format %q: use toml or json", ErrInvalidConfig, format)
}

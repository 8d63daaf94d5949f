package immuclient

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

// Defaults of audit-mode, as in immudb's immuclient.
const (
	// DefaultAuditInterval is immudb's cycle when its audit-agent-interval
	// environment variable is not set.
	DefaultAuditInterval       = time.Minute
	DefaultAuditMonitoringHost = "0.0.0.0"
	DefaultAuditMonitoringPort = 9477
)

// auditConfig is the resolved configuration of one audit-mode run.
type auditConfig struct {
	Username, Password string
	Databases          []string // name prefixes; empty: every database
	Interval           time.Duration
	Runs               int // 0: until SIGINT/SIGTERM
	RootsDir           string
	Signature          string // "validate" or "ignore"
	MonitoringAddr     string // "" when the monitoring server is off

	NotificationURL, NotificationUsername, NotificationPassword string
}

func (a *app) auditCommand(v *viper.Viper) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit-mode [install|uninstall|start|stop|status]",
		Short: "Periodically verify that the server's history only grows (runs in the foreground, or as a service)",
		Long: `audit-mode logs in with --audit-username/--audit-password and, every
--audit-interval, checks every database the user can see (or those whose
name starts with one of --audit-databases): it fetches the server's current
state and proves it extends the last state it trusted for that database
(dual proof with the linear-advance proof). Trusted states are kept in
--roots-filepath as .state-<server uuid>, and move forward only after a
proof holds: a failed audit never overwrites them.

With --audit-signature validate (the default) a signed state is checked
with --server-signing-pub-key, or with the key the server sends when no key
is configured (weaker: it only detects accidental damage); with a key
configured an unsigned state fails the audit. --audit-signature ignore skips
signatures.

Results are logged (one line per database and run) and exported as
Prometheus metrics on http://<audit-monitoring-host>:<audit-monitoring-port>/metrics
(also /initz, /readyz, /livez and /version); port 0 turns that server off.
Metric values: 1 ok, 0 tampered (failed), -1 not checked, -2 error.
A login, database listing or database check the server does not answer
within a minute is an error of that round.

With --audit-notification-url every check made against a trusted state
(and every failed one) is POSTed there as JSON, in immudb's layout:
username, password (the --audit-notification-* credentials), db, run_at,
tampered, previous_state and current_state ({tx, hash, signature:
{signature, public_key}}, base64). A notification that fails is logged.

It stops on SIGINT or SIGTERM, or after --audit-runs rounds; with
--audit-runs the exit status is 1 when any check failed or errored.

install|uninstall|start|stop|status manage it as a systemd service
(--dry-run prints the unit and the commands instead).

Environment: IMMUCLIENT_AUDIT_USERNAME, IMMUCLIENT_AUDIT_PASSWORD (and
IMMUCLIENT_<FLAG> for every flag); immudb's audit-agent-interval variable
is honoured when --audit-interval is not given.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				return a.auditService(cmd, v, args[0])
			}
			cfg, err := auditConfigFrom(v, cmd)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return a.runAudit(ctx, cfg)
		},
	}
	f := cmd.Flags()
	f.String("audit-username", "", "immudb username used to login during audit")
	f.String("audit-password", "", "immudb password used to login during audit; can be plain-text or base64 encoded (must be prefixed with 'enc:' if it is encoded)")
	f.String("audit-databases", "", "optional comma-separated list of databases (names) to be audited; full names or name prefixes")
	f.Duration("audit-interval", DefaultAuditInterval, "time between two audit rounds (a Go duration: 30s, 5m, 1h)")
	f.Int("audit-runs", 0, "stop after this many audit rounds (0: run until SIGINT/SIGTERM)")
	f.String("audit-signature", "validate", "validate or ignore the signature of the server's states")
	f.String("roots-filepath", os.TempDir(), "directory of the trusted states (.state-<server uuid>), written after every successful audit")
	f.String("audit-monitoring-host", DefaultAuditMonitoringHost, "host of the monitoring HTTP server (metrics, health and version)")
	f.Int("audit-monitoring-port", DefaultAuditMonitoringPort, "port of the monitoring HTTP server (0: no monitoring server)")
	f.String("prometheus-host", "", "old name of --audit-monitoring-host")
	f.String("prometheus-port", "", "old name of --audit-monitoring-port")
	f.String("audit-notification-url", "", "if set, auditor will send a POST request at this URL with audit result details")
	f.String("audit-notification-username", "", "username sent with each notification to --audit-notification-url")
	f.String("audit-notification-password", "", "password sent with each notification to --audit-notification-url")
	_ = f.MarkHidden("prometheus-host")
	_ = f.MarkHidden("prometheus-port")
	_ = v.BindPFlags(f)
	// Service flags are not settings of the auditor: not bound to the config.
	f.Bool("dry-run", false, "with install|uninstall|start|stop|status: print the unit and the commands, change nothing")
	f.String("service-config", AuditServiceConfigFile, "with install|uninstall|start|stop|status: the config file the service reads (written by install unless it exists)")
	return cmd
}

// auditConfigFrom resolves and checks the audit-mode settings.
func auditConfigFrom(v *viper.Viper, cmd *cobra.Command) (auditConfig, error) {
	var c auditConfig
	if c.NotificationURL = v.GetString("audit-notification-url"); c.NotificationURL != "" {
		u, err := url.Parse(c.NotificationURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("%w: --audit-notification-url %q is not an http(s) URL", ErrBadConfig, c.NotificationURL)
		}
		c.NotificationUsername = v.GetString("audit-notification-username")
		c.NotificationPassword = v.GetString("audit-notification-password")
	}
	c.Username = v.GetString("audit-username")
	if c.Username == "" {
		return c, fmt.Errorf("%w: audit-mode needs --audit-username and --audit-password (or IMMUCLIENT_AUDIT_USERNAME and IMMUCLIENT_AUDIT_PASSWORD)", ErrBadConfig)
	}
	pw, err := decodePassword(v.GetString("audit-password"))
	if err != nil {
		return c, err
	}
	c.Password = pw
	for _, p := range strings.Split(v.GetString("audit-databases"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.Databases = append(c.Databases, p)
		}
	}

	c.Interval = v.GetDuration("audit-interval")
	if env := os.Getenv("audit-agent-interval"); env != "" && !flagChanged(cmd.Flags(), "audit-interval") && os.Getenv("IMMUCLIENT_AUDIT_INTERVAL") == "" {
		d, err := time.ParseDuration(env)
		if err != nil {
			return c, fmt.Errorf("%w: audit-agent-interval %q: %v", ErrBadConfig, env, err)
		}
		c.Interval = d
	}
	if c.Interval <= 0 {
		return c, fmt.Errorf("%w: --audit-interval must be positive, not %s", ErrBadConfig, c.Interval)
	}
	if c.Runs = v.GetInt("audit-runs"); c.Runs < 0 {
		return c, fmt.Errorf("%w: --audit-runs must be 0 or more, not %d", ErrBadConfig, c.Runs)
	}
	switch c.Signature = strings.ToLower(v.GetString("audit-signature")); c.Signature {
	case "validate", "ignore":
	default:
		return c, fmt.Errorf("%w: --audit-signature must be validate or ignore, not %q", ErrBadConfig, c.Signature)
	}
	if c.RootsDir = v.GetString("roots-filepath"); c.RootsDir == "" {
		return c, fmt.Errorf("%w: --roots-filepath is empty", ErrBadConfig)
	}

	host := v.GetString("audit-monitoring-host")
	if h := v.GetString("prometheus-host"); h != "" {
		host = h
	}
	port := v.GetInt("audit-monitoring-port")
	if p := v.GetString("prometheus-port"); p != "" {
		// Atoi, not Sscanf: "12abc" must not become port 12.
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return c, fmt.Errorf("%w: --prometheus-port %q is not a number", ErrBadConfig, p)
		}
		port = n
	}
	if port < 0 || port > 65535 {
		return c, fmt.Errorf("%w: monitoring port %d out of range", ErrBadConfig, port)
	}
	if port > 0 {
		c.MonitoringAddr = joinHostPort(host, port)
	}
	return c, nil
}

func joinHostPort(host string, port int) string {
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		return fmt.Sprintf("[%s]:%d", host, port)
	}
	return fmt.Sprintf("%s:%d", host, port)
}

// decodePassword accepts immudb's "enc:<base64>" form as well as plain text.
func decodePassword(p string) (string, error) {
	rest, ok := strings.CutPrefix(p, "enc:")
	if !ok {
		return p, nil
	}
	b, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return "", fmt.Errorf("%w: --audit-password starts with enc: but is not base64: %v", ErrBadConfig, err)
	}
	return string(b), nil
}

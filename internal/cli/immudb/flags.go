package immudb

import (
	"time"

	"github.com/spf13/pflag"
)

type flagKind int

const (
	kindString flagKind = iota
	kindInt
	kindBool
	kindDuration
)

// flagDef is one flag, config key and environment variable.
type flagDef struct {
	name   string
	short  string
	kind   flagKind
	def    any
	usage  string
	hidden bool
}

// Defaults shared with Config.
const (
	DefaultDir               = "./data"
	DefaultAddress           = "0.0.0.0"
	DefaultPort              = 3322
	DefaultMaxRecvMsgSize    = 32 << 20 // 33554432
	DefaultTokenExpiryMin    = 1440
	DefaultMetricsPort       = 9497
	DefaultWebServerPort     = 8080
	DefaultMaxSessions       = 100
	DefaultMaxActiveDBs      = 100
	DefaultSessionTimeout    = 2 * time.Minute
	DefaultMaxInactivityTime = 3 * time.Minute
	DefaultGuardInterval     = time.Minute
	DefaultConfigName        = "immudb.toml"
	envPrefix                = "IMMUDB"
)

// flagDefs lists every flag with immudb's name, shorthand and default.
var flagDefs = []flagDef{
	{name: "dir", kind: kindString, def: DefaultDir, usage: "data folder"},
	{name: "port", short: "p", kind: kindInt, def: DefaultPort, usage: "port number"},
	{name: "address", short: "a", kind: kindString, def: DefaultAddress, usage: "bind address"},
	{name: "config", kind: kindString, def: "", usage: "config file (default path are configs or $HOME. Default filename is immudb.toml)"},
	{name: "pidfile", kind: kindString, def: "", usage: "pid path with filename e.g. /var/run/immudb.pid"},
	{name: "logfile", kind: kindString, def: "", usage: "log path with filename e.g. /tmp/immudb/immudb.log (default: standard error)"},
	{name: "logformat", kind: kindString, def: "text", usage: "log format e.g. text/json"},
	{name: "mtls", short: "m", kind: kindBool, def: false, usage: "enable mutual tls"},
	{name: "auth", short: "s", kind: kindBool, def: true, usage: "enable auth"},
	{name: "max-recv-msg-size", kind: kindInt, def: DefaultMaxRecvMsgSize, usage: "max message size in bytes the server can receive"},
	{name: "no-histograms", kind: kindBool, def: false, usage: "disable collection of histogram metrics like query durations"},
	{name: "detached", short: "d", kind: kindBool, def: false, usage: "run immudb in background"},
	{name: "certificate", kind: kindString, def: "", usage: "server certificate file path"},
	{name: "pkey", kind: kindString, def: "", usage: "server private key path"},
	{name: "clientcas", kind: kindString, def: "", usage: "clients certificates list. Aka certificate authority"},
	{name: "devmode", kind: kindBool, def: false, usage: "enable dev mode: accept remote connections without auth"},
	{name: "admin-password", kind: kindString, def: "immudb", usage: "admin password (default is 'immudb') as plain-text or base64 encoded (must be prefixed with 'enc:' if it is encoded)"},
	{name: "force-admin-password", kind: kindBool, def: false, usage: "if true, reset the admin password to the one passed through admin-password option upon startup"},
	{name: "maintenance", kind: kindBool, def: false, usage: "override the authentication flag"},
	{name: "signingKey", kind: kindString, def: "", usage: "signature private key path. If a valid one is provided, it enables the cryptographic signature of the root. e.g. \"./../test/signer/ec3.key\""},
	{name: "synced", kind: kindBool, def: true, usage: "synced mode prevents data lost under unexpected crashes but affects performance"},
	{name: "token-expiry-time", kind: kindInt, def: DefaultTokenExpiryMin, usage: "client authentication token expiration time. Minutes"},
	{name: "metrics-server", kind: kindBool, def: true, usage: "enable or disable Prometheus endpoint"},
	{name: "metrics-server-port", kind: kindInt, def: DefaultMetricsPort, usage: "Prometheus endpoint port"},
	{name: "pprof", kind: kindBool, def: false, usage: "add pprof profiling endpoint on the metrics server"},
	{name: "web-server", kind: kindBool, def: true, usage: "enable or disable web/console server"},
	{name: "web-server-port", kind: kindInt, def: DefaultWebServerPort, usage: "web/console server port"},
	{name: "swaggerui", kind: kindBool, def: true, usage: "Swagger UI enabled"},
	{name: "max-sessions", kind: kindInt, def: DefaultMaxSessions, usage: "maximum number of simultaneously opened sessions"},
	{name: "max-session-inactivity-time", kind: kindDuration, def: DefaultMaxInactivityTime, usage: "max session inactivity time is a duration after which an active session is declared inactive by the server. A session is kept active if server is still receiving requests from client (keep-alive or other methods)"},
	{name: "max-session-age-time", kind: kindDuration, def: time.Duration(0), usage: "the current default value is infinity. max session age time is a duration after which session will be forcibly closed"},
	{name: "session-timeout", kind: kindDuration, def: DefaultSessionTimeout, usage: "session timeout is a duration after which an inactive session is forcibly closed by the server"},
	{name: "sessions-guard-check-interval", kind: kindDuration, def: DefaultGuardInterval, usage: "sessions guard check interval", hidden: true},
	{name: "grpc-reflection", kind: kindBool, def: true, usage: "GRPC reflection server enabled"},
	{name: "consistency-check", kind: kindBool, def: true, usage: "enable consistency check monitor routine. To disable: --consistency-check=false"},
	{name: "max-active-databases", kind: kindInt, def: DefaultMaxActiveDBs, usage: "the maximum number of databases that can be active simultaneously"},
}

// addFlags registers flagDefs on fs.
func addFlags(fs *pflag.FlagSet) {
	for _, d := range flagDefs {
		switch d.kind {
		case kindString:
			fs.StringP(d.name, d.short, d.def.(string), d.usage)
		case kindInt:
			fs.IntP(d.name, d.short, d.def.(int), d.usage)
		case kindBool:
			fs.BoolP(d.name, d.short, d.def.(bool), d.usage)
		case kindDuration:
			fs.DurationP(d.name, d.short, d.def.(time.Duration), d.usage)
		}
		if d.hidden {
			_ = fs.MarkHidden(d.name)
		}
	}
}

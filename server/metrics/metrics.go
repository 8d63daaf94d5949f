package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"google.golang.org/grpc"
)

// namespace prefixes immudb's own families; tools match on the full name.
const namespace = "immudb"

// Options configure New. The zero value is usable: histograms on, no
// per-database numbers, uptime counted from New.
type Options struct {
	// NoHistograms turns off grpc_server_handling_seconds (--no-histograms);
	// the grpc_server_* counters stay.
	NoHistograms bool
	// Stats supplies per-database numbers at scrape time; nil means none.
	Stats DBStatsSource
	// Start is the moment uptime counts from; zero means the call to New.
	Start time.Time
}

// Metrics is the set of metrics of one server, on its own registry.
type Metrics struct {
	reg      *prometheus.Registry
	rpcs     *prometheus.CounterVec
	lastSeen *prometheus.GaugeVec
	grpc     *grpcMetrics
	clients  sync.Map // ip -> *clientSeries
}

// New builds the metric families on a fresh registry.
func New(opts Options) *Metrics {
	start := opts.Start
	if start.IsZero() {
		start = time.Now()
	}
	m := &Metrics{reg: prometheus.NewRegistry()}

	m.rpcs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace,
		Name:      "number_of_rpcs_per_client",
		Help:      "Number of handled RPCs per client.",
	}, []string{"ip"})
	m.lastSeen = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "clients_last_message_at_unix_seconds",
		Help:      "Unix time of the most recent RPC of each client.",
	}, []string{"ip"})
	// immudb exposes uptime as a counter; immuadmin reads it as one.
	uptime := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Namespace: namespace,
		Name:      "uptime_hours",
		Help:      "Server uptime in hours.",
	}, func() float64 { return time.Since(start).Hours() })

	m.grpc = newGRPCMetrics(!opts.NoHistograms)

	m.reg.MustRegister(
		m.rpcs, m.lastSeen, uptime,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.reg.MustRegister(m.grpc.collectors()...)
	if opts.Stats != nil {
		m.reg.MustRegister(newDBCollector(opts.Stats))
	}
	return m
}

// Registry is the server's registry, for tests and for extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// InitializeMethods pre-creates the grpc_server_* series of every method
// registered on s with zero values, so dashboards see all methods from the
// first scrape. Call it after the services are registered; it is optional.
func (m *Metrics) InitializeMethods(s *grpc.Server) { m.grpc.initialize(s) }

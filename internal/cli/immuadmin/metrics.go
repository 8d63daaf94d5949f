package immuadmin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// ErrMetrics reports a metrics endpoint that cannot be read or parsed.
var ErrMetrics = errors.New("metrics unavailable")

// metricsTimeout bounds one scrape.
const metricsTimeout = 3 * time.Second

// maxMetricsBody bounds what a scrape reads, so a wrong endpoint cannot
// exhaust memory.
const maxMetricsBody = 16 << 20

// The immudb metric families immuadmin reads (API.md §1).
const (
	famRPCsPerClient = "immudb_number_of_rpcs_per_client"
	famLastMessageAt = "immudb_clients_last_message_at_unix_seconds"
	famUptimeHours   = "immudb_uptime_hours"
	famDBSize        = "immudb_db_size_bytes"
	famDBEntries     = "immudb_number_of_stored_entries"
	famHandling      = "grpc_server_handling_seconds"
	famMemSys        = "go_memstats_sys_bytes"
	famHeapInUse     = "go_memstats_heap_inuse_bytes"
)

// Snapshot is what one scrape says about the server.
type Snapshot struct {
	Uptime    time.Duration
	Clients   []ClientStats // sorted by address
	DBs       []DBStats     // sorted by name
	Methods   []MethodStats // sorted by method; only methods that were called
	MemSys    uint64        // bytes obtained from the OS (0 when absent)
	HeapInUse uint64
	// Histograms reports whether handling times were exported
	// (the server may run with --no-histograms).
	Histograms bool
}

// ClientStats are the RPCs of one client address.
type ClientStats struct {
	Address       string
	RPCs          uint64
	LastMessageAt time.Time // zero when unknown
}

// DBStats are the size and entries of one database.
type DBStats struct {
	Name      string `json:"name"`
	SizeBytes uint64 `json:"sizeBytes"`
	Entries   uint64 `json:"entries"`
}

// MethodStats summarise the handling time of one RPC method.
type MethodStats struct {
	Method  string
	Calls   uint64
	Average time.Duration
}

// metricsURL is the endpoint of the server's metrics for address.
func metricsURL(address string, port int) string {
	if strings.HasPrefix(address, "http://") || strings.HasPrefix(address, "https://") {
		return address
	}
	return "http://" + net.JoinHostPort(address, strconv.Itoa(port)) + "/metrics"
}

// fetchMetrics reads the raw Prometheus text of url.
func fetchMetrics(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, metricsTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMetrics, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v (is the server's metrics endpoint enabled?)", ErrMetrics, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s answered %s", ErrMetrics, url, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxMetricsBody))
	if err != nil {
		return nil, fmt.Errorf("%w: reading %s: %v", ErrMetrics, url, err)
	}
	return b, nil
}

// ParseMetrics reads the Prometheus text format and keeps the immudb
// families. Families that are missing leave their fields empty.
func ParseMetrics(r io.Reader) (*Snapshot, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMetrics, err)
	}
	s := &Snapshot{}
	if f := fams[famUptimeHours]; f != nil && len(f.GetMetric()) > 0 {
		h := metricValue(f.GetMetric()[0])
		if h > 0 && h < 1e9 {
			s.Uptime = time.Duration(h * float64(time.Hour)).Truncate(time.Second)
		}
	}
	clients := map[string]*ClientStats{}
	client := func(ip string) *ClientStats {
		c := clients[ip]
		if c == nil {
			c = &ClientStats{Address: ip}
			clients[ip] = c
		}
		return c
	}
	for _, m := range fams[famRPCsPerClient].GetMetric() {
		client(label(m, "ip")).RPCs = toUint(metricValue(m))
	}
	for _, m := range fams[famLastMessageAt].GetMetric() {
		if v := metricValue(m); v > 0 && v < 1e12 {
			client(label(m, "ip")).LastMessageAt = time.Unix(int64(v), 0).UTC()
		}
	}
	for _, c := range clients {
		s.Clients = append(s.Clients, *c)
	}
	sort.Slice(s.Clients, func(i, j int) bool { return s.Clients[i].Address < s.Clients[j].Address })

	dbs := map[string]*DBStats{}
	db := func(name string) *DBStats {
		d := dbs[name]
		if d == nil {
			d = &DBStats{Name: name}
			dbs[name] = d
		}
		return d
	}
	for _, m := range fams[famDBSize].GetMetric() {
		db(label(m, "db")).SizeBytes = toUint(metricValue(m))
	}
	for _, m := range fams[famDBEntries].GetMetric() {
		db(label(m, "db")).Entries = toUint(metricValue(m))
	}
	for _, d := range dbs {
		s.DBs = append(s.DBs, *d)
	}
	sort.Slice(s.DBs, func(i, j int) bool { return s.DBs[i].Name < s.DBs[j].Name })

	if f := fams[famHandling]; f != nil {
		s.Histograms = true
		type acc struct {
			n   uint64
			sum float64
		}
		per := map[string]*acc{}
		for _, m := range f.GetMetric() {
			h := m.GetHistogram()
			if h == nil || h.GetSampleCount() == 0 {
				continue
			}
			name := label(m, "grpc_method")
			a := per[name]
			if a == nil {
				a = &acc{}
				per[name] = a
			}
			a.n += h.GetSampleCount()
			a.sum += h.GetSampleSum()
		}
		for name, a := range per {
			avg := time.Duration(a.sum / float64(a.n) * float64(time.Second))
			s.Methods = append(s.Methods, MethodStats{Method: name, Calls: a.n, Average: avg})
		}
		sort.Slice(s.Methods, func(i, j int) bool { return s.Methods[i].Method < s.Methods[j].Method })
	}
	if f := fams[famMemSys]; f != nil && len(f.GetMetric()) > 0 {
		s.MemSys = toUint(metricValue(f.GetMetric()[0]))
	}
	if f := fams[famHeapInUse]; f != nil && len(f.GetMetric()) > 0 {
		s.HeapInUse = toUint(metricValue(f.GetMetric()[0]))
	}
	return s, nil
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func metricValue(m *dto.Metric) float64 {
	switch {
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	case m.GetUntyped() != nil:
		return m.GetUntyped().GetValue()
	}
	return 0
}

// toUint converts a sample to a count, clamping nonsense (negative, NaN,
// huge) instead of overflowing.
func toUint(v float64) uint64 {
	if !(v > 0) {
		return 0
	}
	if v >= 1<<63 {
		return 1 << 63
	}
	return uint64(v)
}

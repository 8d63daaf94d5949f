package immuclient

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Values of the result gauges, as immudb's auditor exports them.
const (
	metricOK         = 1
	metricTampered   = 0
	metricNotChecked = -1
	metricError      = -2
)

// auditMetrics are the Prometheus metrics of one auditor, in a registry of
// its own. The *_per_server gauges carry immudb's names, labels and value
// conventions so existing dashboards keep working; the *_per_database ones
// say which database a result is about.
type auditMetrics struct {
	reg *prometheus.Registry

	resultPerServer *prometheus.GaugeVec
	prevPerServer   *prometheus.GaugeVec
	currPerServer   *prometheus.GaugeVec
	runAtPerServer  *prometheus.GaugeVec

	resultPerDB *prometheus.GaugeVec
	prevPerDB   *prometheus.GaugeVec
	currPerDB   *prometheus.GaugeVec
	stateInfo   *prometheus.GaugeVec
	runs        prometheus.Counter
	checks      *prometheus.CounterVec
}

func newAuditMetrics() *auditMetrics {
	serverLabels := []string{"server_id", "server_address"}
	dbLabels := []string{"server_id", "server_address", "database"}
	gauge := func(name, help string, labels []string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "immuclient", Name: name, Help: help}, labels)
	}
	m := &auditMetrics{
		reg:             prometheus.NewRegistry(),
		resultPerServer: gauge("audit_result_per_server", "Latest audit result (1 = ok, 0 = tampered, -1 = not checked, -2 = error).", serverLabels),
		prevPerServer:   gauge("audit_prev_root_per_server", "Previous root (trusted tx id) used for the latest audit.", serverLabels),
		currPerServer:   gauge("audit_curr_root_per_server", "Current root (server tx id) used for the latest audit.", serverLabels),
		runAtPerServer:  gauge("audit_run_at_per_server", "Timestamp in unix seconds at which the latest audit ran.", serverLabels),
		resultPerDB:     gauge("audit_result_per_database", "Latest audit result of the database (1 = ok, 0 = tampered, -1 = not checked, -2 = error).", dbLabels),
		prevPerDB:       gauge("audit_prev_tx_per_database", "Trusted tx id the latest audit of the database started from (-1 = none).", dbLabels),
		currPerDB:       gauge("audit_curr_tx_per_database", "Server tx id the latest audit of the database checked (-1 = none).", dbLabels),
		stateInfo: gauge("audit_state_info", "Always 1: the previous (trusted) and current (server) state of the latest audit of the database, as labels.",
			[]string{"server_id", "server_address", "database", "state", "tx", "hash"}),
		runs: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "immuclient", Name: "audit_runs_total", Help: "Audit rounds completed."}),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "immuclient", Name: "audit_checks_total", Help: "Database checks by result (ok, failed, error, skipped)."},
			[]string{"result"}),
	}
	m.reg.MustRegister(m.resultPerServer, m.prevPerServer, m.currPerServer, m.runAtPerServer,
		m.resultPerDB, m.prevPerDB, m.currPerDB, m.stateInfo, m.runs, m.checks)
	for _, r := range []auditResult{resultOK, resultFailed, resultError, resultSkipped} {
		m.checks.WithLabelValues(r.String())
	}
	return m
}

// recordCheck exports the outcome of one database check.
func (m *auditMetrics) recordCheck(serverID, addr string, o *dbOutcome) {
	m.checks.WithLabelValues(o.result.String()).Inc()
	m.resultPerDB.WithLabelValues(serverID, addr, o.db).Set(o.result.metric())
	m.prevPerDB.WithLabelValues(serverID, addr, o.db).Set(txMetric(o.prevTx, o.prevHash))
	m.currPerDB.WithLabelValues(serverID, addr, o.db).Set(txMetric(o.currTx, o.currHash))
	m.stateInfo.DeletePartialMatch(prometheus.Labels{"server_id": serverID, "server_address": addr, "database": o.db})
	if o.prevHash != nil {
		m.stateInfo.WithLabelValues(serverID, addr, o.db, "previous", strconv.FormatUint(o.prevTx, 10), hex.EncodeToString(o.prevHash)).Set(1)
	}
	if o.currHash != nil {
		m.stateInfo.WithLabelValues(serverID, addr, o.db, "current", strconv.FormatUint(o.currTx, 10), hex.EncodeToString(o.currHash)).Set(1)
	}
}

// recordRun exports a finished round: the per-server gauges take the worst
// result of the round and the tx ids of the database that gave it.
func (m *auditMetrics) recordRun(serverID, addr string, worst *dbOutcome, at time.Time) {
	// The run counter moves last: a scrape that sees it has seen the
	// round's gauges too.
	defer m.runs.Inc()
	m.runAtPerServer.WithLabelValues(serverID, addr).Set(float64(at.Unix()))
	if worst == nil {
		m.resultPerServer.WithLabelValues(serverID, addr).Set(metricNotChecked)
		m.prevPerServer.WithLabelValues(serverID, addr).Set(metricNotChecked)
		m.currPerServer.WithLabelValues(serverID, addr).Set(metricNotChecked)
		return
	}
	m.resultPerServer.WithLabelValues(serverID, addr).Set(worst.result.metric())
	if worst.result == resultError && worst.prevHash == nil && worst.currHash == nil {
		m.prevPerServer.WithLabelValues(serverID, addr).Set(metricError)
		m.currPerServer.WithLabelValues(serverID, addr).Set(metricError)
		return
	}
	m.prevPerServer.WithLabelValues(serverID, addr).Set(txMetric(worst.prevTx, worst.prevHash))
	m.currPerServer.WithLabelValues(serverID, addr).Set(txMetric(worst.currTx, worst.currHash))
}

func txMetric(tx uint64, hash []byte) float64 {
	if hash == nil {
		return metricNotChecked
	}
	return float64(tx)
}

// monitoringServer serves /metrics (also at /), the health endpoints
// /initz, /readyz and /livez (the server's Health, as JSON {"immudb": …})
// and /version, as immudb's auditor does.
type monitoringServer struct {
	srv  *http.Server
	lis  net.Listener
	done chan struct{}
}

func startMonitoring(addr string, m *auditMetrics, health func(context.Context) error, version string) (*monitoringServer, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("audit monitoring server: %w", err)
	}
	mux := http.NewServeMux()
	metrics := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	mux.Handle("/metrics", metrics)
	mux.Handle("/{$}", metrics)
	healthz := func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		code, msg := http.StatusOK, "OK"
		if err := health(ctx); err != nil {
			code, msg = http.StatusServiceUnavailable, errorText(err)
		}
		writeJSON(w, code, map[string]string{"immudb": msg})
	}
	for _, p := range []string{"/initz", "/readyz", "/livez"} {
		mux.HandleFunc(p, healthz)
	}
	mux.HandleFunc("/version", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"component": "immuclient", "version": version})
	})
	s := &monitoringServer{
		srv:  &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		lis:  lis,
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(lis)
	}()
	return s, nil
}

// Addr is the address the server listens on.
func (s *monitoringServer) Addr() string { return s.lis.Addr().String() }

// close stops the server and waits for its goroutine.
func (s *monitoringServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		_ = s.srv.Close()
	}
	<-s.done
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

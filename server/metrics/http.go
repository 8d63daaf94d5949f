package metrics

import (
	"encoding/json"
	"expvar"
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// VersionInfo is the JSON body of /version, shaped as immudb's.
type VersionInfo struct {
	Component string `json:"component"`
	Version   string `json:"version"`
	BuildTime string `json:"buildtime"`
	BuiltBy   string `json:"builtby,omitempty"`
	Static    bool   `json:"static"`
}

// HandlerOptions configure Handler.
type HandlerOptions struct {
	// Ready reports whether the server accepts traffic; /readyz and /initz
	// answer 503 until it returns true. Nil means always ready.
	Ready func() bool
	// Pprof mounts net/http/pprof under /debug/pprof/ (--pprof).
	Pprof bool
	// Version is served at /version; nil leaves the path unmounted.
	Version *VersionInfo
}

// Handler serves the metrics endpoint set of API.md §1. Every response
// allows any origin, as immudb's does, so browser dashboards can read it.
func (m *Metrics) Handler(opts HandlerOptions) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.InstrumentMetricHandler(m.reg,
		promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})))
	mux.Handle("/debug/vars", expvar.Handler())
	mux.HandleFunc("/livez", func(w http.ResponseWriter, _ *http.Request) { healthy(w, true) })
	ready := func(w http.ResponseWriter, _ *http.Request) {
		healthy(w, opts.Ready == nil || opts.Ready())
	}
	mux.HandleFunc("/readyz", ready)
	mux.HandleFunc("/initz", ready)
	if opts.Version != nil {
		v := *opts.Version
		mux.HandleFunc("/version", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(v)
		})
	}
	if opts.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return cors(mux)
}

// healthy writes the health answer: 200 "ok" or 503 "not ready".
func healthy(w http.ResponseWriter, ok bool) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready\n"))
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

// cors answers preflight requests and marks every response readable from
// any origin. The endpoints are read-only, so this exposes nothing new.
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET")
			h.Set("Access-Control-Allow-Headers", "Accept, Content-Type, Content-Length, Accept-Encoding")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

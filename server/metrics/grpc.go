package metrics

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The grpc_server_* families with the label names of go-grpc-prometheus,
// which immudb uses and `immuadmin stats` reads (grpc_method).
var (
	grpcLabels        = []string{"grpc_type", "grpc_service", "grpc_method"}
	grpcHandledLabels = []string{"grpc_type", "grpc_service", "grpc_method", "grpc_code"}
)

// Values of the grpc_type label.
const (
	typeUnary        = "unary"
	typeClientStream = "client_stream"
	typeServerStream = "server_stream"
	typeBidiStream   = "bidi_stream"
)

// numCodes is one past the largest gRPC status code (Unauthenticated).
const numCodes = int(codes.Unauthenticated) + 1

// grpcMetrics holds the vectors and, per method, the resolved series, so
// a call costs one map lookup instead of hashing label values each time.
type grpcMetrics struct {
	started, handled, received, sent *prometheus.CounterVec
	seconds                          *prometheus.HistogramVec // nil with NoHistograms
	methods                          sync.Map                 // full method name -> *methodSeries
}

// methodSeries are the series of one method. handled is per code and
// created on first use, so unseen codes do not show up as zero series.
type methodSeries struct {
	typ, service, method    string
	started, received, sent prometheus.Counter
	seconds                 prometheus.Observer
	handled                 [numCodes]atomic.Pointer[prometheus.Counter]
	parent                  *grpcMetrics
}

func newGRPCMetrics(histograms bool) *grpcMetrics {
	g := &grpcMetrics{
		started: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grpc_server_started_total",
			Help: "Total number of RPCs started on the server.",
		}, grpcLabels),
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grpc_server_handled_total",
			Help: "Total number of RPCs completed on the server, regardless of success or failure.",
		}, grpcHandledLabels),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grpc_server_msg_received_total",
			Help: "Total number of RPC stream messages received on the server.",
		}, grpcLabels),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grpc_server_msg_sent_total",
			Help: "Total number of gRPC stream messages sent by the server.",
		}, grpcLabels),
	}
	if histograms {
		g.seconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "grpc_server_handling_seconds",
			Help:    "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.",
			Buckets: prometheus.DefBuckets,
		}, grpcLabels)
	}
	return g
}

func (g *grpcMetrics) collectors() []prometheus.Collector {
	cs := []prometheus.Collector{g.started, g.handled, g.received, g.sent}
	if g.seconds != nil {
		cs = append(cs, g.seconds)
	}
	return cs
}

// series returns the cached series of fullMethod, creating them once.
func (g *grpcMetrics) series(fullMethod, typ string) *methodSeries {
	if s, ok := g.methods.Load(fullMethod); ok {
		return s.(*methodSeries)
	}
	service, method := splitMethod(fullMethod)
	s := &methodSeries{
		typ: typ, service: service, method: method, parent: g,
		started:  g.started.WithLabelValues(typ, service, method),
		received: g.received.WithLabelValues(typ, service, method),
		sent:     g.sent.WithLabelValues(typ, service, method),
	}
	if g.seconds != nil {
		s.seconds = g.seconds.WithLabelValues(typ, service, method)
	}
	got, _ := g.methods.LoadOrStore(fullMethod, s)
	return got.(*methodSeries)
}

// done records the end of a call: its code and, with histograms, its time.
func (s *methodSeries) done(err error, start time.Time) {
	code := status.Code(err)
	idx := int(code)
	if idx < 0 || idx >= numCodes {
		idx = int(codes.Unknown)
		code = codes.Unknown
	}
	c := s.handled[idx].Load()
	if c == nil {
		n := s.parent.handled.WithLabelValues(s.typ, s.service, s.method, code.String())
		s.handled[idx].CompareAndSwap(nil, &n)
		c = s.handled[idx].Load()
	}
	(*c).Inc()
	if s.seconds != nil {
		s.seconds.Observe(time.Since(start).Seconds())
	}
}

// splitMethod turns "/pkg.Service/Method" into its two labels.
func splitMethod(full string) (service, method string) {
	full = strings.TrimPrefix(full, "/")
	if i := strings.LastIndexByte(full, '/'); i >= 0 {
		return full[:i], full[i+1:]
	}
	return "unknown", "unknown"
}

func streamType(clientStream, serverStream bool) string {
	switch {
	case clientStream && serverStream:
		return typeBidiStream
	case clientStream:
		return typeClientStream
	case serverStream:
		return typeServerStream
	}
	return typeUnary
}

// initialize pre-creates the series of every method registered on s.
func (g *grpcMetrics) initialize(s *grpc.Server) {
	for name, info := range s.GetServiceInfo() {
		for _, m := range info.Methods {
			g.series("/"+name+"/"+m.Name, streamType(m.IsClientStream, m.IsServerStream))
		}
	}
}

// countingStream counts the messages of one stream.
type countingStream struct {
	grpc.ServerStream
	s *methodSeries
}

func (c *countingStream) RecvMsg(m any) error {
	err := c.ServerStream.RecvMsg(m)
	if err == nil {
		c.s.received.Inc()
	}
	return err
}

func (c *countingStream) SendMsg(m any) error {
	err := c.ServerStream.SendMsg(m)
	if err == nil {
		c.s.sent.Inc()
	}
	return err
}

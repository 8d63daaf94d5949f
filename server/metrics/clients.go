package metrics

import (
	"context"
	"net"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// forwardedFor is the metadata key grpc-gateway fills with the HTTP
// client's address (appending its own view of the remote host last).
const forwardedFor = "x-forwarded-for"

// UnaryInterceptor counts the call for its client and times it. Chain it
// first, so calls rejected by later interceptors (auth) are counted too.
func (m *Metrics) UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		m.observeClient(ctx)
		return m.unary(ctx, req, info, handler)
	}
}

// StreamInterceptor is UnaryInterceptor for streaming calls: one count per
// stream, the histogram measuring the whole stream.
func (m *Metrics) StreamInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		m.observeClient(ss.Context())
		return m.stream(srv, ss, info, handler)
	}
}

// observeClient bumps the per-client counter and last-seen time.
func (m *Metrics) observeClient(ctx context.Context) {
	ip := clientIP(ctx)
	if ip == "" {
		return
	}
	m.rpcs.WithLabelValues(ip).Inc()
	m.lastSeen.WithLabelValues(ip).SetToCurrentTime()
}

// clientIP is the caller's IP without port. A call arriving from loopback
// (or an in-process pipe) on behalf of the REST gateway is attributed to
// the HTTP client the gateway saw, the last X-Forwarded-For entry, which the
// gateway itself appends; remote callers cannot use the header to pose as
// someone else.
func clientIP(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok || p == nil || p.Addr == nil {
		return ""
	}
	host := hostOf(p.Addr.String())
	ip := net.ParseIP(host)
	if ip == nil || ip.IsLoopback() {
		if fwd := lastForwarded(ctx); fwd != "" {
			return fwd
		}
	}
	return host
}

// hostOf strips the port from addr; addresses without one pass unchanged.
func hostOf(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// lastForwarded is the last address in x-forwarded-for, if it parses as an IP.
func lastForwarded(ctx context.Context) string {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok {
		return ""
	}
	vals := md.Get(forwardedFor)
	if len(vals) == 0 {
		return ""
	}
	list := vals[len(vals)-1]
	last := strings.TrimSpace(list[strings.LastIndexByte(list, ',')+1:])
	last = hostOf(last)
	if net.ParseIP(last) == nil {
		return ""
	}
	return last
}

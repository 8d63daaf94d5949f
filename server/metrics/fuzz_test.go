package metrics

import (
	"context"
	"net/netip"
	"testing"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// FuzzClientIP feeds arbitrary peer addresses and X-Forwarded-For values:
// the label must be empty, the peer's host, or a forwarded IP that only a
// loopback or non-IP peer may supply.
func FuzzClientIP(f *testing.F) {
	f.Add("127.0.0.1:5000", "10.0.0.1, 192.0.2.9")
	f.Add("[::1]:1", "[2001:db8::2]:80")
	f.Add("192.0.2.1:5000", "10.0.0.1")
	f.Add("pipe", ",,,")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, addr, fwd string) {
		ctx := peer.NewContext(context.Background(), &peer.Peer{Addr: strAddr(addr)})
		ctx = metadata.NewIncomingContext(ctx, metadata.MD{forwardedFor: []string{fwd}})
		got := clientIP(ctx)
		host := hostOf(addr)
		if got == host {
			return
		}
		if _, err := netip.ParseAddr(got); err != nil {
			t.Fatalf("clientIP(%q, %q) = %q: neither the peer nor an IP", addr, fwd, got)
		}
		if ip, err := netip.ParseAddr(host); err == nil && !ip.IsLoopback() {
			t.Fatalf("remote peer %q replaced by forwarded %q", addr, got)
		}
	})
}

package metrics

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

type strAddr string

func (a strAddr) Network() string { return "test" }
func (a strAddr) String() string  { return string(a) }

func TestClientIP(t *testing.T) {
	tcp := func(s string) net.Addr { a, _ := net.ResolveTCPAddr("tcp", s); return a }
	for _, c := range []struct {
		name string
		addr net.Addr
		fwd  []string
		want string
	}{
		{"no peer", nil, nil, ""},
		{"ipv4", tcp("192.0.2.1:5000"), nil, "192.0.2.1"},
		{"ipv6", tcp("[2001:db8::1]:5000"), nil, "2001:db8::1"},
		{"loopback", tcp("127.0.0.1:5000"), nil, "127.0.0.1"},
		{"loopback forwarded", tcp("127.0.0.1:5000"), []string{"10.0.0.1, 192.0.2.9"}, "192.0.2.9"},
		{"loopback6 forwarded with port", tcp("[::1]:5000"), []string{"[2001:db8::2]:80"}, "2001:db8::2"},
		{"loopback forwarded garbage", tcp("127.0.0.1:5000"), []string{"not-an-ip"}, "127.0.0.1"},
		{"remote cannot forward", tcp("192.0.2.1:5000"), []string{"10.0.0.1"}, "192.0.2.1"},
		// A dual-stack listener reports IPv4 peers as mapped IPv6 addresses.
		{"mapped ipv4", &net.TCPAddr{IP: net.ParseIP("::ffff:192.0.2.4"), Port: 1}, nil, "192.0.2.4"},
		{"mapped remote cannot forward", &net.TCPAddr{IP: net.ParseIP("::ffff:192.0.2.4"), Port: 1}, []string{"10.0.0.1"}, "192.0.2.4"},
		{"mapped loopback forwarded", &net.TCPAddr{IP: net.ParseIP("::ffff:127.0.0.1"), Port: 1}, []string{"192.0.2.5"}, "192.0.2.5"},
		{"pipe forwarded", strAddr("pipe"), []string{"192.0.2.3"}, "192.0.2.3"},
		{"pipe alone", strAddr("pipe"), nil, "pipe"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			if c.addr != nil {
				ctx = peer.NewContext(ctx, &peer.Peer{Addr: c.addr})
			}
			if c.fwd != nil {
				ctx = metadata.NewIncomingContext(ctx, metadata.MD{forwardedFor: c.fwd})
			}
			if got := clientIP(ctx); got != c.want {
				t.Errorf("clientIP = %q, want %q", got, c.want)
			}
		})
	}
}

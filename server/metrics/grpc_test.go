package metrics

import "testing"

func TestSplitMethod(t *testing.T) {
	for _, c := range []struct{ full, service, method string }{
		{"/immudb.schema.ImmuService/Get", "immudb.schema.ImmuService", "Get"},
		{"/a/b/c", "a/b", "c"},
		{"noslash", "unknown", "unknown"},
		{"", "unknown", "unknown"},
	} {
		s, m := splitMethod(c.full)
		if s != c.service || m != c.method {
			t.Errorf("splitMethod(%q) = %q, %q", c.full, s, m)
		}
	}
}

func TestStreamType(t *testing.T) {
	for _, c := range []struct {
		client, server bool
		want           string
	}{
		{false, false, "unary"},
		{true, false, "client_stream"},
		{false, true, "server_stream"},
		{true, true, "bidi_stream"},
	} {
		if got := streamType(c.client, c.server); got != c.want {
			t.Errorf("streamType(%v, %v) = %q, want %q", c.client, c.server, got, c.want)
		}
	}
}

package immuadmin

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fixedNow dates the sample's last message (1.7e9) 90 seconds ago.
var fixedNow = time.Unix(1_700_000_090, 0).UTC()

func loadSample(t testing.TB) []byte {
	b, err := os.ReadFile("testdata/metrics/sample.prom")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseMetrics(t *testing.T) {
	s, err := ParseMetrics(bytes.NewReader(loadSample(t)))
	if err != nil {
		t.Fatal(err)
	}
	if s.Uptime != 90*time.Minute {
		t.Errorf("uptime %v, want 1h30m", s.Uptime)
	}
	wantClients := []ClientStats{
		{Address: "10.0.0.2", RPCs: 7},
		{Address: "127.0.0.1", RPCs: 42, LastMessageAt: time.Unix(1_700_000_000, 0).UTC()},
	}
	if len(s.Clients) != len(wantClients) {
		t.Fatalf("clients %+v", s.Clients)
	}
	for i, c := range wantClients {
		if s.Clients[i] != c {
			t.Errorf("client %d: %+v, want %+v", i, s.Clients[i], c)
		}
	}
	wantDBs := []DBStats{{"defaultdb", 2048, 10}, {"mydb", 1 << 20, 40}}
	if len(s.DBs) != 2 || s.DBs[0] != wantDBs[0] || s.DBs[1] != wantDBs[1] {
		t.Errorf("dbs %+v, want %+v", s.DBs, wantDBs)
	}
	// Scan was never called, so it is left out.
	wantMethods := []MethodStats{{"Get", 4, 500 * time.Microsecond}, {"Set", 2, 1500 * time.Microsecond}}
	if len(s.Methods) != 2 || s.Methods[0] != wantMethods[0] || s.Methods[1] != wantMethods[1] {
		t.Errorf("methods %+v, want %+v", s.Methods, wantMethods)
	}
	if !s.Histograms || s.MemSys != 20<<20 || s.HeapInUse != 4<<20 {
		t.Errorf("histograms %t mem %d heap %d", s.Histograms, s.MemSys, s.HeapInUse)
	}
}

func TestParseMetricsErrors(t *testing.T) {
	for _, in := range []string{
		"immudb_uptime_hours{",
		"# TYPE x counter\nx abc\n",
		"# TYPE x histogram\n# TYPE x gauge\n",
	} {
		if _, err := ParseMetrics(strings.NewReader(in)); !errors.Is(err, ErrMetrics) {
			t.Errorf("%q: err %v, want ErrMetrics", in, err)
		}
	}
	// Families that are absent leave the snapshot empty, without error.
	s, err := ParseMetrics(strings.NewReader("other_metric 1\n"))
	if err != nil || s.Uptime != 0 || len(s.DBs) != 0 || s.Histograms {
		t.Errorf("unrelated metrics: %+v, %v", s, err)
	}
}

// golden compares got with testdata/golden/name (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := "testdata/golden/" + name
	if *update {
		if err := os.MkdirAll("testdata/golden", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestRenderStats(t *testing.T) {
	s, err := ParseMetrics(bytes.NewReader(loadSample(t)))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	RenderStats(&b, s, fixedNow)
	golden(t, "stats.txt", b.String())

	s.Histograms = false
	b.Reset()
	RenderStats(&b, s, fixedNow)
	if !strings.Contains(b.String(), "not available (server runs with --no-histograms)") {
		t.Errorf("no-histograms text missing:\n%s", b.String())
	}
}

func TestRenderDashboard(t *testing.T) {
	s, err := ParseMetrics(bytes.NewReader(loadSample(t)))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "dashboard.txt", RenderDashboard(s, "http://127.0.0.1:9497/metrics", fixedNow))
}

func TestBar(t *testing.T) {
	for _, tc := range []struct {
		v, most uint64
		cells   int
	}{{0, 10, 0}, {1, 0, 0}, {10, 10, barWidth}, {5, 10, barWidth / 2}, {1, 1000, 1}} {
		if got := len([]rune(bar(tc.v, tc.most))); got != tc.cells {
			t.Errorf("bar(%d,%d) = %d cells, want %d", tc.v, tc.most, got, tc.cells)
		}
	}
}

// TestLiveStatsStops checks that the live view draws a frame and returns
// once interrupted (here right after its first frame), so it cannot hang.
func TestLiveStatsStops(t *testing.T) {
	body := loadSample(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) }))
	defer srv.Close()
	stop := make(chan struct{})
	out := &interruptingWriter{stop: stop}
	a := &app{out: out, interrupt: stop}
	if err := a.liveStats(context.Background(), srv.URL+"/metrics"); err != nil {
		t.Fatal(err)
	}
	first := out.frames[0]
	if !strings.HasPrefix(first, ansiClear) || !strings.Contains(first, "Entries per database") {
		t.Errorf("first frame not drawn:\n%q", first)
	}
}

// interruptingWriter records writes and closes stop after the first one,
// as a user pressing Ctrl-C once the dashboard is up.
type interruptingWriter struct {
	stop   chan struct{}
	frames []string
}

func (w *interruptingWriter) Write(p []byte) (int, error) {
	w.frames = append(w.frames, string(p))
	if len(w.frames) == 1 {
		close(w.stop)
	}
	return len(p), nil
}

func TestMetricsURL(t *testing.T) {
	for _, tc := range []struct {
		addr string
		port int
		want string
	}{
		{"127.0.0.1", 9497, "http://127.0.0.1:9497/metrics"},
		{"::1", 9000, "http://[::1]:9000/metrics"},
		{"http://h:1/m", 9497, "http://h:1/m"},
	} {
		if got := metricsURL(tc.addr, tc.port); got != tc.want {
			t.Errorf("metricsURL(%q, %d) = %q, want %q", tc.addr, tc.port, got, tc.want)
		}
	}
}

func FuzzParseMetrics(f *testing.F) {
	f.Add(loadSample(f))
	f.Add([]byte("immudb_uptime_hours NaN\nimmudb_db_size_bytes{db=\"x\"} -5\n"))
	f.Add([]byte("immudb_clients_last_message_at_unix_seconds{ip=\"a\"} +Inf\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := ParseMetrics(bytes.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrMetrics) {
				t.Fatalf("error %v does not wrap ErrMetrics", err)
			}
			return
		}
		// Whatever parsed must render without panicking.
		var b strings.Builder
		RenderStats(&b, s, fixedNow)
		_ = RenderDashboard(s, "u", fixedNow)
		_ = snapshotJSON(s)
	})
}

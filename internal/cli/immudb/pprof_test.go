package immudb

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/attestdb/attestdb/server/metrics"
)

// --pprof reaches the metrics listener: /debug/pprof/ answers there only
// when the flag is set, and the rest of the endpoint set is unchanged.
func TestPprofFlag(t *testing.T) {
	for _, args := range [][]string{nil, {"--pprof"}, {"--pprof=false"}} {
		on := len(args) == 1 && args[0] == "--pprof"
		cmd := NewCommand(io.Discard, io.Discard, nil)
		if err := cmd.Flags().Parse(args); err != nil {
			t.Fatal(err)
		}
		v, err := newViper(cmd.Flags())
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := configFrom(v, "")
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Pprof != on {
			t.Fatalf("%v: Pprof = %v", args, cfg.Pprof)
		}
		cfg.Address, cfg.MetricsServerPort, cfg.WebServer = "127.0.0.1", 0, false
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		f, err := startFronts(context.Background(), &cfg, nil, metrics.New(metrics.Options{}))
		if err != nil {
			t.Fatal(err)
		}
		base := "http://" + f.metrics.Addr().String()
		code, body := httpGet(t, base+"/debug/pprof/")
		if on && (code != 200 || !strings.Contains(body, "goroutine")) {
			t.Errorf("%v: /debug/pprof/ = %d", args, code)
		}
		if !on && code != 404 {
			t.Errorf("%v: /debug/pprof/ = %d, want 404", args, code)
		}
		if code, _ := httpGet(t, base+"/metrics"); code != 200 {
			t.Errorf("%v: /metrics = %d", args, code)
		}
		f.stopMetrics(context.Background())
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

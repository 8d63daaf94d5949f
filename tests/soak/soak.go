// Package soak runs mixed load against the real immudb server for a fixed
// time and watches its resources (docs/RELIABILITY.md, "Soak"):
//
//   - soak_test.go (make soak): starts the built server on 127.0.0.1, runs
//     writers, verified readers, scanners and session churners for
//     -soak.duration, samples the server's RSS, open fds (/proc) and
//     goroutines (go_goroutines on /metrics) every -soak.sample, and fails
//     on any error or a clear leak (thresholds in Limits).
//   - soak.go: the sampling, the latency summary and the leak rules.
//
// Everything listens on loopback and lives in a temp dir. Not used by
// production code.
package soak

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sample is the server's resource use at one moment.
type Sample struct {
	At         time.Duration
	RSSMiB     float64
	Goroutines int
	FDs        int
}

// Take reads the RSS and fd count of pid from /proc and go_goroutines from
// the Prometheus endpoint at metricsAddr.
func Take(pid int, metricsAddr string, at time.Duration) (Sample, error) {
	s := Sample{At: at}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				return s, fmt.Errorf("soak: VmRSS %q: %w", v, err)
			}
			s.RSSMiB = kb / 1024
		}
	}
	fds, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(pid), "fd"))
	if err != nil {
		return s, err
	}
	s.FDs = len(fds)
	s.Goroutines, err = goroutines(metricsAddr)
	return s, err
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

func goroutines(addr string) (int, error) {
	resp, err := httpClient.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return parseGoroutines(resp.Body)
}

// parseGoroutines finds the go_goroutines gauge in a Prometheus text page.
func parseGoroutines(r io.Reader) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return int(f), err
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("soak: no go_goroutines in /metrics")
}

// Limits are the leak rules. Start and end are measured with the server
// idle (before the load starts, and after every client has closed its
// session and connection), so per-connection goroutines and fds must have
// gone away; the RSS is compared with the end of the warm-up, under the
// same load, because the engine's caches and memtables fill during the
// first minutes and then stay bounded.
type Limits struct {
	// Goroutines: idle end ≤ idle start + ExtraGoroutines.
	ExtraGoroutines int
	// FDs: idle end ≤ idle start + ExtraFDs (the key index adds table
	// files as data grows; each database holds a handful of log files).
	ExtraFDs int
	// RSS: end ≤ max(RSSFactor × warm, warm + RSSSlackMiB).
	RSSFactor   float64
	RSSSlackMiB float64
}

// DefaultLimits: wide enough that normal cache growth never trips them,
// narrow enough that a leak per request or per session does (10 minutes
// of soak open thousands of sessions and tens of thousands of calls).
var DefaultLimits = Limits{ExtraGoroutines: 20, ExtraFDs: 64, RSSFactor: 2, RSSSlackMiB: 256}

// Check returns one message per broken limit.
func (l Limits) Check(start, warm, end Sample) []string {
	var out []string
	if end.Goroutines > start.Goroutines+l.ExtraGoroutines {
		out = append(out, fmt.Sprintf("goroutines grew from %d to %d (limit +%d)", start.Goroutines, end.Goroutines, l.ExtraGoroutines))
	}
	if end.FDs > start.FDs+l.ExtraFDs {
		out = append(out, fmt.Sprintf("open fds grew from %d to %d (limit +%d)", start.FDs, end.FDs, l.ExtraFDs))
	}
	if limit := max(l.RSSFactor*warm.RSSMiB, warm.RSSMiB+l.RSSSlackMiB); end.RSSMiB > limit {
		out = append(out, fmt.Sprintf("RSS grew from %.0f MiB after warm-up to %.0f MiB (limit %.0f)", warm.RSSMiB, end.RSSMiB, limit))
	}
	return out
}

// Percentile returns the p-th percentile (0..100) of ds (sorted in place).
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(float64(len(ds)-1) * p / 100)
	return ds[i]
}

// Summary is the last line of a soak run.
type Summary struct {
	Duration               time.Duration
	Ops, Errors            int
	Start, Warm, End, Last Sample // Last: the last sample under load
	P50, P99               time.Duration
}

func (s Summary) String() string {
	return fmt.Sprintf("duration=%v ops=%d errors=%d rss_start=%.0f rss_end=%.0f goroutines_start=%d goroutines_end=%d fds_start=%d fds_end=%d p50=%v p99=%v",
		s.Duration.Round(time.Second), s.Ops, s.Errors, s.Start.RSSMiB, s.End.RSSMiB,
		s.Start.Goroutines, s.End.Goroutines, s.Start.FDs, s.End.FDs,
		s.P50.Round(time.Microsecond), s.P99.Round(time.Microsecond))
}

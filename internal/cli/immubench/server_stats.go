package immubench

import (
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// recorder collects the latencies (one slice per worker, so recording
// takes no lock) and counts operations and errors with atomics that the
// progress line reads while the run goes on.
type recorder struct {
	workers []workerLat
	ops     atomic.Int64
	errs    atomic.Int64

	mu     sync.Mutex // serialises error printing
	errOut io.Writer
}

type workerLat struct {
	rec     *recorder
	lats    []time.Duration
	entries uint64
}

type runSummary struct {
	ops, entries, errors int64
	opsPerSec            float64
	entriesPerSec        float64
	p50, p99             time.Duration
}

func newRecorder(workers int, errOut io.Writer) *recorder {
	r := &recorder{workers: make([]workerLat, workers), errOut: errOut}
	for i := range r.workers {
		r.workers[i].rec = r
	}
	return r
}

// worker returns worker w's private latency log.
func (r *recorder) worker(w int) *workerLat { return &r.workers[w] }

// add records one successful operation that touched entries entries.
func (l *workerLat) add(d time.Duration, entries int) {
	l.lats = append(l.lats, d)
	l.entries += uint64(entries)
	l.rec.ops.Add(1)
}

// fail counts an error and prints the first few of them.
func (r *recorder) fail(err error) {
	n := r.errs.Add(1)
	if n <= maxPrintedErrors {
		r.mu.Lock()
		fmt.Fprintf(r.errOut, "error: %v\n", err)
		if n == maxPrintedErrors {
			fmt.Fprintln(r.errOut, "error: further errors are only counted")
		}
		r.mu.Unlock()
	}
}

// counts reads the running totals.
func (r *recorder) counts() (ops, errs int64) { return r.ops.Load(), r.errs.Load() }

// summary merges the workers' logs; call it after every worker returned.
func (r *recorder) summary(elapsed time.Duration) runSummary {
	var all []time.Duration
	var s runSummary
	for i := range r.workers {
		all = append(all, r.workers[i].lats...)
		s.entries += int64(r.workers[i].entries)
	}
	slices.Sort(all)
	s.ops = int64(len(all))
	s.errors = r.errs.Load()
	s.p50, s.p99 = percentile(all, 0.50), percentile(all, 0.99)
	if sec := elapsed.Seconds(); sec > 0 {
		s.opsPerSec = float64(s.ops) / sec
		s.entriesPerSec = float64(s.entries) / sec
	}
	return s
}

// percentile reads the p-quantile of sorted latencies (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

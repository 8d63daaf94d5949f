package immubench

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// latencies is one engine worker's latency record. It is a histogram of
// fixed size (three significant digits from 1 ns to one hour) rather than a
// log of every operation: a get run of 10M operations logged 80 MB of
// durations, which the peak RSS reported next to the engine's figures
// then counted as the engine's.
type latencies struct{ h *hdrhistogram.Histogram }

func newLatencies() *latencies {
	return &latencies{h: hdrhistogram.New(1, int64(time.Hour), 3)}
}

// record adds one operation; a duration beyond the range counts as the
// range's maximum, so no operation is dropped from the count.
func (l *latencies) record(d time.Duration) {
	if l.h.RecordValue(int64(d)) != nil {
		_ = l.h.RecordValue(l.h.HighestTrackableValue())
	}
}

func (l *latencies) merge(o *latencies) { l.h.Merge(o.h) }

func (l *latencies) count() int64 { return l.h.TotalCount() }

// percentile is the p-quantile (0 < p ≤ 1), 0 if nothing was recorded.
func (l *latencies) percentile(p float64) time.Duration {
	if l.h.TotalCount() == 0 {
		return 0
	}
	return time.Duration(l.h.ValueAtQuantile(p * 100))
}

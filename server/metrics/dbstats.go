package metrics

import "github.com/prometheus/client_golang/prometheus"

// DBStats are the numbers of one open database at scrape time.
type DBStats struct {
	Name          string
	SizeBytes     uint64 // bytes on disk
	Entries       uint64 // key-value entries stored
	CommittedTxID uint64 // last committed (durable) tx id
	IndexedTxID   uint64 // last tx the index has caught up with
}

// DBStatsSource is what the server implements to feed the per-database
// families. DatabaseStats is called on every scrape, from the HTTP
// goroutine: it must be safe for concurrent use and must not block on
// writers (read counters, do not walk data).
type DBStatsSource interface {
	DatabaseStats() []DBStats
}

// dbCollector turns a DBStatsSource into const metrics at scrape time.
type dbCollector struct {
	src                             DBStatsSource
	size, entries, committed, index *prometheus.Desc
	lag                             *prometheus.Desc
}

func newDBCollector(src DBStatsSource) *dbCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, []string{"db"}, nil)
	}
	return &dbCollector{
		src:       src,
		size:      d("db_size_bytes", "Database size in bytes."),
		entries:   d("number_of_stored_entries", "Number of key-value entries currently stored by the database."),
		committed: d("last_committed_trx_id", "The id of the last committed transaction."),
		index:     d("last_indexed_trx_id", "The id of the last indexed transaction."),
		lag:       d("index_lag_txs", "Committed transactions the index has not caught up with yet."),
	}
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.size, c.entries, c.committed, c.index, c.lag} {
		ch <- d
	}
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	seen := make(map[string]bool)
	for _, s := range c.src.DatabaseStats() {
		// A duplicate name would make the whole scrape fail; keep the first.
		if seen[s.Name] {
			continue
		}
		seen[s.Name] = true
		var lag uint64
		if s.CommittedTxID > s.IndexedTxID {
			lag = s.CommittedTxID - s.IndexedTxID
		}
		emit(ch, c.size, s.SizeBytes, s.Name)
		emit(ch, c.entries, s.Entries, s.Name)
		emit(ch, c.committed, s.CommittedTxID, s.Name)
		emit(ch, c.index, s.IndexedTxID, s.Name)
		emit(ch, c.lag, lag, s.Name)
	}
}

// emit sends one gauge; a name Prometheus rejects (not UTF-8) is skipped
// rather than failing the scrape or panicking.
func emit(ch chan<- prometheus.Metric, d *prometheus.Desc, v uint64, db string) {
	m, err := prometheus.NewConstMetric(d, prometheus.GaugeValue, float64(v), db)
	if err != nil {
		return
	}
	ch <- m
}

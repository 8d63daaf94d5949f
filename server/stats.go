package server

import (
	"github.com/attestdb/attestdb/server/metrics"
)

// statsSource is implemented by the database layer adapter.
type statsSource interface {
	databaseStats() []metrics.DBStats
}

// DatabaseStats gives the per-database numbers of the metrics endpoint
// (metrics.DBStatsSource): every loaded database, systemdb included. It
// reads counters only. Entries counts the entries committed since the
// database was opened, as immudb's immudb_number_of_stored_entries does.
func (s *Server) DatabaseStats() []metrics.DBStats {
	if src, ok := s.dbs.(statsSource); ok {
		return src.databaseStats()
	}
	return nil
}

func (m *managerDatabases) databaseStats() []metrics.DBStats {
	infos := m.List()
	names := make([]string, 0, len(infos)+1)
	sizes := map[string]uint64{}
	names = append(names, "systemdb")
	for _, d := range infos {
		if d.Loaded {
			names = append(names, d.Name)
			sizes[d.Name] = d.DiskSize
		}
	}
	out := make([]metrics.DBStats, 0, len(names))
	for _, n := range names {
		db, err := m.Manager.Get(n)
		if err != nil {
			continue // unloaded meanwhile
		}
		st := db.Store()
		committed, _ := st.LastCommitted()
		out = append(out, metrics.DBStats{
			Name: n, SizeBytes: sizes[n], CommittedTxID: committed, IndexedTxID: st.IndexedUpTo(),
			Entries: st.EntriesSinceOpen(),
		})
	}
	return out
}

var _ metrics.DBStatsSource = (*Server)(nil)

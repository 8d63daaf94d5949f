package torture

import (
	"path"
	"strings"
)

// File kinds of a server directory, as the tamper sweep reports them.
const (
	KindLog        = "log"        // log segment bytes up to the last record
	KindLogTail    = "log-tail"   // preallocated zeros after the last record
	KindTxIndex    = "txindex"    // fixed-size tx index entries
	KindTree       = "aht"        // binary-linking tree nodes
	KindCheckpoint = "CHECKPOINT" // last synced tx of txindex and aht
	KindFormat     = "FORMAT"     // format magic, version, segment size
	KindPebbleSST  = "pebble-sst" // key index tables
	KindPebbleWAL  = "pebble-wal" // key index write-ahead log
	KindPebbleMan  = "pebble-manifest"
	KindPebbleOpts = "pebble-options"
	KindKeyFilter  = "key-filter" // the index's key filter file
	KindPebbleMisc = "pebble-other"
	KindSettings   = "settings" // <db>/settings.json
	KindIdentity   = "identity" // immudb.identifier (server UUID)
	KindOther      = "other"
)

// Kind classifies a file of a server directory by its slash path; for log
// segments, off and dataEnd split the written part from the zero tail.
func Kind(rel string, off, dataEnd int64) string {
	base := path.Base(rel)
	switch {
	case rel == "immudb.identifier":
		return KindIdentity
	case base == "settings.json":
		return KindSettings
	case strings.HasSuffix(rel, ".seg") && strings.Contains(rel, "/data/log/"):
		if off >= dataEnd {
			return KindLogTail
		}
		return KindLog
	case strings.Contains(rel, "/data/index/"):
		switch {
		case strings.HasSuffix(base, ".sst"):
			return KindPebbleSST
		case strings.HasSuffix(base, ".log"):
			return KindPebbleWAL
		case strings.HasPrefix(base, "MANIFEST-"):
			return KindPebbleMan
		case strings.HasPrefix(base, "OPTIONS-"):
			return KindPebbleOpts
		case strings.HasSuffix(base, ".filter"):
			return KindKeyFilter
		}
		return KindPebbleMisc
	case strings.HasSuffix(rel, "/data/txindex"):
		return KindTxIndex
	case strings.HasSuffix(rel, "/data/aht"):
		return KindTree
	case strings.HasSuffix(rel, "/data/CHECKPOINT"):
		return KindCheckpoint
	case strings.HasSuffix(rel, "/data/FORMAT"):
		return KindFormat
	}
	return KindOther
}

// EngineDir returns the database engine directory ("<db>/data") that holds
// rel, or "" for a server-level file.
func EngineDir(rel string) string {
	if i := strings.Index(rel, "/data/"); i > 0 && !strings.Contains(rel[:i], "/") {
		return rel[:i+len("/data")]
	}
	return ""
}

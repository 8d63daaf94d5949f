package immuadmin

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/attestdb/attestdb/api/schema"
)

// The database settings flags of `database create` and `database update`,
// named as immudb's immuadmin names them. Only flags given on the command
// line are sent: the Nullable* wrappers let the server keep its defaults
// (create) or the current values (update) for the rest.

type u32Setting struct {
	name, usage string
	set         func(s *schema.DatabaseNullableSettings, v uint32)
}

type boolSetting struct {
	name, usage string
	set         func(s *schema.DatabaseNullableSettings, v bool)
}

type strSetting struct {
	name, usage string
	set         func(s *schema.DatabaseNullableSettings, v string)
}

func repl(s *schema.DatabaseNullableSettings) *schema.ReplicationNullableSettings {
	if s.ReplicationSettings == nil {
		s.ReplicationSettings = &schema.ReplicationNullableSettings{}
	}
	return s.ReplicationSettings
}

func index(s *schema.DatabaseNullableSettings) *schema.IndexNullableSettings {
	if s.IndexSettings == nil {
		s.IndexSettings = &schema.IndexNullableSettings{}
	}
	return s.IndexSettings
}

func u32(v uint32) *schema.NullableUint32 { return &schema.NullableUint32{Value: v} }
func nb(v bool) *schema.NullableBool      { return &schema.NullableBool{Value: v} }
func ns(v string) *schema.NullableString  { return &schema.NullableString{Value: v} }

var u32Settings = []u32Setting{
	{"max-key-len", "max length of keys", func(s *schema.DatabaseNullableSettings, v uint32) { s.MaxKeyLen = u32(v) }},
	{"max-value-len", "max length of values", func(s *schema.DatabaseNullableSettings, v uint32) { s.MaxValueLen = u32(v) }},
	{"max-tx-entries", "max number of entries per transaction", func(s *schema.DatabaseNullableSettings, v uint32) { s.MaxTxEntries = u32(v) }},
	{"file-size", "file size of data files (bytes)", func(s *schema.DatabaseNullableSettings, v uint32) { s.FileSize = u32(v) }},
	{"max-commit-concurrency", "max number of concurrent commits", func(s *schema.DatabaseNullableSettings, v uint32) { s.MaxConcurrency = u32(v) }},
	{"max-io-concurrency", "max number of concurrent io operations", func(s *schema.DatabaseNullableSettings, v uint32) { s.MaxIOConcurrency = u32(v) }},
	{"tx-log-cache-size", "size of the tx log cache", func(s *schema.DatabaseNullableSettings, v uint32) { s.TxLogCacheSize = u32(v) }},
	{"vlog-cache-size", "size of the value log cache", func(s *schema.DatabaseNullableSettings, v uint32) { s.VLogCacheSize = u32(v) }},
	{"vlog-max-opened-files", "max number of open value log files", func(s *schema.DatabaseNullableSettings, v uint32) { s.VLogMaxOpenedFiles = u32(v) }},
	{"txlog-max-opened-files", "max number of open tx log files", func(s *schema.DatabaseNullableSettings, v uint32) { s.TxLogMaxOpenedFiles = u32(v) }},
	{"commitlog-max-opened-files", "max number of open commit log files", func(s *schema.DatabaseNullableSettings, v uint32) { s.CommitLogMaxOpenedFiles = u32(v) }},
	{"write-tx-header-version", "tx header version used for new transactions", func(s *schema.DatabaseNullableSettings, v uint32) { s.WriteTxHeaderVersion = u32(v) }},
	{"read-tx-pool-size", "number of pre-allocated read buffers", func(s *schema.DatabaseNullableSettings, v uint32) { s.ReadTxPoolSize = u32(v) }},
	{"write-buffer-size", "size of the in-memory write buffer (bytes)", func(s *schema.DatabaseNullableSettings, v uint32) { s.WriteBufferSize = u32(v) }},
	{"max-active-transactions", "max number of simultaneous interactive transactions", func(s *schema.DatabaseNullableSettings, v uint32) { s.MaxActiveTransactions = u32(v) }},
	{"mvcc-read-set-limit", "max number of keys read in an interactive transaction", func(s *schema.DatabaseNullableSettings, v uint32) { s.MvccReadSetLimit = u32(v) }},
	{"replication-primary-port", "port of the primary (replicas)", func(s *schema.DatabaseNullableSettings, v uint32) { repl(s).PrimaryPort = u32(v) }},
	{"replication-sync-acks", "number of confirmations from replicas before a commit", func(s *schema.DatabaseNullableSettings, v uint32) { repl(s).SyncAcks = u32(v) }},
	{"replication-prefetch-tx-buffer-size", "max number of prefetched transactions (replicas)", func(s *schema.DatabaseNullableSettings, v uint32) { repl(s).PrefetchTxBufferSize = u32(v) }},
	{"replication-commit-concurrency", "number of concurrent replications", func(s *schema.DatabaseNullableSettings, v uint32) { repl(s).ReplicationCommitConcurrency = u32(v) }},
	{"flush-threshold", "index: number of new entries between flushes", func(s *schema.DatabaseNullableSettings, v uint32) { index(s).FlushThreshold = u32(v) }},
	{"sync-threshold", "index: number of new entries between fsyncs", func(s *schema.DatabaseNullableSettings, v uint32) { index(s).SyncThreshold = u32(v) }},
	{"flush-buffer-size", "index: size of the flush buffer", func(s *schema.DatabaseNullableSettings, v uint32) { index(s).FlushBufferSize = u32(v) }},
	{"cache-size", "index: block cache size in bytes (128 MiB by default)", func(s *schema.DatabaseNullableSettings, v uint32) { index(s).CacheSize = u32(v) }},
	{"max-node-size", "index: max size of a node (bytes)", func(s *schema.DatabaseNullableSettings, v uint32) { index(s).MaxNodeSize = u32(v) }},
	{"max-active-snapshots", "index: max number of active snapshots", func(s *schema.DatabaseNullableSettings, v uint32) { index(s).MaxActiveSnapshots = u32(v) }},
	{"compaction-threshold", "index: number of full snapshots before a compaction", func(s *schema.DatabaseNullableSettings, v uint32) { index(s).CompactionThld = u32(v) }},
	{"delay-during-compaction", "index: pause between compaction steps (ms)", func(s *schema.DatabaseNullableSettings, v uint32) { index(s).DelayDuringCompaction = u32(v) }},
	{"max-bulk-size", "index: max number of transactions indexed together", func(s *schema.DatabaseNullableSettings, v uint32) { index(s).MaxBulkSize = u32(v) }},
}

var boolSettings = []boolSetting{
	{"exclude-commit-time", "do not include server-side timestamps in commit checksums, useful when reproducibility is a desired feature",
		func(s *schema.DatabaseNullableSettings, v bool) { s.ExcludeCommitTime = nb(v) }},
	{"autoload", "load the database when the server starts", func(s *schema.DatabaseNullableSettings, v bool) { s.Autoload = nb(v) }},
	{"embedded-values", "store values in the tx header", func(s *schema.DatabaseNullableSettings, v bool) { s.EmbeddedValues = nb(v) }},
	{"prealloc-files", "preallocate data files", func(s *schema.DatabaseNullableSettings, v bool) { s.PreallocFiles = nb(v) }},
	{"replication-is-replica", "set the database as a replica", func(s *schema.DatabaseNullableSettings, v bool) { repl(s).Replica = nb(v) }},
	{"replication-sync-enabled", "enable synchronous replication", func(s *schema.DatabaseNullableSettings, v bool) { repl(s).SyncReplication = nb(v) }},
	{"replication-allow-tx-discarding", "allow precommitted transactions to be discarded if the replica diverges from the primary",
		func(s *schema.DatabaseNullableSettings, v bool) { repl(s).AllowTxDiscarding = nb(v) }},
	{"replication-skip-integrity-check", "disable the integrity check when reading data during replication",
		func(s *schema.DatabaseNullableSettings, v bool) { repl(s).SkipIntegrityCheck = nb(v) }},
	{"replication-wait-for-indexing", "wait for indexing to be up to date during replication",
		func(s *schema.DatabaseNullableSettings, v bool) { repl(s).WaitForIndexing = nb(v) }},
}

var strSettings = []strSetting{
	{"replication-primary-database", "primary database (replicas)", func(s *schema.DatabaseNullableSettings, v string) { repl(s).PrimaryDatabase = ns(v) }},
	{"replication-primary-host", "primary host (replicas)", func(s *schema.DatabaseNullableSettings, v string) { repl(s).PrimaryHost = ns(v) }},
	{"replication-primary-username", "user on the primary (replicas)", func(s *schema.DatabaseNullableSettings, v string) { repl(s).PrimaryUsername = ns(v) }},
	{"replication-primary-password", "password on the primary (replicas)", func(s *schema.DatabaseNullableSettings, v string) { repl(s).PrimaryPassword = ns(v) }},
}

type durSetting struct {
	name, usage string
	set         func(s *schema.DatabaseNullableSettings, v *schema.NullableMilliseconds)
}

func trunc(s *schema.DatabaseNullableSettings) *schema.TruncationNullableSettings {
	if s.TruncationSettings == nil {
		s.TruncationSettings = &schema.TruncationNullableSettings{}
	}
	return s.TruncationSettings
}

var durSettings = []durSetting{
	{"sync-frequency", "time between fsyncs of the logs during commits (e.g. 20ms)",
		func(s *schema.DatabaseNullableSettings, v *schema.NullableMilliseconds) { s.SyncFrequency = v }},
	{"retention-period", "how long data is kept before truncation may discard it",
		func(s *schema.DatabaseNullableSettings, v *schema.NullableMilliseconds) { trunc(s).RetentionPeriod = v }},
	{"truncation-frequency", "how often truncation runs",
		func(s *schema.DatabaseNullableSettings, v *schema.NullableMilliseconds) {
			trunc(s).TruncationFrequency = v
		}},
}

// oldFlagNames maps flag names of earlier immuadmin releases to today's.
var oldFlagNames = map[string]string{
	"replication-enabled":           "replication-is-replica",
	"replica":                       "replication-is-replica",
	"replication-follower-username": "replication-primary-username",
	"replication-follower-password": "replication-primary-password",
	"replication-master-database":   "replication-primary-database",
	"replication-master-address":    "replication-primary-host",
	"replication-master-port":       "replication-primary-port",
	"max-concurrency":               "max-commit-concurrency",
}

// addSettingsFlags registers the settings flags on fs.
func addSettingsFlags(fs *pflag.FlagSet) {
	for _, f := range u32Settings {
		fs.Uint32(f.name, 0, f.usage)
	}
	for _, f := range boolSettings {
		fs.Bool(f.name, false, f.usage)
	}
	for _, f := range strSettings {
		fs.String(f.name, "", f.usage)
	}
	for _, f := range durSettings {
		fs.Duration(f.name, 0, f.usage)
	}
	fs.Float32("cleanup-percentage", 0, "index: percentage of index files cleaned up on each flush")
	fs.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if n, ok := oldFlagNames[name]; ok {
			name = n
		}
		return pflag.NormalizedName(name)
	})
}

// settingsFromFlags builds the settings from the flags that were given.
func settingsFromFlags(fs *pflag.FlagSet) (*schema.DatabaseNullableSettings, error) {
	s := &schema.DatabaseNullableSettings{}
	for _, f := range u32Settings {
		if fs.Changed(f.name) {
			v, err := fs.GetUint32(f.name)
			if err != nil {
				return nil, fmt.Errorf("%w: --%s: %v", ErrBadArgument, f.name, err)
			}
			f.set(s, v)
		}
	}
	for _, f := range boolSettings {
		if fs.Changed(f.name) {
			v, _ := fs.GetBool(f.name)
			f.set(s, v)
		}
	}
	for _, f := range strSettings {
		if fs.Changed(f.name) {
			v, _ := fs.GetString(f.name)
			f.set(s, v)
		}
	}
	for _, f := range durSettings {
		if fs.Changed(f.name) {
			d, _ := fs.GetDuration(f.name)
			if d < 0 {
				return nil, fmt.Errorf("%w: --%s must not be negative", ErrBadArgument, f.name)
			}
			f.set(s, &schema.NullableMilliseconds{Value: int64(d / time.Millisecond)})
		}
	}
	if fs.Changed("cleanup-percentage") {
		p, _ := fs.GetFloat32("cleanup-percentage")
		if p < 0 || p > 100 {
			return nil, fmt.Errorf("%w: --cleanup-percentage must be between 0 and 100", ErrBadArgument)
		}
		index(s).CleanupPercentage = &schema.NullableFloat{Value: p}
	}
	return s, nil
}

// settingsSummary lists the replica mode and then every setting given on
// the command line, as "name: value" in name order: what create and update
// print between braces.
func settingsSummary(fs *pflag.FlagSet, replica bool) string {
	parts := []string{fmt.Sprintf("replica: %t", replica)}
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed && f.Name != "replication-is-replica" && !isSecret(f.Name) {
			parts = append(parts, f.Name+": "+f.Value.String())
		}
	})
	return strings.Join(parts, ", ")
}

// isSecret tells flags whose value must not be echoed.
func isSecret(name string) bool { return strings.HasSuffix(name, "-password") }

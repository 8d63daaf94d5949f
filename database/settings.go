package database

import (
	"fmt"
	"strings"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/embedded/store"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

func u32(v uint32) *schema.NullableUint32 { return &schema.NullableUint32{Value: v} }
func u64(v uint64) *schema.NullableUint64 { return &schema.NullableUint64{Value: v} }
func nb(v bool) *schema.NullableBool      { return &schema.NullableBool{Value: v} }
func ns(v string) *schema.NullableString  { return &schema.NullableString{Value: v} }
func nms(v int64) *schema.NullableMilliseconds {
	return &schema.NullableMilliseconds{Value: v}
}
func nf(v float32) *schema.NullableFloat { return &schema.NullableFloat{Value: v} }

// DefaultSettings are immudb v1.11.1's database defaults, every field set,
// as CreateDatabaseV2 and DatabaseListV2 return them (live_session.json).
// Most of them tune immudb's own engine and are only stored and reported;
// the ones our engine uses are listed in storeOptions.
func DefaultSettings() *schema.DatabaseNullableSettings {
	return &schema.DatabaseNullableSettings{
		ReplicationSettings: &schema.ReplicationNullableSettings{
			Replica: nb(false), PrimaryDatabase: ns(""), PrimaryHost: ns(""), PrimaryPort: u32(0),
			PrimaryUsername: ns(""), PrimaryPassword: ns(""), SyncReplication: nb(false), SyncAcks: u32(0),
			PrefetchTxBufferSize: u32(0), ReplicationCommitConcurrency: u32(0), AllowTxDiscarding: nb(false),
			SkipIntegrityCheck: nb(false), WaitForIndexing: nb(false),
		},
		FileSize:                u32(store.DefaultFileSize),
		MaxKeyLen:               u32(store.DefaultMaxKeyLen),
		MaxValueLen:             u32(store.DefaultMaxValueLen),
		MaxTxEntries:            u32(store.DefaultMaxTxEntries),
		ExcludeCommitTime:       nb(false),
		MaxConcurrency:          u32(30),
		MaxIOConcurrency:        u32(1),
		TxLogCacheSize:          u32(1000),
		VLogMaxOpenedFiles:      u32(10),
		TxLogMaxOpenedFiles:     u32(10),
		CommitLogMaxOpenedFiles: u32(10),
		IndexSettings: &schema.IndexNullableSettings{
			FlushThreshold: u32(100000), SyncThreshold: u32(1000000), CacheSize: u32(134217728),
			MaxNodeSize: u32(4096), MaxActiveSnapshots: u32(100), RenewSnapRootAfter: u64(1000),
			CompactionThld: u32(2), DelayDuringCompaction: u32(10), NodesLogMaxOpenedFiles: u32(10),
			HistoryLogMaxOpenedFiles: u32(1), CommitLogMaxOpenedFiles: u32(1), FlushBufferSize: u32(4096),
			CleanupPercentage: nf(0), MaxBulkSize: u32(1), BulkPreparationTimeout: nms(20),
		},
		WriteTxHeaderVersion:  u32(1),
		Autoload:              nb(true),
		ReadTxPoolSize:        u32(128),
		SyncFrequency:         nms(20),
		WriteBufferSize:       u32(4194304),
		AhtSettings:           &schema.AHTNullableSettings{SyncThreshold: u32(100000), WriteBufferSize: u32(16777216)},
		MaxActiveTransactions: u32(store.DefaultMaxActiveTxs),
		MvccReadSetLimit:      u32(100000),
		VLogCacheSize:         u32(0),
		TruncationSettings:    &schema.TruncationNullableSettings{RetentionPeriod: nms(0), TruncationFrequency: nms(86400000)},
		EmbeddedValues:        nb(false),
		PreallocFiles:         nb(false),
	}
}

// mergeSettings returns base with every field present in over replacing
// it. A Nullable* wrapper is a value: when present it wins whole, even with
// a zero value (proto.Merge would skip the zero). Groups of settings
// (replication, index, …) merge field by field.
func mergeSettings(base, over *schema.DatabaseNullableSettings) *schema.DatabaseNullableSettings {
	out := proto.Clone(base).(*schema.DatabaseNullableSettings)
	if over != nil {
		mergeMsg(out.ProtoReflect(), over.ProtoReflect())
	}
	return out
}

func mergeMsg(dst, src protoreflect.Message) {
	src.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap() &&
			!strings.HasPrefix(string(fd.Message().Name()), "Nullable") {
			mergeMsg(dst.Mutable(fd).Message(), v.Message())
			return true
		}
		if fd.Kind() == protoreflect.MessageKind {
			dst.Set(fd, protoreflect.ValueOfMessage(proto.Clone(v.Message().Interface()).ProtoReflect()))
			return true
		}
		dst.Set(fd, v)
		return true
	})
}

// validateSettings refuses values our engine cannot honour.
func validateSettings(s *schema.DatabaseNullableSettings) error {
	switch {
	case s.FileSize.GetValue() == 0:
		return fmt.Errorf("%w: fileSize must be positive", ErrIllegalArguments)
	case s.MaxKeyLen.GetValue() == 0 || s.MaxKeyLen.GetValue() > 65535:
		return fmt.Errorf("%w: maxKeyLen must be in 1..65535", ErrIllegalArguments)
	case s.MaxValueLen.GetValue() == 0:
		return fmt.Errorf("%w: maxValueLen must be positive", ErrIllegalArguments)
	case s.MaxTxEntries.GetValue() == 0:
		return fmt.Errorf("%w: maxTxEntries must be positive", ErrIllegalArguments)
	case s.WriteTxHeaderVersion.GetValue() > 1:
		return fmt.Errorf("%w: writeTxHeaderVersion must be 0 or 1", ErrIllegalArguments)
	case s.MaxActiveTransactions.GetValue() == 0:
		return fmt.Errorf("%w: maxActiveTransactions must be positive", ErrIllegalArguments)
	}
	return nil
}

// minIndexCache is the smallest index block cache a database gets.
const minIndexCache = 8 << 20

// storeOptions maps the settings the engine uses: file size, key, value and
// entry limits, header version, max active txs, the index cache size and
// the replica flag.
func storeOptions(s *schema.DatabaseNullableSettings, synced bool) store.Options {
	o := store.DefaultOptions()
	o.Synced = synced
	o.FileSize = int64(s.FileSize.GetValue())
	o.MaxKeyLen = int(s.MaxKeyLen.GetValue())
	o.MaxValueLen = int(s.MaxValueLen.GetValue())
	o.MaxTxEntries = int(s.MaxTxEntries.GetValue())
	o.HeaderVersion = int(s.WriteTxHeaderVersion.GetValue())
	o.MaxActiveTxs = int(s.MaxActiveTransactions.GetValue())
	// indexSettings.cacheSize is the index's block cache in bytes (immudb's
	// default, 128 MiB, is ours); a tiny value would make every read miss.
	if cs := int64(s.GetIndexSettings().GetCacheSize().GetValue()); cs > 0 {
		o.IndexCacheSize = max(cs, minIndexCache)
	}
	return o
}

package index

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Defaults for the zero values of Options.
const (
	DefaultCacheSize = 128 << 20
	// DefaultMemTableSize: 64 MiB memtables index 15–25 % more entries per
	// second than 16 MiB ones (fewer, larger flushes; docs/BENCHMARKS.md),
	// at up to ~70 MiB more memory under heavy writes. Pebble grows a new
	// database's memtables up to this size, so idle databases stay small.
	DefaultMemTableSize = 64 << 20
	DefaultMaxKeyLen    = 1024
)

// Options configures Open. The zero value of every field but Dir is usable.
type Options struct {
	Dir       string // Pebble directory (created if missing)
	CacheSize int64  // block cache bytes; 0 = DefaultCacheSize
	// MemTableSize is the Pebble memtable size; 0 = DefaultMemTableSize.
	// Applied data lives only in memtables until they are flushed (the WAL
	// is off), so this is also the most the engine may have to replay.
	MemTableSize uint64
	// MaxKeyLen bounds user keys; 0 = DefaultMaxKeyLen (1024).
	MaxKeyLen int
	// Compress stores sstable blocks Snappy-compressed. Off by default:
	// uncompressed, a block-cache miss costs a read from the OS page cache
	// instead of a decompression (random Gets ~1.5x faster measured), for
	// about twice the disk space of this derived data.
	Compress bool
	// Logger receives Pebble's log output; nil = errors go to the standard
	// log package, informational messages are dropped. Its Fatalf is never
	// called: the index handles Pebble's fatal errors (corruption.go).
	Logger pebble.Logger
}

// Version is one version of a key.
type Version struct {
	TxID     uint64
	Revision uint64 // 1 for the first version of a key, 2 for the second, …
	Payload  []byte // owned by the caller after return (copy out of Pebble)
}

// Index is the key index. See doc.go for invariants and locking.
type Index struct {
	db           *pebble.DB
	maxKeyLen    int
	dir          string
	dmg          *damage // first damaged data met (Damaged)
	bg           *bgErrors
	memTableSize uint64 // flushOnClose
	reset        error  // why Open started over empty (Reset)

	indexed atomic.Uint64 // IndexedUpTo

	// mu: read lock held by every operation for its duration, write lock
	// by Close; closed and iters are guarded by it (iters also by itersMu).
	mu     sync.RWMutex
	closed bool
	// closing is set by the first Close before it waits for mu: operations
	// that start after it fail with ErrClosed, so only those in progress
	// are waited for. closeDone is closed when that Close returns.
	closing   atomic.Bool
	closeDone chan struct{}

	itersMu sync.Mutex
	iters   map[*Iterator]struct{}

	// applyMu serialises Apply; the buffers below belong to the applier.
	applyMu sync.Mutex
	filter  *keyFilter // user keys in the index (see filter.go)
	// filterReady: filter holds every user key. False while a rebuild
	// scan runs in the background; Apply then asks Pebble for every key.
	filterReady bool
	buildStop   chan struct{} // closed by stopBuild to stop the rebuild
	buildDone   chan struct{} // closed when the rebuild goroutine ends
	stopOnce    sync.Once     // stopBuild
	revCache    revCache      // latest revisions of recently written keys

	points iterPool // idle iterators for point reads (iterpool.go)
	encBuf []byte
	order  []int32
	unseen []bool // per batch entry: the key filter has never seen its key
	// filterSink keeps the words loaded by keyFilter.warm, so the compiler
	// cannot drop the loads.
	filterSink uint64
	wmBuf      [8]byte
}

// Open opens (or creates) the index in opts.Dir. If the existing files are
// damaged (Pebble reports corruption while opening or reading the
// watermark), Open destroys them and returns a new empty index
// (IndexedUpTo 0, Reset non-nil): the index is derived data and the engine
// re-applies its log from IndexedUpTo()+1.
func Open(opts Options) (*Index, error) {
	ix, err := open(opts)
	if err == nil || !errors.Is(err, ErrCorrupt) {
		return ix, err
	}
	if derr := Destroy(opts.Dir); derr != nil {
		return nil, fmt.Errorf("%w (and destroying it failed: %v)", err, derr)
	}
	ix, rerr := open(opts)
	if rerr != nil {
		return nil, rerr
	}
	ix.reset = fmt.Errorf("index: damaged index in %s destroyed at open: %w", opts.Dir, err)
	return ix, nil
}

// Reset is non-nil when Open found the index damaged and started over
// empty; it says what was found.
func (ix *Index) Reset() error { return ix.reset }

func open(opts Options) (ix *Index, err error) {
	if opts.Dir == "" {
		return nil, errors.New("index: Options.Dir is empty")
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = DefaultCacheSize
	}
	if opts.MemTableSize == 0 {
		opts.MemTableSize = DefaultMemTableSize
	}
	if opts.MaxKeyLen <= 0 {
		opts.MaxKeyLen = DefaultMaxKeyLen
	}
	if opts.Logger == nil {
		opts.Logger = quietLogger{}
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("index: create %s: %w", opts.Dir, err)
	}
	dmg := &damage{}
	bg := newBGErrors(opts.Logger)
	defer func() {
		// A Fatalf while Pebble opens (a damaged MANIFEST or table).
		if r := recover(); r != nil {
			f, ok := r.(*pebbleFatal)
			if !ok {
				panic(r)
			}
			ix, err = nil, fmt.Errorf("%w: pebble: %s", ErrCorrupt, f.msg)
		}
		err = dmg.classify(err)
	}()
	cache := pebble.NewCache(opts.CacheSize)
	defer cache.Unref() // the DB keeps its own reference
	po := &pebble.Options{
		Cache:    cache,
		Comparer: comparer,
		// Durability comes from Flush plus the watermark written in the same
		// batch as the entries: the persisted state is always a prefix of
		// the applied batches (see doc.go).
		DisableWAL:                  true,
		MemTableSize:                opts.MemTableSize,
		MemTableStopWritesThreshold: memTableStopWrites,
		FormatMajorVersion:          pebble.FormatNewest,
		Logger:                      fatalLogger{out: opts.Logger, dmg: dmg},
		EventListener:               dmg.eventListener(opts.Logger, bg),
		CompactionConcurrencyRange:  func() (int, int) { return 1, 2 },
		// The first level below L0 holds about what L0 does when its
		// compaction starts (4 flushed memtables), the usual LSM sizing;
		// Pebble's 64 MB default, sized for small memtables, made a 10M-entry
		// load spend 21% more CPU in compactions (−4 to −7% throughput).
		LBaseMaxBytes: 4 * int64(opts.MemTableSize),
	}
	for i := range po.Levels {
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
		if !opts.Compress {
			po.Levels[i].Compression = func() *sstable.CompressionProfile { return sstable.NoCompression }
		}
	}
	if testFS != nil {
		po.FS = testFS
	}
	db, err := pebble.Open(opts.Dir, po)
	if err != nil {
		return nil, fmt.Errorf("index: open %s: %w", opts.Dir, err)
	}
	ix = &Index{
		dmg:          dmg,
		bg:           bg,
		memTableSize: opts.MemTableSize,
		db:           db,
		maxKeyLen:    opts.MaxKeyLen,
		dir:          opts.Dir,
		iters:        make(map[*Iterator]struct{}),
		closeDone:    make(chan struct{}),
	}
	v, closer, err := db.Get(watermarkKey)
	switch {
	case errors.Is(err, pebble.ErrNotFound):
	case err != nil:
		db.Close()
		return nil, fmt.Errorf("index: read watermark: %w", err)
	default:
		w, derr := decodeWatermark(v)
		closer.Close()
		if derr != nil {
			db.Close()
			return nil, derr
		}
		ix.indexed.Store(w)
	}
	ix.buildStop, ix.buildDone = make(chan struct{}), make(chan struct{})
	if ix.filter = loadFilter(opts.Dir, ix.indexed.Load()); ix.filter != nil {
		ix.filterReady = true
		close(ix.buildDone)
	} else {
		// No usable saved filter (first open, crash, damage): rebuild it
		// from a snapshot taken now, in the background, so Open stays fast.
		ix.filter = &keyFilter{}
		it, err := ix.db.NewIter(nil)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("index: key filter scan: %w", err)
		}
		go ix.buildFilter(it)
	}
	return ix, nil
}

// IndexedUpTo is the last tx whose entries are all applied (0 for a new
// index). It is persisted atomically with the entries by Apply.
func (ix *Index) IndexedUpTo() uint64 { return ix.indexed.Load() }

// rlock takes the read lock and fails if the index is closed. On success the
// caller must ix.mu.RUnlock().
func (ix *Index) rlock() error {
	if ix.closing.Load() {
		return ErrClosed
	}
	ix.mu.RLock()
	if ix.closed {
		ix.mu.RUnlock()
		return ErrClosed
	}
	return nil
}

// Flush makes everything applied so far durable (it flushes Pebble's
// memtables to sstables, which Pebble syncs).
func (ix *Index) Flush() (err error) {
	defer ix.guard(&err)
	if err := ix.rlock(); err != nil {
		return err
	}
	defer ix.mu.RUnlock()
	if err := ix.db.Flush(); err != nil {
		return fmt.Errorf("index: flush: %w", err)
	}
	ix.points.bump() // idle iterators would keep the flushed memtable
	return nil
}

// Compact runs a full manual compaction.
func (ix *Index) Compact() (err error) {
	defer ix.guard(&err)
	if err := ix.rlock(); err != nil {
		return err
	}
	defer ix.mu.RUnlock()
	// Pebble's Compact first waits for the memtables to be flushed, and
	// Pebble retries a failing flush without end: stop at the first
	// background failure, else a compaction asked on a dying disk never
	// returns (and Close gives up on the index behind it).
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	go cancelOnFailure(ctx, cancel, ix.bg, ix.bg.count())
	if err := ix.db.Compact(ctx, []byte{nsMeta}, []byte{nsVersion + 1}, true); err != nil {
		if cause := context.Cause(ctx); cause != nil {
			err = cause
		}
		return fmt.Errorf("index: compact: %w", err)
	}
	// Idle point-read iterators would keep the replaced sstables (and the
	// uncompacted shape) until the next Apply: drop them.
	ix.points.bump()
	return nil
}

// Close flushes and closes the index. Open iterators are invalidated (their
// Next returns false with ErrClosed). Closing twice returns ErrClosed (a
// second Close waits for the first).
//
// Close waits for the operations in progress. One of them may never end:
// an Apply that entered Pebble's stop-writes stall while flushes were
// merely slow waits for a flush to succeed, and when the flushes then fail
// (a dying disk) none ever does. If background work keeps failing for
// closeAbandonAfter while Close waits, Close gives up and returns
// ErrCloseAbandoned without touching Pebble: the DB is left open, the
// stuck goroutine stays blocked in Pebble (nothing it can touch is freed;
// if it ever returns it just finishes its Apply), and every later
// operation fails with ErrClosed. The close then finishes in the
// background as soon as the stuck operation returns, i.e. when a flush
// succeeds again (a disk that recovers, space freed): until then Pebble
// keeps the directory locked, so Open of it fails (no second DB on the
// same files); after it, the directory can be opened again in the same
// process (a database can be loaded again without a restart). Nothing is
// lost: Open finds what was flushed, a prefix of the applied batches, and
// the engine catches up from its log (doc.go).
func (ix *Index) Close() (err error) {
	defer ix.guard(&err)
	if !ix.closing.CompareAndSwap(false, true) {
		<-ix.closeDone
		return ErrClosed
	}
	defer close(ix.closeDone)
	if failed := ix.lockClose(); failed != nil {
		ix.stopBuild() // the key filter scan (it is no use any more)
		go ix.closeWhenFree()
		return fmt.Errorf("%w (waited %v; %v): the index closes itself once that operation returns (a flush succeeds again); until then its directory stays locked, and the engine catches up from the log at the next open",
			ErrCloseAbandoned, closeAbandonAfter, failed)
	}
	defer ix.mu.Unlock()
	ix.stopBuild()
	return ix.closeLocked()
}

// stopBuild stops the key filter rebuild. Close stops it before it knows
// whether the index is already closed (closeNoFlush stops it too), so it
// must be safe to call more than once.
func (ix *Index) stopBuild() { ix.stopOnce.Do(func() { close(ix.buildStop) }) }

// The background end of an abandoned Close tries to take mu every
// abandonedPoll at first, then less and less often, up to abandonedPollMax:
// on a disk that never recovers it waits until the process exits.
const (
	abandonedPoll    = 50 * time.Millisecond
	abandonedPollMax = time.Second
)

// closeWhenFree finishes a Close that gave up (see Close) once the
// operations it waited for have returned. It polls with TryLock rather than
// blocking in Lock: a pending writer would block every later reader
// (Iterator.Close takes mu shared), so a stuck Apply would hang them too.
func (ix *Index) closeWhenFree() {
	for wait := abandonedPoll; !ix.mu.TryLock(); wait = min(2*wait, abandonedPollMax) {
		time.Sleep(wait)
	}
	defer ix.mu.Unlock()
	if err := ix.closeGuarded(); err != nil {
		ix.bg.log.Errorf("index: finishing an abandoned close: %v", err)
		return
	}
	ix.bg.log.Infof("index: an abandoned close has finished: the index directory can be opened again")
}

// closeGuarded is closeLocked with Pebble's fatal errors turned into
// errors, as every entry point does (guard).
func (ix *Index) closeGuarded() (err error) {
	defer ix.guard(&err)
	return ix.closeLocked()
}

// closeLocked is the end of Close: ix.mu is held exclusively and
// stopBuild was called.
func (ix *Index) closeLocked() error {
	if !ix.markClosed() {
		return ErrClosed
	}
	ferr := ix.flushOnClose()
	var serr error
	if ferr == nil && ix.filterReady && ix.dmg.get() == nil {
		// Lets the next Open skip the key scan. If this fails the index is
		// still fine: the next Open rebuilds the filter.
		serr = saveFilter(ix.dir, ix.filter, ix.indexed.Load())
	}
	cerr := ix.db.Close()
	if ferr != nil {
		return fmt.Errorf("index: flush on close: %w", ferr)
	}
	if serr != nil {
		return fmt.Errorf("index: save key filter on close (the index is intact): %w", serr)
	}
	if cerr != nil {
		return fmt.Errorf("index: close: %w", cerr)
	}
	return nil
}

// lockClose takes mu for Close, or returns the background failure for
// which it gave up (see Close). It polls instead of blocking in Lock so
// that it can give up; closing is set, so it waits only for operations
// already in progress.
func (ix *Index) lockClose() error {
	var since time.Time // background work failing at every poll since then
	for !ix.mu.TryLock() {
		switch {
		case !ix.bg.failing():
			since = time.Time{}
		case since.IsZero():
			since = time.Now()
		case time.Since(since) >= closeAbandonAfter:
			if err := ix.bg.current(); err != nil {
				return err
			}
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// Failing is the latest failure of Pebble's background work (a flush or a
// compaction) while they keep failing, nil once one succeeds. The engine
// uses it to bound how long its Close waits for an applier stuck in
// Pebble (see Close).
func (ix *Index) Failing() error { return ix.bg.current() }

// flushOnClose flushes the memtables, so that the next Open finds them on
// disk, but stops waiting at the first background failure after it asked:
// Pebble retries a failing flush without end, so Close (and a server's
// shutdown) would wait for ever on a failing or vanished disk. Not
// flushing loses only what a crash loses, the memtables, which the engine
// re-applies from its log (see doc.go).
//
// The forced flush itself may wait for room (waitRoom): it is asked for
// only once there is some (Close holds ix.mu, nothing else adds
// memtables), and a failure while waiting for room ends the wait too.
func (ix *Index) flushOnClose() error {
	n := ix.bg.count()
	if err := ix.waitRoom(n); err != nil {
		return err
	}
	flushed, err := ix.db.AsyncFlush()
	if err != nil {
		return err
	}
	for {
		select {
		case <-flushed:
			return nil
		case <-ix.bg.note:
			if err := ix.bg.since(n); err != nil {
				return err
			}
		}
	}
}

// closeNoFlush closes like a crash would leave things: memtables are lost.
// Tests use it to check crash semantics.
func (ix *Index) closeNoFlush() error {
	if ix.closing.Load() {
		return ErrClosed
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.stopBuild()
	if !ix.markClosed() {
		return ErrClosed
	}
	return ix.db.Close()
}

// markClosed is the start of both closes (ix.mu held exclusively, the
// rebuild told to stop): it marks the index closed, releases the Pebble
// iterators of open Iterators and idle point reads, and waits for the
// rebuild to end. False if the index was closed already.
func (ix *Index) markClosed() bool {
	if ix.closed {
		return false
	}
	ix.closed = true
	ix.itersMu.Lock()
	for it := range ix.iters {
		it.release()
	}
	ix.iters = nil
	ix.points.closeAll()
	ix.itersMu.Unlock()
	<-ix.buildDone
	return true
}

// Destroy removes the index directory (used to rebuild the index from the
// log). The index must not be open.
func Destroy(dir string) error {
	if dir == "" {
		return errors.New("index: Destroy: empty directory")
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("index: destroy %s: %w", dir, err)
	}
	return nil
}

func (ix *Index) checkKey(key []byte) error {
	if len(key) == 0 {
		return fmt.Errorf("%w: empty key", ErrInvalidKey)
	}
	if len(key) > ix.maxKeyLen {
		return fmt.Errorf("%w: key of %d bytes exceeds %d", ErrInvalidKey, len(key), ix.maxKeyLen)
	}
	return nil
}

// testFS, when set by a test before Open, is the file system Pebble uses.
var testFS vfs.FS

// memTableStopWrites is Pebble's MemTableStopWritesThreshold: writes (and
// a forced flush) wait while the queued memtables reach it (see waitRoom).
const memTableStopWrites = 4

// quietLogger drops Pebble's informational messages (WAL recovery notes
// and the like), which would otherwise go to stderr on every open.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any)         {}
func (quietLogger) Errorf(f string, args ...any) { log.Printf(f, args...) }
func (quietLogger) Fatalf(f string, args ...any) { log.Printf(f, args...) } // see fatalLogger

func putWatermark(dst *[8]byte, tx uint64) []byte {
	binary.BigEndian.PutUint64(dst[:], tx)
	return dst[:]
}

package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/attestdb/attestdb/embedded/index"
	"github.com/attestdb/attestdb/embedded/vfs"
	"github.com/attestdb/attestdb/proof"
)

// File names inside the store directory (docs/FORMAT.md).
const (
	formatFile     = "FORMAT"
	checkpointFile = "CHECKPOINT"
	logDir         = "log"
	txIndexFile    = "txindex"
	nodesFile      = "aht"
	indexDir       = "index"
)

// Store is the embedded engine: an append-only, hash-chained transaction
// log with a key index. See doc.go.
type Store struct {
	opts Options
	dir  string
	fs   vfs.FS

	log   *segLog
	txi   *txIndex
	nodes *nodeFile
	aht   atomic.Pointer[proof.AHT]

	// Published state: txs ≤ committed are readable.
	stateMu   sync.RWMutex
	committed atomic.Uint64
	lastAlh   proof.Hash
	written   atomic.Uint64 // txs written to the log (≥ durable)
	durable   atomic.Uint64 // txs known to be fsynced
	entries   atomic.Uint64 // entries committed since Open (EntriesSinceOpen)

	// Commit queue.
	qmu     sync.Mutex
	queue   []*request
	qclosed bool
	kick    chan struct{}
	slots   chan struct{}

	// Committer-owned state.
	cm committerState

	trees treeCache // entries trees of recently proven txs (treecache.go)

	syncCh     chan *syncItem  // committer → syncer (Synced mode)
	syncIdle   chan struct{}   // syncer → committer: nothing left to sync, write what you built
	syncerIdle atomic.Bool     // the syncer waits for written groups
	gather     *gatherer       // commit → syncer: callers back after an fsync (gather.go)
	wakeCh     chan []*request // syncer → waker (Synced mode)
	syncMu     sync.Mutex      // serialises log writes/syncs with the flusher
	dirty      bool
	dirtySeg   uint32
	zero       zeroAhead // zeros written ahead of the log's end (zeroahead.go); committer only

	brokenMu sync.Mutex
	broken   error

	// Key index.
	idxPtr    atomic.Pointer[index.Index]
	idxNotify chan struct{} // wakes the indexer
	idxMu     sync.Mutex
	idxWait   chan struct{} // closed and replaced whenever the index advances
	idxErr    error         // sticky indexer failure
	idxRunMu  sync.Mutex    // held while applying to the index (indexer or rebuild)
	idxSwapMu sync.RWMutex  // held (write) by RebuildIndex while it replaces the index
	idxBuf    []byte        // indexer read buffer (idxRunMu)
	idxRepair indexRepair   // rebuilds of a damaged index (indexer.go)

	closing  chan struct{}
	closed   atomic.Bool
	closeMu  sync.Mutex
	wg       sync.WaitGroup
	idxDone  chan struct{} // closed when the indexer goroutine ends (nil: no index)
	checkpMu sync.Mutex
	cpID     uint64 // last checkpoint written or found at open
}

type committerState struct {
	lastID  uint64
	lastAlh proof.Hash
	seg     uint32     // segment being appended to
	end     int64      // offset after the last record in seg
	run     pendingRun // built, not yet written (commit.go)
}

// Open opens the store in dir, creating it if needed, and recovers from
// any crash: the log is cut after its last valid record and the derived
// files are brought in line with it. A nil opts means DefaultOptions().
func Open(dir string, opts *Options) (*Store, error) {
	o := DefaultOptions()
	if opts != nil {
		o = *opts
	}
	if err := o.normalize(); err != nil {
		return nil, err
	}
	s := &Store{
		opts:      o,
		dir:       dir,
		fs:        o.FS,
		kick:      make(chan struct{}, 1),
		slots:     make(chan struct{}, o.MaxActiveTxs),
		gather:    newGatherer(),
		idxNotify: make(chan struct{}, 1),
		idxWait:   make(chan struct{}),
		closing:   make(chan struct{}),
	}
	if err := s.open(); err != nil {
		s.closeFiles()
		return nil, err
	}
	if !o.DisableIndex {
		ix, err := index.Open(indexOptions(dir, &o))
		if err != nil {
			s.closeFiles()
			return nil, fmt.Errorf("store: open index: %w", err)
		}
		s.idxPtr.Store(ix)
		if ix.IndexedUpTo() > s.committed.Load() {
			// The index is ahead of the log (the log lost its tail): it is
			// derived data, so rebuild it.
			ix.Close()
			if err := index.Destroy(indexPath(dir, &o)); err != nil {
				s.closeFiles()
				return nil, fmt.Errorf("store: reset index: %w", err)
			}
			if ix, err = index.Open(indexOptions(dir, &o)); err != nil {
				s.closeFiles()
				return nil, fmt.Errorf("store: open index: %w", err)
			}
			s.idxPtr.Store(ix)
		}
		s.idxDone = make(chan struct{})
		go s.indexer()
	}
	if o.Synced { // before the committer starts: it selects on syncIdle
		s.syncCh = make(chan *syncItem, 64)
		s.syncIdle = make(chan struct{}, 1)
		s.wakeCh = make(chan []*request, 64)
	}
	s.wg.Add(2)
	go s.committer()
	go s.checkpointer()
	s.wg.Add(1)
	if o.Synced {
		s.wg.Add(1)
		go s.syncer()
		go s.waker()
	} else {
		go s.flusher()
	}
	return s, nil
}

func (s *Store) open() error {
	if s.opts.FS == vfs.OS {
		// Pebble uses the OS directly, so the directory must be real.
		if err := os.MkdirAll(s.dir, 0o755); err != nil {
			return fmt.Errorf("store: create dir: %w", err)
		}
	}
	if err := s.fs.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("store: create dir: %w", err)
	}
	s.zero.off = !zeroAheadOn(s.fs, s.dir)
	fpath := filepath.Join(s.dir, formatFile)
	b, err := vfs.ReadFile(s.fs, fpath)
	fresh := false
	switch {
	case vfs.IsNotExist(err):
		fresh = true
	case err != nil:
		return fmt.Errorf("store: read FORMAT: %w", err)
	default:
		fi, err := decodeFormat(b)
		if err != nil {
			return err
		}
		s.opts.FileSize = fi.FileSize // the store keeps the size it was created with
	}
	if s.log, err = openSegLog(s.fs, filepath.Join(s.dir, logDir), s.opts.FileSize); err != nil {
		return err
	}
	if fresh {
		if _, err := s.log.create(0); err != nil {
			return err
		}
		if err := vfs.WriteFileAtomic(s.fs, s.dir, fpath, encodeFormat(formatInfo{Version: FormatVersion, FileSize: s.opts.FileSize})); err != nil {
			return fmt.Errorf("store: write FORMAT: %w", err)
		}
	}
	tf, err := s.fs.OpenFile(filepath.Join(s.dir, txIndexFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("store: open tx index: %w", err)
	}
	if s.txi, err = openTxIndex(tf); err != nil {
		tf.Close()
		return fmt.Errorf("store: open tx index: %w", err)
	}
	nf, err := s.fs.OpenFile(filepath.Join(s.dir, nodesFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("store: open tree nodes: %w", err)
	}
	if s.nodes, err = openNodeFile(nf); err != nil {
		nf.Close()
		return fmt.Errorf("store: open tree nodes: %w", err)
	}
	return s.recover()
}

// publish makes txs up to id readable.
func (s *Store) publish(id uint64, alh proof.Hash) {
	s.stateMu.Lock()
	s.lastAlh = alh
	s.committed.Store(id)
	s.stateMu.Unlock()
	select {
	case s.idxNotify <- struct{}{}:
	default:
	}
}

// LastCommitted returns the id and Alh of the last committed tx (0 and
// H("") for an empty store).
func (s *Store) LastCommitted() (uint64, proof.Hash) {
	s.stateMu.RLock()
	defer s.stateMu.RUnlock()
	return s.committed.Load(), s.lastAlh
}

// checkpointer periodically makes the derived files durable and advances
// the point recovery starts from.
func (s *Store) checkpointer() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-t.C:
			_ = s.checkpoint() // failures only make the next recovery longer
		}
	}
}

// checkpoint syncs the tx index and tree node files up to a durable,
// published tx and records it.
func (s *Store) checkpoint() error {
	s.checkpMu.Lock()
	defer s.checkpMu.Unlock()
	id := s.committed.Load()
	if d := s.durable.Load(); d < id {
		id = d
	}
	if s.opts.Synced {
		id = s.committed.Load()
	}
	if err := s.txi.flush(); err != nil {
		return err
	}
	if err := s.nodes.flush(); err != nil {
		return err
	}
	if id == 0 || id == s.cpID {
		return nil
	}
	if err := s.txi.f.Sync(); err != nil {
		return err
	}
	if err := s.nodes.f.Sync(); err != nil {
		return err
	}
	if err := vfs.WriteFileAtomic(s.fs, s.dir, filepath.Join(s.dir, checkpointFile), encodeCheckpoint(id)); err != nil {
		return err
	}
	s.cpID = id
	return nil
}

// Close stops the background work, commits what is queued, checkpoints and
// closes the files. Later calls return ErrClosed.
func (s *Store) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed.Load() {
		return ErrClosed
	}
	close(s.closing)
	s.wg.Wait()
	s.closed.Store(true)
	var errs []error
	s.syncMu.Lock()
	if err := s.syncLog(); err != nil {
		errs = append(errs, err)
	}
	s.syncMu.Unlock()
	if s.brokenErr() == nil {
		if err := s.checkpoint(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.closeIndex(); err != nil {
		errs = append(errs, err)
	}
	if err := s.closeFiles(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// closeIndex waits for the indexer to end and for a RebuildIndex in
// progress to stop at its next batch (idxRunMu), then closes the index.
//
// An Apply can be stuck in Pebble for good (index.Close): while the index
// reports failing background work, closeIndex stops waiting and closes the
// index under the indexer. The index's Close then waits for that Apply a
// bounded time and, if it is stuck, gives up (index.ErrCloseAbandoned):
// the stuck goroutine is left blocked in Pebble, where it can only finish
// its Apply (indexer and rebuild stop at closing before reading the log
// again), and the index is caught up from the log at the next open
// (Pebble keeps its directory locked until that Apply returns and the
// index finishes closing in the background).
func (s *Store) closeIndex() error {
	if s.ix() == nil {
		return nil
	}
	failing := s.waitIndexer()
	if failing == nil {
		defer s.idxRunMu.Unlock()
		return s.ix().Close()
	}
	err := failing.Close()
	switch {
	case errors.Is(err, index.ErrCloseAbandoned):
		return fmt.Errorf("store: close key index (the log is intact): %w", err)
	case errors.Is(err, index.ErrClosed):
		err = nil // closed by a repair, which swaps in another (below)
	}
	// Close got the index: nothing was stuck, and the indexer and a
	// rebuild meet ErrClosed or closing now.
	<-s.idxDone
	s.idxRunMu.Lock()
	defer s.idxRunMu.Unlock()
	if cur := s.ix(); cur != failing {
		err = errors.Join(err, cur.Close())
	}
	return err
}

// waitIndexer returns nil, holding idxRunMu, once the indexer has ended
// and no rebuild runs; or, without it, the index as soon as it reports
// failing background work while waiting.
func (s *Store) waitIndexer() *index.Index {
	done := s.idxDone
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			done = nil // ended: now only idxRunMu is polled
		case <-tick.C:
		}
		if done == nil && s.idxRunMu.TryLock() {
			return nil
		}
		if ix := s.ix(); ix.Failing() != nil {
			return ix
		}
	}
}

func (s *Store) closeFiles() error {
	var errs []error
	if s.log != nil {
		errs = append(errs, s.log.close())
	}
	if s.txi != nil {
		errs = append(errs, s.txi.close())
	}
	if s.nodes != nil {
		errs = append(errs, s.nodes.close())
	}
	return errors.Join(errs...)
}

// ix is the current key index (nil when disabled); RebuildIndex swaps it.
func (s *Store) ix() *index.Index { return s.idxPtr.Load() }

package immubench

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/attestdb/attestdb/embedded/index"
	"github.com/attestdb/attestdb/embedded/store"
)

// NewCommand returns the immubench root command.
func NewCommand() *cobra.Command {
	root := &cobra.Command{Use: "immubench", Short: "Benchmarks for attestdb", SilenceUsage: true}
	root.AddCommand(newEngineCommand(), newServerCommand(), newGRPCFloorCommand())
	return root
}

type engineConfig struct {
	workload     string
	concurrency  int
	n            int
	entriesPerTx int
	keySize      int
	valueSize    int
	synced       bool
	dir          string
	keep         bool
	cpuProfile   string
	noIndex      bool
	indexCache   int64
	reopen       bool
	keys         int
}

func newEngineCommand() *cobra.Command {
	var c engineConfig
	cmd := &cobra.Command{
		Use:   "engine",
		Short: "Benchmark the embedded engine (set|batch|get|scan|history)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("entries-per-tx") && c.workload == "batch" {
				c.entriesPerTx = 1000
			}
			return runEngine(cmd.OutOrStdout(), c)
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.workload, "workload", "set", "set|batch|get|scan|history")
	f.IntVar(&c.concurrency, "concurrency", 16, "concurrent committers or readers")
	f.IntVar(&c.n, "n", 1_000_000, "total entries written (set/batch) or reads (get/scan/history)")
	f.IntVar(&c.entriesPerTx, "entries-per-tx", 1, "entries per tx (batch defaults to 1000)")
	f.IntVar(&c.keySize, "key-size", 32, "key size in bytes")
	f.IntVar(&c.valueSize, "value-size", 32, "value size in bytes")
	f.BoolVar(&c.synced, "synced", true, "fsync before acknowledging a commit")
	f.StringVar(&c.dir, "dir", "", "store directory (default: a temporary one, removed afterwards)")
	f.BoolVar(&c.keep, "keep", false, "keep the temporary directory")
	f.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the measured phase")
	f.BoolVar(&c.noIndex, "no-index", false, "open the store without the key index")
	f.Int64Var(&c.indexCache, "index-cache", 0, "index block cache in bytes (0 = the engine default, 128 MiB)")
	f.BoolVar(&c.reopen, "reopen", false, "after the workload, close and time a reopen (printed before the summary)")
	f.IntVar(&c.keys, "keys", 0, "keys preloaded for get/scan/history (0 = min(n, 1M); history: n/10)")
	return cmd
}

// keyFor writes the key of entry i: its index in big-endian, padded.
func keyFor(dst []byte, i uint64) []byte {
	clear(dst)
	if len(dst) >= 8 {
		binary.BigEndian.PutUint64(dst[len(dst)-8:], i)
	} else {
		for j := len(dst) - 1; j >= 0; j-- {
			dst[j] = byte(i)
			i >>= 8
		}
	}
	return dst
}

func runEngine(out io.Writer, c engineConfig) error {
	if c.concurrency < 1 || c.n < 1 || c.entriesPerTx < 1 || c.keySize < 1 || c.valueSize < 0 {
		return fmt.Errorf("concurrency, n, entries-per-tx and key-size must be positive")
	}
	dir := c.dir
	if dir == "" {
		d, err := os.MkdirTemp("", "immubench-")
		if err != nil {
			return err
		}
		dir = d
		if !c.keep {
			defer os.RemoveAll(dir)
		}
	}
	opts := store.DefaultOptions()
	opts.Synced = c.synced
	opts.DisableIndex = c.noIndex
	opts.IndexCacheSize = c.indexCache
	opts.MaxTxEntries = max(opts.MaxTxEntries, c.entriesPerTx)
	opts.MaxActiveTxs = max(opts.MaxActiveTxs, 2*c.concurrency)
	s, err := store.Open(dir, &opts)
	if err != nil {
		return err
	}
	defer func() { s.Close() }()
	fmt.Fprintf(out, "dir=%s synced=%v key-size=%d value-size=%d entries-per-tx=%d\n", dir, c.synced, c.keySize, c.valueSize, c.entriesPerTx)

	var work func(w int, lat *latencies) (entries uint64, err error)
	switch c.workload {
	case "set", "batch":
		work = writer(s, c)
	case "get", "scan", "history":
		if c.noIndex {
			return fmt.Errorf("%s needs the index", c.workload)
		}
		if work, err = reader(out, s, c); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown workload %q", c.workload)
	}

	if c.cpuProfile != "" {
		stopProfile, err := startCPUProfile(c.cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	lats := make([]*latencies, c.concurrency)
	for w := range lats {
		lats[w] = newLatencies()
	}
	var total atomic.Uint64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < c.concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			n, err := work(w, lats[w])
			total.Add(n)
			if err != nil {
				firstErr.CompareAndSwap(nil, err)
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err, _ := firstErr.Load().(error); err != nil {
		return err
	}
	all := newLatencies()
	for _, l := range lats {
		all.merge(l)
	}
	pct := all.percentile
	ops := float64(all.count()) / elapsed.Seconds()
	eps := float64(total.Load()) / elapsed.Seconds()
	fmt.Fprintf(out, "elapsed=%v ops=%d entries=%d\n", elapsed.Round(time.Millisecond), all.count(), total.Load())
	if (c.workload == "set" || c.workload == "batch") && !c.noIndex {
		// The index runs behind the commits, which is all the summary
		// times; say how far behind it was.
		last, _ := s.LastCommitted()
		if err := s.WaitForIndexedUpTo(context.Background(), last); err != nil {
			return err
		}
		lag := time.Since(start) - elapsed
		fmt.Fprintf(out, "index caught up %v after the last commit (%.0f entries/s including it)\n",
			lag.Round(time.Millisecond), float64(total.Load())/(elapsed+lag).Seconds())
	}
	if c.reopen {
		if err := s.Close(); err != nil {
			return err
		}
		t0 := time.Now()
		if s, err = store.Open(dir, &opts); err != nil {
			return err
		}
		last, _ := s.LastCommitted()
		fmt.Fprintf(out, "reopen=%v txs=%d\n", time.Since(t0).Round(time.Microsecond), last)
	}
	if rss, ok := peakRSS(); ok {
		fmt.Fprintf(out, "peak-rss=%dMiB\n", rss>>20)
	}
	fmt.Fprintf(out, "workload=%s concurrency=%d ops/s=%.0f entries/s=%.0f p50=%v p99=%v\n",
		c.workload, c.concurrency, ops, eps, pct(0.50), pct(0.99))
	return nil
}

// writer commits n entries in txs of entriesPerTx, split among workers.
func writer(s *store.Store, c engineConfig) func(int, *latencies) (uint64, error) {
	txs := (c.n + c.entriesPerTx - 1) / c.entriesPerTx
	var next atomic.Uint64
	return func(w int, lat *latencies) (uint64, error) {
		ents := make([]store.Entry, c.entriesPerTx)
		buf := make([]byte, c.entriesPerTx*(c.keySize+c.valueSize))
		for i := range ents {
			ents[i].Key = buf[i*(c.keySize+c.valueSize):][:c.keySize]
			ents[i].Value = buf[i*(c.keySize+c.valueSize)+c.keySize:][:c.valueSize]
		}
		var done uint64
		for {
			t := next.Add(1) - 1
			if t >= uint64(txs) {
				return done, nil
			}
			for i := range ents {
				keyFor(ents[i].Key, t*uint64(c.entriesPerTx)+uint64(i))
				keyFor(ents[i].Value, t)
			}
			t0 := time.Now()
			if _, err := s.Commit(context.Background(), store.TxRequest{Entries: ents}); err != nil {
				return done, err
			}
			lat.record(time.Since(t0))
			done += uint64(len(ents))
		}
	}
}

// reader preloads keys (unsynced batches, then waits for the index) and
// returns the read workload.
func reader(out io.Writer, s *store.Store, c engineConfig) (func(int, *latencies) (uint64, error), error) {
	keys := c.n
	revs := 1
	if c.workload == "history" {
		revs = 10
		keys = max(1, c.n/10)
	}
	if keys > 1_000_000 {
		keys = 1_000_000
	}
	if c.keys > 0 {
		keys = c.keys
	}
	t0 := time.Now()
	pre := c
	pre.entriesPerTx = 1000
	for r := 0; r < revs; r++ {
		pre.n = keys
		pre.concurrency = 4
		wr := writer(s, pre)
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				if _, err := wr(w, newLatencies()); err != nil {
					errs <- err
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return nil, err
		}
	}
	last, _ := s.LastCommitted()
	if err := s.WaitForIndexedUpTo(context.Background(), last); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "preloaded %d keys x %d revisions in %v\n", keys, revs, time.Since(t0).Round(time.Millisecond))
	// Measure a settled index, not one still compacting the bulk load.
	t1 := time.Now()
	if err := s.CompactIndex(); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "compacted the index in %v\n", time.Since(t1).Round(time.Millisecond))
	per := c.n / c.concurrency
	return func(w int, lat *latencies) (uint64, error) {
		rng := rand.New(rand.NewPCG(uint64(w), 99))
		key := make([]byte, c.keySize)
		var entries uint64
		for i := 0; i < per; i++ {
			keyFor(key, rng.Uint64N(uint64(keys)))
			t0 := time.Now()
			switch c.workload {
			case "get":
				if _, err := s.Get(key, 0); err != nil {
					return entries, fmt.Errorf("get: %w", err)
				}
				entries++
			case "scan":
				kvs, err := s.Scan(store.ScanOptions{ScanOptions: index.ScanOptions{SeekKey: key, InclusiveSeek: true}, Limit: 100})
				if err != nil {
					return entries, fmt.Errorf("scan: %w", err)
				}
				entries += uint64(len(kvs))
			case "history":
				kvs, err := s.History(key, 0, 10, true, 0)
				if err != nil {
					return entries, fmt.Errorf("history: %w", err)
				}
				entries += uint64(len(kvs))
			}
			lat.record(time.Since(t0))
		}
		return entries, nil
	}, nil
}

package immubench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/client"
)

// ErrWrongAnswer reports a read whose answer is not what the preload wrote.
var ErrWrongAnswer = errors.New("unexpected answer")

// Shapes of the workloads of issue 8.
const (
	setAllEntries    = 1000 // KVs per setall tx
	scanLimit        = 100  // entries per scan (one prefix holds exactly this many)
	historyRevisions = 100  // revisions of each history key
)

// serverOp runs operation number i and returns how many entries it wrote
// or read.
type serverOp func(ctx context.Context, i int64) (entries int, err error)

// serverWorkload owns the keys of one run: every key starts with the run
// ID, so runs against the same database never see each other's data.
type serverWorkload struct {
	c         serverConfig
	prefix    string
	readKeys  int // keys written by preload for get/verifiedget/mixed
	scanPfx   int // prefixes of scanLimit keys each
	histKeys  int // keys with historyRevisions revisions each
	preloaded int
}

func newWorkload(c serverConfig, id string) *serverWorkload {
	w := &serverWorkload{c: c, prefix: "b/" + id + "/"}
	switch c.workload {
	case "get", "verifiedget", "mixed":
		w.readKeys = c.keys
	case "scan":
		w.scanPfx = max(1, c.keys/scanLimit)
	case "history":
		w.histKeys = max(1, c.keys/historyRevisions)
	}
	return w
}

// The keys are formatted by hand (appendDec), not with fmt: the load
// generator shares the cores with the server it measures, and fmt's
// boxing of every argument was a fifth of its CPU in setall (1000 keys
// per call).

func (w *serverWorkload) readKey(i int) []byte {
	b := make([]byte, 0, len(w.prefix)+2+9)
	b = append(append(b, w.prefix...), "k/"...)
	return appendDec(b, uint64(i), 9)
}

func (w *serverWorkload) scanPrefix(p int) []byte {
	return fmt.Appendf(nil, "%ss/%06d/", w.prefix, p)
}

func (w *serverWorkload) histKey(i int) []byte {
	return fmt.Appendf(nil, "%sh/%06d", w.prefix, i)
}

// writeKey is the key of the j-th entry of write operation i.
func (w *serverWorkload) writeKey(i int64, j int) []byte {
	return w.appendWriteKey(make([]byte, 0, len(w.prefix)+2+12+1+4), i, j)
}

func (w *serverWorkload) appendWriteKey(b []byte, i int64, j int) []byte {
	b = append(append(b, w.prefix...), "w/"...)
	b = append(appendDec(b, uint64(i), 12), '/')
	return appendDec(b, uint64(j), 4)
}

// appendDec appends v in decimal, zero-padded to width digits (more if v
// needs them), like fmt's %0*d for non-negative numbers.
func appendDec(b []byte, v uint64, width int) []byte {
	var d [20]byte
	n := len(d)
	for {
		n--
		d[n] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	for pad := width - (len(d) - n); pad > 0; pad-- {
		b = append(b, '0')
	}
	return append(b, d[n:]...)
}

// valueFor derives a key's value (the key repeated to value-size bytes), so
// that readers can check what they get without keeping a copy.
func (w *serverWorkload) valueFor(key []byte) []byte {
	return w.appendValue(make([]byte, 0, w.c.valueSize), key)
}

func (w *serverWorkload) appendValue(b, key []byte) []byte {
	n := len(b)
	b = append(b, make([]byte, w.c.valueSize)...)
	v := b[n:]
	for i := 0; i < len(v); i += len(key) {
		copy(v[i:], key)
	}
	return b
}

// setAllBatch is one setall worker's request, rebuilt in place for each
// call: the client has encoded it by the time SetAll returns, so its
// buffers can be reused (one slab for every key and value, one array of
// KeyValues) instead of 3000 allocations per call.
type setAllBatch struct {
	slab []byte
	kvs  []schema.KeyValue
	ptrs []*schema.KeyValue
}

func (w *serverWorkload) fillSetAll(bt *setAllBatch, i int64) *schema.SetRequest {
	if bt.kvs == nil {
		bt.kvs = make([]schema.KeyValue, setAllEntries)
		bt.ptrs = make([]*schema.KeyValue, setAllEntries)
		for j := range bt.kvs {
			bt.ptrs[j] = &bt.kvs[j]
		}
	}
	slab := bt.slab[:0]
	type span struct{ k0, k1, v1 int }
	var spans [setAllEntries]span
	for j := range bt.kvs {
		k0 := len(slab)
		slab = w.appendWriteKey(slab, i, j)
		k1 := len(slab)
		slab = w.appendValue(slab, slab[k0:k1])
		spans[j] = span{k0, k1, len(slab)}
	}
	bt.slab = slab // cut only now: appends may have moved it
	for j := range bt.kvs {
		sp := spans[j]
		bt.kvs[j] = schema.KeyValue{Key: slab[sp.k0:sp.k1:sp.k1], Value: slab[sp.k1:sp.v1:sp.v1]}
	}
	return &schema.SetRequest{KVs: bt.ptrs}
}

func (w *serverWorkload) kv(key []byte) *schema.KeyValue {
	return &schema.KeyValue{Key: key, Value: w.valueFor(key)}
}

// preload writes what the read workloads read, in txs of --preload-batch,
// then waits until the server's index covers the last of them.
func (w *serverWorkload) preload(ctx context.Context, clis []*client.Client) error {
	var keys [][]byte
	rounds := 1
	switch {
	case w.readKeys > 0:
		for i := 0; i < w.readKeys; i++ {
			keys = append(keys, w.readKey(i))
		}
	case w.scanPfx > 0:
		for p := 0; p < w.scanPfx; p++ {
			pfx := w.scanPrefix(p)
			for j := 0; j < scanLimit; j++ {
				keys = append(keys, fmt.Appendf(nil, "%s%03d", pfx, j))
			}
		}
	case w.histKeys > 0:
		for i := 0; i < w.histKeys; i++ {
			keys = append(keys, w.histKey(i))
		}
		rounds = historyRevisions
	default:
		return nil
	}
	var chunks [][][]byte
	for r := 0; r < rounds; r++ {
		for lo := 0; lo < len(keys); lo += w.c.preloadTx {
			chunks = append(chunks, keys[lo:min(len(keys), lo+w.c.preloadTx)])
		}
	}
	// Several writers over all sessions, so that small preload txs are
	// group-committed instead of paying one sync each in turn.
	var (
		next    atomic.Int64
		lastTx  atomic.Uint64
		written atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
	)
	writers := min(len(chunks), 4*len(clis))
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func(cl *client.Client) {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(len(chunks)) || ctx.Err() != nil {
					return
				}
				kvs := make([]*schema.KeyValue, len(chunks[i]))
				for j, k := range chunks[i] {
					kvs[j] = w.kv(k)
				}
				hdr, err := cl.SetAll(ctx, &schema.SetRequest{KVs: kvs})
				if err != nil {
					errOnce.Do(func() { first = fmt.Errorf("setAll of %d entries: %w", len(kvs), err) })
					next.Store(int64(len(chunks))) // stop the others
					return
				}
				written.Add(int64(len(kvs)))
				for {
					cur := lastTx.Load()
					if hdr.GetId() <= cur || lastTx.CompareAndSwap(cur, hdr.GetId()) {
						break
					}
				}
			}
		}(clis[g%len(clis)])
	}
	wg.Wait()
	if first != nil {
		return first
	}
	w.preloaded = int(written.Load())
	if _, err := clis[0].GetSince(ctx, keys[len(keys)-1], lastTx.Load()); err != nil {
		return fmt.Errorf("wait for the index to reach tx %d: %w", lastTx.Load(), err)
	}
	return nil
}

// worker returns the operation of worker n, bound to its client.
func (w *serverWorkload) worker(n int, cl *client.Client) serverOp {
	rng := rand.New(rand.NewPCG(uint64(n), 0x1b3d))
	switch w.c.workload {
	case "set":
		return func(ctx context.Context, i int64) (int, error) {
			k := w.writeKey(i, 0)
			_, err := cl.Set(ctx, k, w.valueFor(k))
			return 1, err
		}
	case "setall":
		var bt setAllBatch
		return func(ctx context.Context, i int64) (int, error) {
			_, err := cl.SetAll(ctx, w.fillSetAll(&bt, i))
			return setAllEntries, err
		}
	case "verifiedset":
		return func(ctx context.Context, i int64) (int, error) {
			k := w.writeKey(i, 0)
			_, err := cl.VerifiedSet(ctx, k, w.valueFor(k))
			return 1, err
		}
	case "get", "verifiedget":
		verified := w.c.workload == "verifiedget"
		return func(ctx context.Context, _ int64) (int, error) {
			return 1, w.get(ctx, cl, w.readKey(rng.IntN(w.readKeys)), verified)
		}
	case "mixed":
		return func(ctx context.Context, i int64) (int, error) {
			if i%5 == 0 { // one write in five
				k := w.writeKey(i, 0)
				_, err := cl.Set(ctx, k, w.valueFor(k))
				return 1, err
			}
			return 1, w.get(ctx, cl, w.readKey(rng.IntN(w.readKeys)), false)
		}
	case "scan":
		return func(ctx context.Context, _ int64) (int, error) {
			es, err := cl.Scan(ctx, &schema.ScanRequest{Prefix: w.scanPrefix(rng.IntN(w.scanPfx)), Limit: scanLimit})
			if err != nil {
				return 0, err
			}
			if n := len(es.GetEntries()); n != scanLimit {
				return n, fmt.Errorf("%w: scan returned %d entries, want %d", ErrWrongAnswer, n, scanLimit)
			}
			return scanLimit, nil
		}
	case "history":
		return func(ctx context.Context, _ int64) (int, error) {
			k := w.histKey(rng.IntN(w.histKeys))
			es, err := cl.History(ctx, &schema.HistoryRequest{Key: k, Limit: historyRevisions})
			if err != nil {
				return 0, err
			}
			if n := len(es.GetEntries()); n != historyRevisions {
				return n, fmt.Errorf("%w: history of %q returned %d entries, want %d", ErrWrongAnswer, k, n, historyRevisions)
			}
			return historyRevisions, nil
		}
	}
	// resolve rejects every other name before a worker is built.
	return func(context.Context, int64) (int, error) {
		return 0, fmt.Errorf("%w: unknown workload %q", ErrBadFlags, w.c.workload)
	}
}

// get reads key (verified or not) and checks its value.
func (w *serverWorkload) get(ctx context.Context, cl *client.Client, key []byte, verified bool) error {
	var e *schema.Entry
	var err error
	if verified {
		e, err = cl.VerifiedGet(ctx, key)
	} else {
		e, err = cl.Get(ctx, key)
	}
	if err != nil {
		return err
	}
	if !bytes.Equal(e.GetValue(), w.valueFor(key)) {
		return fmt.Errorf("%w: value of %q differs from the preloaded one", ErrWrongAnswer, key)
	}
	return nil
}

package torture

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/client"
	"github.com/attestdb/attestdb/embedded/store"
	"github.com/attestdb/attestdb/proof"
)

var (
	flagFlips      = flag.Int("tamper.flips", 0, "single-bit flips (0: 60, or 26 with -short; make tamper passes 300)")
	flagTamperTxs  = flag.Int("tamper.txs", 0, "txs written to the database at rest (0: 3000, or 500 with -short)")
	flagTamperSeed = flag.Uint64("tamper.seed", 0, "random seed (0: from the clock)")
)

// Layers that catch a flip, and the two other outcomes.
const (
	LayerEngineOpen   = "engine-open"   // store.Open refuses the directory
	LayerTrustedState = "trusted-state" // last tx or its Alh moved: no proof from a client's state can exist
	LayerIntegrity    = "integrity"     // store.VerifyDir (before Open) or VerifyAll (VerifyIntegrity + VerifyFiles) fails
	LayerEngineRead   = "engine-read"   // a read returns an error instead of data
	LayerIndexRepair  = "index-repair"  // the engine found its key index damaged and rebuilt it from the log; answers right
	LayerServerStart  = "server-start"  // the server refuses to start or to load the database
	LayerClient       = "client"        // the SDK's verification or identity check refuses
	LayerAbort        = "process-abort" // the engine aborted the whole process (a crash, not silent data; fails the test)
	OutcomeHarmless   = "harmless"      // every answer equals the pristine one
	OutcomeConfig     = "config-changed"
	OutcomeUndetected = "undetected" // an answer changed silently
)

// dbRef is what a database answered before any flip (gob-encoded for the
// child process that checks a flipped copy).
type dbRef struct {
	Last uint64
	Alh  proof.Hash
	KVs  []kvRef
}

type kvRef struct {
	Key, Value     []byte
	TxID, Revision uint64
}

func toRefs(kvs []*store.KeyValue) []kvRef {
	out := make([]kvRef, len(kvs))
	for i, kv := range kvs {
		out[i] = kvRef{Key: kv.Key, Value: kv.Value, TxID: kv.TxID, Revision: kv.Revision}
	}
	return out
}

type tamperEnv struct {
	snap     *Snapshot
	state    *Snapshot // the clients' state dir after the writes
	port     int
	refs     map[string]*dbRef // engine dir (rel) → answers
	refFiles map[string]string // engine dir (rel) → gob file of its answers
	settings map[string]any    // rel path of settings.json → parsed content
	keys     [][]byte          // sample of defaultdb keys the client reads
	work     string
}

// target is a byte range of one file that flips may hit.
type target struct {
	file   int
	lo, hi int64
}

// TestTamperDetection flips single bits all over a database at rest and
// checks each one is caught by some layer or changes no answer.
func TestTamperDetection(t *testing.T) {
	flips := *flagFlips
	if flips <= 0 {
		flips = 60
		if testing.Short() {
			flips = 26
		}
	}
	seed := *flagTamperSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed=%d (rerun with -tamper.seed=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0x74616d70))

	txs := *flagTamperTxs
	if txs <= 0 {
		txs = 3000
		if testing.Short() {
			txs = 500
		}
	}
	env := buildAtRest(t, txs, rng)
	targets := map[string][]target{}
	for i, f := range env.snap.Files {
		if f.Size == 0 {
			continue
		}
		k := Kind(f.Path, 0, f.DataEnd)
		if k == KindLog {
			targets[KindLog] = append(targets[KindLog], target{i, 0, f.DataEnd})
			if f.DataEnd < f.Size {
				targets[KindLogTail] = append(targets[KindLogTail], target{i, f.DataEnd, f.Size})
			}
			continue
		}
		targets[k] = append(targets[k], target{i, 0, f.Size})
	}
	kinds := make([]string, 0, len(targets))
	for k := range targets {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	t.Logf("file kinds: %s", strings.Join(kinds, ", "))

	// counts[kind][outcome]
	counts := map[string]map[string]int{}
	var undetected []string
	var unchecked []string // engine-file flips no layer reported
	for n := 0; n < flips; n++ {
		kind := kinds[n%len(kinds)] // every kind gets its share
		tg := pick(targets[kind], rng)
		f := &env.snap.Files[tg.file]
		off := tg.lo + rng.Int64N(tg.hi-tg.lo)
		bit := uint(rng.IntN(8))
		outcome, detail := env.flipOne(t, n, f.Path, off, bit)
		detail = firstLine(detail)
		if counts[kind] == nil {
			counts[kind] = map[string]int{}
		}
		counts[kind][outcome]++
		if outcome == OutcomeUndetected || outcome == OutcomeConfig || outcome == LayerAbort {
			undetected = append(undetected, fmt.Sprintf("%s %s@%d bit %d: %s: %s", outcome, f.Path, off, bit, kind, detail))
		}
		if outcome == OutcomeHarmless && EngineDir(f.Path) != "" {
			unchecked = append(unchecked, fmt.Sprintf("%s@%d bit %d: %s", f.Path, off, bit, kind))
		}
	}

	var detected, harmless, silent, config, aborts int
	var table strings.Builder
	outs := []string{LayerEngineOpen, LayerTrustedState, LayerIntegrity, LayerEngineRead, LayerIndexRepair, LayerAbort, LayerServerStart, LayerClient, OutcomeHarmless, OutcomeConfig, OutcomeUndetected}
	fmt.Fprintf(&table, "%-15s", "kind")
	for _, o := range outs {
		fmt.Fprintf(&table, " %14s", o)
	}
	table.WriteString("\n")
	for _, k := range kinds {
		fmt.Fprintf(&table, "%-15s", k)
		for _, o := range outs {
			c := counts[k][o]
			fmt.Fprintf(&table, " %14d", c)
			switch o {
			case OutcomeHarmless:
				harmless += c
			case OutcomeUndetected:
				silent += c
			case OutcomeConfig:
				config += c
			case LayerAbort:
				aborts += c
				detected += c
			default:
				detected += c
			}
		}
		table.WriteString("\n")
	}
	fmt.Print(table.String())
	for _, u := range undetected {
		fmt.Println(u)
		t.Log(u)
	}
	if silent > 0 {
		t.Errorf("%d flips changed an answer silently", silent)
	}
	for _, u := range unchecked {
		fmt.Println("not reported by the integrity check:", u)
	}
	if len(unchecked) > 0 {
		// The integrity check covers every byte of every engine file
		// (store.VerifyDir and VerifyAll), harmless or not.
		t.Errorf("%d flips in engine files went unreported", len(unchecked))
	}
	if aborts > 0 {
		// Damage must be reported or repaired, never take the process down.
		t.Errorf("%d flips made the engine exit", aborts)
	}
	fmt.Printf("harmless=%d config-changed=%d\n", harmless, config)
	fmt.Printf("flips=%d detected=%d undetected=%d\n", flips, detected, silent)
}

func pick(ts []target, rng *rand.Rand) target {
	var total int64
	for _, t := range ts {
		total += t.hi - t.lo
	}
	x := rng.Int64N(total)
	for _, t := range ts {
		if x < t.hi-t.lo {
			return t
		}
		x -= t.hi - t.lo
	}
	return ts[len(ts)-1]
}

// freePort finds a loopback port for the server, so that the client's
// identity pin (per address) applies to every restart.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// buildAtRest writes txs through the real server (single and multi-entry
// txs, overwrites, verified writes), stops it cleanly and records the
// snapshot and every database's answers.
func buildAtRest(t *testing.T, txs int, rng *rand.Rand) *tamperEnv {
	t.Helper()
	base := t.TempDir()
	env := &tamperEnv{port: freePort(t), work: filepath.Join(base, "work"), refs: map[string]*dbRef{}, refFiles: map[string]string{}, settings: map[string]any{}}
	dataDir, stateDir := filepath.Join(base, "pristine"), filepath.Join(base, "state")
	srv, err := Start(immudbBin, dataDir, filepath.Join(base, "pristine.log"), "--port", fmt.Sprint(env.port))
	if err != nil {
		t.Fatal(err)
	}
	const writers = 8
	clients := connect(t, srv, []string{stateDir, stateDir, stateDir, stateDir, stateDir, stateDir, stateDir, stateDir}[:writers])
	seed := rng.Uint64()
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(w)))
			for i := w; i < txs; i += writers {
				ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
				key := fmt.Appendf(nil, "k%05d", r.IntN(txs)) // overwrites happen
				val := bytes.Repeat([]byte{byte(i)}, 1+r.IntN(300))
				var err error
				switch i % 10 {
				case 0:
					_, err = c.VerifiedSet(ctx, key, val)
				case 1:
					req := &schema.SetRequest{}
					for j := range 1 + r.IntN(8) {
						req.KVs = append(req.KVs, &schema.KeyValue{Key: fmt.Appendf(nil, "m%05d-%d", i, j), Value: val[:1+r.IntN(len(val))]})
					}
					_, err = c.SetAll(ctx, req)
				default:
					_, err = c.Set(ctx, key, val)
				}
				cancel()
				if err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	// The clients end with a trusted state at the last tx.
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	if _, err := clients[0].VerifiedGet(ctx, []byte("k00000")); err != nil && !client.IsKeyNotFound(err) {
		t.Fatalf("verified get: %v", err)
	}
	cancel()
	closeAll(clients)
	if err := srv.Stop(30 * time.Second); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if env.snap, err = TakeSnapshot(dataDir); err != nil {
		t.Fatal(err)
	}
	if env.state, err = TakeSnapshot(stateDir); err != nil {
		t.Fatal(err)
	}

	// Record every database's answers from an untouched copy.
	ref := filepath.Join(base, "ref")
	if err := env.snap.Materialize(ref); err != nil {
		t.Fatal(err)
	}
	for _, f := range env.snap.Files {
		if ed := EngineDir(f.Path); ed != "" && env.refs[ed] == nil {
			r, err := readAnswers(filepath.Join(ref, ed))
			if err != nil {
				t.Fatalf("reference answers of %s: %v", ed, err)
			}
			env.refs[ed] = r
			env.refFiles[ed] = filepath.Join(base, strings.ReplaceAll(ed, "/", "_")+".gob")
			if err := writeGob(env.refFiles[ed], r); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d txs, %d keys", ed, r.Last, len(r.KVs))
		}
		if Kind(f.Path, 0, 0) == KindSettings {
			var v any
			b, _ := os.ReadFile(filepath.Join(ref, f.Path))
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatalf("settings %s: %v", f.Path, err)
			}
			env.settings[f.Path] = v
		}
	}
	for _, kv := range env.refs["defaultdb/data"].KVs {
		if rng.IntN(50) == 0 || len(env.keys) == 0 {
			env.keys = append(env.keys, kv.Key)
		}
	}
	return env
}

// readAnswers opens an engine dir and reads its state and every key.
func readAnswers(dir string) (*dbRef, error) {
	o := store.DefaultOptions()
	st, err := store.Open(dir, &o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", LayerEngineOpen, err)
	}
	defer st.Close()
	r := &dbRef{}
	r.Last, r.Alh = st.LastCommitted()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := st.WaitForIndexedUpTo(ctx, r.Last); err != nil {
		return nil, fmt.Errorf("%s: %w", LayerEngineRead, err)
	}
	kvs, err := st.Scan(store.ScanOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", LayerEngineRead, err)
	}
	r.KVs = toRefs(kvs)
	return r, nil
}

// flipOne materializes a copy with one bit flipped and classifies it.
func (env *tamperEnv) flipOne(t *testing.T, n int, rel string, off int64, bit uint) (string, string) {
	t.Helper()
	dir := filepath.Join(env.work, fmt.Sprint(n))
	defer os.RemoveAll(dir)
	if err := env.snap.Materialize(dir); err != nil {
		t.Fatal(err)
	}
	if err := FlipBit(dir, rel, off, bit); err != nil {
		t.Fatal(err)
	}
	if ed := EngineDir(rel); ed != "" {
		return childEngineOutcome(filepath.Join(dir, ed), env.refFiles[ed])
	}
	return env.serverOutcome(t, dir, rel)
}

// engineOutcome checks a flipped engine dir in layer order.
func engineOutcome(dir string, ref *dbRef) (string, string) {
	o := store.DefaultOptions()
	// Only Close checkpoints, so the check sees CHECKPOINT as Open left it.
	o.CheckpointInterval = time.Hour
	// The at-rest part of the integrity check runs before Open, which
	// rewrites Pebble's OPTIONS file and WAL; its verdict counts after the
	// layers that come first.
	atRest := store.VerifyDir(dir, &o)
	st, err := store.Open(dir, &o)
	if err != nil {
		return LayerEngineOpen, err.Error()
	}
	defer st.Close()
	last, alh := st.LastCommitted()
	if last != ref.Last || alh != ref.Alh {
		return LayerTrustedState, fmt.Sprintf("last tx %d (want %d)", last, ref.Last)
	}
	if atRest != nil {
		return LayerIntegrity, "at rest: " + atRest.Error()
	}
	if err := st.VerifyAll(); err != nil {
		return LayerIntegrity, err.Error()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := st.WaitForIndexedUpTo(ctx, last); err != nil {
		return LayerEngineRead, err.Error()
	}
	kvs, err := st.Scan(store.ScanOptions{})
	if err != nil {
		return LayerEngineRead, err.Error()
	}
	if d := diffKVs(ref.KVs, toRefs(kvs)); d != "" {
		return OutcomeUndetected, "scan: " + d
	}
	for _, want := range ref.KVs {
		got, err := st.Get(want.Key, 0)
		switch {
		case errors.Is(err, store.ErrKeyNotFound):
			return OutcomeUndetected, fmt.Sprintf("get %q: not found", want.Key)
		case err != nil:
			return LayerEngineRead, err.Error()
		}
		if d := diffKVs([]kvRef{want}, toRefs([]*store.KeyValue{got})); d != "" {
			return OutcomeUndetected, "get: " + d
		}
	}
	if n := st.IndexRepairs(); n > 0 {
		return LayerIndexRepair, fmt.Sprintf("%d index rebuilds", n)
	}
	return OutcomeHarmless, ""
}

func diffKVs(want, got []kvRef) string {
	if len(want) != len(got) {
		return fmt.Sprintf("%d keys, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if !bytes.Equal(w.Key, g.Key) || w.TxID != g.TxID || w.Revision != g.Revision || !bytes.Equal(w.Value, g.Value) {
			return fmt.Sprintf("key %q: tx %d rev %d, want %q tx %d rev %d", g.Key, g.TxID, g.Revision, w.Key, w.TxID, w.Revision)
		}
	}
	return ""
}

// serverOutcome runs the real server on a directory whose server-level
// file (settings, identity) was flipped and reads through a client that
// kept its trusted state and identity pin from before the flip.
func (env *tamperEnv) serverOutcome(t *testing.T, dir, rel string) (string, string) {
	t.Helper()
	stateDir := dir + ".state"
	defer os.RemoveAll(stateDir)
	if err := env.state.Materialize(stateDir); err != nil {
		t.Fatal(err)
	}
	srv, err := Start(immudbBin, dir, dir+".log", "--port", fmt.Sprint(env.port))
	defer os.Remove(dir + ".log")
	if err != nil {
		if errors.Is(err, ErrExited) {
			return LayerServerStart, firstLine(err.Error())
		}
		t.Fatalf("server on flipped copy: %v", err)
	}
	defer srv.Stop(30 * time.Second)
	o := client.DefaultOptions().WithAddress(srv.Host).WithPort(srv.Port).WithDir(stateDir)
	o.KeepAliveInterval = 0
	c, err := client.New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	if err := c.OpenSession(ctx, []byte("immudb"), []byte("immudb"), "defaultdb"); err != nil {
		if client.StatusCode(err) != 0 || errors.Is(err, client.ErrServerIdentityChanged) {
			return LayerServerStart, "open session: " + err.Error()
		}
		t.Fatalf("open session: %v", err)
	}
	defer c.CloseSession(context.Background())
	ref := env.refs["defaultdb/data"]
	byKey := map[string]kvRef{}
	for _, kv := range ref.KVs {
		byKey[string(kv.Key)] = kv
	}
	for _, k := range env.keys {
		e, err := c.VerifiedGet(ctx, k)
		if err != nil {
			return LayerClient, err.Error()
		}
		w := byKey[string(k)]
		if !bytes.Equal(e.GetValue(), w.Value) || e.GetTx() != w.TxID {
			return OutcomeUndetected, fmt.Sprintf("verified get %q: tx %d, want %d", k, e.GetTx(), w.TxID)
		}
	}
	if Kind(rel, 0, 0) == KindSettings {
		var v any
		b, _ := os.ReadFile(filepath.Join(dir, rel))
		if json.Unmarshal(b, &v) == nil && !equalJSON(v, env.settings[rel]) {
			return OutcomeConfig, "the server runs with a changed setting"
		}
	}
	return OutcomeHarmless, ""
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// The engine check of a flipped copy runs in a child process (this test
// binary, see TestMain): Pebble aborts the process on some corruptions, and
// that must be counted, not end the sweep.
const childEnv = "TORTURE_ENGINE_CHECK"

func childEngineOutcome(dir, refFile string) (string, string) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir+"\n"+refFile)
	out, err := cmd.Output()
	if line, ok := strings.CutPrefix(string(out), "OUTCOME\t"); ok {
		layer, detail, _ := strings.Cut(strings.TrimRight(line, "\n"), "\t")
		return layer, detail
	}
	var stderr []byte
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = ee.Stderr
	}
	return LayerAbort, fmt.Sprintf("%v: %s", err, firstLine(string(stderr)))
}

// runEngineChild is the child side: it prints one OUTCOME line.
func runEngineChild(arg string) {
	dir, refFile, _ := strings.Cut(arg, "\n")
	var ref dbRef
	if err := readGob(refFile, &ref); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	layer, detail := engineOutcome(dir, &ref)
	fmt.Printf("OUTCOME\t%s\t%s\n", layer, strings.ReplaceAll(firstLine(detail), "\t", " "))
}

func writeGob(path string, v any) error {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(v); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func readGob(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return gob.NewDecoder(bytes.NewReader(b)).Decode(v)
}

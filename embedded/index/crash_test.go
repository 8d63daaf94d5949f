package index

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Deterministic workload: tx t writes 1..4 of 50 keys, so any prefix of it
// can be rebuilt in the model.
func workloadTx(t uint64) []kv {
	n := 1 + int(t%4)
	out := make([]kv, n)
	for j := 0; j < n; j++ {
		k := fmt.Sprintf("k\x00%02d", (t*7+uint64(j)*13)%50)
		out[j] = kv{k, fmt.Sprintf("%d/%d", t, j)}
	}
	return out
}

func workloadModel(upTo uint64) *model {
	m := newModel()
	for t := uint64(1); t <= upTo; t++ {
		for _, e := range workloadTx(t) {
			m.add(t, e.k, e.v)
		}
	}
	m.last = upTo
	return m
}

// applyWorkload applies txs from..to in batches of batch txs.
func applyWorkload(t testing.TB, ix *Index, from, to uint64, batch int) {
	t.Helper()
	for tx := from; tx <= to; {
		b := ix.NewBatch()
		for i := 0; i < batch && tx <= to; i, tx = i+1, tx+1 {
			b.Begin(tx)
			for _, e := range workloadTx(tx) {
				b.Add([]byte(e.k), []byte(e.v))
			}
		}
		if err := ix.Apply(b); err != nil {
			t.Fatalf("Apply up to tx %d: %v", tx-1, err)
		}
		b.Close()
	}
}

// checkExactly verifies that the index holds exactly the workload up to
// IndexedUpTo: every version of every key, nothing newer.
func checkExactly(t *testing.T, ix *Index) {
	t.Helper()
	w := ix.IndexedUpTo()
	m := workloadModel(w)
	keys, vers := collect(t, ix, ScanOptions{})
	wk, wv := m.scan(ScanOptions{})
	if !slices.Equal(keys, wk) || !slices.EqualFunc(vers, wv, sameVersion) {
		t.Fatalf("at watermark %d: scan = %q, want %q", w, keys, wk)
	}
	for k, want := range m.versions {
		got, err := ix.History([]byte(k), 0, 0, false, 0)
		if err != nil || !slices.EqualFunc(got, want, sameVersion) {
			t.Fatalf("at watermark %d: History(%q) = %s, %v; want %s", w, k, fmtVersions(got), err, fmtVersions(want))
		}
	}
}

// TestCrashWithoutFlush: closing without a flush loses the memtables, like
// a crash. The reopened index claims no more than what it kept, holds
// exactly the txs up to its watermark, refuses already-kept txs, and
// re-applying from the watermark gives the full state.
func TestCrashWithoutFlush(t *testing.T) {
	dir := t.TempDir()
	ix := openTest(t, dir)
	applyWorkload(t, ix, 1, 100, 7)
	if err := ix.Close(); err != nil { // clean: saves the key filter at 100
		t.Fatal(err)
	}
	for round, flushAt := range []uint64{0, 150, 180} {
		ix = openTest(t, dir)
		start := ix.IndexedUpTo()
		if start < 100 {
			t.Fatalf("round %d: watermark %d below the flushed 100", round, start)
		}
		kept := start
		if flushAt > start {
			applyWorkload(t, ix, start+1, flushAt, 9)
			if err := ix.Flush(); err != nil {
				t.Fatal(err)
			}
			kept = flushAt
		}
		applyWorkload(t, ix, ix.IndexedUpTo()+1, kept+40, 5)
		if err := ix.closeNoFlush(); err != nil {
			t.Fatal(err)
		}

		ix = openTest(t, dir)
		w := ix.IndexedUpTo()
		if w < kept || w > kept+40 {
			t.Fatalf("round %d: watermark %d, want within [%d, %d]", round, w, kept, kept+40)
		}
		checkExactly(t, ix)
		// A tx that was kept cannot be applied again.
		b := ix.NewBatch()
		b.Begin(w)
		b.Add([]byte("x"), nil)
		if err := ix.Apply(b); !errors.Is(err, ErrOutOfOrder) {
			t.Fatalf("re-applying kept tx %d: %v, want ErrOutOfOrder", w, err)
		}
		b.Close()
		applyWorkload(t, ix, w+1, kept+40, 3)
		checkExactly(t, ix)
		if err := ix.closeNoFlush(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCrashKill runs an applier in a child process, kills it with SIGKILL
// at a random point, and checks the reopened index (several cycles).
func TestCrashKill(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(7, 7))
	cycles := 4
	if raceEnabled {
		cycles = 2 // the instrumented child is slow
	}
	for cycle := 0; cycle < cycles; cycle++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
		cmd.Env = append(os.Environ(), "INDEX_CRASH_DIR="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		stopAfter := 20 + r.IntN(300)
		if raceEnabled {
			stopAfter = 5 + r.IntN(30)
		}
		var flushed, applied uint64
		record := func(line string) {
			f := strings.Fields(line)
			if len(f) != 2 {
				return
			}
			n, _ := strconv.ParseUint(f[1], 10, 64)
			switch f[0] {
			case "flushed":
				flushed = n
			case "applied":
				applied = n
			}
		}
		for lines := 0; lines < stopAfter && sc.Scan(); lines++ {
			record(sc.Text())
		}
		cmd.Process.Kill()
		// The child ran on until the kill: what it printed meanwhile is
		// still in the pipe and tells how far it got.
		for sc.Scan() {
			record(sc.Text())
		}
		cmd.Wait()

		ix := openTest(t, dir)
		w := ix.IndexedUpTo()
		if w < flushed {
			t.Fatalf("cycle %d: watermark %d below flushed %d", cycle, w, flushed)
		}
		// At most one apply (≤ crashChildTxs txs) ended after its last line.
		if w > applied+crashChildTxs {
			t.Fatalf("cycle %d: watermark %d beyond the last applied %d + %d", cycle, w, applied, crashChildTxs)
		}
		checkExactly(t, ix)
		t.Logf("cycle %d: flushed %d, applied ≥ %d, reopened at %d", cycle, flushed, applied, w)
		if cycle%2 == 0 {
			err = ix.Close() // saves the key filter
		} else {
			err = ix.closeNoFlush()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// crashChildTxs bounds the txs of one apply of TestCrashChild.
const crashChildTxs = 200

// TestCrashChild is the child of TestCrashKill; it only runs when asked.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("INDEX_CRASH_DIR")
	if dir == "" {
		t.Skip("child of TestCrashKill")
	}
	ix, err := Open(Options{Dir: dir, MemTableSize: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(uint64(os.Getpid()), 1))
	for i := 0; ; i++ {
		w := ix.IndexedUpTo()
		applyWorkload(t, ix, w+1, w+uint64(1+r.IntN(crashChildTxs)), 1+r.IntN(50))
		fmt.Printf("applied %d\n", ix.IndexedUpTo())
		if i%50 == 49 || (raceEnabled && i%5 == 4) {
			if err := ix.Flush(); err != nil {
				t.Fatal(err)
			}
			fmt.Printf("flushed %d\n", ix.IndexedUpTo())
		}
	}
}

package store

import (
	"bufio"
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var crashCycles = flag.Int("crash-cycles", 50, "kill/reopen cycles of TestProcessCrash")

const crashChildEnv = "ATTESTDB_CRASH_CHILD_DIR"

func procCrashOptions() *Options {
	o := DefaultOptions()
	o.FileSize = 1 << 20
	o.CheckpointInterval = 10 * time.Millisecond
	return &o
}

// TestCrashChild is the child side of TestProcessCrash: it commits from
// many goroutines in synced mode and prints every acknowledged tx until it
// is killed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("child process of TestProcessCrash only")
	}
	cycle := os.Getenv("ATTESTDB_CRASH_CYCLE")
	s, err := Open(dir, procCrashOptions())
	if err != nil {
		fmt.Printf("open-error %v\n", err)
		os.Exit(3)
	}
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	fmt.Fprintln(out, "ready")
	out.Flush()
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				key := fmt.Sprintf("c%s-w%d-%d", cycle, w, i)
				h, err := s.Commit(context.Background(), TxRequest{Entries: []Entry{{Key: []byte(key), Value: []byte("v-" + key)}}})
				if err != nil {
					fmt.Printf("commit-error %v\n", err)
					os.Exit(4)
				}
				alh, _ := h.Alh()
				mu.Lock()
				fmt.Fprintf(out, "ack %d %x %s\n", h.ID, alh, key)
				out.Flush()
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
}

// TestProcessCrash runs the engine in a child process under concurrent
// synced load, SIGKILLs it at random moments, reopens, and checks that
// every acknowledged tx is present with its Alh, that the chain verifies,
// and that the index answers for every acknowledged key.
func TestProcessCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the process crash test runs a child process per cycle (~0.3 s each)")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	type ack struct {
		alh string
		key string
	}
	acked := map[uint64]ack{}
	for cycle := 0; cycle < *crashCycles; cycle++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir, "ATTESTDB_CRASH_CYCLE="+strconv.Itoa(cycle))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1024)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Kill at a random moment after the child is ready.
		var killAt <-chan time.Time
		n := 0
	read:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					break read
				}
				switch {
				case l == "ready":
					killAt = time.After(time.Duration(rng.IntN(150_000)) * time.Microsecond)
				case strings.HasPrefix(l, "ack "):
					f := strings.Fields(l)
					if len(f) != 4 {
						continue // torn line
					}
					id, _ := strconv.ParseUint(f[1], 10, 64)
					acked[id] = ack{f[2], f[3]}
					n++
				default:
					t.Fatalf("cycle %d: child said %q", cycle, l)
				}
			case <-killAt:
				cmd.Process.Signal(syscall.SIGKILL)
				killAt = nil
			}
		}
		cmd.Wait()

		s, err := Open(dir, procCrashOptions())
		if err != nil {
			t.Fatalf("cycle %d: reopen: %v", cycle, err)
		}
		last, _ := s.LastCommitted()
		for id, a := range acked {
			if id > last {
				t.Fatalf("cycle %d: acknowledged tx %d lost (recovered %d)", cycle, id, last)
			}
			alh, err := s.Alh(id)
			if err != nil || hex.EncodeToString(alh[:]) != a.alh {
				t.Fatalf("cycle %d: tx %d alh %x (%v), acknowledged %s", cycle, id, alh, err, a.alh)
			}
		}
		if last > 0 {
			if err := s.VerifyIntegrity(1, last); err != nil {
				t.Fatalf("cycle %d: %v", cycle, err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if err := s.WaitForIndexedUpTo(ctx, last); err != nil {
			t.Fatalf("cycle %d: index: %v", cycle, err)
		}
		cancel()
		// Spot-check the index on this cycle's and older acknowledged keys.
		checked := 0
		for id, a := range acked {
			if checked > 200 {
				break
			}
			kv, err := s.Get([]byte(a.key), 0)
			if err != nil || kv.TxID != id || string(kv.Value) != "v-"+a.key {
				t.Fatalf("cycle %d: Get(%s) = %+v, %v; want tx %d", cycle, a.key, kv, err, id)
			}
			checked++
		}
		if err := s.Close(); err != nil {
			t.Fatalf("cycle %d: close: %v", cycle, err)
		}
		t.Logf("cycle %d: %d acks, recovered up to tx %d", cycle, n, last)
	}
}

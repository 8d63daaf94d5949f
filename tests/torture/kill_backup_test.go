package torture

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/client"
	"github.com/attestdb/attestdb/proof"
)

var flagBackupCycles = flag.Int("torture.backup-cycles", 0, "kills during a backup and during a restore (0: 4, or 2 with -short)")

// adminPassword is the superuser's password in these tests: set with
// --admin-password, so immuadmin's first login needs no password change.
const adminPassword = "Admin1!pass"

// adminTimeout bounds every immuadmin run: a run that outlives it hung.
const adminTimeout = 60 * time.Second

var (
	immuadminOnce sync.Once
	immuadminBin  string
	immuadminErr  error
)

// buildImmuadmin compiles cmd/immuadmin next to the server binary (the
// directory TestMain removes) once for the package.
func buildImmuadmin(t *testing.T) string {
	t.Helper()
	immuadminOnce.Do(func() {
		bin := filepath.Join(filepath.Dir(immudbBin), "immuadmin")
		out, err := exec.Command("go", "build", "-o", bin, "github.com/attestdb/attestdb/cmd/immuadmin").CombinedOutput()
		if err != nil {
			immuadminErr = fmt.Errorf("build immuadmin: %w\n%s", err, out)
			return
		}
		immuadminBin = bin
	})
	if immuadminErr != nil {
		t.Fatal(immuadminErr)
	}
	return immuadminBin
}

// admin runs the immuadmin program against one server, with its token and
// home in dir.
type admin struct {
	bin, dir string
	port     int
}

// adminRun is one immuadmin process.
type adminRun struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	cancel         context.CancelFunc
	ctx            context.Context
}

func (a *admin) start(t *testing.T, args ...string) *adminRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	r := &adminRun{ctx: ctx, cancel: cancel}
	r.cmd = exec.CommandContext(ctx, a.bin, args...)
	r.cmd.Dir = a.dir
	r.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + a.dir,
		"IMMUADMIN_IMMUDB_ADDRESS=127.0.0.1", fmt.Sprint("IMMUADMIN_IMMUDB_PORT=", a.port),
		"IMMUADMIN_PASSWORD=" + adminPassword, "IMMUADMIN_TOKENFILE=" + filepath.Join(a.dir, "token")}
	r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
	if err := r.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("immuadmin %v: %v", args, err)
	}
	return r
}

// wait returns the exit code; a run that outlived adminTimeout fails the
// test (a hang is never an acceptable answer to a dead server).
func (r *adminRun) wait(t *testing.T) int {
	t.Helper()
	defer r.cancel()
	err := r.cmd.Wait()
	if r.ctx.Err() != nil {
		t.Fatalf("immuadmin %v hung for %v; stderr:\n%s", r.cmd.Args[1:], adminTimeout, r.stderr.String())
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("immuadmin %v: %v", r.cmd.Args[1:], err)
	return -1
}

// must runs immuadmin to completion and fails the test unless it succeeds.
func (a *admin) must(t *testing.T, args ...string) string {
	t.Helper()
	r := a.start(t, args...)
	if code := r.wait(t); code != 0 {
		t.Fatalf("immuadmin %v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, r.stdout.String(), r.stderr.String())
	}
	return r.stdout.String()
}

// killedErr is the shape of a clear error from a command whose server died:
// progress notes, then one last "Error: " line naming what failed; no
// panic, no stack.
var killedErr = regexp.MustCompile(`(?:^|\n)Error: [^\n]+\n$`)

// checkKilledRun checks how an immuadmin run ended when the server was
// killed under it: success (it finished first) or a non-zero exit with one
// clear error line. It returns the error line, "" on success.
func checkKilledRun(t *testing.T, r *adminRun, what string) string {
	t.Helper()
	code := r.wait(t)
	errText := r.stderr.String()
	if code == 0 {
		return ""
	}
	if !killedErr.MatchString(errText) || strings.Count(errText, "Error: ") != 1 || strings.Contains(errText, "panic") {
		t.Fatalf("%s: exit %d without a clear error; stderr:\n%s", what, code, errText)
	}
	errText = strings.TrimSpace(errText)
	return errText[strings.LastIndex(errText, "Error: "):]
}

// adminClient opens a session on db as the superuser.
func adminClient(t *testing.T, srv *Server, stateDir, db string) *client.Client {
	t.Helper()
	o := client.DefaultOptions().WithAddress(srv.Host).WithPort(srv.Port).WithDir(stateDir)
	o.KeepAliveInterval = 0
	c, err := client.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	if err := c.OpenSession(ctx, []byte("immudb"), []byte(adminPassword), db); err != nil {
		c.Close()
		t.Fatalf("session on %s: %v", db, err)
	}
	return c
}

// txAlhs returns the Alh of txs from..to of the client's database, read
// in pages with TxScan and computed from each header.
func txAlhs(t *testing.T, c *client.Client, from, to uint64) []proof.Hash {
	t.Helper()
	var out []proof.Hash
	for id := from; id <= to; {
		ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
		l, err := c.TxScan(ctx, &schema.TxScanRequest{InitialTx: id, Limit: uint32(min(to-id+1, 500)), NoWait: true})
		cancel()
		if err != nil {
			t.Fatalf("tx scan from %d: %v", id, err)
		}
		if len(l.GetTxs()) == 0 {
			t.Fatalf("tx scan from %d: no txs (want up to %d)", id, to)
		}
		for _, tx := range l.GetTxs() {
			h := tx.GetHeader()
			if h.GetId() != id {
				t.Fatalf("tx scan: tx %d where %d was expected", h.GetId(), id)
			}
			out = append(out, headerHash(t, h))
			id++
		}
	}
	return out
}

// headerHash is the Alh of a header as a server sent it.
func headerHash(t *testing.T, h *schema.TxHeader) proof.Hash {
	t.Helper()
	ph := &proof.TxHeader{ID: h.GetId(), Ts: h.GetTs(), Version: int(h.GetVersion()), NEntries: int(h.GetNentries()), BlTxID: h.GetBlTxId()}
	copy(ph.PrevAlh[:], h.GetPrevAlh())
	copy(ph.Eh[:], h.GetEH())
	copy(ph.BlRoot[:], h.GetBlRoot())
	if m := h.GetMetadata(); m != nil {
		ph.Metadata = proof.TxMetadata{TruncatedUptoTx: m.GetTruncatedTxID(), Extra: m.GetExtra()}
	}
	alh, err := ph.Alh()
	if err != nil {
		t.Fatalf("tx %d: %v", h.GetId(), err)
	}
	return alh
}

// sourceAlhs caches the Alh of every tx of the source database: txs never
// change, so the cache only grows.
type sourceAlhs []proof.Hash

// upTo returns the source's Alhs of txs 1..n, reading the missing ones.
func (s *sourceAlhs) upTo(t *testing.T, c *client.Client, n uint64) []proof.Hash {
	t.Helper()
	if have := uint64(len(*s)); have < n {
		*s = append(*s, txAlhs(t, c, have+1, n)...)
	}
	return (*s)[:n]
}

// sameHistory checks that db (through c) holds n txs whose Alhs equal the
// source's txs 1..n.
func sameHistory(t *testing.T, c *client.Client, src []proof.Hash, what string) {
	t.Helper()
	got := txAlhs(t, c, 1, uint64(len(src)))
	for i := range src {
		if got[i] != src[i] {
			t.Fatalf("%s: tx %d has Alh %x, the source's is %x", what, i+1, got[i][:], src[i][:])
		}
	}
}

// dbState is the last tx id of db and whether db exists.
func dbState(t *testing.T, srv *Server, stateDir, db string) (uint64, bool) {
	t.Helper()
	c := adminClient(t, srv, stateDir, "defaultdb")
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	dl, err := c.DatabaseListV2(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dl.GetDatabases() {
		if d.GetName() == db {
			if _, err := c.UseDatabase(ctx, db); err != nil {
				t.Fatalf("use %s: %v", db, err)
			}
			st, err := c.CurrentState(ctx)
			if err != nil {
				t.Fatalf("state of %s: %v", db, err)
			}
			return st.GetTxId(), true
		}
	}
	return 0, false
}

// TestKillDuringBackup SIGKILLs the server while the real immuadmin backs
// a database up (a writer keeps committing meanwhile), then while it
// restores the backup into a new database. immuadmin must end with one
// clear error line, never hang; the partial backup file must be a valid
// prefix (or be refused with a precise error) that --append completes
// after a restart; the half-restored database must hold a prefix of the
// source's history (or be absent) that a resumed restore completes, with
// every tx's Alh equal to the source's.
func TestKillDuringBackup(t *testing.T) {
	cycles := cyclesOr(*flagBackupCycles, 4, 2)
	seed := uint64(time.Now().UnixNano())
	if *flagSeed != 0 {
		seed = *flagSeed
	}
	t.Logf("seed=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 0x6261636b))
	bin := buildImmuadmin(t)
	base := t.TempDir()
	dataDir, logPath := filepath.Join(base, "data"), filepath.Join(base, "immudb.log")
	state, bk := filepath.Join(base, "state"), filepath.Join(base, "bk")
	for _, d := range []string{state, bk} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var srv *Server
	ad := &admin{bin: bin, dir: base}
	start := func(what string) {
		t.Helper()
		var err error
		if srv, err = Start(immudbBin, dataDir, logPath, "--admin-password", adminPassword); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		// Tokens do not outlive the server process: log in again.
		ad.port = srv.Port
		ad.must(t, "login", "immudb")
	}
	start("start")
	defer func() {
		if !srv.Exited() {
			srv.Kill()
		}
	}()

	// The source: defaultdb with 2000 txs of 4 entries, by 8 writers.
	const writers, txsPerWriter, perTx = 8, 250, 4
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		c := adminClient(t, srv, filepath.Join(state, fmt.Sprint("w", w)), "defaultdb")
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			for i := 0; i < txsPerWriter; i++ {
				req := &schema.SetRequest{}
				for j := 0; j < perTx; j++ {
					req.KVs = append(req.KVs, &schema.KeyValue{Key: fmt.Appendf(nil, "w%d-k%d", w, (i*perTx+j)%300), Value: fmt.Appendf(nil, "tx%d-%d", i, j)})
				}
				ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
				_, err := c.SetAll(ctx, req)
				cancel()
				if err != nil {
					t.Errorf("setup write: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	// Calibrate: one backup and one restore without a kill.
	t0 := time.Now()
	ad.must(t, "backup", "defaultdb", "-o", filepath.Join(bk, "calibrate.backup"), "--progress-bar=false")
	backupTime := time.Since(t0)
	t0 = time.Now()
	out := ad.must(t, "restore", "calibrate", "-i", filepath.Join(bk, "calibrate.backup"), "--progress-bar=false")
	restoreTime := time.Since(t0)
	t.Logf("calibration: backup %v, restore %v (%s)", backupTime, restoreTime, strings.TrimSpace(out))

	var src sourceAlhs
	var cutPrefix, cutRefused int
	var backupFailed, backupDone, refused, prefixes, restoreFailed, restoreDone, absent, empty, partial int
	var errLines []string
	for cycle := 0; cycle < cycles; cycle++ {
		// 1. Kill during a backup while a writer commits.
		file := filepath.Join(bk, fmt.Sprintf("c%d.backup", cycle))
		wc := adminClient(t, srv, filepath.Join(state, "live"), "defaultdb")
		done := make(chan int)
		go func() {
			n := 0
			for {
				ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
				_, err := wc.Set(ctx, fmt.Appendf(nil, "live-%d-%d", cycle, n), []byte("v"))
				cancel()
				if err != nil {
					done <- n
					return
				}
				n++
			}
		}()
		// The two commands write the file with the same code; both are run.
		args := []string{"backup", "defaultdb", "-o", file, "--progress-bar=false"}
		if cycle%2 == 1 {
			args = []string{"hot-backup", "defaultdb", "-o", file}
		}
		delay := time.Duration(rng.Int64N(int64(backupTime))) + backupTime/50
		r := ad.start(t, args...)
		time.Sleep(delay)
		srv.Kill()
		live := <-done
		wc.Close()
		msg := checkKilledRun(t, r, args[0])
		if msg == "" {
			backupDone++
		} else {
			backupFailed++
			errLines = append(errLines, msg)
		}

		// 2. The partial file: a valid prefix, or refused precisely.
		valid := true
		var fileLast string
		if _, err := os.Stat(file); err == nil {
			vr := ad.start(t, "hot-restore", "--verify-only", "-i", file)
			if vr.wait(t) == 0 {
				fileLast = strings.TrimSpace(vr.stdout.String())
				prefixes++
			} else {
				e := vr.stderr.String()
				if !regexp.MustCompile(`^Error: .*(truncated backup file|malformed backup file|backup file does not verify)`).MatchString(e) {
					t.Fatalf("cycle %d: partial backup refused without a precise error:\n%s", cycle, e)
				}
				t.Logf("cycle %d: partial backup refused: %s", cycle, strings.TrimSpace(e))
				refused++
				valid = false
			}
		} else {
			fileLast = "no file"
		}
		t.Logf("cycle %d: %s killed after %v (writer acknowledged %d): %q; partial file: %s", cycle, args[0], delay, live, msg, fileLast)
		// The file as the backup process itself would leave it if it died
		// mid-write: cut at a random byte, it is a whole-record prefix or
		// refused as truncated.
		if b, err := os.ReadFile(file); err == nil && len(b) > 0 {
			cut := filepath.Join(bk, fmt.Sprintf("c%d.cut", cycle))
			if err := os.WriteFile(cut, b[:rng.IntN(len(b))], 0o644); err != nil {
				t.Fatal(err)
			}
			vr := ad.start(t, "hot-restore", "--verify-only", "-i", cut)
			if vr.wait(t) == 0 {
				cutPrefix++
			} else if e := vr.stderr.String(); !regexp.MustCompile(`^Error: .*truncated backup file: .* at offset \d+`).MatchString(e) {
				t.Fatalf("cycle %d: cut backup refused without a precise error:\n%s", cycle, e)
			} else {
				cutRefused++
			}
		}

		// 3. Restart; --append completes a valid prefix (a refused file is
		// redone from scratch).
		start(fmt.Sprintf("cycle %d: restart after a kill during backup", cycle))
		if !valid {
			if err := os.Remove(file); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := os.Stat(file); err == nil {
			ad.must(t, "hot-backup", "defaultdb", "-o", file, "--append")
		} else {
			ad.must(t, "backup", "defaultdb", "-o", file, "--progress-bar=false")
		}
		vOut := strings.TrimSpace(ad.must(t, "hot-restore", "--verify-only", "-i", file))
		var last uint64
		if _, err := fmt.Sscanf(vOut, "Backup file contains transactions from 1 to %d", &last); err != nil {
			t.Fatalf("cycle %d: completed backup: %q", cycle, vOut)
		}
		sc := adminClient(t, srv, filepath.Join(state, "check"), "defaultdb")
		srcAlhs := src.upTo(t, sc, last)
		sc.Close()

		// 4. Kill during a restore of the completed file into a new
		// database.
		target := fmt.Sprintf("restored%d", cycle)
		rargs := []string{"restore", target, "-i", file, "--progress-bar=false"}
		if cycle%2 == 1 {
			rargs = []string{"hot-restore", target, "-i", file}
		}
		delay = time.Duration(rng.Int64N(int64(restoreTime))) + restoreTime/50
		r = ad.start(t, rargs...)
		time.Sleep(delay)
		srv.Kill()
		msg = checkKilledRun(t, r, rargs[0])
		if msg == "" {
			restoreDone++
		} else {
			restoreFailed++
			errLines = append(errLines, msg)
		}
		start(fmt.Sprintf("cycle %d: restart after a kill during restore", cycle))
		n, exists := dbState(t, srv, filepath.Join(state, "check"), target)
		switch {
		case !exists:
			absent++
		case n == 0:
			empty++
		default:
			if n > last {
				t.Fatalf("cycle %d: %s holds %d txs, the file %d", cycle, target, n, last)
			}
			tc := adminClient(t, srv, filepath.Join(state, target), target)
			sameHistory(t, tc, srcAlhs[:n], fmt.Sprintf("cycle %d: half-restored %s", cycle, target))
			tc.Close()
			partial++
		}
		t.Logf("cycle %d: %s killed after %v: %q; after restart %s exists=%v with %d of %d txs", cycle, rargs[0], delay, msg, target, exists, n, last)

		// 5. The restore resumes to completion; every tx's Alh is the
		// source's.
		out := ad.must(t, "restore", target, "-i", file, "--append", "--force-replica", "--verify", "--progress-bar=false")
		if n < last && !strings.Contains(out, "every tx hash (Alh) of database '"+target+"' matches the file") {
			t.Fatalf("cycle %d: resumed restore did not verify:\n%s", cycle, out)
		}
		tc := adminClient(t, srv, filepath.Join(state, target), target)
		sameHistory(t, tc, srcAlhs, fmt.Sprintf("cycle %d: restored %s", cycle, target))
		tc.Close()
		if got, _ := dbState(t, srv, filepath.Join(state, "check"), target); got != last {
			t.Fatalf("cycle %d: %s holds %d txs after the resumed restore, want %d", cycle, target, got, last)
		}
		// Complete means usable: no longer a replica, it takes writes.
		useDatabaseAs(t, srv, filepath.Join(state, target+"-use"), target)
	}
	if err := srv.Stop(30 * time.Second); err != nil {
		t.Errorf("stop: %v", err)
	}
	if _, err := CheckIntegrity(dataDir); err != nil {
		t.Fatalf("integrity: %v", err)
	}
	for _, l := range errLines {
		t.Logf("error seen: %s", l)
	}
	t.Logf("backup kills: cycles=%d backup-failed=%d backup-finished-first=%d partial-valid=%d partial-refused=%d cut-refused=%d cut-prefix=%d restore-failed=%d restore-finished-first=%d target-absent=%d target-empty=%d target-prefix=%d wrong=0",
		cycles, backupFailed, backupDone, prefixes, refused, cutRefused, cutPrefix, restoreFailed, restoreDone, absent, empty, partial)
}

// useDatabaseAs proves a database takes writes: a verified write and read
// as the superuser (whose password these tests set).
func useDatabaseAs(t *testing.T, srv *Server, stateDir, name string) {
	t.Helper()
	c := adminClient(t, srv, stateDir, name)
	defer c.Close()
	verifiedWriteRead(t, c, name, "after-restore")
}

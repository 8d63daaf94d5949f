package immuadmin

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/client"
	"github.com/attestdb/attestdb/proof"
)

// sessionClient opens a session on the script's (or test's) server.
func sessionClient(ctx context.Context, port, password, db string) (*client.Client, error) {
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, err
	}
	cl, err := client.New(client.DefaultOptions().WithAddress("127.0.0.1").WithPort(p).
		WithStateStore(client.NewMemStateStore()).WithKeepAliveInterval(0))
	if err != nil {
		return nil, err
	}
	if err := cl.OpenSession(ctx, []byte("immudb"), []byte(password), db); err != nil {
		_ = cl.Close()
		return nil, err
	}
	return cl, nil
}

// writeTxsCmd: writetxs <password> <db> <n> [prefix] commits n txs of two
// entries each (one with an expiry, so KV metadata travels too).
func writeTxsCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: writetxs password db n [prefix]")
	}
	n, err := strconv.Atoi(args[2])
	ts.Check(err)
	prefix := "k"
	if len(args) > 3 {
		prefix = args[3]
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl, err := sessionClient(ctx, ts.Getenv("IMMUADMIN_IMMUDB_PORT"), args[0], args[1])
	ts.Check(err)
	defer cl.Close()
	ts.Check(writeTxs(ctx, cl, prefix, n))
}

func writeTxs(ctx context.Context, cl *client.Client, prefix string, n int) error {
	for i := 0; i < n; i++ {
		_, err := cl.SetAll(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{
			{Key: []byte(fmt.Sprintf("%s%d", prefix, i)), Value: bytes.Repeat([]byte{byte(i)}, 1+i%300)},
			{Key: []byte(prefix + "-exp"), Value: []byte("e"), Metadata: &schema.KVMetadata{Expiration: &schema.Expiration{ExpiresAt: 4102444800}}},
		}})
		if err != nil {
			return err
		}
	}
	return nil
}

// corruptCmd: corrupt <file> <offset-from-end> flips one byte; truncate
// <file> <n> drops the last n bytes.
func corruptCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: damage flip|cut file n")
	}
	p := ts.MkAbs(args[1])
	b, err := os.ReadFile(p)
	ts.Check(err)
	n, err := strconv.Atoi(args[2])
	ts.Check(err)
	if n <= 0 || n > len(b) {
		ts.Fatalf("offset %d out of range", n)
	}
	switch args[0] {
	case "flip":
		b[len(b)-n] ^= 0x20
	case "cut":
		b = b[:len(b)-n]
	default:
		ts.Fatalf("damage flip|cut")
	}
	ts.Check(os.WriteFile(p, b, 0o600))
}

// alhs returns the Alh of txs 1..n of db.
func alhs(t *testing.T, ctx context.Context, cl *client.Client, db string, n uint64) []proof.Hash {
	t.Helper()
	if _, err := cl.UseDatabase(ctx, db); err != nil {
		t.Fatal(err)
	}
	out := make([]proof.Hash, 0, n)
	for id := uint64(1); id <= n; id++ {
		tx, err := cl.Service().TxById(ctx, &schema.TxRequest{Tx: id})
		if err != nil {
			t.Fatalf("%s tx %d: %v", db, id, err)
		}
		a, err := headerAlh(tx.Header)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

func runMain(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), code
}

// TestHotBackupWhileWriting: a backup taken while a writer keeps
// committing is a consistent prefix; restored under a new name, every tx
// hash equals the source's; a later incremental dump brings the copy up to
// date through import --append.
func TestHotBackupWhileWriting(t *testing.T) {
	dir := t.TempDir()
	ts, err := startTestServer(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer ts.stop()
	t.Setenv("HOME", dir)
	t.Setenv("IMMUADMIN_IMMUDB_ADDRESS", "127.0.0.1")
	t.Setenv("IMMUADMIN_IMMUDB_PORT", ts.port)
	const pw = "Admin1!pass"
	if out, errOut, code := runMain(t, "immudb\n"+pw+"\n"+pw+"\n", "login", "immudb"); code != 0 {
		t.Fatalf("login: %s %s", out, errOut)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cl, err := sessionClient(ctx, ts.port, pw, "defaultdb")
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := writeTxs(ctx, cl, "pre", 50); err != nil {
		t.Fatal(err)
	}

	// A writer runs during the whole backup.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var werr error
	var written int
	started := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		wcl, err := sessionClient(ctx, ts.port, pw, "defaultdb")
		if err != nil {
			werr = err
			return
		}
		defer wcl.Close()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if werr = writeTxs(ctx, wcl, fmt.Sprintf("live%d-", i), 1); werr != nil {
				return
			}
			if written++; written == 5 {
				close(started) // the backup starts with live txs in the log
			}
		}
	}()
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatal("writer did not start")
	}
	bdir := filepath.Join(dir, "bk") + string(os.PathSeparator)
	out, errOut, code := runMain(t, "", "backup", "defaultdb", "-o", bdir)
	close(stop)
	wg.Wait()
	if werr != nil {
		t.Fatal(werr)
	}
	if code != 0 {
		t.Fatalf("backup: %s %s", out, errOut)
	}
	file := filepath.Join(bdir, "defaultdb"+backupExt)
	c, err := scanPath(file)
	if err != nil {
		t.Fatal(err)
	}
	if c.first != 1 || c.last < 55 {
		t.Fatalf("backup holds %d - %d", c.first, c.last)
	}
	t.Logf("backup of %d txs while %d more were written", c.count, written)

	out, errOut, code = runMain(t, "", "restore", "copy", "-i", bdir, "--verify")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("verified %d transactions", c.count)) {
		t.Fatalf("restore: %d %s %s", code, out, errOut)
	}
	src := alhs(t, ctx, cl, "defaultdb", c.last)
	dst := alhs(t, ctx, cl, "copy", c.last)
	for i := range src {
		if src[i] != dst[i] {
			t.Fatalf("tx %d: alh %x in the copy, %x in the source", i+1, dst[i], src[i])
		}
	}
	// The copy is a normal database again: it takes writes.
	if _, err := cl.Set(ctx, []byte("after"), []byte("restore")); err != nil {
		t.Fatalf("write on the restored copy: %v", err)
	}

	// Incremental dump of what the writer added, imported on top of a
	// second copy restored from the first part.
	if _, err := cl.UseDatabase(ctx, "defaultdb"); err != nil {
		t.Fatal(err)
	}
	if err := writeTxs(ctx, cl, "post", 3); err != nil {
		t.Fatal(err)
	}
	st, err := cl.Service().CurrentState(ctx, &emptypb.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	dump := filepath.Join(dir, "inc.dump")
	if out, errOut, code := runMain(t, "", "dump", "defaultdb", "-o", dump, "--since-tx", strconv.FormatUint(c.last, 10)); code != 0 {
		t.Fatalf("dump: %s %s", out, errOut)
	}
	if out, errOut, code := runMain(t, "", "import", file, "copy2"); code != 0 {
		t.Fatalf("import first part: %s %s", out, errOut)
	}
	if out, errOut, code := runMain(t, "", "import", dump, "copy2", "--append", "--force-replica", "--verify"); code != 0 {
		t.Fatalf("import increment: %s %s", out, errOut)
	}
	n := st.TxId
	src = alhs(t, ctx, cl, "defaultdb", n)
	dst = alhs(t, ctx, cl, "copy2", n)
	for i := range src {
		if src[i] != dst[i] {
			t.Fatalf("copy2 tx %d differs", i+1)
		}
	}
}

// TestRecordReaderRejects: damaged files give precise errors.
func TestRecordReaderRejects(t *testing.T) {
	content := exportedSample()
	h, _, err := parseExported(content[8:])
	if err != nil {
		t.Fatal(err)
	}
	alh, _ := h.Alh()
	good := appendRecord(nil, 1, alh, content)
	if c, err := scanFile(bytes.NewReader(good)); err != nil || c.count != 1 {
		t.Fatalf("good record: %v", err)
	}
	flip := func(i int) []byte { b := bytes.Clone(good); b[i] ^= 1; return b }
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"magic", flip(0), ErrMalformedBackup},
		{"version", flip(len(recordMagic) + 3), ErrMalformedBackup},
		{"alh length", flip(len(recordMagic) + 4 + 8 + 3), ErrMalformedBackup},
		{"header cut", good[:10], ErrTruncatedBackup},
		{"body cut", good[:len(good)-1], ErrTruncatedBackup},
		{"alh", flip(recordHdrLen), ErrBackupMismatch},
		{"value", flip(len(good) - 5), ErrBackupMismatch},
		{"framing", flip(recordHdrLen + 32 + 7), ErrMalformedBackup},
		{"huge length", func() []byte {
			b := bytes.Clone(good)
			binary.BigEndian.PutUint32(b[len(recordMagic)+16:], 0xffffffff)
			return b
		}(), ErrMalformedBackup},
		{"order", append(bytes.Clone(good), good...), ErrBackupMismatch},
	}
	for _, tc := range cases {
		if _, err := scanFile(bytes.NewReader(tc.b)); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// exportedSample is tx 1 of tx_chain.json in the exported form, framed.
func exportedSample() []byte {
	b, err := os.ReadFile(filepath.Join("testdata", "backup", "tx1.exported"))
	if err != nil {
		panic(err)
	}
	return append(binary.BigEndian.AppendUint64(nil, uint64(len(b))), b...)
}

// FuzzScanFile: any file is read or refused with one of the three backup
// errors, never a panic or a huge allocation.
func FuzzScanFile(f *testing.F) {
	content := exportedSample()
	h, _, err := parseExported(content[8:])
	if err != nil {
		f.Fatal(err)
	}
	alh, _ := h.Alh()
	good := appendRecord(nil, 1, alh, content)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(append(bytes.Clone(good), good[:recordHdrLen]...))
	f.Add([]byte(recordMagic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := scanFile(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, ErrMalformedBackup) && !errors.Is(err, ErrTruncatedBackup) && !errors.Is(err, ErrBackupMismatch) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		if c.count > 0 && c.last-c.first+1 != c.count {
			t.Fatalf("chain %d - %d with %d records", c.first, c.last, c.count)
		}
	})
}

// TestProgress: a bar redrawn in place on a terminal, lines at every 10%
// otherwise, every 1000 txs when the total is unknown, nothing when off.
func TestProgress(t *testing.T) {
	tests := []struct {
		name  string
		p     progress
		adds  int
		check func(string) bool
	}{
		{"bar", progress{label: "backup", total: 4, tty: true}, 4, func(s string) bool {
			return strings.Count(s, "\r") == 4 && strings.Contains(s, "["+strings.Repeat("#", progressBarWidth)+"] 4/4") && strings.HasSuffix(s, "\n")
		}},
		{"lines", progress{label: "restore", total: 20}, 20, func(s string) bool {
			return strings.Count(s, "\n") == 10 && strings.HasSuffix(s, "restore: 20/20 transactions (100%)\n") && !strings.Contains(s, "\r")
		}},
		{"unknown total", progress{label: "hot-restore"}, 2500, func(s string) bool {
			return s == "hot-restore: 1000 transactions\nhot-restore: 2000 transactions\n"
		}},
		{"off", progress{label: "x", total: 3, off: true, tty: true}, 3, func(s string) bool { return s == "" }},
	}
	for _, tc := range tests {
		var b strings.Builder
		p := tc.p
		p.w = &b
		for i := 0; i < tc.adds; i++ {
			p.add(1)
		}
		p.finish()
		if !tc.check(b.String()) {
			t.Errorf("%s: %q", tc.name, b.String())
		}
	}
}

package immuadmin

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/client"
	"github.com/attestdb/attestdb/proof"
)

// restoreOpts are the choices of hot-restore, restore and import.
type restoreOpts struct {
	input        string
	appendTo     bool
	forceReplica bool
	verify       bool // re-read every restored tx and compare its Alh
	bar          bool
	label        string
	immudbText   bool // hot-restore: immudb's messages for the non-empty case
}

func (a *app) hotRestoreCommand() *cobra.Command {
	o := restoreOpts{label: "hot-restore", immudbText: true}
	var verifyOnly, force bool
	c := &cobra.Command{
		Use:   "hot-restore <db_name>",
		Short: "Restore data from backup file",
		Long: "Restore saved transaction from backup file without stopping the database engine. " +
			"Restore can restore the data from scratch or apply only the missing data.",
		Args: func(cmd *cobra.Command, args []string) error {
			if verifyOnly {
				return cobra.ExactArgs(0)(cmd, args)
			}
			return cobra.ExactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if verifyOnly {
				return a.verifyOnly(o.input)
			}
			_ = force // the prevAlh link makes the check --force skipped in immudb possible: always done
			return a.runRestore(cmd.Context(), args[0], o)
		},
	}
	c.Flags().StringVarP(&o.input, "input", "i", "-", "input file file, \"-\" for stdin")
	c.Flags().BoolVar(&verifyOnly, "verify-only", false, "do not restore data, only verify backup")
	c.Flags().BoolVar(&o.appendTo, "append", false, "appending to DB, if it already exists")
	c.Flags().BoolVar(&o.bar, "progress-bar", false, "show progress indicator")
	c.Flags().BoolVar(&force, "force", false, "don't check transaction sequence")
	c.Flags().BoolVar(&o.forceReplica, "force-replica", false, "switch database to replica mode for the duration of restore")
	c.Flags().BoolVar(&o.verify, "verify", false, "after the restore, re-read every restored tx and compare its hash with the file's")
	return c
}

func (a *app) restoreCommand() *cobra.Command {
	o := restoreOpts{label: "restore"}
	c := &cobra.Command{
		Use:   "restore <database>",
		Short: "Restore a backup or dump (file or folder) into a new, empty or earlier-restored database",
		Long: "Replays the transactions of a backup or dump file (or of the one " + backupExt + " file in a folder) " +
			"into <database>, which may have any name: it is created as a replica when missing, and switched back " +
			"to a normal database at the end. Every tx is re-committed with its original header, so its hash (Alh) " +
			"is the original's; --verify re-reads every restored tx and compares. The file is checked completely " +
			"(hash chain, every tx against its hash) before anything is written.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runRestore(cmd.Context(), args[0], o)
		},
	}
	addRestoreFlags(c, &o)
	c.Flags().StringVarP(&o.input, "input", "i", "", "backup or dump file, or a folder holding one "+backupExt+" file")
	return c
}

func (a *app) importCommand() *cobra.Command {
	o := restoreOpts{label: "import"}
	c := &cobra.Command{
		Use:   "import <dump file> <database>",
		Short: "Import a dump into a new (or empty) database; --append imports a later incremental dump",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.input = args[0]
			return a.runRestore(cmd.Context(), args[1], o)
		},
	}
	addRestoreFlags(c, &o)
	return c
}

func addRestoreFlags(c *cobra.Command, o *restoreOpts) {
	c.Flags().BoolVar(&o.appendTo, "append", false, "continue a database restored from an earlier part of the same history")
	c.Flags().BoolVar(&o.forceReplica, "force-replica", false, "switch an existing database to replica mode for the duration of the restore")
	c.Flags().BoolVar(&o.verify, "verify", false, "after the restore, re-read every restored tx and compare its hash with the file's")
	c.Flags().BoolVar(&o.bar, "progress-bar", true, "show progress (a bar on a terminal, lines otherwise)")
}

// openInput opens a backup file, the one *.backup file of a folder, or
// stdin ("-"). total is the number of records when known (files are
// checked completely first), 0 for stdin.
func (a *app) openInput(path string) (r io.Reader, total uint64, closeFn func(), err error) {
	if path == "" {
		return nil, 0, nil, fmt.Errorf("%w: --input is required", ErrBadArgument)
	}
	if path == "-" {
		return bufio.NewReaderSize(a.stdin, 1<<20), 0, func() {}, nil
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		m, _ := filepath.Glob(filepath.Join(path, "*"+backupExt))
		if len(m) != 1 {
			return nil, 0, nil, fmt.Errorf("%w: folder %s holds %d %s files, expected one", ErrBadArgument, path, len(m), backupExt)
		}
		path = m[0]
	}
	c, err := scanPath(path)
	if err != nil {
		return nil, 0, nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, nil, err
	}
	return bufio.NewReaderSize(f, 1<<20), c.count, func() { _ = f.Close() }, nil
}

func (a *app) verifyOnly(path string) error {
	r, _, done, err := a.openInput(path)
	if err != nil {
		return err
	}
	defer done()
	c, err := scanFile(r)
	if err != nil {
		return err
	}
	switch {
	case c.count == 0:
		return a.message("Backup file is empty")
	case c.first == c.last:
		return a.message(fmt.Sprintf("Backup file contains transaction %d", c.first))
	}
	return a.message(fmt.Sprintf("Backup file contains transactions from %d to %d", c.first, c.last))
}

// runRestore replays the records of o.input into db.
func (a *app) runRestore(ctx context.Context, db string, o restoreOpts) (err error) {
	in, total, done, err := a.openInput(o.input)
	if err != nil {
		return err
	}
	defer done()
	cl, err := a.authed(ctx)
	if err != nil {
		return err
	}
	lastTx, lastAlh, switchBack, err := a.prepareTarget(ctx, cl, db, o)
	if err != nil {
		return explainLogin(err)
	}
	if switchBack {
		defer func() {
			uerr := timed(ctx, func(ctx context.Context) error {
				_, err := cl.UpdateDatabaseV2(ctx, db, &schema.DatabaseNullableSettings{
					ReplicationSettings: &schema.ReplicationNullableSettings{Replica: &schema.NullableBool{Value: false}}})
				return err
			})
			if uerr != nil && err == nil {
				err = fmt.Errorf("restored, but switching off replica mode for db failed: %s", statusMessage(uerr))
			}
		}()
	}
	p := a.newProgress(o.label, total, o.bar)
	defer p.finish()
	rr := &recordReader{r: in}
	c := &chain{}
	var applied []proof.Hash // Alh of each restored tx, for --verify
	var first, last uint64
	for {
		rec, err := rr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if err := c.add(rec); err != nil {
			return err
		}
		switch {
		case rec.TxID < lastTx:
			p.add(1)
			continue
		case rec.TxID == lastTx:
			if rec.Alh != lastAlh {
				return fmt.Errorf("checksums for tx %d in backup file and database differ - cannot append data to the database", lastTx)
			}
			p.add(1)
			continue
		case rec.TxID > lastTx+1 && first == 0:
			return fmt.Errorf("there is a gap of %d transaction(s) between database and file - restore not possible", rec.TxID-lastTx-1)
		case lastTx > 0 && first == 0 && rec.Header.PrevAlh != lastAlh:
			return fmt.Errorf("%w: tx %d of the file does not follow tx %d of database '%s' (prevAlh differs)", ErrBackupMismatch, rec.TxID, lastTx, db)
		}
		if err := replicateOne(ctx, cl, rec); err != nil {
			return fmt.Errorf("restoring tx %d: %w", rec.TxID, err)
		}
		if first == 0 {
			first = rec.TxID
		}
		last = rec.TxID
		if o.verify {
			applied = append(applied, rec.Alh)
		}
		p.add(1)
	}
	p.finish()
	p.off = true
	switch {
	case first == 0:
		if err := a.message("Target database is up-to-date, nothing restored"); err != nil {
			return err
		}
	case first == last:
		if err := a.message(fmt.Sprintf("Restored transaction %d", first)); err != nil {
			return err
		}
	default:
		if err := a.message(fmt.Sprintf("Restored transactions from %d to %d", first, last)); err != nil {
			return err
		}
	}
	if !o.verify || first == 0 {
		return nil
	}
	if err := verifyRestored(ctx, cl, first, applied); err != nil {
		return err
	}
	return a.message(fmt.Sprintf("verified %d transactions (%d - %d): every tx hash (Alh) of database '%s' matches the file", len(applied), first, last, db))
}

// restorePrimary is the placeholder primary database of a target that
// restore creates as a replica; with no primary host it marks a replica
// that only a restore switched on.
const restorePrimary = "dummy"

// prepareTarget selects db, creating it as a replica when missing, and
// returns its last tx and Alh. switchBack says replica mode must be turned
// off at the end.
func (a *app) prepareTarget(ctx context.Context, cl *client.Client, db string, o restoreOpts) (lastTx uint64, lastAlh proof.Hash, switchBack bool, err error) {
	var list *schema.DatabaseListResponseV2
	if err = timed(ctx, func(ctx context.Context) (err error) { list, err = cl.DatabaseListV2(ctx); return err }); err != nil {
		return 0, lastAlh, false, err
	}
	var info *schema.DatabaseInfo
	for _, d := range list.GetDatabases() {
		if d.GetName() == db {
			info = d
		}
	}
	if info == nil {
		err = timed(ctx, func(ctx context.Context) error {
			_, err := cl.CreateDatabaseV2(ctx, db, &schema.DatabaseNullableSettings{ReplicationSettings: &schema.ReplicationNullableSettings{
				Replica: &schema.NullableBool{Value: true}, PrimaryDatabase: &schema.NullableString{Value: restorePrimary}}})
			return err
		})
		if err != nil {
			return 0, lastAlh, false, err
		}
		switchBack = true
	}
	if err = timed(ctx, func(ctx context.Context) error { _, err := cl.UseDatabase(ctx, db); return err }); err != nil {
		return 0, lastAlh, switchBack, err
	}
	var st *schema.ImmutableState
	if err = timed(ctx, func(ctx context.Context) (err error) {
		st, err = cl.Service().CurrentState(ctx, &emptypb.Empty{})
		return err
	}); err != nil {
		return 0, lastAlh, switchBack, err
	}
	lastTx, lastAlh = st.GetTxId(), proof.Hash(st.GetTxHash())
	if info == nil {
		return lastTx, lastAlh, switchBack, nil
	}
	if lastTx > 0 && !o.appendTo {
		if o.immudbText {
			return 0, lastAlh, false, errors.New("cannot restore to non-empty database without --append flag")
		}
		return 0, lastAlh, false, fmt.Errorf("database '%s' is not empty (%d transactions): restore into a new or empty database, or use --append to continue a database restored from the same history", db, lastTx)
	}
	var settings *schema.DatabaseSettingsResponse
	if err = timed(ctx, func(ctx context.Context) (err error) { settings, err = cl.GetDatabaseSettingsV2(ctx); return err }); err != nil {
		return 0, lastAlh, false, err
	}
	rs := settings.GetSettings().GetReplicationSettings()
	if rs.GetReplica().GetValue() && rs.GetPrimaryDatabase().GetValue() == restorePrimary && rs.GetPrimaryHost().GetValue() == "" {
		// A target this tool created, left a replica by an interrupted
		// restore: finishing the restore makes it a normal database.
		switchBack = true
	}
	if !rs.GetReplica().GetValue() {
		if !o.forceReplica {
			return 0, lastAlh, false, fmt.Errorf("database '%s' is not a replica: a restore replays txs with their original hashes, which only a replica accepts; use --force-replica to switch it to replica mode for the restore", db)
		}
		err = timed(ctx, func(ctx context.Context) error {
			_, err := cl.UpdateDatabaseV2(ctx, db, &schema.DatabaseNullableSettings{
				ReplicationSettings: &schema.ReplicationNullableSettings{Replica: &schema.NullableBool{Value: true}}})
			return err
		})
		if err != nil {
			return 0, lastAlh, false, fmt.Errorf("cannot switch on replica mode for db: %s", statusMessage(err))
		}
		switchBack = true
	}
	return lastTx, lastAlh, switchBack, nil
}

// replicateOne sends one record to replicateTx and checks the header the
// server committed hashes to the record's Alh.
func replicateOne(ctx context.Context, cl *client.Client, rec *record) error {
	var hdr *schema.TxHeader
	err := timed(ctx, func(ctx context.Context) error {
		stream, err := cl.Service().ReplicateTx(ctx)
		if err != nil {
			return err
		}
		size := cl.Options().StreamChunkSize
		if size <= 0 {
			size = 64 << 10
		}
		for rest := rec.Content; len(rest) > 0; {
			n := min(size, len(rest))
			if err := stream.Send(&schema.Chunk{Content: rest[:n]}); err != nil {
				break // the server answered early: CloseAndRecv has its error
			}
			rest = rest[n:]
		}
		hdr, err = stream.CloseAndRecv()
		return err
	})
	if err != nil {
		return errors.New(statusMessage(explainLogin(err)))
	}
	alh, err := headerAlh(hdr)
	if err != nil || alh != rec.Alh {
		return errors.New("transaction checksums don't match")
	}
	return nil
}

// verifyRestored re-reads txs first.. from the target and compares each
// Alh with the file's, then the database's current state with the last.
func verifyRestored(ctx context.Context, cl *client.Client, first uint64, alhs []proof.Hash) error {
	for i, want := range alhs {
		id := first + uint64(i)
		var tx *schema.Tx
		if err := timed(ctx, func(ctx context.Context) (err error) {
			tx, err = cl.Service().TxById(ctx, &schema.TxRequest{Tx: id})
			return err
		}); err != nil {
			return fmt.Errorf("verify: reading tx %d: %s", id, statusMessage(err))
		}
		got, err := headerAlh(tx.GetHeader())
		if err != nil {
			return fmt.Errorf("verify: tx %d: %v", id, err)
		}
		if got != want {
			return fmt.Errorf("%w: verify: tx %d of the restored database hashes to %x, the file says %x", ErrBackupMismatch, id, got[:], want[:])
		}
	}
	return nil
}

package immuadmin

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/client"
	"github.com/attestdb/attestdb/proof"
)

// Backup, restore and dump, online over exportTx / replicateTx:
//
//	hot-backup, hot-restore   immudb's commands, flags and messages
//	backup, restore           the same to a file or a folder, with a progress
//	                          display by default; restore --verify re-reads
//	                          every restored tx and compares its Alh
//	dump, import              a portable export (the same file format) that
//	                          grows with --since-tx; import reads it
//
// A backup is hot and consistent: it reads the current state first and
// exports exactly the txs up to it while the server keeps serving writes;
// the chain of Alh values is checked as the records are written.

// backupExt names the file a backup writes into a folder.
const backupExt = ".backup"

func (a *app) backupCommands() []*cobra.Command {
	return []*cobra.Command{a.hotBackupCommand(), a.hotRestoreCommand(), a.backupCommand(),
		a.restoreCommand(), a.dumpCommand(), a.importCommand()}
}

func (a *app) hotBackupCommand() *cobra.Command {
	var output string
	var startTx uint64
	var appendTo, bar bool
	c := &cobra.Command{
		Use:   "hot-backup <db_name>",
		Short: "Make a copy of the database without stopping",
		Long: "Backup a database to file/stream without stopping the database engine. " +
			"Backup can run from the beginning or starting from arbitrary transaction.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if startTx > 1 && appendTo {
				return errors.New("don't use --append and --start-tx options together")
			}
			if output == "-" && appendTo {
				return errors.New("--append option can be used only when outputting to the file")
			}
			if startTx == 0 {
				return fmt.Errorf("%w: --start-tx must be at least 1", ErrBadArgument)
			}
			if output == "-" {
				_, err := a.exportTxs(cmd.Context(), args[0], startTx, nil, a.out, bar, "hot-backup")
				return err
			}
			_, err := a.exportToFile(cmd.Context(), args[0], output, startTx, appendTo, false, bar, "hot-backup")
			return err
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "-", "output file, \"-\" for stdout")
	c.Flags().Uint64Var(&startTx, "start-tx", 1, "Transaction ID to start from")
	c.Flags().BoolVar(&bar, "progress-bar", false, "show progress indicator")
	c.Flags().BoolVar(&appendTo, "append", false, "append to file, if it already exists (for file output only)")
	return c
}

func (a *app) backupCommand() *cobra.Command {
	var output string
	var appendTo, bar bool
	c := &cobra.Command{
		Use:   "backup <database>",
		Short: "Hot backup of a database (every tx, hash-chained) to a file or a folder",
		Long: "Copies every transaction of a running database to a file (or to <folder>/<database>" + backupExt +
			") in immudb's hot-backup format, while the server keeps serving writes: the copy ends at the state read " +
			"when the backup starts. --append continues an earlier backup of the same database.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := output
			if path == "" {
				return fmt.Errorf("%w: --output is required", ErrBadArgument)
			}
			if st, err := os.Stat(path); (err == nil && st.IsDir()) || strings.HasSuffix(path, string(os.PathSeparator)) {
				if err := os.MkdirAll(path, 0o750); err != nil {
					return err
				}
				path = filepath.Join(path, args[0]+backupExt)
			}
			res, err := a.exportToFile(cmd.Context(), args[0], path, 1, appendTo, true, bar, "backup")
			if err != nil {
				return err
			}
			return a.message(res.summary("backed up", args[0], path))
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "backup file, or a folder to write <database>"+backupExt+" into")
	c.Flags().BoolVar(&appendTo, "append", false, "continue an existing backup file of this database")
	c.Flags().BoolVar(&bar, "progress-bar", true, "show progress (a bar on a terminal, lines otherwise)")
	return c
}

func (a *app) dumpCommand() *cobra.Command {
	var output string
	var sinceTx uint64
	var bar bool
	c := &cobra.Command{
		Use:   "dump <database>",
		Short: "Export the transactions of a database to a portable file, incrementally with --since-tx",
		Long: "Writes every transaction after --since-tx (all of them by default) to a portable file that " +
			"`restore` and `import` read (and immudb's hot-restore too). When the file exists, the new " +
			"transactions are appended: the file must end at --since-tx (the default then), and its last " +
			"transaction must be the database's.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" {
				return fmt.Errorf("%w: --output is required", ErrBadArgument)
			}
			exists := false
			if _, err := os.Stat(output); err == nil {
				exists = true
				if cmd.Flags().Changed("since-tx") {
					c, err := scanPath(output)
					if err != nil {
						return err
					}
					if c.last != sinceTx {
						return fmt.Errorf("%w: the dump file ends at tx %d: --since-tx must be %d to extend it", ErrBadArgument, c.last, c.last)
					}
				}
			}
			res, err := a.exportToFile(cmd.Context(), args[0], output, sinceTx+1, exists, true, bar, "dump")
			if err != nil {
				return err
			}
			return a.message(res.summary("dumped", args[0], output))
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "dump file (appended to when it exists)")
	c.Flags().Uint64Var(&sinceTx, "since-tx", 0, "export only the transactions after this one")
	c.Flags().BoolVar(&bar, "progress-bar", true, "show progress (a bar on a terminal, lines otherwise)")
	return c
}

// exportResult describes what a backup or dump wrote.
type exportResult struct {
	first, last, count uint64
	upToDate           bool
}

func (r *exportResult) summary(verb, db, path string) string {
	if r.count == 0 {
		return fmt.Sprintf("nothing to do: %s already holds every transaction of database '%s'", path, db)
	}
	return fmt.Sprintf("%s transactions %d - %d of database '%s' to %s (%d transactions)", verb, r.first, r.last, db, path, r.count)
}

// exportToFile exports db from startTx (or after the file's last tx when
// appending) into path.
func (a *app) exportToFile(ctx context.Context, db, path string, startTx uint64, appendTo, syncFile, bar bool, label string) (*exportResult, error) {
	var prev *chain
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if _, err := os.Stat(path); err == nil {
		if !appendTo {
			return nil, errors.New("file already exists, use --append option to append new data to file")
		}
		c, err := scanPath(path)
		if err != nil {
			return nil, err
		}
		if c.count > 0 {
			prev = c
			startTx = c.last + 1
		}
		flags = os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o640)
	if err != nil {
		return nil, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	res, err := a.exportTxs(ctx, db, startTx, prev, w, bar, label)
	// Whatever was written is whole records, so it stays a valid prefix.
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if syncFile && err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return res, err
}

// scanPath checks a whole backup file and returns its chain.
func scanPath(path string) (*chain, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := scanFile(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// exportTxs writes the records of txs startTx..current of db to w. prev,
// when set, is the chain the records continue (an appended file): its last
// tx must be the database's.
func (a *app) exportTxs(ctx context.Context, db string, startTx uint64, prev *chain, w io.Writer, bar bool, label string) (*exportResult, error) {
	cl, err := a.authed(ctx)
	if err != nil {
		return nil, err
	}
	if err := timed(ctx, func(ctx context.Context) error { _, err := cl.UseDatabase(ctx, db); return err }); err != nil {
		return nil, explainLogin(err)
	}
	var st *schema.ImmutableState
	if err := timed(ctx, func(ctx context.Context) (err error) {
		st, err = cl.Service().CurrentState(ctx, &emptypb.Empty{})
		return err
	}); err != nil {
		return nil, explainLogin(err)
	}
	latest := st.GetTxId()
	c := &chain{}
	if prev != nil {
		*c = *prev
		if prev.last > latest {
			return nil, fmt.Errorf("the file ends at tx %d but database '%s' has only %d transactions - probably file was created from different database", prev.last, db, latest)
		}
		rec, err := exportOne(ctx, cl, prev.last)
		if err != nil {
			return nil, fmt.Errorf("cannot find file's last transaction %d in database: %w", prev.last, err)
		}
		if rec.Alh != prev.lastAlh {
			return nil, fmt.Errorf("checksums for transaction %d in backup file and database differ - probably file was created from different database", prev.last)
		}
	}
	res := &exportResult{}
	if latest < startTx {
		a.note("All backed up, nothing to do")
		res.upToDate = true
		return res, nil
	}
	if startTx == latest {
		a.note("Backing up transaction %d", startTx)
	} else {
		a.note("Backing up transactions from %d to %d", startTx, latest)
	}
	p := a.newProgress(label, latest-startTx+1, bar)
	defer p.finish()
	var buf []byte
	for id := startTx; id <= latest; id++ {
		rec, err := exportOne(ctx, cl, id)
		if err != nil {
			return res, err
		}
		if err := c.add(rec); err != nil {
			return res, fmt.Errorf("database '%s' exported an inconsistent tx: %w", db, err)
		}
		buf = appendRecord(buf[:0], rec.TxID, rec.Alh, rec.Content)
		if _, err := w.Write(buf); err != nil {
			return res, err
		}
		if res.count == 0 {
			res.first = id
		}
		res.last = id
		res.count++
		p.add(1)
	}
	if proof.Hash(st.GetTxHash()) != c.lastAlh {
		return res, fmt.Errorf("%w: tx %d exported with alh %x, the state read at start says %x", ErrBackupMismatch, latest, c.lastAlh[:], st.GetTxHash())
	}
	a.note("Done")
	return res, nil
}

// exportOne reads one tx with exportTx and returns it as a checked record
// (its Alh computed from the exported header).
func exportOne(ctx context.Context, cl *client.Client, id uint64) (*record, error) {
	var content []byte
	err := timed(ctx, func(ctx context.Context) error {
		stream, err := cl.Service().ExportTx(ctx, &schema.ExportTxRequest{Tx: id})
		if err != nil {
			return err
		}
		for {
			ch, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			content = append(content, ch.GetContent()...)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("failed to export transaction %d: %s", id, statusMessage(explainLogin(err)))
	}
	h, alh, err := decodeContent(id, content)
	if err != nil {
		return nil, fmt.Errorf("tx %d as exported by the server: %w", id, err)
	}
	return &record{TxID: id, Alh: alh, Content: content, Header: h}, nil
}

// timed runs f under the per-call time bound.
func timed(ctx context.Context, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return f(ctx)
}

// headerAlh is the Alh of a tx header as the server sent it.
func headerAlh(h *schema.TxHeader) (proof.Hash, error) {
	if h == nil {
		return proof.Hash{}, errors.New("no tx header")
	}
	ph := &proof.TxHeader{ID: h.Id, Ts: h.Ts, Version: int(h.Version), NEntries: int(h.Nentries), BlTxID: h.BlTxId}
	copy(ph.PrevAlh[:], h.PrevAlh)
	copy(ph.Eh[:], h.EH)
	copy(ph.BlRoot[:], h.BlRoot)
	if m := h.Metadata; m != nil {
		ph.Metadata = proof.TxMetadata{TruncatedUptoTx: m.TruncatedTxID, Extra: m.Extra}
	}
	return ph.Alh()
}

package torture

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/attestdb/attestdb/embedded/store"
)

// ErrNoDatabases means a server directory holds no database data dir.
var ErrNoDatabases = errors.New("torture: no database in directory")

// DatabaseDirs returns name → engine directory (<dir>/<name>/data) of every
// database in a server directory.
func DatabaseDirs(serverDir string) (map[string]string, error) {
	ents, err := os.ReadDir(serverDir)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, e := range ents {
		d := filepath.Join(serverDir, e.Name(), "data")
		if fi, err := os.Stat(filepath.Join(d, "FORMAT")); err == nil && !fi.IsDir() {
			out[e.Name()] = d
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoDatabases, serverDir)
	}
	return out, nil
}

// CheckIntegrity opens every database of a stopped (or crashed) server
// directory with the engine, which runs crash recovery, and re-verifies
// every committed tx with VerifyIntegrity. It returns the last committed tx
// per database.
func CheckIntegrity(serverDir string) (map[string]uint64, error) {
	dbs, err := DatabaseDirs(serverDir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(dbs))
	for n := range dbs {
		names = append(names, n)
	}
	sort.Strings(names)
	last := map[string]uint64{}
	for _, n := range names {
		id, err := verifyDir(dbs[n])
		if err != nil {
			return last, fmt.Errorf("database %s: %w", n, err)
		}
		last[n] = id
	}
	return last, nil
}

func verifyDir(dir string) (uint64, error) {
	o := store.DefaultOptions()
	o.DisableIndex = true // the integrity check reads the log, tx index and tree only
	st, err := store.Open(dir, &o)
	if err != nil {
		return 0, fmt.Errorf("open: %w", err)
	}
	id, _ := st.LastCommitted()
	var verr error
	if id > 0 {
		verr = st.VerifyIntegrity(1, id)
	}
	if cerr := st.Close(); verr == nil && cerr != nil {
		verr = fmt.Errorf("close: %w", cerr)
	}
	return id, verr
}

package index

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/record"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/sstable/block"
	"github.com/cockroachdb/pebble/v2/sstable/colblk"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// File verification: the integrity check of the engine must report any
// changed byte of any data file, derived ones included, even where the
// change would not alter an answer. Pebble checksums its blocks, MANIFEST
// and WAL chunks; the rest is checked against what it must be:
//
//	attestdb-keys.filter  its crc32c covers every byte (filter.go)
//	NNNNNN.sst            every block's checksum (sstable's
//	                      ValidateBlockChecksums, plus the value blocks
//	                      it leaves out), the blocks tile the file, and the
//	                      footer's own checksum (table format v6 and later)
//	MANIFEST-NNNNNN       every record chunk's checksum, and the bytes
//	                      between chunks (block padding) must be zero
//	NNNNNN.log            the WAL is off: empty, zeros, or only Pebble's
//	                      end-of-log trailer for its own number
//	OPTIONS-NNNNNN        equal to what Pebble writes for the options
//	                      (Pebble's own parser ignores most of its lines)
//
// LOCK and marker.* files are empty (markers keep their state in the
// name). Other files (temporary files of an interrupted write) are not
// read by anyone and are ignored.

// VerifyFiles checks every file of an open index (see above) and returns
// the first damage found, wrapping ErrCorrupt. opts must be the options the
// index was opened with (the OPTIONS file records them). Pebble's own
// MANIFEST appends may race with the check; a MANIFEST whose last record
// is cut short while the file grows is re-read.
//
// It only reports: the index is not marked damaged (Damaged), so nothing
// is rebuilt behind the caller's back; a read that meets the damage does
// that.
func (ix *Index) VerifyFiles(opts Options) (err error) {
	defer func() {
		if r := recover(); r != nil { // a Pebble Fatalf (corruption.go)
			f, ok := r.(*pebbleFatal)
			if !ok {
				panic(r)
			}
			err = corruptf("pebble: %s", f.msg)
		}
	}()
	if err := ix.rlock(); err != nil {
		return err
	}
	defer ix.mu.RUnlock()
	opts.Dir = ix.dir
	levels, err := ix.db.SSTables()
	if err != nil {
		return fmt.Errorf("index: verify: list tables: %w", err)
	}
	// Only the tables of the current version: a flush or compaction writes
	// its output in place before it becomes part of the index.
	live := map[string]bool{}
	for _, level := range levels {
		for _, t := range level {
			live[fmt.Sprintf("%06d.sst", uint64(t.BackingSSTNum))] = true
		}
	}
	return verifyDir(opts, live)
}

// VerifyDir checks the files of a cleanly closed index directory, as Open
// would find them. Open rewrites the OPTIONS file and the WAL, so damage
// there is only visible before it runs. opts must be the options the index
// was last opened with. After a crash the directory may hold the remains
// of interrupted work (a partly written table, a cut MANIFEST record) that
// Open cleans up: open it and use VerifyFiles instead.
func VerifyDir(opts Options) error {
	if opts.Dir == "" {
		return errors.New("index: Options.Dir is empty")
	}
	return verifyDir(opts, nil)
}

// verifyDir checks the files of an index directory; live, when not nil,
// names the tables to check (an open index).
func verifyDir(opts Options, live map[string]bool) error {
	ents, err := os.ReadDir(opts.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // no index yet: nothing to check
	}
	if err != nil {
		return fmt.Errorf("index: verify: %w", err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var wantOptions []byte
	for _, name := range names {
		path := filepath.Join(opts.Dir, name)
		var err error
		switch {
		case name == filterFileName:
			err = verifyFilterFile(path)
		case strings.HasSuffix(name, ".sst"):
			if live != nil && !live[name] {
				continue
			}
			err = verifyTable(path)
		case strings.HasPrefix(name, "MANIFEST-"):
			err = verifyManifest(path)
		case strings.HasSuffix(name, ".log"):
			err = verifyWAL(path, strings.TrimSuffix(name, ".log"))
		case strings.HasPrefix(name, "OPTIONS-"):
			if wantOptions == nil {
				if wantOptions, err = expectedOptions(opts); err != nil {
					return fmt.Errorf("index: verify %s: %w", name, err)
				}
			}
			err = verifyOptions(path, wantOptions)
		case name == "LOCK" || strings.HasPrefix(name, "marker."):
			err = verifyEmpty(path)
		default:
			continue
		}
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed by Pebble meanwhile (an obsolete file)
		}
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				return fmt.Errorf("index: verify %s: %w", name, err)
			}
			return fmt.Errorf("%w (file %s)", err, name)
		}
	}
	return nil
}

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

func verifyFilterFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if _, _, err := unmarshalFilter(b); err != nil {
		return corruptf("key filter: %v", err)
	}
	return nil
}

func verifyEmpty(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Size() != 0 {
		return corruptf("%d bytes in a file Pebble keeps empty", fi.Size())
	}
	return nil
}

// verifyTable checks every block checksum of an sstable; opening the
// reader checks the footer (magic, version, its checksum).
var tableFilter = bloom.FilterPolicy(10)

func verifyTable(path string) error {
	f, err := vfs.Default.Open(path)
	if err != nil {
		return err
	}
	readable, err := sstable.NewSimpleReadable(f)
	if err != nil {
		f.Close()
		return err
	}
	schema := colblk.DefaultKeySchema(comparer, 16)
	r, err := sstable.NewReader(context.Background(), readable, sstable.ReaderOptions{
		Comparer:   comparer,
		KeySchemas: sstable.MakeKeySchemas(&schema),
		// Without its policy the reader would not know the filter block,
		// and ValidateBlockChecksums would skip it.
		Filters: map[string]sstable.FilterPolicy{tableFilter.Name(): tableFilter},
	})
	if err != nil {
		readable.Close()
		return corruptf("table: %v", err)
	}
	defer r.Close()
	if err := r.ValidateBlockChecksums(); err != nil {
		return corruptf("table: %v", err)
	}
	l, err := r.Layout()
	if err != nil {
		return corruptf("table layout: %v", err)
	}
	return verifyTableTiling(f, l, readable.Size())
}

// verifyTableTiling checks that the blocks of the layout and the footer
// cover the file exactly, and the checksum of every block, the value
// blocks included (ValidateBlockChecksums leaves those out).
func verifyTableTiling(f io.ReaderAt, l *sstable.Layout, size int64) error {
	hs := []block.Handle{l.TopIndex, l.RangeDel, l.RangeKey, l.ValueIndex, l.Properties, l.MetaIndex, l.BlobReferenceIndex}
	for _, d := range l.Data {
		hs = append(hs, d.Handle)
	}
	hs = append(hs, l.Index...)
	hs = append(hs, l.ValueBlock...)
	for _, fh := range l.Filter {
		hs = append(hs, fh.Handle)
	}
	hs = slices.DeleteFunc(hs, func(h block.Handle) bool { return h.Length == 0 })
	slices.SortFunc(hs, func(a, b block.Handle) int { return cmp.Compare(a.Offset, b.Offset) })
	hs = slices.Compact(hs) // a one-level index is also the top index
	if l.Footer.Length == 0 || int64(l.Footer.Offset+l.Footer.Length) != size {
		return corruptf("table: footer does not end the file")
	}
	var typ [1]byte
	if _, err := f.ReadAt(typ[:], int64(l.Footer.Offset)); err != nil {
		return err
	}
	var buf []byte
	pos := uint64(0)
	for _, h := range hs {
		if h.Offset != pos {
			return corruptf("table: %d bytes at %d belong to no block", int64(h.Offset)-int64(pos), pos)
		}
		n := int(h.Length) + block.TrailerLen
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		if _, err := f.ReadAt(buf[:n], int64(h.Offset)); err != nil {
			return err
		}
		if err := block.ValidateChecksum(block.ChecksumType(typ[0]), buf[:n], h); err != nil {
			return corruptf("table: %v", err)
		}
		pos = h.Offset + uint64(n)
	}
	if pos != l.Footer.Offset {
		return corruptf("table: %d bytes before the footer belong to no block", int64(l.Footer.Offset)-int64(pos))
	}
	return nil
}

// verifyManifest reads every record of a MANIFEST (each chunk carries a
// checksum) and then checks that the reader consumed the whole file; the
// few bytes at the end of a 32 KiB block that cannot hold a chunk header
// are skipped by the reader, so they are checked to be zero here.
func verifyManifest(path string) error {
	var last error
	for attempt := 0; attempt < 5; attempt++ {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if last = verifyRecords(b); last == nil {
			return nil
		}
		// A MANIFEST of an open index may be being appended to.
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		if fi.Size() == int64(len(b)) {
			break
		}
		time.Sleep(time.Duration(attempt+1) * 10 * time.Millisecond)
	}
	return last
}

const (
	recordBlockSize  = 32 << 10
	recordHeaderSize = 7
)

func verifyRecords(b []byte) error {
	r := record.NewReader(bytes.NewReader(b), 0)
	for {
		rr, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return corruptf("manifest record at %d: %v", r.Offset(), err)
		}
		if _, err := io.Copy(io.Discard, rr); err != nil {
			return corruptf("manifest record at %d: %v", r.Offset(), err)
		}
	}
	// Walk the chunk headers again: lengths were checked by the reader, so
	// this only finds the padding and the end.
	off := 0
	for off < len(b) {
		if rem := recordBlockSize - off%recordBlockSize; rem < recordHeaderSize {
			if !allZero(b[off:min(off+rem, len(b))]) {
				return corruptf("manifest: non-zero block padding at %d", off)
			}
			off += rem
			continue
		}
		if off+recordHeaderSize > len(b) {
			return corruptf("manifest: %d trailing bytes at %d", len(b)-off, off)
		}
		n := int(binary.LittleEndian.Uint16(b[off+4:]))
		if n == 0 && allZero(b[off:off+recordHeaderSize]) {
			// The reader stops at a zeroed header (a preallocated tail).
			if !allZero(b[off:]) {
				return corruptf("manifest: data after the end at %d", off)
			}
			return nil
		}
		off += recordHeaderSize + n
	}
	if off != len(b) {
		return corruptf("manifest: last chunk runs past the end")
	}
	return nil
}

// verifyWAL: the index runs with the WAL disabled, so a WAL file holds no
// record. Pebble creates it empty and, on close, writes an end-of-log
// trailer: a recyclable chunk header with a zero checksum and length and
// the next log number.
func verifyWAL(path, num string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	n, err := strconv.ParseUint(num, 10, 32)
	if err != nil {
		return nil // not a Pebble WAL name
	}
	rest := b
	if len(b) >= 11 && !allZero(b[:11]) {
		var want [11]byte
		want[6] = 5 // recyclable full chunk
		binary.LittleEndian.PutUint32(want[7:], uint32(n)+1)
		if !bytes.Equal(b[:11], want[:]) {
			return corruptf("WAL (disabled) holds something else than the end-of-log trailer")
		}
		rest = b[11:]
	}
	if !allZero(rest) {
		return corruptf("WAL (disabled) has non-zero bytes")
	}
	return nil
}

func verifyOptions(path string, want []byte) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !bytes.Equal(b, want) {
		i := 0
		for i < len(b) && i < len(want) && b[i] == want[i] {
			i++
		}
		return corruptf("OPTIONS differs at byte %d from what the index's options produce", i)
	}
	return nil
}

// expectedOptions is the OPTIONS file Pebble writes for opts: an index
// opened in a scratch directory writes it, so the options come from the
// one place that builds them (open).
func expectedOptions(opts Options) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "attestdb-index-options-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	opts.Dir = tmp
	opts.Logger = quietLogger{}
	ix, err := open(opts)
	if err != nil {
		return nil, err
	}
	if err := ix.closeNoFlush(); err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(tmp)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "OPTIONS-") {
			return os.ReadFile(filepath.Join(tmp, e.Name()))
		}
	}
	return nil, errors.New("no OPTIONS file written")
}

func allZero(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

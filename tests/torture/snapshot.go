package torture

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// chunkSize is the granularity at which Snapshot drops all-zero data, so a
// preallocated 512 MiB log segment costs only what was written.
const chunkSize = 4096

// Snapshot is an in-memory copy of a directory tree that keeps only the
// non-zero chunks of each file: materializing it writes a few MB instead
// of the preallocated segment sizes.
type Snapshot struct {
	Files []SnapFile // sorted by Path
}

// SnapFile is one regular file of a Snapshot.
type SnapFile struct {
	Path   string // relative, slash-separated
	Size   int64
	Mode   fs.FileMode
	Chunks map[int64][]byte // chunk offset → content (non-zero chunks only)
	// DataEnd is one past the last non-zero byte (0 for an all-zero file).
	DataEnd int64
}

// TakeSnapshot reads every regular file under root.
func TakeSnapshot(root string) (*Snapshot, error) {
	snap := &Snapshot{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		f, err := readSparse(p)
		if err != nil {
			return err
		}
		f.Path = filepath.ToSlash(rel)
		snap.Files = append(snap.Files, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("torture: snapshot %s: %w", root, err)
	}
	sort.Slice(snap.Files, func(i, j int) bool { return snap.Files[i].Path < snap.Files[j].Path })
	return snap, nil
}

func readSparse(p string) (SnapFile, error) {
	fh, err := os.Open(p)
	if err != nil {
		return SnapFile{}, err
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return SnapFile{}, err
	}
	sf := SnapFile{Size: fi.Size(), Mode: fi.Mode().Perm(), Chunks: map[int64][]byte{}}
	zero := make([]byte, chunkSize)
	buf := make([]byte, chunkSize)
	for off := int64(0); off < sf.Size; off += chunkSize {
		n, err := fh.ReadAt(buf, off)
		if err != nil && err != io.EOF {
			return SnapFile{}, err
		}
		if bytes.Equal(buf[:n], zero[:n]) {
			continue
		}
		sf.Chunks[off] = bytes.Clone(buf[:n])
		last := n - 1
		for ; last >= 0 && buf[last] == 0; last-- {
		}
		sf.DataEnd = off + int64(last) + 1
	}
	return sf, nil
}

// ByteAt returns the byte of f at off.
func (f *SnapFile) ByteAt(off int64) byte {
	c := f.Chunks[off-off%chunkSize]
	if i := off % chunkSize; c != nil && int(i) < len(c) {
		return c[i]
	}
	return 0
}

// Materialize writes the snapshot under root (which must not exist yet),
// as sparse files.
func (s *Snapshot) Materialize(root string) error {
	for _, f := range s.Files {
		p := filepath.Join(root, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		fh, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, f.Mode)
		if err != nil {
			return err
		}
		werr := fh.Truncate(f.Size)
		for off, c := range f.Chunks {
			if werr != nil {
				break
			}
			_, werr = fh.WriteAt(c, off)
		}
		if err := fh.Close(); werr == nil {
			werr = err
		}
		if werr != nil {
			return fmt.Errorf("torture: materialize %s: %w", f.Path, werr)
		}
	}
	return nil
}

// FlipBit inverts bit (0..7) of byte off of the file rel under root.
func FlipBit(root, rel string, off int64, bit uint) error {
	p := filepath.Join(root, filepath.FromSlash(rel))
	fh, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer fh.Close()
	b := make([]byte, 1)
	if _, err := fh.ReadAt(b, off); err != nil {
		return fmt.Errorf("torture: flip %s@%d: %w", rel, off, err)
	}
	b[0] ^= 1 << bit
	if _, err := fh.WriteAt(b, off); err != nil {
		return fmt.Errorf("torture: flip %s@%d: %w", rel, off, err)
	}
	return fh.Close()
}

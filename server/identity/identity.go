package identity

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/rs/xid"
)

// FileName is the name of the identity file inside the data dir.
const FileName = "immudb.identifier"

// Size is the length of an identity in bytes.
const Size = 12

// Errors returned by this package.
var (
	// ErrCorrupted means the identity file exists but does not hold a valid
	// 12-byte identity.
	ErrCorrupted = errors.New("server identity file is corrupted")
	// ErrEmptyDir means no data dir was given.
	ErrEmptyDir = errors.New("server identity: data dir is empty")
)

// ID is a server identity.
type ID [Size]byte

// String renders the ID as 20 lower-case base32 characters, e.g.
// "dc2jf9hksdu973mbc22g".
func (id ID) String() string { return xid.ID(id).String() }

// IsZero reports whether id is the zero value (never a valid identity).
func (id ID) IsZero() bool { return id == ID{} }

// New returns a fresh identity.
func New() ID { return ID(xid.New()) }

// Decode parses the raw content of an identity file.
func Decode(b []byte) (ID, error) {
	if len(b) != Size {
		return ID{}, fmt.Errorf("%w: %d bytes, want %d", ErrCorrupted, len(b), Size)
	}
	var id ID
	copy(id[:], b)
	if id.IsZero() {
		return ID{}, fmt.Errorf("%w: all-zero identity", ErrCorrupted)
	}
	return id, nil
}

// Parse parses the 20-character string form produced by String.
func Parse(s string) (ID, error) {
	x, err := xid.FromString(s)
	if err != nil {
		return ID{}, fmt.Errorf("server identity %q: %w", s, err)
	}
	id := ID(x)
	if id.IsZero() {
		return ID{}, fmt.Errorf("server identity %q: all-zero identity", s)
	}
	return id, nil
}

// Load reads the identity of the data dir dir. It returns an error wrapping
// fs.ErrNotExist when the dir has no identity yet, and ErrCorrupted when the
// file cannot be decoded.
func Load(dir string) (ID, error) {
	if dir == "" {
		return ID{}, ErrEmptyDir
	}
	path := filepath.Join(dir, FileName)
	b, err := os.ReadFile(path)
	if err != nil {
		return ID{}, fmt.Errorf("reading server identity: %w", err)
	}
	id, err := Decode(b)
	if err != nil {
		return ID{}, fmt.Errorf("%s: %w", path, err)
	}
	return id, nil
}

// LoadOrCreate returns the identity stored in dir, creating dir and the
// identity file when they do not exist yet. created reports whether a new
// identity was written.
func LoadOrCreate(dir string) (id ID, created bool, err error) {
	id, err = Load(dir)
	if err == nil {
		return id, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return ID{}, false, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return ID{}, false, fmt.Errorf("creating data dir: %w", err)
	}
	id = New()
	if err := writeFile(dir, id); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Another process won the race to create it: use its identity.
			id, err = Load(dir)
			return id, false, err
		}
		return ID{}, false, err
	}
	return id, true, nil
}

// writeFile stores id atomically: temp file, fsync, link into place, fsync
// of the dir. os.Link (rather than rename) fails if another process created
// the file meanwhile, so two racing first starts cannot end up with two
// identities handed out.
func writeFile(dir string, id ID) error {
	path := filepath.Join(dir, FileName)
	tmp, err := os.CreateTemp(dir, FileName+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing server identity: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	if _, err := tmp.Write(id[:]); err != nil {
		tmp.Close()
		return fmt.Errorf("writing server identity: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("syncing server identity: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing server identity: %w", err)
	}
	if err := os.Link(tmpName, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("installing server identity: %w", err)
		}
		// Some file systems have no hard links; a rename is still atomic.
		if err := os.Rename(tmpName, path); err != nil {
			return fmt.Errorf("installing server identity: %w", err)
		}
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // best effort: not every file system supports dir fsync
		d.Close()
	}
	return nil
}

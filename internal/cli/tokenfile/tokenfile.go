// Package tokenfile reads and writes the login token file that immudb's
// command-line tools keep between runs (immuclient's "token", immuadmin's
// "token_admin"): u64be(len(db)) ‖ db ‖ token (API.md §2.3). Both our
// tools use it, so a file written by one layout rule is read by the same one.
//
// Locking: none; the functions touch only the file they are given.
package tokenfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrBad reports a token file that does not have immudb's layout.
var ErrBad = errors.New("invalid token file")

// lenPrefix is the big-endian u64 giving the database name length.
const lenPrefix = 8

// Encode builds the file content for a login bound to db.
func Encode(db, token string) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, lenPrefix+len(db)+len(token)), uint64(len(db)))
	b = append(b, db...)
	return append(b, token...)
}

// Decode parses file content into the database name and the token.
func Decode(b []byte) (db, token string, err error) {
	if len(b) <= lenPrefix {
		return "", "", fmt.Errorf("%w: too short; log in again", ErrBad)
	}
	// Files written by very old clients hold the bare PASETO token.
	if strings.HasPrefix(string(b), "v2.public.") {
		return "", "", fmt.Errorf("%w: old token format, delete the token file and log in again", ErrBad)
	}
	n := binary.BigEndian.Uint64(b[:lenPrefix])
	rest := b[lenPrefix:]
	if n >= uint64(len(rest)) {
		return "", "", fmt.Errorf("%w: database name length %d out of range; log in again", ErrBad, n)
	}
	db, token = string(rest[:n]), string(rest[n:])
	// The token travels in a gRPC header: printable ASCII only.
	for i := 0; i < len(token); i++ {
		if token[i] < 0x21 || token[i] > 0x7e {
			return "", "", fmt.Errorf("%w: token holds a non-printable byte; log in again", ErrBad)
		}
	}
	return db, token, nil
}

// Path resolves a --tokenfile value: a bare name (def when empty) lives in
// the home directory, as with immudb; a path is used as given.
func Path(name, def string) string {
	if name == "" {
		name = def
	}
	if filepath.IsAbs(name) || strings.ContainsRune(name, filepath.Separator) {
		return name
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return name
	}
	return filepath.Join(home, name)
}

// Read returns the saved database and token; no file means no login.
func Read(path string) (db, token string, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("reading token file: %w", err)
	}
	return Decode(b)
}

// Write saves the login with owner-only permissions (it is a credential).
func Write(path, db, token string) error {
	if err := os.WriteFile(path, Encode(db, token), 0o600); err != nil {
		return fmt.Errorf("writing token file: %w", err)
	}
	return nil
}

// Delete forgets the login; it reports whether there was one.
func Delete(path string) (bool, error) {
	err := os.Remove(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("deleting token file: %w", err)
	}
	return true, nil
}

package immuadmin

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrBadTokenFile reports a token file that does not have immudb's layout.
var ErrBadTokenFile = errors.New("invalid token file")

// tokenLenPrefix is the big-endian u64 giving the database name length.
const tokenLenPrefix = 8

// EncodeToken builds token file content: u64be(len(db)) ‖ db ‖ token, the
// layout immudb's tools share (API.md §2.3).
func EncodeToken(db, token string) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, tokenLenPrefix+len(db)+len(token)), uint64(len(db)))
	b = append(b, db...)
	return append(b, token...)
}

// DecodeToken parses token file content into the database and the token.
func DecodeToken(b []byte) (db, token string, err error) {
	if len(b) <= tokenLenPrefix {
		return "", "", fmt.Errorf("%w: too short; log in again", ErrBadTokenFile)
	}
	n := binary.BigEndian.Uint64(b[:tokenLenPrefix])
	rest := b[tokenLenPrefix:]
	if n >= uint64(len(rest)) {
		return "", "", fmt.Errorf("%w: database name length %d out of range; log in again", ErrBadTokenFile, n)
	}
	db, token = string(rest[:n]), string(rest[n:])
	// The token travels in a gRPC header: printable ASCII only.
	for i := 0; i < len(token); i++ {
		if token[i] < 0x21 || token[i] > 0x7e {
			return "", "", fmt.Errorf("%w: token holds a non-printable byte; log in again", ErrBadTokenFile)
		}
	}
	return db, token, nil
}

// tokenPath resolves --tokenfile: a bare name lives in the home directory,
// a path is used as given.
func tokenPath(name string) string {
	if name == "" {
		name = DefaultTokenFile
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

// readToken returns the saved database and token; no file means no login.
func readToken(path string) (db, token string, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("reading token file: %w", err)
	}
	return DecodeToken(b)
}

// writeToken saves the login with owner-only permissions (it is a credential).
func writeToken(path, db, token string) error {
	if err := os.WriteFile(path, EncodeToken(db, token), 0o600); err != nil {
		return fmt.Errorf("writing token file: %w", err)
	}
	return nil
}

// deleteToken forgets the login; it reports whether there was one.
func deleteToken(path string) (bool, error) {
	err := os.Remove(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("deleting token file: %w", err)
	}
	return true, nil
}

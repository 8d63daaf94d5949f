package immuclient

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

// tokenPrefixLen is the big-endian u64 that gives the database name length.
const tokenPrefixLen = 8

// EncodeToken builds the token file content: u64be(len(db)) ‖ db ‖ token,
// the layout immudb's immuclient writes (API.md §2.3).
func EncodeToken(db, token string) []byte {
	out := make([]byte, tokenPrefixLen, tokenPrefixLen+len(db)+len(token))
	binary.BigEndian.PutUint64(out, uint64(len(db)))
	out = append(out, db...)
	return append(out, token...)
}

// DecodeToken parses token file content into the database name and token.
func DecodeToken(b []byte) (db, token string, err error) {
	if len(b) <= tokenPrefixLen {
		return "", "", fmt.Errorf("%w: too short", ErrBadTokenFile)
	}
	// Files written by very old clients hold the bare PASETO token.
	if strings.HasPrefix(string(b), "v2.public.") {
		return "", "", fmt.Errorf("%w: old token format, delete the token file and log in again", ErrBadTokenFile)
	}
	n := binary.BigEndian.Uint64(b[:tokenPrefixLen])
	rest := b[tokenPrefixLen:]
	if n >= uint64(len(rest)) {
		return "", "", fmt.Errorf("%w: database name length %d out of range", ErrBadTokenFile, n)
	}
	db, token = string(rest[:n]), string(rest[n:])
	// The token goes into a gRPC header, which takes printable ASCII only.
	for i := 0; i < len(token); i++ {
		if token[i] < 0x21 || token[i] > 0x7e {
			return "", "", fmt.Errorf("%w: token holds a non-printable byte", ErrBadTokenFile)
		}
	}
	return db, token, nil
}

// tokenPath resolves the --tokenfile value: a bare name lives in the home
// directory, as with immudb; a path is used as given.
func tokenPath(name string) string {
	if name == "" {
		name = "token"
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

// readToken returns the saved database and token; a missing file is no login.
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

// writeToken saves the login; the file holds a credential, so 0600.
func writeToken(path, db, token string) error {
	if err := os.WriteFile(path, EncodeToken(db, token), 0o600); err != nil {
		return fmt.Errorf("writing token file: %w", err)
	}
	return nil
}

// deleteToken forgets the login; reports whether there was one.
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

package immuclient

import "github.com/attestdb/attestdb/internal/cli/tokenfile"

// The token file (layout and handling shared with the other CLI) lives in
// package tokenfile; these names keep the package's existing API.

// ErrBadTokenFile reports a token file that does not have immudb's layout.
var ErrBadTokenFile = tokenfile.ErrBad

// EncodeToken builds token file content: u64be(len(db)) ‖ db ‖ token.
func EncodeToken(db, token string) []byte { return tokenfile.Encode(db, token) }

// DecodeToken parses token file content into the database and the token.
func DecodeToken(b []byte) (db, token string, err error) { return tokenfile.Decode(b) }

func tokenPath(name string) string                        { return tokenfile.Path(name, "token") }
func readToken(path string) (db, token string, err error) { return tokenfile.Read(path) }
func writeToken(path, db, token string) error             { return tokenfile.Write(path, db, token) }
func deleteToken(path string) (bool, error)               { return tokenfile.Delete(path) }

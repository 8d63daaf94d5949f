package database

import (
	"errors"
	"fmt"
	"strings"
)

// Names of the databases every data dir has.
const (
	SystemDBName  = "systemdb"
	DefaultDBName = "defaultdb"
)

// Manager errors.
var (
	ErrInvalidDatabaseName   = errors.New("invalid database name provided")
	ErrDatabaseReserved      = errors.New("database is reserved")
	ErrDatabaseNotExists     = errors.New("database does not exist")
	ErrDatabaseAlreadyExists = errors.New("database already exists")
	ErrDatabaseNotLoaded     = errors.New("database is not loaded")
	// ErrAlreadyClosed is what calls on an unloaded database get (Get,
	// UseDatabase): immudb answers them with its store's "already closed".
	ErrAlreadyClosed         = errors.New("already closed")
	ErrDatabaseAlreadyLoaded = errors.New("database already loaded")
	ErrDatabaseLoaded        = errors.New("cannot delete an open database")
	ErrMaxActiveDatabases    = errors.New("max active databases limit exceeded")
	ErrManagerClosed         = errors.New("database manager is closed")
)

// MaxDatabaseNameLen is the longest database name.
const MaxDatabaseNameLen = 128

// NormalizeName lower-cases a database name and checks immudb's rules:
// 1–128 characters from [a-z0-9_].
func NormalizeName(name string) (string, error) {
	n := strings.ToLower(name)
	if len(n) == 0 || len(n) > MaxDatabaseNameLen {
		return "", fmt.Errorf("%w: length must be 1 to %d characters", ErrInvalidDatabaseName, MaxDatabaseNameLen)
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return "", fmt.Errorf("%w: only letters, digits and '_' are allowed", ErrInvalidDatabaseName)
		}
	}
	return n, nil
}

// IsReserved reports whether name is systemdb or defaultdb.
func IsReserved(name string) bool { return name == SystemDBName || name == DefaultDBName }

package database

import (
	"errors"

	"github.com/attestdb/attestdb/embedded/store"
)

// Sentinel errors. Their texts are the ones immudb v1.11.1 clients see
// (API.md §3); the server maps them to gRPC codes by errors.Is or by text.
// Errors that come from the engine are the engine's own sentinels, re-exported
// here so callers need only this package.
var (
	ErrKeyNotFound         = store.ErrKeyNotFound // "tbtree: key not found"
	ErrTxNotFound          = store.ErrTxNotFound  // "tx not found"
	ErrIllegalArguments    = store.ErrIllegalArguments
	ErrIllegalState        = store.ErrIllegalState
	ErrMaxKeyLenExceeded   = store.ErrMaxKeyLenExceeded
	ErrMaxValueLenExceeded = store.ErrMaxValueLenExceeded
	ErrDuplicatedKey       = store.ErrDuplicatedKey
	ErrPreconditionFailed  = store.ErrPreconditionFailed
	ErrCorruptedData       = store.ErrCorruptedData
	ErrNoEntries           = store.ErrNoEntries
	ErrTooManyEntries      = store.ErrTooManyEntries

	ErrReferencedKeyCannotBeAReference        = errors.New("referenced key cannot be a reference")
	ErrFinalKeyCannotBeConvertedIntoReference = errors.New("final key cannot be converted into a reference")
	ErrResultSizeLimitExceeded                = errors.New("result size limit exceeded")
	ErrInvalidRevision                        = errors.New("invalid key revision number")
	ErrMaxKeyResolutionLimitReached           = errors.New("max key resolution limit reached. It may be due to cyclic references")
	ErrIsReplica                              = errors.New("database is read-only because it's a replica")
	ErrSQLNotSupported                        = errors.New("sql entries cannot be resolved")
	ErrNoWaitOperationMustBeSelfContained     = errors.New("no wait operation must be self-contained")
	ErrDBClosed                               = errors.New("database is closed")

	// errSinceTxTooLarge is wrapped around ErrIllegalArguments with immudb's wording.
	errSinceTxTooLarge = "SinceTx must not be greater than the current transaction ID"
)
